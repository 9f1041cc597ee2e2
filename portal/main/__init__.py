"""Site-wide pages: home, language switcher, health check."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.main import views

    app.register_blueprint(views.bp)
