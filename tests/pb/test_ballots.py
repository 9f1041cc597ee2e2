"""Ballot rules of the four portal ballot kinds, fingerprints, and tallying portal ballots."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction

import pytest

from portal.pb.ballots import (
    ApprovalRules,
    BallotRuleError,
    CumulativeRules,
    KnapsackRules,
    RankedRules,
    ballot_fingerprint,
    canonical_choices,
    election_from_ballots,
    new_receipt_salt,
    validate_ballot,
)
from portal.pb.model import Ballot
from portal.pb.pabulib import dumps_pb, read_pb_text
from portal.pb.rules import tally

COSTS = {"p1": 400, "p2": 300, "p3": 200, "p4": 100}


def rule_of(kind, choices, rules):
    with pytest.raises(BallotRuleError) as caught:
        validate_ballot(kind, choices, COSTS, rules)
    assert caught.value.message == str(caught.value) and caught.value.message
    return caught.value.rule


def test_valid_ballots_come_back_canonical():
    assert validate_ballot("knapsack", ["p2", "p4"], COSTS, KnapsackRules(500)) == ("p2", "p4")
    assert validate_ballot("approval", ["p1"], COSTS, ApprovalRules(1, 2)) == ("p1",)
    assert validate_ballot("cumulative", {"p1": 3, "p2": 0}, COSTS, CumulativeRules(5, 3)) == {
        "p1": 3
    }
    assert validate_ballot("ranked", ["p3", "p1"], COSTS, RankedRules(3)) == ("p3", "p1")


def test_knapsack_rules():
    assert validate_ballot("knapsack", ["p1", "p4"], COSTS, KnapsackRules(500)) == ("p1", "p4")
    assert rule_of("knapsack", ["p1", "p2"], KnapsackRules(500)) == "over_budget"
    minimum = KnapsackRules(1000, Fraction(1, 2))
    assert rule_of("knapsack", ["p3", "p4"], minimum) == "min_spend"  # 300 < 500
    assert validate_ballot("knapsack", ["p1", "p4"], COSTS, minimum) == ("p1", "p4")  # 500
    assert rule_of("knapsack", ["p1", "p1"], KnapsackRules(5000)) == "duplicate"
    assert rule_of("knapsack", ["p9"], KnapsackRules(5000)) == "unknown_project"


def test_approval_rules():
    rules = ApprovalRules(min_projects=2, max_projects=3, max_cost=700)
    assert rule_of("approval", ["p1"], rules) == "too_few"
    assert rule_of("approval", ["p1", "p2", "p3", "p4"], ApprovalRules(1, 3)) == "too_many"
    assert rule_of("approval", ["p1", "p2", "p3"], rules) == "over_cost_cap"  # 900 > 700
    assert validate_ballot("approval", ["p2", "p1"], COSTS, rules) == ("p2", "p1")
    assert rule_of("approval", ["p2", "nope"], rules) == "unknown_project"


def test_cumulative_rules():
    rules = CumulativeRules(total_points=10, max_per_project=6)
    assert rule_of("cumulative", {"p1": 6, "p2": 5}, rules) == "points_total"
    assert rule_of("cumulative", {"p1": 7}, rules) == "points_per_project"
    assert rule_of("cumulative", {"p1": -1, "p2": 2}, rules) == "points_invalid"
    assert rule_of("cumulative", {"p1": 1.5}, rules) == "points_invalid"
    assert rule_of("cumulative", {"p1": True}, rules) == "points_invalid"
    assert rule_of("cumulative", {"zz": 1}, rules) == "unknown_project"
    assert rule_of("cumulative", {"p1": 0}, rules) == "too_few"
    exact = CumulativeRules(total_points=10, exact_total=True)
    assert rule_of("cumulative", {"p1": 4}, exact) == "points_total"
    assert validate_ballot("cumulative", {"p1": 4, "p3": 6}, COSTS, exact) == {"p1": 4, "p3": 6}


def test_ranked_rules():
    rules = RankedRules(max_ranked=2)
    assert rule_of("ranked", ["p1", "p2", "p3"], rules) == "too_many_ranked"
    assert rule_of("ranked", ["p1", "p1"], rules) == "duplicate"
    assert rule_of("ranked", [], rules) == "too_few"
    assert rule_of("ranked", ["x"], rules) == "unknown_project"


def test_errors_are_value_errors_with_details():
    with pytest.raises(ValueError) as caught:
        validate_ballot("knapsack", ["p1", "p2"], COSTS, KnapsackRules(500))
    assert caught.value.details == {"total": 700, "budget": 500}
    with pytest.raises(TypeError):
        validate_ballot("ranked", ["p1"], COSTS, KnapsackRules(500))
    with pytest.raises(ValueError, match="unknown ballot kind"):
        validate_ballot("quadratic", ["p1"], COSTS, KnapsackRules(500))


def test_fingerprint_is_stable_and_documented():
    salt = "00112233445566778899aabbccddeeff"
    digest = ballot_fingerprint(7, "approval", ["p2", "p1"], salt)
    # The documented serialisation, computed independently.
    payload = json.dumps(
        ["pb-ballot-v1", "7", "approval", ["p1", "p2"], salt], separators=(",", ":")
    )
    assert digest == hashlib.sha256(payload.encode()).hexdigest()
    assert digest == ballot_fingerprint("7", "approval", {"p1", "p2"}, salt)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_fingerprint_changes_with_every_input():
    salt = new_receipt_salt()
    base = ballot_fingerprint(1, "ranked", ["p1", "p2"], salt)
    assert base != ballot_fingerprint(1, "ranked", ["p2", "p1"], salt)  # order matters
    assert base != ballot_fingerprint(2, "ranked", ["p1", "p2"], salt)
    assert base != ballot_fingerprint(1, "ranked", ["p1", "p2"], new_receipt_salt())
    assert base != ballot_fingerprint(1, "approval", ["p1", "p2"], salt)
    cumulative = ballot_fingerprint(1, "cumulative", {"p2": 3, "p1": 2, "p3": 0}, salt)
    assert cumulative == ballot_fingerprint(1, "cumulative", {"p1": 2, "p2": 3}, salt)
    assert cumulative != ballot_fingerprint(1, "cumulative", {"p1": 3, "p2": 2}, salt)
    with pytest.raises(ValueError, match="salt"):
        ballot_fingerprint(1, "ranked", ["p1"], "")


def test_salts_are_fresh():
    salts = {new_receipt_salt() for _ in range(20)}
    assert len(salts) == 20 and all(len(s) == 32 for s in salts)


def test_canonical_choices():
    assert canonical_choices("knapsack", ["b", "a", "b"]) == ["a", "b"]
    assert canonical_choices("cumulative", {"b": 1, "a": 0}) == [["b", 1]]
    assert canonical_choices("ranked", ("b", "a")) == ["b", "a"]


def test_election_from_knapsack_ballots_tallies_like_a_file():
    # Worked example of test_rules_small: Equal Shares {A, C}, greedy by votes {A, B}.
    ballots = [["A", "B"], ["B", "A"], ["A", "B"], ["C"]]
    election = election_from_ballots("knapsack", {"A": 2, "B": 2, "C": 1}, 4, ballots)
    assert election.vote_type == "approval"
    assert election.ballots == {Ballot(("A", "B")): 3, Ballot(("C",)): 1}
    assert tally(election, "mes_cost_sat") == ["A", "C"]
    assert tally(election, "greedy_votes") == ["A", "B"]
    assert read_pb_text(dumps_pb(election)) == election


def test_election_from_cumulative_and_ranked_ballots():
    cumulative = election_from_ballots(
        "cumulative", {"P": 6, "Q": 6}, 10, [{"P": 1, "Q": 9}, {"Q": 9, "P": 1}, {"P": 9, "Q": 1}]
    )
    assert cumulative.ballots == {Ballot(("Q", "P"), (9, 1)): 2, Ballot(("P", "Q"), (9, 1)): 1}
    assert tally(cumulative, "greedy_points") == ["Q"]
    ranked = election_from_ballots("ranked", {"a": 3, "b": 2}, 5, [["a", "b"], ["b", "a"]])
    assert ranked.vote_type == "ordinal"
    assert ranked.ballots == {Ballot(("a", "b")): 1, Ballot(("b", "a")): 1}
    with pytest.raises(BallotRuleError) as caught:
        election_from_ballots("approval", {"a": 1}, 5, [["a", "zz"]])
    assert caught.value.rule == "unknown_project"
