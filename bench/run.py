"""`make bench`: the real stack (gunicorn on gunicorn.conf.py, PostgreSQL, Redis) on a
large seeded contest, driven from this separate process; prints a table and writes JSON.

Phases, each bounded in time:
  1. scale: leaderboard and stats latency, cached and uncached, at 1,000 attempts and
     at the full size (default 1,000,000 attempts of 200,000 contestants)
  2. ceiling: wrk on a bare Flask "hello" under the same gunicorn config
  3. wrk on the public GET endpoints (landing, banner, leaderboards, stats, a static file)
  4. 500 contestants log in, then press "start" at the same moment
  5. wrk on answer-saving (and on the question page) with those 500 sessions; 5b: the
     answer runs again with py-spy sampling the workers (bench/spy.py)
  6. 2,000 contestants log in, then take the quiz at once with 10-30 s think time
  7. finalize round 1 and export its ranking with the command-line tools (time, peak RSS)

usage: .venv/bin/python -m bench.run [--quick] [--contestants N] [--attempts N] ...
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

from bench import seed as seeding
from bench import traffic
from bench.nginx import Nginx
from bench.nginx import binary as nginx_binary
from bench.spy import Spy
from bench.stack import PYTHON, ROOT, Gunicorn, create_database, drop_database, ensure_services, flask

SLUG = seeding.SLUG
WRK_DIR = ROOT / "bench" / "wrk"
RESULTS = ROOT / "bench" / "results"
LOGS = RESULTS / "logs"  # gunicorn's output per server, kept for a look after the run
# The load comes from one IP, so the per-IP limits (an office's worth by default) are
# raised; the per-account and per-phone limits stay as in production.
LOAD_LIMITS = {"RATELIMIT_LOGIN": "100000 per minute", "RATELIMIT_REGISTER": "100000 per minute"}
BROWSER_ENCODING = "br, gzip"
# Phase 5's answer runs (bench/wrk/answers.lua), which phase 5b repeats under py-spy. htmx
# answers render the next question only while it is unanswered: one pass over the
# questions of attempts whose answers were cleared, as contestants answer (nine of ten
# responses carry a question, the tenth sends HX-Redirect).
ANSWER_RUNS = {
    "POST /quiz/<id>/q/<n> (answer)": dict(expect=303),
    "POST /quiz/<id>/q/<n> (answer, htmx)": dict(expect="200,204", encoding=BROWSER_ENCODING, htmx=True,
                                                  one_pass=True),
}
PG_BASE = os.environ.get("PG_BASE_URL", "postgresql://postgres@127.0.0.1:5432")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contestants", type=int, default=200_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--simultaneous", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--think", default="10,30", help="think time range in seconds")
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--wrk-connections", type=int, default=32)
    parser.add_argument("--ramp", type=float, default=180,
                        help="phase 6: contestants arrive evenly over this many seconds")
    parser.add_argument("--scenario-limit", type=int, default=660, help="hard cap of phase 6, seconds")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py's)")
    parser.add_argument("--pg", default=os.environ.get("PG_BASE_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--skip", default="", help="phases to skip, e.g. 6,7")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--no-py-spy", action="store_true", help="skip phase 5b (py-spy on the answer runs)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 20,000 contestants, 100,000 attempts, 200 + 100 contestants, 5 s wrk")
    args = parser.parse_args()
    if args.quick:
        args.contestants, args.attempts, args.simultaneous, args.burst = 20_000, 100_000, 200, 100
        args.wrk_seconds, args.think, args.scenario_limit, args.ramp = 5, "2,4", 120, 20
    args.think = tuple(float(x) for x in args.think.split(","))
    args.skip = {int(x) for x in args.skip.split(",") if x}
    return args


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, for the load during a phase."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


class CpuMeter:
    """CPU used by one server's gunicorn workers and by the PostgreSQL backends serving its
    database: per request, this does not depend on what else the machine is running."""

    def __init__(self, server: Gunicorn | None, database: str | None = None):
        self.server, self.database = server, database

    def _pids(self) -> tuple[list[int], list[int]]:
        app = self.server.worker_pids() if self.server else []
        db: list[int] = []
        if self.database:
            with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
                db = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                 (self.database,))]
        return app, db

    def __enter__(self) -> "CpuMeter":
        self.app_pids, self.db_pids = self._pids()
        self.app_before, self.db_before = process_cpu(self.app_pids), process_cpu(self.db_pids)
        return self

    def __exit__(self, *exc) -> None:
        app_pids, db_pids = self._pids()
        # Backends that came and went during the phase are missed; pooled ones stay.
        self.app_s = process_cpu(app_pids) - self.app_before
        self.db_s = process_cpu([p for p in db_pids if p in self.db_pids]) - self.db_before

    def per_request(self, requests: int) -> dict:
        n = max(requests, 1)
        return {"app_cpu_ms": round(self.app_s * 1000 / n, 2), "db_cpu_ms": round(self.db_s * 1000 / n, 2)}


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return round(100 * busy / total, 1) if total else 0.0


# --- wrk ------------------------------------------------------------------------------

def wrk(url: str, seconds: int, connections: int, script: str = "get.lua", expect: int | str = 200,
        encoding: str = "", lines: Path | None = None, method: str = "POST", htmx: bool = False,
        one_pass: bool = False, server: Gunicorn | None = None, database: str | None = None) -> dict:
    env = dict(os.environ, WRK_SCRIPTS=str(WRK_DIR), WRK_EXPECT=str(expect), WRK_ENCODING=encoding,
               WRK_LINES=str(lines or ""), WRK_METHOD=method, WRK_HTMX="1" if htmx else "",
               WRK_ONE_PASS="1" if one_pass else "")
    before = cpu_busy()
    with CpuMeter(server, database) as meter:
        done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                               "-s", str(WRK_DIR / script), url], env=env, capture_output=True, text=True,
                              timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    # A one-pass run that finished early is timed by its pass (wrk's duration is the -d).
    seconds_run = (raw.get("pass_us") or raw["duration_us"]) / 1e6
    errors = sum(raw["errors"].values()) - raw["errors"]["status"] + raw["unexpected_status"]
    lat = raw["latency_us"]
    return {"requests": raw["requests"], "rps": round(raw["requests"] / seconds_run, 1), "errors": errors,
            "load_avg_1m": round(os.getloadavg()[0], 2), **meter.per_request(raw["requests"]),
            "p50_ms": lat["p50"] / 1000, "p95_ms": lat["p95"] / 1000, "p99_ms": lat["p99"] / 1000,
            "max_ms": lat["max"] / 1000, "cpu_busy_pct": busy_percent(before, cpu_busy()),
            "kb_per_response": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 2), "statuses": raw["statuses"],
            "seconds": round(seconds_run, 2),
            **({"bad_status": raw["bad_status"]} if raw["unexpected_status"] else {})}


def ensure_wrk() -> None:
    """wrk (the load generator) and nginx (phase 3b) from Debian, when we are root."""
    missing = [p for p, there in (("wrk", shutil.which("wrk")), ("nginx", nginx_binary())) if not there]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + " ".join(missing),
                       shell=True, check=False, capture_output=True)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if not nginx_binary():
        log("nginx is missing (apt-get install nginx): phase 3b is skipped")


# --- the stack ------------------------------------------------------------------------

def base_env(args, database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=args.redis, SECRET_KEY="bench-" + uuid.uuid4().hex,
               CONTEST_SLUG=SLUG, GUNICORN_ACCESS_LOG="", FLASK_DEBUG="0", **LOAD_LIMITS)
    env.pop("TEST_DATABASE_URL", None)
    env.pop("RATELIMIT_ENABLED", None)
    return env


def build_database(args, name: str, contestants: int, attempts: int) -> tuple[str, dict]:
    url = create_database(args.pg, name)
    env = base_env(args, url)
    try:
        flask(env, "db", "upgrade")
        try:
            flask(env, "seed-demo", "--no-activity")  # the benchmark seeds its own contestants
        except RuntimeError as exc:
            if "--no-activity" not in str(exc):
                raise
            flask(env, "seed-demo")
        log(f"seeding {contestants:,} contestants and {attempts:,} attempts into {name} (COPY)")
        seeded = seeding.seed(url, contestants, attempts)
    except BaseException:
        drop_database(args.pg, name)  # a failed build leaves nothing behind
        raise
    log(f"seeded in {seeded['seconds']} s")
    return url, seeded


def start_portal(args, env: dict, tmp: Path, name: str) -> Gunicorn:
    server = Gunicorn("wsgi:app", env, LOGS / f"{name}.log", args.workers, args.threads).wait_up("/")
    server.warm("/", 100)
    return server


# --- phase 1: scale -------------------------------------------------------------------

def contest_id(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id FROM contest WHERE slug = %s", (SLUG,)).fetchone()[0]


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - started) * 1000


def scale_figures(server: Gunicorn, cache: redis.Redis, cid: int, runs: int = 15) -> dict:
    """Median ms per endpoint: uncached (the contest's cache generation replaced before each
    request, as results_changed() does) and cached."""
    paths = {"leaderboard_html": "/rounds/1/leaderboard",
             "leaderboard_json": f"/api/v1/contests/{SLUG}/rounds/1/leaderboard",
             "leaderboard_deep_html": "/rounds/1/leaderboard?page=40",
             "stats_json": f"/api/v1/contests/{SLUG}/stats"}
    out = {}
    for name, path in paths.items():
        cold, warm = [], []
        for _ in range(runs):
            cache.set(f"portal:cache:results:{cid}:gen", json.dumps(uuid.uuid4().hex))  # JSON, as portal.cache stores it
            cold.append(timed_get(server.url + path))
        for _ in range(runs * 2):
            warm.append(timed_get(server.url + path))
        out[name] = {"uncached_ms": round(sorted(cold)[len(cold) // 2], 1),
                     "cached_ms": round(sorted(warm)[len(warm) // 2], 1)}
    return out


# --- phases 4 to 6: contestants -------------------------------------------------------

async def burst_phase(base: str, phones: list[str]) -> tuple[dict, dict, list]:
    pool = traffic.connector()
    logins = traffic.Recorder()
    started = time.perf_counter()
    people = await traffic.log_in_all(base, phones, 8, logins, pool)
    login_seconds = time.perf_counter() - started
    starts = traffic.Recorder()
    for person in people:
        person.recorder = starts
    before = cpu_busy()
    seconds = await traffic.burst_start(people)
    busy = busy_percent(before, cpu_busy())
    sessions = [(p, _cookie(p)) for p in people if p.attempt]
    for person in people:
        await person.close()
    await pool.close()
    login = logins.summary(login_seconds)
    login["_phase"] = {"contestants": len(phones), "logged_in": len(people), "seconds": round(login_seconds, 1),
                       "error_samples": logins.samples}
    burst = starts.summary(seconds)
    burst["_phase"] = {"contestants": len(people), "started": len(sessions), "seconds": round(seconds, 2),
                       "cpu_busy_pct": busy}
    return login, burst, [(p.attempt, p.token, cookie) for p, cookie in sessions]


def _cookie(person: traffic.Contestant) -> str:
    return "; ".join(f"{c.key}={c.value}" for c in person.http.cookie_jar)


async def scenario_phase(base: str, phones: list[str], think, ramp: float, limit_s: float) -> tuple[dict, dict]:
    pool = traffic.connector()
    logins = traffic.Recorder()
    started = time.perf_counter()
    people = await traffic.log_in_all(base, phones, 8, logins, pool)
    login_seconds = time.perf_counter() - started
    recorder = traffic.Recorder()
    for person in people:
        person.recorder = recorder
    before = cpu_busy()
    finished, cut, seconds = await traffic.run_flows(people, think, stagger=ramp, questions=10, limit_s=limit_s)
    busy = busy_percent(before, cpu_busy())
    for person in people:
        await person.close()
    await pool.close()
    login = logins.summary(login_seconds)
    login["_phase"] = {"contestants": len(phones), "logged_in": len(people), "seconds": round(login_seconds, 1),
                       "error_samples": logins.samples}
    flows = recorder.summary(seconds)
    flows["_phase"] = {"contestants": len(people), "finished": finished, "cut_off": cut, "seconds": round(seconds, 1),
                       "think_s": list(think), "ramp_s": ramp, "peak_in_attempt": traffic.PEAK["in_attempt"],
                       "cpu_busy_pct": busy, "error_samples": recorder.samples}
    return login, flows


def answer_lines(url: str, sessions: list, path: Path) -> int:
    """cookie, token, path, choice for every question of every started attempt: the first
    question of every attempt (attempts in a shuffled order), then every second, and so
    on. Neighbouring lines are different contestants, and in one pass from unanswered
    attempts each answer but an attempt's last finds the next question unanswered."""
    by_attempt = {a: (token, cookie) for a, token, cookie in sessions}
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT attempt_id, position, choice_order FROM attempt_item "
                            "WHERE attempt_id = ANY(%s) ORDER BY attempt_id, position", (list(by_attempt),)).fetchall()
    shuffled = list(by_attempt)
    random.Random(5).shuffle(shuffled)
    rank = {attempt: i for i, attempt in enumerate(shuffled)}
    rows.sort(key=lambda row: (row[1], rank[row[0]]))
    with path.open("w") as out:
        for attempt_id, position, order in rows:
            token, cookie = by_attempt[attempt_id]
            out.write(f"{cookie}\t{token}\t/quiz/{attempt_id}/q/{position}\t{order[0]}\n")
    return len(rows)


def reset_answers(url: str, sessions: list) -> None:
    """Benchmark only: the started attempts' answers are cleared, as if just started."""
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE attempt_item SET chosen_choice_id = NULL, answered_at = NULL WHERE attempt_id = ANY(%s)",
                     ([attempt for attempt, _, _ in sessions],))


# --- phase 7: finalize and export -----------------------------------------------------

def close_round(url: str) -> None:
    """Benchmark only: round 1 ends now, and attempts left open by the load are overdue."""
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE attempt SET deadline_at = now() - interval '1 hour', "
                     "started_at = LEAST(started_at, now() - interval '2 hours') WHERE status = 'in_progress'")
        conn.execute("UPDATE round SET closes_at = now() - interval '1 minute' "
                     "WHERE number = 1 AND contest_id = (SELECT id FROM contest WHERE slug = %s)", (SLUG,))


def measured_command(env: dict, *args: str) -> dict:
    """Wall time and peak resident memory of one CLI command (its own process)."""
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{output}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "output": output.strip().splitlines()[:3]}


def finalize_phase(url: str, env: dict, tmp: Path) -> dict:
    close_round(url)
    finalize = measured_command(env, "round", "finalize", "--contest", SLUG, "1")
    path = tmp / "round1.xlsx"
    export = measured_command(env, "results", "export", "--contest", SLUG, "--round", "1", str(path))
    with psycopg.connect(url) as conn:
        attempts, entries = conn.execute(
            "SELECT (SELECT count(*) FROM attempt a JOIN round r ON r.id = a.round_id WHERE r.number = 1), "
            "(SELECT count(*) FROM ranking_entry)").fetchone()
    export["file_mb"] = round(path.stat().st_size / 2**20, 1)
    return {"attempts": attempts, "ranked": entries, "finalize": finalize, "export": export}


# --- the run --------------------------------------------------------------------------

def main() -> None:
    args = parse_args()
    ensure_wrk()
    ensure_services(args.pg, args.redis)
    cache = redis.Redis.from_url(args.redis)
    cache.flushdb()  # the benchmark's own Redis database: rate-limit counters and caches
    report: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                    "settings": {k: (list(v) if isinstance(v, (set, tuple)) else str(v) if isinstance(v, Path) else v)
                                 for k, v in vars(args).items()},
                    "gunicorn": gunicorn_settings(args)}
    report["load_avg"] = {"start": [round(x, 2) for x in os.getloadavg()]}
    big = args.database = f"portal_bench_{os.getpid()}"
    global PG_BASE
    PG_BASE = args.pg
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        LOGS.mkdir(parents=True, exist_ok=True)
        try:
            run_phases(args, report, cache, tmp, big)
        finally:
            if not args.keep_db:
                drop_database(args.pg, big)
            report["load_avg"]["end"] = [round(x, 2) for x in os.getloadavg()]
            write(report, args.out)
    print_report(report)


def run_phases(args, report: dict, cache: redis.Redis, tmp: Path, big: str) -> None:
    if 1 not in args.skip:
        small = f"portal_bench_small_{os.getpid()}"
        url, seeded = build_database(args, small, 200, 1000)
        server = start_portal(args, base_env(args, url), tmp, "small")
        try:
            report["scale"] = {"1000": {"seed": seeded, **scale_figures(server, cache, contest_id(url))}}
        finally:
            server.stop()
            drop_database(args.pg, small)
    url, seeded = build_database(args, big, args.contestants, args.attempts)
    report["seed"] = seeded
    env = base_env(args, url)
    server = start_portal(args, env, tmp, "portal")
    memory = report["worker_rss_mb"] = {}
    try:
        memory["started"] = server.worker_rss_mb()
        if 1 not in args.skip:
            log("phase 1: leaderboard and stats latency at full size")
            report["scale"][str(args.attempts)] = {"seed": seeded, **scale_figures(server, cache, contest_id(url))}
        if 2 not in args.skip:
            report["hello"] = hello_phase(args, env, tmp)
            log(f"bare hello: {report['hello']['rps']} req/s")
        if 3 not in args.skip:
            report["endpoints"] = get_phase(args, server)
            if nginx_binary():
                report["through_nginx"] = nginx_phase(args, server, tmp)
            memory["after phase 3"] = server.worker_rss_mb()
        sessions: list = []
        if 4 not in args.skip:
            log(f"phase 4: {args.burst} contestants log in, then start at the same moment")
            phones = [seeding.phone(i) for i in range(args.burst)]
            with CpuMeter(server, args.database) as meter:
                report["login_burst"], report["start_burst"], sessions = asyncio.run(burst_phase(server.url, phones))
            report["start_burst"]["_phase"]["cpu_s_incl_logins"] = {"app": round(meter.app_s, 1),
                                                                    "db": round(meter.db_s, 1)}
            log(f"  {report['start_burst']['_phase']}")
        if 5 not in args.skip and sessions:
            lines = tmp / "answers.tsv"
            answer_lines(url, sessions, lines)
            log("phase 5: wrk on answer-saving")
            endpoints = report.setdefault("endpoints", {})
            for label, options in ANSWER_RUNS.items():
                if options.get("one_pass"):
                    reset_answers(url, sessions)
                endpoints[label] = wrk(server.url, args.wrk_seconds, args.wrk_connections, "answers.lua",
                                       lines=lines, server=server, database=args.database, **options)
            report["endpoints"]["GET /quiz/<id>/q/<n> (question)"] = wrk(
                server.url, args.wrk_seconds, args.wrk_connections, "answers.lua", 200, BROWSER_ENCODING,
                lines=lines, method="GET", server=server, database=args.database)
            if not args.no_py_spy:
                report["py_spy"] = spy_phase(args, server, url, sessions, lines)
            memory["after phase 5"] = server.worker_rss_mb()
        if 6 not in args.skip:
            first = args.burst + 10
            phones = [seeding.phone(i) for i in range(first, first + args.simultaneous)]
            log(f"phase 6: {args.simultaneous} contestants log in, then take the quiz with think time {args.think}")
            with CpuMeter(server, args.database) as meter:
                report["login_scenario"], report["scenario"] = asyncio.run(
                    scenario_phase(server.url, phones, args.think, args.ramp, args.scenario_limit))
            report["scenario"]["_phase"]["cpu_per_request_incl_logins"] = meter.per_request(
                report["scenario"]["ALL"]["requests"] + report["login_scenario"]["ALL"]["requests"])
            log(f"  {report['scenario']['_phase']}")
            memory["after phase 6"] = server.worker_rss_mb()
    finally:
        server.stop()
    if 7 not in args.skip:
        log("phase 7: finalize round 1 and export its ranking")
        report["finalize"] = finalize_phase(url, env, tmp)


def spy_phase(args, server: Gunicorn, url: str, sessions: list, lines: Path) -> dict:
    """Phase 5b: the answer runs again with py-spy sampling every worker (the throughput
    figures above come from the runs without it)."""
    log("phase 5b: the answer runs again under py-spy")
    out = {}
    for label, options in ANSWER_RUNS.items():
        if options.get("one_pass"):
            reset_answers(url, sessions)
        time.sleep(2)  # requests still queued from the previous run finish outside the samples
        with Spy(server.worker_pids(), args.wrk_seconds) as spy:
            wrk(server.url, args.wrk_seconds, args.wrk_connections, "answers.lua", lines=lines, **options)
        out[label] = spy.report()
        if not out[label]["samples"]:
            log(f"  py-spy gave no samples: {out[label]['errors']}")
    return out


def hello_phase(args, env: dict, tmp: Path) -> dict:
    log("phase 2: bare Flask hello on the same gunicorn config")
    hello = Gunicorn("bench.hello:app", env, LOGS / "hello.log", args.workers, args.threads).wait_up("/")
    try:
        hello.warm("/", 100)
        return wrk(hello.url + "/", args.wrk_seconds, args.wrk_connections, encoding=BROWSER_ENCODING, server=hello)
    finally:
        hello.stop()


def static_path(server: Gunicorn) -> str:
    with urllib.request.urlopen(server.url + "/login", timeout=10) as response:
        html = response.read().decode()
    start = html.index("/static/css/portal.css")
    return html[start:html.index('"', start)].replace("&amp;", "&")


def get_phase(args, server: Gunicorn) -> dict:
    log("phase 3: wrk on the public GET endpoints")
    endpoints = {
        "GET / (landing)": "/",
        "GET /embed/banner": "/embed/banner",
        "GET /rounds/1/leaderboard (cached)": "/rounds/1/leaderboard",
        "GET api leaderboard JSON (cached)": f"/api/v1/contests/{SLUG}/rounds/1/leaderboard",
        "GET api stats JSON (cached)": f"/api/v1/contests/{SLUG}/stats",
        "GET static css (fingerprinted)": static_path(server),
    }
    out = {}
    for name, path in endpoints.items():
        server.warm(path, 20)
        out[name] = wrk(server.url + path, args.wrk_seconds, args.wrk_connections, encoding=BROWSER_ENCODING,
                        server=server, database=args.database)
        log(f"  {name}: {out[name]['rps']} req/s, p95 {out[name]['p95_ms']} ms, errors {out[name]['errors']}")
    return out


def nginx_phase(args, server: Gunicorn, tmp: Path) -> dict:
    """The same public endpoints through nginx configured as in docs/deploy.md."""
    log("phase 3b: the public endpoints through nginx (static from disk, short proxy cache)")
    proxy = Nginx(tmp / "nginx", server.port)
    try:
        endpoints = {
            "GET /embed/banner": "/embed/banner",
            "GET api leaderboard JSON (cached)": f"/api/v1/contests/{SLUG}/rounds/1/leaderboard",
            "GET api stats JSON (cached)": f"/api/v1/contests/{SLUG}/stats",
            "GET static css (fingerprinted)": static_path(server),
            "GET /rounds/1/leaderboard (cached)": "/rounds/1/leaderboard",
            "GET / (landing, anonymous)": "/",
        }
        out = {}
        for name, path in endpoints.items():
            out[name] = wrk(proxy.url + path, args.wrk_seconds, args.wrk_connections, encoding=BROWSER_ENCODING,
                            server=server, database=args.database)
            log(f"  nginx {name}: {out[name]['rps']} req/s, p95 {out[name]['p95_ms']} ms, errors {out[name]['errors']}")
        return out
    finally:
        proxy.stop()


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
            "postgresql": _pg_version(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def _pg_version() -> str:
    try:
        return subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def gunicorn_settings(args) -> dict:
    done = subprocess.run([PYTHON, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                           "print(c['workers'], c['threads'], c['worker_class'])"], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, **({"WEB_CONCURRENCY": str(args.workers)} if args.workers else {}),
                                              **({"GUNICORN_THREADS": str(args.threads)} if args.threads else {})))
    workers, threads, worker_class = done.stdout.split()
    return {"workers": int(workers), "threads": int(threads), "worker_class": worker_class}


# --- reporting ------------------------------------------------------------------------

def targets(report: dict) -> list[dict]:
    """Each target of the issue: the figure, the bound and whether it was met."""
    out = []
    hello = report.get("hello", {}).get("rps")
    ends = report.get("endpoints", {})

    hello_cpu = report.get("hello", {}).get("app_cpu_ms")

    def ratio_target(label: str, key: str, bound: float, group: str = "endpoints"):
        figures = report.get(group, {})
        if hello and key in figures:
            f = figures[key]
            ratio = f["rps"] / hello
            cost = f["app_cpu_ms"] + f["db_cpu_ms"]
            cpu = f"; by CPU per request {hello_cpu / cost:.0%}" if hello_cpu and cost else ""
            out.append({"target": label + ("" if group == "endpoints" else " (through nginx)"),
                        "figure": f"{ratio:.0%} of hello ({f['rps']} req/s){cpu}",
                        "met": ratio >= bound and f["errors"] == 0})

    ratio_target("answer-saving >= 30% of bare hello", "POST /quiz/<id>/q/<n> (answer)", 0.30)
    ratio_target("answer-saving (htmx, with the next question) >= 30% of bare hello",
                 "POST /quiz/<id>/q/<n> (answer, htmx)", 0.30)
    ratio_target("banner >= 80% of bare hello", "GET /embed/banner", 0.80)
    ratio_target("cached leaderboard (HTML) >= 80% of bare hello", "GET /rounds/1/leaderboard (cached)", 0.80)
    ratio_target("cached leaderboard (JSON) >= 80% of bare hello", "GET api leaderboard JSON (cached)", 0.80)
    ratio_target("banner >= 80% of bare hello", "GET /embed/banner", 0.80, "through_nginx")
    ratio_target("cached leaderboard (JSON) >= 80% of bare hello", "GET api leaderboard JSON (cached)", 0.80,
                 "through_nginx")
    ratio_target("cached leaderboard (HTML) >= 80% of bare hello", "GET /rounds/1/leaderboard (cached)", 0.80,
                 "through_nginx")
    scenario = report.get("scenario")
    if scenario:
        every = scenario["ALL"]
        out.append({"target": f"{scenario['_phase']['contestants']} simultaneous contestants: p95 < 300 ms, no errors",
                    "figure": f"p95 {every['p95_ms']} ms, {every['errors']} errors, "
                              f"{scenario['_phase']['finished']} finished",
                    "met": every["p95_ms"] < 300 and every["errors"] == 0 and scenario["_phase"]["cut_off"] == 0})
    burst = report.get("start_burst")
    if burst:
        phase = burst["_phase"]
        out.append({"target": f"{phase['contestants']} starts within 10 s, no errors",
                    "figure": f"{phase['started']} started in {phase['seconds']} s, {burst['ALL']['errors']} errors",
                    "met": phase["seconds"] <= 10 and burst["ALL"]["errors"] == 0
                    and phase["started"] == phase["contestants"]})
    scale = report.get("scale", {})
    if len(scale) == 2:
        small, large = (scale[k] for k in sorted(scale, key=int))
        for name in ("leaderboard_html", "leaderboard_json", "stats_json"):
            for kind in ("cached_ms", "uncached_ms"):
                a, b = small[name][kind], large[name][kind]
                # "No slower" with room for timer noise on a shared 2-core machine.
                out.append({"target": f"{name} {kind[:-3]} at {max(scale, key=int)} attempts no slower than at 1000",
                            "figure": f"{a} ms -> {b} ms", "met": b <= a * 1.25 + 2})
    final = report.get("finalize")
    if final:
        for step in ("finalize", "export"):
            out.append({"target": f"{step} of {final['attempts']:,} attempts / {final['ranked']:,} ranked in minutes",
                        "figure": f"{final[step]['seconds']} s, peak RSS {final[step]['peak_rss_mb']} MB",
                        "met": final[step]["seconds"] < 600})
    return out


def write(report: dict, path: Path) -> None:
    report["targets"] = targets(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"results written to {path}")


def print_report(report: dict) -> None:
    hello = report.get("hello", {}).get("rps")
    print(f"\nmachine: {report['machine']['cpus']} CPUs; gunicorn {report['gunicorn']}")
    if hello:
        print(f"bare Flask hello: {hello} req/s, {report['hello']['app_cpu_ms']} ms CPU per request "
              f"(the ceiling; ratios below are to it; cpu ratio = hello's CPU per request / the endpoint's "
              f"app + database CPU per request, what the throughput ratio is on an otherwise idle machine)")
        print(f"load average during the run: {report.get('load_avg')}")
    if report.get("worker_rss_mb"):
        print("gunicorn worker RSS, MB: " + "; ".join(f"{when} {sizes}" for when, sizes in report["worker_rss_mb"].items()))
    hello_cpu = report.get("hello", {}).get("app_cpu_ms")
    for key, title in (("endpoints", "direct to gunicorn"), ("through_nginx", "through nginx (docs/deploy.md)")):
        if key not in report:
            continue
        print(f"\n{'endpoint (wrk, saturating), ' + title:58}{'req/s':>8}{'ratio':>7}{'p50':>8}{'p95':>8}"
              f"{'p99':>8}{'errors':>7}{'app ms':>8}{'db ms':>7}{'cpu ratio':>10}")
        for name, f in report[key].items():
            ratio = f"{f['rps'] / hello:.0%}" if hello else "-"
            cost = f["app_cpu_ms"] + f["db_cpu_ms"]
            cpu_ratio = f"{hello_cpu / cost:.0%}" if hello_cpu and cost else "-"
            print(f"{name:58}{f['rps']:>8}{ratio:>7}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}{f['p99_ms']:>8.1f}"
                  f"{f['errors']:>7}{f['app_cpu_ms']:>8}{f['db_cpu_ms']:>7}{cpu_ratio:>10}")
            if len(f.get("statuses", {})) > 1:
                print(f"{'':4}responses by status: " + ", ".join(f"{k}: {v:,}" for k, v in f["statuses"].items()))
    for key, title in (("login_burst", "logins before the burst"), ("start_burst", "start burst"),
                       ("login_scenario", "logins before the scenario"), ("scenario", "contestants with think time")):
        if key in report:
            phase = report[key]["_phase"]
            print(f"\n{title}: " + ", ".join(f"{k} {v}" for k, v in phase.items() if k != "error_samples"))
            print(f"{'endpoint':46}{'requests':>9}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}")
            for name, f in report[key].items():
                if not name.startswith("_"):
                    print(f"{name:46}{f['requests']:>9}{f['rps']:>8}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}"
                          f"{f['p99_ms']:>8.1f}{f['errors']:>8}")
            for sample in phase.get("error_samples", [])[:5]:
                print(f"  error: {sample}")
    for name, spied in report.get("py_spy", {}).items():
        if spied.get("samples"):
            print(f"\npy-spy, {name}: {spied['samples']:,} samples of the workers running Python")
            print("  by package (own time): " + ", ".join(f"{p} {v} %" for p, v in spied["by_package_pct"].items()))
            print("  portal code (inclusive): " + ", ".join(f"{r['function']} {r['pct']} %"
                                                      for r in spied["portal_inclusive"][:6]))
    if "scale" in report:
        print(f"\n{'median ms':30}" + "".join(f"{s + ' attempts':>26}" for s in report["scale"]))
        names = [n for n in next(iter(report["scale"].values())) if n != "seed"]
        for name in names:
            print(f"{name:30}" + "".join(f"{v[name]['uncached_ms']:>12} unc.{v[name]['cached_ms']:>7} c."
                                         for v in report["scale"].values()))
    if "finalize" in report:
        f = report["finalize"]
        print(f"\nround 1: {f['attempts']:,} attempts, {f['ranked']:,} ranked; finalize {f['finalize']['seconds']} s "
              f"(peak RSS {f['finalize']['peak_rss_mb']} MB); export {f['export']['seconds']} s "
              f"(peak RSS {f['export']['peak_rss_mb']} MB, {f['export']['file_mb']} MB file)")
    print("\ntargets:")
    for t in report.get("targets", []):
        print(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['figure']}")


if __name__ == "__main__":
    main()
