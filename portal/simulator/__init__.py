"""Budget simulator: residents split a consultation's whole budget (balance or tax mode)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for


def consultation_simulators_extra(consultation: Any) -> dict[str, Any]:
    """The consultation API lists the simulators anyone can see."""
    from portal.simulator import services

    return {
        "simulators": [
            {
                "id": simulator.id,
                "title": simulator.title,
                "phase": services.phase(simulator),
                "url": url_for(
                    "api.simulator_definition", simulator_id=simulator.id, _external=True
                ),
            }
            for simulator in services.simulators_for(consultation)
        ]
    }


def consultation_simulators(consultation: Any) -> list:
    """For templates: the simulators of a consultation the current person may see."""
    from flask_login import current_user

    from portal.simulator import services

    return services.simulators_for(consultation, current_user)


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from portal.core.navigation import register_nav
    from portal.simulator import models, views  # noqa: F401 - registers the tables

    app.register_blueprint(views.bp)
    app.jinja_env.globals["consultation_simulators"] = consultation_simulators
    register_nav(app, "simulator.index", _l("Budget simulators"), order=45)
    try:
        from portal.consultations.services import register_api_extra
    except ImportError:  # the consultations capability without its API hook
        return
    register_api_extra(consultation_simulators_extra)
