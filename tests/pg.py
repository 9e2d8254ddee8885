"""Fresh PostgreSQL databases for tests that need their own (migrations, live servers)."""
from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL, require_or_skip


@contextlib.contextmanager
def fresh_database(prefix: str):
    """Yields the URL of a new, empty database; drops it afterwards."""
    require_or_skip(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL)")
    base = TEST_DATABASE_URL.rsplit("/", 1)[0]
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
