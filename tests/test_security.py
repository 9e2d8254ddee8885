"""Security by default, checked over the whole URL map: headers on every response, CSRF on
every POST, rate limits with a Vietnamese 429, staff sessions that expire, hostile input."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import NumberConverter

from portal import at_most, create_app
from portal.extensions import db
from portal.models import Attempt, Contestant
from tests import quiz_helpers as qh
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions


def concrete(rule) -> str:
    """A URL for a rule, with placeholder arguments."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, NumberConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def all_rules(app, method):
    return [r for r in app.url_map.iter_rules() if method in r.methods]


def check_headers(path, response):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "object-src 'none'" in csp, path
    assert "base-uri 'none'" in csp, path
    assert "frame-ancestors" in csp, path
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0], path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy"), path


def test_every_get_route_sends_the_security_headers(app, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    for rule in all_rules(app, "GET"):
        path = concrete(rule)
        response = client.get(path)
        assert response.status_code < 500, path
        check_headers(path, response)
        if not path.startswith("/embed/banner"):
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://cuocthi.example.gov.vn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_every_post_route_refuses_a_missing_token(app, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    posts = all_rules(app, "POST")
    assert len(posts) >= 8
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt))
    for rule in posts:
        path = concrete(rule)
        response = client.post(path, data={"choice": "1", "prediction": "5"})
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True), path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == before


def test_a_token_from_another_session_is_refused(app, client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    stranger = app.test_client()
    foreign = csrf_token(stranger, "/login")
    assert client.post("/quiz/start", data={"csrf_token": foreign}).status_code == 400


def test_production_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}", "SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_login_rate_limit_is_per_phone_and_answers_in_vietnamese(_schema, clock):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _schema, "TESTING": True, "SECRET_KEY": "t",
                      "RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
                      "RATELIMIT_LOGIN": "100 per minute"})
    from tests.conftest import IsolatedClient, _empty_tables

    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()
        contest = make_contest()
        client = app.test_client()
        qh.register(client, contest.blocks[0].units[0].id)
        attacker = app.test_client()
        codes = [qh.login(attacker, password="sai").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = qh.login(attacker, password="sai")
        assert "Bạn thao tác quá nhanh" in limited.get_data(as_text=True)
        # A colleague in the same office (same IP) logging in to another account is not locked out.
        qh.register(app.test_client(), contest.blocks[0].units[0].id, phone="0987000111")
        colleague = app.test_client()
        assert qh.login(colleague, phone="0987000111").status_code == 302
        db.session.remove()
        db.engine.dispose()
    from portal.extensions import limiter
    limiter.reset()


def test_staff_session_expires_after_inactivity(client, ctx, clock):
    from tests.admin_helpers import login_staff

    make_contest()
    login_staff(client, role="admin")
    assert client.get("/admin/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/admin/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_login_rotates_the_session(client, ctx, clock):
    contest = make_contest()
    qh.register(client, contest.blocks[0].units[0].id)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    before = csrf_token(client, "/login")
    qh.login(client)
    assert csrf_token(client) != before


@pytest.mark.parametrize("field,value", [
    ("full_name", "A" * 500), ("full_name", "Nguyễn\x00Văn"), ("full_name", "Robert'); DROP TABLE contestant;--"),
    ("full_name", "<img src=x onerror=alert(1)>"), ("phone", "0912345678" * 5), ("phone", "' OR '1'='1"),
    ("birth_year", "-5"), ("birth_year", "99999999999999999999"), ("birth_year", "nineteen"),
    ("password", "x" * 10_000), ("unit_id", "999999"), ("unit_id", "-1"), ("unit_id", "1 OR 1=1"),
    ("password2", "khac-mat-khau"),
])
def test_hostile_registration_values_change_nothing(client, ctx, clock, field, value):
    contest = make_contest()
    data = {"full_name": "Nguyễn Văn An", "phone": "0912345678", "password": "mat-khau-1",
            "password2": "mat-khau-1", "birth_year": "1990", "unit_id": str(contest.blocks[0].units[0].id),
            "consent": "y", "csrf_token": csrf_token(client, "/register")}
    data[field] = value
    if field == "password":
        data["password2"] = value
    response = client.post("/register", data=data)
    assert 400 <= response.status_code < 500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contestant)) == 0
    assert "<img src=x" not in response.get_data(as_text=True)


def test_url_numbers_stop_at_what_a_column_holds():
    for limit in (7, 10, 305, 1000):
        pattern = re.compile(at_most(limit) + r"\Z")
        assert [v for v in range(5000) if pattern.match(str(v))] == list(range(limit + 1))
    pattern = re.compile(at_most(2**31 - 1) + r"\Z")
    assert pattern.match(str(2**31 - 1)) and pattern.match("1999999999") and pattern.match("2147483639")
    assert not any(pattern.match(str(v)) for v in (2**31, 2147483650, 2200000000, 9999999999, 2**63))


def test_tampered_ids_and_replayed_submits(client, app, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    attempt_id = qh.attempt_id_of(qh.start(client))
    token = csrf_token(client)
    for path in (f"/quiz/{attempt_id + 1}/q/1", f"/quiz/{attempt_id}/q/99999999999", "/quiz/-1/q/1",
                 f"/quiz/{attempt_id}/q/{2**31}", f"/quiz/{2**31}/q/1", f"/quiz/{2**63}/submit"):
        assert client.post(path, data={"choice": "1", "csrf_token": token}).status_code == 404, path
    assert qh.submit(client, attempt_id, token=token).status_code == 303
    replay = qh.submit(client, attempt_id, token=token)
    assert replay.status_code == 409
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    assert attempt.submitted_at - attempt.started_at < timedelta(seconds=1)


def test_an_expired_csrf_token_is_refused(app, client, ctx, clock):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    contest = make_contest()
    make_questions(contest, per_round=12)
    qh.register(client, contest.blocks[0].units[0].id)
    fresh = csrf_token(client)

    class OldSigner(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - app.config["WTF_CSRF_TIME_LIMIT"] - 60

    # The same raw token the session holds, signed as if it were issued past the time limit.
    raw = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").loads(fresh)
    expired = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=OldSigner).dumps(raw)
    response = client.post("/quiz/start", data={"csrf_token": expired})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    assert client.post("/quiz/start", data={"csrf_token": fresh}).status_code == 303


HOSTILE_NEXT = ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example",
                "/%09/evil.example", "/\r/x", "/%0D/x", "/\n/evil.example", "/%0A/evil.example",
                "/ /evil.example", "/\x7f/evil.example", "javascript:alert(1)", ""]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_no_open_redirect_through_next(client, ctx, clock, target):
    """The language switch (a plain link) and the login both follow `next` only to a path
    of this site, whatever a URL parser would make of control characters."""
    from urllib.parse import quote, unquote, urlsplit

    contest = make_contest()
    decoded = quote(unquote(target), safe="")  # as a browser sends it: the server sees the raw characters
    switched = client.get(f"/lang?lang=en&next={decoded}")
    assert switched.status_code == 303 and switched.headers["Location"] == "/"
    qh.register(client, contest.blocks[0].units[0].id)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    logged_in = client.post(f"/login?next={decoded}", data={"phone": "0912345678", "password": "mat-khau-1",
                                                             "csrf_token": csrf_token(client, "/login")})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/"
    # Left percent-encoded, it is only an odd path of this site.
    location = client.get("/lang", query_string={"lang": "en", "next": target}).headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and not urlsplit(location).netloc


def test_a_same_site_next_is_kept(client, ctx, clock):
    make_contest()
    assert client.get("/lang", query_string={"lang": "en", "next": "/rounds/1/leaderboard?page=2"}
                      ).headers["Location"] == "/rounds/1/leaderboard?page=2"
