"""Budget rules: budgets and projects, drafts and check-out, receipts and paper ballots.

Services take plain values, flush but never commit, and raise PortalError subclasses. Other
capabilities call :func:`budgets_for`, :func:`get_budget` and the plain-data result functions
of :mod:`portal.budgets.results`.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.budgets import ballot_rules
from portal.budgets.ballot_rules import Item, Tally
from portal.budgets.models import (
    BALLOT_KINDS,
    FEASIBILITY,
    MAX_MINOR,
    REF_MAX,
    TIE_BREAKINGS,
    TITLE_MAX,
    VOTE_TYPE_OF_KIND,
    Ballot,
    BallotChoice,
    BallotDraft,
    Budget,
    Project,
)
from portal.consultations import services as consultation_services
from portal.consultations.models import Consultation, Phase, VerificationCode
from portal.consultations.phases import PhaseClosed, require_phase
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.ops.cache import kept_objects
from portal.pb.ballots import ballot_fingerprint as pb_fingerprint
from portal.pb.ballots import new_receipt_salt

MAX_PROJECTS_PER_BUDGET = 500
MAX_PAPER_LINES = 50_000


# --- errors ----------------------------------------------------------------------------------


class BallotRuleBroken(ValidationFailed):
    """A ballot breaks one of the budget's rules; ``code`` names the rule."""

    def __init__(self, violation: ballot_rules.Violation, others: list | None = None):
        super().__init__(violation.message, fields={"rule": violation.code})
        self.code = violation.code
        self.violations = [violation, *(others or [])]


class AlreadyVoted(Conflict):
    code = "already_voted"

    def default_message(self) -> str:
        return str(_l("You have already voted in this budget; your ballot is final."))


class RulesFrozen(Conflict):
    code = "rules_frozen"

    def default_message(self) -> str:
        return str(
            _l(
                "The ballot phase has opened, so the rules, the budget and the projects' "
                "costs can no longer change."
            )
        )


class NotEligible(Forbidden):
    code = "not_eligible"


class ResultsNotPublished(Forbidden):
    code = "results_not_published"

    def default_message(self) -> str:
        return str(_l("The results of this budget have not been published yet."))


# --- reading ---------------------------------------------------------------------------------


def can_manage(user: Any) -> bool:
    return has_role(user, "planner")


def budgets_for(consultation: Consultation) -> list[Budget]:
    """The budgets of a consultation, in their display order."""
    return list(
        db.session.scalars(
            select(Budget)
            .where(Budget.consultation_id == consultation.id)
            .order_by(Budget.position, Budget.id)
        )
    )


def list_budgets(viewer: Any = None) -> list[Budget]:
    """Budgets of published and archived consultations (planners see drafts too)."""
    stmt = (
        select(Budget)
        .join(Consultation, Consultation.id == Budget.consultation_id)
        .options(selectinload(Budget.consultation), selectinload(Budget.district))
        .order_by(Consultation.created_at.desc(), Budget.position, Budget.id)
    )
    if not can_manage(viewer):
        stmt = stmt.where(Consultation.status != "draft")
    return list(db.session.scalars(stmt))


@functools.cache
def _with_phases() -> list:
    # Consultation and phases come along: every ballot action checks the phase; the district
    # too (the budget page names it, the "own district" rule names it when refusing). The
    # options are made once (options are immutable; making one costs as much as a small query).
    return [
        joinedload(Budget.consultation).joinedload(Consultation.phases),
        joinedload(Budget.district),
    ]


def _load_budget(session: Any, budget_id: int) -> Budget | None:
    return session.get(Budget, budget_id, options=_with_phases())


def get_budget(budget_id: int, viewer: Any = None) -> Budget:
    """The budget with its consultation, phases and district; those of draft consultations
    only for planners. Raises NotFound.

    Every ballot page, budget page and check-out reads it, and it changes only by a public
    write (its rules, the consultation, a phase): kept in the process like a consultation (see
    :func:`portal.ops.cache.kept_objects`) and copied into the request's session without SQL.
    """
    budget = kept_objects(f"budget:{budget_id}", lambda session: _load_budget(session, budget_id))
    if budget is None or (budget.consultation.status == "draft" and not can_manage(viewer)):
        raise NotFound(str(_l("There is no budget at this address.")))
    return budget


def visible_projects(budget: Budget, viewer: Any = None) -> list[Project]:
    """The projects the public may see (planners see hidden ones too), in budget order."""
    stmt = (
        select(Project)
        .where(Project.budget_id == budget.id)
        .options(selectinload(Project.category), selectinload(Project.district))
        .order_by(Project.position, Project.id)
    )
    if not can_manage(viewer):
        stmt = stmt.where(Project.visible())
    return list(db.session.scalars(stmt))


def get_project(budget: Budget, project_id: int, viewer: Any = None) -> Project:
    project = db.session.get(Project, project_id)
    if (
        project is None
        or project.budget_id != budget.id
        or (not project.is_visible and not can_manage(viewer))
    ):
        raise NotFound(str(_l("There is no project at this address.")))
    return project


def ballot_phase(consultation: Consultation) -> Phase | None:
    return next((p for p in consultation.phases if p.kind == "ballot"), None)


def rules_frozen(budget: Budget, now: datetime | None = None) -> bool:
    """True once the consultation's ballot phase has opened or any ballot was counted."""
    phase = ballot_phase(budget.consultation)
    now = now or utcnow()
    if phase is not None and budget.consultation.status != "draft" and phase.starts_at <= now:
        return True
    if budget.id is None:
        return False
    return (
        db.session.scalar(select(Ballot.id).where(Ballot.budget_id == budget.id).limit(1))
        is not None
    )


def _require_editable(budget: Budget) -> None:
    if rules_frozen(budget):
        raise RulesFrozen()


def ballot_counts(budget: Budget) -> dict[str, int]:
    """Counted ballots by channel (online, paper, imported) and in all."""
    rows = db.session.execute(
        select(Ballot.channel, func.count(Ballot.id))
        .where(Ballot.budget_id == budget.id)
        .group_by(Ballot.channel)
    ).all()
    counts = {"online": 0, "paper": 0, "imported": 0}
    counts.update({channel: n for channel, n in rows})
    counts["total"] = sum(counts.values())
    return counts


def ballots_by_budget(budget_ids: list[int]) -> dict[int, int]:
    """Counted ballots of each of these budgets, in one statement (absent: none)."""
    if not budget_ids:
        return {}
    return dict(
        db.session.execute(
            select(Ballot.budget_id, func.count(Ballot.id))
            .where(Ballot.budget_id.in_(budget_ids))
            .group_by(Ballot.budget_id)
        ).all()
    )


# --- budgets ---------------------------------------------------------------------------------


@dataclass
class BudgetData:
    title: str
    total: int  # minor units
    currency: str = "EUR"
    description: str = ""
    district_id: int | None = None
    position: int = 0
    ballot_kind: str = "knapsack"
    min_spend_percent: int = 0
    min_projects: int = 1
    max_projects: int | None = None
    cost_limited: bool = False
    total_points: int | None = None
    max_points_per_project: int | None = None
    allow_replace: bool = False
    official_rule: str = ""
    tie_breaking: str = "lexico"


RULE_FIELDS = (
    "total",
    "currency",
    "ballot_kind",
    "min_spend_percent",
    "min_projects",
    "max_projects",
    "cost_limited",
    "total_points",
    "max_points_per_project",
    "allow_replace",
    "official_rule",
    "tie_breaking",
    "district_id",
)


def default_rule(kind: str) -> str:
    from portal.budgets.results import GREEDY_RULE

    return GREEDY_RULE[VOTE_TYPE_OF_KIND[kind]]


def _validate_budget(consultation: Consultation, data: BudgetData) -> None:
    from portal.pb.rules import rule_names

    errors: dict[str, str] = {}
    data.title = " ".join((data.title or "").split())
    if not 3 <= len(data.title) <= TITLE_MAX:
        errors["title"] = str(_l("Between 3 and %(max)d characters, please.", max=TITLE_MAX))
    if not isinstance(data.total, int) or not 0 < data.total < MAX_MINOR:
        errors["total"] = str(_l("Enter an amount greater than zero."))
    data.currency = (data.currency or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", data.currency):
        errors["currency"] = str(_l("Enter a three-letter currency code such as EUR."))
    if data.ballot_kind not in BALLOT_KINDS:
        errors["ballot_kind"] = str(_l("Unknown kind of ballot."))
    if data.district_id is not None and data.district_id not in {
        d.id for d in consultation.districts
    }:
        errors["district_id"] = str(_l("Unknown district."))
    if not 0 <= (data.min_spend_percent or 0) <= 100:
        errors["min_spend_percent"] = str(_l("Enter a percentage from 0 to 100."))
    data.min_spend_percent = data.min_spend_percent or 0
    if data.min_projects is None or not 0 <= data.min_projects <= MAX_PROJECTS_PER_BUDGET:
        errors["min_projects"] = str(_l("Enter a whole number from 0 to 500."))
    if data.max_projects is not None and not (
        1 <= data.max_projects <= MAX_PROJECTS_PER_BUDGET
        and data.max_projects >= (data.min_projects or 0)
    ):
        errors["max_projects"] = str(
            _l("Enter a whole number at least as large as the minimum, or leave it empty.")
        )
    if data.ballot_kind == "cumulative":
        if not data.total_points or not 1 <= data.total_points <= 1_000_000:
            errors["total_points"] = str(_l("Cumulative ballots need the points to share out."))
        if data.max_points_per_project is not None and not (
            1 <= data.max_points_per_project <= (data.total_points or 0)
        ):
            errors["max_points_per_project"] = str(
                _l("Between 1 and the points to share out, or leave it empty.")
            )
    else:
        data.total_points = None
        data.max_points_per_project = None
    if data.ballot_kind == "ranked" and data.max_projects is None:
        errors["max_projects"] = str(_l("Ranked ballots need the longest ranking allowed."))
    if data.ballot_kind != "knapsack":
        data.min_spend_percent = 0
    if data.ballot_kind != "approval":
        data.cost_limited = data.ballot_kind == "knapsack"
    if data.ballot_kind in BALLOT_KINDS:
        data.official_rule = data.official_rule or default_rule(data.ballot_kind)
        if data.official_rule not in rule_names(VOTE_TYPE_OF_KIND[data.ballot_kind]):
            errors["official_rule"] = str(_l("This rule does not apply to this kind of ballot."))
    if data.tie_breaking not in TIE_BREAKINGS:
        errors["tie_breaking"] = str(_l("Unknown tie-breaking."))
    if errors:
        raise ValidationFailed(fields=errors)


def create_budget(actor: User, consultation: Consultation, data: BudgetData) -> Budget:
    """Raises ValidationFailed, RulesFrozen (the ballot phase has opened)."""
    _validate_budget(consultation, data)
    budget = Budget(consultation=consultation, consultation_id=consultation.id)
    if rules_frozen(budget):
        raise RulesFrozen(str(_l("The ballot phase has opened: budgets can no longer be added.")))
    for name, value in vars(data).items():
        setattr(budget, name, value)
    db.session.add(budget)
    db.session.flush()
    return budget


def update_budget(actor: User, budget: Budget, data: BudgetData) -> Budget:
    """Text can always change; the rules only until the ballot phase opens.
    Raises ValidationFailed, RulesFrozen."""
    _validate_budget(budget.consultation, data)
    changed = [name for name in RULE_FIELDS if getattr(budget, name) != getattr(data, name)]
    if "cost_limited" in changed and budget.ballot_kind == data.ballot_kind != "approval":
        changed.remove("cost_limited")  # only approval ballots use the flag
    if changed and rules_frozen(budget):
        raise RulesFrozen()
    for name, value in vars(data).items():
        setattr(budget, name, value)
    db.session.flush()
    return budget


def publish_results(actor: User, budget: Budget, publish: bool = True) -> None:
    """Show (or hide again) the vote counts and outcome. Raises Conflict while voting is open."""
    if publish and "ballot" in consultation_services.phase_kinds_open(budget.consultation):
        raise Conflict(str(_l("Results can be published once the ballot phase has ended.")))
    budget.results_published_at = utcnow() if publish else None
    db.session.flush()


# --- projects --------------------------------------------------------------------------------


@dataclass
class ProjectData:
    title: str
    cost: int  # minor units
    description: str = ""
    ref: str = ""
    feasibility: str = "pending"
    feasibility_explanation: str = ""
    category_id: int | None = None
    district_id: int | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    idea_id: int | None = None


def _validate_project(budget: Budget, data: ProjectData, project: Project | None) -> None:
    errors: dict[str, str] = {}
    data.title = " ".join((data.title or "").split())
    data.ref = (data.ref or "").strip()
    data.address = " ".join((data.address or "").split())[:200]
    data.description = data.description or ""
    data.feasibility_explanation = (data.feasibility_explanation or "").strip()
    if not 3 <= len(data.title) <= TITLE_MAX:
        errors["title"] = str(_l("Between 3 and %(max)d characters, please.", max=TITLE_MAX))
    if not isinstance(data.cost, int) or not 0 <= data.cost < MAX_MINOR:
        errors["cost"] = str(_l("Enter the cost, zero or more."))
    if data.ref and (
        len(data.ref) > REF_MAX or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/\-]*", data.ref)
    ):
        errors["ref"] = str(
            _l("Use up to %(n)d letters, digits and . _ / - (no spaces or commas).", n=REF_MAX)
        )
    if data.feasibility not in FEASIBILITY:
        errors["feasibility"] = str(_l("Unknown feasibility."))
    elif data.feasibility == "not_feasible" and len(data.feasibility_explanation) < 10:
        errors["feasibility_explanation"] = str(
            _l("Explain in public why the project is not feasible (at least 10 characters).")
        )
    consultation = budget.consultation
    if data.category_id is not None and data.category_id not in {
        c.id for c in consultation.categories
    }:
        errors["category_id"] = str(_l("Unknown category."))
    if data.district_id is not None and data.district_id not in {
        d.id for d in consultation.districts
    }:
        errors["district_id"] = str(_l("Unknown district."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        errors["latitude"] = str(_l("A latitude is between -90 and 90."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        errors["longitude"] = str(_l("A longitude is between -180 and 180."))
    if (data.latitude is None) != (data.longitude is None):
        errors["longitude"] = str(_l("Give both the latitude and the longitude, or neither."))
    if errors:
        raise ValidationFailed(fields=errors)


def _next_position(budget: Budget) -> int:
    return (
        db.session.scalar(select(func.max(Project.position)).where(Project.budget_id == budget.id))
        or 0
    ) + 1


def _flush_ref() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"ref": str(_l("Another project of this budget has this reference."))}
        ) from exc


def create_project(actor: User, budget: Budget, data: ProjectData) -> Project:
    """Raises ValidationFailed, RulesFrozen."""
    _validate_project(budget, data, None)
    _require_editable(budget)
    count = db.session.scalar(select(func.count(Project.id)).where(Project.budget_id == budget.id))
    if count >= MAX_PROJECTS_PER_BUDGET:
        raise ValidationFailed(str(_l("A budget has at most 500 projects.")))
    position = _next_position(budget)
    project = Project(budget_id=budget.id, position=position)
    for name, value in vars(data).items():
        setattr(project, name, value)
    project.ref = data.ref or str(position)
    db.session.add(project)
    _flush_ref()
    return project


def update_project(actor: User, project: Project, data: ProjectData) -> Project:
    """The cost, reference and feasibility are frozen with the rules. Raises ValidationFailed,
    RulesFrozen."""
    budget = project.budget
    _validate_project(budget, data, project)
    data.ref = data.ref or project.ref
    data.idea_id = project.idea_id
    frozen_fields = ("cost", "ref", "feasibility")
    if any(getattr(project, f) != getattr(data, f) for f in frozen_fields) and rules_frozen(budget):
        raise RulesFrozen(
            str(
                _l(
                    "The ballot phase has opened: a project's cost, reference and feasibility "
                    "can no longer change."
                )
            )
        )
    for name, value in vars(data).items():
        setattr(project, name, value)
    _flush_ref()
    return project


def project_from_idea(
    actor: User, budget: Budget, idea_id: int, cost: int | None = None
) -> Project:
    """Turn a qualified idea of the budget's consultation into a project (feasibility pending).
    Raises NotFound, Conflict (already a project), RulesFrozen."""
    from portal.ideas.services import qualified_ideas

    idea = next((i for i in qualified_ideas(budget.consultation) if i.id == idea_id), None)
    if idea is None:
        raise NotFound(str(_l("This idea is not a qualified idea of this consultation.")))
    exists = db.session.scalar(
        select(Project.id).where(Project.budget_id == budget.id, Project.idea_id == idea.id)
    )
    if exists:
        raise Conflict(str(_l("This idea is already a project of this budget.")))
    if cost is None:
        cost = (idea.cost or 0) * 100
    data = ProjectData(
        title=idea.title[:TITLE_MAX],
        cost=cost,
        description=idea.body,
        category_id=idea.category_id,
        district_id=idea.district_id,
        address=getattr(idea, "address", "") or "",
        latitude=idea.latitude,
        longitude=idea.longitude,
    )
    project = create_project(actor, budget, data)
    project.idea_id = idea.id
    db.session.flush()
    return project


def convertible_ideas(budget: Budget) -> list[Any]:
    """Qualified ideas of the consultation that are not yet projects of this budget."""
    from portal.ideas.services import qualified_ideas

    used = set(
        db.session.scalars(
            select(Project.idea_id).where(
                Project.budget_id == budget.id, Project.idea_id.is_not(None)
            )
        )
    )
    return [idea for idea in qualified_ideas(budget.consultation) if idea.id not in used]


# --- baskets: drafts and their evaluation ----------------------------------------------------


def _projects_by_id(budget: Budget) -> dict[int, Project]:
    return {
        p.id: p for p in db.session.scalars(select(Project).where(Project.budget_id == budget.id))
    }


def _entry(entry: Any) -> tuple[Any, Any]:
    """(project id, points) of one entry of a posted basket, as sent (not yet checked)."""
    if isinstance(entry, dict):
        return entry.get("id"), entry.get("points")
    if isinstance(entry, list | tuple) and entry:
        return entry[0], entry[1] if len(entry) > 1 else None
    return entry, None


# The range of the INTEGER id column: a larger number is no project, and PostgreSQL would
# refuse it as a parameter instead of finding nothing.
_ID_RANGE = range(-(2**31), 2**31)


def _projects_among(budget: Budget, ids: set[int]) -> dict[int, Project]:
    """The budget's projects with these ids (a ballot names a few of a budget's hundreds)."""
    ids = {i for i in ids if i in _ID_RANGE}
    if not ids:
        return {}
    return {
        p.id: p
        for p in db.session.scalars(
            _projects_among_statement(), {"budget_id": budget.id, "ids": ids}
        )
    }


@functools.cache
def _projects_among_statement() -> Select:
    """A budget's projects with some ids; built once (every ballot click and check-out)."""
    return select(Project).where(
        Project.budget_id == bindparam("budget_id"),
        Project.id.in_(bindparam("ids", expanding=True)),
    )


def parse_items(budget: Budget, raw: Any) -> list[Item]:
    """Turn ``[{"id": 5, "points": 3}, ...]`` (or ``[[5, 3], ...]``) into basket items.

    Raises BallotRuleBroken (unknown project, points not whole) or ValidationFailed (shape).
    """
    if not isinstance(raw, list):
        raise ValidationFailed(fields={"projects": str(_l("Send the projects as a list."))})
    if len(raw) > MAX_PROJECTS_PER_BUDGET:
        raise ValidationFailed(fields={"projects": str(_l("Too many projects."))})
    entries = [_entry(entry) for entry in raw]
    projects = _projects_among(
        budget, {i for i, _ in entries if isinstance(i, int) and not isinstance(i, bool)}
    )
    items: list[Item] = []
    for project_id, points in entries:
        if isinstance(project_id, bool) or not isinstance(project_id, int):
            raise ValidationFailed(
                fields={"projects": str(_l("Each project is given by its numeric id."))}
            )
        project = projects.get(project_id)
        if project is None or (not project.is_visible):
            raise BallotRuleBroken(
                ballot_rules.Violation(
                    "unknown_project",
                    str(_l("Project %(id)s is not part of this budget.", id=project_id)),
                )
            )
        if points is not None and (isinstance(points, bool) or not isinstance(points, int)):
            raise BallotRuleBroken(
                ballot_rules.Violation(
                    "points_not_whole",
                    str(_l("Points are whole numbers (“%(title)s”).", title=project.title)),
                )
            )
        if budget.ballot_kind != "cumulative":
            points = None
        elif points == 0:
            continue  # no points: not chosen
        items.append(Item(project, points))
    return items


# The tables of ballots, their choices and drafts, for Core statements (they load nothing).
_BALLOTS = Ballot.__table__
_CHOICES = BallotChoice.__table__
_DRAFTS = BallotDraft.__table__


@functools.cache
def _ballot_statement() -> Select:
    """A person's ballot in a budget with its choices and their projects, in one statement;
    built once."""
    return (
        select(Ballot)
        .where(Ballot.budget_id == bindparam("budget_id"), Ballot.voter_id == bindparam("voter_id"))
        .options(joinedload(Ballot.choices).joinedload(BallotChoice.project))
    )


def submitted_ballot(user: Any, budget: Budget) -> Ballot | None:
    """The person's counted ballot in ``budget`` with its choices, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    params = {"budget_id": budget.id, "voter_id": user.id}
    return db.session.scalars(_ballot_statement(), params).unique().first()


@functools.cache
def _voted_statement() -> Select:
    return select(_BALLOTS.c.id).where(
        _BALLOTS.c.budget_id == bindparam("budget_id"), _BALLOTS.c.voter_id == bindparam("voter_id")
    )


def has_voted(user: Any, budget: Budget) -> bool:
    """Whether the person has a counted ballot in ``budget`` (one small Core statement)."""
    if not getattr(user, "is_authenticated", False):
        return False
    params = {"budget_id": budget.id, "voter_id": user.id}
    return db.session.scalar(_voted_statement(), params) is not None


@functools.cache
def _own_rows_statement() -> Select:
    """The items of the person's draft and the id of their ballot in a budget (each None when
    there is none), in one statement of two indexed look-ups; built once."""
    budget_id, voter_id = bindparam("budget_id"), bindparam("voter_id")
    items = select(_DRAFTS.c["items"]).where(
        _DRAFTS.c.budget_id == budget_id, _DRAFTS.c.voter_id == voter_id
    )
    ballot = select(_BALLOTS.c.id).where(
        _BALLOTS.c.budget_id == budget_id, _BALLOTS.c.voter_id == voter_id
    )
    return select(items.scalar_subquery().label("items"), ballot.scalar_subquery().label("id"))


def _draft_items(stored: list[Any], projects: dict[int, Project]) -> list[Item]:
    items = []
    for project_id, points in stored:
        project = projects.get(project_id)
        if project is not None and project.is_visible:
            items.append(Item(project, points))
    return items


def basket_and_ballot(user: User, budget: Budget) -> tuple[list[Item], Ballot | None]:
    """The person's current basket (see :func:`basket`) and counted ballot (or None): one
    statement for a person who has neither, as most have on closing day."""
    items, ballot, _ = _own_basket(user, budget, with_ballot=True)
    return items, ballot


def _draft_projects(budget: Budget, stored: list[Any], also: set[int] = frozenset()) -> dict:
    # Only the draft's projects: loading all of a budget's hundreds cost more than the page.
    return _projects_among(budget, {project_id for project_id, _ in stored} | also)


def _basket(user: User, budget: Budget, also: int | None = None) -> tuple[list[Item], Any]:
    """The person's current basket (see :func:`basket`), and the budget's project ``also``
    (None: there is no such project), read with the basket's projects."""
    items, _, project = _own_basket(user, budget, also)
    return items, project


def _own_basket(
    user: User, budget: Budget, also: int | None = None, with_ballot: bool = False
) -> tuple[list[Item], Ballot | None, Any]:
    """The basket, the counted ballot (read when it fills the basket, or ``with_ballot``;
    else None) and the project ``also`` read with the basket's projects."""
    params = {"budget_id": budget.id, "voter_id": user.id}
    stored, ballot_id = db.session.execute(_own_rows_statement(), params).one()
    ballot = None
    if ballot_id is not None and (with_ballot or stored is None):
        ballot = submitted_ballot(user, budget)
    wanted = set() if also is None else {also}
    if stored is not None:
        projects = _draft_projects(budget, stored, wanted)
        items = _draft_items(stored, projects)
    else:
        items = [Item(c.project, c.points) for c in ballot.choices] if ballot is not None else []
        projects = {item.project.id: item.project for item in items}
        if wanted - projects.keys():
            projects.update(_projects_among(budget, wanted))
    return items, ballot, None if also is None else projects.get(also)


def basket(user: User, budget: Budget) -> list[Item]:
    """The person's current basket: the draft, else (when ballots may be replaced) the
    submitted ballot, else empty."""
    return _basket(user, budget)[0]


def evaluate(budget: Budget, items: list[Item], *, complete: bool = True) -> Tally:
    return ballot_rules.check(budget, items, complete=complete)


@functools.cache
def _lock_statement() -> Select:
    users = User.__table__  # Core: it loads nothing
    return select(users.c.id).where(users.c.id == bindparam("voter_id")).with_for_update()


def _lock_person(user: User) -> None:
    """Serialise one person's ballot writes (a row lock on PostgreSQL; SQLite writes are
    serial anyway)."""
    db.session.execute(_lock_statement(), {"voter_id": user.id})


@functools.cache
def _lock_reading_ballot_statement() -> Select:
    users = User.__table__
    own = and_(_BALLOTS.c.voter_id == users.c.id, _BALLOTS.c.budget_id == bindparam("budget_id"))
    return (
        select(users.c.id, _BALLOTS.c.id.label("ballot_id"))
        .select_from(users.outerjoin(_BALLOTS, own))
        .where(users.c.id == bindparam("voter_id"))
        .with_for_update(of=users)
    )


def _lock_person_reading_ballot(user: User, budget: Budget) -> int | None:
    """:func:`_lock_person`, and the id of the person's ballot in ``budget`` in the same
    statement. A ballot committed while the lock was awaited is NOT seen (the statement reads
    as of its start), so "none" may be out of date: only for final ballots, whose INSERT the
    UNIQUE constraint then refuses."""
    params = {"budget_id": budget.id, "voter_id": user.id}
    row = db.session.execute(_lock_reading_ballot_statement(), params).first()
    return None if row is None else row.ballot_id


def _voted_elsewhere(user: User, budget: Budget) -> Budget | None:
    return db.session.scalar(
        select(Budget)
        .join(Ballot, Ballot.budget_id == Budget.id)
        .where(
            Budget.consultation_id == budget.consultation_id,
            Budget.id != budget.id,
            Ballot.voter_id == user.id,
        )
        .limit(1)
    )


def require_can_vote(user: Any, budget: Budget) -> None:
    """Raises PhaseClosed, NotVerified, NotEligible (district or "one budget" scope)."""
    consultation = budget.consultation
    require_phase(consultation, "vote")
    consultation_services.require_verified(user, consultation)
    scope = consultation.voting_scope
    if scope == "own_district" and budget.district_id is not None:
        district = consultation_services.verified_district_id(user, consultation)
        if district != budget.district_id:
            raise NotEligible(
                str(
                    _l(
                        "Only verified residents of %(district)s vote in this budget.",
                        district=budget.district.name if budget.district else "",
                    )
                )
            )
    if scope == "any_one":
        other = _voted_elsewhere(user, budget)
        if other is not None:
            raise NotEligible(
                str(
                    _l(
                        "You have already voted in “%(title)s”; in this consultation each "
                        "person votes in one budget.",
                        title=other.title,
                    )
                )
            )


def voting_blocker(user: Any, budget: Budget) -> str | None:
    """Why ``user`` cannot vote in ``budget`` right now, or None."""
    try:
        require_can_vote(user, budget)
    except PortalError as exc:
        return exc.message
    return None


def save_draft(user: User, budget: Budget, items: list[Item]) -> Tally:
    """Keep the basket on the server. Maximum rules (budget, number of projects, points) are
    enforced already; minimum rules only on check-out. Raises PhaseClosed, NotEligible,
    BallotRuleBroken, AlreadyVoted (final ballot)."""
    require_can_vote(user, budget)
    tally = evaluate(budget, items, complete=False)
    if tally.violations:
        raise BallotRuleBroken(tally.violations[0], tally.violations[1:])
    _lock_person(user)
    if not budget.allow_replace and has_voted(user, budget):
        raise AlreadyVoted()
    stored = [[item.project.id, item.points] for item in items]
    params = {"of_budget": budget.id, "of_voter": user.id, "new_items": stored, "now": utcnow()}
    if db.session.execute(_update_draft_statement(), params).rowcount == 0:
        draft = BallotDraft(budget_id=budget.id, voter_id=user.id, items=stored)
        try:
            with db.session.begin_nested():
                db.session.add(draft)
                db.session.flush()
        except IntegrityError:
            # another request of the person's made it meanwhile: this basket is the latest
            if db.session.execute(_update_draft_statement(), params).rowcount == 0:
                raise
    return tally


@functools.cache
def _update_draft_statement() -> Any:
    """The person's draft in a budget given new items (a Core UPDATE: no draft to load)."""
    return (
        update(_DRAFTS)
        .where(
            _DRAFTS.c.budget_id == bindparam("of_budget"),
            _DRAFTS.c.voter_id == bindparam("of_voter"),
        )
        .values(items=bindparam("new_items"), updated_at=bindparam("now"))
    )


def change_basket(
    user: User, budget: Budget, action: str, project_id: int, points: int | None = None
) -> Tally:
    """One step of the no-JavaScript ballot: add, remove, up, down or points."""
    items, project = _basket(user, budget, also=project_id)
    if project is None or not project.is_visible:
        raise NotFound(str(_l("There is no project at this address.")))
    index = next((i for i, item in enumerate(items) if item.project.id == project_id), None)
    if action == "add":
        if index is None:
            default = None
            if budget.ballot_kind == "cumulative":
                default = points or 1
            items.append(Item(project, default))
    elif action == "remove":
        if index is not None:
            items.pop(index)
    elif action in ("up", "down"):
        if index is not None:
            target = index - 1 if action == "up" else index + 1
            if 0 <= target < len(items):
                items[index], items[target] = items[target], items[index]
    elif action == "points":
        if points is None or points < 0:
            raise ValidationFailed(fields={"points": str(_l("Enter a whole number of points."))})
        if index is None and points:
            items.append(Item(project, points))
        elif index is not None and points == 0:
            items.pop(index)
        elif index is not None:
            items[index].points = points
    else:
        raise ValidationFailed(str(_l("Unknown action.")))
    return save_draft(user, budget, items)


# --- check-out and receipts ------------------------------------------------------------------


def ballot_fingerprint(budget: Budget, receipt_code: str, items: list[Item]) -> str:
    """The pure package's fingerprint of the ballot's choices (project refs), salted with the
    receipt code: the voter, holding both, can recompute it; the results list it with no
    identity."""
    return pb_fingerprint(
        budget.id, budget.ballot_kind, ballot_rules.choices_of(budget, items), receipt_code
    )


def write_choices(ballot: Ballot, budget: Budget, items: list[Item]) -> None:
    """Give ``ballot`` its choices, a fresh receipt code and the matching fingerprint."""
    ballot.receipt_code = new_receipt_salt()
    ballot.fingerprint = ballot_fingerprint(budget, ballot.receipt_code, items)
    ballot.choices = [
        BallotChoice(project_id=item.project.id, position=i, points=item.points)
        for i, item in enumerate(items)
    ]


def _insert_ballot(user: User, budget: Budget, items: list[Item]) -> Ballot:
    """A new online ballot and its choices, written with two Core INSERTs (the ORM's flush of
    the same rows costs several times more CPU, on the busiest write of closing day), then
    put in the session as the loaded objects they are, so that the receipt reads them
    without a query."""
    receipt_code = new_receipt_salt()
    values = {
        "budget_id": budget.id,
        "voter_id": user.id,
        "verification_code_id": None,
        "channel": "online",
        "entered_by_id": None,
        "receipt_code": receipt_code,
        "fingerprint": ballot_fingerprint(budget, receipt_code, items),
        "submitted_at": utcnow(),
        "replaced_count": 0,
    }
    insert_ballot, insert_choices = _insert_statements()
    values["id"] = db.session.execute(insert_ballot, values).scalar_one()
    rows = [
        {
            "ballot_id": values["id"],
            "project_id": item.project.id,
            "position": i,
            "points": item.points,
        }
        for i, item in enumerate(items)
    ]
    ids = []
    if rows:  # one statement for all (RETURNING the ids in the rows' order)
        ids = db.session.scalars(insert_choices, rows).all()
    ballot = _loaded(Ballot(**values))
    written = [_loaded(BallotChoice(id=i, **row)) for i, row in zip(ids, rows, strict=True)]
    for choice, item in zip(written, items, strict=True):
        set_committed_value(choice, "ballot", ballot)
        set_committed_value(choice, "project", item.project)
    set_committed_value(ballot, "choices", written)
    return ballot


@functools.cache
def _insert_statements() -> tuple[Any, Any]:
    """The INSERTs of a ballot (RETURNING its id) and of its choices (RETURNING their ids in
    the rows' order), built once: making them with their values cost more than running them."""
    return (
        insert(_BALLOTS).returning(_BALLOTS.c.id),
        insert(_CHOICES).returning(_CHOICES.c.id, sort_by_parameter_order=True),
    )


@functools.cache
def _delete_draft_statement() -> Any:
    return delete(_DRAFTS).where(
        _DRAFTS.c.budget_id == bindparam("budget_id"), _DRAFTS.c.voter_id == bindparam("voter_id")
    )


def _loaded(instance: Any) -> Any:
    """``instance`` (every column set, as just written) in the session as if read from it."""
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


@functools.cache
def _own_ballot_locked() -> Select:
    """The person's ballot in a budget, locked; built once (check-out runs it every time)."""
    return (
        select(Ballot)
        .where(Ballot.budget_id == bindparam("budget_id"), Ballot.voter_id == bindparam("voter_id"))
        .with_for_update()
    )


def checkout(user: User, budget: Budget, items: list[Item] | None = None) -> Ballot:
    """Submit the basket (``items`` or the saved draft) as the person's ballot.

    One transaction: the ballot, its choices and its receipt. Raises PhaseClosed, NotVerified,
    NotEligible, BallotRuleBroken (nothing stored), AlreadyVoted (409).
    """
    require_can_vote(user, budget)
    if items is None:
        items = basket(user, budget)
    tally = evaluate(budget, items, complete=True)
    if tally.violations:
        raise BallotRuleBroken(tally.violations[0], tally.violations[1:])
    params = {"budget_id": budget.id, "voter_id": user.id}
    if budget.allow_replace:
        _lock_person(user)
        voted = False
    else:  # final ballots: the person's lock and ballot in one statement
        voted = _lock_person_reading_ballot(user, budget) is not None
    if budget.consultation.voting_scope == "any_one":
        require_can_vote(user, budget)  # again, now that the person is locked
    if voted:
        raise AlreadyVoted()
    existing = None
    if budget.allow_replace:  # read after the lock: a ballot just committed is seen
        existing = db.session.scalar(_own_ballot_locked(), params)
    if existing is not None:
        db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == existing.id))
        db.session.expire(existing, ["choices"])
        write_choices(existing, budget, items)
        existing.submitted_at = utcnow()
        existing.replaced_count += 1
        ballot = existing
        db.session.flush()
    else:
        try:
            # No savepoint: a clash is a ballot of the same person committed while this
            # check-out waited for the person's lock (final ballots read it with the lock, as
            # of before the wait) or one written outside this code; the UNIQUE constraint
            # refuses it, and the whole transaction (nothing else in it) is rolled back by
            # the caller.
            ballot = _insert_ballot(user, budget, items)
        except IntegrityError as exc:
            raise AlreadyVoted() from exc
    # Core: a draft this request loaded (the basket) is not used again before the commit.
    db.session.execute(_delete_draft_statement(), params)
    return ballot


def find_by_fingerprint(budget: Budget, value: str) -> Ballot | None:
    value = (value or "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        return None
    return db.session.scalar(
        select(Ballot)
        .where(Ballot.budget_id == budget.id, Ballot.fingerprint == value)
        .options(selectinload(Ballot.choices).selectinload(BallotChoice.project))
    )


# --- paper ballots ---------------------------------------------------------------------------


def _paper_items(budget: Budget, text: str, projects: dict[str, Project]) -> list[Item]:
    """Parse ``"3 7 12"`` (refs; ranked: in order) or ``"3:4 7:6"`` (cumulative points)."""
    items: list[Item] = []
    for token in re.split(r"[\s;]+", (text or "").strip()):
        if not token:
            continue
        ref, _sep, points_text = token.partition(":")
        project = projects.get(ref)
        if project is None:
            raise ValidationFailed(str(_l("There is no project “%(ref)s”.", ref=ref)))
        points = None
        if budget.ballot_kind == "cumulative":
            if not points_text.isdigit():
                raise ValidationFailed(
                    str(_l("Write points as reference:points, e.g. %(ref)s:3.", ref=ref))
                )
            points = int(points_text)
        items.append(Item(project, points))
    return items


def _paper_phase(budget: Budget) -> None:
    phase = ballot_phase(budget.consultation)
    if phase is None or phase.starts_at > utcnow():
        raise PhaseClosed(str(_l("Paper ballots can be entered once the ballot phase opens.")))
    if budget.results_published:
        raise Conflict(str(_l("The results are published: no more ballots can be added.")))


def _paper_ballot(
    actor: User, budget: Budget, code: str, items: list[Item], seen: set[int]
) -> Ballot:
    consultation = budget.consultation
    tally = evaluate(budget, items, complete=True)
    if tally.violations:
        raise BallotRuleBroken(tally.violations[0], tally.violations[1:])
    row = db.session.scalar(
        select(VerificationCode).where(
            VerificationCode.consultation_id == consultation.id,
            VerificationCode.code_hash == consultation_services.hash_code(consultation, code),
        )
    )
    if row is None or not consultation_services.normalise_code(code):
        raise ValidationFailed(str(_l("This verification code is not valid.")))
    if row.used_at is not None and not row.used_on_paper:
        raise Conflict(str(_l("This code was used to vote online.")))
    if row.id in seen:
        raise Conflict(str(_l("This code appears twice.")))
    if (
        budget.district_id is not None
        and consultation.voting_scope == "own_district"
        and row.district_id != budget.district_id
    ):
        raise NotEligible(str(_l("This code belongs to another district.")))
    if consultation.voting_scope == "any_one":
        other = db.session.scalar(
            select(Ballot.id)
            .join(Budget, Budget.id == Ballot.budget_id)
            .where(
                Budget.consultation_id == consultation.id,
                Budget.id != budget.id,
                Ballot.verification_code_id == row.id,
            )
        )
        if other:
            raise NotEligible(str(_l("This code has already voted in another budget.")))
    exists = db.session.scalar(
        select(Ballot.id).where(
            Ballot.budget_id == budget.id, Ballot.verification_code_id == row.id
        )
    )
    if exists:
        raise Conflict(str(_l("A paper ballot with this code is already counted.")))
    claimed = db.session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.id == row.id,
            (VerificationCode.used_at.is_(None)) | (VerificationCode.used_on_paper.is_(True)),
        )
        .values(used_at=func.coalesce(VerificationCode.used_at, utcnow()), used_on_paper=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(str(_l("This code was used to vote online.")))
    seen.add(row.id)
    ballot = Ballot(
        budget_id=budget.id,
        channel="paper",
        verification_code_id=row.id,
        entered_by_id=actor.id,
    )
    write_choices(ballot, budget, items)
    db.session.add(ballot)
    return ballot


def _paper_projects(budget: Budget) -> dict[str, Project]:
    return {p.ref: p for p in _projects_by_id(budget).values()}


def enter_paper_ballot(actor: User, budget: Budget, code: str, choices: str) -> Ballot:
    """One paper ballot typed in by staff. Raises ValidationFailed, BallotRuleBroken,
    Conflict (code used online or already counted), NotEligible, PhaseClosed."""
    _paper_phase(budget)
    items = _paper_items(budget, choices, _paper_projects(budget))
    ballot = _paper_ballot(actor, budget, code, items, set())
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(str(_l("A paper ballot with this code is already counted."))) from exc
    return ballot


def import_paper_csv(actor: User, budget: Budget, csv_text: str) -> int:
    """Paper ballots from a CSV text: ``code,choices`` per line (optional header). All or
    nothing: raises ValidationFailed listing every bad line by number. Returns the count."""
    _paper_phase(budget)
    projects = _paper_projects(budget)
    try:
        lines = list(csv.reader(io.StringIO((csv_text or "").lstrip("\ufeff"))))
    except csv.Error as exc:
        raise ValidationFailed(
            fields={"csv": str(_l("This is not a CSV file: %(e)s", e=exc))}
        ) from exc
    if len(lines) > MAX_PAPER_LINES:
        raise ValidationFailed(
            fields={"csv": str(_l("At most %(n)d lines at a time.", n=MAX_PAPER_LINES))}
        )
    errors: list[str] = []
    seen: set[int] = set()
    count = 0
    outer = db.session.begin_nested()
    for number, cells in enumerate(lines, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in {"code", "codigo", "código"}:
            continue
        if len(cells) != 2:
            errors.append(str(_l("Line %(n)d: expected “code,choices”.", n=number)))
            continue
        try:
            with db.session.begin_nested():
                items = _paper_items(budget, cells[1], projects)
                _paper_ballot(actor, budget, cells[0], items, seen)
                db.session.flush()
            count += 1
        except PortalError as exc:
            errors.append(str(_l("Line %(n)d: %(problem)s", n=number, problem=exc.message)))
        except IntegrityError:
            errors.append(
                str(_l("Line %(n)d: a paper ballot with this code is already counted.", n=number))
            )
    if not count and not errors:
        errors.append(str(_l("The file contains no ballots.")))
    if errors:
        outer.rollback()
        raise ValidationFailed(
            str(_l("No ballots were stored. Please correct the file.")),
            fields={"csv": "\n".join(errors[:100])},
        )
    outer.commit()
    return count
