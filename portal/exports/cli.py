"""``portal export vision|data SLUG --format ... -o PATH``: the same files as the web pages."""

from __future__ import annotations

import os
import sys
import tempfile
import time

import click
from flask.cli import AppGroup

from portal.exports.models import DATA_FORMATS, VISION_FORMATS


@click.group("export", cls=AppGroup)
def export() -> None:
    """Vision documents and open data of a consultation."""


def _write(kind: str, slug: str, fmt: str, output: str) -> None:
    from portal.core.errors import PortalError
    from portal.exports import services
    from portal.extensions import db

    try:
        consultation = services.get_consultation(slug, _Planner())
    except PortalError as exc:
        raise click.ClickException(exc.message) from exc
    started = time.perf_counter()
    if output == "-":
        writer = services.write_vision if kind == "vision" else services.write_data
        writer(consultation, fmt, sys.stdout.buffer)
        db.session.rollback()
        return
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=f".{fmt}")
    try:
        with os.fdopen(handle, "wb") as out:
            if kind == "vision":
                services.write_vision(consultation, fmt, out)
            else:
                services.write_data(consultation, fmt, out)
        os.replace(temporary, output)
    except PortalError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
        db.session.rollback()
    size = os.path.getsize(output)
    seconds = time.perf_counter() - started
    click.echo(f"Wrote {output} ({size:,} bytes) in {seconds:.1f} s.", err=True)


class _Planner:
    """The command line acts with a planner's reach (drafts included)."""

    is_authenticated = True

    def has_role(self, role: str) -> bool:
        return role == "planner"


@export.command("vision")
@click.argument("slug")
@click.option(
    "--format", "fmt", type=click.Choice(VISION_FORMATS), default="pdf", show_default=True
)
@click.option("-o", "--output", required=True, help="File to write, or - for standard output.")
def vision(slug: str, fmt: str, output: str) -> None:
    """Write the vision document of consultation SLUG."""
    _write("vision", slug, fmt, output)


@export.command("data")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(DATA_FORMATS), default="zip", show_default=True)
@click.option("-o", "--output", required=True, help="File to write, or - for standard output.")
def data(slug: str, fmt: str, output: str) -> None:
    """Write the open data of consultation SLUG."""
    _write("data", slug, fmt, output)
