"""Home page, the language switcher and the health endpoint."""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from portal.accounts.views import safe_next
from portal.core.permissions import PUBLIC, access
from portal.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@access(PUBLIC)
def home():
    """The published consultations, each with its open phase."""
    from portal.consultations import services as consultations

    published = [c for c in consultations.list_consultations(None) if c.status == "published"]
    return render_template(
        "main/home.html",
        consultations=[(c, consultations.current_phase(c)) for c in published],
    )


@bp.route("/language", methods=["GET", "POST"])
@access(PUBLIC)
def set_language():
    """Remember the chosen language in the session; a POST (CSRF-checked, signed in) also
    saves it in the profile. A GET only changes the visitor's own display language, like a
    ``?locale=`` link: nothing another site could abuse."""
    values = request.form if request.method == "POST" else request.args
    locale = values.get("locale", "")
    if locale in current_app.config["LOCALES"]:
        session["locale"] = locale
        if request.method == "POST" and current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(values.get("next")), 303)


# Health-check clients made here when no shared one exists, one per Redis URL for the life of
# the process: a load balancer polls /healthz every few seconds, and a new client per call
# meant a new connection pool (and TCP connection) each time.
_health_redis: dict[str, Any] = {}
_health_redis_lock = threading.Lock()
HEALTH_REDIS_TIMEOUT = 0.5  # seconds; a health check must answer quickly even when Redis hangs


def _redis_client(url: str) -> Any:
    """A Redis client for ``url`` that lives as long as the process.

    The page cache already keeps one (``portal.ops.cache.RedisBackend``, with short socket
    timeouts) when Redis is configured: use that, so that health checks share its pool.
    Otherwise make one here, lazily, keyed by URL (tests and several apps may differ).
    """
    cache = current_app.extensions.get("portal_page_cache")
    shared = getattr(getattr(cache, "backend", None), "redis", None)
    if shared is not None:
        return shared
    client = _health_redis.get(url)
    if client is None:
        with _health_redis_lock:
            client = _health_redis.get(url)
            if client is None:
                from redis import Redis

                client = Redis.from_url(
                    url,
                    socket_timeout=HEALTH_REDIS_TIMEOUT,
                    socket_connect_timeout=HEALTH_REDIS_TIMEOUT,
                )
                _health_redis[url] = client
    return client


@bp.route("/healthz")
@access(PUBLIC)
def health():
    """Checks the database and (when configured) Redis; 503 when either is down."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        checks["database"] = "down"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            _redis_client(redis_url).ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "down"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else _("unavailable"), "checks": checks}
    return jsonify(body), 200 if healthy else 503
