"""The schema comes from the Alembic migration, and the database enforces the invariants."""
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Attempt, Choice, Contestant, Question
from tests.factories import make_contest

ROOT = Path(__file__).resolve().parent.parent


def _upgrade(url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _tables(url: str) -> set[str]:
    from portal.config import database_url

    os.environ["DATABASE_URL"], saved = url, os.environ.get("DATABASE_URL")
    try:
        engine = sa.create_engine(database_url())
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = saved
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    """What Alembic's autogenerate would still change: the models and the migrations agree
    when this is empty."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    finally:
        engine.dispose()


def test_flask_db_upgrade_builds_the_schema_on_empty_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _upgrade(url)
    assert result.returncode == 0, result.stderr
    tables = _tables(url)
    assert {"contest", "round", "question", "choice", "contestant", "staff", "attempt",
            "attempt_item", "audit_entry", "alembic_version"} <= tables
    assert _differences(url) == []


@pytest.mark.postgres
def test_flask_db_upgrade_builds_the_schema_on_empty_postgresql():
    from tests.pg import fresh_database

    with fresh_database("portal_upgrade") as url:
        result = _upgrade(url)
        assert result.returncode == 0, result.stderr
        assert {"contest", "attempt", "attempt_item", "alembic_version"} <= _tables(url)
        assert _differences(url) == []


def _contestant(contest, phone="0912345678") -> Contestant:
    person = Contestant(contest_id=contest.id, phone=phone, full_name="Nguyễn Văn A", birth_year=1990,
                        unit_id=contest.blocks[0].units[0].id, password_hash="x")
    db.session.add(person)
    db.session.commit()
    return person


def test_phone_is_unique_within_a_contest(ctx):
    contest = make_contest()
    _contestant(contest)
    with pytest.raises(IntegrityError):
        _contestant(contest)
    db.session.rollback()


def test_one_attempt_per_contestant_per_local_day_and_sequence(ctx):
    contest = make_contest()
    person = _contestant(contest)
    start = datetime(2023, 7, 5, 3, tzinfo=UTC)
    rnd = contest.rounds[0]

    def attempt(seq):
        return Attempt(contestant_id=person.id, round_id=rnd.id, local_day=date(2023, 7, 5), day_seq=seq,
                       started_at=start, deadline_at=start + timedelta(minutes=10))

    db.session.add(attempt(1))
    db.session.commit()
    db.session.add(attempt(1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(attempt(2))  # a contest allowing two a day uses day_seq 2
    db.session.commit()


def test_at_most_one_correct_choice_per_question(ctx):
    contest = make_contest()
    question = Question(round_id=contest.rounds[0].id, text="Câu?")
    question.choices = [Choice(position=0, text="a", is_correct=True), Choice(position=1, text="b", is_correct=True)]
    db.session.add(question)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
