"""Seeding a large contest fast: the demo contest (via `flask seed-demo`), then contestants
and closed attempts written with PostgreSQL COPY.

Round 1 is moved to have opened six local days ago (its close stays where the demo put
it), so the historic attempts fall inside its window on days before today: every seeded
contestant may still start one attempt today. Historic attempts have no attempt_item
rows (the leaderboard, stats, finalizing and the export never read them); the attempts
made by the load generator have them."""
from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from werkzeug.security import generate_password_hash

SLUG = "cds-langson-2023"
PASSWORD = "mat-khau-bench"
HISTORY_DAYS = 6


def phone(index: int) -> str:
    """Contestant number `index` as a valid mobile number, unique per contest."""
    return f"09{index:08d}"


def _contest(conn: psycopg.Connection) -> tuple[int, str, int, int]:
    row = conn.execute("SELECT id, timezone, time_limit_seconds FROM contest WHERE slug = %s", (SLUG,)).fetchone()
    contest_id, tz, limit = row
    round_id = conn.execute("SELECT id FROM round WHERE contest_id = %s AND number = 1", (contest_id,)).fetchone()[0]
    return contest_id, tz, limit, round_id


def _open_round_earlier(conn: psycopg.Connection, round_id: int, tz: str, now: datetime) -> None:
    today = now.astimezone(ZoneInfo(tz)).date()
    first = datetime.combine(today - timedelta(days=HISTORY_DAYS), datetime.min.time(), tzinfo=ZoneInfo(tz))
    conn.execute("UPDATE round SET opens_at = LEAST(opens_at, %s) WHERE id = %s", (first.astimezone(UTC), round_id))


def seed(url: str, contestants: int, attempts: int, seed_value: int = 8) -> dict:
    """`contestants` active contestants (password PASSWORD) and `attempts` submitted or
    expired attempts in round 1, at most one per contestant per day, on the days before
    today. Returns counts and the seconds taken."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    per_person = -(-attempts // contestants)
    if per_person > HISTORY_DAYS:
        raise ValueError(f"at most {HISTORY_DAYS} historic attempts per contestant")
    password_hash = generate_password_hash(PASSWORD)  # hashed once: scrypt is deliberately slow
    with psycopg.connect(url) as conn:
        contest_id, tz, limit_s, round_id = _contest(conn)
        _open_round_earlier(conn, round_id, tz, now)
        units = [r[0] for r in conn.execute("SELECT id FROM unit WHERE contest_id = %s ORDER BY id", (contest_id,))]
        first_id = _copy_contestants(conn, contest_id, units, contestants, password_hash, now)
        local_today = datetime.combine(now.astimezone(ZoneInfo(tz)).date(), datetime.min.time(), tzinfo=ZoneInfo(tz))
        made = _copy_attempts(conn, rng, round_id, first_id, contestants, attempts, per_person, local_today,
                              limit_s)
        _recount(conn, round_id)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # Seeding writes gigabytes of WAL; without a checkpoint now, the one it triggers
        # lands minutes later, in the middle of a measured phase (commits then wait on
        # the disk and one answer-saving run measured half the throughput of the next).
        conn.execute("CHECKPOINT")
    return {"contestants": contestants, "attempts": made, "seconds": round(time.perf_counter() - started, 1)}


def _recount(conn, round_id: int) -> None:
    """The round's participation tally, as portal.stats.recount sets it (attempts written by
    COPY were not closed through the quiz, which is what moves it)."""
    conn.execute("""
        UPDATE round SET
          tally_attempts = (SELECT count(*) FROM attempt
                            WHERE round_id = round.id AND status IN ('submitted', 'expired')),
          tally_participants = (SELECT count(DISTINCT contestant_id) FROM attempt
                                WHERE round_id = round.id AND status IN ('submitted', 'expired'))
        WHERE id = %s""", (round_id,))


def _copy_contestants(conn, contest_id: int, units: list[int], count: int, password_hash: str,
                      now: datetime) -> int:
    columns = ("contest_id, phone, password_hash, full_name, birth_year, unit_id, consent_at, consent_version, "
               "public_consent, guardian_confirmed, status, status_reason, created_at")
    with conn.cursor() as cursor, cursor.copy(f"COPY contestant ({columns}) FROM STDIN") as copy:
        for i in range(count):
            copy.write_row((contest_id, phone(i), password_hash, f"Thí sinh Số {i}", 1960 + i % 45,
                            units[i % len(units)], now, "bench", i % 3 != 0, False, "active", "", now))
    return conn.execute("SELECT min(id) FROM contestant WHERE contest_id = %s AND phone = %s",
                        (contest_id, phone(0))).fetchone()[0]


def _copy_attempts(conn, rng: random.Random, round_id: int, first_id: int, contestants: int, total: int,
                   per_person: int, local_today: datetime, limit_s: int) -> int:
    columns = ("contestant_id, round_id, local_day, day_seq, started_at, deadline_at, submitted_at, status, "
               "score, duration_ms, prediction")
    made = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY attempt ({columns}) FROM STDIN") as copy:
        for i in range(contestants):
            for k in range(per_person):
                if made >= total:
                    return made
                day = local_today - timedelta(days=k + 1)
                start = (day + timedelta(hours=7, seconds=rng.randrange(14 * 3600))).astimezone(UTC)
                expired = rng.random() < 0.03
                duration = limit_s * 1000 if expired else rng.randint(30_000, limit_s * 1000)
                closed = start + timedelta(seconds=limit_s) if expired else start + timedelta(milliseconds=duration)
                prediction = None if rng.random() < 0.05 else rng.randint(contestants // 2, contestants * 2)
                copy.write_row((first_id + i, round_id, day.date(), 1, start, start + timedelta(seconds=limit_s),
                                closed, "expired" if expired else "submitted",
                                min(10, max(0, round(rng.gauss(6.5, 2)))), duration, prediction))
                made += 1
    return made
