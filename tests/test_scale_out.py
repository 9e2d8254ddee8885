"""Scale-out: two portal instances (gunicorn, different ports) behind nginx round-robin,
sharing one PostgreSQL and one Redis. A contestant whose requests alternate between the
instances completes an attempt; a login rate limit counts across both; the results
cache one instance filled is what the other serves, and a submission through either
clears it for both."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.browser import free_port, start_live_server
from tests.conftest import require_or_skip
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REDIS_URL = os.environ.get("TEST_SCALE_REDIS_URL", "redis://127.0.0.1:6379/13")
SLUG = "cds-langson-2023"
TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHOICE_RE = re.compile(r'name="choice" value="(\d+)"')

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream portal {{
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://portal;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return None
    return client


class Nginx:
    def __init__(self, tmp: Path, upstreams: list[str]):
        ports = [int(u.rsplit(":", 1)[1]) for u in upstreams]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=self.port, port_a=ports[0], port_b=ports[1]))
        self.log = open(tmp / "nginx.out", "wb")
        # -e: the error log before the config is read, otherwise nginx tries /var/log.
        self.process = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(tmp / 'error.log').read_text(errors='replace')}")
            try:
                requests.get(self.url + "/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)  # polling a starting process
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    require_or_skip(nginx_binary() is not None, "nginx is not installed (apt-get install nginx)")
    cache = redis_client()
    require_or_skip(cache is not None, f"Redis is not reachable at {REDIS_URL}")
    cache.flushdb()  # this test's own Redis database: no counters or cache left from a run before
    env = {"REDIS_URL": REDIS_URL, "PROXY_HOPS": "1", "RATELIMIT_ENABLED": "true",
           "RATELIMIT_LOGIN_ACCOUNT": "3 per minute", "CONTEST_SLUG": SLUG}
    with fresh_database("portal_scale") as url:
        first = start_live_server(tmp_path_factory.mktemp("instance_a"), extra_env=env, database_url=url,
                                  gunicorn_workers=1)
        second = nginx = None
        try:
            second = start_live_server(tmp_path_factory.mktemp("instance_b"), extra_env=env, database_url=url,
                                       gunicorn_workers=1, prepare=False)
            nginx = Nginx(tmp_path_factory.mktemp("nginx"), [first.url, second.url])
            yield {"a": first, "b": second, "nginx": nginx, "db": url, "redis": cache}
        finally:
            for process in (nginx, second, first):
                if process is not None:
                    process.stop()
            cache.flushdb()


class Contestant:
    """A browser without JavaScript, through nginx; notes which instance answered each request."""

    def __init__(self, base: str):
        self.base, self.http, self.served_by, self.token = base, requests.Session(), [], ""

    def request(self, method: str, path: str, expect: int, **data) -> requests.Response:
        response = self.http.request(method, self.base + path, data=data or None, allow_redirects=False, timeout=20)
        assert response.status_code == expect, (method, path, response.status_code, response.text[:300])
        self.served_by.append(response.headers.get("X-Upstream", ""))
        match = TOKEN_RE.search(response.text)
        if match:
            self.token = match.group(1)
        return response

    def register(self, phone: str) -> None:
        html = self.request("GET", "/register", 200).text
        unit = re.search(r'<option value="(\d+)"', html).group(1)
        self.request("POST", "/register", 302, full_name="Hoàng Văn Thụ", phone=phone, password="mat-khau-1",
                     password2="mat-khau-1", birth_year="1984", unit_id=unit, consent="y", csrf_token=self.token)

    def take_quiz(self) -> str:
        self.request("GET", "/quiz", 200)
        start = self.request("POST", "/quiz/start", 303, csrf_token=self.token)
        attempt = re.search(r"/quiz/(\d+)", start.headers["Location"]).group(1)
        for position in range(1, 11):
            page = self.request("GET", f"/quiz/{attempt}/q/{position}", 200).text
            self.request("POST", f"/quiz/{attempt}/q/{position}", 303, choice=CHOICE_RE.findall(page)[0],
                         csrf_token=self.token)
        self.request("POST", f"/quiz/{attempt}/prediction", 303, prediction="120000", csrf_token=self.token)
        self.request("POST", f"/quiz/{attempt}/submit", 303, csrf_token=self.token)
        return self.request("GET", f"/quiz/{attempt}/result", 200).text

    def register_and_take_quiz(self, phone: str) -> str:
        self.register(phone)
        return self.take_quiz()


def stats(server) -> dict:
    response = requests.get(f"{server.url}/api/v1/contests/{SLUG}/stats", timeout=10)
    assert response.status_code == 200
    return response.json()["round"]


def run_sql(url: str, sql: str, **params):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            return conn.execute(sa.text(sql), params).all() if sql.lstrip().upper().startswith("SELECT") else \
                conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_attempt_alternating_between_instances(cluster):
    a, b = cluster["a"], cluster["b"]
    person = Contestant(cluster["nginx"].url)
    person.register("0912300001")
    result = person.take_quiz()
    assert 'data-total="10"' in result
    ports = {a.url.rsplit(":", 1)[1], b.url.rsplit(":", 1)[1]}
    served = [address.rsplit(":", 1)[1] for address in person.served_by]
    assert set(served) == ports, served
    # nginx round-robin with one client: every request went to the other instance.
    assert all(x != y for x, y in zip(served, served[1:])), served
    assert run_sql(cluster["db"], "SELECT count(*) FROM attempt a JOIN contestant c ON c.id = a.contestant_id "
                                  "WHERE c.phone = '0912300001' AND a.status = 'submitted'")[0][0] == 1


def test_results_cache_is_shared_and_cleared_for_both(cluster):
    a, b, url = cluster["a"], cluster["b"], cluster["db"]
    Contestant(cluster["nginx"].url).register_and_take_quiz("0912300002")
    before = stats(a)  # computed by A, stored in Redis
    assert before["attempts"] >= 1
    assert cluster["redis"].keys("portal:cache:results:*stats*")
    # A change the app does not know about: B must still serve what A cached (with a
    # cache per process it would count the new row itself).
    run_sql(url, "INSERT INTO attempt (contestant_id, round_id, local_day, day_seq, started_at, deadline_at, "
                 "submitted_at, status, score, duration_ms) SELECT a.contestant_id, a.round_id, "
                 "a.local_day - 1, 1, a.started_at, a.deadline_at, a.submitted_at, 'submitted', 3, 500000 "
                 "FROM attempt a JOIN contestant c ON c.id = a.contestant_id WHERE c.phone = '0912300002'")
    run_sql(url, "UPDATE round SET tally_attempts = tally_attempts + 1 WHERE number = 1")  # as seeding would
    assert stats(b) == before
    # A submission through nginx (either instance) clears the cache for both. Submissions
    # refresh results at most once per REFRESH_INTERVAL (portal/results.py); the marker of
    # the first one's refresh is shared in Redis too, so drop it, as if that time had passed.
    for key in cluster["redis"].keys("portal:cache:results:*:refreshed"):
        cluster["redis"].delete(key)
    Contestant(cluster["nginx"].url).register_and_take_quiz("0912300003")
    after_a, after_b = stats(a), stats(b)
    assert after_a == after_b
    assert after_a["attempts"] == before["attempts"] + 2
    assert after_a["participants"] == before["participants"] + 1


def test_login_rate_limit_counts_across_instances(cluster):
    http = requests.Session()
    base = cluster["nginx"].url
    token = TOKEN_RE.search(http.get(base + "/login", timeout=10).text).group(1)
    statuses, served = [], []
    for _ in range(4):
        response = http.post(base + "/login", data={"phone": "0912300001", "password": "sai-mat-khau",
                                                    "csrf_token": token}, allow_redirects=False, timeout=10)
        statuses.append(response.status_code)
        served.append(response.headers["X-Upstream"])
    # RATELIMIT_LOGIN_ACCOUNT is 3 per minute: the 4th failure is refused although each
    # instance saw only two of them.
    assert statuses == [401, 401, 401, 429], statuses
    assert len(set(served)) == 2, served


def test_deploy_config_shares_public_pages_with_anonymous_visitors_only(cluster, tmp_path):
    """nginx as docs/deploy.md configures it (bench/nginx.py runs the same directives):
    an anonymous visitor gets the landing page and leaderboard from the cache; a logged-in
    contestant always gets their own page from the app."""
    from bench.nginx import Nginx as DeployNginx

    proxy = DeployNginx(tmp_path / "deploy-nginx", int(cluster["a"].url.rsplit(":", 1)[1]))
    try:
        for path in ("/", "/rounds/1/leaderboard"):
            caches = [requests.get(proxy.url + path, timeout=10).headers["X-Cache"] for _ in range(3)]
            assert caches[0] in ("MISS", "EXPIRED") and caches[1:] == ["HIT", "HIT"], (path, caches)
        # The fragment and the whole page of one URL are cached apart, by the same three
        # headers the app decides with: a history restore never gets the fragment.
        board = proxy.url + "/rounds/1/leaderboard?page=1"
        fragment = {"HX-Request": "true"}
        restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
        for headers, whole in ((fragment, False), (restore, True), (fragment, False), (restore, True), ({}, True)):
            response = requests.get(board, headers=headers, timeout=10)
            assert ("<html" in response.text) is whole, (headers, response.headers["X-Cache"])
        assert requests.get(board, headers=restore, timeout=10).headers["X-Cache"] == "HIT"
        person = Contestant(proxy.url)
        person.register("0912300004")
        page = person.http.get(proxy.url + "/", timeout=10)
        assert page.headers["X-Cache"] == "BYPASS" and "Đăng xuất" in page.text
        assert TOKEN_RE.search(page.text) and page.headers["Cache-Control"] == "private, no-cache"
        anonymous = requests.get(proxy.url + "/", timeout=10)
        assert anonymous.headers["X-Cache"] == "HIT" and "Đăng xuất" not in anonymous.text
        assert not TOKEN_RE.search(anonymous.text)
    finally:
        proxy.stop()
