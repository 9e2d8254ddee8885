"""Contestants' accounts: register, log in and out, their attempts."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.attribution import current_source
from portal.auth import contestant_required, current_contestant, safe_next
from portal.contest.forms import CONSENT_VERSION, EmptyForm, LoginForm, RegisterForm
from portal.contest.views import bp
from portal.contests import portal_contest_or_404
from portal.extensions import db
from portal.htmx import vary_on_htmx
from portal.models import Attempt, Block, Contestant, Unit
from portal.rate_limits import limit


def unit_choices(contest, block_key: str | None) -> dict[str, list]:
    """Units as WTForms choices grouped by block (works without JS), or one block's."""
    query = (sa.select(Unit.id, Unit.name, Block.key, Block.name).join(Block, Unit.block_id == Block.id)
             .where(Unit.contest_id == contest.id, Unit.active.is_(True))
             .order_by(Block.position, Unit.position, Unit.name))
    groups: dict[str, list] = {}
    for unit_id, name, key, block_name in db.session.execute(query):
        if not block_key or key == block_key:
            groups.setdefault(block_name, []).append((unit_id, name))
    return groups


def _register_form(contest) -> RegisterForm:
    this_year = clock.to_local(clock.now(), contest.timezone).year
    form = RegisterForm(contest=contest, this_year=this_year)
    form.block.choices = [("", _("Tất cả các khối"))] + [(b.key, b.name) for b in contest.blocks]
    form.unit_id.choices = unit_choices(contest, form.block.data or None)
    return form


@bp.get("/units")
def units_fragment():
    """The unit list for the chosen block, swapped into the form by htmx."""
    contest = portal_contest_or_404()
    form = _register_form(contest)
    form.unit_id.choices = unit_choices(contest, request.args.get("block") or None)
    return vary_on_htmx(make_response(render_template("contest/_unit_field.html", form=form)))


@bp.route("/register", methods=["GET", "POST"])
@limit("register", per="ip")
def register():
    contest = portal_contest_or_404()
    if current_contestant() is not None:
        return redirect(url_for("contest.index"))
    form = _register_form(contest)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        if unit is None or unit.contest_id != contest.id or not unit.active:
            form.unit_id.errors.append(_("Chọn một đơn vị trong danh sách."))
        elif _create_contestant(contest, form, unit):
            flash(_("Đăng ký thành công. Chúc bạn thi tốt!"), "success")
            return redirect(url_for("contest.index"))
        else:
            form.phone.errors.append(_("Số điện thoại này đã được đăng ký. Vui lòng đăng nhập."))
    status = 422 if request.method == "POST" else 200
    return render_template("contest/register.html", form=form), status


def _create_contestant(contest, form: RegisterForm, unit: Unit) -> bool:
    """Insert and log in; False when the phone is taken (the unique key decides, so two
    simultaneous registrations with one phone make one account)."""
    now = clock.now()
    person = Contestant(
        contest_id=contest.id, phone=form.phone.data, full_name=form.full_name.data,
        birth_year=form.birth_year.data, unit_id=unit.id, email=form.email.data,
        id_number=form.id_number.data, consent_at=now, consent_version=CONSENT_VERSION,
        public_consent=bool(form.public_consent.data),
        public_consent_at=now if form.public_consent.data else None,
        guardian_confirmed=bool(form.guardian.data), source=current_source())
    person.set_password(form.password.data)
    db.session.add(person)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    session.clear()
    login_user(person)
    return True


@bp.route("/login", methods=["GET", "POST"])
@limit("login", per="ip")
@limit("login_account", per="phone")
def login():
    contest = portal_contest_or_404()
    form = LoginForm()
    if form.validate_on_submit():
        person = db.session.scalar(sa.select(Contestant).where(
            Contestant.contest_id == contest.id, Contestant.phone == form.phone.data))
        if person is None or not person.is_active or not person.check_password(form.password.data):
            form.password.errors.append(_("Số điện thoại hoặc mật khẩu không đúng."))
            return render_template("contest/login.html", form=form), 401
        session.clear()  # a fresh session at login: no fixation
        login_user(person)
        return redirect(safe_next(request.args.get("next"), url_for("contest.index")))
    status = 422 if request.method == "POST" else 200
    return render_template("contest/login.html", form=form), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        session.clear()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("contest.index"))


@bp.get("/me/attempts")
@contestant_required
def my_attempts():
    from portal.quiz_service import counted_attempts

    contest = portal_contest_or_404()
    person = current_contestant()
    attempts = list(db.session.scalars(sa.select(Attempt).where(Attempt.contestant_id == person.id)
                                       .order_by(Attempt.started_at.desc())))
    return render_template("contest/my_attempts.html", attempts=attempts,
                           rounds={r.id: r for r in contest.rounds},
                           counted=counted_attempts(contest, attempts))


@bp.get("/me")
@contestant_required
def me():
    from portal.privacy import open_request

    person = current_contestant()
    return render_template("contest/me.html", person=person, pending=open_request(person), form=EmptyForm())


@bp.get("/me/data.json")
@contestant_required
def my_data():
    from flask import json

    from portal.privacy import export_data

    person = current_contestant()
    response = make_response(json.dumps(export_data(person), ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="du-lieu-ca-nhan-{person.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me/public-consent")
@contestant_required
def public_consent():
    person = current_contestant()
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("contest.me"))
    give = request.form.get("give") == "1"
    person.public_consent = give
    person.public_consent_at = clock.now() if give else None
    db.session.commit()
    flash(_("Đã cập nhật lựa chọn hiển thị trên bảng xếp hạng công khai."), "success")
    return redirect(url_for("contest.me"), code=303)


@bp.post("/me/delete")
@contestant_required
def request_deletion():
    from portal.privacy import request_deletion as ask

    if EmptyForm().validate_on_submit() and request.form.get("confirm") == "yes":
        ask(current_contestant())
        flash(_("Đã ghi nhận yêu cầu xóa dữ liệu cá nhân. Ban Tổ chức sẽ xử lý và thông báo cho bạn."), "success")
    else:
        flash(_("Hãy đánh dấu ô xác nhận trước khi gửi yêu cầu xóa."), "error")
    return redirect(url_for("contest.me"), code=303)
