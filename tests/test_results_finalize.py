"""Finalizing and un-finalizing rounds, prizes, collective awards, checksums, the cache."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import ranking, results
from portal.extensions import db
from portal.models import Attempt, AuditEntry, CollectiveAward, RankingEntry
from tests.factories import make_contest
from tests.results_helpers import (AFTER_ROUND_1, AFTER_ROUND_2, add_attempt, add_contestant, add_staff,
                                   round_no)


def entries(round_):
    return db.session.scalars(sa.select(RankingEntry).where(RankingEntry.round_id == round_.id)
                              .order_by(RankingEntry.rank)).all()


def audits(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


def test_finalize_is_refused_while_the_round_is_open(contest, clock):
    r1 = round_no(contest, 1)
    add_attempt(add_contestant(contest), r1, 9, prediction=1)
    db.session.commit()
    assert any("chưa kết thúc" in p for p in results.finalize_blockers(r1))
    with pytest.raises(results.ResultsError) as refused:
        results.finalize_round(r1, "staff:bantochuc")
    assert "17:00 ngày 09/07/2023" in refused.value.message
    assert not r1.is_final and entries(r1) == [] and audits("round.finalize") == []


def test_finalize_waits_for_attempts_still_running_then_closes_overdue_ones(contest, clock):
    r1 = round_no(contest, 1)
    late = add_contestant(contest, "Người Thi Muộn")
    add_attempt(late, r1, None, status="in_progress", day=6, started=r1.closes_at - timedelta(minutes=1))
    add_attempt(add_contestant(contest), r1, 7, 200_000, 2)
    db.session.commit()
    clock.set(r1.closes_at + timedelta(minutes=2))
    with pytest.raises(results.ResultsError) as refused:
        results.finalize_round(r1, "cli")
    assert "Còn 1 lượt thi đang làm bài" in refused.value.message
    clock.set(r1.closes_at + timedelta(minutes=9, seconds=16))  # past deadline + 15 s grace
    outcome = results.finalize_round(r1, "cli")
    assert outcome.participants == 2 and outcome.entries == 2
    closed = db.session.scalar(sa.select(Attempt).where(Attempt.contestant_id == late.id))
    assert closed.status == "expired" and closed.duration_ms == 600_000


def build_round_one(contest):
    """Eight people in round 1, with every status and the edge cases of ranking."""
    r1 = round_no(contest, 1)
    people = {}

    def person(key, **kw):
        people[key] = add_contestant(contest, kw.pop("name", key), **kw)
        return people[key]

    add_attempt(person("staff", status="ineligible"), r1, 10, 100_000, 8)  # best, but excluded staff
    add_attempt(person("cheat", status="disqualified"), r1, 10, 50_000, 8)  # removed entirely
    p = person("an")
    add_attempt(p, r1, 10, 200_000, 5, day=0)
    add_attempt(p, r1, 6, 100_000, 8, day=1)
    p = person("binh")  # same score and time as an; prediction closer (8 vs 5, 8 people)
    add_attempt(p, r1, 10, 200_000, 8)
    add_attempt(person("chi"), r1, 10, 200_000, None)  # no prediction: after every prediction
    add_attempt(person("dung"), r1, 9, 600_000, 8, status="expired", day=2)
    add_attempt(person("gone", anonymized=True), r1, 10, 150_000, 8)
    p = person("em")
    add_attempt(p, r1, 8, 100_000, 8)
    add_attempt(p, r1, 0, None, status="in_progress", day=1)  # overdue: closed with no answers
    db.session.commit()
    return r1, people


def test_finalize_freezes_ranking_prizes_and_participants(contest, clock):
    r1, people = build_round_one(contest)
    clock.set(AFTER_ROUND_1)
    outcome = results.finalize_round(r1, "staff:bantochuc")
    # Eight people closed an attempt (the disqualified one and the staff member too).
    assert outcome.participants == 8 and r1.participants_final == 8
    assert r1.finalized_by == "staff:bantochuc" and r1.finalized_at == AFTER_ROUND_1
    rows = entries(r1)
    by_id = {v.id: k for k, v in people.items()}
    assert [by_id[e.contestant_id] for e in rows] == ["staff", "gone", "binh", "an", "chi", "dung", "em"]
    assert [e.rank for e in rows] == list(range(1, 8))
    assert [e.prediction_error for e in rows] == [0, 0, 0, 3, None, 0, 0]
    assert [e.eligible for e in rows] == [False, False, True, True, True, True, True]
    assert [(by_id[e.contestant_id], e.prize_name, e.prize_amount) for e in rows if e.prize_name] == [
        ("binh", "Giải Nhất", 3_000_000), ("an", "Giải Nhì", 2_000_000), ("chi", "Giải Nhì", 2_000_000)]
    assert outcome.winners == 3 and outcome.entries == 7
    assert rows[3].attempt_id == db.session.scalar(sa.select(Attempt.id).where(
        Attempt.contestant_id == people["an"].id, Attempt.score == 10))
    [entry] = audits("round.finalize")
    assert entry.actor == "staff:bantochuc" and entry.after["checksum"] == r1.ranking_checksum
    assert entry.after["participants"] == 8 and entry.target_id == str(r1.id)
    assert results.verify_round(r1)


def test_finalizing_twice_gives_the_same_result(contest, clock):
    r1, _ = build_round_one(contest)
    clock.set(AFTER_ROUND_1)
    first = results.finalize_round(r1, "cli")
    frozen = [(e.rank, e.contestant_id, e.prize_name) for e in entries(r1)]
    again = results.finalize_round(r1, "staff:someone")
    assert again.already_final and again.checksum == first.checksum and again.entries == first.entries
    assert [(e.rank, e.contestant_id, e.prize_name) for e in entries(r1)] == frozen
    assert r1.finalized_by == "cli" and len(audits("round.finalize")) == 1


def test_unfinalize_needs_an_admin_and_a_reason_and_is_audited(contest, clock):
    r1, _ = build_round_one(contest)
    add_staff("kiemduyet", role="moderator")
    add_staff("quantri", role="admin")
    clock.set(AFTER_ROUND_1)
    first = results.finalize_round(r1, "staff:quantri")
    with pytest.raises(results.ResultsError, match="lý do"):
        results.unfinalize_round(r1, "staff:quantri", "  ")
    with pytest.raises(results.ResultsError, match="admin"):
        results.unfinalize_round(r1, "staff:kiemduyet", "Sai sót khi nhập")
    assert r1.is_final
    results.unfinalize_round(r1, "staff:quantri", "Xác minh lại thí sinh gian lận")
    assert not r1.is_final and r1.ranking_checksum is None and r1.participants_final is None
    assert entries(r1) == []
    [entry] = audits("round.unfinalize")
    assert entry.actor == "staff:quantri" and entry.after == {"reason": "Xác minh lại thí sinh gian lận"}
    assert entry.before["checksum"] == first.checksum and len(entry.before["winners"]) == 3
    with pytest.raises(results.ResultsError, match="chưa được chốt"):
        results.unfinalize_round(r1, "staff:quantri", "Lần nữa cho chắc")
    # Same data, same ranking: finalizing again reproduces the checksum.
    assert results.finalize_round(r1, "staff:quantri").checksum == first.checksum


def test_disqualifying_then_refinalizing_moves_prizes_down(contest, clock):
    r1, people = build_round_one(contest)
    clock.set(AFTER_ROUND_1)
    results.finalize_round(r1, "cli")
    results.unfinalize_round(r1, "cli", "Thí sinh binh gian lận")
    people["binh"].status = "disqualified"
    db.session.commit()
    results.finalize_round(r1, "cli")
    winners = [(w["contestant_id"], w["prize"]) for w in results.round_winners(r1)]
    assert winners == [(people["an"].id, "Giải Nhất"), (people["chi"].id, "Giải Nhì"),
                       (people["dung"].id, "Giải Nhì")]
    assert people["binh"].id not in {e.contestant_id for e in entries(r1)}


def test_a_tampered_frozen_ranking_no_longer_verifies(contest, clock):
    r1, _ = build_round_one(contest)
    clock.set(AFTER_ROUND_1)
    results.finalize_round(r1, "cli")
    assert results.verify_round(r1)
    db.session.execute(sa.update(RankingEntry).where(RankingEntry.round_id == r1.id, RankingEntry.rank == 7)
                       .values(score=10))
    db.session.commit()
    assert not results.verify_round(r1)


def test_one_prize_per_contest_when_several_rounds_are_not_allowed(contest, clock):
    contest.prizes_in_several_rounds = False
    db.session.commit()
    r1, r2 = round_no(contest, 1), round_no(contest, 2)
    champ, second, third, fourth = (add_contestant(contest, n) for n in ("Vô Địch", "Nhì", "Ba", "Tư"))
    for i, p in enumerate((champ, second, third, fourth)):
        add_attempt(p, r1, 10 - i, 100_000)
        add_attempt(p, r2, 10 - i, 100_000)
    db.session.commit()
    clock.set(AFTER_ROUND_2)
    with pytest.raises(results.ResultsError, match="tuần 1 trước"):
        results.finalize_round(r2, "cli")
    results.finalize_round(r1, "cli")
    results.finalize_round(r2, "cli")
    assert [w["contestant_id"] for w in results.round_winners(r1)] == [champ.id, second.id, third.id]
    assert [(w["contestant_id"], w["prize"]) for w in results.round_winners(r2)] == [(fourth.id, "Giải Nhất")]
    with pytest.raises(results.ResultsError, match="hủy chốt tuần 2"):
        results.unfinalize_round(r1, "cli", "Sửa kết quả tuần 1")


def test_several_rounds_allowed_lets_a_champion_win_again(contest, clock):
    r1, r2 = round_no(contest, 1), round_no(contest, 2)
    champ = add_contestant(contest, "Vô Địch")
    add_attempt(champ, r1, 10, 100_000)
    add_attempt(champ, r2, 10, 100_000)
    db.session.commit()
    clock.set(AFTER_ROUND_2)
    results.finalize_round(r2, "cli")  # any order is fine when prizes may repeat
    results.finalize_round(r1, "cli")
    assert results.round_winners(r1)[0]["contestant_id"] == champ.id
    assert results.round_winners(r2)[0]["contestant_id"] == champ.id


def test_attempts_mode_counts_closed_attempts_and_none_mode_ignores_predictions(ctx, clock):
    contest = make_contest(prediction="attempts")
    r1 = round_no(contest, 1)
    a, b = add_contestant(contest), add_contestant(contest)
    add_attempt(a, r1, 5, 100_000, 3, day=0)
    add_attempt(a, r1, 5, 100_000, 2, day=1)
    add_attempt(b, r1, 5, 100_000, 4, status="expired")
    db.session.commit()
    clock.set(AFTER_ROUND_1)
    assert results.finalize_round(r1, "cli").participants == 3
    assert [(e.contestant_id, e.prediction_error) for e in entries(r1)] == [(a.id, 0), (b.id, 1)]

    other = make_contest(slug="khong-du-doan", prediction="none")
    r1 = round_no(other, 1)
    early, late = add_contestant(other), add_contestant(other)
    add_attempt(late, r1, 5, 100_000, 1, day=1)
    add_attempt(early, r1, 5, 100_000, None, day=0)
    db.session.commit()
    outcome = results.finalize_round(r1, "cli")
    assert outcome.participants == 2
    assert [(e.contestant_id, e.prediction_error) for e in entries(r1)] == [(early.id, None), (late.id, None)]


def test_collective_awards_once_every_round_is_final(contest, clock):
    r1, r2 = round_no(contest, 1), round_no(contest, 2)
    huu_lung, thanh_pho, so = "Huyện Hữu Lũng", "Thành phố Lạng Sơn", "Sở Thông tin và Truyền thông"
    for i in range(3):
        add_attempt(add_contestant(contest, unit=huu_lung), r1, 5, 100_000)
    for i in range(2):
        p = add_contestant(contest, unit=thanh_pho)
        add_attempt(p, r1, 5, 100_000)
        add_attempt(p, r2, 5, 100_000)
    add_attempt(add_contestant(contest, unit=thanh_pho, status="ineligible"), r2, 9, 1)  # staff: not counted
    add_attempt(add_contestant(contest, unit=so), r2, 9, 1)
    db.session.commit()
    clock.set(AFTER_ROUND_2)
    provisional = results.collective_standings(contest)
    assert not provisional["final"]
    district = next(b for b in provisional["blocks"] if b["key"] == "district")
    assert [(r["unit"], r["participants"], r["attempts"], r["prize"]) for r in district["rows"]] == [
        (huu_lung, 3, 3, None), (thanh_pho, 2, 4, None)]
    assert not results.finalize_round(r1, "cli").collective_awarded
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectiveAward)) == 0
    assert results.finalize_round(r2, "cli").collective_awarded
    final = results.collective_standings(contest)
    assert final["final"]
    district = next(b for b in final["blocks"] if b["key"] == "district")
    assert [(r["unit"], r["rank"], r["prize"], r["prize_amount"]) for r in district["rows"]] == [
        (huu_lung, 1, "Giải Nhất", 5_000_000), (thanh_pho, 2, None, None)]
    province = next(b for b in final["blocks"] if b["key"] == "province")
    assert [(r["unit"], r["prize"], r["rate"]) for r in province["rows"]] == [(so, "Giải Nhất", 1.25)]
    assert len(audits("contest.collective_awards")) == 1
    results.unfinalize_round(r1, "cli", "Kiểm tra lại tuần 1")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectiveAward)) == 0
    assert not results.collective_standings(contest)["final"]


def test_rate_criterion_ranks_collective_by_participation_rate(contest, clock):
    contest.collective_criterion = "rate"
    units = {u.name: u for b in contest.blocks for u in b.units}
    units["Huyện Hữu Lũng"].headcount = 100
    units["Thành phố Lạng Sơn"].headcount = 4
    r1 = round_no(contest, 1)
    for _ in range(3):
        add_attempt(add_contestant(contest, unit="Huyện Hữu Lũng"), r1, 5)
    add_attempt(add_contestant(contest, unit="Thành phố Lạng Sơn"), r1, 5)
    db.session.commit()
    district = next(b for b in results.collective_standings(contest)["blocks"] if b["key"] == "district")
    assert [(r["unit"], r["rate"]) for r in district["rows"]] == [("Thành phố Lạng Sơn", 25.0), ("Huyện Hữu Lũng", 3.0)]


# --- leaderboard queries ------------------------------------------------------------------

def test_provisional_order_in_sql_matches_the_pure_ranking(contest, clock, monkeypatch):
    r1 = round_no(contest, 1)
    rnd = random.Random(20230709)
    people = [add_contestant(contest, f"Thí sinh {i}",
                             status=rnd.choice(["active"] * 8 + ["disqualified", "ineligible"]))
              for i in range(60)]
    attempts = []
    for person in people:
        for day in rnd.sample(range(7), rnd.randint(1, 3)):
            status = rnd.choice(["submitted"] * 5 + ["expired", "in_progress"])
            attempts.append(add_attempt(person, r1, rnd.randint(6, 10), rnd.choice([120_000, 150_000, 600_000]),
                                        rnd.randint(0, 99), status=status, day=day))
    db.session.commit()
    removed = {p.id for p in people if p.status == "disqualified"}
    expected = [e.contestant_id for e in ranking.rank_round(
        (ranking.as_result(a) for a in attempts), contest.tiebreak, None, removed=removed)]

    def pages(per_page):
        got, page = [], 1
        while True:
            board = results.admin_leaderboard(r1, page, per_page)
            got += [row["contestant_id"] for row in board["rows"]]
            if not board["has_next"]:
                return got
            page += 1

    assert pages(7) == expected
    monkeypatch.setattr(results, "PREFIX_LIMIT", 0)  # force the window-function path
    assert pages(7) == expected
    assert pages(1000) == expected


def test_a_prefix_of_one_persons_many_attempts_is_read_further(contest, clock, monkeypatch):
    """Each contestant's seven attempts sit together in the global order, so the first
    prefix read for a page holds too few contestants and the read must go further."""
    r1 = round_no(contest, 1)
    people = [add_contestant(contest, f"Thí sinh {i}") for i in range(12)]
    for rank, person in enumerate(people):
        for day in range(7):
            add_attempt(person, r1, 10, 100_000 + rank * 10_000 + day, day=day)
    db.session.commit()
    reads = []
    original = db.session.execute

    def counting(statement, *args, **kwargs):
        reads.append(getattr(statement, "_limit", None))
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", counting)
    board = results.admin_leaderboard(r1, 1, 11)
    assert [row["contestant_id"] for row in board["rows"]] == [p.id for p in people[:11]]
    assert board["has_next"] is True
    assert 64 in reads and 256 in reads  # 64 attempts were 10 people: read on


def test_leaderboard_cache_is_cleared_by_results_changed(contest, clock):
    r1 = round_no(contest, 1)
    first = add_contestant(contest, "Người Đầu")
    add_attempt(first, r1, 5)
    db.session.commit()
    assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Đầu"]
    add_attempt(add_contestant(contest, "Người Sau"), r1, 9)
    db.session.commit()
    # Not told yet: the cached page is served.
    assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Đầu"]
    results.results_changed(r1)
    assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Sau", "Người Đầu"]


def test_submission_refreshes_are_throttled_but_staff_changes_are_not(contest, clock, monkeypatch):
    from portal import cache

    ticks = [5000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: ticks[0])
    r1 = round_no(contest, 1)

    def names():
        return [r["name"] for r in results.round_leaderboard(r1)["rows"]]

    def submitted(name, score):
        add_attempt(add_contestant(contest, name), r1, score)
        db.session.commit()
        results.results_changed(r1)  # what closing an attempt reports

    submitted("Một", 5)
    assert names() == ["Một"]
    submitted("Hai", 6)  # within REFRESH_INTERVAL of the last refresh: the cached page stays
    assert names() == ["Một"]
    ticks[0] += results.REFRESH_INTERVAL
    submitted("Ba", 7)
    assert names() == ["Ba", "Hai", "Một"]
    submitted("Bốn", 8)
    assert names() == ["Ba", "Hai", "Một"]
    ticks[0] += results.PROVISIONAL_TTL  # however it goes, the page is never older than this
    assert names() == ["Bốn", "Ba", "Hai", "Một"]
    db.session.execute(sa.update(Attempt).where(Attempt.score == 8).values(score=4))
    db.session.commit()
    results.results_changed(contest)  # a moderator's change for the contest: at once
    assert names() == ["Ba", "Hai", "Một", "Bốn"]


def test_submitting_through_the_quiz_service_clears_the_cache(contest, clock):
    from portal.quiz_service import submit

    r1 = round_no(contest, 1)
    person = add_contestant(contest, "Người Nộp Bài")
    attempt = add_attempt(person, r1, None, status="in_progress", started=clock.current - timedelta(minutes=2))
    db.session.commit()
    assert results.round_leaderboard(r1)["rows"] == []
    submit(attempt, contest)
    assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Nộp Bài"]
