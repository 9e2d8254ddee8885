"""The moderators' view under /admin, guarded once for the whole blueprint."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from portal import audit, clock
from portal.admin.forms import EmptyForm, StaffLoginForm
from portal.auth import current_staff, safe_next
from portal.contests import portal_contest, round_status
from portal.extensions import db
from portal.rate_limits import limit
from portal.models import Attempt, Contestant, Question, Staff
from portal.stats import round_counts

bp = Blueprint("admin", __name__)
PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_staff():
    """The one guard: every /admin URL but the login page needs a staff session."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_staff() is None:
        if request.method == "GET":
            return redirect(url_for("admin.login", next=request.full_path))
        return render_template("error.html", status=403, title="Không có quyền truy cập",
                               message="Cần đăng nhập tài khoản Ban Tổ chức."), 403
    return None


@bp.route("/login", methods=["GET", "POST"])
@limit("staff_login", per="ip")
def login():
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = db.session.scalar(sa.select(Staff).where(Staff.username == form.username.data.strip()))
        if staff is None or not staff.active or not staff.check_password(form.password.data):
            flash("Tên đăng nhập hoặc mật khẩu không đúng.", "error")
            return render_template("admin/login.html", form=form), 401
        session.clear()
        login_user(staff)
        staff.last_login_at = clock.now()
        audit.record(f"staff:{staff.username}", "staff.login", staff, ip=request.remote_addr)
        db.session.commit()
        return redirect(safe_next(request.args.get("next"), url_for("admin.dashboard")))
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
def dashboard():
    contest = portal_contest()
    figures = {}
    status = None
    if contest is not None:
        status = round_status(contest)
        figures["contestants"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Contestant).where(Contestant.contest_id == contest.id))
        figures["questions"] = db.session.execute(
            sa.select(Question.round_id, sa.func.count()).where(Question.active.is_(True))
            .group_by(Question.round_id)).all()
        figures["attempts"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Attempt).where(
                Attempt.round_id.in_([r.id for r in contest.rounds])))
        if status.round is not None:
            figures["round"] = round_counts(status.round)
    questions_per_round = dict(figures.get("questions", []))
    return render_template("admin/dashboard.html", status=status, figures=figures,
                           questions_per_round=questions_per_round, logout_form=EmptyForm())


# Routes kept in their own modules, registered on this blueprint (and behind its guard).
from portal.admin import embed_code  # noqa: E402,F401
