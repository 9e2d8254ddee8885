"""Frozen results, prize awards, embed attribution, privacy requests and the audit log."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class RankingEntry(db.Model):
    """One row of a round's frozen (finalized) ranking."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    rank: Mapped[int]
    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestant.id", ondelete="CASCADE"))
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id", ondelete="CASCADE"))
    score: Mapped[int]
    duration_ms: Mapped[int]
    prediction: Mapped[int | None] = mapped_column(sa.BigInteger)
    prediction_error: Mapped[int | None] = mapped_column(sa.BigInteger)
    eligible: Mapped[bool] = mapped_column(default=True)
    prize_tier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("prize_tier.id", ondelete="SET NULL"))
    prize_name: Mapped[str | None] = mapped_column(sa.String(120))
    prize_amount: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.UniqueConstraint("round_id", "rank"),
        sa.UniqueConstraint("round_id", "contestant_id"),
    )


class CollectiveAward(db.Model):
    """A unit's collective prize for the whole contest, allocated after the last round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("block.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"))
    rank: Mapped[int]
    participants: Mapped[int]
    attempts: Mapped[int]
    prize_name: Mapped[str | None] = mapped_column(sa.String(120))
    prize_amount: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.UniqueConstraint("contest_id", "unit_id"),)


class SiteVisit(db.Model):
    """Visitors sent by an embedding site (?src=key), counted per local day."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    site_key: Mapped[str] = mapped_column(sa.String(64))
    day: Mapped[date] = mapped_column(sa.Date)
    visits: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("contest_id", "site_key", "day"),)


class DataRequest(db.Model):
    """A contestant's request to delete their personal data; closed by a moderator."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestant.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="delete")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class AuditEntry(db.Model):
    """Who changed what, when: every staff action and every system action on results."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))  # "staff:bantochuc", "cli", "system"
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[str] = mapped_column(sa.String(64), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_entry_target", "target_type", "target_id"),)
