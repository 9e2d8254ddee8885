"""The question bank: questions of a round and their choices (exactly one correct)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Question(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)  # plain text, escaped when shown
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan")

    @property
    def correct_choice(self) -> Choice | None:
        return next((c for c in self.choices if c.is_correct), None)


class Choice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 0 = A in the bank; contestants may see another order
    text: Mapped[str] = mapped_column(sa.Text)
    is_correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="choices")

    __table_args__ = (
        sa.UniqueConstraint("question_id", "position"),
        # At most one correct choice per question, in the database itself; "at least
        # one" is checked by every writer (import, admin form).
        sa.Index("uq_choice_one_correct", "question_id", unique=True,
                 sqlite_where=sa.text("is_correct"), postgresql_where=sa.text("is_correct")),
    )
