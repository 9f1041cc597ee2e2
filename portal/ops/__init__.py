"""Production concerns: page cache, structured logs, outage handling, large data sets.

- JSON log lines when ``LOG_FORMAT=json`` (:mod:`portal.ops.logs`; gunicorn.conf.py uses the
  same format for its access and error logs).
- A 503 page/JSON with ``Retry-After`` when the database is unreachable, and a rate limiter
  that falls back to memory when Redis is (:mod:`portal.ops.outage`).
- The anonymous page cache (:mod:`portal.ops.cache`; settings ``PAGE_CACHE_ENABLED``,
  ``PAGE_CACHE_TTL``, ``PAGE_CACHE_ENDPOINTS``).
- ``portal seed-large`` (:mod:`portal.ops.seed`).
"""

from __future__ import annotations

import os

from flask import Flask

from portal.ops.cache import DEFAULT_ENDPOINTS, init_page_cache, page_cache
from portal.ops.logs import configure_app_logging
from portal.ops.outage import harden_rate_limiter, register_outage_handlers

__all__ = ["DEFAULT_ENDPOINTS", "init_app", "page_cache"]


def _settings_from_environment(app: Flask) -> None:
    """Settings of this package that portal.config does not read (yet)."""
    env = os.environ
    config = app.config
    if "LOG_FORMAT" not in config:
        config["LOG_FORMAT"] = env.get("LOG_FORMAT", "text")
    if "PAGE_CACHE_ENABLED" not in config:
        # Off by default in the test suite (tests of other capabilities count queries and
        # change the clock); tests/ops switch it on. On everywhere else.
        default = "0" if config.get("TESTING") else "1"
        value = (env.get("PAGE_CACHE_ENABLED") or default).strip().lower()
        config["PAGE_CACHE_ENABLED"] = value not in {"0", "false", "no", "off"}
    if "PAGE_CACHE_TTL" not in config:
        config["PAGE_CACHE_TTL"] = int(env.get("PAGE_CACHE_TTL", "60") or 60)
    if "PAGE_CACHE_LOCAL_TTL" not in config:
        config["PAGE_CACHE_LOCAL_TTL"] = float(env.get("PAGE_CACHE_LOCAL_TTL", "5") or 5)
    if "PAGE_CACHE_LOCAL_MAX_BYTES" not in config:
        raw = env.get("PAGE_CACHE_LOCAL_MAX_BYTES", "") or str(8 * 2**20)
        config["PAGE_CACHE_LOCAL_MAX_BYTES"] = int(raw)
    config.setdefault("PAGE_CACHE_ENDPOINTS", DEFAULT_ENDPOINTS)


def init_app(app: Flask) -> None:
    from portal.ops.seed import seed_large_command

    _settings_from_environment(app)
    configure_app_logging(app)
    register_outage_handlers(app)
    harden_rate_limiter(app)
    init_page_cache(app)
    app.cli.add_command(seed_large_command)
