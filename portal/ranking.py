"""Pure ranking rules: a contestant's best attempt, a round's ranking, the collective
ranking of units and the checksum of a frozen ranking. No Flask, no database."""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Collection, Iterable, Iterator, Sequence

CLOSED_STATUSES = ("submitted", "expired")
TIEBREAK_KEYS = ("score", "duration", "prediction")
DEFAULT_TIEBREAK = TIEBREAK_KEYS
CHECKSUM_VERSION = "portal-ranking-v1"

# A tuple slot that sorts after every real value: missing data never wins a tie-break.
_MISSING = (1, 0)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What ranking needs to know about one attempt."""

    attempt_id: int
    contestant_id: int
    status: str
    score: int | None
    duration_ms: int | None
    prediction: int | None
    closed_at: datetime | None  # submitted_at; the deadline for expired attempts

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    result: AttemptResult
    prediction_error: int | None
    eligible: bool

    @property
    def contestant_id(self) -> int:
        return self.result.contestant_id


def normalize_tiebreak(tiebreak: Sequence[str] | None) -> tuple[str, ...]:
    keys = tuple(tiebreak or DEFAULT_TIEBREAK)
    unknown = [k for k in keys if k not in TIEBREAK_KEYS]
    if unknown or len(set(keys)) != len(keys):
        raise ValueError(f"bad tie-break order: {list(keys)}")
    return keys


def prediction_error(prediction: int | None, participants: int | None) -> int | None:
    if prediction is None or participants is None:
        return None
    return abs(prediction - participants)


def _present(value) -> tuple:
    return _MISSING if value is None else (0, value)


def sort_key(result: AttemptResult, tiebreak: Sequence[str], participants: int | None) -> tuple:
    """Smaller is better. The prediction only counts once the participant count is known
    (participants=None while the round is open: provisional = score and time only).
    Exact ties fall to the earlier close, then the lower attempt id, so the order is total.
    Each part is a (missing?, value) pair laid flat, which keeps 100,000 keys small."""
    parts: list = []
    for key in tiebreak:
        if key == "score":
            parts += _present(None if result.score is None else -result.score)
        elif key == "duration":
            parts += _present(result.duration_ms)
        elif key == "prediction" and participants is not None:
            parts += _present(prediction_error(result.prediction, participants))
    parts += _present(result.closed_at)
    parts += (0, result.attempt_id)
    return tuple(parts)


def _best_keyed(results: Iterable[AttemptResult], keys: tuple[str, ...],
                participants: int | None) -> dict[int, tuple[tuple, AttemptResult]]:
    best: dict[int, tuple[tuple, AttemptResult]] = {}
    for result in results:
        if not result.is_closed:
            continue
        key = sort_key(result, keys, participants)
        held = best.get(result.contestant_id)
        if held is None or key < held[0]:
            best[result.contestant_id] = (key, result)
    return best


def best_attempts(results: Iterable[AttemptResult], tiebreak: Sequence[str] | None,
                  participants: int | None) -> dict[int, AttemptResult]:
    """Each contestant's best closed attempt; open attempts do not count. Consumes the
    iterable once and keeps one attempt per contestant, so it can be fed a stream."""
    best = _best_keyed(results, normalize_tiebreak(tiebreak), participants)
    return {cid: pair[1] for cid, pair in best.items()}


def rank_round(results: Iterable[AttemptResult], tiebreak: Sequence[str] | None,
               participants: int | None, *, removed: Collection[int] = (),
               unranked_for_prizes: Collection[int] = ()) -> list[RankedEntry]:
    """The round's ranking: one row per contestant (their best attempt), ranks 1..n with
    no shared rank. `removed` contestants (disqualified) are left out altogether;
    `unranked_for_prizes` ones keep their place but are marked not eligible."""
    keys = normalize_tiebreak(tiebreak)
    removed, unranked = frozenset(removed), frozenset(unranked_for_prizes)
    best = _best_keyed((r for r in results if r.contestant_id not in removed), keys, participants)
    ordered = sorted(best.values(), key=lambda pair: pair[0])
    best.clear()
    return [RankedEntry(rank=i, result=r, prediction_error=prediction_error(r.prediction, participants),
                        eligible=r.contestant_id not in unranked)
            for i, (_, r) in enumerate(ordered, start=1)]


# What each part of sort_key means, for telling a contestant why an attempt counts.
_KEY_TEXT = {
    "score": ("số câu đúng", "nhiều câu đúng nhất"),
    "duration": ("thời gian", "thời gian làm bài ngắn nhất"),
    "prediction": ("dự đoán", "dự đoán gần đúng nhất"),
    "closed_at": ("thời điểm nộp", "nộp bài sớm nhất"),
}


def _key_names(tiebreak: Sequence[str], participants: int | None) -> list[str]:
    names = [k for k in tiebreak if k != "prediction" or participants is not None]
    return names + ["closed_at", "attempt_id"]


def as_result(attempt) -> AttemptResult:
    """An AttemptResult from anything shaped like an Attempt row (ORM object or row)."""
    return AttemptResult(attempt_id=attempt.id, contestant_id=attempt.contestant_id,
                         status=attempt.status, score=attempt.score, duration_ms=attempt.duration_ms,
                         prediction=attempt.prediction, closed_at=attempt.submitted_at)


def best_attempt_with_reason(attempts: Iterable, tiebreak: Sequence[str] | None,
                             participants: int | None):
    """One contestant's attempts (Attempt-shaped objects) in one round: the one that counts
    and, in Vietnamese, what made it better than the runner-up. (None, "") when no attempt
    is closed. The prediction only decides once the round's participant count is final."""
    keys = normalize_tiebreak(tiebreak)
    scored = sorted(((sort_key(as_result(a), keys, participants), a) for a in attempts
                     if a.status in CLOSED_STATUSES), key=lambda pair: pair[0])
    if not scored:
        return None, ""
    if len(scored) == 1:
        return scored[0][1], "lượt thi duy nhất đã nộp trong tuần"
    names = _key_names(keys, participants)
    first, second = scored[0][0], scored[1][0]
    index = next(i for i, (a, b) in enumerate(zip(first, second)) if a != b) // 2  # two slots a part
    if names[index] == "attempt_id":  # identical down to the second: same close instant
        return scored[0][1], "kết quả như nhau, lượt thi ghi nhận trước"
    reason = _KEY_TEXT[names[index]][1]
    if index:
        same = [_KEY_TEXT[n][0] for n in names[:index]]
        same_text = same[0] if len(same) == 1 else ", ".join(same[:-1]) + " và " + same[-1]
        reason = f"cùng {same_text}, {reason}"
    return scored[0][1], reason


# --- who takes part in what -------------------------------------------------------------

def shown_in_ranking(status: str) -> bool:
    """Disqualified contestants are removed from every ranking, public or frozen."""
    return status != "disqualified"


def eligible_for_prizes(status: str, anonymized: bool) -> bool:
    """Only active, identifiable contestants can receive a prize: staff marked ineligible
    keep their place in the ranking but are passed over; a closed or anonymized account
    has nobody left to hand the prize to."""
    return status == "active" and not anonymized


def counts_for_unit(status: str) -> bool:
    """Whose participation counts for a unit's collective result: not disqualified
    people, and not excluded staff (who may not compete at all)."""
    return status in ("active", "closed")


# --- collective ranking -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class UnitTally:
    """A unit's participation over the whole contest."""

    unit_id: int
    block_id: int
    position: int
    headcount: int | None
    participants: int  # distinct contestants with a closed attempt
    attempts: int  # closed attempts
    best_score_sum: int = 0  # sum over (contestant, round) of the best score
    best_score_count: int = 0

    @property
    def mean_best_score(self) -> Fraction | None:
        if not self.best_score_count:
            return None
        return Fraction(self.best_score_sum, self.best_score_count)

    @property
    def rate(self) -> Fraction | None:
        """Participants per head, exact (no float ties); None when the headcount is unknown."""
        if not self.headcount:
            return None
        return Fraction(self.participants, self.headcount)


@dataclass(frozen=True, slots=True)
class RankedUnit:
    rank: int
    tally: UnitTally


def _unit_key(t: UnitTally, criterion: str) -> tuple:
    mean = t.mean_best_score
    tail = (-t.participants, -t.attempts, _present(None if mean is None else -mean),
            t.position, t.unit_id)
    if criterion == "rate":
        rate = t.rate
        # Units whose headcount is unknown have no rate: they come after every rated unit.
        return (_present(None if rate is None else -rate),) + tail
    if criterion != "participants":
        raise ValueError(f"unknown collective criterion: {criterion}")
    return tail


def rank_units(tallies: Iterable[UnitTally], criterion: str = "participants") -> dict[int, list[RankedUnit]]:
    """Per block, units ranked by participants (or participation rate), then total
    attempts, then mean best score; the contest file's unit order settles exact ties."""
    by_block: dict[int, list[UnitTally]] = {}
    for tally in tallies:
        by_block.setdefault(tally.block_id, []).append(tally)
    return {block: [RankedUnit(i, t) for i, t in
                    enumerate(sorted(units, key=lambda t: _unit_key(t, criterion)), start=1)]
            for block, units in by_block.items()}


# --- checksum of a frozen ranking ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChecksumRow:
    """The fields of a frozen ranking row the checksum covers: ids, not names, so the
    checksum still verifies after a contestant's personal data is anonymized."""

    rank: int
    contestant_id: int
    attempt_id: int
    score: int
    duration_ms: int
    prediction: int | None
    prediction_error: int | None
    eligible: bool
    prize_name: str | None
    prize_amount: int | None


def _field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return unicodedata.normalize("NFC", str(value)).replace("|", "/").replace("\n", " ")


def _header(contest_slug: str, round_number: int, participants: int | None) -> str:
    return "|".join([CHECKSUM_VERSION, _field(contest_slug), str(round_number), _field(participants)]) + "\n"


def _line(row: ChecksumRow) -> str:
    return "|".join([_field(row.rank), _field(row.contestant_id), _field(row.attempt_id), _field(row.score),
                     _field(row.duration_ms), _field(row.prediction), _field(row.prediction_error),
                     _field(row.eligible), _field(row.prize_name), _field(row.prize_amount)]) + "\n"


def checksum_lines(contest_slug: str, round_number: int, participants: int | None,
                   rows: Iterable[ChecksumRow]) -> Iterator[str]:
    """The canonical text the checksum is the SHA-256 of (UTF-8): one header line, then
    one line per row in rank order, fields joined by "|", empty for a missing value."""
    yield _header(contest_slug, round_number, participants)
    for row in rows:
        yield _line(row)


class RankingDigest:
    """The checksum built row by row, so a long ranking is never held just to hash it."""

    def __init__(self, contest_slug: str, round_number: int, participants: int | None):
        self._sha = hashlib.sha256(_header(contest_slug, round_number, participants).encode("utf-8"))

    def add(self, row: ChecksumRow) -> None:
        self._sha.update(_line(row).encode("utf-8"))

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def ranking_checksum(contest_slug: str, round_number: int, participants: int | None,
                     rows: Iterable[ChecksumRow]) -> str:
    digest = RankingDigest(contest_slug, round_number, participants)
    for row in rows:
        digest.add(row)
    return digest.hexdigest()
