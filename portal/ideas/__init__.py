"""Ideas and supports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.ideas import models, views  # noqa: F401 - models registers the tables

    app.register_blueprint(views.bp)
