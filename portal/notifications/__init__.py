"""Follows, in-app notifications and e-mail digests."""

from __future__ import annotations

import click
from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.navigation import register_nav


def unread_notifications() -> int:
    """The signed-in person's unread count, computed at most once per request."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    if "portal_unread_notifications" not in g:
        from portal.accounts import login_extra
        from portal.notifications.services import unread_count

        count = login_extra("unread_notifications")
        g.portal_unread_notifications = unread_count(current_user) if count is None else count
    return g.portal_unread_notifications


class _NavLabel:
    """The nav entry "Notifications", with the unread count when there is any."""

    def __str__(self) -> str:
        return str(_l("Notifications"))

    def __html__(self) -> str:
        count = unread_notifications()
        label = escape(_l("Notifications"))
        if not count:
            return str(label)
        unread = escape(_l("%(n)d unread", n=count))
        return str(
            Markup(
                '{} <span class="badge" aria-hidden="true">{}</span>'
                '<span class="visually-hidden"> ({})</span>'
            ).format(label, count, unread)
        )


@click.group("notifications")
def notifications_cli() -> None:
    """Notification e-mails."""


@notifications_cli.command("digest")
def digest_command() -> None:
    """Send each person who chose a daily digest one e-mail with their unsent notifications."""
    from portal.notifications.services import send_digests

    sent = send_digests()
    click.echo(f"{sent} digest e-mail(s) sent.")


_hooks_installed = False


def _install_session_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    from portal.moderation.services import content_hidden
    from portal.notifications.services import (
        _after_commit,
        _after_rollback,
        _after_transaction_end,
        notify_author_of_hidden,
    )

    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    # A moderator hid someone's content: the author gets an in-app notice in the same
    # transaction (moderation cannot call us: it sits below notifications).
    content_hidden.connect(notify_author_of_hidden)
    _hooks_installed = True


def init_app(app: Flask) -> None:
    from portal.accounts import register_login_extra
    from portal.notifications import models, views  # noqa: F401 - registers the models
    from portal.notifications.services import unread_count_column

    register_login_extra(app, "unread_notifications", unread_count_column)
    _install_session_hooks()
    app.register_blueprint(views.bp)
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    register_nav(app, "notifications.index", _NavLabel(), "login", order=80)
    app.cli.add_command(notifications_cli)
