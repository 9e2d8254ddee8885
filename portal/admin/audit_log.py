"""Nhật ký: every staff and system action (who, when, what, before and after), filtered
by person, action, target and dates, newest first, in keyset pages."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import make_response, render_template, request

from portal import clock
from portal.admin.forms import AuditFilterForm, options
from portal.admin.views import arg_int, bp, page_or_fragment
from portal.contests import portal_contest
from portal.extensions import db
from portal.htmx import is_htmx, vary_on_htmx
from portal.models import AuditEntry

PAGE_SIZE = 50
VALUE_CHARS = 160


def _text(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(key, before, after) for each key whose value differs (or is only on one side)."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", _text(before), _text(after))]
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        if old != new or key not in before or key not in after:
            rows.append((key, "" if key not in before else _text(old), "" if key not in after else _text(new)))
    return rows


def _timezone() -> str:
    contest = portal_contest()
    return contest.timezone if contest else "Asia/Ho_Chi_Minh"


def _filtered(form: AuditFilterForm) -> sa.Select:
    query = sa.select(AuditEntry)
    if form.actor.data:
        query = query.where(AuditEntry.actor.ilike(f"%{form.actor.data}%"))
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.target.data:
        kind, _, ident = form.target.data.partition(":")
        query = query.where(AuditEntry.target_type == kind.strip().lower())
        if ident.strip():
            query = query.where(AuditEntry.target_id == ident.strip())
    tz = _timezone()
    if form.since.data:
        query = query.where(AuditEntry.at >= clock.local_to_utc(datetime.combine(form.since.data, time()), tz))
    if form.until.data:
        end = datetime.combine(form.until.data + timedelta(days=1), time())
        query = query.where(AuditEntry.at < clock.local_to_utc(end, tz))
    return query


@bp.get("/audit")
def audit_log():
    actions = list(db.session.scalars(sa.select(sa.distinct(AuditEntry.action)).order_by(AuditEntry.action)))
    form = AuditFilterForm(request.args)
    form.action.choices = options([("", "Tất cả thao tác")] + [(a, a) for a in actions])
    if not form.validate():
        form = AuditFilterForm(formdata=None)
        form.action.choices = options([("", "Tất cả thao tác")] + [(a, a) for a in actions])
    query = _filtered(form)
    after = arg_int("after")
    if after:
        query = query.where(AuditEntry.id < after)
    entries = db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    context = dict(form=form, entries=entries, changes=changes, tz=_timezone(), args=args, after=after,
                   next_after=entries[-1].id if more else None)
    if after and is_htmx():
        return vary_on_htmx(make_response(render_template("admin/_audit_rows.html", **context)))
    return page_or_fragment("admin/audit_log.html", "admin/_audit_results.html", **context)
