"""An answer and a submit of the same attempt never interleave on PostgreSQL: the answer's
one statement takes the attempt's row lock, so a submit waits for it (and then scores
the answer), and an answer arriving during a submit waits and then writes nothing."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from portal import quiz_service
from portal.extensions import db
from portal.models import Attempt, AttemptItem, Contest
from tests import quiz_helpers as qh
from tests.factories import make_contest, make_questions

pytestmark = pytest.mark.postgres


@pytest.fixture
def open_attempt(client, ctx, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; the SQLite pass has one writer at a time")
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    attempt_id, contest_id = qh.attempt_id_of(qh.start(client)), contest.id
    db.session.remove()
    attempt = quiz_service.attempt_for(db.session.get(Attempt, attempt_id).contestant, attempt_id)
    with ctx.test_request_context():  # refusals carry translated messages
        yield attempt, db.session.get(Contest, contest_id)


def other_connection():
    """A second session of the database, as another gunicorn thread would hold."""
    connection = db.engine.connect()
    connection.execute(sa.text("SET lock_timeout = '300ms'"))
    return connection


def test_a_submit_waits_for_an_answer_in_flight(open_attempt, monkeypatch):
    attempt, contest = open_attempt
    item = quiz_service.item_at(attempt, 1)
    monkeypatch.setattr(quiz_service, "_commit_keeping_loaded", lambda: None)  # the answer's commit is pending
    quiz_service.save_answer(attempt, contest, 1, str(item.choice_order[0]))
    submitter = other_connection()
    try:
        with pytest.raises(OperationalError, match="lock timeout"):
            submitter.execute(sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
                              .values(status="submitted"))
    finally:
        submitter.close()
        db.session.rollback()


def test_an_answer_during_a_submit_waits_then_writes_nothing(open_attempt):
    attempt, contest = open_attempt
    item = quiz_service.item_at(attempt, 1)
    submitter = db.engine.connect()
    submitter.execute(sa.update(Attempt).where(Attempt.id == attempt.id).values(status="submitted"))
    try:
        db.session.execute(sa.text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            quiz_service.save_answer(attempt, contest, 1, str(item.choice_order[0]))
        db.session.rollback()
        submitter.commit()
    finally:
        submitter.close()
    with pytest.raises(quiz_service.QuizRefusal) as refused:
        quiz_service.save_answer(attempt, contest, 1, str(item.choice_order[0]))
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.scalar(sa.select(AttemptItem.chosen_choice_id).where(AttemptItem.id == item.id)) is None
