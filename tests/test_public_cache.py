"""Public pages seen anonymously are shareable (a proxy may cache them); nothing personal
or per-session ever is: not a logged-in page, not a CSRF token, not a response setting a
cookie."""
import re

import pytest

from tests import quiz_helpers as qh
from tests.conftest import CSRF_RE
from tests.factories import make_contest, make_questions

PUBLIC = ["/", "/rules", "/privacy", "/rounds/1/leaderboard", "/collective"]


@pytest.mark.parametrize("path", PUBLIC)
def test_anonymous_public_pages_are_shareable(client, ctx, clock, path):
    make_contest()
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<main" in html
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert "Cookie" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers
    assert "csrf" not in html.lower() and "nonce" not in response.headers["Content-Security-Policy"]
    # The browser revalidates with the ETag and gets no body back.
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_two_anonymous_visitors_get_the_same_bytes(app, client, ctx, clock):
    make_contest()
    first, second = client.get("/rules"), app.test_client().get("/rules")
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Content-Security-Policy"] == second.headers["Content-Security-Policy"]


def test_the_htmx_leaderboard_fragment_is_shareable_and_varies(client, ctx, clock):
    make_contest()
    response = client.get("/rounds/1/leaderboard", headers={"HX-Request": "true"})
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert {"HX-Request", "Cookie"} <= set(response.headers["Vary"].replace(" ", "").split(","))
    assert "<html" not in response.get_data(as_text=True)


def test_a_logged_in_contestant_gets_a_private_page_with_the_token(client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    for path in PUBLIC:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "private, no-cache", path
        assert CSRF_RE.search(html), path
        assert "ETag" not in response.headers
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)


def test_a_visit_from_a_banner_sets_a_cookie_and_is_not_shared(client, ctx, clock):
    make_contest()
    response = client.get("/?src=sonoivu")
    assert "session=" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    # Same visitor, now carrying a session: still private.
    assert client.get("/rules").headers["Cache-Control"] == "private, no-cache"


def test_pages_with_forms_are_not_marked_public(client, ctx, clock):
    make_contest()
    for path in ("/login", "/register"):
        response = client.get(path)
        assert "public" not in response.headers.get("Cache-Control", ""), path
        assert CSRF_RE.search(response.get_data(as_text=True)), path


def test_a_missing_page_is_not_marked_public(client, ctx, clock):
    make_contest()
    response = client.get("/rounds/9/leaderboard")
    assert response.status_code == 404
    assert "public" not in response.headers.get("Cache-Control", "")


def test_language_choice_keeps_pages_shareable_per_language(client, ctx, clock):
    make_contest()
    client.get("/lang", query_string={"lang": "en", "next": "/"})
    response = client.get("/rules")
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert re.search(r'<html lang="en">', response.get_data(as_text=True))
