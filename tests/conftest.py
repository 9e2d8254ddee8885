"""Fixtures: an app per test on a shared schema (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), a movable clock, CSRF always on, and data factories."""
from __future__ import annotations

import contextvars
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from portal import clock as portal_clock
from portal import create_app
from portal.config import database_url as normalize_url
from portal.extensions import db, limiter

pytest_plugins = ["tests.browser"]

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def require_or_skip(condition: bool, reason: str) -> None:
    """Outside CI a missing service skips, saying why; under CI it is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _catalogs():
    """The English catalog compiled from its .po, as `make` does, so plain pytest works too."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        os.environ["DATABASE_URL"] = TEST_DATABASE_URL
        return normalize_url()
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own `g` and database session),
    as in production, even while the test itself holds one open to read the database."""

    def open(self, *args, **kwargs):
        if _cv_app.get(None) is not None:
            db.session.rollback()  # end the test's read snapshot; its objects reload after

        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture
def app(_schema):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": _schema,
        "TESTING": True,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    limiter.reset()
    portal_clock.reset_clock()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


class MovableClock:
    """The portal's clock, set and moved by a test."""

    def __init__(self, start: datetime):
        self.current = start
        portal_clock.set_clock(lambda: self.current)

    def set(self, instant: datetime) -> None:
        self.current = instant

    def advance(self, **kwargs) -> datetime:
        self.current = self.current + timedelta(**kwargs)
        return self.current


@pytest.fixture
def clock():
    moved = MovableClock(datetime(2023, 7, 5, 3, 0, tzinfo=UTC))  # Wed 05/07/2023 10:00 local
    yield moved
    portal_clock.reset_clock()


CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The token the way a browser gets it: from a page the portal rendered."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
