"""Counting participation: who took part in a round, how many attempts were made.

A round keeps its own tally (two columns), moved by the transaction that closes an
attempt, so reading it costs the same at a million attempts as at a thousand. Code that
writes closed attempts any other way (seeding, merging accounts) calls recount();
finalizing a round recounts too, so a tally can never stay wrong past the results."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Attempt, Round

CLOSED = ("submitted", "expired")


def round_counts(round_: Round) -> dict[str, int]:
    """Participants (distinct contestants with a closed attempt) and closed attempts."""
    row = db.session.execute(sa.select(Round.tally_participants, Round.tally_attempts)
                             .where(Round.id == round_.id)).one()
    return {"participants": row[0], "attempts": row[1]}


def count_closed(attempt: Attempt) -> None:
    """One more closed attempt in its round, and one more participant if it is the
    contestant's first closed attempt there. Runs last in the transaction that closes it
    (the round's row stays locked until the commit, so keep what follows short).

    Two statements on purpose: the first takes the round's row lock (waiting for any
    other close of the round to commit); the second, a new statement, then sees that
    close, so two closes of one contestant's attempts count one participant."""
    db.session.execute(sa.update(Round).where(Round.id == attempt.round_id)
                       .values(tally_attempts=Round.tally_attempts + 1)
                       .execution_options(synchronize_session=False))
    earlier = sa.exists().where(Attempt.round_id == attempt.round_id, Attempt.contestant_id == attempt.contestant_id,
                                Attempt.status.in_(CLOSED), Attempt.id != attempt.id)
    db.session.execute(sa.update(Round).where(Round.id == attempt.round_id, ~earlier)
                       .values(tally_participants=Round.tally_participants + 1)
                       .execution_options(synchronize_session=False))


def counted(round_id) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """The exact counts, as subqueries on the round's attempts (what the tally must equal)."""
    closed = sa.and_(Attempt.round_id == round_id, Attempt.status.in_(CLOSED))
    return (sa.select(sa.func.count(Attempt.id)).where(closed).scalar_subquery(),
            sa.select(sa.func.count(sa.distinct(Attempt.contestant_id))).where(closed).scalar_subquery())


def recount(round_ids: Iterable[int]) -> None:
    """Set the rounds' tallies from their attempts (one pass over each round)."""
    ids = sorted(set(round_ids))
    if not ids:
        return
    # Lock the rounds first: a close in flight commits before the count below starts,
    # whose statement then sees it (one UPDATE would count from a snapshot taken before
    # it waited for that close, and lose it).
    db.session.execute(sa.select(Round.id).where(Round.id.in_(ids)).order_by(Round.id).with_for_update())
    attempts, participants = counted(Round.id)
    db.session.execute(sa.update(Round).where(Round.id.in_(ids))
                       .values(tally_attempts=attempts, tally_participants=participants)
                       .execution_options(synchronize_session=False))
