"""Load shedding: a request that waited too long for a thread gets a quick 503, not a slow page.

Under overload requests queue, and a queue that only grows makes every page slow and recovery
slow too. The useful signal is how long a request waited before a thread picked it up:

- ``X-Request-Start`` from the reverse proxy (nginx:
  ``proxy_set_header X-Request-Start "t=${msec}";``). Accepted forms: ``t=`` or nothing,
  then seconds (``1700000000.123``), milliseconds, microseconds or nanoseconds since the epoch,
  told apart by their size. It covers the whole wait: proxy, listen backlog, worker queue.
- Without a proxy, the gunicorn worker this module provides (:func:`queue_timed_worker_class`,
  chosen by gunicorn.conf.py) times each connection from the moment it is handed to the
  thread pool until a thread takes it, and passes the wait in the WSGI environ.

When the longer of the two exceeds ``SHED_QUEUE_MS`` (default 2000; 0 turns shedding off) the
request is answered at once, before any other hook and before the view, so nothing is written
and a write already under way is never cut off: 503, ``Retry-After`` (``SHED_RETRY_AFTER``
seconds, default 5, plus up to as much again at random so that retries do not come back in
step), a short page or JSON, no database access. ``/healthz`` and static files are never shed.
Each shed request logs one line (with its request id) and is counted per process
(:func:`shed_count`).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, g, render_template, request

log = logging.getLogger(__name__)

DEFAULT_QUEUE_MS = 2000
DEFAULT_RETRY_AFTER = 5
# The WSGI environ key the gunicorn worker below fills with the wait, in seconds.
QUEUE_WAIT_KEY = "portal.queue_wait"
# Never shed: the load balancer's health check (a 503 there would take the server out of
# rotation and move its load to the others) and static files (cheap, and a page that got
# through needs them).
EXEMPT_ENDPOINTS = frozenset({"main.health", "static"})
# An X-Request-Start older than this says the proxy's clock and ours disagree rather than
# that a request waited (the proxy gave up on it long ago): trusting it would shed everything.
MAX_HEADER_AGE_SECONDS = 120.0
EXTENSION = "portal_shedding"


# --------------------------------------------------------------------------- the signal


def request_start(value: str) -> float | None:
    """The time (seconds since the epoch) an ``X-Request-Start`` value names, or None."""
    text = value.strip()
    if text.startswith("t="):
        text = text[2:]
    try:
        number = float(text.split()[0]) if text else math.nan
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    # Seconds now are about 1.7e9; the same instant in ms, µs and ns is 1e3, 1e6, 1e9 larger.
    for threshold, divisor in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
        if number >= threshold:
            return number / divisor
    return number


def queue_ms(environ: dict[str, Any], now: float | None = None) -> float | None:
    """How long this request waited before a thread took it (ms), or None when unknown."""
    waits = []
    header = environ.get("HTTP_X_REQUEST_START")
    if header:
        start = request_start(header)
        if start is not None:
            age = (time.time() if now is None else now) - start
            if age <= MAX_HEADER_AGE_SECONDS:
                waits.append(max(age, 0.0) * 1000)  # a proxy clock a little ahead: no wait
            else:
                _warn_clock_once(age)
    worker_wait = environ.get(QUEUE_WAIT_KEY)
    if isinstance(worker_wait, float | int):
        waits.append(float(worker_wait) * 1000)
    return max(waits) if waits else None


_clock_warned = threading.Event()


def _warn_clock_once(age: float) -> None:
    if not _clock_warned.is_set():
        _clock_warned.set()
        log.warning(
            "X-Request-Start is %.0f s old: are the proxy's and this server's clocks in step? "
            "Ignoring such values for load shedding.",
            age,
        )


# --------------------------------------------------------------------------- the answer


class ShedCounter:
    """Shed requests in this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> int:
        with self._lock:
            self.count += 1
            return self.count


def shed_count(app: Flask | None = None) -> int:
    """How many requests this process has shed."""
    counter = (app or current_app).extensions.get(EXTENSION)
    return counter.count if counter else 0


def _exempt() -> bool:
    endpoint = request.endpoint or ""
    return endpoint in EXEMPT_ENDPOINTS or endpoint.endswith(".static")


def shed_if_queued_too_long() -> Response | None:
    """before_request: answer 503 at once when the request waited longer than the budget."""
    config = current_app.config
    budget = config.get("SHED_QUEUE_MS", DEFAULT_QUEUE_MS)
    if not budget or budget <= 0 or _exempt():
        return None
    waited = queue_ms(request.environ)
    if waited is None or waited <= budget:
        return None
    return shed_response(waited, budget)


def shed_response(waited_ms: float, budget_ms: float) -> Response:
    from flask_babel import gettext as _

    from portal.core.errors import json_error, wants_json
    from portal.core.security import ensure_request_id
    from portal.extensions import login_manager

    # This hook runs before portal.core.security's, which would assign the id.
    ensure_request_id()
    total = current_app.extensions[EXTENSION].add()
    log.warning(
        "shed %s %s: waited %.0f ms in the queue (budget %.0f ms)",
        request.method,
        request.path,
        waited_ms,
        budget_ms,
        extra={"queue_ms": round(waited_ms), "shed_total": total},
    )
    # The answer must not touch the database: the language would otherwise come from the
    # signed-in person's profile, loaded on first use of current_user.
    g._login_user = login_manager.anonymous_user()
    base = int(current_app.config.get("SHED_RETRY_AFTER", DEFAULT_RETRY_AFTER))
    retry_after = random.randint(base, 2 * base) if base > 0 else 1
    message = _(
        "The portal is very busy right now and did not handle your request. "
        "Please try again in a few seconds."
    )
    if wants_json():
        response = json_error(503, message, "overloaded")
    else:
        unsaved = None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            unsaved = _("Nothing you sent was saved: go back and send it again in a moment.")
        page = render_template("errors/503_busy.html", message=message, unsaved=unsaved)
        response = Response(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- settings


def init_shedding(app: Flask) -> None:
    """Register the shedding hook; call it before any other before_request hook."""
    # portal.config reads both from the environment; these defaults serve a bare config.
    app.config.setdefault("SHED_QUEUE_MS", DEFAULT_QUEUE_MS)
    app.config.setdefault("SHED_RETRY_AFTER", DEFAULT_RETRY_AFTER)
    app.extensions[EXTENSION] = ShedCounter()
    app.before_request(shed_if_queued_too_long)


# --------------------------------------------------------------------------- gunicorn

_pickup = threading.local()


def queue_timed_worker_class() -> type:
    """gunicorn's gthread worker, timing how long each connection waits for a thread.

    It uses two extension points gunicorn offers: ``get_thread_pool`` ("override this method
    to customize how the thread pool is created"): the pool notes when a connection is handed
    to it and, in the thread that takes it, how long it waited; and ``load_wsgi``: the
    application is wrapped to put that wait into the environ (``portal.queue_wait``, seconds)
    of the connection's first request. Built on demand so that importing this module (every
    app, every CLI command) does not import gunicorn.
    """
    from concurrent import futures

    from gunicorn.workers.gthread import ThreadWorker

    class QueueTimedThreadPool(futures.ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            handed_over = time.monotonic()

            def timed(*inner_args, **inner_kwargs):
                _pickup.wait = time.monotonic() - handed_over
                try:
                    return fn(*inner_args, **inner_kwargs)
                finally:
                    _pickup.wait = None

            return super().submit(timed, *args, **kwargs)

    class QueueTimedThreadWorker(ThreadWorker):
        """gthread, plus the time each request waited for a thread (see portal.ops.shedding)."""

        def get_thread_pool(self):
            return QueueTimedThreadPool(max_workers=self.cfg.threads)

        def load_wsgi(self):
            super().load_wsgi()
            application = self.wsgi

            def with_queue_wait(environ, start_response):
                wait = getattr(_pickup, "wait", None)
                if wait is not None:
                    # Only the first request a thread serves after taking the connection
                    # waited (an HTTP/2 connection serves several in one go).
                    _pickup.wait = None
                    environ[QUEUE_WAIT_KEY] = wait
                return application(environ, start_response)

            self.wsgi = with_queue_wait

    return QueueTimedThreadWorker
