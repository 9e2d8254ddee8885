"""Simultaneous requests against gunicorn + PostgreSQL: one attempt for many starts, one
submission for many submits, one account for many registrations with the same phone."""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from tests.browser import start_live_server
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def token(session: requests.Session, url: str) -> str:
    match = TOKEN_RE.search(session.get(url, timeout=10).text)
    return match.group(1) or match.group(2)


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    with fresh_database("portal_live") as url:
        server = start_live_server(tmp_path_factory.mktemp("pglive"), database_url=url, gunicorn_workers=3)
        try:
            yield server, url
        finally:
            server.stop()


def count(url: str, sql: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def register(server, phone: str) -> requests.Session:
    session = requests.Session()
    html = session.get(server.url + "/register", timeout=10).text
    unit = re.search(r'<option value="(\d+)"', html).group(1)
    response = session.post(server.url + "/register", timeout=10, allow_redirects=False, data={
        "full_name": "Trần Thị Mai", "phone": phone, "password": "mat-khau-1", "password2": "mat-khau-1",
        "birth_year": "1985", "unit_id": unit, "consent": "y", "csrf_token": token(session, server.url + "/register")})
    assert response.status_code == 302, response.text[:500]
    return session


def test_parallel_starts_make_one_attempt(pg_server):
    server, url = pg_server
    session = register(server, "0911000001")
    csrf = token(session, server.url + "/quiz")

    def start(_):
        return session.post(server.url + "/quiz/start", data={"csrf_token": csrf}, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(start, range(100)))
    statuses = {r.status_code for r in responses}
    assert statuses == {303}, statuses
    assert len({r.headers["Location"] for r in responses}) == 1
    assert count(url, "SELECT count(*) FROM attempt a JOIN contestant c ON c.id = a.contestant_id "
                      "WHERE c.phone = '0911000001'") == 1


def test_parallel_submits_make_one_submission(pg_server):
    server, url = pg_server
    session = register(server, "0911000002")
    csrf = token(session, server.url + "/quiz")
    location = session.post(server.url + "/quiz/start", data={"csrf_token": csrf}, allow_redirects=False,
                            timeout=10).headers["Location"]
    attempt_id = re.search(r"/quiz/(\d+)", location).group(1)

    def submit(_):
        return session.post(f"{server.url}/quiz/{attempt_id}/submit", data={"csrf_token": csrf},
                            allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(submit, range(40)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(303) == 1 and set(codes) == {303, 409}, codes
    assert count(url, f"SELECT count(*) FROM attempt WHERE id = {int(attempt_id)} AND status = 'submitted'") == 1


def test_parallel_registrations_with_one_phone_make_one_account(pg_server):
    server, url = pg_server
    sessions = []
    for _ in range(20):
        s = requests.Session()
        html = s.get(server.url + "/register", timeout=10).text
        sessions.append((s, re.search(r'<option value="(\d+)"', html).group(1), token(s, server.url + "/register")))

    def post(entry):
        s, unit, csrf = entry
        return s.post(server.url + "/register", allow_redirects=False, timeout=30, data={
            "full_name": "Lý Văn Sáu", "phone": "0911000003", "password": "mat-khau-1", "password2": "mat-khau-1",
            "birth_year": "1979", "unit_id": unit, "consent": "y", "csrf_token": csrf})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, sessions))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(302) == 1 and set(codes) <= {302, 422}, codes
    assert all("đã được đăng ký" in r.text for r in responses if r.status_code == 422)
    assert count(url, "SELECT count(*) FROM contestant WHERE phone = '0911000003'") == 1
