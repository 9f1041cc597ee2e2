"""A budget's ballot rules applied to a basket, through :func:`portal.pb.validate_ballot`.

The pure package decides whether a ballot is valid and names the broken rule with a machine
code; this module adds what the portal needs around it: the running total for the ballot page,
a translated sentence for each rule code, the count limits that knapsack and cumulative budgets
may also have, and the lighter check of a draft (maximum rules only: a basket being filled may
still be too small, but never over the budget).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from babel.numbers import format_currency
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.budgets.models import Budget, Project, minor_to_fraction
from portal.pb.ballots import (
    ApprovalRules,
    BallotRuleError,
    CumulativeRules,
    KnapsackRules,
    RankedRules,
    validate_ballot,
)


@dataclass(frozen=True)
class Violation:
    code: str  # the pure package's rule code, or "project_not_votable" / "empty_ballot"
    message: str


@dataclass
class Item:
    """One line of a basket: a project and, on cumulative ballots, its points."""

    project: Project
    points: int | None = None


@dataclass
class Tally:
    """What a basket adds up to, for the running total and the progress bar."""

    spent: int = 0  # minor units
    left: int = 0
    points_used: int = 0
    points_left: int | None = None
    count: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def over(self) -> bool:
        return self.left < 0


@functools.lru_cache(maxsize=8192)
def _formatted(amount: int | float, currency: str, locale: str) -> str:
    # Babel's formatting costs ~0.15 ms and a budget page shows hundreds of amounts, which
    # repeat from one view to the next: remembered per amount, currency and language.
    return format_currency(amount, currency, locale=locale)


def _format(amount: int | float, currency: str) -> str:
    return _formatted(amount, currency, str(get_locale() or "en"))


@functools.lru_cache(maxsize=8192)
def _minor_money(minor: int, currency: str, locale: str) -> str:
    value = minor_to_fraction(minor)
    return _formatted(value if isinstance(value, int) else float(value), currency, locale)


def money(minor: int | Fraction, currency: str) -> str:
    if isinstance(minor, int):  # cents, the usual case: remembered without exact arithmetic
        return _minor_money(minor, currency, str(get_locale() or "en"))
    value = minor / 100
    amount: Any = value if isinstance(value, int) else float(value)
    return _format(amount, currency)


def amount_money(value: Any, currency: str) -> str:
    """Format an exact amount in currency units (int, Fraction or the decimal text of pb)."""
    if isinstance(value, str):
        value = Fraction(value)
    amount: Any = value if isinstance(value, int) else float(value)
    return _format(amount, currency)


def uses_cost(budget: Budget) -> bool:
    return budget.ballot_kind == "knapsack" or (
        budget.ballot_kind == "approval" and budget.cost_limited
    )


def describe(budget: Budget) -> list[str]:
    """The rules in plain sentences, for the budget page and the ballot."""
    lines: list[str] = []
    total = money(budget.total, budget.currency)
    kind = budget.ballot_kind
    if kind == "knapsack":
        lines.append(str(_l("Choose projects whose total cost is at most %(total)s.", total=total)))
        if budget.min_spend_percent:
            lines.append(
                str(
                    _l(
                        "Your choice must spend at least %(pct)d%% of the budget (%(min)s).",
                        pct=budget.min_spend_percent,
                        min=money(budget.min_spend, budget.currency),
                    )
                )
            )
    elif kind == "approval":
        lines.append(str(_l("Approve the projects you like.")))
        if budget.cost_limited:
            lines.append(
                str(_l("Their total cost may not exceed the budget of %(total)s.", total=total))
            )
    elif kind == "cumulative":
        lines.append(
            str(
                _l(
                    "Share out %(points)d points between the projects you like.",
                    points=budget.total_points or 0,
                )
            )
        )
        if budget.max_points_per_project:
            lines.append(
                str(_l("At most %(n)d points per project.", n=budget.max_points_per_project))
            )
    else:
        lines.append(str(_l("Rank the projects you like, most preferred first.")))
    low, high = budget.min_projects, budget.max_projects
    if high is not None and low:
        lines.append(str(_l("Choose between %(min)d and %(max)d projects.", min=low, max=high)))
    elif high is not None:
        lines.append(str(_l("Choose at most %(max)d projects.", max=high)))
    elif low > 1:
        lines.append(str(_l("Choose at least %(min)d projects.", min=low)))
    return lines


def _message(budget: Budget, error: BallotRuleError, titles: dict[str, str]) -> str:
    """A translated sentence naming the broken rule."""
    d = error.details
    cur = budget.currency
    rule = error.rule
    title = titles.get(str(d.get("project", "")), str(d.get("project", "")))
    if rule == "over_budget":
        return str(
            _l(
                "Over the budget: your projects cost %(spent)s, %(over)s more than the budget "
                "of %(total)s. Remove a project to continue.",
                spent=amount_money(d["total"], cur),
                over=amount_money(d["total"] - d["budget"], cur),
                total=amount_money(d["budget"], cur),
            )
        )
    if rule == "min_spend":
        return str(
            _l(
                "Minimum spend: your projects cost %(spent)s; choose projects worth at least "
                "%(min)s (%(pct)d%% of the budget).",
                spent=amount_money(d["total"], cur),
                min=amount_money(d["minimum"], cur),
                pct=budget.min_spend_percent,
            )
        )
    if rule == "over_cost_cap":
        return str(
            _l(
                "Cost limit: your projects cost %(spent)s, more than the %(max)s allowed.",
                spent=amount_money(d["total"], cur),
                max=amount_money(d["maximum"], cur),
            )
        )
    if rule == "too_few":
        return str(_l("Too few projects: choose at least %(n)d.", n=d.get("minimum", 1)))
    if rule in ("too_many", "too_many_ranked"):
        return str(_l("Too many projects: choose at most %(n)d.", n=d.get("maximum", 0)))
    if rule == "points_total":
        return str(
            _l(
                "Too many points: you gave %(n)d points and have %(total)d to share out.",
                n=d["total"],
                total=d["allowed"],
            )
        )
    if rule == "points_per_project":
        return str(
            _l(
                "Too many points for “%(title)s”: at most %(max)d per project.",
                title=title,
                max=d["maximum"],
            )
        )
    if rule == "points_invalid":
        return str(_l("Points for “%(title)s” must be a whole number.", title=title))
    if rule == "duplicate":
        return str(_l("“%(title)s” is on your ballot twice.", title=title))
    if rule == "unknown_project":
        return str(_l("“%(title)s” is not on this ballot.", title=title))
    return error.message


def pb_rules(budget: Budget, *, draft: bool) -> tuple[Any, ApprovalRules | None]:
    """The pure package's rules for ``budget`` (minimums dropped for a draft), and the count
    limits checked as well for knapsack and cumulative ballots."""
    low = 0 if draft else budget.min_projects
    high = budget.max_projects
    counts = ApprovalRules(min_projects=low, max_projects=high) if (low or high) else None
    kind = budget.ballot_kind
    if kind == "knapsack":
        share = 0 if draft else Fraction(budget.min_spend_percent, 100)
        return KnapsackRules(budget.total_amount, share), counts
    if kind == "approval":
        cap = budget.total_amount if budget.cost_limited else None
        return ApprovalRules(min_projects=low, max_projects=high, max_cost=cap), None
    if kind == "cumulative":
        return (
            CumulativeRules(budget.total_points or 0, budget.max_points_per_project),
            counts,
        )
    return RankedRules(max_ranked=high or 10**6, min_ranked=low), None


def choices_of(budget: Budget, items: list[Item]) -> Any:
    """Basket items as the pure package's choices (project refs)."""
    if budget.ballot_kind == "cumulative":
        return {item.project.ref: item.points for item in items}
    return [item.project.ref for item in items]


def check(budget: Budget, items: list[Item], *, complete: bool) -> Tally:
    """Add up ``items`` and name the first rule they break (``complete``: also the minimum
    rules, as on check-out)."""
    tally = Tally(count=len(items))
    for item in items:
        tally.spent += item.project.cost
        tally.points_used += item.points or 0
    tally.left = budget.total - tally.spent
    if budget.ballot_kind == "cumulative":
        tally.points_left = (budget.total_points or 0) - tally.points_used
    titles = {item.project.ref: item.project.title for item in items}
    for item in items:
        if item.project.budget_id != budget.id or not item.project.is_votable:
            tally.violations = [
                Violation(
                    "project_not_votable",
                    str(_l("“%(title)s” cannot be voted for.", title=item.project.title)),
                )
            ]
            return tally
    if complete and not items:
        tally.violations = [
            Violation("empty_ballot", str(_l("Your ballot is empty: choose at least one project.")))
        ]
        return tally
    if not complete and not items:
        return tally
    costs = {item.project.ref: item.project.cost_amount for item in items}
    rules, counts = pb_rules(budget, draft=not complete)
    choices = choices_of(budget, items)
    if budget.ballot_kind == "cumulative" and len(set(choices)) != len(items):
        tally.violations = [Violation("duplicate", str(_l("A project is on your ballot twice.")))]
        return tally
    try:
        if counts is not None:
            validate_ballot("approval", [i.project.ref for i in items], costs, counts)
        validate_ballot(budget.ballot_kind, choices, costs, rules)
    except BallotRuleError as error:
        if not (not complete and error.rule == "too_few"):
            tally.violations = [Violation(error.rule, _message(budget, error, titles))]
    return tally
