"""Create or update a contest from a validated contest file, all in one transaction."""
from __future__ import annotations

import sqlalchemy as sa

from portal import audit
from portal.contest_file import SCALARS, ContestFileError, ContestSpec
from portal.extensions import db
from portal.models import Attempt, Block, Contest, PrizeTier, Question, Round, Unit


def _sync_rounds(contest: Contest, spec: ContestSpec, problems: list[str]) -> None:
    wanted = {r["number"]: r for r in spec.rounds}
    for rnd in list(contest.rounds):
        if rnd.number in wanted:
            continue
        used = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.round_id == rnd.id))
        has_questions = db.session.scalar(sa.select(sa.func.count()).select_from(Question).where(Question.round_id == rnd.id))
        if used or has_questions:
            problems.append(f"rounds: tuần {rnd.number} đã có câu hỏi hoặc lượt thi, không thể bỏ khỏi tệp")
        else:
            contest.rounds.remove(rnd)
    existing = {r.number: r for r in contest.rounds}
    for number, data in sorted(wanted.items()):
        rnd = existing.get(number) or Round(number=number)
        rnd.title = data["title"] or f"Tuần {number}"
        rnd.opens_at, rnd.closes_at = data["opens_at"], data["closes_at"]
        if number not in existing:
            contest.rounds.append(rnd)


def _sync_blocks_units(contest: Contest, spec: ContestSpec) -> None:
    blocks = {b.key: b for b in contest.blocks}
    for position, data in enumerate(spec.blocks):
        block = blocks.get(data["key"]) or Block(key=data["key"])
        block.name, block.position = data["name"], position
        if data["key"] not in blocks:
            contest.blocks.append(block)
            blocks[block.key] = block
    db.session.flush()
    units = {u.name: u for u in db.session.scalars(sa.select(Unit).where(Unit.contest_id == contest.id))}
    listed = set()
    for position, data in enumerate(spec.units):
        unit = units.get(data["name"]) or Unit(contest_id=contest.id, name=data["name"])
        unit.block_id = blocks[data["block"]].id
        unit.headcount, unit.position, unit.active = data["headcount"], position, True
        db.session.add(unit)
        units[unit.name] = unit
        listed.add(unit.name)
    db.session.flush()
    for data in spec.units:
        units[data["name"]].parent_id = units[data["parent"]].id if data["parent"] else None
    for name, unit in units.items():
        if name not in listed:
            unit.active = False  # kept: contestants may belong to it


def _sync_prizes(contest: Contest, spec: ContestSpec) -> None:
    for tier in list(contest.prize_tiers):
        contest.prize_tiers.remove(tier)
    db.session.flush()
    for kind, tiers in spec.prizes.items():
        for position, data in enumerate(tiers, start=1):
            contest.prize_tiers.append(PrizeTier(kind=kind, position=position, **data))


def apply_contest_spec(spec: ContestSpec, actor: str) -> tuple[Contest, bool]:
    """Create or update; on any problem nothing is written (raises ContestFileError)."""
    contest = db.session.scalar(sa.select(Contest).where(Contest.slug == spec.slug))
    created = contest is None
    before = None if created else contest_summary(contest)
    if created:
        contest = Contest(slug=spec.slug)
        db.session.add(contest)
    for key, value in spec.settings.items():
        setattr(contest, key, value)
    contest.tiebreak, contest.embed_origins = spec.tiebreak, spec.embed_origins
    db.session.flush()
    problems: list[str] = []
    try:
        _sync_rounds(contest, spec, problems)
        _sync_blocks_units(contest, spec)
        _sync_prizes(contest, spec)
        if problems:
            raise ContestFileError(problems)
        db.session.flush()
        after = contest_summary(contest)
        if after != before:
            audit.record(actor, "contest.create" if created else "contest.update", contest,
                         before=before, after=after)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return contest, created


def contest_summary(contest: Contest) -> dict:
    """The settings of a contest as plain values (audit before/after, exports)."""
    data = {key: getattr(contest, key) for key in SCALARS}
    data.update(slug=contest.slug, tiebreak=list(contest.tiebreak or []),
                embed_origins=list(contest.embed_origins or []),
                rounds=[[r.number, r.opens_at.isoformat(), r.closes_at.isoformat()] for r in contest.rounds])
    data.pop("rules_html", None)
    return data

