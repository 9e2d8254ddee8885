"""Scoring and timing of an attempt, from plain values."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable


def score(chosen_and_correct: Iterable[tuple[int | None, int]]) -> int:
    """Pairs of (chosen choice id or None, correct choice id) -> number right."""
    return sum(1 for chosen, correct in chosen_and_correct if chosen is not None and chosen == correct)


def counted_duration_ms(started_at: datetime, closed_at: datetime, time_limit_seconds: int) -> int:
    """submit − start in milliseconds, capped at the time limit, never negative."""
    elapsed = (closed_at - started_at) // timedelta(milliseconds=1)
    return max(0, min(int(elapsed), time_limit_seconds * 1000))


def accepts_at(deadline: datetime, grace_seconds: int, instant: datetime) -> bool:
    """Answers and the submit are accepted until deadline + grace, never after."""
    return deadline >= acceptance_cutoff(grace_seconds, instant)


def acceptance_cutoff(grace_seconds: int, instant: datetime) -> datetime:
    """The earliest deadline still accepting at this instant: deadline >= instant - grace
    is the same rule as accepts_at, in the form a database condition can use."""
    return instant - timedelta(seconds=grace_seconds)
