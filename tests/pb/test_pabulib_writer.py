"""Writing .pb files: valid output, proper quoting, and read -> write -> read round trips."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest

from portal.pb.model import Ballot, Election, Project, money_text
from portal.pb.pabulib import dumps_pb, read_pb, read_pb_text, write_pb
from portal.pb.rules import rule_names, tally

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FAST_RULES = ("greedy", "mes_cost_sat", "mes_cardinality_sat", "mes_additive")


@pytest.mark.parametrize("path", sorted(DATA.glob("*.pb")), ids=lambda p: p.name)
def test_round_trip_keeps_election_and_outcomes(path, tmp_path):
    original = read_pb(path)
    target = tmp_path / path.name
    write_pb(original, target)
    again = read_pb(target)
    assert again == original
    assert again.warnings == ()
    for rule in rule_names(original.vote_type):
        if rule.startswith(FAST_RULES) and "add1" not in rule:
            assert tally(again, rule) == tally(original, rule), rule


def test_round_trip_of_an_add1_rule():
    original = read_pb(DATA / "Poland_Czestochowa_2020_Kiedrzyn.pb")
    again = read_pb_text(dumps_pb(original))
    rule = "mes_additive_cardinal_sat_add1"
    assert tally(again, rule) == tally(original, rule)


def _tricky_election() -> Election:
    projects = {
        "A1": Project("A1", 10, {"name": 'Park "Orlik"; phase 2', "category": "sport,green"}),
        "B/2": Project("B/2", Fraction(51, 2), {"name": "line one\nline two"}),
        "9": Project("9", 7, {"name": "None of the above"}),
    }
    return Election(
        meta={"description": "a;b", "budget": "1", "vote_type": "cumulative", "x": "y"},
        projects=projects,
        ballots={Ballot(("A1", "9"), (3, 2)): 2, Ballot(("B/2",), (Fraction(1, 2),)): 1},
        vote_type="cumulative",
        budget=Fraction(421, 10),
        project_columns=("project_id", "cost", "name", "category"),
    )


def test_writer_quotes_what_csv_needs_and_derives_counts():
    election = _tricky_election()
    text = dumps_pb(election)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert ["description", "a;b"] in rows
    assert ["budget", "42.1"] in rows  # derived from the election, not the stale meta value
    assert ["num_votes", "3"] in rows and ["num_projects", "3"] in rows
    assert '"Park ""Orlik""; phase 2"' in text
    again = read_pb_text(text)
    assert again.projects == election.projects
    assert again.ballots == election.ballots
    assert (again.budget, again.vote_type) == (election.budget, election.vote_type)
    assert again.meta == {**election.meta, "budget": "42.1", "num_projects": "3", "num_votes": "3"}
    assert again.projects["B/2"].cost == Fraction(51, 2)
    # Written again, the file is identical: the derived META values are now in the meta.
    assert dumps_pb(again) == dumps_pb(read_pb_text(dumps_pb(again)))


def test_writer_rejects_what_cannot_be_written():
    election = _tricky_election()
    bad = dict(election.projects)
    bad["a,b"] = Project("a,b", 1)
    broken = Election(election.meta, bad, {}, "approval", 10)
    with pytest.raises(ValueError, match="cannot be written"):
        dumps_pb(broken)
    third = Election(election.meta, election.projects, {}, "approval", Fraction(1, 3))
    with pytest.raises(ValueError, match="finite decimal"):
        dumps_pb(third)


@pytest.mark.parametrize(
    ("value", "text"),
    [(5, "5"), (Fraction(1, 2), "0.5"), (Fraction(-5, 4), "-1.25"), (Fraction(1, 80), "0.0125")],
)
def test_money_text(value, text):
    assert money_text(value) == text
