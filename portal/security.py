"""Response headers every page gets: CSP (with a per-request nonce where a template uses one), framing rules, nosniff."""
from __future__ import annotations

import secrets

from flask import Flask, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(frame_ancestors: str) -> str:
    # A nonce only when a template asked for one: a policy that is the same on every
    # response lets public pages be cached and shared (portal/public_cache.py).
    scripts = f"'self' 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'self'"
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def register_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_headers(response):
        # A view that may be framed (the embed banner) sets g.frame_ancestors itself.
        ancestors = g.get("frame_ancestors", "'none'")
        response.headers.setdefault("Content-Security-Policy", content_security_policy(ancestors))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if ancestors == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure or app.config.get("PRODUCTION"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
