"""Tài khoản Ban Tổ chức: admins create staff accounts, change roles, switch accounts off
and give temporary passwords. Staff accounts are separate from contestants' and can never
take part in the contest."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, url_for

from portal import audit, moderation
from portal.admin.forms import ROLE_LABELS, EmptyForm, StaffCreateForm, StaffEditForm
from portal.admin.views import actor, admin_only, arg_int, bp, client_ip
from portal.auth import current_staff
from portal.extensions import db
from portal.models import Staff

PAGE_SIZE = 50


def _state(staff: Staff) -> dict:
    return {"username": staff.username, "full_name": staff.full_name, "role": staff.role, "active": staff.active}


@bp.get("/staff")
@admin_only
def staff_list():
    page = arg_int("page", 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Staff))
    items = db.session.scalars(sa.select(Staff).order_by(Staff.username)
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template("admin/staff_list.html", items=items, roles=ROLE_LABELS, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)))


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_only
def staff_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Staff.id).where(Staff.username == form.username.data)) is not None:
            form.username.errors = [*form.username.errors, "Tên đăng nhập đã có."]
        else:
            staff = Staff(username=form.username.data, full_name=form.full_name.data or "", role=form.role.data)
            staff.set_password(form.password.data)
            db.session.add(staff)
            db.session.flush()
            audit.record(actor(), "staff.create", staff, after=_state(staff), ip=client_ip())
            db.session.commit()
            flash(f"Đã tạo tài khoản {staff.username}.", "success")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff_form.html", form=form, item=None), 400 if form.is_submitted() else 200


def _staff_or_404(staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def _other_active_admins(staff: Staff) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Staff).where(
        Staff.role == "admin", Staff.active.is_(True), Staff.id != staff.id)) or 0


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@admin_only
def staff_edit(staff_id: int):
    staff = _staff_or_404(staff_id)
    form = StaffEditForm(data=_state(staff))
    if form.validate_on_submit():
        loses_admin = staff.is_admin and staff.active and (form.role.data != "admin" or not form.active.data)
        if staff.id == current_staff().id and (form.role.data != staff.role or not form.active.data):
            form.role.errors = [*form.role.errors, "Không tự đổi vai trò hoặc tự khóa tài khoản của mình."]
        elif loses_admin and not _other_active_admins(staff):
            form.role.errors = [*form.role.errors, "Phải còn ít nhất một tài khoản admin đang hoạt động."]
        else:
            before = _state(staff)
            staff.full_name, staff.role, staff.active = form.full_name.data or "", form.role.data, form.active.data
            if _state(staff) != before:
                audit.record(actor(), "staff.update", staff, before=before, after=_state(staff), ip=client_ip())
                db.session.commit()
                flash(f"Đã lưu tài khoản {staff.username}.", "success")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff_form.html", form=form, item=staff,
                           password_form=EmptyForm()), 400 if form.is_submitted() else 200


@bp.post("/staff/<int:staff_id>/password")
@admin_only
def staff_password(staff_id: int):
    staff = _staff_or_404(staff_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    password = moderation.temporary_password() + moderation.temporary_password()[:4]
    staff.set_password(password)
    audit.record(actor(), "staff.password_reset", staff, ip=client_ip())
    db.session.commit()
    response = make_response(render_template("admin/staff_form.html", form=StaffEditForm(data=_state(staff)),
                                             item=staff, password_form=EmptyForm(), temp_password=password))
    response.headers["Cache-Control"] = "no-store"
    return response
