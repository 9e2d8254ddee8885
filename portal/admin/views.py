"""The moderators' view under /admin, guarded once for the whole blueprint. Each task has
its own module (imported at the end), all registered on this blueprint and its guard."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import login_user, logout_user

from portal import audit, clock
from portal.admin.forms import EmptyForm, StaffLoginForm
from portal.auth import current_staff, safe_next
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import is_htmx, vary_on_htmx
from portal.models import Staff
from portal.rate_limits import limit

bp = Blueprint("admin", __name__)
PUBLIC_ENDPOINTS = {"admin.login"}

# The admin area's sections: (endpoint, label, admins only). The section of a page is
# the module its view lives in, so a new page in a module lights up the right tab.
NAV = [
    ("admin.dashboard", "Bảng điều khiển", False),
    ("admin.settings", "Cài đặt cuộc thi", False),
    ("admin.questions", "Ngân hàng câu hỏi", False),
    ("admin.contestants", "Thí sinh", False),
    ("admin.results_overview", "Kết quả", False),
    ("admin.units", "Đơn vị", False),
    ("admin.audit_log", "Nhật ký", False),
    ("admin.privacy_requests", "Yêu cầu xóa dữ liệu", False),
    ("admin.embed_code", "Mã nhúng", False),
    ("admin.staff_list", "Tài khoản Ban Tổ chức", True),
]


def admin_only(view):
    """Mark a view as for admins (role 'admin'); the blueprint's guard enforces it."""
    view.admin_only = True
    return view


@bp.before_request
def require_staff():
    """The one guard: every /admin URL but the login page needs an active staff session,
    and views marked admin_only need an admin."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    staff = current_staff()
    if staff is not None and not staff.active:
        logout_user()
        session.clear()
        staff = None
    if staff is None:
        if request.method == "GET" and not is_htmx():
            return redirect(url_for("admin.login", next=request.full_path))
        response = render_error(403, "Cần đăng nhập tài khoản Ban Tổ chức.")
        if is_htmx():  # a fragment request: send the whole tab to the login page
            response.headers["HX-Redirect"] = url_for("admin.login")
        return response
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "admin_only", False) and not staff.is_admin:
        return render_error(403, "Chỉ tài khoản quản trị (admin) được thực hiện thao tác này.")
    return None


@bp.context_processor
def admin_context() -> dict:
    staff = current_staff()
    view = current_app.view_functions.get(request.endpoint or "")
    module = getattr(view, "__module__", "")
    section = next((endpoint for endpoint, _, _ in NAV
                    if getattr(current_app.view_functions.get(endpoint), "__module__", None) == module), None)
    nav = [(e, label) for e, label, admins in NAV
           if staff is not None and (not admins or staff.is_admin) and e in current_app.view_functions]
    # formdata=None: the logout button only needs a token, and an error page (e.g. 413 for
    # an oversized upload) must render without reading the request body again.
    return {"staff": staff, "admin_nav": nav, "admin_section": section, "logout_form": EmptyForm(formdata=None)}


def actor() -> str:
    """The audit log's name for the staff member making this request."""
    return f"staff:{current_staff().username}"


def client_ip() -> str | None:
    return request.remote_addr


def page_or_fragment(page: str, fragment: str, /, **context):
    """The whole page, or only the fragment for a real htmx request; always Vary: HX-Request."""
    html = render_template(fragment if is_htmx() else page, **context)
    return vary_on_htmx(current_app.response_class(html))


def arg_int(name: str, default: int | None = None) -> int | None:
    """A positive integer query argument; anything else is the default (never a 500)."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < len(value) < 12 else default


def upload_dir() -> Path:
    """Where uploads wait between their preview and their confirmation (UPLOAD_DIR, else
    instance/uploads): server-side, named by random tokens only."""
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def confirmed_upload(contest, kind: str) -> tuple[bytes, dict, str] | None:
    """The file a moderator previewed and now confirms: (data, meta, token), or None (with
    a message) when it expired or belongs to another contest or kind of import."""
    from portal import upload_store
    from portal.admin.forms import ConfirmUploadForm

    confirm = ConfirmUploadForm()
    if not confirm.validate_on_submit():
        abort(400)
    kept = upload_store.load(upload_dir(), confirm.token.data, confirm.digest.data)
    if kept is None or kept[1].get("contest_id") != contest.id or kept[1].get("kind") != kind:
        flash("Tệp xem trước đã hết hạn hoặc không còn. Vui lòng tải tệp lên lại.", "error")
        return None
    return kept[0], kept[1], confirm.token.data


def no_contest():
    return render_template("admin/no_contest.html"), 404


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


# Routes kept in their own modules, registered on this blueprint (and behind its guard).
from portal.admin import (audit_log, contestants, dashboard, questions, results,  # noqa: E402,F401
                          settings, staff, units)
from portal.admin import embed_code, privacy_requests  # noqa: E402,F401
