"""Contestant traffic with think time, from a separate process (aiohttp): log in, start,
ten answers, the prediction, submit, the leaderboard, as a phone's browser with
JavaScript makes them (answers through htmx, everything else plain forms and pages);
each request timed on its own (redirects are followed by hand, as a browser does)."""
from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

from bench.seed import PASSWORD

TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHOICE_RE = re.compile(r'name="choice" value="(\d+)"')
ATTEMPT_RE = re.compile(r"/quiz/(\d+)")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass
class Recorder:
    """Latencies (ms) and errors per endpoint name."""

    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def ok(self, name: str, ms: float) -> None:
        self.times.setdefault(name, []).append(ms)

    def error(self, name: str, what: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1
        if len(self.samples) < 20:
            self.samples.append(f"{name}: {what}")

    def summary(self, seconds: float) -> dict:
        out = {}
        for name in sorted(set(self.times) | set(self.errors)):
            values = sorted(self.times.get(name, []))
            out[name] = {"requests": len(values) + self.errors.get(name, 0), "errors": self.errors.get(name, 0),
                         "rps": round(len(values) / seconds, 1) if seconds else 0.0,
                         "p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
                         "p99_ms": round(percentile(values, 99), 1),
                         "max_ms": round(values[-1], 1) if values else 0.0}
        every = sorted(v for values in self.times.values() for v in values)
        out["ALL"] = {"requests": len(every) + sum(self.errors.values()), "errors": sum(self.errors.values()),
                      "rps": round(len(every) / seconds, 1) if seconds else 0.0,
                      "p50_ms": round(percentile(every, 50), 1), "p95_ms": round(percentile(every, 95), 1),
                      "p99_ms": round(percentile(every, 99), 1), "max_ms": round(every[-1], 1) if every else 0.0}
        return out


class Failed(Exception):
    pass


class Contestant:
    """One simulated contestant: own cookie jar, a shared connection pool."""

    def __init__(self, base: str, phone: str, connector: aiohttp.TCPConnector, recorder: Recorder):
        self.base, self.phone, self.recorder = base, phone, recorder
        self.http = aiohttp.ClientSession(connector=connector, connector_owner=False, timeout=REQUEST_TIMEOUT,
                                          cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.token = ""
        self.attempt = 0

    async def close(self) -> None:
        await self.http.close()

    async def call(self, name: str, method: str, path: str, expect: int | tuple, data: dict | None = None,
                   headers: dict | None = None) -> tuple[str, str]:
        """One request, timed; returns (body, Location or HX-Redirect). An unexpected status
        raises Failed."""
        started = time.perf_counter()
        try:
            async with self.http.request(method, self.base + path, data=data, headers=headers,
                                         allow_redirects=False) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location") or response.headers.get("HX-Redirect", "")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self.recorder.error(name, f"{type(exc).__name__} {exc}")
            raise Failed(name) from exc
        elapsed = (time.perf_counter() - started) * 1000
        if status not in (expect if isinstance(expect, tuple) else (expect,)):
            self.recorder.error(name, f"status {status} (wanted {expect}) {body[:120]!r}")
            raise Failed(name)
        self.recorder.ok(name, elapsed)
        return body, location

    def _take_token(self, body: str) -> None:
        match = TOKEN_RE.search(body)
        if match:
            self.token = match.group(1)

    async def login(self) -> None:
        body, _ = await self.call("GET /login", "GET", "/login", 200)
        self._take_token(body)
        await self.call("POST /login", "POST", "/login", 302,
                        {"phone": self.phone, "password": PASSWORD, "csrf_token": self.token})
        # Logging in starts a fresh session, so the form token comes from the next page.
        body, _ = await self.call("GET /quiz", "GET", "/quiz", 200)
        self._take_token(body)

    async def start(self) -> None:
        _, location = await self.call("POST /quiz/start", "POST", "/quiz/start", 303, {"csrf_token": self.token})
        self.attempt = int(ATTEMPT_RE.search(location).group(1))

    async def open_attempt(self) -> str:
        _, location = await self.call("GET /quiz/<id>", "GET", f"/quiz/{self.attempt}", 302)
        body, _ = await self.call("GET /quiz/<id>/q/<n>", "GET", _path(location), 200)
        return body

    async def answer(self, position: int, page: str) -> str:
        """Choose a choice as a phone with JavaScript does: htmx posts it and swaps in the
        next question's fragment from the same response; after the last one the server
        sends HX-Redirect and the browser loads the prediction page."""
        choices = CHOICE_RE.findall(page)
        if not choices:
            self.recorder.error("GET /quiz/<id>/q/<n>", "no choices on the page")
            raise Failed("choices")
        body, redirect = await self.call(
            "POST /quiz/<id>/q/<n> (htmx)", "POST", f"/quiz/{self.attempt}/q/{position}", (200, 204),
            {"choice": random.choice(choices), "csrf_token": self.token},
            {"HX-Request": "true", "HX-Current-URL": f"{self.base}/quiz/{self.attempt}/q/{position}",
             "X-CSRFToken": self.token})
        if redirect:
            name = "GET /quiz/<id>/prediction" if redirect.endswith("/prediction") else "GET (HX-Redirect)"
            body, _ = await self.call(name, "GET", _path(redirect), 200)
        return body

    async def predict(self, value: int) -> None:
        _, location = await self.call("POST /quiz/<id>/prediction", "POST", f"/quiz/{self.attempt}/prediction", 303,
                                      {"prediction": str(value), "csrf_token": self.token})
        await self.call("GET /quiz/<id>/review", "GET", _path(location), 200)

    async def submit(self) -> None:
        _, location = await self.call("POST /quiz/<id>/submit", "POST", f"/quiz/{self.attempt}/submit", 303,
                                      {"csrf_token": self.token})
        await self.call("GET /quiz/<id>/result", "GET", _path(location), 200)

    async def leaderboard(self) -> None:
        await self.call("GET /rounds/1/leaderboard", "GET", "/rounds/1/leaderboard", 200)


def _path(location: str) -> str:
    return re.sub(r"^https?://[^/]+", "", location)


def connector(limit: int = 0) -> aiohttp.TCPConnector:
    # Idle connections close on our side first (gunicorn's keepalive is 5 s), so a reused
    # connection is never one the server has just dropped.
    return aiohttp.TCPConnector(limit=limit, keepalive_timeout=3)


async def log_in_all(base: str, phones: list[str], concurrency: int, recorder: Recorder,
                     pool: aiohttp.TCPConnector) -> list[Contestant]:
    """Log everyone in, `concurrency` at a time; returns those who made it."""
    queue = list(reversed(phones))
    done: list[Contestant] = []

    async def worker():
        while queue:
            person = Contestant(base, queue.pop(), pool, recorder)
            try:
                await person.login()
                done.append(person)
            except Failed:
                await person.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def burst_start(people: list[Contestant]) -> float:
    """Everyone presses "start" at the same moment; seconds until the last one is answered."""
    started = time.perf_counter()

    async def one(person):
        try:
            await person.start()
        except Failed:
            pass

    await asyncio.gather(*(one(p) for p in people))
    return time.perf_counter() - started


PEAK = {"now": 0, "in_attempt": 0}  # contestants between "start" and "submit" at once


async def quiz_flow(person: Contestant, think: tuple[float, float], stagger: float, questions: int,
                    finished: list[int]) -> None:
    """Start, answer every question, predict, submit, look at the leaderboard, with think
    time before every step; arrivals spread evenly over `stagger` seconds (a ramp), so
    that with a flow of ~14 think times everyone is in an attempt at once after it."""
    pause = lambda: asyncio.sleep(random.uniform(*think))  # noqa: E731
    inside = False
    try:
        await asyncio.sleep(random.uniform(0, stagger))
        await person.start()
        inside = True
        PEAK["now"] += 1
        PEAK["in_attempt"] = max(PEAK["in_attempt"], PEAK["now"])
        page = await person.open_attempt()
        for position in range(1, questions + 1):
            await pause()
            page = await person.answer(position, page)
        await pause()
        await person.predict(random.randint(50_000, 400_000))
        await pause()
        await person.submit()
        PEAK["now"] -= 1
        inside = False
        await pause()
        await person.leaderboard()
        finished.append(person.attempt)
    except Failed:
        pass
    finally:
        if inside:
            PEAK["now"] -= 1


async def run_flows(people: list[Contestant], think: tuple[float, float], stagger: float, questions: int,
                    limit_s: float) -> tuple[int, int, float]:
    """All flows at once, cut off at limit_s; returns (finished, cut off, seconds)."""
    finished: list[int] = []
    started = time.perf_counter()
    tasks = [asyncio.create_task(quiz_flow(p, think, stagger, questions, finished)) for p in people]
    _, pending = await asyncio.wait(tasks, timeout=limit_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return len(finished), len(pending), time.perf_counter() - started
