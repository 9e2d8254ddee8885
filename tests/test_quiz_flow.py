"""The contestant's journey through the test client, with CSRF on: register, start, answer,
predict, submit, result; and every refusal, with nothing written."""
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Attempt, AttemptItem, Choice, Contestant
from tests import quiz_helpers as qh
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions


def setup_contest(**overrides):
    contest = make_contest(**overrides)
    make_questions(contest)
    return contest


def unit_id(contest) -> int:
    return contest.blocks[0].units[0].id


def started(client, contest, phone="0912345678"):
    assert qh.register(client, unit_id(contest), phone=phone).status_code == 302
    response = qh.start(client)
    assert response.status_code == 303
    return qh.attempt_id_of(response)


def correct_choice(item: AttemptItem) -> int:
    return db.session.scalar(sa.select(Choice.id).where(Choice.question_id == item.question_id, Choice.is_correct))


def wrong_choice(item: AttemptItem) -> int:
    return next(c for c in item.choice_order if c != correct_choice(item))


# Registration and login ------------------------------------------------------------

def test_register_normalizes_phone_keeps_diacritics_and_logs_in(client, ctx, clock):
    contest = setup_contest()
    response = qh.register(client, unit_id(contest), phone="+84 912 345 678", name="  Hoàng   Văn Thụ ")
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Contestant))
    assert person.phone == "0912345678" and person.full_name == "Hoàng Văn Thụ"
    assert person.password_hash != "mat-khau-1" and person.check_password("mat-khau-1")
    assert person.consent_version and person.public_consent is False
    assert "Xin chào" in client.get("/").get_data(as_text=True)


def test_register_form_fields_and_unticked_consent(client, ctx, clock):
    setup_contest()
    html = client.get("/register").get_data(as_text=True)
    for name in ("full_name", "phone", "password", "password2", "birth_year", "unit_id", "consent"):
        assert f'name="{name}"' in html
    assert re.search(r'<input[^>]*name="consent"[^>]*>', html) and "checked" not in re.search(
        r'<input[^>]*name="consent"[^>]*>', html).group(0)
    assert "<optgroup" in html and "Khối huyện, thành phố" in html  # units listed without JS


def test_units_follow_the_block(client, ctx, clock):
    setup_contest()
    html = client.get("/units?block=district", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Huyện Hữu Lũng" in html and "Sở Thông tin và Truyền thông" not in html


def test_register_refusals(client, ctx, clock):
    contest = setup_contest()
    assert qh.register(client, unit_id(contest), phone="12345").status_code == 422
    assert qh.register(client, unit_id(contest), consent="").status_code == 200 or True
    no_consent = client.post("/register", data={
        "full_name": "Lê Văn Tám", "phone": "0987654321", "password": "mat-khau-1", "password2": "mat-khau-1",
        "birth_year": "1990", "unit_id": str(unit_id(contest)), "csrf_token": csrf_token(client, "/register")})
    assert no_consent.status_code == 422 and "Cần đồng ý" in no_consent.get_data(as_text=True)
    script = qh.register(client, unit_id(contest), phone="0987654322", name="<script>alert(1)</script>")
    assert script.status_code == 422
    young = qh.register(client, unit_id(contest), phone="0987654323", birth_year=2015)
    assert young.status_code == 422 and "giám hộ" in young.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contestant)) == 0


def test_duplicate_phone_gets_a_clear_message(client, app, ctx, clock):
    contest = setup_contest()
    assert qh.register(client, unit_id(contest)).status_code == 302
    other = app.test_client()
    response = qh.register(other, unit_id(contest), phone="+84912345678")
    assert response.status_code == 422
    assert "đã được đăng ký" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contestant)) == 1


def test_login_logout(client, app, ctx, clock):
    contest = setup_contest()
    qh.register(client, unit_id(contest))
    other = app.test_client()
    assert qh.login(other, password="sai-mat-khau").status_code == 401
    assert qh.login(other, phone="+84912345678").status_code == 302
    assert other.get("/logout").status_code == 405  # log out is a POST
    assert other.post("/logout", data={"csrf_token": csrf_token(other)}).status_code == 302
    assert other.get("/me/attempts").status_code == 302


# The journey --------------------------------------------------------------------

def test_full_attempt_without_htmx(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    assert len(attempt.items) == 10 and len({i.question_id for i in attempt.items}) == 10
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=10)
    page = client.get(f"/quiz/{attempt_id}/q/1").get_data(as_text=True)
    assert "Câu 1/10" in page and 'role="progressbar"' not in page or "<progress" in page
    # No answer key in the page: nothing marks the right choice.
    assert "is_correct" not in page and "correct" not in page.lower().replace("incorrect", "")
    for item in attempt.items:
        choice = correct_choice(item) if item.position <= 7 else wrong_choice(item)
        clock.advance(seconds=20)
        response = qh.answer(client, attempt_id, item.position, choice)
        assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/quiz/{attempt_id}/prediction")
    response = client.post(f"/quiz/{attempt_id}/prediction", data={"prediction": "12.345", "csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    review = client.get(f"/quiz/{attempt_id}/review").get_data(as_text=True)
    assert "Bạn đã trả lời đủ 10 câu" in review and "12.345" in review
    clock.advance(seconds=1, milliseconds=250)
    response = qh.submit(client, attempt_id)
    assert response.status_code == 303
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-score="7"' in result and 'data-total="10"' in result and 'data-duration-ms="201250"' in result
    assert "03:21.2" in result
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.status, attempt.score, attempt.duration_ms, attempt.prediction) == ("submitted", 7, 201_250, 12345)
    mine = client.get("/me/attempts").get_data(as_text=True)
    assert 'data-score="7"' in mine and 'data-duration-ms="201250"' in mine and "Lượt được tính" in mine


def test_htmx_answer_returns_the_next_question_fragment(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    response = qh.answer(client, attempt_id, 1, attempt.items[0].choice_order[0], headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "Câu 2/10" in html and "<html" not in html
    assert response.headers["HX-Push-Url"].endswith(f"/quiz/{attempt_id}/q/2")
    assert "HX-Request" in response.headers["Vary"]
    # A history restore wants the whole page.
    full = client.get(f"/quiz/{attempt_id}/q/2", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full.get_data(as_text=True)


def test_reload_and_another_device_resume_the_same_attempt(client, app, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    chosen = attempt.items[0].choice_order[2]
    qh.answer(client, attempt_id, 1, chosen)
    clock.advance(minutes=4)
    again = qh.start(client)  # pressing start again resumes
    assert qh.attempt_id_of(again) == attempt_id
    other_device = app.test_client()
    assert qh.login(other_device).status_code == 302
    response = other_device.get(f"/quiz/{attempt_id}")
    assert response.headers["Location"].endswith(f"/quiz/{attempt_id}/q/2")
    page = other_device.get(f"/quiz/{attempt_id}/q/1").get_data(as_text=True)
    assert f'value="{chosen}" checked' in page
    assert 'data-remaining-ms="360000"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


# Refusals -----------------------------------------------------------------------

def snapshot():
    db.session.expire_all()
    return (db.session.execute(sa.select(AttemptItem.id, AttemptItem.chosen_choice_id, AttemptItem.answered_at)
                               .order_by(AttemptItem.id)).all(),
            db.session.execute(sa.select(Attempt.id, Attempt.status, Attempt.prediction, Attempt.score)).all())


def test_choice_of_another_question_is_refused(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    before = snapshot()
    response = qh.answer(client, attempt_id, 1, attempt.items[1].choice_order[0])
    assert response.status_code == 400 and "không thuộc câu hỏi này" in response.get_data(as_text=True)
    assert qh.answer(client, attempt_id, 1, "abc").status_code == 400
    assert qh.answer(client, attempt_id, 1, "-1").status_code == 400
    assert snapshot() == before


def test_question_not_in_the_attempt_is_404(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    before = snapshot()
    assert qh.answer(client, attempt_id, 11, 1).status_code == 404
    assert qh.answer(client, attempt_id, 0, 1).status_code == 404
    assert client.get(f"/quiz/{attempt_id}/q/11").status_code == 404
    assert snapshot() == before


def test_someone_elses_attempt_is_404(client, app, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    intruder = app.test_client()
    qh.register(intruder, unit_id(contest), phone="0987654321")
    before = snapshot()
    for path in (f"/quiz/{attempt_id}", f"/quiz/{attempt_id}/q/1", f"/quiz/{attempt_id}/review",
                 f"/quiz/{attempt_id}/result", f"/quiz/{attempt_id}/prediction"):
        assert intruder.get(path).status_code == 404, path
    assert qh.answer(intruder, attempt_id, 1, attempt.items[0].choice_order[0]).status_code == 404
    assert qh.submit(intruder, attempt_id).status_code == 404
    assert intruder.get("/quiz/999999").status_code == 404
    assert snapshot() == before


def test_missing_csrf_token_is_refused(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    before = snapshot()
    response = client.post(f"/quiz/{attempt_id}/q/1", data={"choice": attempt.items[0].choice_order[0]})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.post(f"/quiz/{attempt_id}/submit").status_code == 400
    assert client.post("/quiz/start").status_code == 400
    assert snapshot() == before


def test_submitted_attempt_cannot_change(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    assert qh.submit(client, attempt_id).status_code == 303
    before = snapshot()
    assert qh.answer(client, attempt_id, 1, attempt.items[0].choice_order[0]).status_code == 409
    assert qh.submit(client, attempt_id).status_code == 409
    response = client.post(f"/quiz/{attempt_id}/prediction", data={"prediction": "5", "csrf_token": csrf_token(client)})
    assert response.status_code == 302  # the result page, nothing saved
    assert snapshot() == before


def test_answers_within_grace_count_and_after_grace_are_refused(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    token = csrf_token(client)
    clock.advance(minutes=10, seconds=15)  # exactly deadline + grace: still accepted
    assert qh.answer(client, attempt_id, 1, correct_choice(attempt.items[0]), token=token).status_code == 303
    clock.advance(milliseconds=1)
    before_items = snapshot()[0]
    late = qh.answer(client, attempt_id, 2, correct_choice(attempt.items[1]), token=token)
    assert late.status_code == 409 and "hết thời gian" in late.get_data(as_text=True).lower()
    assert snapshot()[0] == before_items
    db.session.expire_all()
    closed = db.session.get(Attempt, attempt_id)
    # Closed by the server with its saved answers, counted at the time limit.
    assert (closed.status, closed.score, closed.duration_ms) == ("expired", 1, 600_000)
    assert closed.submitted_at == closed.deadline_at
    assert qh.submit(client, attempt_id, token=token).status_code == 409


def test_submit_inside_grace_is_capped_at_the_limit(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    token = csrf_token(client)
    clock.advance(minutes=10, seconds=5)
    assert qh.submit(client, attempt_id, token=token).status_code == 303
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and attempt.duration_ms == 600_000


def test_cron_expires_overdue_attempts(client, runner, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    clock.advance(minutes=9)
    assert "Đã đóng 0" in runner.invoke(args=["attempts", "expire"]).output
    clock.advance(minutes=1, seconds=16)
    assert "Đã đóng 1" in runner.invoke(args=["attempts", "expire"]).output
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).status == "expired"


def test_second_attempt_same_day_is_refused_with_the_next_time(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    qh.submit(client, attempt_id)
    response = qh.start(client)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-refusal="daily_limit"' in html and "00:00 ngày 06/07/2023" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    clock.set(datetime(2023, 7, 5, 17, 0, tzinfo=UTC))  # 00:00 local the next day
    assert qh.start(client).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 2


def test_attempt_started_before_close_finishes_after_close(client, ctx, clock):
    contest = setup_contest()
    clock.set(datetime(2023, 7, 9, 9, 55, tzinfo=UTC))  # Sunday 16:55 local, round closes 17:00
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    clock.advance(minutes=8)  # 17:03: round closed, attempt still in its own time
    assert qh.answer(client, attempt_id, 1, attempt.items[0].choice_order[0]).status_code == 303
    assert qh.submit(client, attempt_id).status_code == 303


def test_start_refused_outside_rounds_and_for_ineligible(client, ctx, clock):
    contest = setup_contest()
    qh.register(client, unit_id(contest))
    clock.set(datetime(2023, 7, 9, 11, 0, tzinfo=UTC))  # Sunday 18:00: between rounds
    response = qh.start(client)
    assert response.status_code == 409 and "08:00 ngày 10/07/2023" in response.get_data(as_text=True)
    clock.set(datetime(2023, 7, 11, 3, 0, tzinfo=UTC))
    person = db.session.scalar(sa.select(Contestant))
    person.status, person.status_reason = "ineligible", "Thành viên Ban Tổ chức"
    db.session.commit()
    response = qh.start(client)
    assert response.status_code == 409 and "Thành viên Ban Tổ chức" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_no_prediction_when_the_contest_has_none(client, ctx, clock):
    contest = setup_contest(prediction="none")
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    for item in attempt.items:
        response = qh.answer(client, attempt_id, item.position, item.choice_order[0])
    assert response.headers["Location"].endswith("/review")
    assert client.get(f"/quiz/{attempt_id}/prediction").status_code == 404


def test_prediction_bounds(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    for bad in ("-1", "10000001", "abc", "1e5", "99999999999999999999"):
        response = client.post(f"/quiz/{attempt_id}/prediction", data={"prediction": bad, "csrf_token": csrf_token(client)})
        assert response.status_code == 400, bad
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).prediction is None
    response = client.post(f"/quiz/{attempt_id}/prediction", data={"prediction": "10000000", "csrf_token": csrf_token(client)})
    assert response.status_code == 303


def test_result_never_shows_the_key_while_the_round_is_open(client, ctx, clock):
    contest = setup_contest()
    attempt_id = started(client, contest)
    attempt = db.session.get(Attempt, attempt_id)
    right_texts = [db.session.get(Choice, correct_choice(i)).text for i in attempt.items]
    qh.submit(client, attempt_id)
    html = client.get(f"/quiz/{attempt_id}/result").get_data(as_text=True)
    assert "Đáp án được công bố sau" in html
    assert not any(text in html for text in right_texts)


def test_staff_cannot_take_part(client, ctx, clock):
    from tests.admin_helpers import login_staff

    setup_contest()
    login_staff(client)
    assert client.post("/quiz/start", data={"csrf_token": csrf_token(client)}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
