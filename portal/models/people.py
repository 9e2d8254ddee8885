"""Contestants (per contest, phone unique) and staff accounts (separate, with a role)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models.contest import Contest, Unit
from portal.models.types import UTCDateTime, utcnow

CONTESTANT_STATUSES = ("active", "ineligible", "disqualified", "closed")
STAFF_ROLES = ("admin", "moderator")


class PasswordMixin:
    password_hash: Mapped[str]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class Contestant(PasswordMixin, UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(sa.String(16))  # normalized: 0xxxxxxxxx
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    full_name: Mapped[str] = mapped_column(sa.String(120))
    birth_year: Mapped[int]
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    id_number: Mapped[str | None] = mapped_column(sa.String(12))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consent_version: Mapped[str] = mapped_column(sa.String(32), default="")
    public_consent: Mapped[bool] = mapped_column(default=False)
    public_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guardian_confirmed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    source: Mapped[str | None] = mapped_column(sa.String(64))  # embedding site that sent them
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contest: Mapped[Contest] = relationship()
    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "phone"),
        sa.Index("ix_contestant_contest_status", "contest_id", "status"),
        sa.Index("ix_contestant_contest_order", "contest_id", "id"),
        sa.CheckConstraint(
            "status IN ('active', 'ineligible', 'disqualified', 'closed')", name="status"),
    )

    def get_id(self) -> str:
        return f"c:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.status != "closed" and self.anonymized_at is None


class Staff(PasswordMixin, UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    full_name: Mapped[str] = mapped_column(sa.String(120), default="")
    role: Mapped[str] = mapped_column(sa.String(16), default="moderator")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'moderator')", name="role"),)

    def get_id(self) -> str:
        return f"s:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
