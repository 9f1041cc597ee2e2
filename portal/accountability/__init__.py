"""Official responses, statuses and public response times."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.core.navigation import register_nav


def init_app(app: Flask) -> None:
    from portal.accountability import models, views  # noqa: F401 - models registers the tables
    from portal.accountability.services import STATUS_LABELS

    app.register_blueprint(views.bp)
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    register_nav(app, "accountability.templates", _l("Answer templates"), "planner", order=80)
