"""Languages: Vietnamese by default (the source language of every message), English as a
translation; the choice is kept in a cookie set by the switch in the footer.

The switch is a GET form: it only sets the visitor's own display preference (like a
`?hl=` link), and a GET needs no CSRF token, so public pages can stay identical for every
anonymous visitor and be cached (portal/public_cache.py). A POST is still accepted, and
like every POST it must carry the CSRF token."""
from __future__ import annotations

from flask import Flask, Blueprint, make_response, redirect, request, url_for
from flask_babel import Babel

from portal.auth import safe_next

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
COOKIE = "lang"
babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else "vi"


@bp.route("/lang", methods=["GET", "POST"])
def switch_language():
    """Remember the language, then go back to the page the visitor was on."""
    chosen = request.values.get("lang")
    target = safe_next(request.values.get("next"), url_for("contest.index"))
    response = make_response(redirect(target, code=303))
    response.headers["Cache-Control"] = "no-store"
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def register_i18n(app: Flask) -> None:
    from portal.config import ROOT

    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = select_locale
