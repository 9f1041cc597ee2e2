"""Results of a budget, computed by :mod:`portal.pb` from the counted ballots and cached.

Plain-data functions for other capabilities (exports): :func:`outcome`, :func:`summary`,
:func:`comparison`. None of them checks publication: callers that show results to the public
must check :func:`results_visible` first (the views and the API do).
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from portal.budgets.models import Ballot, BallotChoice, Budget, Project, ResultCache
from portal.core.errors import ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.pb.ballots import election_from_ballots
from portal.pb.explain import compare, explain, to_jsonable
from portal.pb.model import Election, money_text
from portal.pb.model import Project as PbProject
from portal.pb.rules import UnknownRuleError, rule_names, rule_spec

# The greedy rule and the Equal Shares rule shown side by side, for each vote type.
GREEDY_RULE = {"approval": "greedy_votes", "cumulative": "greedy_points", "ordinal": "greedy_score"}
SHARES_RULE = {
    "approval": "mes_cost_sat_add1_greedy",
    "cumulative": "mes_additive_cardinal_sat_add1_greedy",
    "ordinal": "mes_additive_borda_sat_add1_greedy",
}
CACHE_VERSION = "1"


def results_visible(budget: Budget, viewer: Any = None) -> bool:
    """Vote counts and outcomes are hidden from everyone but planners until publication."""
    return budget.results_published or has_role(viewer, "planner")


def available_rules(budget: Budget) -> list[str]:
    return rule_names(budget.vote_type)


def counted_projects_statement(budget_ids: list[int]) -> Select:
    """Projects that are on the ballot (feasible and visible) of these budgets."""
    return select(Project).where(
        Project.budget_id.in_(budget_ids),
        Project.visible(),
        Project.feasibility == "feasible",
    )


def counted_projects(budget: Budget) -> list[Project]:
    """Projects that were on the ballot (feasible and visible), in budget order."""
    return list(
        db.session.scalars(
            counted_projects_statement([budget.id]).order_by(Project.position, Project.id)
        )
    )


def _choices_by_ballot(budget: Budget, allowed: dict[int, str]) -> list[Any]:
    """Every counted ballot's choices in the pure package's form (refs of counted projects)."""
    cumulative = budget.ballot_kind == "cumulative"
    ballot_ids = list(
        db.session.scalars(
            select(Ballot.id).where(Ballot.budget_id == budget.id).order_by(Ballot.id)
        )
    )
    choices: dict[int, Any] = {bid: ({} if cumulative else []) for bid in ballot_ids}
    rows = db.session.execute(
        select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.budget_id == budget.id)
        .order_by(BallotChoice.ballot_id, BallotChoice.position)
    )
    for ballot_id, project_id, points in rows:
        ref = allowed.get(project_id)
        if ref is None:  # hidden or withdrawn after the vote: the ballot still counts
            continue
        if cumulative:
            choices[ballot_id][ref] = points or 0
        else:
            choices[ballot_id].append(ref)
    return list(choices.values())


def pb_meta(budget: Budget) -> dict[str, str]:
    """META for the budget's election: the imported file's keys, then ours."""
    meta = {str(k): str(v) for k, v in (budget.source_meta or {}).items()}
    consultation = budget.consultation
    meta.setdefault("description", f"{consultation.title}: {budget.title}")
    meta.setdefault("country", "")
    meta.setdefault("unit", consultation.title)
    meta.setdefault("instance", str((budget.created_at or utcnow()).year))
    if budget.district is not None:
        meta.setdefault("district", budget.district.name)
    meta["currency"] = budget.currency
    if not budget.source_meta:
        meta["rule"] = "equalshares/add1" if budget.official_rule.startswith("mes") else "greedy"
        meta["ballot_kind"] = budget.ballot_kind
        if budget.max_projects is not None:
            meta["max_length"] = str(budget.max_projects)
        if budget.min_projects:
            meta["min_length"] = str(budget.min_projects)
        if budget.ballot_kind == "knapsack":
            meta["max_sum_cost"] = money_text(budget.total_amount)
        if budget.ballot_kind == "cumulative":
            meta["max_sum_points"] = str(budget.total_points or 0)
            if budget.max_points_per_project:
                meta["max_points"] = str(budget.max_points_per_project)
    return meta


def build_election(budget: Budget) -> Election:
    """The budget's counted ballots (online, paper and imported) as a pure election."""
    projects = counted_projects(budget)
    table = [PbProject(p.ref, p.cost_amount, {"name": p.title}) for p in projects]
    allowed = {p.id: p.ref for p in projects}
    meta = pb_meta(budget)
    election = election_from_ballots(
        budget.ballot_kind,
        table,
        budget.total_amount,
        _choices_by_ballot(budget, allowed),
        meta={k: v for k, v in meta.items() if k not in ("budget",)},
    )
    return election


def signature(budget: Budget) -> str:
    """Changes whenever a ballot is added, replaced or removed, or a project's state changes."""
    count, last_id, last_time = db.session.execute(
        select(func.count(Ballot.id), func.max(Ballot.id), func.max(Ballot.submitted_at)).where(
            Ballot.budget_id == budget.id
        )
    ).one()
    projects, changed = db.session.execute(
        select(func.count(Project.id), func.max(Project.updated_at)).where(
            Project.budget_id == budget.id
        )
    ).one()
    return f"{CACHE_VERSION}:{count}:{last_id}:{last_time}:{projects}:{changed}:{budget.total}"


def _check_rule(budget: Budget, rule: str) -> str:
    try:
        rule_spec(rule, budget.vote_type)
    except UnknownRuleError as exc:
        raise ValidationFailed(
            str(
                _l(
                    "Unknown rule “%(rule)s” for this ballot; valid: %(valid)s.",
                    rule=rule,
                    valid=", ".join(available_rules(budget)),
                )
            ),
            fields={"rule": rule},
        ) from exc
    return rule


def _compute(budget: Budget, rule: str, tie_breaking: str) -> dict[str, Any]:
    election = build_election(budget)
    explanation = explain(election, rule, tie_breaking=tie_breaking)
    scores = election.scores()
    return {
        "rule": rule,
        "summary": rule_spec(rule).summary,
        "tie_breaking": tie_breaking,
        "vote_type": election.vote_type,
        "budget": to_jsonable(election.budget),
        "num_ballots": election.num_voters,
        "selected": sorted(explanation.selected, key=list(election.projects).index),
        "votes": election.votes(),
        "scores": {pid: to_jsonable(Fraction(v)) for pid, v in scores.items()},
        "explanation": to_jsonable(explanation),
    }


def outcome(budget: Budget, rule: str | None = None, tie_breaking: str | None = None) -> dict:
    """The outcome of ``rule`` (default: the official one) as plain data, cached per budget,
    rule and tie-breaking until the ballots change. Raises ValidationFailed for a bad rule."""
    rule = _check_rule(budget, rule or budget.official_rule)
    tie_breaking = tie_breaking or budget.tie_breaking
    sig = signature(budget)
    row = db.session.scalar(
        select(ResultCache).where(
            ResultCache.budget_id == budget.id,
            ResultCache.rule == rule,
            ResultCache.tie_breaking == tie_breaking,
        )
    )
    if row is not None and row.signature == sig:
        return row.data
    data = _compute(budget, rule, tie_breaking)
    try:
        with db.session.begin_nested():
            if row is None:
                row = ResultCache(budget_id=budget.id, rule=rule, tie_breaking=tie_breaking)
                db.session.add(row)
            row.signature = sig
            row.data = data
            row.computed_at = utcnow()
            db.session.flush()
    except IntegrityError:
        pass  # another request stored the same result at the same moment
    return data


def other_rule(budget: Budget) -> str:
    """The rule the official one is compared with: Equal Shares for greedy, and vice versa."""
    if budget.official_rule.startswith("mes"):
        return GREEDY_RULE[budget.vote_type]
    return SHARES_RULE[budget.vote_type]


def comparison(budget: Budget, rule_a: str | None = None, rule_b: str | None = None) -> dict:
    """What changes between two rules (default: the official one and :func:`other_rule`)."""
    first = outcome(budget, rule_a or budget.official_rule)
    second = outcome(budget, rule_b or other_rule(budget))
    diff = compare(first["selected"], second["selected"])
    return {
        "a": first,
        "b": second,
        "added": list(diff.added),
        "removed": list(diff.removed),
        "kept": list(diff.kept),
    }


def summary(budget: Budget, rule: str | None = None) -> dict[str, Any]:
    """Plain data for exports: the funded projects with cost and votes, the rule used, the
    ballots by channel, and what Equal Shares (or greedy) would change."""
    from portal.budgets.services import ballot_counts

    data = outcome(budget, rule)
    projects = {p.ref: p for p in counted_projects(budget)}
    diff = comparison(budget, data["rule"])
    selected = set(data["selected"])

    def row(ref: str) -> dict[str, Any]:
        project = projects[ref]
        return {
            "id": project.id,
            "ref": ref,
            "title": project.title,
            "cost": project.cost,  # minor units
            "votes": data["votes"].get(ref, 0),
            "score": data["scores"].get(ref),
            "funded": ref in selected,
        }

    return {
        "budget_id": budget.id,
        "title": budget.title,
        "currency": budget.currency,
        "total": budget.total,
        "rule": data["rule"],
        "rule_summary": data["summary"],
        "tie_breaking": data["tie_breaking"],
        "ballots": ballot_counts(budget),
        "funded": [row(ref) for ref in data["selected"] if ref in projects],
        "projects": [row(ref) for ref in projects],
        "spent": sum(projects[ref].cost for ref in data["selected"] if ref in projects),
        "compared_with": diff["b"]["rule"],
        "would_add": [row(ref) for ref in diff["added"] if ref in projects],
        "would_remove": [row(ref) for ref in diff["removed"] if ref in projects],
        "published_at": budget.results_published_at.isoformat()
        if budget.results_published_at
        else None,
    }


def explanations_by_ref(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each project ref, what the results page says about it."""
    explanation = data["explanation"]
    found: dict[str, dict[str, Any]] = {}
    if explanation["kind"] == "greedy":
        for line in explanation["lines"]:
            found[line["project_id"]] = {"kind": "greedy", **line}
        return found
    for funded in explanation["funded"]:
        found[funded["project_id"]] = {"kind": "shares_funded", **funded}
    completion = {}
    if explanation.get("completion"):
        completion = {line["project_id"]: line for line in explanation["completion"]["lines"]}
    for unfunded in explanation["unfunded"]:
        entry = {"kind": "shares_unfunded", **unfunded}
        if unfunded["project_id"] in completion:
            entry["completion"] = completion[unfunded["project_id"]]
        found[unfunded["project_id"]] = entry
    return found


def fingerprints(budget: Budget) -> list[tuple[str, str]]:
    """Every counted ballot's fingerprint and channel (no identity), sorted by fingerprint."""
    rows = db.session.execute(
        select(Ballot.fingerprint, Ballot.channel)
        .where(Ballot.budget_id == budget.id)
        .order_by(Ballot.fingerprint)
    )
    return [(fp, channel) for fp, channel in rows]


def channel_counts_by_project(budget: Budget) -> dict[int, Counter]:
    """Votes per project and channel (paper ballots are reported separately)."""
    rows = db.session.execute(
        select(BallotChoice.project_id, Ballot.channel, func.count(BallotChoice.id))
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.budget_id == budget.id)
        .group_by(BallotChoice.project_id, Ballot.channel)
    )
    counts: dict[int, Counter] = {}
    for project_id, channel, n in rows:
        counts.setdefault(project_id, Counter())[channel] = n
    return counts
