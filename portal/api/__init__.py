"""The JSON API under /api/v1/: thin resources over the capabilities' services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.api import accounts, openapi  # noqa: F401 - modules register their routes
    from portal.api.base import bp

    app.register_blueprint(bp)
