"""Budget simulator: residents split a consultation's whole budget (balance or tax mode)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.simulator import models, views  # noqa: F401 - registers the tables

    app.register_blueprint(views.bp)
