"""Engine tuning per backend: SQLite in WAL mode with a busy timeout and foreign keys."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
        if not sa.event.contains(engine, "connect", _sqlite_pragmas):
            sa.event.listen(engine, "connect", _sqlite_pragmas)
