"""Languages: Vietnamese by default (the source language of every message), English as a
translation; the choice is kept in a cookie by a POST from the switch in the header."""
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


@bp.post("/lang")
def switch_language():
    """Remember the language; the form carries the CSRF token like every POST."""
    chosen = request.form.get("lang")
    target = safe_next(request.form.get("next"), url_for("contest.index"))
    response = make_response(redirect(target, code=303))
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
