"""Small public read-only JSON API (cacheable)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from portal.contests import contest_by_slug_or_404, round_status
from portal.stats import round_counts

bp = Blueprint("api", __name__)


@bp.get("/contests/<slug>/stats")
def stats(slug: str):
    contest = contest_by_slug_or_404(slug)
    status = round_status(contest)
    body = {"contest": contest.slug, "title": contest.title, "state": status.state, "round": None}
    if status.round is not None:
        body["round"] = {
            "number": status.round.number,
            "opens_at": status.round.opens_at.isoformat(),
            "closes_at": status.round.closes_at.isoformat(),
            **round_counts(status.round),
        }
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=30"
    return response
