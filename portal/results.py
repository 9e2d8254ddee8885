"""Round and contest results: leaderboards (cached), finalizing and un-finalizing a
round, the frozen ranking and its checksum, the collective ranking and its awards.

The cache of everything here is cleared in one place, results_changed(), which the
code that closes an attempt and the code that finalizes a round call."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from portal import audit, cache, clock, prizes, ranking
from portal.contests import round_status
from portal.extensions import db
from portal.formatting import mask_phone
from portal.models import (CONTESTANT_STATUSES, Attempt, Block, CollectiveAward, Contest, Contestant,
                           RankingEntry, Round, Staff, Unit)
from portal.stats import CLOSED, recount, round_counts

PAGE_SIZE = 50
PROVISIONAL_TTL = 30  # seconds; also bounds staleness in a process that missed a clear
FINAL_TTL = 300
REFRESH_INTERVAL = 10  # at most one submission-driven refresh per contest this often
GENERATION_TTL = 7 * 24 * 3600
INSERT_BATCH = 5000
STREAM_BATCH = 10_000
# Beyond this many attempts read for one page, the database dedupes instead (very deep
# pages). Reading a prefix in index order costs O(page); the window function costs a sort
# of the whole round (seconds at a million attempts), so the prefix is allowed to be long:
# 50,000 rows take tens of milliseconds and cover hundreds of pages of 50.
PREFIX_LIMIT = 50_000


class ResultsError(Exception):
    """A refused results action, with a message for the moderator (Vietnamese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the one place the results cache is cleared -----------------------------------------

def _contest_id(target: Any) -> int:
    if isinstance(target, int):
        return target
    if isinstance(target, Contest):
        return target.id
    if isinstance(target, Round):
        return target.contest_id
    if isinstance(target, Attempt):
        return target.round.contest_id
    raise TypeError(f"results_changed() takes a contest, round, attempt or contest id, not {target!r}")


def _generation_key(contest_id: int) -> str:
    return f"results:{contest_id}:gen"


def results_changed(target: Contest | Round | Attempt | int, *, immediate: bool | None = None) -> None:
    """Every cached leaderboard, stats body and collective ranking of the target's contest
    is stale from now on. Call it after the change is committed.

    It replaces the contest's cache generation instead of deleting keys, so a reader that
    computed a value from the old data just before can never store it where new readers
    look. Submissions arrive several a second at peak, and a cold provisional page costs
    a scan of the round, so their refreshes are throttled to one per REFRESH_INTERVAL; a
    submission then shows within PROVISIONAL_TTL at worst. By default a change reported
    for a round or an attempt (how closing an attempt reports itself) is throttled and a
    change for a whole contest (moderation, settings, finalizing) is immediate."""
    if immediate is None:
        immediate = not isinstance(target, (Round, Attempt))
    contest_id = _contest_id(target)
    if not immediate and not cache.add(f"results:{contest_id}:refreshed", 1, REFRESH_INTERVAL):
        return
    cache.set(_generation_key(contest_id), uuid.uuid4().hex, GENERATION_TTL)


def _generation(contest_id: int) -> str:
    key = _generation_key(contest_id)
    generation = cache.get(key)
    if generation is None:
        cache.add(key, uuid.uuid4().hex, GENERATION_TTL)
        # None again means the cache is unreachable: a fresh token makes this a miss.
        generation = cache.get(key) or uuid.uuid4().hex
    return generation


def _cached(contest_id: int, name: str, produce: Callable[[], Any], ttl: float) -> Any:
    key = f"results:{contest_id}:{_generation(contest_id)}:{name}"
    return cache.get_or_set(key, produce, ttl)


# --- who is shown how ------------------------------------------------------------------

def public_identity(contestant_id: int, full_name: str, phone: str, public_consent: bool,
                    anonymized_at: datetime | None, unit_name: str | None) -> dict:
    """Name, unit and masked phone as a public list may show them: without consent to be
    named publicly only "Thí sinh #id" and the unit; after anonymization not even the unit."""
    alias = f"Thí sinh #{contestant_id}"
    if anonymized_at is not None:
        return {"name": alias, "unit": None, "phone": None}
    if not public_consent:
        return {"name": alias, "unit": unit_name, "phone": None}
    return {"name": full_name, "unit": unit_name, "phone": mask_phone(phone)}


def _people(ids: list[int]) -> dict[int, sa.Row]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Contestant.id, Contestant.full_name, Contestant.phone, Contestant.public_consent,
                  Contestant.anonymized_at, Contestant.status, Unit.name.label("unit_name"))
        .join(Unit, Unit.id == Contestant.unit_id).where(Contestant.id.in_(ids)))
    return {row.id: row for row in rows}


def _identity(person: sa.Row, public: bool) -> dict:
    if public:
        return public_identity(person.id, person.full_name, person.phone, person.public_consent,
                               person.anonymized_at, person.unit_name)
    return {"name": person.full_name, "unit": person.unit_name, "phone": person.phone}


# --- leaderboards ----------------------------------------------------------------------

def _provisional_order(contest: Contest) -> list:
    """The SQL twin of ranking.sort_key with participants unknown: the contest's score and
    duration keys, then the earlier close, then the attempt id."""
    columns = {"score": Attempt.score.desc(), "duration": Attempt.duration_ms.asc()}
    keys = [columns[k] for k in ranking.normalize_tiebreak(contest.tiebreak) if k in columns]
    return keys + [Attempt.submitted_at.asc(), Attempt.id.asc()]


def max_attempts_per_contestant(round_: Round, contest: Contest) -> int:
    """How many attempts one contestant can have in the round: local days it spans times
    attempts per day."""
    first = clock.local_day(round_.opens_at, contest.timezone)
    last = clock.local_day(round_.closes_at - timedelta(microseconds=1), contest.timezone)
    return ((last - first).days + 1) * max(contest.attempts_per_day, 1)


def _ranked_attempts_query(round_: Round, contest: Contest) -> sa.Select:
    disqualified = sa.select(Contestant.id).where(
        Contestant.contest_id == contest.id, Contestant.status == "disqualified")
    # Closing an attempt sets its score, duration and close time together; requiring them
    # here keeps NULL ordering (which differs between databases) out of the ranking.
    return (sa.select(Attempt.id, Attempt.contestant_id, Attempt.score, Attempt.duration_ms)
            .where(Attempt.round_id == round_.id, Attempt.status.in_(CLOSED),
                   Attempt.score.is_not(None), Attempt.duration_ms.is_not(None),
                   Attempt.submitted_at.is_not(None), Attempt.contestant_id.not_in(disqualified)))


def _provisional_best(round_: Round, contest: Contest, offset: int, limit: int) -> list[sa.Row]:
    """Best attempts of the contestants ranked offset+1 .. offset+limit.

    A contestant's best attempt is their first in the global order of attempts, so the
    first k distinct contestants in that order are the top k; they lie within the first
    k × (attempts a contestant can have) attempts. The database hands over a prefix (an
    index range with the matching index, else a top-N sort): first 2k attempts, since
    near the top most attempts are different contestants' best, then four times more
    while that is short. Very deep pages let the database keep one row per contestant
    with a window function instead."""
    need = offset + limit
    order = _provisional_order(contest)
    query = _ranked_attempts_query(round_, contest)
    fetch = max(min(2, max_attempts_per_contestant(round_, contest)) * need, 64)
    while fetch <= PREFIX_LIMIT:
        rows = db.session.execute(query.order_by(*order).limit(fetch)).all()
        firsts: dict[int, sa.Row] = {}
        for row in rows:
            firsts.setdefault(row.contestant_id, row)
            if len(firsts) == need:
                break
        if len(firsts) >= need or len(rows) < fetch:
            return list(firsts.values())[offset:need]
        fetch *= 4
    numbered = query.add_columns(
        sa.func.row_number().over(partition_by=Attempt.contestant_id, order_by=order).label("rn")).subquery()
    best = sa.select(numbered.c.id).where(numbered.c.rn == 1).subquery()
    # Joined back to Attempt so that the page is ordered by the very same expressions.
    return db.session.execute(
        sa.select(Attempt.id, Attempt.contestant_id, Attempt.score, Attempt.duration_ms)
        .join(best, best.c.id == Attempt.id).order_by(*order).offset(offset).limit(need - offset)).all()


def _provisional_rows(round_: Round, contest: Contest, offset: int, limit: int, public: bool) -> tuple[list[dict], bool]:
    best = _provisional_best(round_, contest, offset, limit + 1)
    has_next = len(best) > limit
    best = best[:limit]
    people = _people([row.contestant_id for row in best])
    rows = []
    for rank, row in enumerate(best, start=offset + 1):
        person = people[row.contestant_id]
        rows.append({"rank": rank, **_identity(person, public), "contestant_id": row.contestant_id,
                     "score": row.score, "duration_ms": row.duration_ms, "prediction": None,
                     "prediction_error": None, "prize": None, "prize_amount": None,
                     "eligible": ranking.eligible_for_prizes(person.status, person.anonymized_at is not None)})
    return rows, has_next


def _final_rows(round_: Round, offset: int, limit: int, public: bool) -> tuple[list[dict], bool]:
    # Ranks are 1..n with no gaps, so "rank > offset" is a keyset seek on (round_id, rank).
    entries = db.session.execute(
        sa.select(RankingEntry).where(RankingEntry.round_id == round_.id, RankingEntry.rank > offset)
        .order_by(RankingEntry.rank).limit(limit + 1)).scalars().all()
    has_next = len(entries) > limit
    entries = entries[:limit]
    people = _people([e.contestant_id for e in entries])
    rows = [{"rank": e.rank, **_identity(people[e.contestant_id], public), "contestant_id": e.contestant_id,
             "score": e.score, "duration_ms": e.duration_ms, "prediction": e.prediction,
             "prediction_error": e.prediction_error, "prize": e.prize_name, "prize_amount": e.prize_amount,
             "eligible": e.eligible} for e in entries]
    return rows, has_next


def _leaderboard(round_: Round, page: int, per_page: int, public: bool) -> dict:
    offset = (page - 1) * per_page
    if round_.is_final:
        rows, has_next = _final_rows(round_, offset, per_page, public)
    else:
        rows, has_next = _provisional_rows(round_, round_.contest, offset, per_page, public)
    return {"round": round_.number, "final": round_.is_final,
            "participants": round_.participants_final if round_.is_final else None,
            "checksum": round_.ranking_checksum, "page": page, "per_page": per_page,
            "has_next": has_next, "rows": rows}


def round_leaderboard(round_: Round, page: int = 1, per_page: int = PAGE_SIZE) -> dict:
    """One page of the round's public leaderboard (masked), cached. Provisional (score and
    time only, participants None) until the round is finalized; then the frozen ranking
    with the participant count, predictions, their errors and prizes. Every row carries
    rank, name, unit, phone, score, duration_ms, prediction, prediction_error, prize,
    prize_amount, eligible (False: shown but not considered for prizes)."""
    page = max(int(page), 1)
    return _cached(round_.contest_id, f"lb:{round_.id}:{page}:{per_page}",
                   lambda: _leaderboard(round_, page, per_page, public=True),
                   FINAL_TTL if round_.is_final else PROVISIONAL_TTL)


def admin_leaderboard(round_: Round, page: int = 1, per_page: int = PAGE_SIZE) -> dict:
    """The same page for staff: full name, unit and the whole phone number (never cached,
    so personal data never sits in the shared cache)."""
    return _leaderboard(round_, max(int(page), 1), per_page, public=False)


def contest_stats(contest: Contest) -> dict:
    """The public stats body: the current round, its window and participation so far."""
    status = round_status(contest)

    def produce() -> dict:
        body = {"contest": contest.slug, "title": contest.title, "state": status.state, "round": None}
        if status.round is not None:
            body["round"] = {"number": status.round.number, "opens_at": status.round.opens_at.isoformat(),
                             "closes_at": status.round.closes_at.isoformat(),
                             "final": status.round.is_final, **round_counts(status.round)}
        return body

    round_key = status.round.id if status.round is not None else "-"
    return _cached(contest.id, f"stats:{round_key}:{status.state}", produce, PROVISIONAL_TTL)


def round_winners(round_: Round) -> list[dict]:
    """The frozen ranking's prize winners in rank order, unmasked (staff, exports)."""
    entries = db.session.execute(
        sa.select(RankingEntry).where(RankingEntry.round_id == round_.id, RankingEntry.prize_name.is_not(None))
        .order_by(RankingEntry.rank)).scalars().all()
    people = _people([e.contestant_id for e in entries])
    return [{"rank": e.rank, **_identity(people[e.contestant_id], public=False), "contestant_id": e.contestant_id,
             "score": e.score, "duration_ms": e.duration_ms, "prediction": e.prediction,
             "prediction_error": e.prediction_error, "prize": e.prize_name, "prize_amount": e.prize_amount}
            for e in entries]


# --- finalizing ------------------------------------------------------------------------

@dataclass(frozen=True)
class FinalizeOutcome:
    round_number: int
    participants: int
    entries: int
    winners: int
    checksum: str
    already_final: bool = False
    collective_awarded: bool = False


def _outcome(round_: Round, already_final: bool, collective: bool = False) -> FinalizeOutcome:
    entries, winners = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(RankingEntry.prize_name))
        .where(RankingEntry.round_id == round_.id)).one()
    return FinalizeOutcome(round_.number, round_.participants_final or 0, entries, winners,
                           round_.ranking_checksum or "", already_final, collective)


def _running_attempts(round_: Round, contest: Contest, now: datetime) -> int:
    """In-progress attempts that may still be submitted (not past deadline + grace)."""
    cutoff = now - timedelta(seconds=contest.grace_seconds)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(
        Attempt.round_id == round_.id, Attempt.status == "in_progress", Attempt.deadline_at >= cutoff)) or 0


def _earlier_unfinalized(round_: Round, contest: Contest) -> list[int]:
    if contest.prizes_in_several_rounds:
        return []
    return [r.number for r in contest.rounds if r.number < round_.number and not r.is_final]


def finalize_blockers(round_: Round, now: datetime | None = None) -> list[str]:
    """Why the round cannot be finalized now (Vietnamese); empty when it can. For the
    admin view's button; finalize_round() checks the same."""
    contest, now = round_.contest, now or clock.now()
    problems = []
    if round_.is_final:
        return problems
    if now < round_.closes_at:
        problems.append(f"Tuần thi chưa kết thúc: chỉ chốt được kết quả sau "
                        f"{clock.to_local(round_.closes_at, contest.timezone):%H:%M ngày %d/%m/%Y}.")
    running = _running_attempts(round_, contest, now)
    if running:
        problems.append(f"Còn {running} lượt thi đang làm bài; chờ các lượt thi này kết thúc rồi chốt.")
    earlier = _earlier_unfinalized(round_, contest)
    if earlier:
        problems.append("Thể lệ chỉ cho mỗi thí sinh nhận giải ở một tuần: cần chốt kết quả tuần "
                        + ", ".join(map(str, earlier)) + " trước.")
    return problems


def _participants(round_: Round, contest: Contest) -> int:
    """The participant count as the contest defines it for the prediction (everyone with a
    closed attempt: the figure the public saw growing during the round), recounted from
    the attempts so the frozen figure never depends on the running tally."""
    recount([round_.id])
    counts = round_counts(round_)
    return counts["attempts"] if contest.prediction == "attempts" else counts["participants"]


def _exceptions(contest: Contest) -> tuple[set[int], set[int]]:
    """Contestants removed from rankings and those passed over for prizes. Only the few
    who are not active and identifiable are read."""
    rows = db.session.execute(
        sa.select(Contestant.id, Contestant.status, Contestant.anonymized_at).where(
            Contestant.contest_id == contest.id,
            sa.or_(Contestant.status != "active", Contestant.anonymized_at.is_not(None))))
    removed, unranked = set(), set()
    for cid, status, anonymized_at in rows:
        if not ranking.shown_in_ranking(status):
            removed.add(cid)
        elif not ranking.eligible_for_prizes(status, anonymized_at is not None):
            unranked.add(cid)
    return removed, unranked


def _stream_results(round_: Round) -> Iterator[ranking.AttemptResult]:
    """Closed attempts as a stream (a server-side cursor on PostgreSQL). Core, not the
    ORM: at 250,000 rows the ORM's per-row loading costs more than the ranking itself."""
    t = Attempt.__table__.c
    rows = db.session.connection().execute(
        sa.select(t.id, t.contestant_id, t.status, t.score, t.duration_ms, t.prediction, t.submitted_at)
        .where(t.round_id == round_.id, t.status.in_(CLOSED))
        .execution_options(yield_per=STREAM_BATCH))
    for row in rows:
        yield ranking.AttemptResult(*row)


def _barred(round_: Round, contest: Contest) -> set[int]:
    """Winners of earlier rounds, when the contest allows a prize in one round only."""
    if contest.prizes_in_several_rounds:
        return set()
    earlier = [r.id for r in contest.rounds if r.number < round_.number]
    if not earlier:
        return set()
    return set(db.session.scalars(sa.select(RankingEntry.contestant_id).where(
        RankingEntry.round_id.in_(earlier), RankingEntry.prize_name.is_not(None))))


def _tiers(contest: Contest, kind: str) -> list[prizes.Tier]:
    return [prizes.Tier(t.name, t.count, t.amount, t.position, t.id) for t in contest.tiers(kind)]


def _freeze(round_: Round, contest: Contest, participants: int) -> tuple[str, int, int]:
    """Rank, allocate and insert the frozen ranking; returns (checksum, entries, winners)."""
    known = participants if contest.prediction != "none" else None
    removed, unranked = _exceptions(contest)
    ranked = ranking.rank_round(_stream_results(round_), contest.tiebreak, known,
                                removed=removed, unranked_for_prizes=unranked)
    awards = prizes.allocate(((e.contestant_id, e.eligible) for e in ranked),
                             _tiers(contest, "individual"), barred=_barred(round_, contest))
    time_limit_ms = contest.time_limit_seconds * 1000
    digest = ranking.RankingDigest(contest.slug, round_.number, participants)
    batch: list[dict] = []
    for entry in ranked:
        r, tier = entry.result, awards.get(entry.contestant_id)
        row = ranking.ChecksumRow(
            rank=entry.rank, contestant_id=r.contestant_id, attempt_id=r.attempt_id,
            score=r.score if r.score is not None else 0,
            duration_ms=r.duration_ms if r.duration_ms is not None else time_limit_ms,
            prediction=r.prediction, prediction_error=entry.prediction_error, eligible=entry.eligible,
            prize_name=tier.name if tier else None, prize_amount=tier.amount if tier else None)
        digest.add(row)
        batch.append({"round_id": round_.id, "prize_tier_id": tier.id if tier else None,
                      **{name: getattr(row, name) for name in ranking.ChecksumRow.__slots__}})
        if len(batch) >= INSERT_BATCH:
            _insert_entries(batch)
            batch = []
    if batch:
        _insert_entries(batch)
    return digest.hexdigest(), len(ranked), len(awards)


def _insert_entries(batch: list[dict]) -> None:
    """Core, not the ORM's bulk path (which splits a batch into hundreds of calls). On
    PostgreSQL psycopg's executemany still sends one statement per row, so the rows go
    by COPY, on the session's own connection, inside the finalizing transaction."""
    connection, table = db.session.connection(), RankingEntry.__table__
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), batch)
        return
    columns = list(batch[0])
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([row[c] for c in columns])


def _expire_overdue(contest: Contest, now: datetime) -> None:
    """Attempts past deadline + grace are closed by rule; close any nobody touched since."""
    from portal.quiz_service import expire_all_overdue

    expire_all_overdue(contest, now)


def finalize_round(round_: Round, actor: str) -> FinalizeOutcome:
    """Freeze the round's ranking: count the participants, compute prediction errors, rank,
    allocate the individual prizes, store the checksum, audit; once every round is final,
    also the collective awards. Finalizing a final round changes nothing and returns the
    same outcome. Raises ResultsError (Vietnamese message) when not allowed yet."""
    contest, now = round_.contest, clock.now()
    if round_.is_final:
        return _outcome(round_, already_final=True)
    _expire_overdue(contest, now)
    # Serialise concurrent finalizers of this round (a row lock on PostgreSQL; on SQLite the
    # second writer fails and writes nothing), then look again: the other may have finished.
    db.session.execute(sa.select(Round).where(Round.id == round_.id).with_for_update()
                       .execution_options(populate_existing=True)).scalar_one()
    if round_.is_final:
        db.session.rollback()
        return _outcome(round_, already_final=True)
    problems = finalize_blockers(round_, now)
    if problems:
        db.session.rollback()
        raise ResultsError(" ".join(problems))
    participants = _participants(round_, contest)
    try:
        checksum, entries, winners = _freeze(round_, contest, participants)
        round_.finalized_at, round_.finalized_by = now, actor
        round_.participants_final, round_.ranking_checksum = participants, checksum
        audit.record(actor, "round.finalize", round_, after={
            "contest": contest.slug, "round": round_.number, "participants": participants,
            "prediction": contest.prediction, "entries": entries, "winners": winners, "checksum": checksum})
        db.session.flush()
        collective = _award_collective(contest, actor) if all(r.is_final for r in contest.rounds) else False
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another finalizer got there between our check and our insert.
        db.session.rollback()
        db.session.refresh(round_)
        if round_.is_final:
            return _outcome(round_, already_final=True)
        raise
    except Exception:
        db.session.rollback()
        raise
    results_changed(contest, immediate=True)
    return _outcome(round_, already_final=False, collective=collective)


def _require_admin(actor: str) -> None:
    """Un-finalizing is for admins. Staff actors are "staff:<username>"; the command line
    ("cli…") runs with the server's own rights."""
    if not actor.startswith("staff:"):
        return
    staff = db.session.scalar(sa.select(Staff).where(Staff.username == actor.removeprefix("staff:")))
    if staff is None or not staff.active or not staff.is_admin:
        raise ResultsError("Chỉ tài khoản quản trị (admin) được hủy chốt kết quả.")


def unfinalize_round(round_: Round, actor: str, reason: str) -> None:
    """Undo a finalization (admins only, with a reason): the frozen ranking, its prizes
    and any collective awards are removed; the audit entry keeps what they were."""
    contest, reason = round_.contest, (reason or "").strip()
    if not round_.is_final:
        raise ResultsError("Tuần thi này chưa được chốt kết quả.")
    if len(reason) < 5:
        raise ResultsError("Cần ghi rõ lý do hủy chốt kết quả (ít nhất 5 ký tự).")
    _require_admin(actor)
    later = [r.number for r in contest.rounds if r.number > round_.number and r.is_final]
    if later and not contest.prizes_in_several_rounds:
        raise ResultsError("Giải các tuần sau phụ thuộc tuần này (mỗi thí sinh chỉ nhận giải một tuần): "
                           "cần hủy chốt tuần " + ", ".join(map(str, later)) + " trước.")
    before = {"contest": contest.slug, "round": round_.number, "finalized_at": round_.finalized_at.isoformat(),
              "finalized_by": round_.finalized_by, "participants": round_.participants_final,
              "checksum": round_.ranking_checksum,
              "winners": [[w["rank"], w["contestant_id"], w["prize"]] for w in round_winners(round_)]}
    collective = db.session.scalar(sa.select(sa.func.count()).select_from(CollectiveAward)
                                   .where(CollectiveAward.contest_id == contest.id))
    try:
        db.session.execute(sa.delete(RankingEntry).where(RankingEntry.round_id == round_.id))
        db.session.execute(sa.delete(CollectiveAward).where(CollectiveAward.contest_id == contest.id))
        round_.finalized_at = round_.finalized_by = None
        round_.participants_final = round_.ranking_checksum = None
        audit.record(actor, "round.unfinalize", round_, before={**before, "collective_awards": collective},
                     after={"reason": reason})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    results_changed(contest, immediate=True)


def frozen_checksum(round_: Round) -> str | None:
    """The checksum recomputed from the stored frozen ranking (None if not final)."""
    if not round_.is_final:
        return None
    entries = db.session.execute(
        sa.select(*(getattr(RankingEntry, name) for name in ranking.ChecksumRow.__slots__))
        .where(RankingEntry.round_id == round_.id).order_by(RankingEntry.rank)
        .execution_options(yield_per=STREAM_BATCH))
    rows = (ranking.ChecksumRow(*row) for row in entries)
    return ranking.ranking_checksum(round_.contest.slug, round_.number, round_.participants_final, rows)


def verify_round(round_: Round) -> bool:
    """True when the stored frozen ranking still matches the checksum taken at finalizing."""
    return round_.is_final and frozen_checksum(round_) == round_.ranking_checksum


# --- collective results ----------------------------------------------------------------

def collective_tallies(contest: Contest) -> list[ranking.UnitTally]:
    """Every unit's participation over the whole contest, aggregated in the database."""
    per_round = (
        sa.select(Attempt.contestant_id, Attempt.round_id,
                  sa.func.coalesce(sa.func.max(Attempt.score), 0).label("best"),
                  sa.func.count().label("attempts"))
        .where(Attempt.round_id.in_(sa.select(Round.id).where(Round.contest_id == contest.id)),
               Attempt.status.in_(CLOSED))
        .group_by(Attempt.contestant_id, Attempt.round_id).subquery())
    counting = [s for s in CONTESTANT_STATUSES if ranking.counts_for_unit(s)]
    figures = {row.unit_id: row for row in db.session.execute(
        sa.select(Contestant.unit_id,
                  sa.func.count(sa.distinct(per_round.c.contestant_id)).label("participants"),
                  sa.func.sum(per_round.c.attempts).label("attempts"),
                  sa.func.sum(per_round.c.best).label("best_sum"),
                  sa.func.count().label("best_count"))
        .join(Contestant, Contestant.id == per_round.c.contestant_id)
        .where(Contestant.status.in_(counting)).group_by(Contestant.unit_id))}
    units = db.session.scalars(sa.select(Unit).where(Unit.contest_id == contest.id)).all()
    tallies = []
    for unit in units:
        row = figures.get(unit.id)
        if row is None and not unit.active:
            continue
        tallies.append(ranking.UnitTally(
            unit_id=unit.id, block_id=unit.block_id, position=unit.position, headcount=unit.headcount,
            participants=row.participants if row else 0, attempts=int(row.attempts) if row else 0,
            best_score_sum=int(row.best_sum or 0) if row else 0, best_score_count=row.best_count if row else 0))
    return tallies


def _collective_awards(contest: Contest, tallies: list[ranking.UnitTally]) -> tuple[dict, dict]:
    ranked = ranking.rank_units(tallies, contest.collective_criterion)
    tiers = _tiers(contest, "collective")
    awards = {block: prizes.allocate(((u.tally.unit_id, u.tally.participants > 0) for u in units), tiers)
              for block, units in ranked.items()}
    return ranked, awards


def _award_collective(contest: Contest, actor: str) -> bool:
    """Freeze the collective ranking and its prizes (called when the last round is final)."""
    ranked, awards = _collective_awards(contest, collective_tallies(contest))
    db.session.execute(sa.delete(CollectiveAward).where(CollectiveAward.contest_id == contest.id))
    rows = []
    for block_id, units in ranked.items():
        for unit in units:
            tier = awards[block_id].get(unit.tally.unit_id)
            rows.append({"contest_id": contest.id, "block_id": block_id, "unit_id": unit.tally.unit_id,
                         "rank": unit.rank, "participants": unit.tally.participants,
                         "attempts": unit.tally.attempts, "prize_name": tier.name if tier else None,
                         "prize_amount": tier.amount if tier else None})
    if rows:
        db.session.execute(sa.insert(CollectiveAward), rows)
    audit.record(actor, "contest.collective_awards", contest, after={
        "contest": contest.slug, "criterion": contest.collective_criterion,
        "winners": [[r["block_id"], r["unit_id"], r["prize_name"]] for r in rows if r["prize_name"]]})
    return True


def _percent(participants: int, headcount: int | None) -> float | None:
    return round(100 * participants / headcount, 2) if headcount else None


def _collective(contest: Contest) -> dict:
    final = db.session.scalar(sa.select(sa.func.count()).select_from(CollectiveAward)
                              .where(CollectiveAward.contest_id == contest.id)) > 0
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.contest_id == contest.id))}
    blocks = db.session.scalars(sa.select(Block).where(Block.contest_id == contest.id).order_by(Block.position)).all()
    rows_by_block: dict[int, list[dict]] = {b.id: [] for b in blocks}
    if final:
        for award in db.session.scalars(sa.select(CollectiveAward).where(CollectiveAward.contest_id == contest.id)
                                        .order_by(CollectiveAward.block_id, CollectiveAward.rank)):
            unit = units[award.unit_id]
            rows_by_block.setdefault(award.block_id, []).append({
                "rank": award.rank, "unit_id": unit.id, "unit": unit.name, "participants": award.participants,
                "attempts": award.attempts, "headcount": unit.headcount,
                "rate": _percent(award.participants, unit.headcount),
                "prize": award.prize_name, "prize_amount": award.prize_amount})
    else:
        ranked, _ = _collective_awards(contest, collective_tallies(contest))
        for block_id, ranked_units in ranked.items():
            for item in ranked_units:
                t, unit = item.tally, units[item.tally.unit_id]
                rows_by_block.setdefault(block_id, []).append({
                    "rank": item.rank, "unit_id": unit.id, "unit": unit.name, "participants": t.participants,
                    "attempts": t.attempts, "headcount": unit.headcount,
                    "rate": _percent(t.participants, unit.headcount), "prize": None, "prize_amount": None})
    return {"final": final, "criterion": contest.collective_criterion,
            "blocks": [{"id": b.id, "key": b.key, "name": b.name, "rows": rows_by_block.get(b.id, [])}
                       for b in blocks]}


def collective_standings(contest: Contest) -> dict:
    """The collective ranking per block, cached: provisional (live, no prizes) until every
    round is finalized, then the frozen awards. {"final", "criterion", "blocks": [{"id",
    "key", "name", "rows": [{"rank", "unit_id", "unit", "participants", "attempts",
    "headcount", "rate" (percent or None), "prize", "prize_amount"}]}]}"""
    return _cached(contest.id, "collective", lambda: _collective(contest), PROVISIONAL_TTL)
