"""Rules on tiny elections whose outcomes are worked out by hand in the comments."""

from __future__ import annotations

from fractions import Fraction

import pytest

from portal.pb.model import Ballot, Election, Project
from portal.pb.rules import RULES, UnknownRuleError, rule_names, run_rule, tally


def election(
    budget, costs: dict[str, object], ballots: list, vote_type: str = "approval"
) -> Election:
    """Build an election; ballots are id lists, or (ids, points) pairs for cumulative."""
    counted: dict[Ballot, int] = {}
    for ballot in ballots:
        key = (
            Ballot(tuple(ballot[0]), tuple(ballot[1]))
            if vote_type == "cumulative"
            else (Ballot(tuple(ballot)))
        )
        counted[key] = counted.get(key, 0) + 1
    projects = {pid: Project(pid, cost) for pid, cost in costs.items()}
    return Election({}, projects, counted, vote_type, budget)


# Budget 4, four voters. Voters 1-3 approve A and B (cost 2 each), voter 4 approves C (cost 1).
# Greedy by votes: A (3 votes) then B (3 votes, tie broken by id) spend all 4 -> {A, B}.
# Equal Shares: each voter holds 1. A costs 2 shared by 3 voters -> each pays 2/3 (rho = 1/3);
# then voters 1-3 hold 1/3 each = 1 < 2, so B is unaffordable; voter 4 alone pays 1 for C.
# -> {A, C}. Greedy completion cannot add B (4 - 3 = 1 left < 2).
MES_VS_GREEDY = election(4, {"A": 2, "B": 2, "C": 1}, [["A", "B"]] * 3 + [["C"]])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("greedy_votes", ["A", "B"]),
        ("greedy_cost_sat", ["A", "B"]),
        ("mes_cost_sat", ["A", "C"]),
        ("mes_cardinality_sat", ["A", "C"]),
        ("mes_cost_sat_greedy", ["A", "C"]),
        ("mes_cost_sat_add1", ["A", "C"]),
    ],
)
def test_mes_and_greedy_differ_as_worked_out(rule, expected):
    assert tally(MES_VS_GREEDY, rule) == expected


def test_mes_payments_as_worked_out():
    outcome = run_rule(MES_VS_GREEDY, "mes_cost_sat", record=True)
    first = outcome.mes.purchases[0]
    # Scaled money: costs are whole, so the scale is 1; A's three supporters pay 2/3 each.
    assert first.payments == {Fraction(2, 3): 3}
    assert outcome.selected == ["A", "C"]


# Ids "9" and "10" both have 2 votes and cost 5; the budget (9) buys one.
# Plain string order puts "10" before "9" (it compares "1" with "9"), so lexico picks "10";
# in the file "9" comes first, so file order picks "9". Then "x" (cost 2, 1 vote) still fits.
# Equal Shares: 3 per voter; both tied projects cost their 2 supporters 5/2 each (rho 1/2),
# the tie goes the same way, the winners' supporters keep 1/2 each (too little for the other)
# and the voter of "x" pays 2 alone.
TIED = election(9, {"9": 5, "10": 5, "x": 2}, [["9", "10"], ["9", "10"], ["x"]])


def test_lexicographic_ties_use_string_order_not_numbers():
    assert tally(TIED, "greedy_votes") == ["10", "x"]
    assert tally(TIED, "greedy_votes_file_order") == ["9", "x"]
    assert tally(TIED, "greedy_votes", tie_breaking="file_order") == ["9", "x"]
    assert tally(TIED, "mes_cost_sat") == ["10", "x"]
    assert tally(TIED, "mes_cost_sat", tie_breaking="file_order") == ["9", "x"]


# Budget 5/2, two voters approving X (cost 2) and Y (cost 1).
# Plain MES: each holds 5/4. Shared equally, X costs each supporter 1 and Y costs 1/2, so the
# price per unit of cost (rho) is 1/2 for both: a tie. Lexico buys X first (each pays 1, 1/4
# left each), and Y (cost 1 > 1/4 + 1/4) is then unaffordable -> {X}.
# equalshares.net Add1 starts at floor(5/4) = 1 per voter and breaks ties by the lower cost:
# Y first (each pays 1/2, 1/2 left), then X needs 2 > 1 -> {Y}; it is exhaustive (1 + 2 > 5/2).
# The validator variant also tries 2 per voter: Y then X, costing 3 > 5/2 -> keeps {Y}.
# pabutools Add1 starts at 5/4 with lexico ties -> {X}, exhaustive since 2 + 1 > 5/2.
EQNET_TIE = election(Fraction(5, 2), {"X": 2, "Y": 1}, [["X", "Y"], ["X", "Y"]])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("mes_cost_sat", ["X"]),
        ("mes_cost_sat_add1", ["X"]),
        ("mes_cost_sat_eqnet_add1", ["Y"]),
        ("mes_cost_sat_pabulib_add1", ["Y"]),
    ],
)
def test_equalshares_net_tie_breaking(rule, expected):
    assert tally(EQNET_TIE, rule) == expected


def test_empty_ballots_shrink_every_share():
    # Two voters approve A (cost 3) from a budget of 4: 2 each, 4 >= 3, so A is bought.
    # With two empty ballots as well, each share is 1 and A's supporters hold only 2 < 3.
    assert tally(election(4, {"A": 3}, [["A"], ["A"]]), "mes_cost_sat") == ["A"]
    assert tally(election(4, {"A": 3}, [["A"], ["A"], [], []]), "mes_cost_sat") == []


def test_budget_test_is_exact():
    # 0.1 + 0.2 == 0.3 exactly (with floats it is 0.30000000000000004 > 0.3).
    costs = {"a": Fraction(1, 10), "b": Fraction(2, 10)}
    exact_budget = election(Fraction(3, 10), costs, [["a"], ["b"], ["a", "b"]])
    assert tally(exact_budget, "greedy_votes") == ["a", "b"]
    assert tally(exact_budget, "mes_cost_sat_add1") == ["a", "b"]


def test_value_for_money_greedy_differs_from_city_greedy():
    # Votes: big 3, small1 2, small2 2. Budget 10 fits big (10) or both smalls (5 + 5).
    # City greedy takes big; votes / cost prefers the smalls (2/5 > 3/10).
    ballots = [["big", "s1"], ["big", "s2"], ["big"], ["s1", "s2"]]
    e = election(10, {"big": 10, "s1": 5, "s2": 5}, ballots)
    assert tally(e, "greedy_votes") == ["big"]
    assert tally(e, "greedy_cardinality_sat") == ["s1", "s2"]


def test_free_supported_project_is_bought_first_and_unsupported_one_by_greedy_only():
    e = election(3, {"free": 0, "lonely": 1, "a": 2}, [["free", "a"], ["a"]])
    assert run_rule(e, "mes_cost_sat").selected == ["a"]  # cost sat of a free project is 0
    assert run_rule(e, "mes_cardinality_sat").selected[0] == "free"
    # Greedy funds the unsupported project too when it fits (density 0 comes last).
    assert tally(e, "greedy_cardinality_sat") == ["a", "free", "lonely"]


def test_cumulative_points_drive_additive_cardinal_rules():
    # Budget 10, two projects of cost 6 (only one fits). Three voters spread 10 points:
    # P gets 9 + 1 + 1 = 11 points from 3 voters, Q gets 1 + 9 + 9 = 19 points from 3 voters.
    ballots = [(["P", "Q"], [9, 1]), (["Q", "P"], [9, 1]), (["Q", "P"], [9, 1])]
    e = election(10, {"P": 6, "Q": 6}, ballots, "cumulative")
    assert tally(e, "greedy_points") == ["Q"]
    assert tally(e, "greedy_cost_sat") == ["P"]  # 3 supporters each: tie -> "P" by id
    assert tally(e, "mes_additive_cardinal_sat") == ["Q"]


def test_ordinal_borda_ignores_last_place():
    # Two-project rankings: the second place gets Borda 0, so "b" has no Borda support.
    e = election(5, {"a": 3, "b": 2}, [["a", "b"], ["a", "b"]], "ordinal")
    assert tally(e, "mes_additive_borda_sat") == ["a"]
    assert tally(e, "mes_cost_sat") == ["a", "b"]
    assert tally(e, "greedy_score") == ["a", "b"]


def test_registry_by_vote_type():
    assert rule_names("choose-1") == rule_names("approval")
    assert "greedy_points" in rule_names("cumulative")
    assert "greedy_score" in rule_names("ordinal")
    assert "mes_cost_sat_eqnet_add1" not in rule_names("ordinal")
    assert set(rule_names()) == set(RULES)


def test_unknown_or_misplaced_rule_names_list_valid_ones():
    with pytest.raises(UnknownRuleError) as caught:
        tally(MES_VS_GREEDY, "mes_magic")
    assert "unknown" in str(caught.value) and "greedy_votes" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UnknownRuleError, match="does not apply"):
        tally(MES_VS_GREEDY, "greedy_points")
    with pytest.raises(ValueError, match="tie-breaking"):
        tally(MES_VS_GREEDY, "greedy_votes", tie_breaking="random")


def test_scoring_votes_use_default_score_for_unlisted_projects():
    from portal.pb.pabulib import read_pb_text

    text = (
        "META\nkey;value\nbudget;5\nvote_type;scoring\ndefault_score;1\n"
        "PROJECTS\nproject_id;cost\nu;5\nv;5\n"
        "VOTES\nvoter_id;vote;points\n1;u;-2\n2;u;3\n3;v;2\n"
    )
    e = read_pb_text(text)
    # u: -2 + 3 + 1 (voter 3 did not list it) = 2; v: 2 + 1 + 1 = 4, so v comes first.
    assert e.scores() == {"u": 2, "v": 4}
    assert tally(e, "greedy_points") == ["v"]
    assert rule_names("scoring") == ["greedy_points", "greedy_points_file_order"]
