"""Bảng điều khiển: participation today, this round and over the contest, per block and
unit, attempts per day and the score distribution, as SVG charts with their tables."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import render_template, request

from portal import cache, clock, participation
from portal.admin import charts
from portal.admin.views import bp, page_or_fragment
from portal.contests import portal_contest, round_status
from portal.extensions import db
from portal.models import Contest, Question, Round
from portal.results import contest_stats
from portal.stats import round_counts

# Seconds: a busy contest's aggregates (hundreds of thousands of attempts) are computed at
# most this often, whoever reloads; "today" is cheap (an index on round and day) and fresher.
CACHE_TTL = 60
TODAY_TTL = 20
TOP_UNITS = 20


def dashboard_round(contest: Contest, status) -> Round | None:
    """The round the dashboard is about: the open one, else the last one that has opened."""
    if status.round is not None and status.state != "upcoming":
        return status.round
    opened = [r for r in contest.rounds if r.opens_at <= status.at]
    return opened[-1] if opened else status.round


def _participation(contest: Contest, period: str, current: Round | None) -> dict:
    figures = participation.by_block(contest, period, current)
    return {"total": vars(figures["total"]),
            "blocks": [{"id": b.id, "name": b.name, "participants": b.participants, "attempts": b.attempts,
                        "units": b.units} for b in figures["blocks"]]}


def _round_figures(contest: Contest, status, current: Round | None) -> dict | None:
    """The current round's participants and attempts: the public stats' figures (cached
    by the results module, so usually free) when it is the round the public sees."""
    if current is None:
        return None
    if status.round is not None and status.round.id == current.id:
        body = contest_stats(contest).get("round") or {}
        if "participants" in body:
            return {"participants": body["participants"], "attempts": body["attempts"]}
    return round_counts(current)


def _cached(contest: Contest, name: str, produce, ttl: float = CACHE_TTL):
    return cache.get_or_set(f"admin:dashboard:{contest.id}:{name}", produce, ttl)


def _numbers(contest: Contest, status, period: str, current: Round | None, today: date) -> dict:
    """Each part cached on its own, so switching the period recomputes only that part."""
    tag = f"{current.id if current else '-'}:{today.isoformat()}"
    counts = _cached(contest, f"counts:{tag}", lambda: {
        "computed_at": clock.now().isoformat(),
        "registrations": participation.registrations(contest),
        "in_progress": participation.in_progress(contest),
        "today": vars(participation.by_block(contest, "today", current)["total"]),
    }, TODAY_TTL)
    return {
        **counts,
        "round": _cached(contest, f"round:{tag}", lambda: _round_figures(contest, status, current)),
        "participation": _cached(contest, f"period:{period}:{tag}", lambda: _participation(contest, period, current),
                                 TODAY_TTL if period == "today" else CACHE_TTL),
        "days": _cached(contest, f"days:{tag}", lambda: [dict(d, day=d["day"].isoformat())
                                                           for d in participation.attempts_per_day(contest)]),
        "scores": _cached(contest, f"scores:{tag}", lambda: participation.score_distribution(
            current, contest.questions_per_attempt) if current else []),
    }


def _charts(numbers: dict) -> dict:
    blocks = numbers["participation"]["blocks"]
    units = sorted((u for b in blocks for u in b["units"]), key=lambda u: (-u["participants"], u["name"]))
    days = [(f"{date.fromisoformat(d['day']):%d/%m}", d["attempts"]) for d in numbers["days"]]
    return {
        "blocks": charts.horizontal_bars([(b["name"], b["participants"]) for b in blocks]),
        "units": charts.horizontal_bars([(u["name"], u["participants"]) for u in units[:TOP_UNITS]]),
        "days": charts.columns(days),
        "scores": charts.columns([(str(s["score"]), s["attempts"]) for s in numbers["scores"]]),
        "units_shown": min(len(units), TOP_UNITS), "units_total": len(units),
    }


@bp.get("/")
def dashboard():
    contest = portal_contest()
    if contest is None:
        return render_template("admin/dashboard.html", status=None)
    status = round_status(contest)
    current = dashboard_round(contest, status)
    period = request.args.get("period", "")
    if period not in participation.PERIODS:
        period = "round" if current is not None else "contest"
    numbers = _numbers(contest, status, period, current, clock.local_day(status.at, contest.timezone))
    questions = dict(db.session.execute(
        sa.select(Question.round_id, sa.func.count()).where(Question.active.is_(True))
        .group_by(Question.round_id)).all())
    context = dict(status=status, current=current, period=period, periods=participation.PERIODS,
                   numbers=numbers, charts=_charts(numbers), questions_per_round=questions,
                   computed_at=datetime.fromisoformat(numbers["computed_at"]))
    fragment = "admin/_dashboard_figures.html" if request.args.get("part") == "figures" else "admin/_dashboard_live.html"
    return page_or_fragment("admin/dashboard.html", fragment, **context)
