"""Public leaderboards: provisional while a round is open, final once it is finalized;
the collective ranking of units per block."""
from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for

from portal import results
from portal.contest.views import bp
from portal.contests import portal_contest_or_404, round_status
from portal.htmx import is_htmx, vary_on_htmx
from portal.public_cache import public_page

MAX_PAGE = 100_000


def page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.app_template_filter("vn_percent")
def vn_percent(value: float | None) -> str:
    """12.5 -> "12,5%" (Vietnamese decimal comma); None -> a dash."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


@bp.get("/leaderboard")
def leaderboard_current():
    """The leaderboard of the round the public sees now (the open one, else the nearest)."""
    contest = portal_contest_or_404()
    status = round_status(contest)
    if status.round is None:
        abort(404)
    return redirect(url_for("contest.leaderboard", number=status.round.number))


@bp.get("/rounds/<int:number>/leaderboard")
@public_page
def leaderboard(number: int):
    contest = portal_contest_or_404()
    round_ = contest.round_by_number(number)
    if round_ is None:
        abort(404)
    status = round_status(contest)
    state = round_.window.state(status.at)
    board = results.round_leaderboard(round_, page_arg())
    context = {"round": round_, "board": board, "state": state}
    template = "contest/_leaderboard_rows.html" if is_htmx() else "contest/leaderboard.html"
    return vary_on_htmx(make_response(render_template(template, **context)))


@bp.get("/collective")
@public_page
def collective():
    contest = portal_contest_or_404()
    standings = results.collective_standings(contest)
    return render_template("contest/collective.html", standings=standings,
                           show_rate=standings["criterion"] == "rate" or any(
                               row["rate"] is not None for block in standings["blocks"] for row in block["rows"]))
