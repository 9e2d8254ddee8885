"""Attempts: start (or resume), save answers and the prediction, submit, expire. The server
is the only authority on the draw, the clock and the score."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import clock, scoring, stats
from portal.contests import round_status
from portal.drawing import draw_questions, order_choices
from portal.eligibility import Decision, Situation, decide
from portal.extensions import db
from portal.models import Attempt, AttemptItem, Choice, Contest, Contestant, Question


class QuizRefusal(Exception):
    """A refused action, with the HTTP status and a Vietnamese message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _results_changed(attempt: Attempt) -> None:
    """Tell the results module that a round's figures moved (its caches are cleared there)."""
    try:
        from portal.results import results_changed
    except ImportError:  # results module not present in this build
        return
    results_changed(attempt.round)


def active_pool(round_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Question.id).where(
        Question.round_id == round_id, Question.active.is_(True))))


def open_attempt(contestant: Contestant) -> Attempt | None:
    return db.session.scalar(sa.select(Attempt).where(
        Attempt.contestant_id == contestant.id, Attempt.status == "in_progress")
        .order_by(Attempt.id.desc()).limit(1))


@dataclass
class _Facts:
    """What eligibility and a start need, each read once: the facts for decide(), the round
    status, the attempt still in progress (after closing it if overdue) and the round's
    active question ids."""
    situation: Situation
    status: object
    open_attempt: Attempt | None
    pool: list[int]


def _facts(contestant: Contestant, contest: Contest, now: datetime) -> _Facts:
    today = clock.local_day(now, contest.timezone)
    # Today's attempts and the one in progress in one statement, so both come from the same
    # snapshot: a start racing another sees its attempt as open and counted, or neither.
    mine = db.session.scalars(sa.select(Attempt).where(
        Attempt.contestant_id == contestant.id,
        sa.or_(Attempt.local_day == today, Attempt.status == "in_progress")).order_by(Attempt.id.desc())).all()
    current = next((a for a in mine if a.status == "in_progress"), None)
    if current is not None:
        expire_if_overdue(current, contest, now)
        if current.status != "in_progress":
            current = None
    status = round_status(contest, now)
    rnd = status.round
    pool = active_pool(rnd.id) if rnd is not None and status.is_open else []
    facts = Situation(
        now=now, timezone=contest.timezone, round_state=status.state,
        round_number=rnd.number if rnd else None,
        round_opens_at=rnd.opens_at if rnd else None, round_closes_at=rnd.closes_at if rnd else None,
        contestant_status=contestant.status, status_reason=contestant.status_reason,
        attempts_today=sum(1 for a in mine if a.local_day == today),
        attempts_per_day=contest.attempts_per_day,
        has_open_attempt=current is not None,
        pool_size=len(pool), questions_per_attempt=contest.questions_per_attempt)
    return _Facts(facts, status, current, pool)


def eligibility(contestant: Contestant, contest: Contest) -> Decision:
    """The one eligibility check every view uses (after closing overdue attempts)."""
    return decide(_facts(contestant, contest, clock.now()).situation, _)


@dataclass
class StartResult:
    attempt: Attempt | None
    decision: Decision
    created: bool = False


def start_attempt(contestant: Contestant, contest: Contest, source: str | None = None) -> StartResult:
    """Start a new attempt, or resume the one in progress. Two simultaneous starts produce
    one attempt: the unique (contestant, local day, day number) key refuses the second,
    which then resumes the first."""
    now = clock.now()
    known = _facts(contestant, contest, now)
    decision = decide(known.situation, _)
    if decision.resumes:
        return StartResult(known.open_attempt, decision)
    if not decision.allowed:
        return StartResult(None, decision)
    rnd = known.status.round
    day = clock.local_day(now, contest.timezone)
    attempt = Attempt(contestant_id=contestant.id, round_id=rnd.id, local_day=day,
                      day_seq=known.situation.attempts_today + 1, started_at=now,
                      deadline_at=now + timedelta(seconds=contest.time_limit_seconds),
                      status="in_progress", source=source)
    question_ids = draw_questions(known.pool, contest.questions_per_attempt)
    choices: dict[int, list[int]] = {}
    for question_id, choice_id in db.session.execute(
            sa.select(Choice.question_id, Choice.id).where(Choice.question_id.in_(question_ids))
            .order_by(Choice.question_id, Choice.position)):
        choices.setdefault(question_id, []).append(choice_id)
    attempt.items = [AttemptItem(position=i, question_id=qid,
                                 choice_order=order_choices(choices[qid], contest.shuffle_choices))
                     for i, qid in enumerate(question_ids, start=1)]
    db.session.add(attempt)
    try:
        _commit_keeping_loaded()  # the view redirects to attempt.id: no need to read it back
    except IntegrityError:
        db.session.rollback()
        existing = open_attempt(contestant)
        if existing is not None:
            return StartResult(existing, Decision(True, "resume", _("Lượt thi của bạn đã được tạo; tiếp tục lượt đó.")))
        return StartResult(None, decide(_facts(contestant, contest, clock.now()).situation, _))
    return StartResult(attempt, decision, created=True)


def attempt_for(contestant: Contestant, attempt_id: int) -> Attempt | None:
    """Only the contestant's own attempt; anyone else's is 'not found'. Its round and items
    come in the same query: every quiz page needs them, and one round trip instead of three
    is most of what an answer costs (see docs/performance.md)."""
    return db.session.scalars(
        sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.contestant_id == contestant.id)
        .options(joinedload(Attempt.round), joinedload(Attempt.items))).unique().one_or_none()


def question_with_choices(question_id: int) -> Question:
    """A drawn question and its choices in one query (the question page shows both)."""
    return db.session.scalars(sa.select(Question).where(Question.id == question_id)
                              .options(joinedload(Question.choices))).unique().one()


def _commit_keeping_loaded() -> None:
    """Commit without expiring what this request has loaded. The writers below use Core
    UPDATEs and set the values they wrote on the loaded objects themselves, so reloading
    the attempt, its items and the contest after the commit (three queries) would only
    read back what we already hold; the next request reads the database afresh."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _close(attempt: Attempt, contest: Contest, status: str, closed_at: datetime) -> bool:
    """Close an in-progress attempt exactly once. The conditional UPDATE is also the lock
    that makes a concurrent answer or submit wait and then see it closed."""
    duration = (contest.time_limit_seconds * 1000 if status == "expired" else
                scoring.counted_duration_ms(attempt.started_at, closed_at, contest.time_limit_seconds))
    result = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status=status, submitted_at=closed_at, duration_ms=duration)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    correct = dict(db.session.execute(
        sa.select(Choice.question_id, Choice.id).where(
            Choice.is_correct.is_(True),
            Choice.question_id.in_(sa.select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt.id)))).all())
    items = db.session.execute(sa.select(AttemptItem.question_id, AttemptItem.chosen_choice_id)
                               .where(AttemptItem.attempt_id == attempt.id)).all()
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt.id)
                       .values(score=scoring.score((chosen, correct.get(qid)) for qid, chosen in items))
                       .execution_options(synchronize_session=False))
    stats.count_closed(attempt)  # last: it holds the round's row lock until the commit
    db.session.commit()
    db.session.refresh(attempt)
    _results_changed(attempt)
    return True


def expire_if_overdue(attempt: Attempt, contest: Contest, now: datetime | None = None) -> bool:
    """Lazily close an attempt past deadline + grace with the answers it had saved."""
    now = now or clock.now()
    if attempt.status != "in_progress" or scoring.accepts_at(attempt.deadline_at, contest.grace_seconds, now):
        return False
    closed = _close(attempt, contest, "expired", attempt.deadline_at)
    if not closed:
        db.session.refresh(attempt)
    return closed


def expire_all_overdue(contest: Contest, now: datetime | None = None) -> int:
    """For cron: close every overdue attempt of the contest; returns how many."""
    now = now or clock.now()
    cutoff = now - timedelta(seconds=contest.grace_seconds)
    round_ids = [r.id for r in contest.rounds]
    overdue = list(db.session.scalars(sa.select(Attempt).where(
        Attempt.round_id.in_(round_ids), Attempt.status == "in_progress", Attempt.deadline_at < cutoff)))
    return sum(1 for attempt in overdue if expire_if_overdue(attempt, contest, now))


def _time_up() -> str:
    return _("Đã hết thời gian làm bài; thao tác này không được ghi nhận. "
             "Bài thi đã được đóng với các câu trả lời đã lưu trước đó.")


def _closed() -> str:
    return _("Lượt thi này đã được nộp; không thể thay đổi.")


def _ensure_writable(attempt: Attempt, contest: Contest, now: datetime) -> None:
    if attempt.status == "expired":
        raise QuizRefusal(409, _time_up())
    if attempt.status != "in_progress":
        raise QuizRefusal(409, _closed())
    if not scoring.accepts_at(attempt.deadline_at, contest.grace_seconds, now):
        expire_if_overdue(attempt, contest, now)
        raise QuizRefusal(409, _time_up())


def _while_open(attempt: Attempt) -> sa.ScalarSelect:
    """The attempt's id while it is still in progress, taking its row (PostgreSQL row lock;
    SQLite has one writer at a time anyway), so an answer and a submit of the same attempt
    never interleave: a submit waits for the answer's commit, or the answer, having waited
    for the submit, finds the attempt closed and writes nothing."""
    return (sa.select(Attempt.id).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
            .with_for_update(key_share=True).scalar_subquery())  # FOR NO KEY UPDATE, as an UPDATE takes


def _refuse_if_none_written(result) -> None:
    if result.rowcount != 1:
        db.session.rollback()
        raise QuizRefusal(409, _closed())


def item_at(attempt: Attempt, position: int) -> AttemptItem | None:
    return next((item for item in attempt.items if item.position == position), None)


def save_answer(attempt: Attempt, contest: Contest, position: int, raw_choice: str | None) -> AttemptItem:
    """Save the chosen choice of one drawn question; refuses foreign choices and late or
    closed attempts, writing nothing."""
    now = clock.now()
    item = item_at(attempt, position)
    if item is None:
        raise QuizRefusal(404, _("Câu hỏi này không thuộc lượt thi của bạn."))
    _ensure_writable(attempt, contest, now)
    try:
        choice_id = int(raw_choice or "")
    except ValueError:
        raise QuizRefusal(400, _("Vui lòng chọn một phương án.")) from None
    if choice_id not in item.choice_order:
        raise QuizRefusal(400, _("Phương án đã chọn không thuộc câu hỏi này."))
    # One statement takes the attempt's lock and writes the answer.
    _refuse_if_none_written(db.session.execute(
        sa.update(AttemptItem).where(AttemptItem.id == item.id, AttemptItem.attempt_id == _while_open(attempt))
        .values(chosen_choice_id=choice_id, answered_at=now).execution_options(synchronize_session=False)))
    _commit_keeping_loaded()
    set_committed_value(item, "chosen_choice_id", choice_id)
    set_committed_value(item, "answered_at", now)
    return item


def save_prediction(attempt: Attempt, contest: Contest, raw: str | None) -> int:
    now = clock.now()
    if contest.prediction == "none":
        raise QuizRefusal(404, _("Cuộc thi này không có câu hỏi phụ."))
    _ensure_writable(attempt, contest, now)
    text = (raw or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    if not text.isdigit() or len(text) > 12 or int(text) > contest.prediction_max:
        raise QuizRefusal(400, _("Dự đoán phải là một số nguyên từ 0 đến %(max)s.",
                                 max=f"{contest.prediction_max:,}".replace(",", ".")))
    value = int(text)
    # The conditional UPDATE of the attempt's own row is its lock (as in _close).
    _refuse_if_none_written(db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(prediction=value).execution_options(synchronize_session=False)))
    _commit_keeping_loaded()
    set_committed_value(attempt, "prediction", value)
    return value


def submit(attempt: Attempt, contest: Contest) -> Attempt:
    now = clock.now()
    _ensure_writable(attempt, contest, now)
    if not _close(attempt, contest, "submitted", now):
        raise QuizRefusal(409, _closed())
    return attempt


def counted_attempts(contest: Contest, attempts: list[Attempt]) -> dict[int, tuple[int, str]]:
    """For "my attempts": per round, the attempt that counts and why, by the contest's
    tie-break order (prediction errors only once the round's participant count is final)."""
    from portal.ranking import best_attempt_with_reason

    by_round: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        if attempt.status in ("submitted", "expired"):
            by_round.setdefault(attempt.round_id, []).append(attempt)
    rounds = {r.id: r for r in contest.rounds}
    out = {}
    for round_id, closed in by_round.items():
        best, reason = best_attempt_with_reason(
            closed, contest.tiebreak, rounds[round_id].participants_final)
        out[round_id] = (best.id, reason)
    return out
