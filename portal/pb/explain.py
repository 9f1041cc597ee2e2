"""Why each project was or was not funded: plain dataclasses for the results page.

* Greedy rules: each project's rank, the value it was ranked by, the money left when its turn
  came, and whether it was funded or skipped because it no longer fitted.
* Equal Shares: for each funded project, its price per unit of satisfaction (rho) and what
  each group of supporters paid; for each unfunded project, how much money its supporters still
  had at the end, the shortfall, and how many extra supporters holding a full share would have
  covered it. A greedy completion, if the rule has one, is explained as a greedy pass.

Amounts are exact (``int`` or ``Fraction``) in the election's money; :func:`to_jsonable` turns
any of these objects into JSON-ready data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from portal.pb.model import Election, Money, exact, money_text
from portal.pb.prepared import Prepared, prepare, sat_view
from portal.pb.rules import GreedyStep, Outcome, run_rule

__all__ = [
    "Comparison",
    "GreedyExplanation",
    "GreedyLine",
    "Payment",
    "SharesExplanation",
    "SharesFunded",
    "SharesUnfunded",
    "compare",
    "explain",
    "to_jsonable",
]


@dataclass(frozen=True)
class GreedyLine:
    """One project as a greedy pass met it."""

    project_id: str
    rank: int  # 1-based position in the order the rule walks
    value: Money | float  # what the order is by: votes, score or satisfaction per unit of cost
    votes: int
    cost: Money
    money_left_before: Money
    funded: bool
    money_left_after: Money

    @property
    def reason(self) -> str:
        return "funded" if self.funded else "does_not_fit"


@dataclass(frozen=True)
class GreedyExplanation:
    """A greedy pass: the projects in the order the rule considered them."""

    rule: str
    ranked_by: str
    budget: Money
    lines: tuple[GreedyLine, ...]
    selected: tuple[str, ...]
    money_left: Money
    kind: str = "greedy"


@dataclass(frozen=True)
class Payment:
    """``voters`` supporters each paid ``amount``; together ``total``."""

    amount: Fraction | int
    voters: int
    total: Fraction | int


@dataclass(frozen=True)
class SharesFunded:
    """A project bought by Equal Shares and who paid for it."""

    project_id: str
    round: int  # 1-based; 0 for a free project bought before the rounds
    cost: Money
    rho: Fraction | int  # price per unit of satisfaction
    supporters: int
    payments: tuple[Payment, ...]  # largest payment first
    total_paid: Fraction | int  # equals ``cost``
    voters_exhausted: int  # supporters left with nothing after paying


@dataclass(frozen=True)
class SharesUnfunded:
    """A project Equal Shares did not buy, and by how much it missed.

    ``money_left`` is what its supporters still held when Equal Shares stopped;
    ``extra_supporters_needed`` counts additional voters holding an untouched share
    (``per_voter_budget``) who would have covered the ``shortfall``.
    """

    project_id: str
    cost: Money
    supporters: int
    money_left: Fraction | int
    shortfall: Fraction | int
    extra_supporters_needed: int | None
    funded_by_completion: bool
    reason: str  # "no_supporters" | "not_enough_money"


@dataclass(frozen=True)
class SharesExplanation:
    """Equal Shares (possibly iterated by Add1, possibly completed by greedy)."""

    rule: str
    satisfaction: str
    budget: Money
    num_voters: int
    per_voter_budget: Fraction | int  # each voter's share in the run that decided
    funded: tuple[SharesFunded, ...]
    unfunded: tuple[SharesUnfunded, ...]
    completion: GreedyExplanation | None
    selected: tuple[str, ...]
    spent: Money
    kind: str = "equal_shares"


@dataclass(frozen=True)
class Comparison:
    """How outcome ``b`` differs from outcome ``a`` (ids in plain string order)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]


def compare(outcome_a: Iterable[str], outcome_b: Iterable[str]) -> Comparison:
    """Projects funded by ``outcome_b`` but not ``outcome_a`` (added), and the reverse."""
    a, b = set(outcome_a), set(outcome_b)
    return Comparison(tuple(sorted(b - a)), tuple(sorted(a - b)), tuple(sorted(a & b)))


def explain(
    election: Election, rule_name: str, *, tie_breaking: str | None = None
) -> GreedyExplanation | SharesExplanation:
    """Explain the outcome of ``rule_name`` (see :func:`portal.pb.rules.run_rule`)."""
    outcome = run_rule(election, rule_name, tie_breaking=tie_breaking, record=True)
    prep = prepare(election)
    if outcome.mes is None:
        return _greedy_explanation(election, prep, outcome, outcome.greedy_steps)
    return _shares_explanation(election, prep, outcome)


def _money(prep: Prepared, scaled: int | Fraction) -> Money:
    return exact(prep.to_money(scaled))


_RANKED_BY = {"votes": "votes", "score": "score"}


def _greedy_explanation(
    election: Election, prep: Prepared, outcome: Outcome, steps: list[GreedyStep]
) -> GreedyExplanation:
    spec = outcome.rule
    ranked_by = _RANKED_BY.get(spec.satisfaction, "satisfaction per unit of cost")
    if spec.family == "mes":
        ranked_by = "satisfaction per unit of cost"
    lines = []
    for rank, step in enumerate(steps, start=1):
        cost = prep.costs[step.project]
        after = step.money_before - cost if step.funded else step.money_before
        lines.append(
            GreedyLine(
                project_id=prep.ids[step.project],
                rank=rank,
                value=step.value,
                votes=prep.votes[step.project],
                cost=_money(prep, cost),
                money_left_before=_money(prep, step.money_before),
                funded=step.funded,
                money_left_after=_money(prep, after),
            )
        )
    funded = tuple(line.project_id for line in lines if line.funded)
    money_left = lines[-1].money_left_after if lines else election.budget
    return GreedyExplanation(
        spec.name, ranked_by, election.budget, tuple(lines), funded, money_left
    )


def _shares_explanation(election: Election, prep: Prepared, outcome: Outcome) -> SharesExplanation:
    spec = outcome.rule
    view = sat_view(election, spec.satisfaction)
    run = outcome.mes
    assert run is not None and run.final_budgets is not None
    funded = [
        SharesFunded(prep.ids[p], 0, _money(prep, 0), 0, prep.votes[p], (), 0, 0) for p in view.free
    ]
    for number, purchase in enumerate(run.purchases, start=1):
        payments = tuple(
            Payment(_money(prep, amount), voters, _money(prep, amount * voters))
            for amount, voters in sorted(purchase.payments.items(), reverse=True)
        )
        funded.append(
            SharesFunded(
                project_id=prep.ids[purchase.project],
                round=number,
                cost=_money(prep, prep.costs[purchase.project]),
                rho=exact(purchase.rho * view.sat_scale / prep.money_scale),
                supporters=view.weight[purchase.project],
                payments=payments,
                total_paid=exact(sum((p.total for p in payments), Fraction(0))),
                voters_exhausted=purchase.exhausted,
            )
        )
    completion = None
    completed: set[str] = set()
    if outcome.greedy_steps:
        completion = _greedy_explanation(election, prep, outcome, outcome.greedy_steps)
        completed = set(completion.selected)
    bought = set(run.selected)
    unfunded = [
        _unfunded(prep, view.supporters[p], view.weight[p], p, run, prep.ids[p] in completed)
        for p in range(len(prep.ids))
        if p not in bought
    ]
    spent = sum(election.projects[pid].cost for pid in outcome.selected)
    return SharesExplanation(
        rule=spec.name,
        satisfaction=spec.satisfaction,
        budget=election.budget,
        num_voters=prep.num_voters,
        per_voter_budget=_money(prep, run.per_voter),
        funded=tuple(funded),
        unfunded=tuple(unfunded),
        completion=completion,
        selected=tuple(outcome.selected),
        spent=exact(spent),
    )


def _unfunded(
    prep: Prepared,
    supporters: tuple[int, ...],
    weight: int,
    p: int,
    run: Any,
    by_completion: bool,
) -> SharesUnfunded:
    left = sum((run.final_budgets[g] * prep.multiplicity[g] for g in supporters), Fraction(0))
    shortfall = max(Fraction(prep.costs[p]) - left, Fraction(0))
    share = run.per_voter
    extra = math.ceil(shortfall / share) if share > 0 else None
    return SharesUnfunded(
        project_id=prep.ids[p],
        cost=_money(prep, prep.costs[p]),
        supporters=weight,
        money_left=_money(prep, left),
        shortfall=_money(prep, shortfall),
        extra_supporters_needed=extra,
        funded_by_completion=by_completion,
        reason="no_supporters" if not supporters else "not_enough_money",
    )


def to_jsonable(value: Any) -> Any:
    """Turn explanation objects into JSON-ready data.

    Exact amounts become decimal strings when they have a finite expansion (``"12.5"``) and
    ``"p/q"`` strings otherwise, so nothing is rounded; ``inf`` becomes ``"inf"``.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, GreedyLine):
            data["reason"] = value.reason
        return data
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Fraction):
        try:
            return money_text(value)
        except ValueError:
            return f"{value.numerator}/{value.denominator}"
    if isinstance(value, float):
        return "inf" if math.isinf(value) else value
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
