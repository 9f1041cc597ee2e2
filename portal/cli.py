"""The ``portal`` command.

``portal pb ...`` is pure computation and starts without building the web app; every other
sub-command is a Flask CLI command bound to :func:`portal.create_app`.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

DATABASE_PB_COMMANDS = ("import", "export")


def register_commands(app) -> None:
    """Attach the app-bound sub-commands (called by the factory)."""
    app.cli.add_command(db_group)
    app.cli.add_command(demo)
    app.cli.add_command(worker)


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    from portal.migrate import upgrade

    upgrade(revision)
    click.echo(f"Database migrated to {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    from portal.migrate import downgrade

    downgrade(revision)
    click.echo(f"Database downgraded to {revision}.")


@click.command()
@with_appcontext
def demo() -> None:
    """Load the demo data (safe to run twice: existing demo data is left as it is)."""
    from portal.demo import load_demo

    for line in load_demo():
        click.echo(line)


@click.command()
@with_appcontext
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (needs REDIS_URL)."""
    from flask import current_app
    from rq import SimpleWorker

    from portal.core.jobs import get_queue

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed.")
    queue = get_queue()
    # SimpleWorker runs jobs in this process, inside the app context the CLI pushed.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)


def _flask_group() -> click.Group:
    from flask.cli import FlaskGroup

    from portal import create_app

    return FlaskGroup(
        name="portal",
        create_app=lambda: create_app(),
        help="Participatory budgeting and ideas portal.",
        add_version_option=False,
        set_debug_flag=False,
        load_dotenv=False,
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Pure Pabulib commands run without Flask; `pb import`/`pb export` need the database and
    # are registered by portal.budgets on the app's CLI.
    if len(args) >= 2 and args[0] == "pb" and args[1] not in DATABASE_PB_COMMANDS:
        from portal.pb.cli import pb

        pb.main(args=args[1:], prog_name="portal pb")
        return
    group = _flask_group()
    group.main(args=args, prog_name="portal")
