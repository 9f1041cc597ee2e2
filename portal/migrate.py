"""Alembic, driven from the app: the schema is created and changed only by migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from portal.config import ROOT

MIGRATIONS = ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(revision: str = "head") -> None:
    """Migrate the current app's database (call inside an app context)."""
    command.upgrade(alembic_config(), revision)
    refresh_sqlite_statistics()


def refresh_sqlite_statistics() -> None:
    """SQLite plans by statistics that only ANALYZE gathers; without them it picked a
    one-column index that read every published comment for a thread page. PostgreSQL's
    autovacuum keeps its own. ``analysis_limit`` bounds the cost (a fraction of a second on a
    city-sized file); every upgrade (each release, each ``make run``) gathers them again."""
    from sqlalchemy import text

    from portal.extensions import db

    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.begin() as connection:
        connection.execute(text("PRAGMA analysis_limit=1000"))
        connection.execute(text("ANALYZE"))


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())
