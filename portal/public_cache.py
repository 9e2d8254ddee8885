"""Public pages (landing, rules, leaderboards) are the same bytes for every anonymous
visitor, so they are marked cacheable for a short time: a proxy in front (nginx,
docs/deploy.md) then serves the crowd that follows a banner, and the app renders each
page once per key and interval instead of once per visitor.

A response is public only when nothing in it can belong to one visitor: no one is logged
in, the session is empty and untouched (so no cookie is set), and the page carries no CSRF
token (base.html leaves it out on these pages, see `cacheable_page`). Anything else is
marked private."""
from __future__ import annotations

from functools import wraps

from flask import Flask, g, request, session
from flask_login import current_user

PUBLIC_MAX_AGE = 30  # seconds; as the JSON API (results.PROVISIONAL_TTL)


def public_page(view):
    """Mark a GET view whose page is identical for every anonymous visitor."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.public_page = True
        return view(*args, **kwargs)
    return wrapped


def cacheable_page() -> bool:
    """True while rendering a public page for an anonymous visitor (templates ask this to
    leave out the per-session CSRF token, which such a visitor never needs there)."""
    return bool(g.get("public_page")) and not current_user.is_authenticated


def _shareable(response) -> bool:
    return (cacheable_page() and request.method in ("GET", "HEAD") and response.status_code == 200
            and not session and not session.modified and "Set-Cookie" not in response.headers
            and "csp_nonce" not in g)  # a nonce must never be shared


def register_public_cache(app: Flask) -> None:
    @app.after_request
    def mark_public_pages(response):
        if not g.get("public_page"):
            return response
        if not _shareable(response):
            response.headers["Cache-Control"] = "private, no-cache"
            return response
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        # The language comes from a cookie, and a logged-in visitor sees another header.
        response.vary.add("Cookie")
        response.add_etag()
        return response.make_conditional(request)
