"""This process's copy of the content generation, kept current by Redis pub/sub.

The page cache's key starts with the content generation, a counter in Redis that every public
write bumps. Reading it costs a round trip to Redis per cached page or fragment — more than
serving the page itself. Instead each process subscribes to a channel on which every bump
publishes the new value, and reads what has arrived without waiting (a zero-timeout poll of
the subscription's socket) whenever it needs the generation. So a process knows of a bump as
soon as Redis has delivered it, whichever server made it: the only lag is the delivery itself,
the same window in which a page rendered just before a commit could be stored.

What keeps it honest when messages could be lost:
- nothing is trusted until the subscription is confirmed; the counter is read *after* that, so
  a bump is either in that read or in a message that follows it;
- the counter is read again at least every ``verify_every`` seconds (1 s), which bounds the
  damage of anything unforeseen (a server of an older release bumping without publishing);
- any error drops the subscription: :meth:`GenerationWatch.current` answers None (the caller
  asks Redis directly, as before) until a new subscription is confirmed;
- a counter that went *down* (Redis restarted empty), a lost subscription and a new one call
  ``on_reset``: copies kept under a generation are only trusted within one subscription, so
  none survives into a time when its number could be used again.

No thread is started: the poll happens in the request that needs the generation, and a request
that finds another thread polling uses the value known a moment ago.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 0.5  # seconds to wait for Redis to confirm the subscription


class GenerationWatch:
    def __init__(
        self,
        redis: Any,
        key: str,
        channel: str,
        on_reset: Callable[[], None],
        verify_every: float = 1.0,
        retry_after: float = 1.0,
    ) -> None:
        self.redis = redis
        self.key = key
        self.channel = channel
        self.on_reset = on_reset
        self.verify_every = verify_every
        self.retry_after = retry_after
        self._pubsub: Any = None
        self._generation: int | None = None
        self._verified_at = 0.0
        self._retry_at = 0.0
        self._lost_messages = False
        self._failing = False
        self._lock = threading.Lock()

    def current(self) -> int | None:
        """The generation as far as this process knows, or None when it cannot vouch for it."""
        if not self._lock.acquire(blocking=False):
            return self._generation  # another thread is reading the news this instant
        try:
            generation = self._refresh()
        except Exception:  # noqa: BLE001 - Redis away: the caller asks Redis itself
            if not self._failing:  # once per outage, not once per retry
                self._failing = True
                log.warning("page cache: generation subscription lost", exc_info=True)
            self._drop()
            return None
        finally:
            self._lock.release()
        if self._failing and generation is not None:
            self._failing = False
            log.info("page cache: generation subscription restored")
        return generation

    def saw(self, generation: int) -> None:
        """A bump made by this process (its new value): known before Redis delivers it."""
        known = self._generation
        if known is None:
            return
        if generation > known:
            self._generation = generation
        elif generation < known:
            # Bumps count up, so a smaller number means the counter started again (or a
            # message overtaken by this process's own bump): copies kept so far go either way;
            # the next verification reads the true value.
            self.on_reset()

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ------------------------------------------------------------------------------------

    def _refresh(self) -> int | None:
        now = time.monotonic()
        if self._pubsub is None:
            if now < self._retry_at:
                return None
            self._retry_at = now + self.retry_after
            self._subscribe()
            return self._generation
        while True:
            message = self._pubsub.get_message(timeout=0.0)
            if self._lost_messages:
                raise ConnectionError("the subscription was reconnected: bumps may be lost")
            if message is None:
                break
            if message.get("type") == "message":
                self.saw(int(message["data"]))
        if now - self._verified_at >= self.verify_every:
            self._set(self._read())
        return self._generation

    def _subscribe(self) -> None:
        pubsub = self.redis.pubsub()
        try:
            pubsub.subscribe(self.channel)
            deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("Redis did not confirm the subscription")
                message = pubsub.get_message(timeout=left)
                if message is not None and message.get("type") == "subscribe":
                    break
        except Exception:
            pubsub.close()
            raise
        # redis-py reconnects a subscription by itself, silently: bumps published in between
        # would be lost. Such a reconnection drops the subscription here instead.
        self._lost_messages = False
        pubsub.connection.register_connect_callback(self._reconnected)
        self._pubsub = pubsub
        self.on_reset()
        self._generation = None
        self._set(self._read())

    def _reconnected(self, connection: Any) -> None:
        self._lost_messages = True

    def _read(self) -> int:
        value = self.redis.get(self.key)
        return int(value) if value else 0

    def _set(self, generation: int) -> None:
        known = self._generation
        if known is not None and generation < known:
            self.on_reset()  # the counter started again: its old numbers will come back
        if known is None or generation != known:
            self._generation = generation
        self._verified_at = time.monotonic()

    def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._generation = None
        self.on_reset()
        if pubsub is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                pubsub.close()
