"""The pure ranking and prize rules, on hand-built cases and as properties."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import prizes, ranking
from portal.ranking import AttemptResult, ChecksumRow, UnitTally

T0 = datetime(2023, 7, 5, 3, 0, tzinfo=UTC)
DEFAULT = ["score", "duration", "prediction"]


def att(aid, cid, score, duration, prediction=None, status="submitted", at=0):
    return AttemptResult(aid, cid, status, score, duration, prediction, T0 + timedelta(seconds=at))


def order(entries):
    return [e.contestant_id for e in entries]


# --- best attempt -------------------------------------------------------------------------

def test_best_attempt_prefers_score_then_time_then_prediction():
    attempts = [att(1, 7, 8, 100_000, 50), att(2, 7, 9, 500_000, 900), att(3, 7, 9, 400_000, 990),
                att(4, 7, 9, 400_000, 1005)]
    assert ranking.best_attempts(attempts, DEFAULT, 1000)[7].attempt_id == 4  # error 5 beats 10
    # Provisional (participants unknown): prediction does not count, earlier close does.
    assert ranking.best_attempts(attempts, DEFAULT, None)[7].attempt_id == 3


def test_open_attempts_never_count_and_expired_ones_do():
    attempts = [att(1, 7, 10, 10_000, status="in_progress"), att(2, 7, 6, 600_000, status="expired"),
                att(3, 7, 5, 50_000)]
    best = ranking.best_attempts(attempts, DEFAULT, 10)
    assert best[7].attempt_id == 2
    assert ranking.best_attempts([att(1, 7, 10, 1, status="in_progress")], DEFAULT, 10) == {}


def test_missing_prediction_ranks_after_any_given_prediction():
    attempts = [att(1, 1, 9, 300_000, None, at=0), att(2, 2, 9, 300_000, 10_000_000, at=5)]
    assert order(ranking.rank_round(attempts, DEFAULT, 100)) == [2, 1]


def test_exact_tie_goes_to_earlier_close_then_attempt_id():
    a = att(5, 1, 9, 300_000, 95, at=10)
    b = att(4, 2, 9, 300_000, 105, at=5)  # same error 5, closed earlier
    c = att(3, 3, 9, 300_000, 95, at=10)  # same as a in every way but the id
    ranked = ranking.rank_round([a, b, c], DEFAULT, 100)
    assert order(ranked) == [2, 3, 1]
    assert [e.rank for e in ranked] == [1, 2, 3]
    assert [e.prediction_error for e in ranked] == [5, 5, 5]


def test_contest_tiebreak_order_is_followed():
    a, b = att(1, 1, 9, 500_000, 100), att(2, 2, 8, 100_000, 100)
    assert order(ranking.rank_round([a, b], ["duration", "score", "prediction"], 100)) == [2, 1]
    c, d = att(3, 3, 9, 500_000, 100), att(4, 4, 9, 100_000, 300)
    assert order(ranking.rank_round([c, d], ["score", "prediction", "duration"], 100)) == [3, 4]
    with pytest.raises(ValueError):
        ranking.rank_round([a], ["score", "luck"], 100)


def test_removed_contestants_vanish_and_unranked_keep_their_place():
    attempts = [att(1, 1, 10, 100_000), att(2, 2, 9, 100_000), att(3, 3, 8, 100_000)]
    ranked = ranking.rank_round(attempts, DEFAULT, 10, removed={1}, unranked_for_prizes={2})
    assert order(ranked) == [2, 3]
    assert [(e.rank, e.eligible) for e in ranked] == [(1, False), (2, True)]


def test_statuses_decide_ranking_and_prizes():
    assert not ranking.shown_in_ranking("disqualified")
    assert ranking.shown_in_ranking("ineligible")
    assert ranking.eligible_for_prizes("active", anonymized=False)
    assert not ranking.eligible_for_prizes("ineligible", anonymized=False)
    assert not ranking.eligible_for_prizes("closed", anonymized=False)
    assert not ranking.eligible_for_prizes("active", anonymized=True)
    assert ranking.counts_for_unit("active") and ranking.counts_for_unit("closed")
    assert not ranking.counts_for_unit("ineligible") and not ranking.counts_for_unit("disqualified")


def test_reason_names_the_deciding_tiebreak():
    def orm(aid, score, duration, prediction=None, at=0, status="submitted"):
        return SimpleNamespace(id=aid, contestant_id=1, status=status, score=score, duration_ms=duration,
                               prediction=prediction, submitted_at=T0 + timedelta(seconds=at))

    best, why = ranking.best_attempt_with_reason([orm(1, 7, 100), orm(2, 9, 500)], DEFAULT, None)
    assert best.id == 2 and why == "nhiều câu đúng nhất"
    best, why = ranking.best_attempt_with_reason([orm(1, 9, 400), orm(2, 9, 300)], DEFAULT, None)
    assert best.id == 2 and why == "cùng số câu đúng, thời gian làm bài ngắn nhất"
    best, why = ranking.best_attempt_with_reason([orm(1, 9, 300, 80), orm(2, 9, 300, 99, at=9)], DEFAULT, 100)
    assert best.id == 2 and why == "cùng số câu đúng và thời gian, dự đoán gần đúng nhất"
    best, why = ranking.best_attempt_with_reason([orm(1, 9, 300, 80, at=5), orm(2, 9, 300, 80)], DEFAULT, None)
    assert best.id == 2 and why == "cùng số câu đúng và thời gian, nộp bài sớm nhất"
    best, why = ranking.best_attempt_with_reason([orm(1, 9, 300, 80, at=5), orm(2, 9, 300, 120)], DEFAULT, 100)
    assert best.id == 2 and why == "cùng số câu đúng, thời gian và dự đoán, nộp bài sớm nhất"
    best, why = ranking.best_attempt_with_reason([orm(1, 9, 300), orm(2, 1, 1, status="in_progress")], DEFAULT, None)
    assert best.id == 1 and why == "lượt thi duy nhất đã nộp trong tuần"
    assert ranking.best_attempt_with_reason([], DEFAULT, None) == (None, "")


# --- prizes -------------------------------------------------------------------------------

TIERS = [prizes.Tier("Giải Nhì", 2, 2_000_000, 2), prizes.Tier("Giải Nhất", 1, 3_000_000, 1),
         prizes.Tier("Giải Ba", 3, 1_000_000, 3)]


def test_prizes_go_down_the_ranking_skipping_ineligible_and_barred():
    candidates = [(10, False), (11, True), (12, True), (13, True), (14, True), (15, True), (16, True), (17, True)]
    awards = prizes.allocate(candidates, TIERS, barred={12})
    assert {k: t.name for k, t in awards.items()} == {
        11: "Giải Nhất", 13: "Giải Nhì", 14: "Giải Nhì", 15: "Giải Ba", 16: "Giải Ba", 17: "Giải Ba"}


def test_fewer_candidates_than_prizes_and_no_tiers():
    assert [t.name for t in prizes.allocate([(1, True), (2, True)], TIERS).values()] == ["Giải Nhất", "Giải Nhì"]
    assert prizes.allocate([(1, True)], []) == {}


def test_allocation_stops_reading_once_every_prize_is_given():
    def endless():
        n = 0
        while True:
            n += 1
            yield n, True

    assert len(prizes.allocate(endless(), TIERS)) == 6


# --- collective ---------------------------------------------------------------------------

def tally(uid, block=1, participants=0, attempts=0, best_sum=0, best_count=0, headcount=None, position=0):
    return UnitTally(uid, block, position, headcount, participants, attempts, best_sum, best_count)


def test_units_rank_by_participants_then_attempts_then_mean_best_score():
    tallies = [tally(1, participants=5, attempts=9, best_sum=40, best_count=5),
               tally(2, participants=5, attempts=9, best_sum=45, best_count=5),
               tally(3, participants=5, attempts=12, best_sum=10, best_count=5),
               tally(4, participants=7, attempts=7, best_sum=7, best_count=7),
               tally(5, block=2, participants=1, attempts=1, best_sum=1, best_count=1)]
    ranked = ranking.rank_units(tallies, "participants")
    assert [u.tally.unit_id for u in ranked[1]] == [4, 3, 2, 1]
    assert [u.rank for u in ranked[1]] == [1, 2, 3, 4]
    assert [u.tally.unit_id for u in ranked[2]] == [5]


def test_rate_criterion_puts_units_without_headcount_last():
    tallies = [tally(1, participants=50, headcount=1000), tally(2, participants=9, headcount=10),
               tally(3, participants=500), tally(4, participants=1, headcount=3, position=1),
               tally(5, participants=3, headcount=9, position=0)]
    ranked = ranking.rank_units(tallies, "rate")[1]
    # 90% first; 1/3 == 3/9 exactly, then more participants; 5% next; no headcount last.
    assert [u.tally.unit_id for u in ranked] == [2, 5, 4, 1, 3]
    with pytest.raises(ValueError):
        ranking.rank_units(tallies, "luck")


# --- checksum -----------------------------------------------------------------------------

def crow(rank, cid, prize=None):
    return ChecksumRow(rank, cid, 100 + cid, 9, 300_000, 120, 3, True, prize, 3_000_000 if prize else None)


def test_checksum_is_stable_and_sensitive_to_every_field():
    rows = [crow(1, 7, "Giải Nhất"), crow(2, 8)]
    digest = ranking.ranking_checksum("cds", 1, 117, rows)
    assert digest == ranking.ranking_checksum("cds", 1, 117, iter(rows))
    assert len(digest) == 64
    assert digest != ranking.ranking_checksum("cds", 1, 118, rows)
    assert digest != ranking.ranking_checksum("cds", 2, 117, rows)
    assert digest != ranking.ranking_checksum("cds", 1, 117, [crow(1, 8, "Giải Nhất"), crow(2, 7)])
    assert digest != ranking.ranking_checksum("cds", 1, 117, [crow(1, 7, "Giải Nhì"), crow(2, 8)])
    lines = list(ranking.checksum_lines("cds", 1, 117, rows))
    assert lines[0] == "portal-ranking-v1|cds|1|117\n"
    assert lines[1] == "1|7|107|9|300000|120|3|1|Giải Nhất|3000000\n"
    assert lines[2] == "2|8|108|9|300000|120|3|1||\n"


# --- properties ---------------------------------------------------------------------------

attempt_lists = st.lists(
    st.builds(lambda cid, score, dur, pred, status, at: (cid, score, dur, pred, status, at),
              st.integers(1, 8), st.integers(0, 10), st.integers(0, 600_000),
              st.one_of(st.none(), st.integers(0, 300)), st.sampled_from(["submitted", "expired", "in_progress"]),
              st.integers(0, 5)),
    max_size=40)
tiebreaks = st.permutations(["score", "duration", "prediction"])


def build(raw):
    return [att(i, cid, s, d, p, status, at) for i, (cid, s, d, p, status, at) in enumerate(raw, start=1)]


@settings(max_examples=200, deadline=None)
@given(attempt_lists, tiebreaks, st.one_of(st.none(), st.integers(0, 300)), st.randoms())
def test_ranking_is_a_deterministic_total_order(raw, tiebreak, participants, rnd):
    attempts = build(raw)
    ranked = ranking.rank_round(attempts, tiebreak, participants)
    shuffled = list(attempts)
    rnd.shuffle(shuffled)
    assert ranking.rank_round(shuffled, tiebreak, participants) == ranked
    assert [e.rank for e in ranked] == list(range(1, len(ranked) + 1))
    contestants = order(ranked)
    assert len(contestants) == len(set(contestants))
    closed = {a.contestant_id for a in attempts if a.is_closed}
    assert set(contestants) == closed
    keys = [ranking.sort_key(e.result, tiebreak, participants) for e in ranked]
    assert all(a < b for a, b in zip(keys, keys[1:]))  # strict: no two rows compare equal
    for entry in ranked:  # each row's attempt is that contestant's best
        own = [a for a in attempts if a.contestant_id == entry.contestant_id and a.is_closed]
        assert entry.result == min(own, key=lambda a: ranking.sort_key(a, tiebreak, participants))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.booleans()), max_size=60),
       st.lists(st.tuples(st.integers(1, 4), st.integers(0, 1_000_000)), max_size=5),
       st.sets(st.integers(1, 30), max_size=5))
def test_prize_counts_never_exceed_tiers_and_one_prize_each(candidates, raw_tiers, barred):
    tiers = [prizes.Tier(f"T{i}", count, amount, i) for i, (count, amount) in enumerate(raw_tiers, start=1)]
    awards = prizes.allocate(candidates, tiers, barred=barred)
    for tier in tiers:
        assert sum(1 for t in awards.values() if t is tier) <= tier.count
    eligible_keys = {k for k, ok in candidates if ok}
    assert set(awards) <= eligible_keys - barred
    # Better tiers go to better-ranked keys (a key ranks where it first appears eligible).
    first_seen = {}
    for i, (k, ok) in enumerate(candidates):
        if ok:
            first_seen.setdefault(k, i)
    by_rank = sorted(awards, key=first_seen.get)
    positions = [awards[k].position for k in by_rank]
    assert positions == sorted(positions)
    total = sum(t.count for t in tiers)
    assert len(awards) == min(total, len(eligible_keys - barred))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 40), st.integers(0, 100),
                          st.one_of(st.none(), st.integers(0, 30)), st.integers(1, 2)), max_size=12),
       st.sampled_from(["participants", "rate"]))
def test_unit_ranking_is_deterministic_under_permutation(raw, criterion):
    tallies = [tally(i, block=b, participants=p, attempts=a, best_sum=s, best_count=p, headcount=h, position=i % 3)
               for i, (p, a, s, h, b) in enumerate(raw, start=1)]
    shuffled = list(tallies)
    random.Random(len(raw)).shuffle(shuffled)
    assert ranking.rank_units(shuffled, criterion) == ranking.rank_units(tallies, criterion)
    for units in ranking.rank_units(tallies, criterion).values():
        assert [u.rank for u in units] == list(range(1, len(units) + 1))
