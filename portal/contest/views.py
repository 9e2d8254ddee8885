"""Public pages for contestants: landing, rules."""
from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.local import LocalProxy

from portal.contests import portal_contest, portal_contest_or_404, round_status
from portal.public_cache import public_page

bp = Blueprint("contest", __name__)


@bp.app_context_processor
def inject_contest() -> dict:
    # Read only if a template uses it: a fragment that is given all it shows (the question
    # after a saved answer) then costs no query for the contest.
    return {"contest": LocalProxy(portal_contest)}


@bp.get("/")
@public_page
def index():
    contest = portal_contest()
    if contest is None:
        return render_template("contest/empty.html")
    return render_template("contest/index.html", status=round_status(contest),
                           individual=contest.tiers("individual"),
                           collective=contest.tiers("collective"),
                           announcements=published_announcements(contest))


def published_announcements(contest, limit: int = 5) -> list:
    """Published announcements, pinned first, newest first."""
    import sqlalchemy as sa

    from portal import clock
    from portal.extensions import db
    from portal.models import Announcement

    return list(db.session.scalars(
        sa.select(Announcement).where(Announcement.contest_id == contest.id, Announcement.published_at.is_not(None),
                                      Announcement.published_at <= clock.now())
        .order_by(Announcement.pinned.desc(), Announcement.published_at.desc()).limit(limit)))


@bp.get("/rules")
@public_page
def rules():
    contest = portal_contest_or_404()
    return render_template("contest/rules.html", status=round_status(contest),
                           individual=contest.tiers("individual"),
                           collective=contest.tiers("collective"))


# Routes kept in their own modules, registered on this blueprint.
from portal.contest import leaderboards  # noqa: E402,F401
from portal.contest import account, quiz  # noqa: E402,F401


@bp.get("/privacy")
@public_page
def privacy():
    return render_template("contest/privacy.html")
