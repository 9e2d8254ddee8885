"""The one clock of the portal, and pure functions on contest time (windows, local days)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

_provider: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current instant, UTC and timezone-aware; tests replace it with set_clock()."""
    return _provider()


def set_clock(provider: Callable[[], datetime]) -> None:
    global _provider
    _provider = provider


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))


def ensure_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime where an aware instant was expected")
    return instant


def to_local(instant: datetime, tz: str) -> datetime:
    return ensure_aware(instant).astimezone(ZoneInfo(tz))


def local_to_utc(local: datetime, tz: str) -> datetime:
    """A wall-clock time in the contest's zone (naive) as a UTC instant."""
    if local.tzinfo is not None:
        raise ValueError("expected a naive local time")
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_day(instant: datetime, tz: str) -> date:
    """The contest's calendar day at this instant ("one attempt a day" counts these)."""
    return to_local(instant, tz).date()


def start_of_next_local_day(instant: datetime, tz: str) -> datetime:
    next_day = local_day(instant, tz) + timedelta(days=1)
    return local_to_utc(datetime.combine(next_day, time()), tz)


@dataclass(frozen=True)
class Window:
    """A round's window: open from opens_at (inclusive) to closes_at (exclusive)."""

    opens_at: datetime
    closes_at: datetime

    def state(self, instant: datetime) -> str:
        ensure_aware(instant)
        if instant < self.opens_at:
            return "upcoming"
        if instant < self.closes_at:
            return "open"
        return "closed"

    def is_open(self, instant: datetime) -> bool:
        return self.state(instant) == "open"


def weekly_windows(first_open: date, count: int, tz: str,
                   opens: time = time(8, 0), closes: time = time(17, 0)) -> list[Window]:
    """Consecutive weekly windows: each opens on first_open + 7k at `opens` and closes six
    days later at `closes` (Monday 08:00 to Sunday 17:00 in the 2023 contest)."""
    windows = []
    for k in range(count):
        day = first_open + timedelta(days=7 * k)
        windows.append(Window(
            local_to_utc(datetime.combine(day, opens), tz),
            local_to_utc(datetime.combine(day + timedelta(days=6), closes), tz),
        ))
    return windows


def current_index(windows: Sequence[Window], instant: datetime) -> tuple[int | None, str]:
    """Which round the public sees now: the open one; else the next to open; else the last.
    Returns (index or None when there are no rounds, state of that round)."""
    ordered = sorted(range(len(windows)), key=lambda i: windows[i].opens_at)
    for i in ordered:
        if windows[i].is_open(instant):
            return i, "open"
    for i in ordered:
        if windows[i].state(instant) == "upcoming":
            return i, "upcoming"
    if ordered:
        return ordered[-1], "closed"
    return None, "none"


def demo_first_open(instant: datetime, tz: str) -> date:
    """The Monday on which a weekly round 1 must open so that it is open at `instant`.
    On Sunday after 17:00 and Monday before 08:00 no Monday-to-Sunday week is open; the
    caller then opens round 1 on the local day itself (see demo_windows)."""
    day = local_day(instant, tz)
    return day - timedelta(days=day.weekday())


def demo_windows(instant: datetime, count: int, tz: str) -> list[Window]:
    """Weekly windows laid so that the first is open at `instant`."""
    windows = weekly_windows(demo_first_open(instant, tz), count, tz)
    if windows[0].is_open(instant):
        return windows
    # Outside Monday 08:00 - Sunday 17:00: open round 1 at local midnight today and keep
    # each later round's close a week after the one before.
    today = local_day(instant, tz)
    start = local_to_utc(datetime.combine(today, time()), tz)
    first = Window(start, local_to_utc(datetime.combine(today + timedelta(days=6), time(17)), tz))
    rest = weekly_windows(today + timedelta(days=7), count - 1, tz) if count > 1 else []
    return [first, *rest]


def remaining_ms(deadline: datetime, instant: datetime) -> int:
    return max(0, int((deadline - instant).total_seconds() * 1000))


def ordered(windows: Iterable[Window]) -> list[Window]:
    return sorted(windows, key=lambda w: w.opens_at)
