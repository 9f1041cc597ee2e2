"""PostgreSQL connections are checked only after sitting idle: a quiet server never hands
out a dead connection, a busy one pays no round trip, and a connection that dies while the
server is busy fails once and takes the rest of the pool with it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from portal.ops.connections import ping_idle_connections


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs on the PostgreSQL pass only (PORTAL_TEST_DATABASE_URL not set)")
    made = create_engine(database_url, pool_size=2)
    yield made
    made.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _terminate(database_url: str, pid: int) -> None:
    other = create_engine(database_url, poolclass=None)
    with other.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    time.sleep(0.2)  # the backend is gone once its socket closes


def test_an_idle_connection_is_checked_and_replaced(engine, database_url):
    ping_idle_connections(engine, after=0.3)
    first = _backend_pid(engine)
    _terminate(database_url, first)
    time.sleep(0.4)
    # Checked before use: the dead connection is thrown away, the query just works.
    assert _backend_pid(engine) != first


def test_a_busy_connection_is_not_checked_and_fails_once(engine, database_url):
    ping_idle_connections(engine, after=60)
    first = _backend_pid(engine)
    _terminate(database_url, first)
    # Used again at once: no check, so the failure reaches the caller (a 503 in the
    # portal) ...
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    # ... and the pool is renewed: the next request is served.
    assert _backend_pid(engine) != first
