"""The ``pb`` command group: tally, list rules and explain outcomes of Pabulib files.

It imports nothing from the web application, so ``portal pb tally`` starts fast::

    python -m portal.pb.cli tally FILE --rule mes_cost_sat_add1
    python -m portal.pb.cli rules FILE
    python -m portal.pb.cli explain FILE --rule greedy_votes

Exit status 2 means bad input: a malformed file (``error: line N: ...`` on stderr), or a rule
that is unknown or does not fit the file's vote type (the valid names are listed).
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from portal.pb.model import Election
from portal.pb.pabulib import PabulibError, read_pb
from portal.pb.rules import RULES, TIE_BREAKINGS, UnknownRuleError, rule_names

_FILE = click.Path(exists=True, dir_okay=False, readable=True)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _load(path: str) -> Election:
    try:
        return read_pb(path)
    except PabulibError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror}")


def _check_rule(election: Election, rule: str) -> None:
    if rule not in rule_names(election.vote_type):
        _fail(str(UnknownRuleError(rule, election.vote_type, rule_names(election.vote_type))))


@click.group(name="pb", help="Participatory-budgeting rules on Pabulib (.pb) files.")
def pb() -> None:
    """Participatory-budgeting rules on Pabulib (.pb) files."""


@pb.command()
@click.argument("file", type=_FILE)
@click.option("--rule", "rule", required=True, help="Rule name (see `pb rules FILE`).")
@click.option(
    "--tie-breaking",
    type=click.Choice(TIE_BREAKINGS),
    default=None,
    help="Order among tied projects (default: the rule's own, lexico for most).",
)
def tally(file: str, rule: str, tie_breaking: str | None) -> None:
    """Print the funded projects as JSON: {"rule": ..., "selected": [sorted ids]}."""
    from portal.pb.rules import tally as run_tally

    election = _load(file)
    _check_rule(election, rule)
    selected = run_tally(election, rule, tie_breaking=tie_breaking)
    click.echo(json.dumps({"rule": rule, "selected": selected}, ensure_ascii=False))


@pb.command()
@click.argument("file", type=_FILE)
def rules(file: str) -> None:
    """List the rules that apply to FILE's vote type, one per line."""
    election = _load(file)
    for name in rule_names(election.vote_type):
        click.echo(f"{name}\t{RULES[name].summary}")


@pb.command()
@click.argument("file", type=_FILE)
@click.option("--rule", "rule", required=True, help="Rule name (see `pb rules FILE`).")
@click.option("--tie-breaking", type=click.Choice(TIE_BREAKINGS), default=None)
def explain(file: str, rule: str, tie_breaking: str | None) -> None:
    """Print, as JSON, why each project was or was not funded."""
    from portal.pb.explain import explain as run_explain
    from portal.pb.explain import to_jsonable

    election = _load(file)
    _check_rule(election, rule)
    result = run_explain(election, rule, tie_breaking=tie_breaking)
    click.echo(json.dumps(to_jsonable(result), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    pb()
