"""A contest, its rounds, blocks, units, prize tiers and announcements."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import Window
from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

PREDICTION_MODES = ("people", "attempts", "none")
TIEBREAK_KEYS = ("score", "duration", "prediction")
COLLECTIVE_CRITERIA = ("participants", "rate")


class Contest(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    organizer: Mapped[str] = mapped_column(sa.String(300), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    rules_html: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Ho_Chi_Minh")
    questions_per_attempt: Mapped[int] = mapped_column(default=10)
    choices_per_question: Mapped[int] = mapped_column(default=4)
    time_limit_seconds: Mapped[int] = mapped_column(default=600)
    grace_seconds: Mapped[int] = mapped_column(default=15)
    attempts_per_day: Mapped[int] = mapped_column(default=1)
    prediction: Mapped[str] = mapped_column(sa.String(16), default="people")
    prediction_max: Mapped[int] = mapped_column(sa.BigInteger, default=10_000_000)
    tiebreak: Mapped[list] = mapped_column(sa.JSON, default=lambda: list(TIEBREAK_KEYS))
    embed_origins: Mapped[list] = mapped_column(sa.JSON, default=list)
    shuffle_choices: Mapped[bool] = mapped_column(default=True)
    prizes_in_several_rounds: Mapped[bool] = mapped_column(default=True)
    collective_criterion: Mapped[str] = mapped_column(sa.String(16), default="participants")
    publish_answer_key: Mapped[bool] = mapped_column(default=False)
    ask_id_number: Mapped[bool] = mapped_column(default=False)
    ask_email: Mapped[bool] = mapped_column(default=False)
    min_birth_year: Mapped[int] = mapped_column(default=1920)
    retention_days: Mapped[int] = mapped_column(default=365)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rounds: Mapped[list[Round]] = relationship(
        back_populates="contest", order_by="Round.number", cascade="all, delete-orphan")
    blocks: Mapped[list[Block]] = relationship(
        back_populates="contest", order_by="Block.position", cascade="all, delete-orphan")
    prize_tiers: Mapped[list[PrizeTier]] = relationship(
        back_populates="contest", order_by="PrizeTier.kind, PrizeTier.position",
        cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("questions_per_attempt > 0", name="questions_positive"),
        sa.CheckConstraint("choices_per_question BETWEEN 2 AND 6", name="choices_range"),
        sa.CheckConstraint("time_limit_seconds > 0", name="time_limit_positive"),
        sa.CheckConstraint("grace_seconds >= 0", name="grace_nonnegative"),
        sa.CheckConstraint("attempts_per_day > 0", name="attempts_per_day_positive"),
        sa.CheckConstraint("prediction IN ('people', 'attempts', 'none')", name="prediction_mode"),
    )

    def tiers(self, kind: str) -> list[PrizeTier]:
        return [t for t in self.prize_tiers if t.kind == kind]

    def round_by_number(self, number: int) -> Round | None:
        return next((r for r in self.rounds if r.number == number), None)

    @property
    def letters(self) -> str:
        return "ABCDEF"[: self.choices_per_question]

    @property
    def ends_at(self) -> datetime | None:
        return max((r.closes_at for r in self.rounds), default=None)


class Round(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_by: Mapped[str | None] = mapped_column(sa.String(120))
    participants_final: Mapped[int | None] = mapped_column(sa.BigInteger)
    ranking_checksum: Mapped[str | None] = mapped_column(sa.String(64))
    # Participation so far, kept by the transaction that closes an attempt (portal/stats.py):
    # the public stats read these instead of counting every attempt of the round.
    tally_attempts: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    tally_participants: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    contest: Mapped[Contest] = relationship(back_populates="rounds")

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "number"),
        sa.CheckConstraint("closes_at > opens_at", name="window_order"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    @property
    def window(self) -> Window:
        return Window(self.opens_at, self.closes_at)

    @property
    def is_final(self) -> bool:
        return self.finalized_at is not None


class Block(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    contest: Mapped[Contest] = relationship(back_populates="blocks")
    units: Mapped[list[Unit]] = relationship(
        back_populates="block", order_by="Unit.position, Unit.name")

    __table_args__ = (sa.UniqueConstraint("contest_id", "key"),)


class Unit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("block.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(200))
    headcount: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    block: Mapped[Block] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "name"),
        sa.CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_nonnegative"),
    )


class PrizeTier(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # individual (per round) | collective
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    count: Mapped[int]
    amount: Mapped[int] = mapped_column(sa.BigInteger)

    contest: Mapped[Contest] = relationship(back_populates="prize_tiers")

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "kind", "position"),
        sa.CheckConstraint("kind IN ('individual', 'collective')", name="kind"),
        sa.CheckConstraint("count > 0 AND amount >= 0", name="count_amount"),
    )


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # sanitized on save
    pinned: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
