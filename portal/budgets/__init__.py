"""Participatory budgets: projects, ballots, receipts, results, Pabulib import and export."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from portal.budgets import cli, models, services, views  # noqa: F401 - registers tables
    from portal.consultations.services import register_api_extra
    from portal.core.navigation import register_nav

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(views.template_globals())
    app.jinja_env.globals["consultation_budgets"] = services.budgets_for
    app.jinja_env.filters["budget_money"] = views.money_filter
    if "pb" not in app.cli.commands:
        app.cli.add_command(cli.pb)
    register_nav(app, "budgets.index", _l("Budgets"), order=40)
    register_api_extra(views.consultation_budgets_extra)
