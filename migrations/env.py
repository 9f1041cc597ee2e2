"""Alembic environment: runs against the database of the current Flask app."""

from __future__ import annotations

from alembic import context
from flask import current_app, has_app_context

from portal.extensions import db


def _run(app) -> None:
    with app.app_context():
        connectable = db.engine
        with connectable.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `portal db upgrade`.")

if has_app_context():
    _run(current_app._get_current_object())
else:
    from portal import create_app

    _run(create_app())
