"""Degrade clearly when a backing service is away.

- The database: an ``OperationalError`` / ``DisconnectionError`` / pool time-out becomes a 503
  page (or JSON under /api/) with ``Retry-After``; a failed connection empties the pool and
  idle ones are checked before use (:mod:`portal.ops.connections`), so the site reconnects
  by itself once PostgreSQL is back, without a restart. A full disk (PostgreSQL's
  ``disk_full``, SQLite's "database or disk is full") is a 503 too, with its own message: the
  transaction was rolled back, so nothing was half-saved, and reading goes on meanwhile.
- Redis: the rate limiter falls back to per-process memory (and never turns a Redis error
  into a failed request); the page cache simply stops caching (see :mod:`portal.ops.cache`).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DB_ERRORS = (sa_exc.OperationalError, sa_exc.DisconnectionError, sa_exc.TimeoutError)

_BARE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Temporarily unavailable</title></head><body><main>"
    "<h1>Temporarily unavailable</h1>"
    "<p>The portal cannot reach its database right now. Please try again in a few seconds; "
    "if you were sending something, check whether it was saved before sending it again.</p>"
    "</main></body></html>"
)


def storage_is_full(error: Exception) -> bool:
    """PostgreSQL's ``disk_full`` (SQLSTATE 53100) or SQLite's SQLITE_FULL."""
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) == "53100":
        return True
    return "database or disk is full" in str(original or error)


def database_unavailable(error: Exception) -> Response:
    """The answer to a request that could not reach the database (or could not write to it
    because its disk is full)."""
    from flask_babel import gettext as _

    from portal.core.errors import error_response
    from portal.extensions import db, login_manager

    full = storage_is_full(error)
    # A full disk needs someone to act; a lost connection usually heals by itself.
    (log.error if full else log.warning)(
        "database %s on %s %s: %s",
        "storage full" if full else "unavailable",
        request.method,
        request.path,
        str(error).splitlines()[0] if str(error) else type(error).__name__,
    )
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool will replace it
        log.debug("rollback after a database error failed", exc_info=True)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    # The answer must not need the database: the signed-in person's row may be unloaded or
    # expired (after a commit), and reading it (for the language, the menu) would reconnect.
    # The 503 answer is given as to an anonymous visitor.
    g._login_user = login_manager.anonymous_user()
    if full:
        message = _(
            "The portal cannot save anything right now because its storage is full. Nothing "
            "you sent was saved; please try again later."
        )
    else:
        message = _("The portal cannot reach its database right now. Please try again shortly.")
    code = "storage_full" if full else "unavailable"
    try:
        return error_response(503, message, code=code, headers=headers)
    except Exception:  # noqa: BLE001 - rendering needs something that is down too
        log.debug("error page could not be rendered", exc_info=True)
        if request.path.startswith("/api/"):
            from portal.core.errors import json_error

            response = json_error(503, message, code)
        else:
            response = Response(_BARE_PAGE, status=503, mimetype="text/html")
        response.headers.update(headers)
        return response


def register_outage_handlers(app: Flask) -> None:
    for error in DB_ERRORS:
        app.register_error_handler(error, database_unavailable)

    # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order): when the
    # database went away after the answer was made (say, right after a ballot's commit), the
    # session's final rollback fails; that must not turn a finished answer into a 500.
    @app.teardown_appcontext
    def remove_session_quietly(exc: BaseException | None) -> None:
        from portal.extensions import db

        try:
            db.session.remove()
        except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
            log.warning("database connection lost while closing the session", exc_info=True)
            try:
                db.session.invalidate()
            except Exception:  # noqa: BLE001
                log.debug("invalidating the session failed", exc_info=True)
            db.session.registry.clear()


def harden_rate_limiter(app: Flask) -> None:
    """A Redis outage must not break requests: fall back to in-memory limits meanwhile.

    Flask-Limiter reads these settings in its ``init_app`` (which the factory runs before
    the capabilities); the fallback is applied here too, on the shared limiter object.
    """
    from portal.extensions import limiter

    config = app.config
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if not getattr(limiter, "initialized", False) or not limiter.enabled:
        return
    if config["RATELIMIT_SWALLOW_ERRORS"]:
        limiter._swallow_errors = True
    if config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] and not getattr(
        limiter, "_fallback_limiter", None
    ):
        from limits.storage import MemoryStorage
        from limits.strategies import STRATEGIES

        limiter._in_memory_fallback_enabled = True
        limiter._fallback_storage = MemoryStorage()
        limiter._fallback_limiter = STRATEGIES[limiter._strategy](limiter._fallback_storage)
