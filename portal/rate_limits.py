"""Rate limits as settings (RATELIMIT_<NAME> in the config), keyed by account where there
is one (a whole office behind one IP must not lock itself out) and by IP otherwise."""
from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from portal.extensions import limiter
from portal.phone import normalize_phone

DEFAULTS = {
    "login": "30 per minute; 300 per hour",          # per IP: an office shares one
    "login_account": "5 per minute; 30 per hour",     # per phone number tried
    "register": "20 per minute; 200 per hour",        # per IP
    "start": "10 per minute; 60 per hour",            # per contestant
    "answer": "120 per minute",                       # per contestant
    "staff_login": "10 per minute; 50 per hour",      # per IP
    "password_reset": "5 per minute; 20 per hour",    # per account
}


def limit_value(name: str) -> str:
    return current_app.config.get(f"RATELIMIT_{name.upper()}", DEFAULTS[name])


def account_or_ip() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{get_remote_address()}"


def login_phone() -> str:
    phone = normalize_phone(request.form.get("phone")) or "invalid"
    return f"login:{phone}"


def ip_key() -> str:
    return f"ip:{get_remote_address()}"


KEYS = {"ip": ip_key, "account": account_or_ip, "phone": login_phone}


def limit(name: str, per: str = "account", methods: list[str] | None = None):
    """A decorator: the named limit, read from the config at request time."""
    return limiter.limit(lambda: limit_value(name), key_func=KEYS[per], methods=methods or ["POST"],
                         scope=name)
