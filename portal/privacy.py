"""Personal data: what a contestant can download, deletion by anonymizing (the ranking
keeps its rows, the person's identity goes), and the retention purge."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.extensions import db
from portal.models import Attempt, Contest, Contestant, DataRequest


def export_data(person: Contestant) -> dict:
    """Everything the portal holds about one contestant, as plain JSON values."""
    tz = person.contest.timezone
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.contestant_id == person.id).order_by(Attempt.id))
    return {
        "contest": person.contest.title,
        "account": {
            "full_name": person.full_name, "phone": person.phone, "birth_year": person.birth_year,
            "unit": person.unit.name, "email": person.email, "id_number": person.id_number,
            "registered_at": person.created_at.isoformat(), "came_from_site": person.source,
            "status": person.status,
        },
        "consents": {
            "processing": {"given_at": person.consent_at.isoformat(), "text_version": person.consent_version},
            "public_leaderboards": {"given": person.public_consent,
                                    "given_at": person.public_consent_at.isoformat() if person.public_consent_at else None},
            "guardian_confirmed": person.guardian_confirmed,
        },
        "attempts": [{
            "round": a.round.number, "local_day": a.local_day.isoformat(), "started_at": a.started_at.isoformat(),
            "closed_at": a.submitted_at.isoformat() if a.submitted_at else None, "status": a.status,
            "score": a.score, "duration_ms": a.duration_ms, "prediction": a.prediction,
            "answers": [{"position": i.position, "question": i.question.text,
                         "chosen": i.chosen_choice.text if i.chosen_choice else None,
                         "answered_at": i.answered_at.isoformat() if i.answered_at else None} for i in a.items],
        } for a in attempts],
        "timezone": tz,
        "exported_at": clock.now().isoformat(),
    }


def open_request(person: Contestant) -> DataRequest | None:
    return db.session.scalar(sa.select(DataRequest).where(
        DataRequest.contestant_id == person.id, DataRequest.closed_at.is_(None)))


def request_deletion(person: Contestant) -> DataRequest:
    existing = open_request(person)
    if existing is not None:
        return existing
    request = DataRequest(contestant_id=person.id, kind="delete")
    db.session.add(request)
    db.session.flush()
    audit.record(f"contestant:{person.id}", "privacy.delete_requested", request)
    db.session.commit()
    return request


def anonymize(person: Contestant) -> None:
    """Identity goes, attempts stay (so published rankings remain verifiable)."""
    person.full_name = f"Thí sinh #{person.id}"
    person.phone = f"x{person.id}"[:16]
    person.email = None
    person.id_number = None
    person.birth_year = 0
    person.public_consent = False
    person.set_password(secrets.token_urlsafe(32))
    person.status = "closed"
    person.anonymized_at = clock.now()


def close_request(request: DataRequest, actor: str, note: str = "") -> None:
    person = db.session.get(Contestant, request.contestant_id)
    if person.anonymized_at is None:
        anonymize(person)
    request.closed_at, request.closed_by, request.note = clock.now(), actor, note[:500]
    audit.record(actor, "privacy.anonymized", person, after={"request": request.id})
    db.session.commit()


def purge_due(contest: Contest, now: datetime | None = None) -> int:
    """Anonymize every contestant once the contest ended `retention_days` ago."""
    now = now or clock.now()
    ends = contest.ends_at
    if ends is None or now < ends + timedelta(days=contest.retention_days):
        return 0
    people = list(db.session.scalars(sa.select(Contestant).where(
        Contestant.contest_id == contest.id, Contestant.anonymized_at.is_(None))))
    for person in people:
        anonymize(person)
    if people:
        audit.record("cli:privacy-purge", "privacy.purge", contest, after={"anonymized": len(people)})
    db.session.commit()
    return len(people)
