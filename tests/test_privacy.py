"""Personal data: consents stored with time and version, self-service download and deletion,
anonymization that keeps attempts, the retention purge, masking, the privacy notice."""
import json
from datetime import UTC, datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.formatting import mask_id_number, mask_phone
from portal.models import Attempt, AuditEntry, Contestant, DataRequest
from portal.privacy import close_request
from tests import quiz_helpers as qh
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions


def registered(client, **extra):
    contest = make_contest()
    make_questions(contest, per_round=12)
    assert qh.register(client, contest.blocks[0].units[0].id, **extra).status_code == 302
    return contest, db.session.scalar(sa.select(Contestant))


def test_consents_are_separate_and_recorded_with_time_and_version(client, ctx, clock):
    _, person = registered(client, public_consent="y")
    assert person.consent_at == clock.current and person.consent_version
    assert person.public_consent and person.public_consent_at == clock.current


def test_declining_public_listing_is_the_default(client, ctx, clock):
    _, person = registered(client)
    assert person.public_consent is False and person.public_consent_at is None
    html = client.get("/me").get_data(as_text=True)
    assert f"Thí sinh #{person.id}" in html


def test_download_my_data(client, ctx, clock):
    _, person = registered(client)
    attempt_id = qh.attempt_id_of(qh.start(client))
    qh.submit(client, attempt_id)
    response = client.get("/me/data.json")
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["phone"] == "0912345678" and data["account"]["full_name"] == "Nguyễn Thị Hà"
    assert data["consents"]["processing"]["text_version"] == person.consent_version
    assert len(data["attempts"]) == 1 and len(data["attempts"][0]["answers"]) == 10


def test_deletion_request_then_anonymization_keeps_attempts(client, ctx, clock):
    _, person = registered(client)
    attempt_id = qh.attempt_id_of(qh.start(client))
    qh.submit(client, attempt_id)
    without_confirm = client.post("/me/delete", data={"csrf_token": csrf_token(client)})
    assert without_confirm.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataRequest)) == 0
    client.post("/me/delete", data={"csrf_token": csrf_token(client), "confirm": "yes"})
    request = db.session.scalar(sa.select(DataRequest))
    assert request is not None and request.closed_at is None
    close_request(request, "staff:bantochuc")
    db.session.expire_all()
    person = db.session.get(Contestant, person.id)
    assert person.full_name == f"Thí sinh #{person.id}" and person.phone != "0912345678"
    assert person.anonymized_at is not None and person.status == "closed"
    assert db.session.get(Attempt, attempt_id).score is not None  # the ranking keeps its row
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"privacy.delete_requested", "privacy.anonymized"} <= actions
    # Identity gone: the old credentials no longer log in.
    assert qh.login(client.application.test_client()).status_code == 401


def test_retention_purge_after_the_contest(client, runner, ctx, clock):
    contest, person = registered(client)
    contest.retention_days = 30
    db.session.commit()
    clock.set(datetime(2023, 8, 10, tzinfo=UTC))  # 25 days after the last round closed
    assert "ẩn danh" not in runner.invoke(args=["privacy", "purge"]).output
    clock.set(datetime(2023, 8, 16, 12, tzinfo=UTC))
    output = runner.invoke(args=["privacy", "purge"]).output
    assert "đã ẩn danh 1 thí sinh" in output
    db.session.expire_all()
    assert db.session.get(Contestant, person.id).anonymized_at is not None


def test_id_number_only_when_the_contest_asks_and_then_validated(client, ctx, clock):
    contest = make_contest()
    unit = contest.blocks[0].units[0].id
    response = qh.register(client, unit, id_number="012345678901")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Contestant.id_number)) is None  # not asked: not stored
    contest.ask_id_number = True
    db.session.commit()
    other = client.application.test_client()
    assert qh.register(other, unit, phone="0987000001", id_number="12345").status_code == 422
    assert qh.register(other, unit, phone="0987000001", id_number="012345678901").status_code == 302
    page = other.get("/me").get_data(as_text=True)
    assert "********8901" in page and "012345678901" not in page


def test_masks():
    assert mask_phone("0912345678") == "091****678"
    assert mask_id_number("012345678901") == "********8901"


def test_privacy_notice_in_vietnamese(client, ctx, clock):
    make_contest()
    html = client.get("/privacy").get_data(as_text=True)
    assert "91/2025/QH15" in html and "Quyền của bạn" in html


def test_moderator_sees_and_closes_deletion_requests(client, app, ctx, clock):
    from tests.admin_helpers import login_staff

    _, person = registered(client)
    client.post("/me/delete", data={"csrf_token": csrf_token(client), "confirm": "yes"})
    moderator = app.test_client()
    login_staff(moderator)
    page = moderator.get("/admin/privacy-requests").get_data(as_text=True)
    assert "Đang chờ" in page and "091****678" in page
    request = db.session.scalar(sa.select(DataRequest))
    response = moderator.post(f"/admin/privacy-requests/{request.id}/close",
                              data={"csrf_token": csrf_token(moderator, "/admin/privacy-requests"), "note": "đã xác minh"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Contestant, person.id).anonymized_at is not None
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "privacy.anonymized")).actor == "staff:bantochuc"
