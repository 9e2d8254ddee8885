"""Contest settings in the admin view: every setting of the contest file, checked by the
contest file's own validator; rounds editable until they open; prizes; rich text (rules,
announcements) sanitized on save."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.contest_settings import contest_document
from portal.extensions import db
from portal.models import Announcement, Contest
from tests.admin_helpers import audits, htmx, login_staff, post, staff_audits
from tests.factories import make_contest, make_questions


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


def settings_form(contest: Contest, **changes) -> dict:
    data = {"title": contest.title, "organizer": "Ban Tổ chức cuộc thi", "summary": "",
            "timezone": contest.timezone, "questions_per_attempt": "10", "choices_per_question": "4",
            "time_limit_seconds": "600", "grace_seconds": "15", "attempts_per_day": "1", "prediction": "people",
            "prediction_max": "10000000", "tiebreak": "score,duration,prediction",
            "collective_criterion": "participants", "retention_days": "365", "shuffle_choices": "y",
            "prizes_in_several_rounds": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_contest_document_passes_the_contest_file_validator(contest):
    from portal.contest_file import validate_contest

    spec = validate_contest(contest_document(contest))
    assert spec.slug == contest.slug and len(spec.rounds) == 2 and len(spec.units) == 3


def test_settings_are_saved_with_an_audit_entry_of_what_changed(client, contest):
    login_staff(client)
    response = post(client, "/admin/settings", settings_form(contest, attempts_per_day="2", tiebreak="score,prediction"),
                    token_from="/admin/settings")
    assert response.status_code == 302
    db.session.refresh(contest)
    assert contest.attempts_per_day == 2 and contest.tiebreak == ["score", "prediction"]
    entry, = audits("contest.settings")
    assert entry.before == {"organizer": "", "attempts_per_day": 1, "tiebreak": ["score", "duration", "prediction"]}
    assert entry.after == {"organizer": "Ban Tổ chức cuộc thi", "attempts_per_day": 2, "tiebreak": ["score", "prediction"]}


@pytest.mark.parametrize("changes, field, message", [
    ({"questions_per_attempt": "0"}, "questions_per_attempt", "Phải trong khoảng 1–200"),
    ({"time_limit_seconds": "mười phút"}, "time_limit_seconds", "Nhập một số nguyên"),
    ({"grace_seconds": "601"}, "grace_seconds", "Phải trong khoảng 0–600"),
    ({"timezone": "Sao Hỏa/Olympus"}, "timezone", "múi giờ không tồn tại"),
    ({"title": "   "}, "title", "Không được để trống"),
    ({"prediction": "doan"}, "prediction", "Not a valid choice"),
])
def test_bad_settings_are_refused_field_by_field_and_change_nothing(client, contest, changes, field, message):
    login_staff(client)
    before = contest_document(contest)
    response = post(client, "/admin/settings", settings_form(contest, **changes), token_from="/admin/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html
    db.session.expire_all()
    assert contest_document(db.session.get(Contest, contest.id)) == before
    assert audits("contest.settings") == []


def test_settings_that_would_corrupt_a_running_contest_are_refused(client, contest):
    make_questions(contest, 2)
    login_staff(client)
    response = post(client, "/admin/settings", settings_form(contest, timezone="Asia/Bangkok", choices_per_question="5"),
                    token_from="/admin/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Không thể đổi múi giờ khi đã có tuần thi mở" in html
    assert "số phương án khác" in html


def test_rules_are_sanitized_on_save_and_shown_sanitized(client, contest):
    login_staff(client)
    dirty = ('<h2>Thể lệ</h2><p onclick="steal()">Đoạn <strong>đậm</strong> '
             '<a href="javascript:alert(1)">xấu</a> <a href="https://langson.gov.vn">tốt</a></p>'
             '<script>alert(1)</script><img src=x onerror=alert(1)><style>p{}</style><ul><li>một</li></ul>')
    response = post(client, "/admin/settings/rules", {"rules_html": dirty}, token_from="/admin/settings/rules")
    assert response.status_code == 302
    db.session.refresh(contest)
    saved = contest.rules_html
    for gone in ("<script", "onclick", "javascript:", "<img", "onerror", "<style"):
        assert gone not in saved
    for kept in ("<h2>Thể lệ</h2>", "<strong>đậm</strong>", 'href="https://langson.gov.vn"', "<li>một</li>"):
        assert kept in saved
    entry, = audits("contest.rules")
    assert entry.after == {"rules_html": saved}
    public = client.get("/rules").get_data(as_text=True)
    assert "<strong>đậm</strong>" in public and "alert(1)" not in public


def test_the_preview_sanitizes_and_changes_nothing(client, contest):
    login_staff(client)
    response = post(client, "/admin/settings/preview",
                    {"field": "rules_html", "rules_html": "<p>Xin chào</p><script>alert(1)</script>"},
                    token_from="/admin/settings/rules", headers=htmx())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<p>Xin chào</p>" in html and "<script" not in html
    assert staff_audits() == []


def test_announcements_are_sanitized_and_every_change_audited(client, contest):
    login_staff(client)
    new = post(client, "/admin/announcements/new",
               {"title": "Thông báo <b>mới</b>", "body_html": "<p>Nội dung</p><iframe src=//x></iframe>",
                "published": "y"}, token_from="/admin/announcements/new")
    assert new.status_code == 302
    item = db.session.scalar(sa.select(Announcement))
    assert item.body_html == "<p>Nội dung</p>" and item.published_at is not None
    listing = client.get("/admin/announcements").get_data(as_text=True)
    assert "Thông báo &lt;b&gt;mới&lt;/b&gt;" in listing  # the title is plain text, escaped
    post(client, f"/admin/announcements/{item.id}", {"title": "Đã sửa", "body_html": "<p>Nội dung</p>"},
         token_from=f"/admin/announcements/{item.id}")
    post(client, f"/admin/announcements/{item.id}/delete", token_from="/admin/announcements")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert [e.action for e in audits() if e.action.startswith("announcement.")] == [
        "announcement.create", "announcement.update", "announcement.delete"]
    assert audits("announcement.update")[0].after["published_at"] is None  # unticked: unpublished


def test_a_round_window_is_editable_until_it_opens(client, contest):
    login_staff(client)
    # Round 2 (opens Monday 10/07) has not opened on Wednesday 05/07: it can move.
    moved = post(client, "/admin/settings/rounds/2", {"title": "Tuần 2", "opens_at": "2023-07-10T09:00",
                                                      "closes_at": "2023-07-16T18:00"},
                 token_from="/admin/settings/rounds/2")
    assert moved.status_code == 302
    db.session.refresh(contest)
    assert contest.round_by_number(2).opens_at == datetime(2023, 7, 10, 2, 0, tzinfo=UTC)
    # Round 1 is open: its window is locked, its title is not.
    locked = post(client, "/admin/settings/rounds/1", {"title": "Tuần mở đầu", "opens_at": "2023-07-03T09:00",
                                                       "closes_at": "2023-07-09T17:00"},
                  token_from="/admin/settings/rounds/1")
    assert locked.status_code == 400 and "Tuần thi đã mở" in locked.get_data(as_text=True)
    renamed = post(client, "/admin/settings/rounds/1", {"title": "Tuần mở đầu", "opens_at": "2023-07-03T08:00",
                                                        "closes_at": "2023-07-09T17:00"},
                   token_from="/admin/settings/rounds/1")
    assert renamed.status_code == 302
    db.session.refresh(contest)
    assert contest.round_by_number(1).title == "Tuần mở đầu"
    overlap = post(client, "/admin/settings/rounds/2", {"title": "", "opens_at": "2023-07-09T08:00",
                                                        "closes_at": "2023-07-16T17:00"},
                   token_from="/admin/settings/rounds/2")
    assert overlap.status_code == 400 and "chồng lấn" in overlap.get_data(as_text=True)
    backwards = post(client, "/admin/settings/rounds/2", {"title": "", "opens_at": "2023-07-12T08:00",
                                                          "closes_at": "2023-07-11T17:00"},
                     token_from="/admin/settings/rounds/2")
    assert backwards.status_code == 400 and "phải sau opens_at" in backwards.get_data(as_text=True)
    assert [e.action for e in audits() if e.action.startswith("round.")] == ["round.update", "round.update"]


def test_rounds_can_be_added_and_an_unopened_empty_round_deleted(client, contest):
    login_staff(client)
    added = post(client, "/admin/settings/rounds/new", {"title": "", "opens_at": "2023-07-17T08:00",
                                                        "closes_at": "2023-07-23T17:00"},
                 token_from="/admin/settings/rounds/new")
    assert added.status_code == 302
    db.session.refresh(contest)
    assert [r.number for r in contest.rounds] == [1, 2, 3]
    post(client, "/admin/settings/rounds/3/delete", token_from="/admin/settings/rounds")
    post(client, "/admin/settings/rounds/1/delete", token_from="/admin/settings/rounds")  # open: refused
    db.session.expire_all()
    assert [r.number for r in db.session.get(Contest, contest.id).rounds] == [1, 2]
    assert [e.action for e in audits() if e.action.startswith("round.")] == ["round.create", "round.delete"]


def test_prizes_are_edited_in_place_and_checked(client, contest):
    login_staff(client)
    tier_ids = [t.id for t in contest.tiers("individual")]
    form = {"individual-0-name": "Giải Nhất", "individual-0-count": "1", "individual-0-amount": "3000000",
            "individual-1-name": "Giải Nhì", "individual-1-count": "2", "individual-1-amount": "2000000",
            "individual-2-name": "Giải Ba", "individual-2-count": "3", "individual-2-amount": "1000000",
            "individual-3-name": "", "individual-3-count": "", "individual-3-amount": "",
            "collective-0-name": "Giải Nhất", "collective-0-count": "1", "collective-0-amount": "5000000"}
    assert post(client, "/admin/settings/prizes", form, token_from="/admin/settings/prizes").status_code == 302
    db.session.refresh(contest)
    tiers = contest.tiers("individual")
    assert [(t.name, t.count, t.amount) for t in tiers] == [
        ("Giải Nhất", 1, 3_000_000), ("Giải Nhì", 2, 2_000_000), ("Giải Ba", 3, 1_000_000)]
    assert [t.id for t in tiers][:2] == tier_ids  # kept in place
    zero = post(client, "/admin/settings/prizes", dict(form, **{"individual-1-count": "0"}),
                token_from="/admin/settings/prizes")
    assert zero.status_code == 400 and "Từ 1 đến 10.000" in zero.get_data(as_text=True)
    # A row with a count but no name: the contest file's validator speaks, on that row.
    unnamed = post(client, "/admin/settings/prizes", dict(form, **{"individual-2-name": ""}),
                   token_from="/admin/settings/prizes")
    html = unnamed.get_data(as_text=True)
    assert unnamed.status_code == 400 and "không được để trống" in html
    assert html.index("không được để trống") > html.index('id="individual-2-name"')
    assert len(audits("contest.prizes")) == 1
