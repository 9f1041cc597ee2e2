"""Consultations: dated phases, themes, districts and verification of residents."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.core.navigation import register_nav


def init_app(app: Flask) -> None:
    from portal.consultations import models, views  # noqa: F401 - models registers the tables
    from portal.consultations.phases import PHASE_LABELS

    app.register_blueprint(views.bp)
    # Globals (not context processors) so that imported template macros see them too.
    app.jinja_env.globals.update(
        PHASE_LABELS=PHASE_LABELS, comments_available=views.comments_available
    )
    register_nav(app, "consultations.index", _l("Consultations"), "public", order=10)
