"""Explanations: greedy money chains, Equal Shares payments and shortfalls, comparisons."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest

from portal.pb.explain import (
    GreedyExplanation,
    SharesExplanation,
    compare,
    explain,
    to_jsonable,
)
from portal.pb.model import Ballot, Election, Project
from portal.pb.pabulib import read_pb
from portal.pb.rules import tally

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
WARSAW = read_pb(DATA / "Poland_Warszawa_2017_Mlynow.pb")
KIEDRZYN = read_pb(DATA / "Poland_Czestochowa_2020_Kiedrzyn.pb")
KRAKOW = read_pb(DATA / "Poland_Krakow_2018_Czyzyny.pb")


def _small() -> Election:
    # Budget 4; voters 1-3 approve A and B (cost 2 each), voter 4 approves C (cost 1).
    ballots = {Ballot(("A", "B")): 3, Ballot(("C",)): 1}
    projects = {pid: Project(pid, cost) for pid, cost in {"A": 2, "B": 2, "C": 1}.items()}
    return Election({}, projects, ballots, "approval", 4)


@pytest.mark.parametrize(
    ("election", "rule"),
    [(WARSAW, "greedy_votes"), (KIEDRZYN, "greedy_points"), (KRAKOW, "greedy_additive_borda_sat")],
)
def test_greedy_money_chain_is_consistent(election, rule):
    result = explain(election, rule)
    assert isinstance(result, GreedyExplanation)
    assert [line.rank for line in result.lines] == list(range(1, len(election.projects) + 1))
    money = election.budget
    for line in result.lines:
        assert line.money_left_before == money
        assert line.funded == (line.cost <= money)
        money = money - line.cost if line.funded else money
        assert line.money_left_after == money
        assert line.reason == ("funded" if line.funded else "does_not_fit")
    assert sorted(result.selected) == tally(election, rule)
    assert result.money_left == money
    values = [line.value for line in result.lines]
    assert values == sorted(values, reverse=True)


def test_greedy_votes_values_are_the_votes():
    result = explain(WARSAW, "greedy_votes")
    votes = WARSAW.votes()
    assert all(line.value == votes[line.project_id] == line.votes for line in result.lines)


@pytest.mark.parametrize(
    ("election", "rule"),
    [
        (WARSAW, "mes_cost_sat"),
        (WARSAW, "mes_cost_sat_add1_greedy"),
        (KIEDRZYN, "mes_additive_cardinal_sat_add1_greedy"),
        (KRAKOW, "mes_additive_borda_sat"),
    ],
)
def test_equal_shares_payments_cover_each_cost(election, rule):
    result = explain(election, rule)
    assert isinstance(result, SharesExplanation)
    for funded in result.funded:
        assert funded.total_paid == funded.cost
        assert sum(p.total for p in funded.payments) == funded.cost
        assert sum(p.voters for p in funded.payments) == funded.supporters
        assert all(p.total == p.amount * p.voters for p in funded.payments)
        amounts = [p.amount for p in funded.payments]
        assert amounts == sorted(amounts, reverse=True)
    assert sorted(result.selected) == tally(election, rule)
    assert result.spent == sum(election.projects[pid].cost for pid in result.selected)
    assert result.spent <= election.budget
    funded_ids = {f.project_id for f in result.funded}
    unfunded_ids = {u.project_id for u in result.unfunded}
    assert funded_ids | unfunded_ids == set(election.projects)
    assert not funded_ids & unfunded_ids


def test_unfunded_projects_report_shortfall_and_extra_supporters():
    result = explain(WARSAW, "mes_cost_sat")
    share = result.per_voter_budget
    assert share == Fraction(1330900, 1438)
    for missed in result.unfunded:
        assert missed.shortfall == missed.cost - missed.money_left > 0
        assert missed.extra_supporters_needed == math.ceil(missed.shortfall / share)
        assert missed.reason == "not_enough_money"


def test_worked_example_explanation():
    result = explain(_small(), "mes_cost_sat")
    first, second = result.funded
    # A: 3 supporters pay 2/3 each; rho = payment / cost = 1/3.
    assert (first.project_id, first.rho, first.supporters) == ("A", Fraction(1, 3), 3)
    assert [(p.amount, p.voters) for p in first.payments] == [(Fraction(2, 3), 3)]
    # C: voter 4 pays all of their 1 and is left with nothing.
    assert (second.project_id, second.voters_exhausted) == ("C", 1)
    (missed,) = result.unfunded
    # B: its 3 supporters hold 1/3 each = 1, short of 2 by 1; one more full share (1) covers it.
    assert (missed.project_id, missed.money_left, missed.shortfall) == ("B", 1, 1)
    assert missed.extra_supporters_needed == 1


def test_completion_is_explained_as_greedy():
    result = explain(WARSAW, "mes_cost_sat_greedy")
    assert result.completion is not None
    added = set(result.completion.selected)
    assert added and added <= set(result.selected)
    flagged = {u.project_id for u in result.unfunded if u.funded_by_completion}
    assert flagged == added


def test_compare_lists_added_and_removed():
    greedy = tally(WARSAW, "greedy_votes")
    shares = tally(WARSAW, "mes_cost_sat")
    difference = compare(greedy, shares)
    assert set(difference.added) == set(shares) - set(greedy)
    assert set(difference.removed) == set(greedy) - set(shares)
    assert difference.added and difference.removed
    assert compare(["1", "2"], ["2", "3"]) == compare(("2", "1"), {"3", "2"})
    assert compare(["1", "2"], ["2", "3"]).kept == ("2",)


def test_to_jsonable_is_exact_and_json_ready():
    data = to_jsonable(explain(_small(), "mes_cost_sat"))
    text = json.dumps(data)
    assert json.loads(text)["funded"][0]["payments"][0]["amount"] == "2/3"
    assert data["per_voter_budget"] == 1
    greedy = to_jsonable(explain(WARSAW, "greedy_votes"))
    assert greedy["lines"][0]["reason"] == "funded"
    assert to_jsonable(Fraction(5, 2)) == "2.5"
    assert to_jsonable(float("inf")) == "inf"
