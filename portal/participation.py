"""Participation figures for the moderators' dashboard: participants and closed attempts
per block and per unit (today, this round, the whole contest), attempts per local day and
a round's score distribution. Aggregated in the database; plain values out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.models import Attempt, Block, Contest, Contestant, Round, Unit
from portal.stats import CLOSED

PERIODS = {"today": "Hôm nay", "round": "Tuần thi hiện tại", "contest": "Toàn cuộc thi"}


@dataclass
class Figures:
    participants: int = 0
    attempts: int = 0


@dataclass
class BlockFigures:
    id: int
    name: str
    participants: int = 0
    attempts: int = 0
    units: list[dict] = field(default_factory=list)  # {"id", "name", "participants", "attempts"}


def _unit_rows(round_ids: list[int], day: date | None) -> dict[int, tuple[int, int]]:
    if not round_ids:
        return {}
    query = (sa.select(Contestant.unit_id, sa.func.count(sa.distinct(Attempt.contestant_id)), sa.func.count(Attempt.id))
             .join(Contestant, Contestant.id == Attempt.contestant_id)
             .where(Attempt.round_id.in_(round_ids), Attempt.status.in_(CLOSED))
             .group_by(Contestant.unit_id))
    if day is not None:
        query = query.where(Attempt.local_day == day)
    return {unit_id: (people, attempts) for unit_id, people, attempts in db.session.execute(query)}


def period_rounds(contest: Contest, period: str, current: Round | None) -> list[int]:
    if period == "round":
        return [current.id] if current is not None else []
    return [r.id for r in contest.rounds]


def by_block(contest: Contest, period: str, current: Round | None, now: datetime | None = None) -> dict:
    """{"total": Figures, "blocks": [BlockFigures]} for the period. A contestant belongs to
    one unit, so the distinct participants of a block are the sum over its units."""
    now = now or clock.now()
    day = clock.local_day(now, contest.timezone) if period == "today" else None
    rows = _unit_rows(period_rounds(contest, period, current), day)
    blocks = db.session.scalars(sa.select(Block).where(Block.contest_id == contest.id).order_by(Block.position)).all()
    units = db.session.execute(sa.select(Unit.id, Unit.name, Unit.block_id, Unit.active)
                               .where(Unit.contest_id == contest.id).order_by(Unit.position, Unit.name)).all()
    out = {b.id: BlockFigures(b.id, b.name) for b in blocks}
    total = Figures()
    for unit in units:
        people, attempts = rows.get(unit.id, (0, 0))
        if not unit.active and not attempts:
            continue
        block = out[unit.block_id]
        block.units.append({"id": unit.id, "name": unit.name, "participants": people, "attempts": attempts})
        block.participants += people
        block.attempts += attempts
        total.participants += people
        total.attempts += attempts
    return {"total": total, "blocks": list(out.values())}


def contest_days(contest: Contest, now: datetime) -> list[date]:
    """Local days from the first round's opening to today or the last close, whichever is first."""
    if not contest.rounds:
        return []
    first = clock.local_day(min(r.opens_at for r in contest.rounds), contest.timezone)
    last_instant = min(now, contest.ends_at)
    last = clock.local_day(last_instant, contest.timezone)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def attempts_per_day(contest: Contest, now: datetime | None = None) -> list[dict]:
    """[{"day", "attempts", "participants"}] for every day of the contest so far (zeros kept)."""
    now = now or clock.now()
    round_ids = [r.id for r in contest.rounds]
    rows = {}
    if round_ids:
        # With one attempt a day (the unique key allows no second one) people = attempts:
        # the costly DISTINCT is only needed when several attempts a day are allowed.
        people = sa.func.count() if contest.attempts_per_day == 1 else sa.func.count(sa.distinct(Attempt.contestant_id))
        rows = {d: (n, p) for d, n, p in db.session.execute(
            sa.select(Attempt.local_day, sa.func.count(), people)
            .where(Attempt.round_id.in_(round_ids), Attempt.status.in_(CLOSED))
            .group_by(Attempt.local_day))}
    return [{"day": d, "attempts": rows.get(d, (0, 0))[0], "participants": rows.get(d, (0, 0))[1]}
            for d in contest_days(contest, now)]


def score_distribution(round_: Round, questions: int) -> list[dict]:
    """[{"score", "attempts"}] for every score 0..questions among the round's closed attempts."""
    rows: dict[int, int] = {}
    for score, count in db.session.execute(
            sa.select(Attempt.score, sa.func.count()).where(Attempt.round_id == round_.id, Attempt.status.in_(CLOSED))
            .group_by(Attempt.score)):
        rows[score or 0] = rows.get(score or 0, 0) + count  # an expired attempt with no score scored 0
    top = max([questions, *rows]) if rows else questions
    return [{"score": s, "attempts": rows.get(s, 0)} for s in range(top + 1)]


def in_progress(contest: Contest) -> int:
    round_ids = [r.id for r in contest.rounds]
    if not round_ids:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(
        Attempt.round_id.in_(round_ids), Attempt.status == "in_progress")) or 0


def registrations(contest: Contest) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contestant)
                             .where(Contestant.contest_id == contest.id)) or 0
