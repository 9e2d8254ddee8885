"""The embeddable banner for other government websites: /embed/banner (frameable only by
the contest's allowed origins, cacheable, cookie-free) and /embed.js (its loader)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, g, make_response, render_template, request,
                   session)

from portal import config
from portal.attribution import clean_site_key
from portal.contests import portal_contest_or_404
from portal.embed.banner import (DEFAULT_SIZE, DEFAULT_THEME, HTTP_MAX_AGE, SIZES, THEMES,
                                 banner_figures, choose, deadline_iso, frame_ancestors,
                                 parent_origin)

bp = Blueprint("embed", __name__)
LOADER = config.ROOT / "embed" / "embed.js"
LOADER_MAX_AGE = 3600


def own_origin() -> str:
    """The portal's origin as moderators see it (the admin preview embeds the banner)."""
    public = current_app.config.get("PORTAL_BASE_URL")
    if public:
        parts = urlsplit(public)
        return f"{parts.scheme}://{parts.netloc}"
    return request.host_url.rstrip("/")


@bp.get("/embed/banner")
def banner():
    contest = portal_contest_or_404()
    patterns = list(contest.embed_origins or [])
    g.frame_ancestors = frame_ancestors(patterns)
    figures = banner_figures(contest)
    html = render_template(
        "embed/banner.html", contest=contest, status=figures.status,
        participants=figures.participants, deadline=deadline_iso(figures.status.next_change),
        size=choose(request.args.get("size"), SIZES, DEFAULT_SIZE),
        theme=choose(request.args.get("theme"), THEMES, DEFAULT_THEME),
        src=clean_site_key(request.args.get("src")),
        parent=parent_origin(request.args.get("origin"), patterns, own_origin()))
    # Hooks that run before every view (the login manager, the staff idle timer) may mark a
    # returning visitor's session as changed; a publicly cached response must never carry
    # a Set-Cookie, so nothing they did is saved on this response.
    session.modified = False
    response = make_response(html)
    # The body holds no nonce, no session data and only absolute times, so identical
    # figures give identical bytes: a strong ETag lets every host page revalidate cheaply.
    response.headers["Cache-Control"] = f"public, max-age={HTTP_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/embed.js")
def loader():
    # The loader derives the portal's origin from its own src, so one file serves every
    # deployment unchanged. It is a few KB: read whole, it gets a content ETag.
    response = Response(LOADER.read_bytes(), mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)
