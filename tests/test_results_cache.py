"""The results cache: process-local with a TTL, or Redis shared by every instance."""
from __future__ import annotations

import os
import uuid

import pytest

from portal import cache, results
from portal.extensions import db
from tests.factories import make_contest
from tests.results_helpers import add_attempt, add_contestant, round_no

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except (redis.RedisError, OSError):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_local_cache_expires_entries_after_their_ttl(ctx, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    cache.set("k", {"a": [1, "ư"]}, ttl=30)
    assert cache.get("k") == {"a": [1, "ư"]}
    assert not cache.add("k", "other", ttl=30)
    now[0] += 31
    assert cache.get("k") is None
    assert cache.add("k", "other", ttl=30) and cache.get("k") == "other"
    cache.clear()
    assert cache.get("k") is None


def test_cached_values_cannot_be_changed_in_place(ctx):
    value = cache.get_or_set("k", lambda: {"rows": [1]}, ttl=30)
    value["rows"].append(2)
    assert cache.get("k") == {"rows": [1]}


def test_each_app_has_its_own_local_cache(app):
    from portal import create_app

    with app.app_context():
        cache.set("k", 1, ttl=30)
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "SECRET_KEY": "x", "REDIS_URL": None})
    with other.app_context():
        assert cache.get("k") is None


def test_unreachable_redis_degrades_to_misses(app):
    from portal import create_app

    broken = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                         "SECRET_KEY": "x", "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_ENABLED": False})
    with broken.app_context():
        cache.set("k", 1, ttl=30)
        assert cache.get("k") is None
        assert cache.get_or_set("k", lambda: 2, ttl=30) == 2
        results.results_changed(1)  # must not raise


def test_redis_clear_by_one_instance_reaches_the_others(app, clock):
    redis_or_skip()
    from portal import create_app

    prefix = f"portal:test:{uuid.uuid4().hex}:"
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
              "SECRET_KEY": "x", "REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix, "RATELIMIT_ENABLED": False}
    one, two = create_app(config), create_app(config)
    try:
        with one.app_context():
            contest = make_contest()
            r1 = round_no(contest, 1)
            add_attempt(add_contestant(contest, "Người Đầu"), r1, 5)
            db.session.commit()
            assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Đầu"]
            add_attempt(add_contestant(contest, "Người Sau"), r1, 9)
            db.session.commit()
            contest_id = contest.id
        with two.app_context():
            results.results_changed(contest_id)
        with one.app_context():
            r1 = round_no(db.session.get(type(contest), contest_id), 1)
            assert [r["name"] for r in results.round_leaderboard(r1)["rows"]] == ["Người Sau", "Người Đầu"]
    finally:
        with one.app_context():
            cache.clear()
            db.session.remove()
            db.engine.dispose()
        with two.app_context():
            db.session.remove()
            db.engine.dispose()
