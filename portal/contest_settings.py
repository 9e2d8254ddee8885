"""Editing a live contest's settings, rounds, prizes and rules. Every edit is checked by
the contest-file validator itself: the contest is written out as the dict a contest file
would hold, the edit applied to it, and validate_contest() asked. Then the edit is saved
with its audit entry, in one transaction."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal import audit, clock
from portal.contest_file import SCALARS, ContestFileError, sanitize_html, validate_contest
from portal.extensions import db
from portal.models import Attempt, Choice, Contest, PrizeTier, Question, Round
from portal.results import results_changed

SETTING_KEYS = [k for k in SCALARS if k != "rules_html"]


class SettingsError(Exception):
    """Problems as (key, message): the key is the contest file's (e.g. "rounds[1].closes_at")."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))
        self.problems = problems


def _local(instant: datetime, tz: str) -> datetime:
    return clock.to_local(instant, tz).replace(tzinfo=None)


def contest_document(contest: Contest) -> dict[str, Any]:
    """The contest as a contest file would state it (rounds in local time)."""
    tz = contest.timezone
    units = []
    for block in contest.blocks:
        for unit in block.units:
            entry = {"block": block.key, "name": unit.name}
            if unit.headcount is not None:
                entry["headcount"] = unit.headcount
            if unit.parent is not None:
                entry["parent"] = unit.parent.name
            units.append(entry)
    data = {key: getattr(contest, key) for key in SCALARS}
    data.update(
        slug=contest.slug, tiebreak=list(contest.tiebreak or []), embed_origins=list(contest.embed_origins or []),
        rounds=[{"number": r.number, "title": r.title, "opens_at": _local(r.opens_at, tz),
                 "closes_at": _local(r.closes_at, tz)} for r in contest.rounds],
        prizes={kind: [{"name": t.name, "count": t.count, "amount": t.amount} for t in contest.tiers(kind)]
                for kind in ("individual", "collective")},
        blocks=[{"key": b.key, "name": b.name} for b in contest.blocks], units=units)
    return data


def check(document: dict, prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """The validator's problems about the edited part only: anything else in the stored
    contest is not this edit's doing and must not block it."""
    try:
        validate_contest(document)
    except ContestFileError as exc:
        found = []
        for problem in exc.problems:
            key, _, message = problem.partition(":")
            if re.match(r"^(%s)\b" % "|".join(map(re.escape, prefixes)), key):
                found.append((key.strip(), message.strip()))
        return found
    return []


def _question_choice_counts(contest: Contest) -> set[int]:
    per_question = (sa.select(sa.func.count(Choice.id).label("n")).join(Question, Question.id == Choice.question_id)
                    .join(Round, Round.id == Question.round_id).where(Round.contest_id == contest.id)
                    .group_by(Choice.question_id).subquery())
    return set(db.session.scalars(sa.select(sa.distinct(per_question.c.n))))


def _live_guards(contest: Contest, values: dict, now: datetime) -> list[tuple[str, str]]:
    """Settings that cannot change under a running contest without corrupting it."""
    problems = []
    if values.get("timezone", contest.timezone) != contest.timezone and any(r.opens_at <= now for r in contest.rounds):
        problems.append(("timezone", "Không thể đổi múi giờ khi đã có tuần thi mở: ngày thi của các lượt đã thi sẽ sai."))
    wanted = values.get("choices_per_question", contest.choices_per_question)
    if wanted != contest.choices_per_question and (_question_choice_counts(contest) - {wanted}):
        problems.append(("choices_per_question", "Ngân hàng câu hỏi đã có câu hỏi với số phương án khác; "
                                                 "sửa hoặc xóa các câu đó trước."))
    return problems


def update_settings(contest: Contest, values: dict[str, Any], actor: str, ip: str | None = None) -> dict:
    """Save the scalar settings and the tie-break order; returns {key: [before, after]}
    of what changed (empty: nothing written). Raises SettingsError."""
    document = contest_document(contest)
    document.update(values)
    problems = check(document, (*SETTING_KEYS, "tiebreak")) + _live_guards(contest, values, clock.now())
    if problems:
        raise SettingsError(problems)
    changed = {k: [getattr(contest, k), v] for k, v in values.items() if getattr(contest, k) != v}
    if not changed:
        return {}
    for key, (_, value) in changed.items():
        setattr(contest, key, value)
    audit.record(actor, "contest.settings", contest, before={k: b for k, (b, _) in changed.items()},
                 after={k: a for k, (_, a) in changed.items()}, ip=ip)
    db.session.commit()
    results_changed(contest)
    return changed


def update_rules(contest: Contest, html: str, actor: str, ip: str | None = None) -> bool:
    """The rules page (Thể lệ), sanitized on save. False when nothing changed."""
    clean = sanitize_html(html or "")
    if clean == contest.rules_html:
        return False
    before = contest.rules_html
    contest.rules_html = clean
    audit.record(actor, "contest.rules", contest, before={"rules_html": before}, after={"rules_html": clean}, ip=ip)
    db.session.commit()
    return True


def _round_state(round_: Round) -> dict:
    return {"number": round_.number, "title": round_.title, "opens_at": round_.opens_at.isoformat(),
            "closes_at": round_.closes_at.isoformat()}


def _round_problems(contest: Contest, rounds: list[dict], now: datetime, new_opens: datetime | None,
                    index: int) -> list[tuple[str, str]]:
    document = contest_document(contest)
    document["rounds"] = rounds
    problems = check(document, ("rounds",))
    if new_opens is not None and clock.local_to_utc(new_opens, contest.timezone) <= now:
        problems.append((f"rounds[{index}].opens_at", "Thời điểm mở phải ở tương lai."))
    return problems


def update_round(round_: Round, title: str, opens_local: datetime, closes_local: datetime, actor: str,
                 ip: str | None = None) -> bool:
    """Rename a round any time; move its window only until it opens. Times are the
    contest's local wall-clock times. False when nothing changed."""
    contest, now, tz = round_.contest, clock.now(), round_.contest.timezone
    opens, closes = clock.local_to_utc(opens_local, tz), clock.local_to_utc(closes_local, tz)
    moved = (opens, closes) != (round_.opens_at, round_.closes_at)
    if moved and round_.opens_at <= now:
        raise SettingsError([("rounds", "Tuần thi đã mở: không thể đổi thời gian mở và đóng.")])
    index = contest.rounds.index(round_)
    rounds = contest_document(contest)["rounds"]
    rounds[index].update(title=title, opens_at=opens_local, closes_at=closes_local)
    problems = _round_problems(contest, rounds, now, opens_local if moved else None, index)
    if problems:
        raise SettingsError(problems)
    before = _round_state(round_)
    round_.title, round_.opens_at, round_.closes_at = title or f"Tuần {round_.number}", opens, closes
    after = _round_state(round_)
    if after == before:
        return False
    audit.record(actor, "round.update", round_, before=before, after=after, ip=ip)
    db.session.commit()
    results_changed(contest)
    return True


def add_round(contest: Contest, title: str, opens_local: datetime, closes_local: datetime, actor: str,
              ip: str | None = None) -> Round:
    number = max((r.number for r in contest.rounds), default=0) + 1
    rounds = contest_document(contest)["rounds"]
    rounds.append({"number": number, "title": title, "opens_at": opens_local, "closes_at": closes_local})
    problems = _round_problems(contest, rounds, clock.now(), opens_local, len(rounds) - 1)
    if problems:
        raise SettingsError(problems)
    round_ = Round(number=number, title=title or f"Tuần {number}",
                   opens_at=clock.local_to_utc(opens_local, contest.timezone),
                   closes_at=clock.local_to_utc(closes_local, contest.timezone))
    contest.rounds.append(round_)
    db.session.flush()
    audit.record(actor, "round.create", round_, after=_round_state(round_), ip=ip)
    db.session.commit()
    results_changed(contest)
    return round_


def delete_round(round_: Round, actor: str, ip: str | None = None) -> None:
    """Only a round that has not opened and has no questions yet."""
    contest = round_.contest
    if round_.opens_at <= clock.now():
        raise SettingsError([("rounds", "Tuần thi đã mở, không thể xóa.")])
    used = db.session.scalar(sa.select(sa.func.count()).select_from(Question).where(Question.round_id == round_.id))
    used += db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.round_id == round_.id))
    if used:
        raise SettingsError([("rounds", "Tuần thi đã có câu hỏi: xóa hoặc chuyển các câu hỏi trước.")])
    before = _round_state(round_)
    audit.record(actor, "round.delete", round_, before=before, ip=ip)
    contest.rounds.remove(round_)
    db.session.commit()
    results_changed(contest)


def update_prizes(contest: Contest, tiers: dict[str, list[dict]], actor: str, ip: str | None = None) -> bool:
    """Replace the prize tiers (kept in place by position, so awards already given keep
    pointing at their tier). False when nothing changed."""
    document = contest_document(contest)
    before = document["prizes"]
    document["prizes"] = tiers
    problems = check(document, ("prizes",))
    if problems:
        raise SettingsError(problems)
    if tiers == before:
        return False
    for kind, wanted in tiers.items():
        held = {t.position: t for t in contest.tiers(kind)}
        for position, data in enumerate(wanted, start=1):
            tier = held.pop(position, None)
            if tier is None:
                contest.prize_tiers.append(PrizeTier(kind=kind, position=position, **data))
            else:
                tier.name, tier.count, tier.amount = data["name"], data["count"], data["amount"]
        for tier in held.values():
            contest.prize_tiers.remove(tier)
    audit.record(actor, "contest.prizes", contest, before=before, after=tiers, ip=ip)
    db.session.commit()
    return True
