"""Accounts: sign-up, confirmation, log-in, passwords, profiles, roles and API tokens."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
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

    # Roles joined in: one statement per signed-in request instead of two. Built once: every
    # signed-in request runs it, and building an ORM statement costs about as much as
    # running it (the compiled form is cached by SQLAlchemy either way).
    by_session_token = (
        select(models.User)
        .where(models.User.session_token == bindparam("token"))
        .options(joinedload(models.User.role_rows))
    )

    @login_manager.user_loader
    def load_user(session_token: str):
        return db.session.scalars(by_session_token, {"token": session_token}).unique().first()

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

    app.register_blueprint(views.bp)
    register_nav(app, "accounts.admin_users", _l("People and roles"), "admin", order=90)
    app.cli.add_command(cli.users)
