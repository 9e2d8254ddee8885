"""Small public read-only JSON API: cacheable (Cache-Control, ETag, 304) and masked."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from portal import results
from portal.contests import contest_by_slug_or_404

bp = Blueprint("api", __name__)

MAX_PAGE = 100_000
LEADERBOARD_FIELDS = ("rank", "name", "unit", "phone", "score", "duration_ms", "prediction_error")


def _cacheable(body: dict, max_age: int):
    """JSON with an ETag of its bytes; a client or proxy holding it gets 304 instead."""
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)


def page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/contests/<slug>/stats")
def stats(slug: str):
    contest = contest_by_slug_or_404(slug)
    return _cacheable(results.contest_stats(contest), results.PROVISIONAL_TTL)


@bp.get("/contests/<slug>/rounds/<int:number>/leaderboard")
def leaderboard(slug: str, number: int):
    contest = contest_by_slug_or_404(slug)
    round_ = contest.round_by_number(number)
    if round_ is None:
        abort(404)
    page = page_arg()
    board = results.round_leaderboard(round_, page)
    body = {"final": board["final"], "participants": board["participants"],
            "rows": [{field: row[field] for field in LEADERBOARD_FIELDS} for row in board["rows"]]}
    response = _cacheable(body, results.FINAL_TTL if board["final"] else results.PROVISIONAL_TTL)
    if board["has_next"]:
        response.headers["Link"] = f'<{url_for("api.leaderboard", slug=slug, number=number, page=page + 1)}>; rel="next"'
    return response
