"""Rate limits as settings (RATELIMIT_<NAME> in the config), keyed by account where there
is one (a whole office behind one IP must not lock itself out) and by IP otherwise."""
from __future__ import annotations

from functools import lru_cache

from flask import abort, current_app, request
from flask_limiter.util import get_remote_address
from limits import parse_many

from portal.auth import session_account
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
    # From the session, not current_user: loading the account would cost a query on
    # every limited request, the answer route among them.
    account = session_account()
    if account is not None:
        return f"user:{account[0]}:{account[1]}"
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


@lru_cache(maxsize=16)
def _parsed(value: str) -> tuple:
    return tuple(parse_many(value))


def hit_per_account(name: str) -> None:
    """The named per-account limit, counted straight on the limiter's storage (the same
    Redis, the same strategy) and answered with 429 when exceeded. For the answer route:
    Flask-Limiter's per-request machinery around the same counter cost about 0.6 ms of
    CPU per answer, more than saving the answer itself (docs/performance.md)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    key = account_or_ip()
    strategy = limiter.limiter
    for item in _parsed(limit_value(name)):
        if not strategy.hit(item, "portal", name, key):
            abort(429)
