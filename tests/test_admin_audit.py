"""Nothing in the admin view changes data without an audit entry: each action below is
run through the real forms, and the database is compared before and after it. A change
must come with exactly one new entry (who, what, the target); a refused action changes
nothing and writes nothing. Then the audit log page lists and filters them."""
from __future__ import annotations

import hashlib
import io
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEntry, Contestant, Question, Staff, Unit
from tests.admin_helpers import htmx, login_staff, post, xlsx_bytes
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions
from tests.results_helpers import AFTER_ROUND_1, add_attempt, add_contestant, round_no


def fingerprint() -> str:
    """Every row of every table but the audit log itself."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entry":
            continue
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def last_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def new_entries(since: int) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)).all()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    """Uploads kept for confirmation go to a temporary directory, not the real instance/."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def contest(ctx, clock):
    contest = make_contest()
    make_questions(contest, 3)
    people = [add_contestant(contest, f"Người {i}", phone=f"09120000{i:02d}") for i in range(4)]
    add_attempt(people[2], round_no(contest, 1), 8, day=0)
    add_attempt(people[3], round_no(contest, 1), 6, day=1)
    db.session.commit()
    return contest


def upload_then_confirm(client, path: str, data: bytes, name: str):
    html = post(client, path, {"file": (io.BytesIO(data), name)}, token_from=path,
                content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)
    digest = re.search(r'id="digest" name="digest" type="hidden" value="([^"]+)"', html).group(1)
    return post(client, f"{path}/confirm", {"token": token, "digest": digest}, token_from=path)


def actions(contest):
    """(expected action, callable(client)) in an order that makes each one possible."""
    people = db.session.scalars(sa.select(Contestant).order_by(Contestant.id)).all()
    question = db.session.scalar(sa.select(Question).order_by(Question.id))
    unit = db.session.scalar(sa.select(Unit).order_by(Unit.id))
    r1 = contest.rounds[0]
    q_form = {"round": str(r1.id), "text": "Câu hỏi mới?", "choice_A": "a", "choice_B": "b", "choice_C": "c",
              "choice_D": "d", "answer": "C", "active": "y"}
    settings = {"title": "Cuộc thi đã đổi tên", "timezone": "Asia/Ho_Chi_Minh", "questions_per_attempt": "10",
                "choices_per_question": "4", "time_limit_seconds": "600", "grace_seconds": "15",
                "attempts_per_day": "1", "prediction": "people", "prediction_max": "10000000",
                "tiebreak": "score,duration,prediction", "collective_criterion": "participants",
                "retention_days": "365", "shuffle_choices": "y", "prizes_in_several_rounds": "y"}
    prizes = {"individual-0-name": "Giải Nhất", "individual-0-count": "1", "individual-0-amount": "4000000",
              "collective-0-name": "Giải Nhất", "collective-0-count": "1", "collective-0-amount": "5000000"}
    units_file = xlsx_bytes([["block", "name", "headcount"], ["district", "Huyện Chi Lăng", 900],
                             ["province", "Sở Y tế", "1.200"]])
    questions_file = xlsx_bytes([["round", "question", "A", "B", "C", "D", "answer"],
                                 [2, "Câu nhập từ tệp?", "a", "b", "c", "d", "D"]])
    return [
        ("contest.settings", lambda c: post(c, "/admin/settings", settings, token_from="/admin/settings")),
        ("contest.rules", lambda c: post(c, "/admin/settings/rules", {"rules_html": "<p>Thể lệ mới</p>"})),
        ("contest.prizes", lambda c: post(c, "/admin/settings/prizes", prizes)),
        ("round.update", lambda c: post(c, "/admin/settings/rounds/2", {"title": "Tuần hai",
                                        "opens_at": "2023-07-10T08:00", "closes_at": "2023-07-16T18:00"})),
        ("round.create", lambda c: post(c, "/admin/settings/rounds/new", {"title": "",
                                        "opens_at": "2023-07-17T08:00", "closes_at": "2023-07-23T17:00"})),
        ("round.delete", lambda c: post(c, "/admin/settings/rounds/3/delete")),
        ("announcement.create", lambda c: post(c, "/admin/announcements/new", {"title": "Tin", "body_html": "<p>x</p>"})),
        ("question.create", lambda c: post(c, "/admin/questions/new", q_form)),
        ("question.update", lambda c: post(c, f"/admin/questions/{question.id}", dict(q_form, text="Câu đã sửa?"))),
        ("question.deactivate", lambda c: post(c, f"/admin/questions/{question.id}/active", {"active": "0"},
                                               headers=htmx())),
        ("questions.import", lambda c: upload_then_confirm(c, "/admin/questions/import", questions_file, "q.xlsx")),
        ("contestant.status", lambda c: post(c, f"/admin/contestants/{people[0].id}/status",
                                             {"status": "ineligible", "reason": "Ban Giám khảo"})),
        ("contestant.password_reset", lambda c: post(c, f"/admin/contestants/{people[1].id}/password")),
        ("contestant.merge", lambda c: post(c, f"/admin/contestants/{people[2].id}/merge",
                                            {"duplicate": f"#{people[3].id}", "confirm": "y"})),
        ("unit.update", lambda c: post(c, f"/admin/units/{unit.id}", {"name": unit.name, "block": str(unit.block_id),
                                                                       "parent": "0", "headcount": "95", "active": "y"})),
        ("unit.create", lambda c: post(c, "/admin/units/new", {"name": "Sở Tư pháp", "block": str(unit.block_id),
                                                               "parent": "0", "headcount": "", "active": "y"})),
        ("block.update", lambda c: post(c, f"/admin/blocks/{unit.block_id}", {"name": "Khối các sở, ngành"})),
        ("units.import", lambda c: upload_then_confirm(c, "/admin/units/import", units_file, "don-vi.xlsx")),
        ("staff.create", lambda c: post(c, "/admin/staff/new", {"username": "thuky", "full_name": "Thư ký",
                                                               "role": "moderator", "password": "mot-mat-khau-dai"})),
        ("staff.update", lambda c: post(c, f"/admin/staff/{staff_id('thuky')}", {"full_name": "Thư ký cuộc thi",
                                                                                 "role": "moderator", "active": "y"})),
        ("staff.password_reset", lambda c: post(c, f"/admin/staff/{staff_id('thuky')}/password")),
        ("contest.embed_origins", lambda c: post(c, "/admin/embed/origins",
                                                 {"origins": "https://*.langson.gov.vn\nhttps://langson.gov.vn"})),
    ]


def staff_id(username: str) -> int:
    return db.session.scalar(sa.select(Staff.id).where(Staff.username == username))


def test_every_admin_action_writes_exactly_one_audit_entry(client, contest):
    login_staff(client, "quantri", role="admin")
    for expected, run in actions(contest):
        before, since = fingerprint(), last_id()
        response = run(client)
        assert response.status_code in (200, 302), f"{expected}: {response.status_code}"
        entries = new_entries(since)
        assert [e.action for e in entries] == [expected], expected
        assert entries[0].actor == "staff:quantri" and entries[0].target_type, expected
        assert fingerprint() != before, f"{expected} wrote an entry but changed nothing"


def test_finalize_and_unfinalize_write_their_entries(client, contest, clock):
    clock.set(AFTER_ROUND_1)
    login_staff(client, "quantri", role="admin")
    for expected, path, data in (("round.finalize", "/admin/results/1/finalize", {}),
                                 ("round.unfinalize", "/admin/results/1/unfinalize", {"reason": "Chấm lại câu 2"})):
        before, since = fingerprint(), last_id()
        post(client, path, data, token_from="/admin/results/1")
        assert [e.action for e in new_entries(since)] == [expected]
        assert fingerprint() != before


def test_refused_actions_change_nothing_and_write_nothing(client, contest):
    login_staff(client, "quantri", role="admin")
    people = db.session.scalars(sa.select(Contestant).order_by(Contestant.id)).all()
    refused = [
        ("/admin/settings", {"title": "", "questions_per_attempt": "0"}),
        ("/admin/settings/rounds/1", {"title": "x", "opens_at": "2023-07-01T08:00", "closes_at": "2023-07-09T17:00"}),
        (f"/admin/contestants/{people[0].id}/status", {"status": "disqualified", "reason": ""}),
        (f"/admin/contestants/{people[0].id}/merge", {"duplicate": f"#{people[0].id}", "confirm": "y"}),
        ("/admin/questions/new", {"round": str(contest.rounds[0].id), "text": "", "answer": "A"}),
        ("/admin/units/new", {"name": "Huyện Hữu Lũng", "block": str(contest.blocks[0].id), "parent": "0"}),
        ("/admin/staff/new", {"username": "quantri", "role": "admin", "password": "mot-mat-khau-dai"}),
        (f"/admin/staff/{staff_id('quantri')}", {"role": "moderator"}),
    ]
    for path, data in refused:
        before, since = fingerprint(), last_id()
        response = post(client, path, data)
        assert response.status_code in (400, 409), f"{path}: {response.status_code}"
        assert new_entries(since) == [] and fingerprint() == before, path


def test_downloads_of_personal_data_and_answer_keys_are_logged(client, contest):
    login_staff(client)
    since = last_id()
    client.get("/admin/questions/export")
    client.get("/admin/results/collective.xlsx")
    assert [e.action for e in new_entries(since)] == ["questions.export", "results.export_collective"]


def test_the_audit_log_lists_filters_and_pages(client, contest):
    login_staff(client, "quantri", role="admin")
    for run in [a for _, a in actions(contest)][:13]:
        run(client)
    for i in range(60):
        db.session.add(AuditEntry(actor="system", action="attempt.expire", target_type="attempt", target_id=str(i)))
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<code>attempt.expire</code>" in html and "Xem thêm" in html
    mine = client.get("/admin/audit?actor=quantri").get_data(as_text=True)
    assert "<code>attempt.expire</code>" not in mine and "<code>contest.settings</code>" in mine
    assert "Cuộc thi thử nghiệm" in mine and "Cuộc thi đã đổi tên" in mine  # before → after
    person = db.session.scalar(sa.select(Contestant).order_by(Contestant.id))
    one = client.get(f"/admin/audit?target=contestant:{person.id}", headers=htmx())
    rows = one.get_data(as_text=True)
    assert "<code>contestant.status</code>" in rows and "<code>contest.settings</code>" not in rows
    assert "<html" not in rows
    assert "HX-Request" in one.headers["Vary"]
    more = re.search(r'hx-get="(/admin/audit\?after=\d+)"', html).group(1)
    page2 = client.get(more, headers=htmx()).get_data(as_text=True)
    assert page2.lstrip().startswith("<tr") and "<code>staff.login</code>" in page2
    by_action = client.get("/admin/audit?action=contestant.password_reset").get_data(as_text=True)
    assert by_action.count("<code>contestant.password_reset</code>") == 1
    dates = client.get("/admin/audit?since=2023-07-06").get_data(as_text=True)
    assert "Không có mục nào khớp" in dates  # the clock stands at 05/07/2023
    assert csrf_token(client, "/admin/audit")
