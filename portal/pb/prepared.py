"""An integer view of an election that the rules compute on.

Every amount of money is multiplied by one common factor (``money_scale``) so that the budget and
all costs are integers, and every satisfaction is an integer too. Scaling money and
satisfaction by constants changes no outcome (the rules compare ratios), and integers are much
faster than ``Fraction`` in the inner loops. Views are cached on the election.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from operator import itemgetter

from portal.pb.model import Election

SATISFACTIONS = ("cost", "cardinality", "cardinal", "borda")
"""pabutools' Cost_Sat, Cardinality_Sat, Additive_Cardinal_Sat and Additive_Borda_Sat."""


@dataclass(frozen=True)
class Prepared:
    """Projects by index (file order) and ballot groups (distinct ballots with their counts)."""

    ids: tuple[str, ...]
    costs: tuple[int, ...]
    budget: int
    money_scale: int
    num_voters: int
    multiplicity: tuple[int, ...]
    group_projects: tuple[tuple[int, ...], ...]
    group_points: tuple[tuple[Fraction | int, ...], ...]
    votes: tuple[int, ...]
    lexico_rank: tuple[int, ...]

    def to_money(self, scaled: int | Fraction) -> Fraction:
        """Convert a scaled amount back to the election's own money units."""
        return Fraction(scaled) / self.money_scale


@dataclass(frozen=True)
class SatView:
    """Who supports each project and how much satisfaction they get, as integers.

    A project's supporters are the ballot groups with positive satisfaction. ``sats[p]`` is
    ``None`` when every supporter gets the same satisfaction ``unit[p]`` (always true for cost
    and cardinality satisfaction), which allows a faster exact computation.
    """

    name: str
    sat_scale: int
    supporters: tuple[tuple[int, ...], ...]
    sats: tuple[tuple[int, ...] | None, ...]
    unit: tuple[int, ...]
    weight: tuple[int, ...]
    total: tuple[int, ...]
    sat_gcd: tuple[int, ...]
    candidates: tuple[int, ...]
    free: tuple[int, ...]
    gather_voters: tuple[Callable[[Sequence[int]], tuple[int, ...]], ...]
    voter_sats: tuple[tuple[int, ...] | None, ...]
    gather_single: tuple[Callable[[Sequence[int]], tuple[int, ...]], ...]
    crowds: tuple[tuple[tuple[int, int], ...], ...]


def prepare(election: Election) -> Prepared:
    """Return the cached integer view of ``election``."""
    cached = election._cache.get("prepared")
    if cached is None:
        cached = _build_prepared(election)
        election._cache["prepared"] = cached
    return cached


def _denominator(value: int | Fraction) -> int:
    return value.denominator if isinstance(value, Fraction) else 1


def _build_prepared(election: Election) -> Prepared:
    ids = tuple(election.projects)
    index = {project_id: i for i, project_id in enumerate(ids)}
    raw_costs = [election.projects[project_id].cost for project_id in ids]
    scale = lcm(_denominator(election.budget), *(_denominator(c) for c in raw_costs))
    costs = tuple(int(cost * scale) for cost in raw_costs)
    multiplicity = tuple(election.ballots.values())
    group_projects = tuple(
        tuple(index[project_id] for project_id in ballot.projects) for ballot in election.ballots
    )
    votes = [0] * len(ids)
    for members, count in zip(group_projects, multiplicity, strict=True):
        for p in members:
            votes[p] += count
    lexico = sorted(range(len(ids)), key=ids.__getitem__)
    lexico_rank = [0] * len(ids)
    for rank, p in enumerate(lexico):
        lexico_rank[p] = rank
    return Prepared(
        ids=ids,
        costs=costs,
        budget=int(election.budget * scale),
        money_scale=scale,
        num_voters=sum(multiplicity),
        multiplicity=multiplicity,
        group_projects=group_projects,
        group_points=tuple(ballot.points for ballot in election.ballots),
        votes=tuple(votes),
        lexico_rank=tuple(lexico_rank),
    )


def sat_view(election: Election, satisfaction: str) -> SatView:
    """Return the cached satisfaction view of ``election`` for one of :data:`SATISFACTIONS`."""
    key = ("sat", satisfaction)
    cached = election._cache.get(key)
    if cached is None:
        cached = _build_sat_view(prepare(election), satisfaction)
        election._cache[key] = cached
    return cached


def _group_sats(prep: Prepared, satisfaction: str) -> tuple[list[list[int]], int]:
    """Per group, the integer satisfaction of each listed project, and the scale used."""
    if satisfaction == "cost":
        return [[prep.costs[p] for p in members] for members in prep.group_projects], (
            prep.money_scale
        )
    if satisfaction == "cardinality":
        return [[1] * len(members) for members in prep.group_projects], 1
    if satisfaction == "borda":
        return [
            [len(members) - 1 - position for position in range(len(members))]
            for members in prep.group_projects
        ], 1
    if satisfaction == "cardinal":
        scale = lcm(1, *(_denominator(v) for points in prep.group_points for v in points))
        return [[int(v * scale) for v in points] for points in prep.group_points], scale
    raise ValueError(f"unknown satisfaction {satisfaction!r}")


def _build_sat_view(prep: Prepared, satisfaction: str) -> SatView:
    group_sats, sat_scale = _group_sats(prep, satisfaction)
    count = len(prep.ids)
    members: list[list[int]] = [[] for _ in range(count)]
    sats: list[list[int]] = [[] for _ in range(count)]
    for g, (projects, values) in enumerate(zip(prep.group_projects, group_sats, strict=True)):
        for p, value in zip(projects, values, strict=True):
            if value > 0:
                members[p].append(g)
                sats[p].append(value)
    mult = prep.multiplicity
    view_sats: list[tuple[int, ...] | None] = []
    unit, weight, total, sat_gcd = [], [], [], []
    for p in range(count):
        values = sats[p]
        counts = [mult[g] for g in members[p]]
        uniform = len(set(values)) <= 1
        view_sats.append(None if uniform else tuple(values))
        unit.append(values[0] if uniform and values else 0)
        weight.append(sum(counts))
        total.append(sum(c * v for c, v in zip(counts, values, strict=True)))
        sat_gcd.append(gcd(*values) if values else 0)
    candidates = tuple(p for p in range(count) if total[p] > 0 and prep.costs[p] > 0)
    free = tuple(p for p in range(count) if total[p] > 0 and prep.costs[p] == 0)
    # The supporter lists with every group repeated once per voter, so that counting classes
    # (or class and satisfaction pairs) among them in C directly gives numbers of voters.
    voter_members: list[list[int]] = []
    voter_sats: list[tuple[int, ...] | None] = []
    for p in range(count):
        if view_sats[p] is None:
            voter_members.append([])
            voter_sats.append(None)
            continue
        if all(mult[g] == 1 for g in members[p]):
            voter_members.append(members[p])
            voter_sats.append(None if view_sats[p] is None else tuple(sats[p]))
            continue
        pairs = zip(members[p], sats[p], strict=True)
        expanded = [(g, v) for g, v in pairs for _ in range(mult[g])]
        voter_members.append([g for g, _ in expanded])
        voter_sats.append(None if view_sats[p] is None else tuple(v for _, v in expanded))
    # Equal satisfaction: groups of one voter are counted in C, larger groups one by one.
    singles = [[g for g in m if mult[g] == 1] for m in members]
    crowds = [tuple((g, mult[g]) for g in m if mult[g] > 1) for m in members]
    return SatView(
        gather_single=tuple(_gatherer(m) for m in singles),
        crowds=tuple(crowds),
        gather_voters=tuple(_gatherer(m) for m in voter_members),
        voter_sats=tuple(voter_sats),
        name=satisfaction,
        sat_scale=sat_scale,
        supporters=tuple(tuple(m) for m in members),
        sats=tuple(view_sats),
        unit=tuple(unit),
        weight=tuple(weight),
        total=tuple(total),
        sat_gcd=tuple(sat_gcd),
        candidates=candidates,
        free=free,
    )


def _gatherer(members: Sequence[int]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    """A C-speed ``lambda values: tuple(values[g] for g in members)``."""
    if len(members) == 1:
        only = members[0]
        return lambda values: (values[only],)
    if not members:
        return lambda values: ()
    return itemgetter(*members)
