"""Attempts and their drawn items: the server's record of every draw, answer and time."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.contest import Round
from portal.models.people import Contestant
from portal.models.questions import Choice, Question
from portal.models.types import UTCDateTime, utcnow

ATTEMPT_STATUSES = ("in_progress", "submitted", "expired")


class Attempt(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestant.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    local_day: Mapped[date] = mapped_column(sa.Date)
    # 1..attempts_per_day: with the unique key below the database itself refuses a second
    # attempt with the same number on the same day, whatever N is.
    day_seq: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    score: Mapped[int | None]
    duration_ms: Mapped[int | None]
    prediction: Mapped[int | None] = mapped_column(sa.BigInteger)
    source: Mapped[str | None] = mapped_column(sa.String(64))

    contestant: Mapped[Contestant] = relationship()
    round: Mapped[Round] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("contestant_id", "local_day", "day_seq"),
        sa.Index("ix_attempt_round_status", "round_id", "status"),
        sa.Index("ix_attempt_contestant_round", "contestant_id", "round_id"),
        sa.Index("ix_attempt_round_day", "round_id", "local_day"),
        sa.CheckConstraint("day_seq > 0", name="day_seq_positive"),
        sa.CheckConstraint(
            "status IN ('in_progress', 'submitted', 'expired')", name="status"),
        sa.CheckConstraint("prediction IS NULL OR prediction >= 0", name="prediction_nonnegative"),
        sa.CheckConstraint("duration_ms IS NULL OR duration_ms >= 0", name="duration_nonnegative"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "in_progress"


class AttemptItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based order shown to the contestant
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    choice_order: Mapped[list] = mapped_column(sa.JSON)  # choice ids in the order shown
    chosen_choice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("choice.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship()
    chosen_choice: Mapped[Choice | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "question_id"),
    )


# The open round's leaderboard reads the best attempts in ranking order; this index lets
# its first page come from the index instead of the whole round (bench/leaderboard_scale.py).
sa.Index("ix_attempt_round_rank", Attempt.round_id, Attempt.score.desc(), Attempt.duration_ms,
         Attempt.submitted_at, Attempt.id)
