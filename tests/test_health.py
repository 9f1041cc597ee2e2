"""/healthz: one Redis client per process (the page cache's when there is one), never a new
connection pool per call; 200 when everything answers, 503 when Redis is down."""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlparse

import pytest
import redis

from portal import create_app
from portal.extensions import db, limiter
from portal.main import views

LIVE_REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _live_redis() -> str:
    parts = urlparse(LIVE_REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return LIVE_REDIS_URL
    except OSError:
        pytest.skip(f"no Redis at {LIVE_REDIS_URL}")


@pytest.fixture
def new_pools(monkeypatch) -> list:
    """Every Redis connection pool created while the test runs."""
    created: list = []
    original = redis.ConnectionPool.__init__

    def counting(self, *args, **kwargs):
        created.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.ConnectionPool, "__init__", counting)
    return created


def _second_app(app, redis_url: str):
    """An app on the suite's database with its own Redis setting (the suite's app may have
    REDIS_URL from the environment, as in CI's PostgreSQL pass)."""
    second = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()
    # Building a second app rebinds the shared limiter; give it back to the suite's app.
    limiter.init_app(app)
    limiter._storage_dead = False


@pytest.fixture
def redis_app(app):
    """An app configured with a live Redis (its page cache then keeps a Redis client)."""
    yield from _second_app(app, _live_redis())


@pytest.fixture
def plain_app(app):
    """An app built without Redis: its page cache keeps no Redis client to share."""
    yield from _second_app(app, "")


def test_health_without_redis_checks_the_database_only(plain_app):
    answer = plain_app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_health_reuses_the_page_cache_redis_client(redis_app, new_pools, monkeypatch):
    shared = redis_app.extensions["portal_page_cache"].backend.redis
    pings = []
    real_ping = shared.ping

    def ping():
        pings.append(1)
        return real_ping()

    monkeypatch.setattr(shared, "ping", ping)
    client = redis_app.test_client()
    for _ in range(5):
        answer = client.get("/healthz")
        assert answer.status_code == 200
        assert answer.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert len(pings) == 5  # the cache's client answered every check
    assert new_pools == []  # and no call built a client (or pool) of its own
    # One TCP connection served all five checks.
    assert shared.connection_pool._created_connections == 1


def test_health_keeps_one_client_per_url_without_a_shared_one(plain_app, new_pools, monkeypatch):
    url = _live_redis()
    client = plain_app.test_client()
    monkeypatch.setattr(views, "_health_redis", {})
    monkeypatch.setitem(plain_app.config, "REDIS_URL", url)
    for _ in range(5):
        answer = client.get("/healthz")
        assert answer.status_code == 200
        assert answer.get_json()["checks"] == {"database": "ok", "redis": "ok"}
    assert len(new_pools) == 1
    kept = views._health_redis[url]
    assert kept.connection_pool is new_pools[0]
    assert kept.connection_pool._created_connections == 1
    # Short timeouts: a Redis that hangs must not hang the load balancer's check.
    kwargs = kept.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] <= 1 and kwargs["socket_connect_timeout"] <= 1


def test_health_is_503_when_redis_is_down_and_ok_when_it_is_back(plain_app, new_pools, monkeypatch):
    client = plain_app.test_client()
    monkeypatch.setattr(views, "_health_redis", {})
    down_url = f"redis://127.0.0.1:{_closed_port()}/0"
    monkeypatch.setitem(plain_app.config, "REDIS_URL", down_url)
    started = time.monotonic()
    for _ in range(2):
        answer = client.get("/healthz")
        assert answer.status_code == 503
        assert answer.get_json()["checks"] == {"database": "ok", "redis": "down"}
        assert answer.get_json()["status"] == "unavailable"
    assert time.monotonic() - started < 3
    assert len(new_pools) == 1  # a failed check does not leave a new client behind each time
    # Another URL (Redis moved) gets its own client; the dead one is not reused for it.
    try:
        live = _live_redis()
    except pytest.skip.Exception:
        return
    monkeypatch.setitem(plain_app.config, "REDIS_URL", live)
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert set(views._health_redis) == {down_url, live}
