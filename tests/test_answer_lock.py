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


def _waiting_on_a_lock(marker: str) -> bool:
    with db.engine.connect() as watcher:
        return bool(watcher.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :q"),
            {"q": f"%{marker}%"}))


def test_the_one_statement_answer_during_a_submit_waits_then_writes_nothing(open_attempt, ctx):
    """portal/answer_saving.py takes the same lock in its single statement."""
    import threading

    from portal import answer_saving, clock

    attempt, contest = open_attempt
    item = quiz_service.item_at(attempt, 1)
    ctx.extensions["portal.answer_grace"] = contest.grace_seconds
    contestant_id, attempt_id, choice = attempt.contestant_id, attempt.id, item.choice_order[0]
    db.session.rollback()
    submitter = db.engine.connect()
    submitter.execute(sa.update(Attempt).where(Attempt.id == attempt_id).values(status="submitted"))
    outcome = {}

    def answer():
        with ctx.app_context():
            outcome["saved"] = answer_saving.try_save(contestant_id, attempt_id, 1, choice, clock.now())

    answering = threading.Thread(target=answer)
    answering.start()
    try:
        # Wait (bounded) until PostgreSQL reports the answer blocked on the submit's row lock.
        for _ in range(500):
            if _waiting_on_a_lock("UPDATE attempt_item"):
                break
            answering.join(0.01)
        else:
            pytest.fail("the answer never waited for the submit's lock")
        assert answering.is_alive()
        submitter.commit()
    finally:
        submitter.close()
        answering.join(10)
    assert outcome == {"saved": None}
    assert db.session.scalar(sa.select(AttemptItem.chosen_choice_id).where(AttemptItem.id == item.id)) is None


def test_a_one_statement_answer_is_committed_when_it_returns(open_attempt, ctx):
    """It runs in autocommit: a submit that follows scores it, and its returned positions
    are those the checked path computes (the next open item after it, the first open one)."""
    from portal import answer_saving, clock

    attempt, contest = open_attempt
    item = quiz_service.item_at(attempt, 2)
    ctx.extensions["portal.answer_grace"] = contest.grace_seconds
    saved = answer_saving.try_save(attempt.contestant_id, attempt.id, 2, item.choice_order[1], clock.now())
    assert saved is not None and saved.next_after == 3 and saved.first_unanswered == 1
    db.session.rollback()
    submitted = quiz_service.submit(quiz_service.attempt_for(attempt.contestant, attempt.id), contest)
    assert submitted.status == "submitted"
    assert db.session.scalar(sa.select(AttemptItem.chosen_choice_id).where(AttemptItem.id == item.id)) == \
        item.choice_order[1]
