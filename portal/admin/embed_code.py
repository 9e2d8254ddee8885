"""The admin "Mã nhúng" page: choose size and theme, preview, copy the snippet; edit the
origins allowed to frame the banner; see what each embedding site brought in."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from portal import audit
from portal.admin.embed_forms import EmbedOptionsForm, EmbedOriginsForm
from portal.admin.views import actor, bp
from portal.contests import portal_contest, portal_contest_or_404
from portal.embed.banner import DEFAULT_SIZE, DEFAULT_THEME
from portal.embed.sites import parse_origins, site_report, snippet_html
from portal.extensions import db


def portal_base_url() -> str:
    """Where host pages reach the portal: the configured public URL, else this request's."""
    return (current_app.config.get("PORTAL_BASE_URL") or request.url_root).rstrip("/")


def chosen_options() -> dict[str, str]:
    """The preview options in this URL, carried through the origins form and its redirect
    (only these keys: url_for treats "_external", "_scheme"... as instructions)."""
    return {key: request.args[key] for key in ("size", "theme", "site") if key in request.args}


def render_page(origins_form: EmbedOriginsForm, status: int = 200):
    contest = portal_contest()
    options = EmbedOptionsForm(formdata=request.args)
    valid = options.validate()
    size = options.size.data if valid else DEFAULT_SIZE
    theme = options.theme.data if valid else DEFAULT_THEME
    src = (options.site.data or None) if valid else None
    context = {"options": options, "origins_form": origins_form, "size": size, "theme": theme, "src": src,
               "chosen_options": chosen_options()}
    if contest is not None:
        context["snippet"] = snippet_html(portal_base_url(), size, theme, src, contest.title)
        context["sites"] = site_report(contest)
    return render_template("admin/embed_code.html", **context), status


@bp.get("/embed")
def embed_code():
    contest = portal_contest()
    form = EmbedOriginsForm(data={"origins": "\n".join(contest.embed_origins or []) if contest else ""})
    return render_page(form)


@bp.post("/embed/origins")
def embed_origins():
    contest = portal_contest_or_404()
    form = EmbedOriginsForm()
    if not form.validate_on_submit():
        return render_page(form, 400)
    origins, problems = parse_origins(form.origins.data or "")
    if problems:
        form.origins.errors = problems
        return render_page(form, 400)
    before = list(contest.embed_origins or [])
    if origins == before:
        flash("Danh sách nguồn không thay đổi.", "info")
    else:
        contest.embed_origins = origins
        audit.record(actor(), "contest.embed_origins", contest,
                     before={"embed_origins": before}, after={"embed_origins": origins},
                     ip=request.remote_addr)
        db.session.commit()
        flash(f"Đã lưu {len(origins)} nguồn được phép nhúng banner.", "success")
    return redirect(url_for("admin.embed_code", **chosen_options()))
