"""The application factory: configuration, extensions, capabilities, error handlers, CLI."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask, g
from flask_babel import format_date, format_datetime, format_decimal
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import ROOT, load_config
from portal.core import errors, security
from portal.core.html import render_markdown
from portal.core.i18n import LANGUAGE_NAMES, select_locale
from portal.core.navigation import nav_items, site_header
from portal.core.permissions import has_role
from portal.extensions import babel, csrf, db, limiter, login_manager
from portal.ops.connections import ping_idle_connections, reads_without_transaction
from portal.ops.shedding import init_shedding

# Every capability, in dependency order. Each module exposes ``init_app(app)``.
# Listed explicitly (no discovery) so that reading this tuple tells what the portal contains.
CAPABILITIES = (
    "portal.main",
    "portal.accounts",
    "portal.moderation",
    "portal.notifications",
    "portal.comments",
    "portal.consultations",
    "portal.ideas",
    "portal.accountability",
    "portal.budgets",
    "portal.simulator",
    "portal.exports",
    "portal.api",
    "portal.ops",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _configure_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine: Engine = db.engine
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        return
    if app.config["DATABASE_PING_AFTER"] > 0 and not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get(
        "pool_pre_ping"
    ):
        ping_idle_connections(engine, app.config["DATABASE_PING_AFTER"])
    if app.config["DATABASE_READS_WITHOUT_TRANSACTION"]:
        reads_without_transaction(app, engine, db.session)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:
            record.request_id = "-"
        return True


def _configure_logging(app: Flask) -> None:
    level = app.config["LOG_LEVEL"]
    portal_logger = logging.getLogger("portal")
    portal_logger.setLevel(level)
    if not any(getattr(h, "_portal", False) for h in portal_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
        handler.addFilter(_RequestIdFilter())
        handler._portal = True  # type: ignore[attr-defined]
        portal_logger.addHandler(handler)
        portal_logger.propagate = False


def _template_helpers(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        has_role=lambda role: has_role(current_user, role),
        current_locale=lambda: str(select_locale()),
        nav_items=nav_items,
        site_header=site_header,
    )


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        "portal",
        root_path=str(ROOT / "portal"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)

    _configure_logging(app)
    # The first before_request hook: an overloaded server answers 503 before any other work.
    init_shedding(app)
    _configure_database(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    limiter.init_app(app)
    security.init_security(app)
    errors.register_error_handlers(app)
    _template_helpers(app)

    for name in CAPABILITIES:
        importlib.import_module(name).init_app(app)

    from portal.cli import register_commands

    register_commands(app)
    return app
