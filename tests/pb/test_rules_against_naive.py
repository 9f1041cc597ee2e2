"""The fast rules agree with a slow, literal reading of FORMAT.md §9 on random small elections.

The naive versions below use ``Fraction`` throughout, one entry per voter, no grouping, no
price bounds and no reuse between Add1 runs: each sentence of the spec becomes a few lines.
Elections are small with small integer costs, so exact ties (and so tie-breaking) are common.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from portal.pb.model import Ballot, Election, Project
from portal.pb.rules import RULES, rule_names, tally

# --- the naive reading of the spec -----------------------------------------------------------


def voter_sats(election: Election, satisfaction: str) -> list[dict[str, Fraction]]:
    """One dict per voter: project -> satisfaction, for supported projects (sat > 0)."""
    voters = []
    for ballot, count in election.ballots.items():
        sats = {}
        for position, pid in enumerate(ballot.projects):
            if satisfaction == "cost":
                value = Fraction(election.projects[pid].cost)
            elif satisfaction == "cardinality":
                value = Fraction(1)
            elif satisfaction == "cardinal":
                value = Fraction(ballot.points[position])
            else:  # borda
                value = Fraction(len(ballot.projects) - 1 - position)
            if value > 0:
                sats[pid] = value
        voters += [sats] * count
    return voters


def naive_mes(election, satisfaction, per_voter, tie_key):
    voters = voter_sats(election, satisfaction)
    cost = {pid: Fraction(p.cost) for pid, p in election.projects.items()}
    total = {pid: sum(v.get(pid, 0) for v in voters) for pid in cost}
    selected = [pid for pid in cost if cost[pid] == 0 and total[pid] > 0]
    remaining = {pid for pid in cost if cost[pid] > 0 and total[pid] > 0}
    money = [Fraction(per_voter)] * len(voters)
    while True:
        prices = {}
        for pid in remaining:
            supporters = [i for i, v in enumerate(voters) if pid in v]
            if sum(money[i] for i in supporters) < cost[pid]:
                continue
            supporters.sort(key=lambda i, pid=pid: money[i] / voters[i][pid])
            paid, denominator = Fraction(0), sum(voters[i][pid] for i in supporters)
            for i in supporters:
                rho = (cost[pid] - paid) / denominator
                if rho * voters[i][pid] <= money[i]:
                    break
                paid += money[i]
                denominator -= voters[i][pid]
            prices[pid] = rho
        if not prices:
            return selected
        best = min(prices.values())
        chosen = min((pid for pid in prices if prices[pid] == best), key=tie_key)
        for i, v in enumerate(voters):
            if chosen in v:
                money[i] -= min(money[i], best * v[chosen])
        selected.append(chosen)
        remaining.remove(chosen)


def spent(election, selected):
    return sum(Fraction(election.projects[pid].cost) for pid in selected)


def exhaustive(election, selected, available):
    room = election.budget - spent(election, selected)
    return all(election.projects[p].cost > room for p in available if p not in selected)


def candidates(election, satisfaction):
    voters = voter_sats(election, satisfaction)
    return [pid for pid in election.projects if any(pid in v for v in voters)]


def naive_pabutools_add1(election, satisfaction, tie_key):
    n = election.num_voters
    per_voter = Fraction(election.budget) / n
    supported = [p for p in candidates(election, satisfaction) if election.projects[p].cost > 0]
    previous: list[str] = []
    while True:
        outcome = naive_mes(election, satisfaction, per_voter, tie_key)
        if spent(election, outcome) > election.budget:
            return previous
        if exhaustive(election, outcome, supported):
            return outcome
        previous = outcome
        per_voter += 1


def naive_integral_add1(election, satisfaction, tie_key, stop_when_exhaustive):
    per_voter = Fraction(math.floor(Fraction(election.budget) / election.num_voters))
    every_supported = set(candidates(election, satisfaction))
    current = naive_mes(election, satisfaction, per_voter, tie_key)
    while True:
        if stop_when_exhaustive and exhaustive(election, current, list(election.projects)):
            return current
        if set(current) >= every_supported:  # more money cannot change anything
            return current
        following = naive_mes(election, satisfaction, per_voter + 1, tie_key)
        if spent(election, following) > election.budget:
            return current
        current, per_voter = following, per_voter + 1


def naive_greedy(election, satisfaction, rank, already=()):
    voters = voter_sats(election, satisfaction)

    def density(pid):
        total = sum(v.get(pid, 0) for v in voters)
        if total <= 0:
            return Fraction(0)
        cost = election.projects[pid].cost
        return Fraction(total, 1) / cost if cost else Fraction(10**30)

    order = sorted(election.projects, key=lambda pid: (-density(pid), rank(pid)))
    chosen = list(already)
    for pid in order:
        if pid not in chosen and spent(election, chosen) + election.projects[pid].cost <= (
            election.budget
        ):
            chosen.append(pid)
    return chosen


def naive_city_greedy(election, rank):
    totals = election.votes() if election.vote_type == "approval" else election.scores()
    order = sorted(election.projects, key=lambda pid: (-totals[pid], rank(pid)))
    chosen = []
    for pid in order:
        if spent(election, chosen) + election.projects[pid].cost <= election.budget:
            chosen.append(pid)
    return chosen


def naive_tally(election, rule, tie_breaking):
    spec = RULES[rule]
    order = tie_breaking or spec.tie_breaking
    ids = list(election.projects)
    rank = sorted(ids).index if order == "lexico" else ids.index
    if spec.family == "city_greedy":
        return sorted(naive_city_greedy(election, rank))
    if spec.family == "greedy":
        return sorted(naive_greedy(election, spec.satisfaction, rank))
    if spec.add1 in ("eqnet", "pabulib"):
        votes = election.votes()

        def tie_key(pid):
            return (election.projects[pid].cost, -votes[pid], rank(pid))

        outcome = naive_integral_add1(election, spec.satisfaction, tie_key, spec.add1 == "eqnet")
    elif spec.add1 == "pabutools":
        outcome = naive_pabutools_add1(election, spec.satisfaction, rank)
    else:
        outcome = naive_mes(
            election, spec.satisfaction, election.budget / election.num_voters, rank
        )
    if spec.completion and not exhaustive(election, outcome, ids):
        outcome = naive_greedy(election, spec.completion, rank, outcome)
    return sorted(outcome)


# --- random small elections ------------------------------------------------------------------


def random_election(rng: random.Random, vote_type: str) -> Election:
    count = rng.randint(2, 6)
    ids = rng.sample(["1", "2", "9", "10", "11", "a", "B", "b"], count)
    projects = {pid: Project(pid, rng.choice([0, 1, 2, 2, 3, 4, 5, 6, 8])) for pid in ids}
    ballots: dict[Ballot, int] = {}
    for _ in range(rng.randint(1, 9)):
        listed = rng.sample(ids, rng.randint(0, min(4, count)))
        if vote_type == "approval":
            listed.sort(key=ids.index)
            ballot = Ballot(tuple(listed))
        elif vote_type == "cumulative":
            ballot = Ballot(tuple(listed), tuple(rng.randint(0, 5) for _ in listed))
        else:
            ballot = Ballot(tuple(listed))
        ballots[ballot] = ballots.get(ballot, 0) + rng.randint(1, 3)
    budget = Fraction(rng.randint(1, 24), rng.choice([1, 1, 2, 4]))
    return Election({}, projects, ballots, vote_type, budget)


@pytest.mark.parametrize("vote_type", ["approval", "cumulative", "ordinal"])
@pytest.mark.parametrize("seed", range(40))
def test_fast_rules_match_naive_reading(vote_type, seed):
    rng = random.Random(f"{vote_type}-{seed}")
    for _ in range(4):
        election = random_election(rng, vote_type)
        for rule in rule_names(vote_type):
            for tie_breaking in (None, "file_order"):
                expected = naive_tally(election, rule, tie_breaking)
                got = tally(election, rule, tie_breaking=tie_breaking)
                assert got == expected, (rule, tie_breaking, election)
