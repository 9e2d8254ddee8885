"""Timings of the moderators' pages with many rows (a benchmark, not a test).

Builds a fresh database (SQLite in a temporary directory, or PostgreSQL with --pg URL: a
database created and dropped here), loads the demo contest (2023 dates, clock inside
round 1) and bulk-inserts contestants, closed attempts in round 1 (one per contestant
per day) and, for some of those attempts, their 10 drawn items. Then, logged in as an
admin through the real login form, it times each page (median of --runs, the shared
cache cleared before each run) and prints one line per page.

usage: .venv/bin/python bench/admin_lists.py [--contestants 200000] [--attempts 400000]
       [--items-for 50000] [--runs 3] [--pg postgresql://postgres@127.0.0.1:5432]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench")

import sqlalchemy as sa  # noqa: E402

from portal import cache, clock, create_app, stats  # noqa: E402
from portal.contest_file import parse_contest_file  # noqa: E402
from portal.contest_setup import apply_contest_spec  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Attempt, AttemptItem, Choice, Contestant, Question, Round, Staff, Unit  # noqa: E402
from portal.question_bank import check_file, save_questions  # noqa: E402

NOW = datetime(2023, 7, 7, 3, 0, tzinfo=UTC)  # Friday of round 1, 10:00 local
BATCH = 20_000
PAGES = [
    ("dashboard, this round", "/admin/?period=round"),
    ("dashboard, whole contest", "/admin/?period=contest"),
    ("dashboard, today", "/admin/?period=today"),
    ("contestants, page 1", "/admin/contestants"),
    ("contestants, deep keyset page", "/admin/contestants?after={deep}"),
    ("contestants, name search", "/admin/contestants?q=Nguy%E1%BB%85n+V%C4%83n+7777"),
    ("contestants, name search, no match", "/admin/contestants?q=kh%C3%B4ng+c%C3%B3+ai"),
    ("contestants, exact phone", "/admin/contestants?q=0900123456"),
    ("contestants, phone digits", "/admin/contestants?q=123456"),
    ("contestants, one unit", "/admin/contestants?unit={unit}"),
    ("contestants, ineligible only", "/admin/contestants?status=ineligible"),
    ("contestant page", "/admin/contestants/{person}"),
    ("units (registrations per unit)", "/admin/units"),
    ("question bank, round 1", "/admin/questions?round=1"),
    ("question statistics, round 1", "/admin/questions/stats?round=1"),
    ("results, round 1 provisional", "/admin/results/1"),
    ("results overview", "/admin/results"),
    ("audit log", "/admin/audit"),
]


def bulk_insert(table, rows, dialect: str) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(sa.insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(table), batch)
        count += len(batch)
    db.session.commit()
    return count


def seed(contestants: int, attempts: int, items_for: int, dialect: str) -> dict:
    rng = random.Random(6)
    spec = parse_contest_file((ROOT / "portal/demo/contest.toml").read_text(encoding="utf-8"))
    contest, _ = apply_contest_spec(spec, actor="bench")
    for path in sorted((ROOT / "portal/demo/questions").glob("round*.csv")):
        report = check_file(contest, path.name, path.read_bytes(), int(path.stem.removeprefix("round")))
        save_questions(contest, report, "bench", path.name)
    units = list(db.session.scalars(sa.select(Unit.id).where(Unit.contest_id == contest.id)))
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
    started = time.perf_counter()
    bulk_insert(Contestant.__table__, ({
        "contest_id": contest.id, "phone": f"09{i:08d}", "password_hash": "-",
        "full_name": f"{surnames[i % 10]} Văn {i}", "birth_year": 1960 + i % 45, "unit_id": units[i % len(units)],
        "consent_at": NOW, "consent_version": "", "public_consent": True, "guardian_confirmed": False,
        "status": "ineligible" if i % 2000 == 0 else "active", "status_reason": "", "created_at": NOW,
    } for i in range(contestants)), dialect)
    inserted_people = time.perf_counter() - started
    first = db.session.scalar(sa.select(sa.func.min(Contestant.id)))
    r1 = contest.round_by_number(1)
    questions = db.session.execute(sa.select(Question.id).where(Question.round_id == r1.id)).scalars().all()
    choices = {}
    for qid, cid in db.session.execute(sa.select(Choice.question_id, Choice.id).where(Choice.question_id.in_(questions))):
        choices.setdefault(qid, []).append(cid)
    tz = contest.timezone
    opening_day = clock.local_day(r1.opens_at, tz)
    days = max(1, min(5, -(-attempts // contestants)))

    def attempt_rows():
        made = 0
        for day in range(days):
            local_day = opening_day + timedelta(days=day)
            start_of_day = clock.local_to_utc(datetime.combine(local_day, datetime.min.time()), tz)
            for offset in range(contestants):
                if made >= attempts:
                    return
                started_at = start_of_day + timedelta(hours=7, seconds=offset % 36_000)
                duration = rng.randint(60_000, 600_000)
                made += 1
                yield {"contestant_id": first + offset, "round_id": r1.id, "local_day": local_day, "day_seq": 1,
                       "started_at": started_at, "deadline_at": started_at + timedelta(minutes=10),
                       "submitted_at": started_at + timedelta(milliseconds=duration), "status": "submitted",
                       "score": rng.randint(0, 10), "duration_ms": duration, "prediction": rng.randint(0, 300_000)}

    started = time.perf_counter()
    made = bulk_insert(Attempt.__table__, attempt_rows(), dialect)
    stats.recount([r1.id])
    inserted_attempts = time.perf_counter() - started
    first_attempt = db.session.scalar(sa.select(sa.func.min(Attempt.id)))

    def item_rows():
        for attempt_id in range(first_attempt, first_attempt + min(items_for, made)):
            for position, qid in enumerate(rng.sample(questions, 10), start=1):
                options = choices[qid]
                yield {"attempt_id": attempt_id, "position": position, "question_id": qid, "choice_order": options,
                       "chosen_choice_id": rng.choice(options + [None])}

    started = time.perf_counter()
    items = bulk_insert(AttemptItem.__table__, item_rows(), dialect)
    inserted_items = time.perf_counter() - started
    staff = Staff(username="bench", role="admin")
    staff.set_password("bench-password-1")
    db.session.add(staff)
    db.session.commit()
    if dialect == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return {"contestants": contestants, "attempts": made, "items": items, "first": first,
            "unit": units[3], "seconds": (inserted_people, inserted_attempts, inserted_items)}


def existing(dialect: str) -> dict:
    """The facts of a database seeded by an earlier run kept with --keep."""
    first, last = db.session.execute(sa.select(sa.func.min(Contestant.id), sa.func.max(Contestant.id))).one()
    units = list(db.session.scalars(sa.select(Unit.id).order_by(Unit.id)))
    print(f"{dialect}: reusing {last - first + 1:,} contestants")
    return {"contestants": last - first + 1, "first": first, "unit": units[3]}


def run(url: str, args, reuse: bool = False) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    clock.set_clock(lambda: NOW)
    with app.app_context():
        dialect = db.engine.dialect.name
        if reuse:
            facts = existing(dialect)
        else:
            db.create_all()
            facts = seed(args.contestants, args.attempts, args.items_for, dialect)
            people, attempts, items = facts["seconds"]
            print(f"{dialect}: {facts['contestants']:,} contestants ({people:.1f} s), {facts['attempts']:,} "
                  f"attempts ({attempts:.1f} s), {facts['items']:,} attempt items ({items:.1f} s)")
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    client.post("/admin/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
    values = {"deep": facts["first"] + facts["contestants"] // 2, "unit": facts["unit"],
              "person": facts["first"] + 123}
    for label, path in PAGES:
        path = path.format(**values)
        times, status = [], None
        for _ in range(args.runs):
            with app.app_context():
                cache.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            status = response.status_code
        print(f"  {label:40s} {statistics.median(times) * 1000:8.1f} ms  (HTTP {status})")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    clock.reset_clock()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contestants", type=int, default=200_000)
    parser.add_argument("--attempts", type=int, default=400_000)
    parser.add_argument("--items-for", type=int, default=50_000, help="attempts that get their 10 drawn items")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", help="PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", metavar="NAME", help="seed database NAME (PostgreSQL) or file NAME (SQLite) "
                                                       "and keep it; if it exists, time it again without seeding")
    args = parser.parse_args()
    if args.pg:
        import psycopg

        name = args.keep or f"bench_admin_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg + "/postgres", autocommit=True) as conn:
            there = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
            if not there:
                conn.execute(f"CREATE DATABASE {name}")
        try:
            run(f"postgresql+psycopg://{args.pg.split('://', 1)[1]}/{name}", args, reuse=there)
        finally:
            if not args.keep:
                with psycopg.connect(args.pg + "/postgres", autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    elif args.keep:
        path = Path(args.keep).resolve()
        run(f"sqlite:///{path}", args, reuse=path.exists())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", args)


if __name__ == "__main__":
    main()
