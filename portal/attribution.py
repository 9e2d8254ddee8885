"""Crediting embedding sites: a visitor arriving with ?src=<site key> is counted once per
session, and their registration and attempts carry that key."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask, request, session

from portal import clock
from portal.extensions import db
from portal.models import Contest, SiteVisit

SITE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def clean_site_key(raw: str | None) -> str | None:
    key = (raw or "").strip().lower()
    return key if SITE_KEY_RE.match(key) else None


def current_source() -> str | None:
    """The site that sent this visitor, if any (kept in the session)."""
    return clean_site_key(session.get("src"))


def count_visit(contest: Contest, site_key: str) -> None:
    """One more visit for the site today; an upsert so concurrent visits never collide."""
    day = clock.local_day(clock.now(), contest.timezone)
    table = SiteVisit.__table__
    values = {"contest_id": contest.id, "site_key": site_key, "day": day, "visits": 1}
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**values).on_conflict_do_update(
        index_elements=["contest_id", "site_key", "day"], set_={"visits": table.c.visits + 1})
    db.session.execute(statement)
    db.session.commit()


def register_attribution(app: Flask) -> None:
    @app.before_request
    def note_source():
        key = clean_site_key(request.args.get("src")) if request.method == "GET" else None
        if key is None or session.get("src") == key or request.path.startswith(("/static", "/embed", "/api")):
            return
        from portal.contests import portal_contest

        contest = portal_contest()
        if contest is not None:
            session["src"] = key
            count_visit(contest, key)


def visits_by_site(contest: Contest) -> dict[str, int]:
    rows = db.session.execute(sa.select(SiteVisit.site_key, sa.func.sum(SiteVisit.visits))
                              .where(SiteVisit.contest_id == contest.id).group_by(SiteVisit.site_key))
    return {key: int(total) for key, total in rows}
