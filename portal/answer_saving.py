"""Saving an answer in one statement: the request every contestant makes ten times an
attempt, so it reads nothing before it writes.

The statement writes only when everything that lets quiz_service.save_answer accept the
answer holds at that instant: the attempt is this contestant's, in the portal's contest,
still in progress and within deadline + grace; the position is one of its items; the
choice is one of that item's question's. When it writes nothing, the caller hands the
request to save_answer, which loads the attempt and gives the reason (or saves, if only
the grace hint below was out of date). Rows are written by the same rule either way.

The grace: the cutoff (now - grace) must be a parameter, so the statement also requires
the contest's grace_seconds to equal the grace the cutoff was computed with. That value
is a hint kept per application, refreshed by every slow-path answer; a stale hint costs
one slow request, never a wrong acceptance."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app

from portal import ID_MAX, scoring
from portal.contest.forms import CHOICE_MAX_LENGTH
from portal.contests import is_portal_contest
from portal.extensions import db
from portal.models import Attempt, AttemptItem, Choice, Contest, Question, Round
from portal.models.types import UTCDateTime

_HINT = "portal.answer_grace"


@dataclass(frozen=True)
class ItemState:
    """One drawn question of an attempt as the quiz navigation shows it."""
    position: int
    chosen_choice_id: int | None


@dataclass(frozen=True)
class SavedAnswer:
    """What the statement returns with the write: enough to send a contestant on."""
    attempt_id: int
    next_after: int | None      # the first unanswered position after the saved one
    first_unanswered: int | None
    prediction_given: bool
    contest_prediction: str     # the contest's tie-break kind: people | attempts | none


def remember_grace(contest: Contest) -> None:
    current_app.extensions[_HINT] = contest.grace_seconds


def parse_choice(raw: str | None) -> int | None:
    """A choice id as the answer form sends it (within AnswerForm's length), or None for
    anything else: the full path then refuses it or, for forms int() reads and this does
    not, decides."""
    if raw is None or len(raw) > CHOICE_MAX_LENGTH:
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > ID_MAX:
        return None
    return int(text)


@lru_cache(maxsize=2)
def _save_statement(by_slug: bool) -> sa.Update:
    """Built once: the statement object is immutable and its compiled form is cached."""
    portal = is_portal_contest(sa.bindparam("p_slug") if by_slug else None)
    rounds = (sa.select(Round.id).join(Contest, Contest.id == Round.contest_id)
              .where(portal, Contest.grace_seconds == sa.bindparam("p_grace")))
    # The attempt's row lock, as quiz_service._while_open takes it: an answer and a submit
    # of the same attempt never interleave (PostgreSQL re-checks the status after the wait).
    locked = (sa.select(Attempt.id).where(
        Attempt.id == sa.bindparam("p_attempt"), Attempt.contestant_id == sa.bindparam("p_contestant"),
        Attempt.status == "in_progress",
        Attempt.deadline_at >= sa.bindparam("p_cutoff", type_=UTCDateTime()),
        Attempt.round_id.in_(rounds)).with_for_update(key_share=True).scalar_subquery())
    # A question's choices are fixed when it is created (question_editing keeps their
    # number and only edits texts), so "a choice of the item's question" is the same set
    # as the item's choice_order drawn from it.
    own_choice = sa.exists().where(Choice.id == sa.bindparam("p_choice"),
                                   Choice.question_id == AttemptItem.question_id)
    return (sa.update(AttemptItem)
            .where(AttemptItem.attempt_id == locked, AttemptItem.position == sa.bindparam("p_position"), own_choice)
            .values(chosen_choice_id=sa.bindparam("p_choice"), answered_at=sa.bindparam("p_now", type_=UTCDateTime()))
            .returning(*_WHERE_NEXT))


# Where to go next, returned by the write itself: the first unanswered position after the
# saved one, the first unanswered position, the attempt's prediction and the contest's
# prediction kind. The subqueries may see the saved row before or after the write
# (databases differ), so they leave its position out. Literal SQL, the same for SQLite and
# PostgreSQL, because SQLAlchemy's SQLite compiler writes RETURNING columns without their
# table, nested subqueries included, which would uncorrelate them.
_OPEN_OTHER = ("FROM attempt_item AS other WHERE other.attempt_id = attempt_item.attempt_id"
               " AND other.chosen_choice_id IS NULL AND other.position <> attempt_item.position")
_WHERE_NEXT = (
    sa.literal_column(f"(SELECT min(other.position) {_OPEN_OTHER} AND other.position > attempt_item.position)",
                      sa.Integer).label("next_after"),
    sa.literal_column(f"(SELECT min(other.position) {_OPEN_OTHER})", sa.Integer).label("first_open"),
    sa.literal_column("(SELECT a.prediction FROM attempt AS a WHERE a.id = attempt_item.attempt_id)",
                      sa.BigInteger).label("given"),
    sa.literal_column("(SELECT c.prediction FROM attempt AS a JOIN round AS r ON r.id = a.round_id"
                      " JOIN contest AS c ON c.id = r.contest_id WHERE a.id = attempt_item.attempt_id)",
                      sa.String).label("kind"),
)


def try_save(contestant_id: int, attempt_id: int, position: int, choice_id: int,
             now: datetime) -> SavedAnswer | None:
    """Save the answer in one autocommitted statement; None when it wrote nothing (the
    caller then takes the path that explains why)."""
    grace = current_app.extensions.get(_HINT)
    if grace is None:
        return None
    slug = current_app.config.get("CONTEST_SLUG") or None
    params = {"p_attempt": attempt_id, "p_contestant": contestant_id, "p_position": position,
              "p_choice": choice_id, "p_now": now, "p_grace": grace,
              "p_cutoff": scoring.acceptance_cutoff(grace, now)}
    if slug:
        params["p_slug"] = slug
    # Its own pooled connection, in autocommit: one round trip writes, commits and answers,
    # with no BEGIN before it. Nothing else of this request has touched the database.
    with _autocommit() as connection:
        row = connection.execute(_save_statement(slug is not None), params).first()
    if row is None:
        return None
    return SavedAnswer(attempt_id, row.next_after, row.first_open, row.given is not None, row.kind)


def _autocommit():
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@lru_cache(maxsize=1)
def _fragment_statement() -> sa.Select:
    """Every item's state, and the text and choices of one of them: an item's row comes
    once per choice when it is the one asked for (p_show), once with NULLs otherwise."""
    shown = sa.and_(Question.id == AttemptItem.question_id, AttemptItem.position == sa.bindparam("p_show"))
    return (sa.select(AttemptItem.position, AttemptItem.chosen_choice_id, AttemptItem.choice_order,
                      Question.text, Choice.id.label("choice_id"), Choice.text.label("choice_text"))
            .select_from(AttemptItem).outerjoin(Question, shown).outerjoin(Choice, Choice.question_id == Question.id)
            .where(AttemptItem.attempt_id == sa.bindparam("p_attempt")).order_by(AttemptItem.position))


@dataclass(frozen=True)
class ShownChoice:
    id: int
    text: str


@dataclass(frozen=True)
class QuestionFragment:
    """What the question fragment shows of an attempt: every item's state, and one item's
    question text with its choices in the attempt's order."""
    items: list[ItemState]
    text: str
    choices: list[ShownChoice]


def fragment_for(attempt_id: int, position: int) -> QuestionFragment:
    with _autocommit() as connection:
        rows = connection.execute(_fragment_statement(), {"p_attempt": attempt_id, "p_show": position}).all()
    items: dict[int, ItemState] = {}
    text, by_id, order = "", {}, []
    for row in rows:
        items.setdefault(row.position, ItemState(row.position, row.chosen_choice_id))
        if row.position == position and row.choice_id is not None:
            text, order = row.text, row.choice_order
            by_id[row.choice_id] = ShownChoice(row.choice_id, row.choice_text)
    return QuestionFragment(list(items.values()), text, [by_id[i] for i in order])
