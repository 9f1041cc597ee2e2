"""`portal pb import FILE.pb --consultation SLUG` and `portal pb export BUDGET_ID -o FILE.pb`.

``portal pb tally`` and the other pure commands live in :mod:`portal.pb.cli` and start without
the web app; :func:`portal.cli.main` sends ``import`` and ``export`` here.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.core.errors import PortalError
from portal.extensions import db


@click.group("pb", cls=AppGroup)
def pb() -> None:
    """Pabulib files: import a whole election as a budget, export a budget's ballots."""


@pb.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--consultation", "slug", required=True, help="Slug of the consultation.")
@click.option("--title", default=None, help="Title of the new budget (default: from META).")
@click.option("--publish", is_flag=True, help="Publish the results straight away.")
def import_command(file: str, slug: str, title: str | None, publish: bool) -> None:
    """Create a budget with the projects and ballots of FILE (nothing is written on error)."""
    from portal.budgets.pabulib_io import import_election, read_election
    from portal.budgets.services import ballot_counts
    from portal.consultations.models import Consultation

    consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise click.ClickException(f"There is no consultation with the slug {slug!r}.")
    try:
        election = read_election(file)
        budget = import_election(consultation, election, title=title, publish=publish)
        counts = ballot_counts(budget)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        detail = exc.fields.get("file")
        raise click.ClickException(f"{file}: {detail or exc.message}") from None
    for warning in election.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Budget {budget.id} “{budget.title}”: {len(budget.projects)} projects, "
        f"{counts['total']} ballots, {budget.ballot_kind} ballot, rule {budget.official_rule}."
    )


@pb.command("export")
@click.argument("budget_id", type=int)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
def export_command(budget_id: int, output: str) -> None:
    """Write BUDGET_ID's counted ballots as an anonymised Pabulib file."""
    from portal.budgets.models import Budget
    from portal.budgets.pabulib_io import export_pb

    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise click.ClickException(f"There is no budget {budget_id}.")
    text = export_pb(budget)
    db.session.rollback()
    if output == "-":
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    click.echo(f"Wrote {output}.")
