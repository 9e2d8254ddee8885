"""The embeddable banner and its loader, through the test client: who may frame it, what
it shows, how it is cached, and that it never needs or sets a session."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal import stats
from portal.config import ROOT
from portal.embed.banner import (FIGURES_TTL, HTTP_MAX_AGE, frame_ancestors, parent_origin)
from portal.extensions import db
from portal.models import Attempt, Contestant, Unit
from tests.factories import make_contest

ALLOWED = "'self' https://*.langson.gov.vn https://example.org"


def frame_ancestors_of(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]+)", csp).group(1).strip()


def add_attempts(contest, round_number: int, statuses: list[str], source: str | None = None) -> None:
    """One new contestant per status, each with one attempt in that state."""
    rnd = contest.round_by_number(round_number)
    unit = db.session.query(Unit).filter_by(contest_id=contest.id).first()
    start = db.session.query(Contestant).count()
    for i, status in enumerate(statuses, start=start):
        person = Contestant(contest_id=contest.id, phone=f"09{i:08d}", full_name=f"Thí sinh {i}",
                            birth_year=1990, unit_id=unit.id, source=source, password_hash="x")
        db.session.add(person)
        db.session.flush()
        started = rnd.opens_at + timedelta(hours=1)
        db.session.add(Attempt(contestant_id=person.id, round_id=rnd.id, local_day=date(2023, 7, 5),
                               started_at=started, deadline_at=started + timedelta(minutes=10),
                               status=status, source=source,
                               score=5 if status != "in_progress" else None))
    db.session.flush()
    stats.recount([rnd.id])
    db.session.commit()


def banner(client, **params):
    return client.get("/embed/banner", query_string=params)


# --- framing -------------------------------------------------------------------------

def test_banner_is_frameable_only_by_the_contests_origins(client, ctx, clock):
    make_contest()
    response = banner(client)
    assert response.status_code == 200
    assert frame_ancestors_of(response) == ALLOWED
    # X-Frame-Options cannot express a list, and DENY would override the CSP in old browsers.
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/", "/rules", "/admin/login", "/embed.js",
                                  "/api/v1/contests/thu-nghiem/stats", "/khong-co"])
def test_every_other_page_refuses_to_be_framed(client, ctx, clock, path):
    make_contest()
    response = client.get(path)
    assert frame_ancestors_of(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_frame_ancestors_follow_the_origins_in_the_database(client, ctx, clock):
    contest = make_contest()
    contest.embed_origins = ["https://sonoivu.langson.gov.vn", "https://x.vn; script-src *", "*"]
    db.session.commit()
    assert frame_ancestors_of(banner(client)) == "'self' https://sonoivu.langson.gov.vn"
    contest.embed_origins = []
    db.session.commit()
    assert frame_ancestors_of(banner(client)) == "'self'"


@pytest.mark.parametrize("origin, accepted", [
    ("https://example.org", True),                    # listed exactly
    ("https://sonoivu.langson.gov.vn", True),         # wildcard, one label
    ("https://a.b.langson.gov.vn", True),             # wildcard, several labels
    ("http://localhost", True),                       # the portal itself (admin preview)
    ("https://langson.gov.vn", False),                # the wildcard needs a subdomain
    ("http://sonoivu.langson.gov.vn", False),         # other scheme
    ("https://sonoivu.langson.gov.vn:8443", False),   # other port
    ("https://example.org.evil.vn", False),
    ("https://evil.vn/.langson.gov.vn", False),
    ("https://evil.vn?.langson.gov.vn", False),
    ("https://example.org/", False),                  # not an origin
    ("*", False),
    ("null", False),
    ("", False),
])
def test_banner_posts_its_height_only_to_an_allowed_origin(client, ctx, clock, origin, accepted):
    make_contest()
    html = banner(client, origin=origin).get_data(as_text=True)
    if accepted:
        assert f'data-parent-origin="{origin}"' in html
    else:
        assert "data-parent-origin" not in html


def test_origin_helpers_are_strict():
    patterns = ["https://*.langson.gov.vn", "https://example.org"]
    assert parent_origin("https://x.langson.gov.vn", patterns, "https://thi.vn") == "https://x.langson.gov.vn"
    assert parent_origin("https://thi.vn", patterns, "https://thi.vn") == "https://thi.vn"
    assert parent_origin("HTTPS://EXAMPLE.ORG", patterns, "https://thi.vn") is None
    assert parent_origin("https://example.org\n", patterns, "https://thi.vn") == "https://example.org"
    assert frame_ancestors(["https://a.vn", "javascript:alert(1)", None, "https://c.vn\n", "https://*.b.vn"]) == \
        "'self' https://a.vn https://*.b.vn"


# --- no session, no htmx, small, self-contained ---------------------------------------

def test_banner_sets_no_cookie_and_needs_none(client, ctx, clock):
    make_contest()
    response = banner(client, src="so-noi-vu", size="728x90")
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert "htmx" not in html and "csrf" not in html.lower() and "nonce" not in html
    # A visitor who already has a portal session (here a moderator's: the login manager
    # and the idle timer both look at it) still gets the same bytes and no cookie.
    from tests.test_embed_admin import log_in

    client.get("/?src=so-noi-vu")
    log_in(client)
    for _ in range(2):
        again = banner(client, src="so-noi-vu", size="728x90")
        assert again.get_data() == response.get_data()
        assert "Set-Cookie" not in again.headers


def test_banner_is_under_20_kb_and_requests_nothing_external(client, ctx, clock):
    make_contest()
    response = banner(client, size="300x250", src="so-noi-vu", origin="https://example.org")
    html = response.get_data(as_text=True)
    assets = [a.split("?v=")[0] if a.startswith("/static/") else a
              for a in re.findall(r'(?:src|href)="([^"]+)"', html)]
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
    css = (ROOT / "static/css/banner.css").read_text(encoding="utf-8")
    js = (ROOT / "static/js/banner.js").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css
    assert "fetch(" not in js and "XMLHttpRequest" not in js
    total = len(response.get_data()) + len(css.encode()) + len(js.encode())
    assert total < 20 * 1024, total
    assert set(assets) == {"/static/css/banner.css", "/static/js/banner.js", "/?src=so-noi-vu"}
    for asset in ("/static/css/banner.css", "/static/js/banner.js"):
        with client.get(asset) as served:
            assert served.status_code == 200


# --- caching ---------------------------------------------------------------------------

def test_banner_is_publicly_cacheable_with_an_etag_and_answers_304(client, ctx, clock):
    make_contest()
    first = banner(client, size="300x250")
    assert first.headers["Cache-Control"] == f"public, max-age={HTTP_MAX_AGE}"
    etag = first.headers["ETag"]
    assert etag
    cached = client.get("/embed/banner?size=300x250", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.get_data() == b""
    assert cached.headers["ETag"] == etag
    assert frame_ancestors_of(cached) == ALLOWED
    # Another size is another document.
    other = client.get("/embed/banner?size=728x90", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_figures_are_at_most_a_minute_old(client, ctx, clock):
    contest = make_contest()
    assert HTTP_MAX_AGE + FIGURES_TTL.total_seconds() <= 60
    first = banner(client)
    add_attempts(contest, 1, ["submitted"])
    # Within the reuse window the figures (and so the ETag) may stay as they were...
    same = client.get("/embed/banner", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    # ...but never longer than the window.
    clock.advance(seconds=FIGURES_TTL.total_seconds())
    fresh = client.get("/embed/banner", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200
    assert '<span class="b-num">1</span>' in fresh.get_data(as_text=True)


# --- what it shows ---------------------------------------------------------------------

def test_open_round_shows_title_round_countdown_participants_and_button(client, ctx, clock):
    contest = make_contest()
    add_attempts(contest, 1, ["submitted", "submitted", "expired", "in_progress"])
    add_attempts(contest, 2, ["submitted"])  # another round: not counted
    html = banner(client, src="so-noi-vu", size="728x90", theme="red").get_data(as_text=True)
    assert "Cuộc thi thử nghiệm" in html
    assert "<strong>Tuần 1</strong>" in html and "đang diễn ra" in html
    # Participants: distinct contestants with a closed attempt in this round.
    assert '<span class="b-num">3</span> <span class="b-label">người đã tham gia</span>' in html
    # The countdown runs to the close (Sun 09/07/2023 17:00 local = 10:00 UTC); without
    # script the absolute time is shown, and screen readers always get it.
    assert 'data-deadline="2023-07-09T10:00:00Z"' in html
    assert 'data-live="Còn lại">Đóng lúc</span>' in html and "17:00 09/07/2023" in html
    assert "Tuần thi đóng lúc 17:00, Chủ nhật 09/07/2023." in html
    assert 'class="banner size-728x90 theme-red state-open"' in html
    button = re.search(r'<a class="b-cta"[^>]*>', html).group(0)
    assert 'href="/?src=so-noi-vu"' in button
    assert 'target="_blank"' in button and 'rel="noopener"' in button
    assert "Tham gia thi" in html


def test_between_rounds_the_banner_counts_down_to_the_next_opening(client, ctx, clock):
    make_contest()
    clock.set(datetime(2023, 7, 9, 11, 0, tzinfo=UTC))  # Sunday 18:00 local, round 1 closed
    html = banner(client).get_data(as_text=True)
    assert "<strong>Tuần 2</strong>" in html and "sắp mở" in html
    assert 'data-deadline="2023-07-10T01:00:00Z"' in html  # Monday 08:00 local
    assert 'data-live="Mở sau">Mở lúc</span>' in html
    assert "người đã tham gia" not in html
    assert "Tham gia thi" in html


def test_after_the_last_round_the_banner_points_to_the_results(client, ctx, clock):
    contest = make_contest()
    add_attempts(contest, 2, ["submitted", "submitted"])
    clock.set(datetime(2023, 7, 20, 3, 0, tzinfo=UTC))
    html = banner(client).get_data(as_text=True)
    assert "đã kết thúc" in html and "data-deadline" not in html
    assert '<span class="b-num">2</span>' in html
    assert "Xem kết quả" in html and "Tham gia thi<" not in html


def test_unknown_options_fall_back_and_bad_keys_are_dropped(client, ctx, clock):
    make_contest()
    html = banner(client, size="9999x1", theme="<b>", src='"><script>x</script>').get_data(as_text=True)
    assert 'class="banner size-300x250 theme-blue state-open"' in html
    assert 'href="/"' in html and "<script>x" not in html


def test_contest_text_is_escaped(client, ctx, clock):
    contest = make_contest()
    contest.title = '<img src=x onerror=alert(1)> "Cuộc thi"'
    contest.rounds[0].title = "<script>alert(2)</script>"
    db.session.commit()
    html = banner(client).get_data(as_text=True)
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_without_a_contest_there_is_no_banner(client):
    assert banner(client).status_code == 404


# --- the loader ------------------------------------------------------------------------

def test_loader_is_served_as_cacheable_javascript(client, ctx, clock):
    make_contest()
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "public" in response.headers["Cache-Control"] and "max-age=" in response.headers["Cache-Control"]
    assert response.get_data() == (ROOT / "embed" / "embed.js").read_bytes()
    again = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_both_sides_check_the_exact_origin_and_never_use_a_wildcard():
    loader = (ROOT / "embed" / "embed.js").read_text(encoding="utf-8")
    banner_js = (ROOT / "static" / "js" / "banner.js").read_text(encoding="utf-8")
    for source in (loader, banner_js):
        assert not re.search(r"""postMessage\([^;]*["']\*["']""", source)
        assert "indexOf(" not in source and "endsWith(" not in source  # no fuzzy origin tests
    # The loader takes only its own banner's messages, from the portal's exact origin.
    assert "event.origin !== portal || event.source !== frame.contentWindow" in loader
    assert re.search(r"postMessage\(\{ type: HELLO \}, portal\)", loader)
    # The banner answers and reports only to the origin the server accepted.
    assert "event.origin !== parentOrigin || event.source !== window.parent" in banner_js
    assert re.search(r"window\.parent\.postMessage\([^;]*, parentOrigin\)", banner_js)
    # The iframe can open a new tab but never navigate the host page.
    assert "allow-popups-to-escape-sandbox" in loader and "allow-top-navigation" not in loader
