"""The pure rules of an attempt: phone numbers, eligibility, the draw, scoring and time."""
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.drawing import draw_questions, order_choices
from portal.eligibility import Situation, decide
from portal.phone import normalize_phone
from portal.scoring import accepts_at, counted_duration_ms, score

TZ = "Asia/Ho_Chi_Minh"
NOW = datetime(2023, 7, 5, 3, 0, tzinfo=UTC)  # Wednesday 10:00 local


@pytest.mark.parametrize("raw,expected", [
    ("0912345678", "0912345678"), ("+84912345678", "0912345678"), ("84912345678", "0912345678"),
    ("091 234 5678", "0912345678"), ("091.234.5678", "0912345678"), ("+84 (91) 234-5678", "0912345678"),
    ("0312345678", "0312345678"), ("0862345678", "0862345678"),
    ("012345678", None), ("09123456789", None), ("0212345678", None), ("+8512345678", None),
    ("abc", None), ("", None), ("0912345678' OR 1=1", None), ("０９１２３４５６７８", None), ("9" * 200, None),
])
def test_phone_numbers(raw, expected):
    assert normalize_phone(raw) == expected


@given(st.text(max_size=30))
def test_phone_parser_never_crashes_and_only_yields_ten_digit_mobiles(raw):
    result = normalize_phone(raw)
    assert result is None or (len(result) == 10 and result.isdigit() and result[:2] in {"03", "05", "07", "08", "09"})


def situation(**overrides) -> Situation:
    values = dict(now=NOW, timezone=TZ, round_state="open", round_number=1,
                  round_opens_at=datetime(2023, 7, 3, 1, tzinfo=UTC), round_closes_at=datetime(2023, 7, 9, 10, tzinfo=UTC),
                  contestant_status="active", status_reason="", attempts_today=0, attempts_per_day=1,
                  has_open_attempt=False, pool_size=50, questions_per_attempt=10)
    values.update(overrides)
    return Situation(**values)


def test_eligible_when_open_and_nothing_today():
    decision = decide(situation())
    assert decision.allowed and decision.code == "ok"


def test_one_attempt_a_day_names_the_next_possible_time():
    decision = decide(situation(attempts_today=1))
    assert not decision.allowed and decision.code == "daily_limit"
    assert decision.next_possible_at == datetime(2023, 7, 5, 17, 0, tzinfo=UTC)  # 00:00 Thursday local
    assert "00:00 ngày 06/07/2023" in decision.message


def test_daily_limit_on_the_last_day_points_to_the_next_round():
    sunday = datetime(2023, 7, 9, 5, 0, tzinfo=UTC)
    decision = decide(situation(now=sunday, attempts_today=1))
    assert decision.code == "daily_limit_round_end" and "17:00 ngày 09/07/2023" in decision.message


def test_n_attempts_a_day():
    assert decide(situation(attempts_today=1, attempts_per_day=2)).allowed
    assert not decide(situation(attempts_today=2, attempts_per_day=2)).allowed


@pytest.mark.parametrize("overrides,code", [
    ({"round_state": "upcoming"}, "not_open"),
    ({"round_state": "closed"}, "contest_over"),
    ({"round_state": "none", "round_number": None}, "no_round"),
    ({"contestant_status": "ineligible", "status_reason": "Thành viên Ban Giám khảo"}, "ineligible"),
    ({"contestant_status": "disqualified"}, "disqualified"),
    ({"contestant_status": "closed"}, "closed"),
    ({"pool_size": 9}, "pool_too_small"),
])
def test_each_refusal_has_its_reason(overrides, code):
    decision = decide(situation(**overrides))
    assert not decision.allowed and decision.code == code and decision.message


def test_upcoming_round_says_when_it_opens():
    decision = decide(situation(round_state="upcoming", round_opens_at=datetime(2023, 7, 10, 1, tzinfo=UTC)))
    assert "08:00 ngày 10/07/2023" in decision.message
    assert decision.next_possible_at == datetime(2023, 7, 10, 1, tzinfo=UTC)


def test_an_open_attempt_is_resumed_even_after_the_round_closed():
    decision = decide(situation(round_state="closed", has_open_attempt=True, attempts_today=1))
    assert decision.allowed and decision.resumes


def test_an_ineligible_contestant_cannot_resume_either():
    assert not decide(situation(contestant_status="ineligible", has_open_attempt=True)).allowed


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=10, max_size=200, unique=True),
       st.integers(min_value=1, max_value=10), st.randoms(use_true_random=False))
def test_draw_is_distinct_and_from_the_pool(pool, count, rng):
    drawn = draw_questions(pool, count, rng)
    assert len(drawn) == count == len(set(drawn))
    assert set(drawn) <= set(pool)


def test_draw_refuses_a_pool_too_small():
    with pytest.raises(ValueError):
        draw_questions([1, 2, 3], 4)


def test_draw_is_uniform_enough():
    rng = random.Random(20230703)
    pool = list(range(50))
    counts = Counter(q for _ in range(5000) for q in draw_questions(pool, 10, rng))
    expected = 5000 * 10 / 50  # 1000 each
    chi2 = sum((counts[q] - expected) ** 2 / expected for q in pool)
    assert set(counts) == set(pool)
    assert chi2 < 90  # 49 degrees of freedom: p < 0.001 above ~85.4


@given(st.lists(st.integers(), min_size=2, max_size=6, unique=True), st.booleans(), st.randoms(use_true_random=False))
def test_choice_order_is_a_permutation(choices, shuffle, rng):
    ordered = order_choices(choices, shuffle, rng)
    assert sorted(ordered) == sorted(choices)
    if not shuffle:
        assert ordered == choices


def test_score_counts_only_right_answers():
    assert score([(1, 1), (2, 3), (None, 4), (5, 5)]) == 2


def test_duration_is_capped_and_in_milliseconds():
    start = NOW
    assert counted_duration_ms(start, start + timedelta(minutes=3, seconds=2, milliseconds=345), 600) == 182_345
    assert counted_duration_ms(start, start + timedelta(minutes=10, seconds=10), 600) == 600_000
    assert counted_duration_ms(start, start - timedelta(seconds=1), 600) == 0


def test_grace_is_inclusive_to_the_second_and_never_after():
    deadline = NOW + timedelta(minutes=10)
    assert accepts_at(deadline, 15, deadline + timedelta(seconds=15))
    assert not accepts_at(deadline, 15, deadline + timedelta(seconds=15, microseconds=1))
