"""A small shared cache for what many read and few change (leaderboards, stats): Redis
when REDIS_URL is set, else a dict in this process with a TTL. Values are JSON, so both
backends behave alike and a caller can never mutate a cached value in place."""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "portal_cache"
LOCAL_MAX_ENTRIES = 4096


class LocalCache:
    """Process-local: good for one process (SQLite deployments, tests). With several
    processes each has its own copy, so a clear only reaches this one; the short TTLs
    callers use bound how stale another process can be."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            held = self._data.get(key)
            if held is None:
                return None
            if held[0] <= time.monotonic():
                del self._data[key]
                return None
            return held[1]

    def set(self, key: str, value: str, ttl: float, only_if_absent: bool = False) -> bool:
        with self._lock:
            now = time.monotonic()
            held = self._data.get(key)
            if only_if_absent and held is not None and held[0] > now:
                return False
            if len(self._data) >= LOCAL_MAX_ENTRIES:
                self._evict(now)
            self._data[key] = (now + ttl, value)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._data.items() if expires <= now]:
            del self._data[key]
        if len(self._data) >= LOCAL_MAX_ENTRIES:  # still full: drop the oldest half
            for key in sorted(self._data, key=lambda k: self._data[k][0])[: LOCAL_MAX_ENTRIES // 2]:
                del self._data[key]


class RedisCache:
    """Shared by every instance. A Redis outage degrades to cache misses, never to errors
    on a public page."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._errors = (redis.RedisError, OSError)

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(self._prefix + key)
        except self._errors as exc:
            log.warning("cache get failed: %s", exc)
            return None
        return None if value is None else value.decode("utf-8")

    def set(self, key: str, value: str, ttl: float, only_if_absent: bool = False) -> bool:
        try:
            return bool(self._redis.set(self._prefix + key, value.encode("utf-8"),
                                        px=max(1, int(ttl * 1000)), nx=only_if_absent))
        except self._errors as exc:
            log.warning("cache set failed: %s", exc)
            return False

    def delete(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except self._errors as exc:
            log.warning("cache delete failed: %s", exc)

    def clear(self) -> None:
        try:
            keys = list(self._redis.scan_iter(match=self._prefix + "*", count=500))
            for start in range(0, len(keys), 500):
                self._redis.delete(*keys[start:start + 500])
        except self._errors as exc:
            log.warning("cache clear failed: %s", exc)


def backend(app: Flask | None = None) -> LocalCache | RedisCache:
    app = app or current_app._get_current_object()
    held = app.extensions.get(EXTENSION)
    if held is None:
        url = app.config.get("REDIS_URL")
        held = (RedisCache(url, app.config.get("CACHE_KEY_PREFIX", "portal:cache:")) if url
                else LocalCache())
        app.extensions[EXTENSION] = held
    return held


def get(key: str) -> Any | None:
    raw = backend().get(key)
    return None if raw is None else json.loads(raw)


def set(key: str, value: Any, ttl: float) -> None:  # noqa: A001 - the cache's own verb
    backend().set(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")), ttl)


def add(key: str, value: Any, ttl: float) -> bool:
    """Set only if absent; True when this call set it."""
    return backend().set(key, json.dumps(value, ensure_ascii=False), ttl, only_if_absent=True)


def delete(key: str) -> None:
    backend().delete(key)


def clear() -> None:
    """Everything this app cached (operations, tests); results use results_changed()."""
    backend().clear()


def get_or_set(key: str, produce: Callable[[], Any], ttl: float) -> Any:
    value = get(key)
    if value is None:
        value = produce()
        set(key, value, ttl)
    return value
