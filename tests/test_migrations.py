"""The schema comes only from migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.extensions import db
from portal.migrate import heads


def test_single_head():
    assert len(heads()) == 1


def _ours(name, type_, parent_names) -> bool:
    """Full-text search tables (``fts_*``, SQLite FTS5) live only in migrations, by design."""
    return not (type_ == "table" and name and name.startswith("fts_"))


def test_models_and_migrations_agree(app, ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_name": _ours},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_database_is_at_head(app, ctx):
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(heads())


def test_every_model_table_exists(app, ctx):
    existing = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= existing
