"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, run in-process otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)
QUEUE_NAME = "portal"


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL")) and not current_app.config.get("JOBS_SYNC")


def get_queue():
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(
        current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
    )
    return Queue(QUEUE_NAME, connection=connection)


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the worker, or right now when there is no queue.

    Call it after the database commit: a job must never see half-written data.
    """
    if queue_enabled():
        from redis.exceptions import RedisError

        path = f"{func.__module__}.{func.__qualname__}"
        try:
            return get_queue().enqueue(run_in_app, path, *args, **kwargs)
        except RedisError:
            # A lost Redis must not lose the work: run it here, slower but done.
            log.warning("Redis unavailable; running job %s in-process", path)
    return func(*args, **kwargs)


def run_in_app(func_path: str, *args: Any, **kwargs: Any) -> Any:
    """Entry point for RQ jobs: call ``func_path`` inside an application context."""
    import importlib

    from flask import has_app_context

    module_name, _, attr = func_path.rpartition(".")
    func = getattr(importlib.import_module(module_name), attr)
    if has_app_context():  # `portal worker` runs its jobs inside the app context
        return func(*args, **kwargs)
    from portal import create_app

    with create_app().app_context():
        return func(*args, **kwargs)
