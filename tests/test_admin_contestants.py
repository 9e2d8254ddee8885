"""Contestants in the admin view: search by name, phone, code or unit, keyset pages, a
contestant's attempts and answers, status with a reason, a one-time temporary password,
merging and closing duplicates."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Attempt, AttemptItem, Contestant, Question
from tests.admin_helpers import audits, htmx, login_staff, post
from tests.factories import make_contest, make_questions
from tests.results_helpers import add_attempt, add_contestant, round_no


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


def test_search_by_name_phone_code_and_unit(client, contest):
    ha = add_contestant(contest, "Nguyễn Thị Hà", unit="Huyện Hữu Lũng", phone="0912345678")
    dang = add_contestant(contest, "Đặng Văn Minh", unit="Sở Thông tin và Truyền thông", phone="0987654321")
    add_contestant(contest, "Lê Văn Tám", unit="Thành phố Lạng Sơn", phone="0355555555")
    db.session.commit()
    login_staff(client)

    def found(query: str) -> set[str]:
        html = client.get("/admin/contestants", query_string=query).get_data(as_text=True)
        return set(re.findall(r'/admin/contestants/\d+">([^<]+)</a>', html))

    assert found("q=th%E1%BB%8B+h%C3%A0") == {"Nguyễn Thị Hà"}  # "thị hà", lower case
    assert found("q=%C4%91%E1%BA%B7ng") == {"Đặng Văn Minh"}  # "đặng" finds "Đặng"
    assert found("q=%2B84+912+345+678") == {"Nguyễn Thị Hà"}  # a phone in another form
    assert found("q=654321") == {"Đặng Văn Minh"}  # digits anywhere in the phone
    assert found(f"q=%23{dang.id}") == {"Đặng Văn Minh"}
    assert found("q=h%E1%BB%AFu+l%C5%A9ng") == {"Nguyễn Thị Hà"}  # the unit's name
    assert found(f"unit={ha.unit_id}") == {"Nguyễn Thị Hà"}
    assert found("q=%25") == set()  # LIKE wildcards are searched for literally
    assert found("q=") == {"Nguyễn Thị Hà", "Đặng Văn Minh", "Lê Văn Tám"}


def test_status_filter_and_keyset_pages(client, contest):
    people = [add_contestant(contest, f"Thí sinh {i:03d}") for i in range(120)]
    people[5].status, people[5].status_reason = "ineligible", "Ban Giám khảo"
    db.session.commit()
    login_staff(client)
    html = client.get("/admin/contestants").get_data(as_text=True)
    assert "120 thí sinh" in html and html.count("/admin/contestants/") - html.count("/admin/contestants/?") >= 50
    assert "Thí sinh 119" in html and "Thí sinh 069" not in html
    more = re.search(r'hx-get="(/admin/contestants\?after=\d+)"', html).group(1)
    fragment = client.get(more, headers=htmx())
    rows = fragment.get_data(as_text=True)
    assert rows.lstrip().startswith("<tr") and "<html" not in rows and "HX-Request" in fragment.headers["Vary"]
    assert "Thí sinh 069" in rows and "Thí sinh 119" not in rows
    last = re.search(r'hx-get="(/admin/contestants\?after=\d+)"', rows).group(1)
    tail = client.get(last, headers=htmx()).get_data(as_text=True)
    assert "Thí sinh 000" in tail and "more-row" not in tail
    without_js = client.get(more).get_data(as_text=True)
    assert "<html" in without_js and "Về đầu danh sách" in without_js
    ineligible = client.get("/admin/contestants?status=ineligible").get_data(as_text=True)
    assert "1 thí sinh" in ineligible and "Thí sinh 005" in ineligible


def test_a_contestants_page_shows_every_attempt_and_its_answers(app, client, contest):
    make_questions(contest, 4)
    person = add_contestant(contest, "Nguyễn Văn An")
    attempt = add_attempt(person, round_no(contest, 1), 1)
    questions = db.session.scalars(sa.select(Question).where(Question.round_id == round_no(contest, 1).id)
                                   .order_by(Question.id)).all()
    right, wrong = questions[0], questions[1]
    db.session.add_all([
        AttemptItem(attempt_id=attempt.id, position=1, question_id=right.id, choice_order=[],
                    chosen_choice_id=right.correct_choice.id),
        AttemptItem(attempt_id=attempt.id, position=2, question_id=wrong.id, choice_order=[],
                    chosen_choice_id=next(c.id for c in wrong.choices if not c.is_correct)),
        AttemptItem(attempt_id=attempt.id, position=3, question_id=questions[2].id, choice_order=[])])
    db.session.commit()
    login_staff(client)
    html = client.get(f"/admin/contestants/{person.id}").get_data(as_text=True)
    assert "Nguyễn Văn An" in html and person.phone in html
    assert right.text in html and wrong.text in html
    assert "bỏ trống" in html and html.count(">đúng</strong>") == 1 and html.count(">sai</strong>") == 2
    app.config["CONTEST_SLUG"] = contest.slug  # the admin works on this contest, not the newest
    other = make_contest(slug="cuoc-thi-khac")
    stranger = add_contestant(other, "Người ngoài")
    db.session.commit()
    assert client.get(f"/admin/contestants/{stranger.id}").status_code == 404


def test_marking_ineligible_needs_a_reason_and_is_audited(client, contest):
    person = add_contestant(contest, "Trần Thị Bình")
    db.session.commit()
    login_staff(client)
    page = f"/admin/contestants/{person.id}"
    refused = post(client, f"{page}/status", {"status": "ineligible", "reason": ""}, token_from=page)
    assert refused.status_code == 400 and "Cần ghi lý do" in refused.get_data(as_text=True)
    done = post(client, f"{page}/status", {"status": "ineligible", "reason": "Thành viên Ban Giám khảo"},
                token_from=page)
    assert done.status_code == 302
    db.session.refresh(person)
    assert (person.status, person.status_reason) == ("ineligible", "Thành viên Ban Giám khảo")
    entry, = audits("contestant.status")
    assert entry.before == {"status": "active", "status_reason": ""}
    assert entry.after == {"status": "ineligible", "status_reason": "Thành viên Ban Giám khảo"}
    same = post(client, f"{page}/status", {"status": "ineligible", "reason": "Thành viên Ban Giám khảo"},
                token_from=page)
    assert same.status_code == 302 and len(audits("contestant.status")) == 1  # no change, no entry


def test_a_temporary_password_is_shown_once_and_stored_hashed(client, contest):
    person = add_contestant(contest, "Hoàng Văn Cường", phone="0911222333")
    db.session.commit()
    login_staff(client)
    page = f"/admin/contestants/{person.id}"
    response = post(client, f"{page}/password", token_from=page, headers=htmx())
    html = response.get_data(as_text=True)
    password = re.search(r'<p class="password-value"><code>([a-z0-9]+)</code></p>', html).group(1)
    assert len(password) >= 10 and response.headers["Cache-Control"] == "no-store"
    db.session.refresh(person)
    assert password not in person.password_hash and person.check_password(password)
    assert password not in client.get(page).get_data(as_text=True)  # never shown again
    entry, = audits("contestant.password_reset")
    assert password not in str(entry.before) + str(entry.after)
    with client.session_transaction() as session:
        session.clear()
    from tests.quiz_helpers import login

    assert login(client, "0911222333", password).status_code == 302


def test_merging_moves_attempts_and_closes_the_duplicate(client, contest):
    r1 = round_no(contest, 1)
    kept = add_contestant(contest, "Vũ Thị Dung", phone="0912000001")
    duplicate = add_contestant(contest, "Vũ Thị Dung", phone="0912000002")
    add_attempt(kept, r1, 7, day=0)
    moved = add_attempt(duplicate, r1, 9, day=1)
    db.session.commit()
    login_staff(client)
    page = f"/admin/contestants/{kept.id}"
    unconfirmed = post(client, f"{page}/merge", {"duplicate": "0912000002"}, token_from=page)
    assert unconfirmed.status_code == 400 and "Cần xác nhận" in unconfirmed.get_data(as_text=True)
    done = post(client, f"{page}/merge", {"duplicate": "0912 000 002", "confirm": "y"}, token_from=page)
    assert done.status_code == 302
    db.session.refresh(duplicate)
    assert db.session.get(Attempt, moved.id).contestant_id == kept.id
    assert duplicate.status == "closed" and f"#{kept.id}" in duplicate.status_reason
    entry, = audits("contestant.merge")
    assert entry.target_id == str(duplicate.id) and entry.after["attempts_moved"] == [moved.id]


def test_merging_is_refused_when_both_accounts_played_the_same_day(client, contest):
    r1 = round_no(contest, 1)
    kept = add_contestant(contest, "Phạm Văn Em", phone="0912000003")
    duplicate = add_contestant(contest, "Phạm Văn Em", phone="0912000004")
    add_attempt(kept, r1, 7, day=2)
    clash = add_attempt(duplicate, r1, 9, day=2)
    db.session.commit()
    login_staff(client)
    page = f"/admin/contestants/{kept.id}"
    response = post(client, f"{page}/merge", {"duplicate": f"#{duplicate.id}", "confirm": "y"}, token_from=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "05/07/2023" in html and "không gộp được" in html
    db.session.refresh(duplicate)
    assert duplicate.status == "active" and db.session.get(Attempt, clash.id).contestant_id == duplicate.id
    assert audits("contestant.merge") == []
    itself = post(client, f"{page}/merge", {"duplicate": "0912000003", "confirm": "y"}, token_from=page)
    assert itself.status_code == 409 and "chính nó" in itself.get_data(as_text=True)
    unknown = post(client, f"{page}/merge", {"duplicate": "0999999999", "confirm": "y"}, token_from=page)
    assert unknown.status_code == 400 and "Không tìm thấy" in unknown.get_data(as_text=True)


def test_closing_a_duplicate_without_merging(client, contest):
    duplicate = add_contestant(contest, "Tài khoản thừa")
    db.session.commit()
    login_staff(client)
    page = f"/admin/contestants/{duplicate.id}"
    post(client, f"{page}/status", {"status": "closed", "reason": "Đăng ký trùng"}, token_from=page)
    assert db.session.get(Contestant, duplicate.id).status == "closed"
