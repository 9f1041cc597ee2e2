"""Vision documents and open data.

* :mod:`.assemble` gathers plain data from the other capabilities (always ``visible()``);
* :mod:`.documents` lays it out once and writes PDF, DOCX, ODT, HTML and Markdown;
* :mod:`.opendata` streams CSV/ZIP + ``datapackage.json``, JSON and XLSX;
* :mod:`.services` keeps the planner's choices and runs export jobs (RQ or in-process).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.core.navigation import register_nav


def init_app(app: Flask) -> None:
    from portal.exports import cli, models, views  # noqa: F401 - models registers the tables

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(views.template_globals())
    if "export" not in app.cli.commands:
        app.cli.add_command(cli.export)
    register_nav(app, "exports.index", _l("Exports"), "planner", order=85)
