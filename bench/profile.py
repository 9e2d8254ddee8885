"""Where the time of one request goes: the hot contestant requests run in-process (Flask's
test client, the real PostgreSQL and Redis) under cProfile, the time aggregated by the
package it is spent in. A benchmark aid, not a test; `make bench` does not run it.

Seeds a small copy of the demo contest (the database is dropped afterwards), logs in
CONTESTANTS contestants, starts an attempt for each, then for every request kind (the
hot requests, and a POST that does nothing, which shows what the portal's own stack
costs before any work):
  - the wall time per request without the profiler, and the same for a bare Flask hello
    (bench/hello.py) through the same test client, so the in-process ratio is printed;
  - with the profiler: the share of time by package, and the functions with the most
    time of their own.

usage: .venv/bin/python -m bench.profile [--requests 600] [--top 12] [--json out.json]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psycopg

from bench import seed as seeding
from bench.stack import create_database, drop_database, ensure_services, flask, package_of

PG_BASE = os.environ.get("PG_BASE_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CONTESTANTS = 60  # the answer limit is per contestant per minute: spread the requests



def breakdown(profile: cProfile.Profile, requests: int, top: int) -> dict:
    stats = pstats.Stats(profile)
    by_package: dict[str, float] = defaultdict(float)
    functions = []
    total = 0.0
    for (filename, line, name), (_, calls, own, _cum, _) in stats.stats.items():
        package = package_of(filename)
        by_package[package] += own
        total += own
        functions.append((own, calls, package, f"{Path(filename).name}:{line} {name}"))
    functions.sort(reverse=True)
    return {
        "profiled_ms_per_request": round(total * 1000 / requests, 3),
        "by_package_pct": {p: round(100 * t / total, 1)
                           for p, t in sorted(by_package.items(), key=lambda kv: -kv[1]) if t / total >= 0.005},
        "top_functions": [{"own_pct": round(100 * own / total, 1), "calls_per_request": round(calls / requests, 1),
                           "package": package, "function": where}
                          for own, calls, package, where in functions[:top]],
    }


def token_in(body: str) -> str:
    match = TOKEN_RE.search(body)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def sign_in(app, phone: str) -> tuple:
    client = app.test_client()
    token = token_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"phone": phone, "password": seeding.PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {phone}: {response.status_code}")
    token = token_in(client.get("/quiz").get_data(as_text=True))
    response = client.post("/quiz/start", data={"csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"start failed for {phone}: {response.status_code}")
    attempt = int(re.search(r"/quiz/(\d+)", response.headers["Location"]).group(1))
    return client, token, attempt


def request_kinds(url: str, sessions: list[tuple]) -> dict:
    """Each kind is a list of zero-argument callables over every session's questions,
    first question of every attempt first: after a reset (no answers), an answer to
    question n leaves n + 1 unanswered, so the htmx answer renders the next question as
    it does for a contestant (and after the tenth sends the prediction page's address)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT attempt_id, position, choice_order FROM attempt_item WHERE attempt_id = ANY(%s) "
                            "ORDER BY position, attempt_id", ([s[2] for s in sessions],)).fetchall()
    by_attempt = {attempt: (client, token) for client, token, attempt in sessions}
    form, htmx, page = [], [], []
    for attempt, position, order in rows:
        client, token = by_attempt[attempt]
        path = f"/quiz/{attempt}/q/{position}"
        data = {"choice": str(order[0]), "csrf_token": token}
        form.append(lambda c=client, p=path, d=data: c.post(p, data=d))
        htmx.append(lambda c=client, p=path, d=data, t=token: c.post(
            p, data=d, headers={"HX-Request": "true", "X-CSRFToken": t}))
        page.append(lambda c=client, p=path: c.get(p))
    return {"POST answer (form, 303)": (form, 303), "POST answer (htmx, next question)": (htmx, (200, 204)),
            "GET question page": (page, 200)}


def reset_answers(url: str, sessions: list[tuple]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE attempt_item SET chosen_choice_id = NULL, answered_at = NULL WHERE attempt_id = ANY(%s)",
                     ([s[2] for s in sessions],))


def timed(calls: list, count: int, expect) -> float:
    """Wall seconds per request for `count` requests cycling over `calls`."""
    expect = expect if isinstance(expect, tuple) else (expect,)
    started = time.perf_counter()
    for i in range(count):
        response = calls[i % len(calls)]()
        if response.status_code not in expect:
            raise RuntimeError(f"unexpected status {response.status_code}")
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600,
                        help=f"requests per kind, at most {CONTESTANTS * 10} (every question of every attempt once)")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    ensure_services(PG_BASE, REDIS_URL)
    name = f"portal_profile_{os.getpid()}"
    url = create_database(PG_BASE, name)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=REDIS_URL, SECRET_KEY="profile-" + uuid.uuid4().hex,
               CONTEST_SLUG=seeding.SLUG, FLASK_DEBUG="0", RATELIMIT_LOGIN="100000 per minute")
    env.pop("TEST_DATABASE_URL", None)
    env.pop("RATELIMIT_ENABLED", None)
    try:
        flask(env, "db", "upgrade")
        flask(env, "seed-demo", "--no-activity")
        seeding.seed(url, 2_000, 10_000)
        os.environ.update(env)
        from bench.hello import app as hello_app
        from portal import create_app

        app = create_app()
        # The portal's floor: a POST that does nothing, through everything every POST of
        # a contestant goes through (session, CSRF, the portal's hooks and headers).
        app.add_url_rule("/bench-floor", "bench_floor", lambda: ("", 204), methods=["POST"])
        sessions = [sign_in(app, seeding.phone(i)) for i in range(CONTESTANTS)]
        kinds = request_kinds(url, sessions)
        kinds["POST that does nothing (session + CSRF + the portal's hooks)"] = (
            [lambda c=client, t=token: c.post("/bench-floor", data={"choice": "1", "csrf_token": t})
             for client, token, _ in sessions], 204)
        hello = hello_app.test_client()
        hello_calls = [lambda: hello.get("/")]
        timed(hello_calls, 2_000, 200)
        report = {"contestants": CONTESTANTS,
                  "hello_ms_per_request": round(timed(hello_calls, 5_000, 200) * 1000, 3), "kinds": {}}
        requests = min(args.requests, len(kinds["GET question page"][0]))
        for label, (calls, expect) in kinds.items():
            timed(calls, 100, expect)  # warm: templates compiled, pool filled
            reset_answers(url, sessions)
            wall = timed(calls, requests, expect)
            reset_answers(url, sessions)
            profile = cProfile.Profile()
            profile.enable()
            timed(calls, requests, expect)
            profile.disable()
            figures = {"ms_per_request": round(wall * 1000, 3),
                       "ratio_to_hello_pct": round(100 * report["hello_ms_per_request"] / (wall * 1000), 1)}
            figures.update(breakdown(profile, requests, args.top))
            report["kinds"][label] = figures
        report["requests_per_kind"] = requests
    finally:
        drop_database(PG_BASE, name)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def print_report(report: dict) -> None:
    print(f"in-process, Flask test client, PostgreSQL + Redis on this machine; "
          f"bare hello {report['hello_ms_per_request']} ms per request")
    for label, figures in report["kinds"].items():
        print(f"\n{label}: {figures['ms_per_request']} ms per request "
              f"({figures['ratio_to_hello_pct']} % of hello's rate; {figures['profiled_ms_per_request']} ms "
              f"under the profiler)")
        print("  by package: " + ", ".join(f"{p} {pct} %" for p, pct in figures["by_package_pct"].items()))
        for row in figures["top_functions"]:
            print(f"  {row['own_pct']:5.1f} %  {row['calls_per_request']:6.1f}/req  {row['package']:<14} "
                  f"{row['function']}")


if __name__ == "__main__":
    sys.exit(main())
