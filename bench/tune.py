"""Choosing gunicorn's worker and thread counts by measurement: for each (workers,
threads) pair, wrk on the bare hello, on answer-saving, on the question page and on a
cached JSON endpoint, all against the same database. The answer limit per contestant is
raised here (a few sessions stand in for many contestants); everything else is as in
`make bench`.

usage: .venv/bin/python -m bench.tune [--configs 2x4,3x4,4x4,4x2,6x2] [--seconds 8]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

import redis

from bench import run, seed as seeding
from bench.stack import Gunicorn, drop_database, ensure_services


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="2x4,3x4,4x4,4x2,6x2")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--contestants", type=int, default=20_000)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("PG_BASE_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--out", type=Path, default=run.RESULTS / "tune.json")
    args = parser.parse_args()
    run.ensure_wrk()
    ensure_services(args.pg, args.redis)
    redis.Redis.from_url(args.redis).flushdb()
    name = f"portal_tune_{os.getpid()}"
    run.PG_BASE = args.pg
    out = {}
    try:
        url, _ = run.build_database(args, name, args.contestants, args.attempts)
        env = dict(run.base_env(args, url), RATELIMIT_ANSWER="100000 per minute")
        with tempfile.TemporaryDirectory() as tmp_name:
            lines = Path(tmp_name) / "answers.tsv"
            first = Gunicorn("wsgi:app", env, run.LOGS / "tune.log").wait_up("/")
            try:
                phones = [seeding.phone(i) for i in range(40)]
                _, _, sessions = asyncio.run(run.burst_phase(first.url, phones))
            finally:
                first.stop()
            run.answer_lines(url, sessions, lines)
            for config in args.configs.split(","):
                workers, threads = (int(x) for x in config.split("x"))
                out[config] = measure(args, env, lines, workers, threads, name)
                run.log(f"{config}: {out[config]}")
    finally:
        drop_database(args.pg, name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\n{'workers x threads':18}{'hello':>9}{'answer':>9}{'question':>10}{'json':>8}{'p95 answer':>12}"
          f"   CPU ms per request (app + db): hello, answer, question, json")
    for config, f in out.items():
        cpu = ", ".join(f"{f[k]['app_cpu_ms'] + f[k]['db_cpu_ms']:.2f}" for k in ("hello", "answer", "question", "json"))
        print(f"{config:18}{f['hello']['rps']:>9}{f['answer']['rps']:>9}{f['question']['rps']:>10}"
              f"{f['json']['rps']:>8}{f['answer']['p95_ms']:>12}   {cpu}")


def measure(args, env: dict, lines: Path, workers: int, threads: int, database: str) -> dict:
    figures = {}
    hello = Gunicorn("bench.hello:app", env, run.LOGS / "tune-hello.log", workers, threads).wait_up("/")
    try:
        hello.warm("/", 50)
        figures["hello"] = run.wrk(hello.url + "/", args.seconds, args.connections, encoding=run.BROWSER_ENCODING,
                                   server=hello)
    finally:
        hello.stop()
    portal = Gunicorn("wsgi:app", env, run.LOGS / "tune.log", workers, threads).wait_up("/")
    try:
        portal.warm("/", 50)
        figures["answer"] = run.wrk(portal.url, args.seconds, args.connections, "answers.lua", 303, lines=lines,
                                    server=portal, database=database)
        figures["question"] = run.wrk(portal.url, args.seconds, args.connections, "answers.lua", 200,
                                      run.BROWSER_ENCODING, lines=lines, method="GET", server=portal, database=database)
        path = f"/api/v1/contests/{seeding.SLUG}/rounds/1/leaderboard"
        portal.warm(path, 20)
        figures["json"] = run.wrk(portal.url + path, args.seconds, args.connections, encoding=run.BROWSER_ENCODING,
                                  server=portal, database=database)
    finally:
        portal.stop()
    return figures


if __name__ == "__main__":
    main()
