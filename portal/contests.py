"""Finding the contest a request is about, and where it stands in time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app, g

from portal import clock
from portal.extensions import db
from portal.models import Contest, Round


def is_portal_contest(slug: str | sa.BindParameter | None) -> sa.ColumnElement[bool]:
    """The condition on Contest that picks the contest served at "/": CONTEST_SLUG, else
    the most recently created one. One definition for the ORM read below and for the
    statements that check it without loading the contest (portal/answer_saving.py)."""
    if isinstance(slug, sa.BindParameter) or slug:
        return Contest.slug == slug
    return Contest.id == sa.select(sa.func.max(Contest.id)).scalar_subquery()


def portal_contest() -> Contest | None:
    """The contest served at "/" (see is_portal_contest), read once per request."""
    if "portal_contest" not in g:
        g.portal_contest = db.session.scalar(
            sa.select(Contest).where(is_portal_contest(current_app.config.get("CONTEST_SLUG"))))
    return g.portal_contest


def portal_contest_or_404() -> Contest:
    contest = portal_contest()
    if contest is None:
        abort(404)
    return contest


def contest_by_slug_or_404(slug: str) -> Contest:
    contest = db.session.scalar(sa.select(Contest).where(Contest.slug == slug))
    if contest is None:
        abort(404)
    return contest


@dataclass(frozen=True)
class RoundStatus:
    round: Round | None
    state: str  # open | upcoming | closed | none
    at: datetime

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def next_change(self) -> datetime | None:
        """When the shown round opens (upcoming) or closes (open)."""
        if self.round is None or self.state == "closed":
            return None
        return self.round.opens_at if self.state == "upcoming" else self.round.closes_at


def round_status(contest: Contest, instant: datetime | None = None) -> RoundStatus:
    instant = instant or clock.now()
    rounds = list(contest.rounds)
    index, state = clock.current_index([r.window for r in rounds], instant)
    return RoundStatus(rounds[index] if index is not None else None, state, instant)
