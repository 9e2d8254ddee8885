"""The contest clock: windows, local days and the demo layout, in UTC+7."""
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portal import clock
from portal.clock import Window, current_index, demo_windows, local_day, local_to_utc, weekly_windows

TZ = "Asia/Ho_Chi_Minh"


def local(*args) -> datetime:
    return local_to_utc(datetime(*args), TZ)


def test_weekly_windows_are_monday_0800_to_sunday_1700_local():
    windows = weekly_windows(date(2023, 7, 3), 4, TZ)
    assert windows[0].opens_at == datetime(2023, 7, 3, 1, 0, tzinfo=UTC)
    assert windows[0].closes_at == datetime(2023, 7, 9, 10, 0, tzinfo=UTC)
    assert windows[3].closes_at == local(2023, 7, 30, 17, 0)
    assert [w.opens_at.weekday() for w in windows] == [0, 0, 0, 0]


def test_window_edges_to_the_second():
    w = Window(local(2023, 7, 3, 8, 0), local(2023, 7, 9, 17, 0))
    assert w.state(local(2023, 7, 3, 7, 59, 59)) == "upcoming"
    assert w.state(local(2023, 7, 3, 8, 0, 0)) == "open"
    assert w.state(local(2023, 7, 9, 16, 59, 59)) == "open"
    assert w.state(local(2023, 7, 9, 17, 0, 0)) == "closed"


def test_local_day_turns_at_local_midnight_not_utc():
    # 23:59 on 04/07 local is 16:59 UTC on 04/07; 00:00 on 05/07 local is 17:00 UTC on 04/07.
    assert local_day(datetime(2023, 7, 4, 16, 59, 59, tzinfo=UTC), TZ) == date(2023, 7, 4)
    assert local_day(datetime(2023, 7, 4, 17, 0, 0, tzinfo=UTC), TZ) == date(2023, 7, 5)
    assert clock.start_of_next_local_day(datetime(2023, 7, 4, 16, 0, tzinfo=UTC), TZ) == \
        datetime(2023, 7, 4, 17, 0, tzinfo=UTC)


def test_current_round_open_then_next_then_last():
    windows = weekly_windows(date(2023, 7, 3), 4, TZ)
    assert current_index(windows, local(2023, 7, 1, 12, 0)) == (0, "upcoming")
    assert current_index(windows, local(2023, 7, 5, 12, 0)) == (0, "open")
    # Sunday 17:00 to Monday 08:00 between rounds: the next round, upcoming.
    assert current_index(windows, local(2023, 7, 9, 18, 0)) == (1, "upcoming")
    assert current_index(windows, local(2023, 7, 10, 8, 0)) == (1, "open")
    assert current_index(windows, local(2023, 8, 1, 0, 0)) == (3, "closed")
    assert current_index([], local(2023, 8, 1, 0, 0)) == (None, "none")


def test_naive_instants_are_refused():
    w = Window(local(2023, 7, 3, 8, 0), local(2023, 7, 9, 17, 0))
    try:
        w.state(datetime(2023, 7, 5))
    except ValueError:
        return
    raise AssertionError("a naive datetime was accepted")


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_demo_layout_always_opens_round_one_at_the_instant(naive):
    instant = naive.replace(tzinfo=UTC)
    windows = demo_windows(instant, 4, TZ)
    assert windows[0].is_open(instant)
    for before, after in zip(windows, windows[1:]):
        assert after.opens_at >= before.closes_at
        assert after.closes_at - after.opens_at >= timedelta(days=6)


def test_demo_layout_is_the_real_week_when_it_can_be():
    thursday = local(2026, 12, 3, 10, 0)
    first = demo_windows(thursday, 4, TZ)[0]
    assert first.opens_at == local(2026, 11, 30, 8, 0)
    assert first.closes_at == local(2026, 12, 6, 17, 0)
    assert clock.to_local(first.opens_at, TZ).time() == time(8, 0)
