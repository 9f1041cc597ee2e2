"""Accounts: sign-up, confirmation, log-in, passwords, profiles, roles and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.core.navigation import register_nav
from portal.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from portal.accounts import cli, models, views
    from portal.accounts.services import user_for_api_token

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # Roles joined in and every registered extra (see register_login_extra) selected with
    # the person: one statement per signed-in request instead of one per value. Built once,
    # on the first request (every capability has registered its extras by then): building
    # an ORM statement costs about as much as running it.
    statement: list[Any] = []

    @login_manager.user_loader
    def load_user(session_token: str):
        if not statement:
            statement.append(_by_session_token(models.User))
        extras = current_app.extensions.get("portal_login_extras", {})
        row = db.session.execute(statement[0], {"token": session_token}).unique().first()
        if row is None:
            return None
        user = row[0]
        g.portal_login_extras = (user.id, dict(zip(extras, row[1:], strict=True)))
        return user

    @login_manager.request_loader
    def load_user_from_token(req):
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return user_for_api_token(header[7:].strip())

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        from portal.core.errors import error_response

        if request.path.startswith("/api/"):
            return error_response(401, str(_l("Authentication required.")))
        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    app.extensions.setdefault("portal_login_extras", {})
    app.register_blueprint(views.bp)
    register_nav(app, "accounts.admin_users", _l("People and roles"), "admin", order=90)
    app.cli.add_command(cli.users)


def register_login_extra(app: Flask, name: str, column: Callable[[Any], Any]) -> None:
    """Select ``column(User)`` (a scalar subquery correlated to ``users``) with the signed-in
    person on every request, for a value each signed-in page reads (an unread count, say):
    :func:`login_extra` then returns it without a statement of its own."""
    app.extensions.setdefault("portal_login_extras", {})[name] = column


def login_extra(name: str) -> Any | None:
    """The extra ``name`` selected with the current person, or None when the person did not
    come through the session loader (an API token, a log-in during this request)."""
    loaded = g.get("portal_login_extras")
    if loaded is None or not getattr(current_user, "is_authenticated", False):
        return None
    user_id, values = loaded
    return values.get(name) if user_id == current_user.id else None


def _by_session_token(user: Any) -> Any:
    extras = current_app.extensions.get("portal_login_extras", {})
    return (
        select(user, *(column(user).label(name) for name, column in extras.items()))
        .where(user.session_token == bindparam("token"))
        .options(joinedload(user.role_rows))
    )
