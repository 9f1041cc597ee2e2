"""Ballot rules for the portal's four ballot kinds, ballot fingerprints, and tallying them.

Ballot kinds and their choices:

* ``knapsack``: a set of project ids whose total cost fits the budget, optionally spending at
  least a share of it; counted as approval ballots.
* ``approval``: a set of project ids, between a minimum and a maximum number, optionally
  under a cap on their total cost.
* ``cumulative``: a mapping project id -> whole points, at most N in total and M per project.
* ``ranked``: an ordered list of project ids, most preferred first, at most K of them.

Validation raises a :class:`BallotRuleError` subclass whose ``rule`` is a stable machine code
(for forms and the JSON API) and whose message is for people.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from portal.pb.model import Ballot, Election, Money, Project, exact, money_text

__all__ = [
    "BALLOT_KINDS",
    "ApprovalRules",
    "BallotRuleError",
    "CumulativeRules",
    "KnapsackRules",
    "RankedRules",
    "ballot_fingerprint",
    "canonical_choices",
    "election_from_ballots",
    "new_receipt_salt",
    "validate_ballot",
]

BALLOT_KINDS = ("knapsack", "approval", "cumulative", "ranked")
_VOTE_TYPE = {
    "knapsack": "approval",
    "approval": "approval",
    "cumulative": "cumulative",
    "ranked": "ordinal",
}


class BallotRuleError(ValueError):
    """A ballot that breaks a rule. ``rule`` is a machine code, the message is for people."""

    rule = "invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class OverBudget(BallotRuleError):
    rule = "over_budget"


class MinSpend(BallotRuleError):
    rule = "min_spend"


class OverCostCap(BallotRuleError):
    rule = "over_cost_cap"


class TooFew(BallotRuleError):
    rule = "too_few"


class TooMany(BallotRuleError):
    rule = "too_many"


class PointsTotal(BallotRuleError):
    rule = "points_total"


class PointsPerProject(BallotRuleError):
    rule = "points_per_project"


class PointsInvalid(BallotRuleError):
    rule = "points_invalid"


class Duplicate(BallotRuleError):
    rule = "duplicate"


class UnknownProject(BallotRuleError):
    rule = "unknown_project"


class TooManyRanked(BallotRuleError):
    rule = "too_many_ranked"


@dataclass(frozen=True)
class KnapsackRules:
    """Total cost at most ``budget``; at least ``min_spend_share`` of it (0 = no minimum)."""

    budget: Money
    min_spend_share: Fraction | int = 0


@dataclass(frozen=True)
class ApprovalRules:
    """Between ``min_projects`` and ``max_projects`` (None = no maximum) projects.

    ``max_cost`` optionally caps the total cost of the approved projects.
    """

    min_projects: int = 1
    max_projects: int | None = None
    max_cost: Money | None = None


@dataclass(frozen=True)
class CumulativeRules:
    """At most ``total_points`` points, at most ``max_per_project`` on one project.

    With ``exact_total`` a voter must hand out all of them.
    """

    total_points: int
    max_per_project: int | None = None
    exact_total: bool = False


@dataclass(frozen=True)
class RankedRules:
    """Rank between ``min_ranked`` and ``max_ranked`` projects."""

    max_ranked: int
    min_ranked: int = 1


Rules = KnapsackRules | ApprovalRules | CumulativeRules | RankedRules


def _known(choices: Iterable[str], costs: Mapping[str, Money]) -> list[str]:
    """The choices as a list, rejecting unknown ids and repeats."""
    listed = list(choices)
    for project_id in listed:
        if project_id not in costs:
            raise UnknownProject(f"Unknown project {project_id!r}.", project=project_id)
    seen: set[str] = set()
    for project_id in listed:
        if project_id in seen:
            raise Duplicate(f"Project {project_id!r} is chosen twice.", project=project_id)
        seen.add(project_id)
    return listed


def _validate_knapsack(
    choices: Iterable[str], costs: Mapping[str, Money], rules: KnapsackRules
) -> tuple[str, ...]:
    listed = _known(choices, costs)
    total = sum((costs[p] for p in listed), 0)
    if total > rules.budget:
        raise OverBudget(
            f"The chosen projects cost {money_text(total)}, more than the budget of "
            f"{money_text(rules.budget)}.",
            total=total,
            budget=rules.budget,
        )
    minimum = rules.budget * Fraction(rules.min_spend_share)
    if total < minimum:
        raise MinSpend(
            f"The chosen projects cost {money_text(total)}; spend at least "
            f"{money_text(exact(minimum))}.",
            total=total,
            minimum=exact(minimum),
        )
    return tuple(listed)


def _validate_approval(
    choices: Iterable[str], costs: Mapping[str, Money], rules: ApprovalRules
) -> tuple[str, ...]:
    listed = _known(choices, costs)
    if len(listed) < rules.min_projects:
        raise TooFew(
            f"Choose at least {rules.min_projects} project(s).", minimum=rules.min_projects
        )
    if rules.max_projects is not None and len(listed) > rules.max_projects:
        raise TooMany(
            f"Choose at most {rules.max_projects} project(s).", maximum=rules.max_projects
        )
    total = sum((costs[p] for p in listed), 0)
    if rules.max_cost is not None and total > rules.max_cost:
        raise OverCostCap(
            f"The chosen projects cost {money_text(total)}, more than the allowed "
            f"{money_text(rules.max_cost)}.",
            total=total,
            maximum=rules.max_cost,
        )
    return tuple(listed)


def _validate_cumulative(
    choices: Mapping[str, int], costs: Mapping[str, Money], rules: CumulativeRules
) -> dict[str, int]:
    _known(choices, costs)
    for project_id, points in choices.items():
        if isinstance(points, bool) or not isinstance(points, int) or points < 0:
            raise PointsInvalid(
                f"Points for {project_id!r} must be a whole number of at least 0.",
                project=project_id,
            )
        if rules.max_per_project is not None and points > rules.max_per_project:
            raise PointsPerProject(
                f"At most {rules.max_per_project} points may go to one project.",
                project=project_id,
                maximum=rules.max_per_project,
            )
    total = sum(choices.values())
    if total > rules.total_points or (rules.exact_total and total != rules.total_points):
        wanted = "exactly" if rules.exact_total else "at most"
        raise PointsTotal(
            f"{total} points given; hand out {wanted} {rules.total_points}.",
            total=total,
            allowed=rules.total_points,
        )
    if total == 0:
        raise TooFew("Give points to at least one project.", minimum=1)
    return {project_id: points for project_id, points in choices.items() if points > 0}


def _validate_ranked(
    choices: Sequence[str], costs: Mapping[str, Money], rules: RankedRules
) -> tuple[str, ...]:
    listed = _known(choices, costs)
    if len(listed) > rules.max_ranked:
        raise TooManyRanked(
            f"Rank at most {rules.max_ranked} project(s).", maximum=rules.max_ranked
        )
    if len(listed) < rules.min_ranked:
        raise TooFew(f"Rank at least {rules.min_ranked} project(s).", minimum=rules.min_ranked)
    return tuple(listed)


def validate_ballot(
    kind: str, choices: Any, costs: Mapping[str, Money], rules: Rules
) -> tuple[str, ...] | dict[str, int]:
    """Check one ballot; return its choices in canonical form or raise :class:`BallotRuleError`.

    ``costs`` maps every project id on the ballot paper to its cost. ``choices`` is an iterable
    of ids (knapsack, approval), a mapping id -> points (cumulative) or a sequence of ids, most
    preferred first (ranked). Cumulative ballots come back without zero-point entries.
    """
    validators: dict[str, tuple[type, Any]] = {
        "knapsack": (KnapsackRules, _validate_knapsack),
        "approval": (ApprovalRules, _validate_approval),
        "cumulative": (CumulativeRules, _validate_cumulative),
        "ranked": (RankedRules, _validate_ranked),
    }
    if kind not in validators:
        raise ValueError(f"unknown ballot kind {kind!r}; valid: {', '.join(BALLOT_KINDS)}")
    rules_type, validate = validators[kind]
    if not isinstance(rules, rules_type):
        raise TypeError(f"{kind} ballots need {rules_type.__name__}, got {type(rules).__name__}")
    return validate(choices, costs, rules)


# --- fingerprints ---------------------------------------------------------------------------


def canonical_choices(kind: str, choices: Any) -> list[Any]:
    """Choices in a canonical, order-independent form where order has no meaning.

    Sets (knapsack, approval) become sorted ids; cumulative ballots sorted ``[id, points]``
    pairs without zero points; rankings keep their order.
    """
    if kind in ("knapsack", "approval"):
        return sorted(set(choices))
    if kind == "cumulative":
        return [[pid, int(points)] for pid, points in sorted(choices.items()) if points]
    if kind == "ranked":
        return list(choices)
    raise ValueError(f"unknown ballot kind {kind!r}; valid: {', '.join(BALLOT_KINDS)}")


def new_receipt_salt() -> str:
    """A fresh random salt (32 hex digits) to store with a ballot and give to the voter."""
    return secrets.token_hex(16)


def ballot_fingerprint(budget_id: str | int, kind: str, choices: Any, salt: str) -> str:
    """SHA-256 hex digest identifying a ballot without revealing it.

    The digest covers the UTF-8 bytes of the compact JSON array
    ``["pb-ballot-v1", str(budget_id), kind, canonical_choices(kind, choices), salt]``
    (``separators=(",", ":")``, ``ensure_ascii=False``). The same inputs always give the same
    digest; the secret random ``salt`` stops anyone from guessing a ballot from its digest.
    """
    if not salt:
        raise ValueError("a fingerprint needs a non-empty salt")
    payload = ["pb-ballot-v1", str(budget_id), kind, canonical_choices(kind, choices), salt]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- tallying portal ballots ------------------------------------------------------------------


def election_from_ballots(
    kind: str,
    projects: Mapping[str, Money] | Iterable[Project],
    budget: Money,
    ballots: Iterable[Any],
    *,
    meta: Mapping[str, str] | None = None,
) -> Election:
    """Build an :class:`Election` from portal ballots so the same rules can tally them.

    ``projects`` is a mapping id -> cost (or :class:`Project` objects), in display order.
    Each ballot has the form :func:`validate_ballot` takes; ballots are not re-validated
    against the ballot rules, but unknown and repeated project ids are rejected. Knapsack and
    approval ballots become approval votes, cumulative stay cumulative, ranked become ordinal.
    """
    if kind not in _VOTE_TYPE:
        raise ValueError(f"unknown ballot kind {kind!r}; valid: {', '.join(BALLOT_KINDS)}")
    if isinstance(projects, Mapping):
        table = {str(pid): Project(str(pid), exact(cost)) for pid, cost in projects.items()}
    else:
        table = {p.id: p for p in projects}
    order = {pid: i for i, pid in enumerate(table)}
    costs = {pid: p.cost for pid, p in table.items()}
    counted: dict[Ballot, int] = {}
    for choices in ballots:
        ballot = _to_ballot(kind, choices, costs, order)
        counted[ballot] = counted.get(ballot, 0) + 1
    vote_type = _VOTE_TYPE[kind]
    info = {
        "description": "Ballots cast on the portal",
        "country": "Worldwide",
        "unit": "Portal",
        "instance": "portal",
        "rule": "unknown",
    }
    info.update(meta or {})
    info.update(
        {
            "num_projects": str(len(table)),
            "num_votes": str(sum(counted.values())),
            "budget": money_text(exact(budget)),
            "vote_type": vote_type,
        }
    )
    return Election(
        meta=info,
        projects=table,
        ballots=counted,
        vote_type=vote_type,
        budget=exact(budget),
        project_columns=("project_id", "cost", *_extra_columns(table)),
    )


def _extra_columns(table: Mapping[str, Project]) -> list[str]:
    columns: list[str] = []
    for project in table.values():
        columns += [c for c in project.extra if c not in columns]
    return columns


def _to_ballot(
    kind: str, choices: Any, costs: Mapping[str, Money], order: Mapping[str, int]
) -> Ballot:
    if kind == "cumulative":
        _known(choices, costs)
        listed = [(pid, exact(Fraction(points))) for pid, points in choices.items() if points]
        listed.sort(key=lambda item: (-item[1], order[item[0]]))
        return Ballot(tuple(pid for pid, _ in listed), tuple(pts for _, pts in listed))
    listed = _known(choices, costs)
    if kind == "ranked":
        return Ballot(tuple(listed))
    return Ballot(tuple(sorted(listed, key=order.__getitem__)))
