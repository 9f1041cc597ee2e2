"""The JSON API under /api/v1/: thin resources over the capabilities' services."""

from __future__ import annotations

import importlib

from flask import Flask

# One module per capability under portal/api/; each registers its routes on ``base.bp`` and
# describes them with ``base.document``. Listed explicitly, in dependency order.
API_MODULES = (
    "accounts",
    "consultations",
    "ideas",
    "comments",
    "notifications",
    "accountability",
    "budgets",
    "simulator",
    "moderation",
    "exports",
    "openapi",
)


def init_app(app: Flask) -> None:
    from portal.api.base import bp

    for name in API_MODULES:
        module = f"portal.api.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real import error inside the module
                raise
    app.register_blueprint(bp)
