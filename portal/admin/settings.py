"""Cài đặt cuộc thi: the contest's settings, its rounds' windows, prizes, the rules page
(Thể lệ) and announcements. Validation is the contest file's (portal/contest_settings.py)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for

from portal import audit, clock, contest_settings
from portal.admin.forms import (AnnouncementForm, EmptyForm, PrizesForm, RoundForm, RulesForm,
                                SettingsForm, local_input)
from portal.admin.views import actor, bp, client_ip, no_contest
from portal.contest_file import sanitize_html
from portal.contest_settings import SettingsError
from portal.contests import portal_contest
from portal.extensions import db
from portal.models import Announcement, Contest

TIER_KEY_RE = re.compile(r"^prizes\.(individual|collective)\[(\d+)\]\.(\w+)$")
ROUND_KEY_RE = re.compile(r"^rounds\[(\d+)\]\.(\w+)$")


def attach(form, problems: list[tuple[str, str]], field_for) -> None:
    """Put each validator problem on its form field (field_for(key) -> field or None);
    the rest are the form's own errors, shown above it."""
    form.form_errors = list(form.form_errors)
    for key, message in problems:
        field = field_for(key)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _settings_values(form: SettingsForm) -> dict:
    values = {name: form[name].data for name in contest_settings.SETTING_KEYS}
    values["tiebreak"] = form.tiebreak.data.split(",")
    return values


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    data = {key: getattr(contest, key) for key in contest_settings.SETTING_KEYS}
    data["tiebreak"] = ",".join(contest.tiebreak or [])
    form = SettingsForm(data=data)
    status = 200
    if form.validate_on_submit():
        try:
            changed = contest_settings.update_settings(contest, _settings_values(form), actor(), client_ip())
        except SettingsError as exc:
            attach(form, exc.problems, lambda key: form._fields.get(key))
            status = 400
        else:
            flash(f"Đã lưu {len(changed)} thay đổi." if changed else "Không có thay đổi nào.",
                  "success" if changed else "info")
            return redirect(url_for("admin.settings"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/settings.html", form=form, tab="settings"), status


@bp.route("/settings/rules", methods=["GET", "POST"])
def rules():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = RulesForm(data={"rules_html": contest.rules_html})
    if form.validate_on_submit():
        changed = contest_settings.update_rules(contest, form.rules_html.data, actor(), client_ip())
        flash("Đã lưu thể lệ." if changed else "Thể lệ không thay đổi.", "success" if changed else "info")
        return redirect(url_for("admin.rules"))
    return render_template("admin/rules.html", form=form, tab="rules",
                           preview=contest.rules_html), 400 if form.is_submitted() else 200


@bp.post("/settings/preview")
def rich_text_preview():
    """What the sanitizer keeps of a draft (changes nothing, so no audit entry)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = request.form.get("field", "")
    html = sanitize_html(request.form.get(name, "")[:200_000]) if name in ("rules_html", "body_html") else ""
    return render_template("admin/_rich_preview.html", preview=html)


# --- rounds ------------------------------------------------------------------------------

def _round_or_404(contest: Contest, number: int):
    round_ = contest.round_by_number(number)
    if round_ is None:
        abort(404)
    return round_


def _round_field(form: RoundForm, index: int):
    def field_for(key: str):
        match = ROUND_KEY_RE.match(key)
        if match and int(match.group(1)) == index and match.group(2) in ("opens_at", "closes_at", "title"):
            return form[match.group(2)]
        return None
    return field_for


@bp.get("/settings/rounds")
def rounds():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    return render_template("admin/rounds.html", tab="rounds", now=clock.now(), delete_form=EmptyForm())


@bp.route("/settings/rounds/<int:number>", methods=["GET", "POST"])
def round_edit(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    tz = contest.timezone
    form = RoundForm(data={"title": round_.title, "opens_at": clock.to_local(round_.opens_at, tz).replace(tzinfo=None),
                           "closes_at": clock.to_local(round_.closes_at, tz).replace(tzinfo=None)})
    locked = round_.opens_at <= clock.now()
    if form.validate_on_submit():
        try:
            changed = contest_settings.update_round(round_, form.title.data, form.opens_at.data, form.closes_at.data,
                                                    actor(), client_ip())
        except SettingsError as exc:
            attach(form, exc.problems, _round_field(form, contest.rounds.index(round_)))
        else:
            flash(f"Đã lưu tuần {number}." if changed else "Không có thay đổi nào.", "success" if changed else "info")
            return redirect(url_for("admin.rounds"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/round_form.html", form=form, round=round_, locked=locked, tab="rounds",
                           local_input=local_input), status


@bp.route("/settings/rounds/new", methods=["GET", "POST"])
def round_new():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = RoundForm()
    if form.validate_on_submit():
        try:
            round_ = contest_settings.add_round(contest, form.title.data, form.opens_at.data, form.closes_at.data,
                                                actor(), client_ip())
        except SettingsError as exc:
            attach(form, exc.problems, _round_field(form, len(contest.rounds)))
        else:
            flash(f"Đã thêm tuần {round_.number}.", "success")
            return redirect(url_for("admin.rounds"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/round_form.html", form=form, round=None, locked=False, tab="rounds",
                           local_input=local_input), status


@bp.post("/settings/rounds/<int:number>/delete")
def round_delete(number: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    round_ = _round_or_404(contest, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        contest_settings.delete_round(round_, actor(), client_ip())
    except SettingsError as exc:
        flash(" ".join(m for _, m in exc.problems), "error")
    else:
        flash(f"Đã xóa tuần {number}.", "success")
    return redirect(url_for("admin.rounds"))


# --- prizes ------------------------------------------------------------------------------

def _tier_rows(form: PrizesForm, kind: str) -> tuple[list[dict], list[int]]:
    """Filled rows as plain tiers, and each one's index in the form (blank rows dropped)."""
    rows, where = [], []
    for i, entry in enumerate(form[kind].entries):
        data = entry.form
        if not data.name.data and data.count.data is None and data.amount.data is None:
            continue
        rows.append({"name": data.name.data or "", "count": data.count.data if data.count.data is not None else 0,
                     "amount": data.amount.data if data.amount.data is not None else 0})
        where.append(i)
    return rows, where


@bp.route("/settings/prizes", methods=["GET", "POST"])
def prizes():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    if request.method == "POST":
        form = PrizesForm()
    else:
        form = PrizesForm(data={kind: [{"name": t.name, "count": t.count, "amount": t.amount}
                                       for t in contest.tiers(kind)] + [{}, {}]
                                for kind in ("individual", "collective")})
    if form.validate_on_submit():
        tiers, where = {}, {}
        for kind in ("individual", "collective"):
            tiers[kind], where[kind] = _tier_rows(form, kind)

        def field_for(key: str):
            match = TIER_KEY_RE.match(key)
            if not match or int(match.group(2)) >= len(where[match.group(1)]):
                return None
            entry = form[match.group(1)].entries[where[match.group(1)][int(match.group(2))]]
            return entry.form._fields.get(match.group(3))

        try:
            changed = contest_settings.update_prizes(contest, tiers, actor(), client_ip())
        except SettingsError as exc:
            attach(form, exc.problems, field_for)
        else:
            flash("Đã lưu cơ cấu giải thưởng." if changed else "Không có thay đổi nào.", "success" if changed else "info")
            return redirect(url_for("admin.prizes"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/prizes.html", form=form, tab="prizes"), status


# --- announcements -------------------------------------------------------------------------

def _announcement_or_404(contest: Contest, announcement_id: int) -> Announcement:
    item = db.session.get(Announcement, announcement_id)
    if item is None or item.contest_id != contest.id:
        abort(404)
    return item


def _announcement_state(item: Announcement) -> dict:
    return {"title": item.title, "body_html": item.body_html, "pinned": item.pinned,
            "published_at": item.published_at.isoformat() if item.published_at else None}


@bp.get("/announcements")
def announcements():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    items = db.session.scalars(sa.select(Announcement).where(Announcement.contest_id == contest.id)
                               .order_by(Announcement.pinned.desc(), Announcement.created_at.desc())).all()
    return render_template("admin/announcements.html", items=items, tab="announcements", delete_form=EmptyForm())


def _save_announcement(contest: Contest, item: Announcement | None, form: AnnouncementForm) -> Announcement:
    created = item is None
    before = None if created else _announcement_state(item)
    item = item or Announcement(contest_id=contest.id)
    item.title, item.body_html, item.pinned = form.title.data, sanitize_html(form.body_html.data or ""), form.pinned.data
    if form.published.data and item.published_at is None:
        item.published_at = clock.now()
    elif not form.published.data:
        item.published_at = None
    db.session.add(item)
    db.session.flush()
    after = _announcement_state(item)
    if after != before:
        audit.record(actor(), "announcement.create" if created else "announcement.update", item,
                     before=before, after=after, ip=client_ip())
    db.session.commit()
    return item


@bp.route("/announcements/new", methods=["GET", "POST"], defaults={"announcement_id": None})
@bp.route("/announcements/<int:announcement_id>", methods=["GET", "POST"])
def announcement_edit(announcement_id: int | None):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    item = _announcement_or_404(contest, announcement_id) if announcement_id is not None else None
    data = {"published": True}
    if item is not None:
        data = {"title": item.title, "body_html": item.body_html, "pinned": item.pinned,
                "published": item.published_at is not None}
    form = AnnouncementForm(data=data)
    if form.validate_on_submit():
        _save_announcement(contest, item, form)
        flash("Đã lưu thông báo.", "success")
        return redirect(url_for("admin.announcements"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/announcement_form.html", form=form, item=item, tab="announcements"), status


@bp.post("/announcements/<int:announcement_id>/delete")
def announcement_delete(announcement_id: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    item = _announcement_or_404(contest, announcement_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    audit.record(actor(), "announcement.delete", item, before=_announcement_state(item), ip=client_ip())
    db.session.delete(item)
    db.session.commit()
    flash("Đã xóa thông báo.", "success")
    return redirect(url_for("admin.announcements"))
