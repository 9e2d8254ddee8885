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


def vary(response) -> set[str]:
    return {name.strip().lower() for name in response.headers["Vary"].split(",")}


def test_the_htmx_leaderboard_fragment_is_shareable_and_varies(client, ctx, clock):
    make_contest()
    response = client.get("/rounds/1/leaderboard", headers={"HX-Request": "true"})
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert {"hx-request", "hx-boosted", "hx-history-restore-request", "cookie"} <= vary(response)
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize("extra", [{"HX-History-Restore-Request": "true"}, {"HX-Boosted": "true"}])
def test_a_history_restore_or_boosted_request_gets_the_whole_page(client, ctx, clock, extra):
    """htmx sends HX-Request on a history restore too, and needs the whole page: the Vary
    header names every header that decides, so no cache hands it the fragment."""
    make_contest()
    fragment = client.get("/rounds/1/leaderboard", headers={"HX-Request": "true"})
    page = client.get("/rounds/1/leaderboard", headers={"HX-Request": "true", **extra})
    assert "<html" in page.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert vary(page) == vary(fragment) and page.headers["ETag"] != fragment.headers["ETag"]


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


def test_a_logged_in_moderator_gets_private_pages(client, ctx, clock):
    from tests.admin_helpers import login_staff

    make_contest()
    login_staff(client)
    for path in PUBLIC:
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, no-cache", path
        assert "ETag" not in response.headers, path


def test_a_page_showing_a_flashed_message_is_private(app, client, ctx, clock):
    make_contest()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Bài thi đã được nộp.")]
    response = client.get("/")
    assert "Bài thi đã được nộp." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_head_is_shareable_like_get(client, ctx, clock):
    make_contest()
    head, get = client.head("/rules"), client.get("/rules")
    assert head.headers["Cache-Control"] == get.headers["Cache-Control"] == "public, max-age=30"
    assert head.headers["ETag"] == get.headers["ETag"]


def test_compressed_pages_revalidate_with_their_own_etag(client, ctx, clock):
    make_contest()
    first = client.get("/rules", headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br" and first.headers["Cache-Control"] == "public, max-age=30"
    again = client.get("/rules", headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_missing_page_is_not_marked_public(client, ctx, clock):
    make_contest()
    response = client.get("/rounds/9/leaderboard")
    assert response.status_code == 404
    assert "public" not in response.headers.get("Cache-Control", "")


def test_language_choice_keeps_pages_shareable_per_language(app, client, ctx, clock):
    make_contest()
    vietnamese = app.test_client().get("/rules")
    client.get("/lang", query_string={"lang": "en", "next": "/"})
    english = client.get("/rules")
    assert english.headers["Cache-Control"] == "public, max-age=30"
    assert re.search(r'<html lang="en">', english.get_data(as_text=True))
    assert re.search(r'<html lang="vi">', vietnamese.get_data(as_text=True))
    assert english.headers["ETag"] != vietnamese.headers["ETag"] and "cookie" in vary(english)
