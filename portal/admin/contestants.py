"""Thí sinh: search by name, phone, code or unit (keyset pages, fast at 200,000 accounts),
a contestant's page with every attempt and its answers, status (ineligible, disqualified,
closed) with a reason, a one-time temporary password, and merging a duplicate account."""
from __future__ import annotations

import string

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from portal import moderation
from portal.admin.forms import ContestantFilterForm, EmptyForm, MergeForm, StatusForm, options
from portal.admin.views import actor, arg_int, bp, client_ip, no_contest, page_or_fragment
from portal.contests import portal_contest
from portal.extensions import db
from portal.rate_limits import limit
from portal.htmx import is_htmx, vary_on_htmx
from portal.models import Attempt, AttemptItem, AuditEntry, Contest, Contestant, Question, Round, Unit
from portal.moderation import STATUS_LABELS, ModerationError
from portal.phone import normalize_phone

PAGE_SIZE = 50


def _unit_choices(contest: Contest) -> list[tuple[str, str]]:
    units = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.contest_id == contest.id)
                               .order_by(Unit.position, Unit.name)).all()
    return [("", "Tất cả đơn vị")] + [(str(uid), name) for uid, name in units]


def _search(query: sa.Select, text: str) -> sa.Select:
    """#123 is an account code; a phone number matches exactly (the unique index); a few
    digits match anywhere in the phone; anything else is a name or a unit name."""
    if text.startswith("#") and text[1:].isdigit() and len(text) < 12:
        return query.where(Contestant.id == int(text[1:]))
    phone = normalize_phone(text)
    if phone:
        return query.where(Contestant.phone == phone)
    digits = text.replace(" ", "").replace(".", "")
    if digits.isdigit() and len(digits) >= 3:
        return query.where(Contestant.phone.contains(digits, autoescape=True))
    # lower() LIKE, not ILIKE: on PostgreSQL ILIKE is several times slower over 200,000
    # names. Units are few, so a matching unit is looked up first, not joined per row.
    wanted = f"%{_escape(text.lower())}%"
    units = sa.select(Unit.id).where(sa.func.lower(Unit.name).like(wanted, escape="\\"))
    matches = [sa.func.lower(Contestant.full_name).like(wanted, escape="\\"), Contestant.unit_id.in_(units)]
    if db.engine.dialect.name == "sqlite":
        # SQLite lowercases ASCII only; names are written in title case, so the title-cased
        # query finds "Đặng" from "đặng" (and units likewise).
        titled = f"%{_escape(string.capwords(text))}%"
        matches += [Contestant.full_name.like(titled, escape="\\"),
                    Contestant.unit_id.in_(sa.select(Unit.id).where(Unit.name.like(titled, escape="\\")))]
    return query.where(sa.or_(*matches))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(contest: Contest, form: ContestantFilterForm) -> list:
    """The filters that have an index (contest, unit, status): cheap to count."""
    conditions = [Contestant.contest_id == contest.id]
    if form.unit.data and form.unit.data.isdigit():
        conditions.append(Contestant.unit_id == int(form.unit.data))
    if form.status.data:
        conditions.append(Contestant.status == form.status.data)
    return conditions


def _filtered(contest: Contest, form: ContestantFilterForm) -> sa.Select:
    query = (sa.select(Contestant.id, Contestant.full_name, Contestant.phone, Contestant.birth_year,
                       Contestant.status, Contestant.created_at, Unit.name.label("unit_name"))
             .join(Unit, Unit.id == Contestant.unit_id).where(*_conditions(contest, form)))
    if form.q.data:
        query = _search(query, form.q.data)
    return query


def _attempt_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Attempt.contestant_id, sa.func.count())
                                   .where(Attempt.contestant_id.in_(ids)).group_by(Attempt.contestant_id)).all())


@bp.get("/contestants")
def contestants():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = ContestantFilterForm(request.args)
    form.unit.choices = options(_unit_choices(contest))
    if not form.validate():
        form = ContestantFilterForm(formdata=None)
        form.unit.choices = options(_unit_choices(contest))
    query = _filtered(contest, form)
    after = arg_int("after")
    page_query = query.where(Contestant.id < after) if after else query
    rows = db.session.execute(page_query.order_by(Contestant.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    context = dict(form=form, rows=rows, counts=_attempt_counts([r.id for r in rows]), args=args, after=after,
                   next_after=rows[-1].id if more else None, labels=STATUS_LABELS)
    if after and is_htmx():
        return vary_on_htmx(make_response(render_template("admin/_contestant_rows.html", **context)))
    if not more and not after:
        total = len(rows)
    elif form.q.data:
        # A text search reads the names once for its page; counting would read them all
        # again, so a search with more than a page of matches is not counted.
        total = None
    else:
        total = db.session.scalar(sa.select(sa.func.count(Contestant.id)).where(*_conditions(contest, form)))
    return page_or_fragment("admin/contestants.html", "admin/_contestant_results.html", total=total, **context)


def _contestant_or_404(contest: Contest, contestant_id: int) -> Contestant:
    person = db.session.get(Contestant, contestant_id)
    if person is None or person.contest_id != contest.id:
        abort(404)
    return person


def _attempts(person: Contestant) -> list[Attempt]:
    return db.session.scalars(
        sa.select(Attempt).where(Attempt.contestant_id == person.id)
        .options(selectinload(Attempt.items).selectinload(AttemptItem.question).selectinload(Question.choices))
        .join(Round, Round.id == Attempt.round_id).order_by(Round.number, Attempt.started_at)).all()


def _history(person: Contestant) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.target_type == "contestant",
                                                          AuditEntry.target_id == str(person.id))
                              .order_by(AuditEntry.id.desc()).limit(50)).all()


def _render_person(contest: Contest, person: Contestant, status: int = 200, **forms):
    forms.setdefault("status_form", StatusForm(data={"status": person.status, "reason": person.status_reason}))
    forms.setdefault("merge_form", MergeForm())
    forms.setdefault("password_form", EmptyForm())
    response = make_response(render_template(
        "admin/contestant.html", person=person, attempts=_attempts(person), history=_history(person),
        labels=STATUS_LABELS, numbers={r.id: r.number for r in contest.rounds}, **forms), status)
    return response


@bp.get("/contestants/<int:contestant_id>")
def contestant(contestant_id: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    return _render_person(contest, _contestant_or_404(contest, contestant_id))


@bp.post("/contestants/<int:contestant_id>/status")
def contestant_status(contestant_id: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    person = _contestant_or_404(contest, contestant_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_person(contest, person, 400, status_form=form)
    try:
        changed = moderation.set_status(person, form.status.data, form.reason.data, actor(), client_ip())
    except ModerationError as exc:
        form.reason.errors = [*form.reason.errors, exc.message]
        return _render_person(contest, person, 400, status_form=form)
    flash(f"Đã chuyển trạng thái thành “{STATUS_LABELS[person.status]}”." if changed else "Trạng thái không thay đổi.",
          "success" if changed else "info")
    return redirect(url_for("admin.contestant", contestant_id=person.id))


@bp.post("/contestants/<int:contestant_id>/password")
@limit("password_reset", per="account")
def contestant_password(contestant_id: int):
    """The temporary password is in this response only: not flashed (the session cookie
    is signed, not encrypted), not logged, not cached."""
    contest = portal_contest()
    if contest is None:
        return no_contest()
    person = _contestant_or_404(contest, contestant_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        password = moderation.reset_password(person, actor(), client_ip())
    except ModerationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.contestant", contestant_id=person.id))
    if is_htmx():
        response = vary_on_htmx(make_response(render_template("admin/_temp_password.html", person=person,
                                                              password=password)))
    else:
        response = _render_person(contest, person, temp_password=password)
    response.headers["Cache-Control"] = "no-store"
    return response


def _find_duplicate(contest: Contest, text: str) -> Contestant | None:
    if text.startswith("#") and text[1:].isdigit() and len(text) < 12:
        person = db.session.get(Contestant, int(text[1:]))
        return person if person is not None and person.contest_id == contest.id else None
    phone = normalize_phone(text)
    if phone is None:
        return None
    return db.session.scalar(sa.select(Contestant).where(Contestant.contest_id == contest.id, Contestant.phone == phone))


@bp.post("/contestants/<int:contestant_id>/merge")
def contestant_merge(contestant_id: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    person = _contestant_or_404(contest, contestant_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _render_person(contest, person, 400, merge_form=form)
    duplicate = _find_duplicate(contest, form.duplicate.data)
    if duplicate is None:
        form.duplicate.errors = [*form.duplicate.errors, "Không tìm thấy tài khoản này trong cuộc thi."]
        return _render_person(contest, person, 400, merge_form=form)
    try:
        moved = moderation.merge_accounts(person, duplicate, actor(), client_ip())
    except ModerationError as exc:
        form.duplicate.errors = [*form.duplicate.errors, exc.message]
        return _render_person(contest, person, 409, merge_form=form)
    flash(f"Đã chuyển {moved} lượt thi từ tài khoản #{duplicate.id} sang tài khoản này và đóng tài khoản #{duplicate.id}.",
          "success")
    return redirect(url_for("admin.contestant", contestant_id=person.id))
