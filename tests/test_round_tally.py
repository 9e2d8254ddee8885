"""A round's participation tally (what the stats JSON, the banner and the dashboard show)
moves with every closed attempt and always equals a count of the attempts themselves."""
import pytest
import sqlalchemy as sa

from portal import quiz_service, stats
from portal.extensions import db
from portal.models import Attempt, Contestant, Round
from portal.moderation import merge_accounts
from tests import quiz_helpers as qh
from tests.factories import make_contest, make_questions

SLUG = "thu-nghiem"  # tests/factories.py


def api_counts(client) -> dict:
    body = client.get(f"/api/v1/contests/{SLUG}/stats").get_json()
    return {"participants": body["round"]["participants"], "attempts": body["round"]["attempts"]}


def exact(round_id: int) -> dict:
    attempts, participants = stats.counted(round_id)
    row = db.session.execute(sa.select(participants, attempts)).one()
    return {"participants": row[0], "attempts": row[1]}


def tally(round_id: int) -> dict:
    db.session.expire_all()
    return stats.round_counts(db.session.get(Round, round_id))


def take_quiz(client) -> int:
    attempt_id = qh.attempt_id_of(qh.start(client))
    qh.submit(client, attempt_id)
    return attempt_id


def test_submits_and_expiries_move_the_tally(app, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    round_id, unit = contest.round_by_number(1).id, contest.blocks[0].units[0].id
    assert tally(round_id) == {"participants": 0, "attempts": 0}
    qh.register(client, unit)
    take_quiz(client)
    assert tally(round_id) == {"participants": 1, "attempts": 1}
    clock.advance(days=1)
    take_quiz(client)  # the same contestant again: one more attempt, not one more person
    assert tally(round_id) == {"participants": 1, "attempts": 2}
    other = app.test_client()
    qh.register(other, unit, phone="0987654321")
    qh.start(other)
    assert tally(round_id) == {"participants": 1, "attempts": 2}  # still in progress
    clock.advance(minutes=11)
    assert quiz_service.expire_all_overdue(contest) == 1  # closed by the server at the deadline
    assert tally(round_id) == {"participants": 2, "attempts": 3} == exact(round_id)
    # A new request reads the tally through the API (a cleared cache shows it at once).
    from portal.results import results_changed
    results_changed(contest)
    assert api_counts(client) == {"participants": 2, "attempts": 3}


def test_a_merge_of_two_accounts_recounts_the_rounds(app, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    round_id, unit = contest.round_by_number(1).id, contest.blocks[0].units[0].id
    qh.register(client, unit)
    take_quiz(client)
    clock.advance(days=1)
    twin = app.test_client()
    qh.register(twin, unit, phone="0987654321")
    take_quiz(twin)
    assert tally(round_id) == {"participants": 2, "attempts": 2}
    kept, duplicate = db.session.scalars(sa.select(Contestant).order_by(Contestant.id)).all()
    merge_accounts(kept, duplicate, actor="staff:test")
    assert tally(round_id) == {"participants": 1, "attempts": 2} == exact(round_id)


def test_recount_repairs_a_tally_and_finalize_freezes_the_exact_figure(client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    round_id = contest.round_by_number(1).id
    qh.register(client, contest.blocks[0].units[0].id)
    take_quiz(client)
    db.session.execute(sa.update(Round).where(Round.id == round_id).values(tally_participants=40, tally_attempts=7))
    db.session.commit()
    stats.recount([round_id])
    db.session.commit()
    assert tally(round_id) == {"participants": 1, "attempts": 1}
    # Finalizing recounts before it freezes the participant count.
    db.session.execute(sa.update(Round).where(Round.id == round_id).values(tally_participants=40))
    db.session.commit()
    from portal.results import finalize_round
    clock.advance(days=5)
    finalize_round(db.session.get(Round, round_id), actor="staff:test")
    assert db.session.get(Round, round_id).participants_final == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_round_recount_command(runner, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    round_id = contest.round_by_number(1).id
    qh.register(client, contest.blocks[0].units[0].id)
    take_quiz(client)
    db.session.execute(sa.update(Round).values(tally_participants=9, tally_attempts=9))
    db.session.commit()
    result = runner.invoke(args=["round", "recount", "--contest", contest.slug])
    assert result.exit_code == 0, result.output
    assert "Tuần 1: 1 người tham gia, 1 lượt thi." in result.output and "Tuần 2: 0 người tham gia" in result.output
    assert tally(round_id) == {"participants": 1, "attempts": 1}
    assert runner.invoke(args=["round", "recount", "--contest", contest.slug, "9"]).exit_code != 0


# --- concurrent closes on PostgreSQL ---------------------------------------------------

def _waiting_for_a_lock(app, deadline_s: float = 10) -> None:
    """Until another backend of this database waits for a row lock (bounded)."""
    import time

    with app.app_context():
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            waiting = db.session.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            db.session.rollback()
            if waiting:
                return
            time.sleep(0.01)  # polling the other backend's state, not timing the test
    raise AssertionError("the other transaction never waited for the lock")


def _in_thread(app, work):
    import threading

    errors = []

    def run():
        try:
            with app.app_context():
                work()
                db.session.commit()
        except Exception as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _two_open_attempts(contest):
    from tests.results_helpers import add_attempt, add_contestant

    r1 = contest.round_by_number(1)
    person = add_contestant(contest, "Đinh Thị Lan")
    first = add_attempt(person, r1, 7, status="in_progress", day=1)
    second = add_attempt(person, r1, 8, status="in_progress", day=2)
    db.session.commit()
    return r1.id, first.id, second.id


def _close(attempt_id: int, status: str) -> None:
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id).values(status=status))
    stats.count_closed(db.session.get(Attempt, attempt_id))


@pytest.mark.postgres
def test_two_closes_of_one_contestant_at_once_count_one_participant(app, ctx, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent transactions: the PostgreSQL pass")
    round_id, first, second = _two_open_attempts(make_contest())
    _close(first, "expired")  # not committed yet: holds the round's row
    thread, errors = _in_thread(app, lambda: _close(second, "submitted"))
    _waiting_for_a_lock(app)
    db.session.commit()
    thread.join(timeout=30)
    assert not errors, errors
    assert tally(round_id) == {"participants": 1, "attempts": 2} == exact(round_id)


@pytest.mark.postgres
def test_a_recount_during_a_close_keeps_that_close(app, ctx, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent transactions: the PostgreSQL pass")
    round_id, first, _second = _two_open_attempts(make_contest())
    _close(first, "submitted")  # not committed yet
    thread, errors = _in_thread(app, lambda: stats.recount([round_id]))
    _waiting_for_a_lock(app)
    db.session.commit()
    thread.join(timeout=30)
    assert not errors, errors
    assert tally(round_id) == {"participants": 1, "attempts": 1} == exact(round_id)
