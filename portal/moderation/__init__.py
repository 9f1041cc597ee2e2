"""Moderation: reports, the moderator queue, hiding with reasons, blocking, appeals, public log.

``visibility.py`` holds the one public-visibility filter that every other capability uses.
Other capabilities call :func:`portal.moderation.services.screen_new_post` when they create
content, may decorate posting views with :func:`portal.moderation.limits.posting_limits`, and
link to the report page with the ``report_url(target)`` Jinja global.
"""

from __future__ import annotations

import os

import click
from flask import Flask, url_for
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.navigation import register_nav

_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    from portal.moderation.services import _after_commit, _after_rollback, _before_flush

    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _hooks_installed = True


@click.group("moderation", cls=AppGroup)
def moderation_cli() -> None:
    """Moderation: alerts to moderators."""


@moderation_cli.command("alerts")
def alerts_command() -> None:
    """E-mail each moderator what was hidden after reports and the appeals since the last run
    (run it from cron, e.g. every 15 minutes)."""
    from portal.moderation.services import send_alerts

    sent = send_alerts()
    click.echo(f"{sent} moderator alert e-mail(s) sent.")


def report_url(target) -> str:
    """The page where a signed-in person reports ``target`` (content or a person)."""
    from portal.accounts.models import User

    if isinstance(target, User):
        return url_for("moderation.report", kind="user", target_id=target.id)
    return url_for("moderation.report", kind=target.anchor_kind, target_id=target.id)


def init_app(app: Flask) -> None:
    from portal.moderation import models, views  # noqa: F401 - registers the models
    from portal.moderation.services import action_label, kind_label, reason_label

    app.config.setdefault(
        "RATELIMIT_REPORTS", os.environ.get("RATELIMIT_REPORTS", "10 per minute;100 per day")
    )
    app.config.setdefault("MODERATION_REPORT_THRESHOLD", 3)
    _install_hooks()
    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(
        report_url=report_url,
        moderation_reason_label=reason_label,
        moderation_action_label=action_label,
        moderation_kind_label=kind_label,
    )
    register_nav(app, "moderation.queue", _l("Moderation"), "moderator", order=85)
    app.cli.add_command(moderation_cli)
