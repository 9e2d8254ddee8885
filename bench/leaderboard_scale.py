"""Leaderboard and stats timings at 1,000 and at 1,000,000 attempts (a benchmark, not a test).

Seeds the demo contest (4 weekly rounds, 2023 dates; the clock is set inside round 4) in
a fresh database per size: SQLite in a temporary directory and, when reachable,
PostgreSQL in a database created and dropped here. Attempts are spread evenly over the
four rounds (a quarter of them in the open round 4), 2-3 attempts per contestant per
round, so 1,000,000 attempts means 100,000 contestants. Times, each the median of
several runs with the results cache cleared first ("cold") or kept ("warm"):

  provisional leaderboard (open round 4): page 1 HTML, page 1 JSON, a deep page
  stats endpoint
  finalize round 1, then its final leaderboard: page 1 HTML and JSON, a deep page
  export of round 1 to .xlsx; finalize and export also in a fresh process, for peak RSS
  the provisional page again with the index proposed in the report

usage: .venv/bin/python bench/leaderboard_scale.py [--sizes 1000,1000000] [--no-postgres]
       [--no-sqlite] [--pg postgresql://postgres@127.0.0.1:5432]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench")

import sqlalchemy as sa  # noqa: E402

from portal import cache, clock, create_app, results, results_export, stats  # noqa: E402
from portal.contest_file import parse_contest_file  # noqa: E402
from portal.contest_setup import apply_contest_spec  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Attempt, Contest, Contestant, Unit  # noqa: E402

NOW = datetime(2023, 7, 26, 3, 0, tzinfo=UTC)  # Wednesday of round 4, 10:00 local
SLUG = "cds-langson-2023"
BATCH = 20_000
PROPOSED_INDEX = ("CREATE INDEX ix_attempt_round_rank ON attempt "
                  "(round_id, score DESC, duration_ms, submitted_at, id)")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def median_time(fn, runs: int, cold: bool) -> float:
    times = []
    for _ in range(runs):
        if cold:
            cache.clear()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seed(size: int, dialect: str) -> dict:
    """The demo contest, size // 10 contestants and `size` closed attempts."""
    rng = random.Random(size)
    spec = parse_contest_file((ROOT / "portal/demo/contest.toml").read_text(encoding="utf-8"))
    contest, _ = apply_contest_spec(spec, actor="bench")
    unit_ids = list(db.session.scalars(sa.select(Unit.id).where(Unit.contest_id == contest.id)))
    people = max(size // 10, 1)
    start = time.perf_counter()
    contestants = ({"contest_id": contest.id, "phone": f"09{i:08d}", "password_hash": "-",
                    "full_name": f"Thí sinh {i}", "birth_year": 1990, "unit_id": unit_ids[i % len(unit_ids)],
                    "consent_at": NOW, "consent_version": "", "public_consent": i % 3 != 0,
                    "guardian_confirmed": False, "status": "active", "status_reason": "", "created_at": NOW}
                   for i in range(people))
    bulk_insert(Contestant.__table__, contestants, dialect)
    first_id = db.session.scalar(sa.select(sa.func.min(Contestant.id)).where(Contestant.contest_id == contest.id))
    tz = contest.timezone
    limit = contest.time_limit_seconds

    def attempts():
        made = 0
        per_round = size // 4
        for rnd in contest.rounds:
            open_day = clock.local_day(rnd.opens_at, tz)
            days = 3 if rnd.number == 4 else 7  # round 4 is on its third day
            in_round = 0
            for i in range(people):
                if in_round >= per_round:
                    break
                k = min(2 + (i % 2), per_round - in_round, days)
                for day in rng.sample(range(days), k):
                    local = datetime.combine(open_day + timedelta(days=day), datetime.min.time()).replace(hour=8)
                    started = clock.local_to_utc(local, tz) + timedelta(seconds=rng.randint(0, 3600))
                    expired = rng.random() < 0.05
                    duration = limit * 1000 if expired else rng.randint(40_000, limit * 1000)
                    closed = started + timedelta(seconds=limit) if expired else started + timedelta(milliseconds=duration)
                    yield {"contestant_id": first_id + i, "round_id": rnd.id,
                           "local_day": clock.local_day(started, tz), "day_seq": 1, "started_at": started,
                           "deadline_at": started + timedelta(seconds=limit), "submitted_at": closed,
                           "status": "expired" if expired else "submitted",
                           "score": min(10, max(0, int(rng.gauss(7, 2)))), "duration_ms": duration,
                           "prediction": None if rng.random() < 0.03 else rng.randint(people // 2, people * 2),
                           "source": None}
                    in_round += 1
                    made += 1

    bulk_insert(Attempt.__table__, attempts(), dialect)
    stats.recount(r.id for r in contest.rounds)
    db.session.commit()
    analyze(dialect)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt))
    return {"contest_id": contest.id, "people": people, "attempts": count, "seconds": time.perf_counter() - start}


def bulk_insert(table: sa.Table, rows, dialect: str) -> None:
    """COPY on PostgreSQL, executemany in batches on SQLite: bounded memory and time."""
    if dialect == "postgresql":
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        columns = list(first)
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write_row([first[c] for c in columns])
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(table.insert(), batch)
            batch = []
    if batch:
        db.session.execute(table.insert(), batch)


def analyze(dialect: str) -> None:
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def measure(app, size: int, dialect: str) -> dict:
    figures: dict[str, float] = {}
    client = app.test_client()
    api = f"/api/v1/contests/{SLUG}"

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    with app.app_context():
        progress(f"{dialect}: seeding {size:,} attempts")
        seeded = seed(size, dialect)
        progress(f"{dialect}: seeded in {seeded['seconds']:.1f} s; timing pages")
        contest = db.session.scalar(sa.select(Contest).where(Contest.slug == SLUG))
        r1, r4 = contest.round_by_number(1), contest.round_by_number(4)
        people = seeded["people"]
        deep = max(1, min(500, people // results.PAGE_SIZE))  # ~page 500 at 100k contestants
        figures["seed_s"] = seeded["seconds"]
        figures["attempts"] = seeded["attempts"]
        figures["contestants"] = people
        figures["deep_page"] = deep

        figures["plan"] = plan(contest, r4, dialect)
        runs = 7
        figures["prov_query"] = median_time(lambda: results._provisional_best(r4, contest, 0, 51), runs, cold=False)
        figures["prov_html_cold"] = median_time(lambda: get("/rounds/4/leaderboard"), runs, cold=True)
        figures["prov_html_warm"] = median_time(lambda: get("/rounds/4/leaderboard"), 20, cold=False)
        figures["prov_json_cold"] = median_time(lambda: get(f"{api}/rounds/4/leaderboard"), runs, cold=True)
        figures["prov_json_warm"] = median_time(lambda: get(f"{api}/rounds/4/leaderboard"), 20, cold=False)
        figures["prov_deep_cold"] = median_time(lambda: get(f"/rounds/4/leaderboard?page={deep}"), 3, cold=True)
        figures["stats_cold"] = median_time(lambda: get(f"{api}/stats"), runs, cold=True)
        figures["stats_warm"] = median_time(lambda: get(f"{api}/stats"), 20, cold=False)

        progress(f"{dialect}: finalizing round 1")
        start = time.perf_counter()
        outcome = results.finalize_round(r1, "bench")
        figures["finalize_s"] = time.perf_counter() - start
        figures["finalized_entries"] = outcome.entries
        db.session.commit()
        # Memory in fresh processes (peak RSS), so that seeding's peak does not hide it.
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        figures["baseline_rss_mb"] = child("baseline", url)["rss_mb"]
        refinalized = child("refinalize", url)
        figures["refinalize_s"], figures["finalize_rss_mb"] = refinalized["seconds"], refinalized["rss_mb"]
        db.session.expire_all()

        figures["final_html_cold"] = median_time(lambda: get("/rounds/1/leaderboard"), runs, cold=True)
        figures["final_html_warm"] = median_time(lambda: get("/rounds/1/leaderboard"), 20, cold=False)
        figures["final_json_cold"] = median_time(lambda: get(f"{api}/rounds/1/leaderboard"), runs, cold=True)
        figures["final_deep_cold"] = median_time(lambda: get(f"/rounds/1/leaderboard?page={deep}"), runs, cold=True)

        progress(f"{dialect}: exporting round 1")
        exported = child("export", url)
        figures["export_s"], figures["export_rss_mb"] = exported["seconds"], exported["rss_mb"]
        figures["export_mb_file"] = exported["file_mb"]

        db.session.execute(sa.text(PROPOSED_INDEX))
        db.session.commit()
        analyze(dialect)
        figures["plan_idx"] = plan(contest, r4, dialect)
        figures["prov_query_idx"] = median_time(lambda: results._provisional_best(r4, contest, 0, 51), runs,
                                                cold=False)
        figures["prov_html_cold_idx"] = median_time(lambda: get("/rounds/4/leaderboard"), runs, cold=True)
        figures["prov_json_cold_idx"] = median_time(lambda: get(f"{api}/rounds/4/leaderboard"), runs, cold=True)
    return figures


def child(task: str, url: str) -> dict:
    """Run a task in a fresh interpreter; returns its figures (seconds, peak RSS)."""
    done = subprocess.run([sys.executable, __file__, "--child", task, "--url", url],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(task: str, url: str) -> None:
    clock.set_clock(lambda: NOW)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench", "REDIS_URL": None})
    out: dict[str, float] = {}
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        contest = db.session.scalar(sa.select(Contest).where(Contest.slug == SLUG))
        r1 = contest.round_by_number(1)
        start = time.perf_counter()
        if task == "refinalize":
            results.unfinalize_round(r1, "bench", "đo bộ nhớ khi chốt lại")
            start = time.perf_counter()
            results.finalize_round(r1, "bench")
        elif task == "export":
            path = Path(tmp) / "round1.xlsx"
            results_export.export_round(r1, path)
            out["file_mb"] = path.stat().st_size / 2**20
        out["seconds"] = time.perf_counter() - start
        db.session.remove()
    out["rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def peak_rss_mb() -> float:
    """VmHWM: this process image's own peak. (ru_maxrss would carry over the parent's
    peak across fork + exec.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def plan(contest, round_, dialect: str) -> str:
    """How the database runs the first page's query (the top of the plan)."""
    query = results._ranked_attempts_query(round_, contest).order_by(
        *results._provisional_order(contest)).limit(50 * results.max_attempts_per_contestant(round_, contest))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if dialect == "postgresql":
        lines = [r[0] for r in db.session.execute(sa.text("EXPLAIN " + sql))]
    else:
        lines = [r[-1] for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
    return " / ".join(line.strip() for line in lines[:4])


def make_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench", "REDIS_URL": None, "CONTEST_SLUG": SLUG})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def run_sqlite(sizes: list[int]) -> dict[int, dict]:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            app = make_app(f"sqlite:///{Path(tmp) / f'bench_{size}.db'}")
            out[size] = measure(app, size, "sqlite")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return out


def run_postgres(base: str, sizes: list[int]) -> dict[int, dict] | None:
    import psycopg

    admin = f"{base}/postgres"
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as exc:
        print(f"PostgreSQL not reachable ({exc}); skipped.")
        return None
    out = {}
    for size in sizes:
        name = f"portal_bench_{os.getpid()}_{size}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            app = make_app(f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}")
            out[size] = measure(app, size, "postgresql")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


ROWS = [
    ("provisional page 1, the SQL alone", "prov_query"),
    ("provisional page 1, HTML, cold", "prov_html_cold"),
    ("provisional page 1, HTML, warm", "prov_html_warm"),
    ("provisional page 1, JSON, cold", "prov_json_cold"),
    ("provisional page 1, JSON, warm", "prov_json_warm"),
    ("provisional deep page, HTML, cold", "prov_deep_cold"),
    ("stats JSON, cold", "stats_cold"),
    ("stats JSON, warm", "stats_warm"),
    ("final page 1, HTML, cold", "final_html_cold"),
    ("final page 1, HTML, warm", "final_html_warm"),
    ("final page 1, JSON, cold", "final_json_cold"),
    ("final deep page, HTML, cold", "final_deep_cold"),
    ("provisional page 1, the SQL alone, proposed index", "prov_query_idx"),
    ("provisional page 1 HTML cold, proposed index", "prov_html_cold_idx"),
    ("provisional page 1 JSON cold, proposed index", "prov_json_cold_idx"),
]


def report(label: str, figures: dict[int, dict]) -> None:
    sizes = sorted(figures)
    small, large = sizes[0], sizes[-1]
    print(f"\n== {label} ==")
    for size in sizes:
        f = figures[size]
        print(f"{size:>9,} attempts: {int(f['contestants']):,} contestants, seeded in {f['seed_s']:.1f} s; "
              f"deep page = {int(f['deep_page'])}")
    print(f"{'':50}" + "".join(f"{s:>14,}" for s in sizes) + ("   ratio" if len(sizes) > 1 else ""))
    for title, key in ROWS:
        line = f"{title:50}" + "".join(f"{ms(figures[s][key]):>14}" for s in sizes)
        if len(sizes) > 1:
            line += f"   x{figures[large][key] / figures[small][key]:.2f}"
        print(line)
    for size in sizes:
        print(f"{size:>9,}: plan of page 1: {figures[size]['plan']}")
        print(f"{'':>9}  with the proposed index: {figures[size]['plan_idx']}")
    for size in sizes:
        f = figures[size]
        print(f"{size:>9,}: finalize round 1 ({int(f['finalized_entries']):,} ranked) {f['finalize_s']:.2f} s "
              f"(again in a fresh process {f['refinalize_s']:.2f} s, peak RSS {f['finalize_rss_mb']:.0f} MiB); "
              f"export {f['export_s']:.2f} s ({f['export_mb_file']:.1f} MiB file, peak RSS "
              f"{f['export_rss_mb']:.0f} MiB); a process that only opens the database: {f['baseline_rss_mb']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("PG_BASE_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.url)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    clock.set_clock(lambda: NOW)
    if not args.no_sqlite:
        report("SQLite", run_sqlite(sizes))
    if not args.no_postgres:
        pg = run_postgres(args.pg, sizes)
        if pg:
            report("PostgreSQL", pg)


if __name__ == "__main__":
    main()
