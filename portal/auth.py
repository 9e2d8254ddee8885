"""Who is logged in: contestants ("c:<id>") and staff ("s:<id>") share one login session,
and a view asks for the kind it needs."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, redirect, request, session, url_for
from flask_login import LoginManager, current_user

from portal.extensions import db
from portal.models import Contestant, Staff


def configure(manager: LoginManager) -> None:
    manager.login_view = "contest.login"
    manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    manager.login_message_category = "info"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str):
        kind, _, raw = user_id.partition(":")
        if not raw.isdigit():
            return None
        model = {"c": Contestant, "s": Staff}.get(kind)
        return db.session.get(model, int(raw)) if model else None


def keep_current_user_lazy(app) -> None:
    """Flask-Login's context processor loads the account for every template rendered,
    whether it reads current_user or not (a question fragment does not). Ours hands
    templates the current_user proxy itself, which loads the account on first use."""
    from flask_login.utils import _user_context_processor

    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if p is not _user_context_processor]
    app.context_processor(lambda: {"current_user": current_user})


def session_account() -> tuple[str, int] | None:
    """The kind ("c" or "s") and id of the account this session is logged in as, read from
    the signed session alone. Flask-Login would load the row from the database to answer
    the same question; hooks that run on every request and the answer route, which
    checks the account in its own statement, need only the id. (We use no remember-me
    cookie and "basic" session protection, so the session is the whole login.)"""
    kind, _, raw = str(session.get("_user_id") or "").partition(":")
    return (kind, int(raw)) if kind in ("c", "s") and raw.isdigit() else None


def session_contestant_id() -> int | None:
    account = session_account()
    return account[1] if account and account[0] == "c" else None


def current_contestant() -> Contestant | None:
    return current_user if isinstance(current_user._get_current_object(), Contestant) else None


def current_staff() -> Staff | None:
    return current_user if isinstance(current_user._get_current_object(), Staff) else None


def contestant_required(view):
    """Only a logged-in contestant; staff are sent away (they may never take part)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_contestant() is None:
            if current_staff() is not None:
                abort(403)
            return redirect(url_for("contest.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths: never an open redirect. Control characters and
    spaces are refused outright, because URL parsers drop some of them ("/\t/evil.example"
    would become "//evil.example"), and what is left must parse with no scheme or host."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target)):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def register_staff_idle_timeout(app) -> None:
    """Staff sessions end after STAFF_IDLE_MINUTES without a request."""
    from flask_login import logout_user

    from portal import clock

    @app.before_request
    def expire_idle_staff():
        # Public, cached responses (banner, static files) must never touch the session,
        # and viewing them is not staff activity.
        account = session_account()
        if request.path.startswith(("/embed", "/static", "/api/")) or account is None or account[0] != "s":
            return None
        now = int(clock.now().timestamp())
        seen = session.get("staff_seen")
        limit = int(app.config.get("STAFF_IDLE_MINUTES", 30)) * 60
        if isinstance(seen, int) and now - seen > limit:
            logout_user()
            session.clear()
            if request.path.startswith("/admin") and request.method == "GET":
                return redirect(url_for("admin.login", next=request.full_path))
            abort(403)
        session["staff_seen"] = now
        return None
