"""Per-question statistics of a round: how often drawn, how often answered right, each
choice's share and the discrimination index (upper vs lower 27 %). Pure: plain values in,
plain values out; portal/question_stats.py feeds it from the database."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

GROUP_SHARE = 0.27
# Below this many draws a percentage says little; no question is flagged on less.
MIN_SAMPLE = 20
EASY_ABOVE = 0.95
HARD_BELOW = 0.20
WEAK_BELOW = 0.20

FLAG_TEXT = {
    "negative": "Nhóm điểm cao trả lời đúng ít hơn nhóm điểm thấp: kiểm tra lại đáp án.",
    "distractor": "Một phương án sai được chọn nhiều hơn đáp án: kiểm tra đáp án và cách hỏi.",
    "weak": "Phân loại kém (chỉ số phân biệt dưới 0,2).",
    "easy": "Quá dễ: gần như ai cũng trả lời đúng.",
    "hard": "Quá khó: ít người trả lời đúng hơn cả chọn ngẫu nhiên.",
}


@dataclass(frozen=True, slots=True)
class ScoredAttempt:
    attempt_id: int
    score: int


@dataclass(frozen=True, slots=True)
class AnsweredItem:
    """One drawn question of one closed attempt; chosen_choice_id None = left unanswered."""

    attempt_id: int
    question_id: int
    chosen_choice_id: int | None


@dataclass(frozen=True, slots=True)
class Tally:
    """How many draws of a question ended on one choice (None = no answer), overall and in
    the upper and lower groups: the shape a GROUP BY in the database returns."""

    question_id: int
    chosen_choice_id: int | None
    count: int
    upper: int = 0
    lower: int = 0


@dataclass
class ItemCounts:
    question_id: int
    drawn: int = 0
    correct: int = 0
    unanswered: int = 0
    choices: dict[int, int] = field(default_factory=dict)
    upper_drawn: int = 0
    upper_correct: int = 0
    lower_drawn: int = 0
    lower_correct: int = 0


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    drawn: int
    correct: int
    p_correct: float | None
    choice_shares: dict[int, float]  # choice id -> share of draws (0..1)
    unanswered_share: float | None
    p_upper: float | None
    p_lower: float | None
    discrimination: float | None
    flags: tuple[str, ...]


def group_size(attempts: int) -> int:
    """27 % of the attempts, rounded, never more than half (the groups must not overlap)."""
    if attempts < 2:
        return 0
    return max(1, min(int(attempts * GROUP_SHARE + 0.5), attempts // 2))


def split_groups(attempts: Iterable[ScoredAttempt]) -> tuple[set[int], set[int]]:
    """The upper and lower groups' attempt ids. Attempts are ordered by score, best first,
    then by id, so equal scores at a group's edge are split the same way every time."""
    ordered = sorted(attempts, key=lambda a: (-a.score, a.attempt_id))
    k = group_size(len(ordered))
    if not k:
        return set(), set()
    return {a.attempt_id for a in ordered[:k]}, {a.attempt_id for a in ordered[-k:]}


def tally_items(items: Iterable[AnsweredItem], upper: set[int], lower: set[int]) -> list[Tally]:
    """Raw answers to tallies (what the database computes with GROUP BY)."""
    grouped: dict[tuple[int, int | None], list[int]] = {}
    for item in items:
        held = grouped.setdefault((item.question_id, item.chosen_choice_id), [0, 0, 0])
        held[0] += 1
        held[1] += item.attempt_id in upper
        held[2] += item.attempt_id in lower
    return [Tally(q, c, n, u, lo) for (q, c), (n, u, lo) in grouped.items()]


def count_items(tallies: Iterable[Tally], correct_choice: dict[int, int]) -> dict[int, ItemCounts]:
    """Per question: draws, right answers, unanswered, draws per choice, and the same in
    each group. `correct_choice` maps a question id to its correct choice id."""
    counts: dict[int, ItemCounts] = {}
    for t in tallies:
        c = counts.setdefault(t.question_id, ItemCounts(t.question_id))
        right = t.chosen_choice_id is not None and t.chosen_choice_id == correct_choice.get(t.question_id)
        c.drawn += t.count
        c.upper_drawn += t.upper
        c.lower_drawn += t.lower
        if t.chosen_choice_id is None:
            c.unanswered += t.count
        else:
            c.choices[t.chosen_choice_id] = c.choices.get(t.chosen_choice_id, 0) + t.count
        if right:
            c.correct += t.count
            c.upper_correct += t.upper
            c.lower_correct += t.lower
    return counts


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _flags(c: ItemCounts, p: float | None, d: float | None, correct_id: int | None,
           min_sample: int) -> tuple[str, ...]:
    if c.drawn < min_sample or p is None:
        return ()
    flags = []
    if d is not None and d < 0:
        flags.append("negative")
    right = c.choices.get(correct_id, 0) if correct_id is not None else 0
    if any(n > right for choice, n in c.choices.items() if choice != correct_id):
        flags.append("distractor")
    if d is not None and 0 <= d < WEAK_BELOW:
        flags.append("weak")
    if p > EASY_ABOVE:
        flags.append("easy")
    elif p < HARD_BELOW:
        flags.append("hard")
    return tuple(flags)


def summarize(c: ItemCounts, correct_id: int | None, min_sample: int = MIN_SAMPLE) -> ItemStats:
    """Shares and the discrimination index D = p(upper) − p(lower), each p over the
    attempts of that group that drew the question (None when a group never drew it)."""
    p = _share(c.correct, c.drawn)
    p_upper, p_lower = _share(c.upper_correct, c.upper_drawn), _share(c.lower_correct, c.lower_drawn)
    d = p_upper - p_lower if p_upper is not None and p_lower is not None else None
    return ItemStats(
        question_id=c.question_id, drawn=c.drawn, correct=c.correct, p_correct=p,
        choice_shares={choice: n / c.drawn for choice, n in c.choices.items()},
        unanswered_share=_share(c.unanswered, c.drawn), p_upper=p_upper, p_lower=p_lower,
        discrimination=d, flags=_flags(c, p, d, correct_id, min_sample))


def item_statistics(attempts: Iterable[ScoredAttempt], items: Iterable[AnsweredItem],
                    correct_choice: dict[int, int], min_sample: int = MIN_SAMPLE) -> dict[int, ItemStats]:
    """Everything from raw rows, for small data and for checking the database's version."""
    upper, lower = split_groups(attempts)
    counts = count_items(tally_items(items, upper, lower), correct_choice)
    return {q: summarize(c, correct_choice.get(q), min_sample) for q, c in counts.items()}
