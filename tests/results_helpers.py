"""Building contestants and closed attempts directly, for the results tests."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal import clock, stats
from portal.extensions import db
from portal.models import Attempt, Contest, Contestant, Round, Staff, Unit

_phones = itertools.count(1)

# Round 1 of tests.factories.make_contest closes Sunday 09/07/2023 17:00 local.
AFTER_ROUND_1 = datetime(2023, 7, 9, 12, 0, tzinfo=UTC)  # 19:00 local
AFTER_ROUND_2 = datetime(2023, 7, 16, 12, 0, tzinfo=UTC)


def unit_named(contest: Contest, name: str) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.contest_id == contest.id, Unit.name == name))


def add_contestant(contest: Contest, name: str = "Nguyễn Văn An", *, unit: Unit | str | None = None,
                   status: str = "active", public_consent: bool = True, phone: str | None = None,
                   anonymized: bool = False) -> Contestant:
    if isinstance(unit, str):
        unit = unit_named(contest, unit)
    unit = unit or db.session.scalar(sa.select(Unit).where(Unit.contest_id == contest.id).order_by(Unit.id))
    person = Contestant(contest_id=contest.id, full_name=name, phone=phone or f"09{next(_phones):08d}",
                        password_hash="-", birth_year=1990, unit_id=unit.id, status=status,
                        public_consent=public_consent,
                        anonymized_at=clock.now() if anonymized else None)
    db.session.add(person)
    db.session.flush()
    return person


def add_attempt(person: Contestant, round_: Round, score: int | None, duration_ms: int | None = 300_000,
                prediction: int | None = None, *, status: str = "submitted", day: int = 0,
                seq: int = 1, started: datetime | None = None) -> Attempt:
    """An attempt on the round's day `day` (0 = opening day), started at 09:00 local unless
    `started` is given; closed attempts close after their duration (expired: at the deadline)."""
    contest = round_.contest
    local_day = clock.local_day(round_.opens_at, contest.timezone) + timedelta(days=day)
    started = started or clock.local_to_utc(datetime.combine(local_day, datetime.min.time()).replace(hour=9),
                                            contest.timezone) + timedelta(minutes=seq)
    limit = timedelta(seconds=contest.time_limit_seconds)
    deadline = started + limit
    closed_at = None
    if status == "submitted":
        closed_at = started + timedelta(milliseconds=duration_ms or 0)
    elif status == "expired":
        closed_at, duration_ms = deadline, contest.time_limit_seconds * 1000
    attempt = Attempt(contestant_id=person.id, round_id=round_.id, local_day=clock.local_day(started, contest.timezone),
                      day_seq=seq, started_at=started, deadline_at=deadline, submitted_at=closed_at,
                      status=status, score=None if status == "in_progress" else score,
                      duration_ms=None if status == "in_progress" else duration_ms, prediction=prediction)
    db.session.add(attempt)
    db.session.flush()
    stats.recount([round_.id])  # as seeding does: written directly, not closed through the quiz
    return attempt


def add_staff(username: str = "bantochuc", role: str = "admin", password: str = "mat-khau-dai-1") -> Staff:
    staff = Staff(username=username, role=role)
    staff.set_password(password)
    db.session.add(staff)
    db.session.commit()
    return staff


def round_no(contest: Contest, number: int) -> Round:
    return contest.round_by_number(number)
