"""Counting participation: who took part in a round, how many attempts were made."""
from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Attempt, Round

CLOSED = ("submitted", "expired")


def round_counts(round_: Round) -> dict[str, int]:
    """Participants (distinct contestants with a closed attempt) and closed attempts."""
    row = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Attempt.contestant_id)), sa.func.count(Attempt.id))
        .where(Attempt.round_id == round_.id, Attempt.status.in_(CLOSED))).one()
    return {"participants": row[0], "attempts": row[1]}
