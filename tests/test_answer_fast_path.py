"""Saving an answer in one statement (portal/answer_saving.py) accepts exactly what the
full checks accept: every refusal writes nothing and falls through to the checked path,
which says why; the next step, the htmx fragment and the rate limit are those of the
checked path. Runs on SQLite and on PostgreSQL."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import answer_saving
from portal import create_app
from portal.extensions import db, limiter
from portal.models import Attempt, AttemptItem, Choice, Contest
from tests import quiz_helpers as qh
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions

HTMX = {"HX-Request": "true"}


@pytest.fixture
def saves(monkeypatch):
    """What each try_save call returned: a SavedAnswer (written) or None (fell through)."""
    results = []
    real = answer_saving.try_save

    def recording(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(answer_saving, "try_save", recording)
    return results


def started(client, contest, phone="0912345678") -> int:
    assert qh.register(client, contest.blocks[0].units[0].id, phone=phone).status_code == 302
    return qh.attempt_id_of(qh.start(client))


def items_of(attempt_id: int) -> list[AttemptItem]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                                   .order_by(AttemptItem.position)))


def chosen(attempt_id: int) -> dict[int, int | None]:
    return {i.position: i.chosen_choice_id for i in items_of(attempt_id)}


def warm(client, attempt_id: int) -> AttemptItem:
    """One answer through the checked path, which teaches the application the grace."""
    first = items_of(attempt_id)[0]
    assert qh.answer(client, attempt_id, 1, first.choice_order[0]).status_code == 303
    return first


def answered_through(client, attempt_id: int, last: int) -> list[AttemptItem]:
    """Questions 1 to `last` answered (the first through the checked path)."""
    items = items_of(attempt_id)
    warm(client, attempt_id)
    for position in range(2, last + 1):
        qh.answer(client, attempt_id, position, items[position - 1].choice_order[0])
    return items


@pytest.fixture
def contest(ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    return contest


def test_answers_after_the_first_are_one_statement_and_land_where_the_checked_path_would(client, contest, saves):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    assert saves == [None]  # no grace learnt yet: the checked path saved it
    items = items_of(attempt_id)
    # Out of order: answering 5 goes to 6; answering 10 with 2-4 and 6-9 open goes back to 2.
    assert qh.answer(client, attempt_id, 5, items[4].choice_order[1]).headers["Location"].endswith(
        f"/quiz/{attempt_id}/q/6")
    assert qh.answer(client, attempt_id, 10, items[9].choice_order[2]).headers["Location"].endswith(
        f"/quiz/{attempt_id}/q/2")
    # Changing an answer already given keeps the same rule (the row itself is not "open").
    assert qh.answer(client, attempt_id, 5, items[4].choice_order[3]).headers["Location"].endswith(
        f"/quiz/{attempt_id}/q/6")
    assert all(s is not None for s in saves[1:]) and len(saves) == 4
    state = chosen(attempt_id)
    assert state[1] == items[0].choice_order[0] and state[5] == items[4].choice_order[3]
    assert state[10] == items[9].choice_order[2] and sum(v is not None for v in state.values()) == 3
    for position in (2, 3, 4, 6, 7, 8, 9):
        last = qh.answer(client, attempt_id, position, items[position - 1].choice_order[0])
    # Everything answered, the prediction not given: the prediction comes next.
    assert last.headers["Location"].endswith(f"/quiz/{attempt_id}/prediction")
    assert None not in chosen(attempt_id).values()
    answered_at = {i.position: i.answered_at for i in items_of(attempt_id)}
    assert all(answered_at.values())


def test_after_the_prediction_the_last_answer_goes_to_the_review(client, contest, saves):
    attempt_id = started(client, contest)
    items = answered_through(client, attempt_id, 9)
    client.post(f"/quiz/{attempt_id}/prediction", data={"prediction": "1234", "csrf_token": csrf_token(client)})
    assert db.session.get(Attempt, attempt_id).prediction == 1234
    response = qh.answer(client, attempt_id, 10, items[9].choice_order[0])
    assert response.headers["Location"].endswith(f"/quiz/{attempt_id}/review")
    assert saves[-1] is not None and saves[-1].prediction_given


def test_a_contest_without_prediction_goes_straight_to_the_review(client, ctx, clock, saves):
    contest = make_contest(prediction="none")
    make_questions(contest, per_round=12)
    attempt_id = started(client, contest)
    items = answered_through(client, attempt_id, 9)
    last = qh.answer(client, attempt_id, 10, items[9].choice_order[0])
    assert saves[-1] is not None and saves[-1].contest_prediction == "none"
    assert last.headers["Location"].endswith(f"/quiz/{attempt_id}/review")


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_the_htmx_fragment_of_the_one_statement_path_is_the_checked_paths(client, contest, saves, app):
    attempt_id = started(client, contest)
    first = warm(client, attempt_id)
    fast = qh.answer(client, attempt_id, 1, first.choice_order[2], headers=HTMX)
    assert saves[-1] is not None and fast.status_code == 200
    app.extensions.pop("portal.answer_grace")  # forget the grace: the same answer goes the checked way
    checked = qh.answer(client, attempt_id, 1, first.choice_order[2], headers=HTMX)
    assert saves[-1] is None and checked.status_code == 200
    fast_html, checked_html = fast.get_data(as_text=True), checked.get_data(as_text=True)
    assert _without_tokens(fast_html) == _without_tokens(checked_html)
    assert fast.headers["HX-Push-Url"] == checked.headers["HX-Push-Url"] == f"/quiz/{attempt_id}/q/2"
    assert "Câu 2/10" in fast_html and 'aria-label="Câu 1, đã trả lời"' in fast_html
    assert "Câu hỏi phụ" in fast_html and 'name="csrf_token" value="' in fast_html
    # The shown choices are the second item's, in the attempt's order, none of them chosen.
    second = items_of(attempt_id)[1]
    assert qh.choices_on(fast_html) == second.choice_order and " checked" not in fast_html
    assert "Vary" in fast.headers and "HX-Request" in fast.headers["Vary"]


def test_the_last_htmx_answer_redirects_to_the_prediction(client, contest, saves):
    attempt_id = started(client, contest)
    items = answered_through(client, attempt_id, 9)
    response = qh.answer(client, attempt_id, 10, items[9].choice_order[0], headers=HTMX)
    assert saves[-1] is not None
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/quiz/{attempt_id}/prediction"


def test_a_choice_of_another_question_falls_through_and_is_refused(client, contest, saves):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    items = items_of(attempt_id)
    foreign = items[3].choice_order[0]  # a real choice, of the fourth question
    response = qh.answer(client, attempt_id, 2, foreign)
    assert saves[-1] is None and response.status_code == 400
    assert "Phương án đã chọn không thuộc câu hỏi này" in response.get_data(as_text=True)
    unused = db.session.scalar(sa.select(Choice.id).where(Choice.question_id.not_in([i.question_id for i in items])))
    assert qh.answer(client, attempt_id, 2, unused).status_code == 400 and saves[-1] is None
    assert chosen(attempt_id)[2] is None


def test_another_contestants_attempt_is_not_found_and_untouched(client, contest, saves, app):
    victim = app.test_client()
    victim_attempt = started(victim, contest, phone="0987000111")
    warm(victim, victim_attempt)
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    choice = items_of(victim_attempt)[1].choice_order[0]
    response = qh.answer(client, victim_attempt, 2, choice)
    assert saves[-1] is None and response.status_code == 404
    assert chosen(victim_attempt)[2] is None


def test_a_position_outside_the_attempt_is_not_found(client, contest, saves):
    attempt_id = started(client, contest)
    first = warm(client, attempt_id)
    response = qh.answer(client, attempt_id, 11, first.choice_order[0])
    assert saves[-1] is None and response.status_code == 404


def test_the_deadline_plus_grace_holds_to_the_second(client, contest, saves, clock):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    items = items_of(attempt_id)
    deadline = db.session.get(Attempt, attempt_id).deadline_at
    clock.set(deadline + timedelta(seconds=15))  # grace_seconds = 15: the last accepted instant
    assert qh.answer(client, attempt_id, 2, items[1].choice_order[0]).status_code == 303
    assert saves[-1] is not None and chosen(attempt_id)[2] == items[1].choice_order[0]
    clock.set(deadline + timedelta(seconds=15, microseconds=1))
    response = qh.answer(client, attempt_id, 3, items[2].choice_order[0])
    assert saves[-1] is None and response.status_code == 409
    assert "Đã hết thời gian làm bài" in response.get_data(as_text=True)
    assert chosen(attempt_id)[3] is None
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).status == "expired"  # the checked path closed it


def test_a_submitted_attempt_takes_no_answer(client, contest, saves):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    assert qh.submit(client, attempt_id).status_code == 303
    response = qh.answer(client, attempt_id, 2, items_of(attempt_id)[1].choice_order[0])
    assert saves[-1] is None and response.status_code == 409
    assert chosen(attempt_id)[2] is None


def test_a_stale_grace_hint_costs_one_checked_answer_never_a_wrong_one(client, contest, saves, clock, app):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    items = items_of(attempt_id)
    deadline = db.session.get(Attempt, attempt_id).deadline_at
    # A moderator cuts the grace to 0 on another instance; this one still believes 15 s.
    db.session.execute(sa.update(Contest).values(grace_seconds=0))
    db.session.commit()
    assert app.extensions["portal.answer_grace"] == 15
    clock.set(deadline + timedelta(seconds=5))  # inside the old grace, outside the new
    response = qh.answer(client, attempt_id, 2, items[1].choice_order[0])
    assert saves[-1] is None and response.status_code == 409
    assert chosen(attempt_id)[2] is None
    assert app.extensions["portal.answer_grace"] == 0  # learnt from the checked path


def test_only_the_portals_contest_takes_answers(client, ctx, clock, saves):
    old = make_contest(slug="cu")
    make_questions(old, per_round=12)
    attempt_id = started(client, old)
    warm(client, attempt_id)
    newer = make_contest(slug="moi")  # without CONTEST_SLUG the newest contest is the portal's
    make_questions(newer, per_round=12)
    response = qh.answer(client, attempt_id, 2, items_of(attempt_id)[1].choice_order[0])
    assert saves[-1] is None and response.status_code == 404
    assert chosen(attempt_id)[2] is None


def test_a_blank_or_malformed_choice_never_reaches_the_statement(client, contest, saves):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    real = items_of(attempt_id)[1].choice_order[0]
    # Unicode digits (which str.isdigit accepts and int refuses), a real id padded past
    # the form's 20 characters, ids beyond a 32-bit column: all refused as the full path
    # refuses them, none a server error.
    for raw in ("", "abc", "-1", "1" * 40, "  ", "²", "①", str(real).ljust(21), "99999999999", str(2**31)):
        response = qh.answer(client, attempt_id, 2, raw)
        assert response.status_code == 400, (raw, response.status_code)
    assert len(saves) == 1  # only warm()'s call: none of these queried the database
    assert chosen(attempt_id)[2] is None
    # The same padded id within the form's limit is the same answer on both paths.
    assert qh.answer(client, attempt_id, 2, f" {real} ").status_code == 303
    assert saves[-1] is not None and chosen(attempt_id)[2] == real


def test_a_malformed_choice_from_a_logged_out_visitor_goes_to_the_login(app, contest):
    visitor = app.test_client()
    response = qh.answer(visitor, 1, 1, "²", token=csrf_token(visitor, "/login"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", [f"/quiz/1/q/{2**31}", f"/quiz/1/q/{2**64}", f"/quiz/{2**31}/q/1",
                                  f"/quiz/{2**63}/q/1"])
def test_ids_beyond_the_columns_are_not_found(client, contest, saves, path):
    attempt_id = started(client, contest)
    warm(client, attempt_id)
    path = path.replace("/quiz/1/", f"/quiz/{attempt_id}/")
    token = csrf_token(client)
    assert client.post(path, data={"choice": "1", "csrf_token": token}).status_code == 404
    assert client.get(path).status_code == 404
    assert len(saves) == 1


def test_staff_cannot_answer_through_either_path(client, contest, saves):
    from tests.admin_helpers import login_staff

    contestant = client.application.test_client()
    attempt_id = started(contestant, contest)
    warm(contestant, attempt_id)
    login_staff(client, role="admin")
    response = qh.answer(client, attempt_id, 2, items_of(attempt_id)[1].choice_order[0])
    assert response.status_code == 403 and len(saves) == 1
    assert chosen(attempt_id)[2] is None


def test_the_answer_limit_counts_every_answer_of_an_account(_schema, clock):
    from tests.conftest import IsolatedClient, _empty_tables

    app = create_app({"SQLALCHEMY_DATABASE_URI": _schema, "TESTING": True, "SECRET_KEY": "t",
                      "RATELIMIT_ENABLED": True, "RATELIMIT_ANSWER": "4 per minute"})
    app.test_client_class = IsolatedClient
    try:
        with app.app_context():
            _empty_tables()
            contest = make_contest()
            make_questions(contest, per_round=12)
            client = app.test_client()
            attempt_id = started(client, contest)
            items = items_of(attempt_id)
            codes = [qh.answer(client, attempt_id, p, items[p - 1].choice_order[0]).status_code for p in range(1, 6)]
            assert codes == [303, 303, 303, 303, 429]
            limited = qh.answer(client, attempt_id, 6, items[5].choice_order[0])
            assert limited.status_code == 429 and "Bạn thao tác quá nhanh" in limited.get_data(as_text=True)
            assert sum(v is not None for v in chosen(attempt_id).values()) == 4
            # The prediction shares the counter; another contestant has a counter of their own.
            prediction = client.post(f"/quiz/{attempt_id}/prediction",
                                     data={"prediction": "5", "csrf_token": csrf_token(client)})
            assert prediction.status_code == 429
            other = app.test_client()
            other_attempt = started(other, contest, phone="0987000111")
            assert qh.answer(other, other_attempt, 1, items_of(other_attempt)[0].choice_order[0]).status_code == 303
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.reset()


def test_an_htmx_answer_is_two_statements_and_a_form_answer_one(client, contest, saves):
    """The write, then (htmx) the next question's fragment: nothing loads the contestant,
    the contest or the attempt, not even the template context."""
    from sqlalchemy import event

    attempt_id = started(client, contest)
    warm(client, attempt_id)
    second, third = (item.choice_order[0] for item in items_of(attempt_id)[1:3])
    token = csrf_token(client)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fragment = qh.answer(client, attempt_id, 2, second, headers=HTMX, token=token)
        htmx_statements, statements[:] = list(statements), []
        form = qh.answer(client, attempt_id, 3, third, token=token)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert fragment.status_code == 200 and "Câu 3/10" in fragment.get_data(as_text=True)
    assert form.status_code == 303
    assert htmx_statements == ["UPDATE", "SELECT"] and statements == ["UPDATE"]
