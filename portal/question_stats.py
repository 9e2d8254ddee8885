"""A round's per-question statistics computed in the database (GROUP BY over the drawn
items of closed attempts), then summarized by the pure rules of portal/item_stats.py."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa

from portal import item_stats
from portal.extensions import db
from portal.models import Attempt, AttemptItem, Choice, Question, Round
from portal.stats import CLOSED


@dataclass(frozen=True)
class RoundItemStats:
    attempts: int  # closed attempts of the round
    group_size: int  # attempts in each of the upper and lower groups
    items: dict[int, item_stats.ItemStats]


def _score():
    # An expired attempt that saved nothing may have no score: it scored nothing.
    return sa.func.coalesce(Attempt.score, 0)


def _closed(round_: Round):
    return sa.and_(Attempt.round_id == round_.id, Attempt.status.in_(CLOSED))


def _edge(round_: Round, k: int, best_first: bool) -> tuple[int, int] | None:
    """(score, id) of the k-th attempt from the top (best_first) or from the bottom, in
    the order item_stats.split_groups uses: score descending, then id ascending."""
    order = (_score().desc(), Attempt.id.asc()) if best_first else (_score().asc(), Attempt.id.desc())
    row = db.session.execute(sa.select(_score(), Attempt.id).where(_closed(round_))
                             .order_by(*order).offset(k - 1).limit(1)).first()
    return (row[0], row[1]) if row else None


def _group_conditions(round_: Round, k: int):
    """SQL conditions for "in the upper group" and "in the lower group"."""
    if not k:
        return sa.false(), sa.false()
    top, bottom = _edge(round_, k, True), _edge(round_, k, False)
    score = _score()
    upper = sa.or_(score > top[0], sa.and_(score == top[0], Attempt.id <= top[1]))
    lower = sa.or_(score < bottom[0], sa.and_(score == bottom[0], Attempt.id >= bottom[1]))
    return upper, lower


def _tallies(round_: Round, upper, lower) -> list[item_stats.Tally]:
    as_int = lambda condition: sa.func.sum(sa.case((condition, 1), else_=0))  # noqa: E731
    rows = db.session.execute(
        sa.select(AttemptItem.question_id, AttemptItem.chosen_choice_id, sa.func.count(),
                  as_int(upper), as_int(lower))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(_closed(round_))
        .group_by(AttemptItem.question_id, AttemptItem.chosen_choice_id))
    return [item_stats.Tally(q, c, n, int(u or 0), int(lo or 0)) for q, c, n, u, lo in rows]


def correct_choices(round_: Round) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(Choice.question_id, Choice.id).join(Question, Question.id == Choice.question_id)
        .where(Question.round_id == round_.id, Choice.is_correct.is_(True))).all())


def round_item_stats(round_: Round, min_sample: int = item_stats.MIN_SAMPLE) -> RoundItemStats:
    attempts = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(_closed(round_))) or 0
    k = item_stats.group_size(attempts)
    upper, lower = _group_conditions(round_, k)
    correct = correct_choices(round_)
    counts = item_stats.count_items(_tallies(round_, upper, lower), correct)
    return RoundItemStats(attempts, k, {q: item_stats.summarize(c, correct.get(q), min_sample)
                                        for q, c in counts.items()})


def as_plain(stats: RoundItemStats) -> dict:
    """JSON-safe form (for the shared cache): int keys become strings."""
    return {"attempts": stats.attempts, "group_size": stats.group_size,
            "items": {str(q): {**asdict(s), "choice_shares": {str(k): v for k, v in s.choice_shares.items()},
                               "flags": list(s.flags)}
                      for q, s in stats.items.items()}}


def from_plain(data: dict) -> RoundItemStats:
    items = {}
    for q, s in data["items"].items():
        s = dict(s, choice_shares={int(k): v for k, v in s["choice_shares"].items()}, flags=tuple(s["flags"]))
        items[int(q)] = item_stats.ItemStats(**s)
    return RoundItemStats(data["attempts"], data["group_size"], items)
