"""Threaded comments attachable to any anchored content."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    from portal.comments.services import _before_flush

    event.listen(Session, "before_flush", _before_flush)
    _hooks_installed = True


def init_app(app: Flask) -> None:
    from portal.comments import models, views  # noqa: F401 - registers the models

    _install_hooks()
    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(views.template_globals())
