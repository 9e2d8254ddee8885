"""Kết quả: per round the ranking (provisional or frozen), finalize / un-finalize, the
winners and the official files; the collective results per block. The rules live in
portal/results.py and portal/results_export.py; these views only call them."""
from __future__ import annotations

import io

from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for

from portal import audit, clock, results, results_export
from portal.admin.forms import EmptyForm, UnfinalizeForm
from portal.admin.views import actor, admin_only, arg_int, bp, client_ip, no_contest, page_or_fragment
from portal.contests import portal_contest
from portal.extensions import db
from portal.htmx import vary_on_htmx
from portal.models import Contest, Round
from portal.stats import round_counts


def _round_or_404(contest: Contest, number: int) -> Round:
    round_ = contest.round_by_number(number)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/results")
def results_overview():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    now = clock.now()
    rounds = [{"round": r, "counts": round_counts(r), "blockers": results.finalize_blockers(r, now),
               "state": r.window.state(now)} for r in contest.rounds]
    return render_template("admin/results.html", rounds=rounds, collective=results.collective_standings(contest),
                           finalize_form=EmptyForm())


@bp.get("/results/<int:number>")
def round_results(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    board = results.admin_leaderboard(round_, arg_int("page", 1))
    context = dict(round=round_, board=board, counts=round_counts(round_),
                   blockers=results.finalize_blockers(round_), winners=results.round_winners(round_),
                   finalize_form=EmptyForm(), unfinalize_form=UnfinalizeForm())
    return page_or_fragment("admin/round_results.html", "admin/_ranking_table.html", **context)


@bp.post("/results/<int:number>/finalize")
def round_finalize(number: int):
    """finalize_round writes the round's audit entry itself, in its own transaction."""
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        outcome = results.finalize_round(round_, actor())
    except results.ResultsError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.round_results", number=number))
    if outcome.already_final:
        flash(f"Tuần {number} đã được chốt trước đó; kết quả giữ nguyên.", "info")
    else:
        flash(f"Đã chốt kết quả tuần {number}: {outcome.entries} thí sinh được xếp hạng, {outcome.winners} giải."
              + (" Đã xét giải tập thể." if outcome.collective_awarded else ""), "success")
    return redirect(url_for("admin.round_results", number=number))


@bp.post("/results/<int:number>/unfinalize")
@admin_only
def round_unfinalize(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    form = UnfinalizeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "Cần ghi lý do hủy chốt.", "error")
        return redirect(url_for("admin.round_results", number=number))
    try:
        results.unfinalize_round(round_, actor(), form.reason.data)
    except results.ResultsError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Đã hủy chốt kết quả tuần {number}.", "success")
    return redirect(url_for("admin.round_results", number=number))


@bp.get("/results/<int:number>/verify")
def round_verify(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    ok = results.verify_round(round_) if round_.is_final else None
    return vary_on_htmx(make_response(render_template("admin/_verify.html", round=round_, ok=ok)))


def _xlsx(write, filename: str):
    out = io.BytesIO()
    write(out)
    out.seek(0)
    return send_file(out, mimetype=results_export.XLSX_MIME, as_attachment=True, download_name=filename)


@bp.get("/results/<int:number>/export.xlsx")
def round_export(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    winners_only = request.args.get("winners") == "1"
    if not round_.is_final:
        flash(f"Tuần {number} chưa chốt kết quả: chưa có kết quả chính thức để tải.", "error")
        return redirect(url_for("admin.round_results", number=number))
    # The file holds names and phone numbers: who took it, and when, is kept.
    audit.record(actor(), "results.export", round_, after={"round": number, "winners_only": winners_only},
                 ip=client_ip())
    db.session.commit()
    name = results_export.round_filename(round_)
    if winners_only:
        name = name.replace(".xlsx", "-dat-giai.xlsx")
    return _xlsx(lambda out: results_export.export_round(round_, out, winners_only=winners_only), name)


@bp.get("/results/collective.xlsx")
def collective_export():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    audit.record(actor(), "results.export_collective", contest, ip=client_ip())
    db.session.commit()
    return _xlsx(lambda out: results_export.export_collective(contest, out), results_export.collective_filename(contest))
