"""The admin blueprint's one guard: every /admin URL, found by walking the URL map (never a
hand-kept list), refuses anonymous users and contestants, GET and POST alike; admin-only
pages refuse moderators; and every page works for staff."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from portal.admin.views import PUBLIC_ENDPOINTS
from portal.extensions import db
from portal.models import Contestant
from tests.admin_helpers import login_staff, make_staff
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions
from tests.quiz_helpers import login

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def admin_urls(app) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) for every rule under /admin but the login page; converter
    arguments get a plausible value (int -> 1)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        values = {name: 1 if isinstance(conv, IntegerConverter) else "x"
                  for name, conv in rule._converters.items()}
        _, path = rule.build(values, append_unknown=False)
        for method in sorted(set(rule.methods) & set(METHODS)):
            found.append((method, path, rule.endpoint))
    return found


def assert_refused(response, method: str, path: str) -> None:
    where = f"{method} {path}"
    assert response.status_code < 500, f"{where} crashed: {response.status_code}"
    assert response.status_code != 200, f"{where} answered 200 to someone who is not staff"
    if response.status_code in (301, 302, 303, 307, 308):
        assert response.headers["Location"].startswith("/admin/login"), where
    else:
        assert response.status_code == 403, f"{where}: {response.status_code}"


@pytest.fixture
def contest(ctx, clock):
    contest = make_contest()
    make_questions(contest, 5)
    return contest


def walk(client, urls, token):
    for method, path, _ in urls:
        # With a valid CSRF token the request reaches the guard (without one, CSRF
        # protection would answer 400 before the guard is even asked).
        kwargs = {"data": {"csrf_token": token}} if method != "GET" else {}
        yield method, path, client.open(path, method=method, **kwargs)


def test_every_section_of_the_admin_nav_exists(app):
    from portal.admin.views import NAV

    assert [e for e, _, _ in NAV if e not in app.view_functions] == []


def test_the_walk_covers_the_whole_admin_area(app):
    endpoints = {endpoint for _, _, endpoint in admin_urls(app)}
    assert {"admin.dashboard", "admin.settings", "admin.questions", "admin.contestants", "admin.results_overview",
            "admin.units", "admin.audit_log", "admin.staff_list", "admin.embed_code", "admin.logout"} <= endpoints
    assert len(admin_urls(app)) > 40


def test_every_admin_url_refuses_an_anonymous_user(app, client, contest):
    token = csrf_token(client, "/admin/login")
    for method, path, response in walk(client, admin_urls(app), token):
        if path == "/admin/logout":  # logging out nobody is harmless: it only redirects
            assert response.status_code in (302, 403)
            continue
        assert_refused(response, method, path)


def test_every_admin_url_refuses_a_logged_in_contestant(app, client, contest):
    person = Contestant(contest_id=contest.id, phone="0912345678", full_name="Nguyễn Thị Hà", birth_year=1990,
                        unit_id=contest.blocks[0].units[0].id, password_hash="")
    person.set_password("mat-khau-1")
    db.session.add(person)
    db.session.commit()
    assert login(client).status_code == 302
    assert client.get("/quiz").status_code == 200  # really logged in, as a contestant
    token = csrf_token(client, "/")
    for method, path, response in walk(client, admin_urls(app), token):
        if path == "/admin/logout":
            continue
        assert_refused(response, method, path)


def test_htmx_requests_of_an_anonymous_user_are_sent_to_the_login_page(client, contest):
    response = client.get("/admin/contestants?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Redirect"] == "/admin/login"


def test_admin_only_pages_refuse_a_moderator(app, client, contest):
    admin_only = {e for e, view in app.view_functions.items() if getattr(view, "admin_only", False)}
    assert {"admin.staff_list", "admin.staff_new", "admin.round_unfinalize"} <= admin_only
    login_staff(client, "bantochuc", role="moderator")
    token = csrf_token(client, "/admin/")
    urls = [u for u in admin_urls(app) if u[2] in admin_only]
    for method, path, response in walk(client, urls, token):
        assert response.status_code == 403, f"{method} {path}"
    html = client.get("/admin/").get_data(as_text=True)
    assert "Tài khoản Ban Tổ chức" not in html  # the nav does not offer what is refused


def test_a_deactivated_staff_session_is_ended(client, contest):
    login_staff(client, "nguoi-cu", role="moderator")
    staff = make_staff("nguoi-cu")
    staff.active = False
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_every_admin_page_answers_staff_without_error(app, client, contest):
    """Each GET page, with the ids of real rows, for an admin: never a server error."""
    login_staff(client, "quantri", role="admin")
    for method, path, _ in admin_urls(app):
        if method != "GET":
            continue
        response = client.get(path)
        assert response.status_code in (200, 302, 404), f"GET {path}: {response.status_code}"


def test_staff_can_never_take_part(client, contest):
    login_staff(client, "bantochuc")
    assert client.get("/quiz").status_code == 403
    response = client.post("/quiz/start", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
