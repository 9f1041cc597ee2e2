"""The Redis page cache's local copies: a process serves what it read lately without a round
trip, and every bump — from any server, published or not, or a counter that starts again —
makes those copies unreachable. Needs Redis on 127.0.0.1:6379 (database 12)."""

from __future__ import annotations

import secrets
import time

import pytest

from portal.ops.cache import BoundedStore, RedisBackend
from tests.ops.helpers import reachable

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def prefix():
    if not reachable("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    name = f"test:gw:{secrets.token_hex(4)}:"
    yield name
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)


def servers(prefix: str, count: int = 2) -> list[RedisBackend]:
    return [RedisBackend(REDIS_URL, prefix) for _ in range(count)]


def counted_round_trips(backend: RedisBackend) -> list[int]:
    calls: list[int] = []
    original = backend._lookup

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    backend._lookup = counting
    return calls


def store(backend: RedisBackend, suffix: str, value: bytes) -> int:
    generation, _ = backend.lookup(suffix)
    backend.set(f"{generation}:{suffix}", value, ttl=60)
    return generation


def test_a_page_read_once_is_served_from_the_process_until_a_bump(prefix):
    one, two = servers(prefix)
    store(one, "home", b"first")
    trips = counted_round_trips(two)
    assert two.lookup("home")[1] == b"first"
    assert two.lookup("home")[1] == b"first"
    assert two.lookup("home")[1] == b"first"
    assert len(trips) == 1  # then from the process's copy
    one.bump()  # another server wrote something public
    generation, value = two.lookup("home")
    assert value is None  # the copy is under the old generation
    assert generation == one.generation()
    assert len(trips) == 2


def test_the_writer_itself_never_serves_its_own_stale_copy(prefix):
    (one,) = servers(prefix, 1)
    store(one, "list", b"before")
    assert one.lookup("list")[1] == b"before"
    one.bump()
    assert one.lookup("list")[1] is None


def test_a_bump_that_was_not_published_is_noticed_within_the_verification_period(prefix):
    one, two = servers(prefix)
    two.watch.verify_every = 0.05
    store(one, "page", b"old")
    assert two.lookup("page")[1] == b"old"
    from redis import Redis

    Redis.from_url(REDIS_URL).incr(f"{prefix}generation")  # e.g. an older release's server
    time.sleep(0.1)
    assert two.lookup("page")[1] is None


def test_a_lost_subscription_falls_back_to_asking_redis(prefix):
    one, two = servers(prefix)
    store(one, "page", b"old")
    assert two.lookup("page")[1] == b"old"
    assert two.watch._pubsub is not None
    two.watch._pubsub.connection.disconnect()  # the subscription's connection goes away
    one.bump()
    store(one, "page", b"new")
    assert two.lookup("page")[1] == b"new"  # asked Redis: no stale copy
    assert two.watch._pubsub is None
    two.watch._retry_at = 0  # the next lookup subscribes again
    assert two.lookup("page")[1] == b"new"
    assert two.watch._pubsub is not None


def test_a_counter_that_starts_again_does_not_bring_old_copies_back(prefix):
    from redis import Redis

    one, two = servers(prefix)
    generation = 0
    for _ in range(3):
        one.bump()
    generation = store(one, "page", b"from before the restart")
    assert two.lookup("page")[1] == b"from before the restart"
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)  # Redis restarted empty
    while one.generation() < generation:
        one.bump()  # the counter reaches the old number again; nothing stored under it
    assert one.generation() == generation
    assert two.lookup("page")[1] is None


def test_local_copies_can_be_switched_off(prefix):
    one = RedisBackend(REDIS_URL, prefix, local_ttl=0)
    store(one, "page", b"x")
    trips = counted_round_trips(one)
    one.lookup("page")
    one.lookup("page")
    assert len(trips) == 2


def test_bounded_store_drops_expired_entries_as_it_goes():
    store_ = BoundedStore(max_entries=100, max_bytes=10_000)
    store_.set("a", b"x" * 100, ttl=0.01)
    store_.set("b", b"y" * 100, ttl=0.01)
    time.sleep(0.02)
    store_.set("c", b"z" * 100, ttl=60)
    assert list(store_.items) == ["c"]
    assert store_.size == 100


def test_an_unreachable_redis_means_no_generation_and_one_warning(caplog):
    from redis import Redis

    from portal.ops.generation_watch import GenerationWatch

    resets: list[int] = []
    watch = GenerationWatch(
        Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2),
        "nothing:generation",
        "nothing:bumps",
        on_reset=lambda: resets.append(1),
    )
    with caplog.at_level("WARNING", logger="portal.ops.generation_watch"):
        assert watch.current() is None
        watch._retry_at = 0
        assert watch.current() is None
    assert len([r for r in caplog.records if "subscription lost" in r.message]) == 1
    assert resets  # whatever was kept is thrown away
