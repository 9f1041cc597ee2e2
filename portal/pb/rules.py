"""Participatory-budgeting rules by the names of FORMAT.md §9.1, and :func:`tally`.

Three families:

* city greedy (``greedy_votes``, ``greedy_points``, ``greedy_score`` and ``*_file_order``):
  rank by votes or score, fund whatever still fits, skip the rest;
* pabutools' greedy welfare (``greedy_<satisfaction>``): rank by total satisfaction / cost;
* the Method of Equal Shares (``mes_<satisfaction>``), optionally iterated ("Add1") and
  completed by greedy.

Everything is exact. Ties are broken by an explicit, configurable order: ``"lexico"``
(project ids in plain string order, as pabutools) or ``"file_order"`` (PROJECTS row order, as
the Pabulib validator's stable sort). The equalshares.net variants first prefer the cheaper,
then the more approved project, and only then use that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from portal.pb.equal_shares import (
    MesRun,
    TieKey,
    is_exhaustive,
    mes_integral_add1,
    mes_pabutools_add1,
    mes_run,
    total_cost,
)
from portal.pb.model import Election, Money
from portal.pb.prepared import Prepared, prepare, sat_view

__all__ = [
    "TIE_BREAKINGS",
    "GreedyStep",
    "Outcome",
    "RuleSpec",
    "UnknownRuleError",
    "rule_names",
    "rule_spec",
    "run_rule",
    "tally",
]

TIE_BREAKINGS = ("lexico", "file_order")

APPROVAL = ("approval", "choose-1")
CUMULATIVE = ("cumulative",)
ORDINAL = ("ordinal",)
SCORING = ("scoring",)


@dataclass(frozen=True)
class RuleSpec:
    """How one named rule is computed."""

    name: str
    vote_types: tuple[str, ...]
    family: str  # "city_greedy" | "greedy" | "mes"
    satisfaction: str  # city greedy: "votes" | "score"; otherwise a prepared.SATISFACTIONS name
    add1: str | None = None  # None | "pabutools" | "eqnet" | "pabulib"
    completion: str | None = None  # satisfaction of the greedy completion, if any
    tie_breaking: str = "lexico"
    summary: str = ""


def _specs() -> list[RuleSpec]:
    city = "fund projects in order of {0}, skipping those that no longer fit"
    specs = [
        RuleSpec("greedy_votes", APPROVAL, "city_greedy", "votes", summary=city.format("votes")),
        RuleSpec(
            "greedy_votes_file_order",
            APPROVAL,
            "city_greedy",
            "votes",
            tie_breaking="file_order",
            summary=city.format("votes") + "; ties in file order",
        ),
        RuleSpec(
            "greedy_points",
            CUMULATIVE + SCORING,
            "city_greedy",
            "score",
            summary=city.format("points"),
        ),
        RuleSpec(
            "greedy_points_file_order",
            CUMULATIVE + SCORING,
            "city_greedy",
            "score",
            tie_breaking="file_order",
            summary=city.format("points") + "; ties in file order",
        ),
        RuleSpec("greedy_score", ORDINAL, "city_greedy", "score", summary=city.format("score")),
        RuleSpec(
            "greedy_score_file_order",
            ORDINAL,
            "city_greedy",
            "score",
            tie_breaking="file_order",
            summary=city.format("score") + "; ties in file order",
        ),
    ]
    welfare = "greedy by total {0} satisfaction per unit of cost"
    specs += [
        RuleSpec(
            "greedy_cost_sat",
            APPROVAL + CUMULATIVE + ORDINAL,
            "greedy",
            "cost",
            summary=welfare.format("cost"),
        ),
        RuleSpec(
            "greedy_cardinality_sat",
            APPROVAL,
            "greedy",
            "cardinality",
            summary=welfare.format("cardinality"),
        ),
        RuleSpec(
            "greedy_additive_cardinal_sat",
            CUMULATIVE,
            "greedy",
            "cardinal",
            summary=welfare.format("points"),
        ),
        RuleSpec(
            "greedy_additive_borda_sat",
            ORDINAL,
            "greedy",
            "borda",
            summary=welfare.format("Borda"),
        ),
    ]
    mes = "Method of Equal Shares with {0} satisfaction"
    specs += [
        RuleSpec(
            "mes_cost_sat",
            APPROVAL + CUMULATIVE + ORDINAL,
            "mes",
            "cost",
            summary=mes.format("cost"),
        ),
        RuleSpec("mes_cardinality_sat", APPROVAL, "mes", "cardinality", summary=mes.format("1")),
        RuleSpec(
            "mes_cost_sat_greedy",
            APPROVAL,
            "mes",
            "cost",
            completion="cost",
            summary=mes.format("cost") + ", completed by greedy",
        ),
        RuleSpec(
            "mes_cost_sat_add1",
            APPROVAL,
            "mes",
            "cost",
            add1="pabutools",
            summary=mes.format("cost") + ", pabutools Add1",
        ),
        RuleSpec(
            "mes_cost_sat_add1_greedy",
            APPROVAL,
            "mes",
            "cost",
            add1="pabutools",
            completion="cost",
            summary=mes.format("cost") + ", pabutools Add1, completed by greedy",
        ),
        RuleSpec(
            "mes_cost_sat_eqnet_add1",
            APPROVAL,
            "mes",
            "cost",
            add1="eqnet",
            summary=mes.format("cost") + ", equalshares.net Add1",
        ),
        RuleSpec(
            "mes_cost_sat_eqnet_add1_greedy",
            APPROVAL,
            "mes",
            "cost",
            add1="eqnet",
            completion="cost",
            summary=mes.format("cost") + ", equalshares.net Add1, completed by greedy",
        ),
        RuleSpec(
            "mes_cost_sat_pabulib_add1",
            APPROVAL,
            "mes",
            "cost",
            add1="pabulib",
            summary=mes.format("cost") + ", Pabulib validator Add1",
        ),
    ]
    for satisfaction, vote_types, label in (
        ("cardinal", CUMULATIVE, "additive_cardinal"),
        ("borda", ORDINAL, "additive_borda"),
    ):
        specs += [
            RuleSpec(
                f"mes_{label}_sat",
                vote_types,
                "mes",
                satisfaction,
                summary=mes.format(label),
            ),
            RuleSpec(
                f"mes_{label}_sat_add1",
                vote_types,
                "mes",
                satisfaction,
                add1="pabutools",
                summary=mes.format(label) + ", pabutools Add1",
            ),
            RuleSpec(
                f"mes_{label}_sat_add1_greedy",
                vote_types,
                "mes",
                satisfaction,
                add1="pabutools",
                completion=satisfaction,
                summary=mes.format(label) + ", pabutools Add1, completed by greedy",
            ),
        ]
    return specs


RULES: dict[str, RuleSpec] = {spec.name: spec for spec in _specs()}


class UnknownRuleError(ValueError):
    """A rule name that does not exist, or does not apply to the election's vote type."""

    def __init__(self, name: str, vote_type: str | None, valid: list[str]) -> None:
        self.name = name
        self.vote_type = vote_type
        self.valid = valid
        where = f" for vote type {vote_type!r}" if vote_type else ""
        problem = "does not apply" if name in RULES else "is unknown"
        super().__init__(f"rule {name!r} {problem}{where}; valid rules: {', '.join(valid)}")


def rule_names(vote_type: str | None = None) -> list[str]:
    """Names of the rules that apply to ``vote_type`` (all rules when ``None``)."""
    return [
        name for name, spec in RULES.items() if vote_type is None or vote_type in spec.vote_types
    ]


def rule_spec(name: str, vote_type: str | None = None) -> RuleSpec:
    """The spec of rule ``name``; raises :class:`UnknownRuleError` if it does not apply."""
    spec = RULES.get(name)
    if spec is None or (vote_type is not None and vote_type not in spec.vote_types):
        raise UnknownRuleError(name, vote_type, rule_names(vote_type))
    return spec


# --- outcome -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GreedyStep:
    """One project as a greedy pass met it."""

    project: int
    value: Money | float  # votes, score or satisfaction per cost (``inf`` for free projects)
    money_before: int  # scaled
    funded: bool


@dataclass
class Outcome:
    """The result of a rule, with what explanations need.

    ``selected`` lists project ids in the order they were funded; :func:`tally` sorts them.
    """

    rule: RuleSpec
    tie_breaking: str
    selected: list[str]
    mes: MesRun | None = None
    greedy_steps: list[GreedyStep] = field(default_factory=list)


def tally(election: Election, rule_name: str, *, tie_breaking: str | None = None) -> list[str]:
    """Project ids funded by ``rule_name``, sorted in plain string order (as reference.json)."""
    return sorted(run_rule(election, rule_name, tie_breaking=tie_breaking).selected)


def run_rule(
    election: Election,
    rule_name: str,
    *,
    tie_breaking: str | None = None,
    record: bool = False,
) -> Outcome:
    """Compute ``rule_name`` on ``election``.

    ``tie_breaking`` overrides the rule's own order (``"lexico"`` for all rules except the
    ``*_file_order`` ones). ``record`` keeps the per-round details used by explanations.
    """
    spec = rule_spec(rule_name, election.vote_type)
    order = tie_breaking or spec.tie_breaking
    if order not in TIE_BREAKINGS:
        raise ValueError(f"unknown tie-breaking {order!r}; valid: {', '.join(TIE_BREAKINGS)}")
    prep = prepare(election)
    rank = _rank(prep, order)
    if spec.family == "city_greedy":
        return _city_greedy(election, prep, spec, order, rank)
    if spec.family == "greedy":
        steps = _welfare_greedy(prep, spec.satisfaction, election, rank, [])
        selected = [prep.ids[s.project] for s in steps if s.funded]
        return Outcome(spec, order, selected, greedy_steps=steps)
    return _equal_shares(election, prep, spec, order, rank, record)


def _rank(prep: Prepared, order: str) -> list[int]:
    """Position of each project (by index) in the tie-breaking order."""
    if order == "file_order":
        return list(range(len(prep.ids)))
    return list(prep.lexico_rank)


def _greedy_pass(
    prep: Prepared, ordered: list[tuple[int, Money | float]], already: list[int]
) -> list[GreedyStep]:
    """Walk projects in order, funding each that still fits; never stop early."""
    chosen = set(already)
    money = prep.budget - total_cost(prep, already)
    steps = []
    for p, value in ordered:
        if p in chosen:
            continue
        fits = prep.costs[p] <= money
        steps.append(GreedyStep(p, value, money, fits))
        if fits:
            money -= prep.costs[p]
    return steps


def _city_greedy(
    election: Election, prep: Prepared, spec: RuleSpec, order: str, rank: list[int]
) -> Outcome:
    totals = election.votes() if spec.satisfaction == "votes" else election.scores()
    values = [totals[project_id] for project_id in prep.ids]
    ordered = sorted(range(len(prep.ids)), key=lambda p: (-values[p], rank[p]))
    steps = _greedy_pass(prep, [(p, values[p]) for p in ordered], [])
    selected = [prep.ids[s.project] for s in steps if s.funded]
    return Outcome(spec, order, selected, greedy_steps=steps)


def _welfare_greedy(
    prep: Prepared,
    satisfaction: str,
    election: Election,
    rank: list[int],
    already: list[int],
) -> list[GreedyStep]:
    """pabutools' greedy: key (-total satisfaction / cost, tie rank); free projects first."""
    view = sat_view(election, satisfaction)

    def density(p: int) -> Money | float:
        if view.total[p] <= 0:
            return 0
        if prep.costs[p] == 0:
            return float("inf")
        # Satisfaction and money are both scaled; undo it so values read naturally.
        return Fraction(view.total[p] * prep.money_scale, prep.costs[p] * view.sat_scale)

    values = [density(p) for p in range(len(prep.ids))]
    ordered = sorted(range(len(prep.ids)), key=lambda p: (-values[p], rank[p]))
    return _greedy_pass(prep, [(p, values[p]) for p in ordered], already)


def _mes_tie_key(prep: Prepared, rank: list[int], eqnet: bool) -> TieKey:
    if eqnet:
        costs, votes = prep.costs, prep.votes
        return lambda p: (costs[p], -votes[p], rank[p])
    return rank.__getitem__


_ADD1: dict[str, Callable[..., MesRun]] = {
    "pabutools": mes_pabutools_add1,
    "eqnet": lambda prep, view, key: mes_integral_add1(prep, view, key, exhaustive_stop=True),
    "pabulib": lambda prep, view, key: mes_integral_add1(prep, view, key, exhaustive_stop=False),
}


def _equal_shares(
    election: Election,
    prep: Prepared,
    spec: RuleSpec,
    order: str,
    rank: list[int],
    record: bool,
) -> Outcome:
    view = sat_view(election, spec.satisfaction)
    tie_key = _mes_tie_key(prep, rank, eqnet=spec.add1 in ("eqnet", "pabulib"))
    if spec.add1 is None:
        start = Fraction(prep.budget, prep.num_voters or 1)
        run = mes_run(prep, view, start, tie_key, record)
    else:
        run = _ADD1[spec.add1](prep, view, tie_key)
        if record:  # rerun the final budget once, keeping the details
            run = mes_run(prep, view, run.per_voter, tie_key, record=True)
    selected = list(run.selected)
    outcome = Outcome(spec, order, [prep.ids[p] for p in selected], mes=run)
    if spec.completion and not is_exhaustive(prep, selected, range(len(prep.ids))):
        steps = _welfare_greedy(prep, spec.completion, election, rank, selected)
        outcome.greedy_steps = steps
        outcome.selected += [prep.ids[s.project] for s in steps if s.funded]
    return outcome
