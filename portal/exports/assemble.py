"""Gather everything a vision document shows, as plain data, from the other capabilities.

This is the only module of ``portal.exports`` that reads the other capabilities' tables for
the document. Every read of content goes through ``Model.visible()`` (ideas through
``Idea.listed()``), so hidden, pending, withdrawn and deleted content never reaches a
document. Budget vote counts appear only once the planner published a budget's results,
simulator aggregates only once its results are public, and support counts only when the
consultation shows them to the public.

A capability whose tables do not exist yet gives a section that says so
(``available=False``) instead of an error. The number of SQL queries does not depend on the
number of ideas or comments: everything is grouped in the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, inspect, literal, select, union_all

from portal.consultations.models import Consultation, Verification
from portal.core.html import plain_text
from portal.core.models import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)

STANCES = ("for", "against")
ARGUMENTS_PER_STANCE = 3
RESPONSES_PER_THEME = 8
NO_THEME = 0  # the id used for the chapter of ideas without a theme


# --- the plain data ----------------------------------------------------------------------------


@dataclass
class Settings:
    """What the planner chose (see :class:`portal.exports.models.VisionDocument`)."""

    title: str = ""
    introduction: str = ""
    vision: str = ""
    theme_ids: list[int] | None = None  # None: every theme (and ideas without one)
    idea_ids: list[int] | None = None  # None: the most supported of each theme
    budget_ids: list[int] | None = None  # None: every budget
    ideas_per_theme: int = 5


@dataclass
class IdeaItem:
    id: int
    title: str
    url: str
    summary: str
    status: str
    supports: int | None  # None while the consultation hides support counts
    comments: int
    district: str = ""


@dataclass
class Argument:
    text: str
    up: int
    stance: str
    idea_title: str
    idea_url: str


@dataclass
class ResponseItem:
    idea_id: int
    idea_title: str
    idea_url: str
    status: str
    text: str
    reason: str
    date: datetime


@dataclass
class Theme:
    id: int
    name: str
    description: str
    ideas: int = 0
    supports: int | None = 0
    comments: int = 0
    answered: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    featured: list[IdeaItem] = field(default_factory=list)
    arguments: dict[str, list[Argument]] = field(default_factory=dict)
    responses: list[ResponseItem] = field(default_factory=list)


@dataclass
class WeekActivity:
    week: date  # the Monday
    ideas: int = 0
    comments: int = 0
    supports: int = 0


@dataclass
class DistrictRow:
    name: str
    ideas: int
    supports: int | None
    verified: int


@dataclass
class Participation:
    participants: int
    ideas: int
    comments: int
    supports: int | None
    ballots: int | None  # None: no budget tables yet
    simulator_responses: int | None  # None: no simulator tables yet
    weeks: list[WeekActivity]
    districts: list[DistrictRow]


@dataclass
class ProjectResult:
    id: int
    title: str
    url: str
    cost: int  # minor units
    votes: int | None  # None until the results are published
    funded: bool
    funded_proportional: bool | None


@dataclass
class BudgetResult:
    id: int
    title: str
    url: str
    currency: str
    total: int  # minor units
    ballot_kind: str
    district: str
    rule: str
    proportional_rule: str
    published: bool
    ballots: int
    projects: list[ProjectResult]
    error: str = ""

    @property
    def funded(self) -> list[ProjectResult]:
        return [p for p in self.projects if p.funded]

    @property
    def spent(self) -> int:
        return sum(p.cost for p in self.funded)

    @property
    def gained_proportional(self) -> list[ProjectResult]:
        return [p for p in self.projects if p.funded_proportional and not p.funded]

    @property
    def lost_proportional(self) -> list[ProjectResult]:
        return [p for p in self.projects if p.funded and p.funded_proportional is False]


@dataclass
class SimulatorLineResult:
    name: str
    group: str
    current: Decimal
    mean: Decimal | None
    median: Decimal | None
    raised_share: Decimal
    kept_share: Decimal
    cut_share: Decimal


@dataclass
class SimulatorResult:
    id: int
    title: str
    url: str
    currency: str
    mode: str
    published: bool
    responses: int
    lines: list[SimulatorLineResult]


@dataclass
class TimeRow:
    label: str
    ideas: int
    answered: int
    median_days: float | None
    within: dict[int, float | None]


@dataclass
class Accountability:
    available: bool
    statuses: dict[str, int]
    times: list[TimeRow]  # overall first, then per theme
    waiting: int


@dataclass
class PhaseRow:
    kind: str
    starts_at: datetime
    ends_at: datetime | None


@dataclass
class Methodology:
    phases: list[PhaseRow]
    require_verification: bool
    voting_scope: str
    support_limit: int | None
    support_threshold: int | None
    districts: list[str]
    rules: list[tuple[str, str, str]]  # (budget, ballot kind, rule)
    hidden: dict[str, dict[str, int]]  # reason -> kind -> count
    pending: int
    open_data: dict[str, str]  # format -> URL


@dataclass
class VisionData:
    """Everything the document writers need, and nothing else."""

    consultation_id: int
    slug: str
    title: str
    consultation_title: str
    summary: str
    url: str
    generated_at: datetime
    introduction: str
    vision: str
    participation: Participation
    themes: list[Theme]
    budgets: list[BudgetResult]
    budgets_available: bool
    simulators: list[SimulatorResult]
    simulators_available: bool
    accountability: Accountability
    methodology: Methodology
    supports_visible: bool


# --- helpers -----------------------------------------------------------------------------------


class _Tables:
    """Which capabilities' tables exist in this database (they land one after another)."""

    def __init__(self) -> None:
        self._names = set(inspect(db.engine).get_table_names())

    def __contains__(self, name: str) -> bool:
        return name in self._names


def _url(endpoint: str, **values: Any) -> str:
    """An absolute URL, also outside a request (CLI, background jobs) using BASE_URL."""
    try:
        if has_request_context():
            return url_for(endpoint, _external=True, **values)
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            return url_for(endpoint, _external=True, **values)
    except Exception:  # noqa: BLE001 - a capability without its pages yet: no link
        return ""


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def supports_visible(consultation: Consultation) -> bool:
    """Whether the public may see support counts now (see portal.ideas)."""
    try:
        from portal.ideas.services import support_counts_visible
    except ImportError:  # pragma: no cover - ideas always exist in a running portal
        return True
    return support_counts_visible(consultation, None)


def open_data_urls(consultation: Consultation) -> dict[str, str]:
    urls = {
        fmt: _url("exports.open_data_file", slug=consultation.slug, fmt=fmt)
        for fmt in ("zip", "json", "xlsx")
    }
    urls["page"] = _url("exports.open_data", slug=consultation.slug)
    urls["api"] = _url("api.open_data_index", slug=consultation.slug)
    return urls


# --- the assembly ------------------------------------------------------------------------------


def assemble(consultation: Consultation, settings: Settings | None = None) -> VisionData:
    """Everything the vision document of ``consultation`` shows, as plain data."""
    settings = settings or Settings()
    tables = _Tables()
    shows_supports = supports_visible(consultation)
    themes = _themes(consultation, settings, tables, shows_supports)
    budgets_available = "budgets" in tables and "budget_projects" in tables
    simulators_available = "simulators" in tables
    return VisionData(
        consultation_id=consultation.id,
        slug=consultation.slug,
        title=settings.title or consultation.title,
        consultation_title=consultation.title,
        summary=consultation.summary,
        url=_url("consultations.show", slug=consultation.slug),
        generated_at=utcnow(),
        introduction=settings.introduction,
        vision=settings.vision,
        participation=_participation(consultation, tables, shows_supports),
        themes=themes,
        budgets=_budgets(consultation, settings) if budgets_available else [],
        budgets_available=budgets_available,
        simulators=_simulators(consultation) if simulators_available else [],
        simulators_available=simulators_available,
        accountability=_accountability(consultation, tables),
        methodology=_methodology(consultation, tables),
        supports_visible=shows_supports,
    )


# --- participation -----------------------------------------------------------------------------


def comment_sources(consultation: Consultation, tables: _Tables | None = None) -> list:
    """Where the public comments of ``consultation`` are: ``(kind, model, condition)`` for
    ideas, budget projects and the consultation itself. Each joins comments on its own
    unique ``anchor_id`` (an index lookup per comment, on every database)."""
    from portal.ideas.models import Idea

    tables = tables or _Tables()
    sources: list = [
        ("idea", Idea, (Idea.consultation_id == consultation.id) & Idea.listed()),
        ("consultation", Consultation, Consultation.id == consultation.id),
    ]
    if "budget_projects" in tables:
        from portal.budgets.models import Budget, Project

        in_budgets = select(Budget.id).where(Budget.consultation_id == consultation.id)
        sources.append(("project", Project, Project.budget_id.in_(in_budgets) & Project.visible()))
    return sources


def public_comment_filter(consultation: Consultation, tables: _Tables | None = None):
    """SQL condition for "a comment the public sees on this consultation's content": visible,
    not deleted, on a listed idea, a visible project or the consultation itself."""
    from portal.comments.models import Comment

    anchors = union_all(
        *(
            select(model.anchor_id).where(where)
            for _k, model, where in comment_sources(consultation, tables)
        )
    )
    return Comment.target_anchor_id.in_(anchors) & Comment.visible() & Comment.deleted_at.is_(None)


def _per_day(column, *where, join=None) -> dict[date, int]:
    day = func.date(column)
    stmt = select(day, func.count())
    if join is not None:
        stmt = stmt.select_from(join)
    rows = db.session.execute(stmt.where(*where).group_by(day))
    found: dict[date, int] = {}
    for value, count in rows:
        key = _as_date(value)
        if key is not None:
            found[key] = found.get(key, 0) + int(count)
    return found


def _participation(
    consultation: Consultation, tables: _Tables, shows_supports: bool
) -> Participation:
    from portal.comments.models import Comment
    from portal.ideas.models import Idea, Support

    listed = (Idea.consultation_id == consultation.id) & Idea.listed()
    public_comments = public_comment_filter(consultation, tables)

    ideas_by_day = _per_day(Idea.created_at, listed)
    comments_by_day = _per_day(Comment.created_at, public_comments)
    supports_by_day = _per_day(
        Support.created_at,
        Support.consultation_id == consultation.id,
        listed,
        join=Support.__table__.join(Idea.__table__, Idea.id == Support.idea_id),
    )

    people = [
        select(Idea.author_id.label("person")).where(listed, Idea.author_id.is_not(None)),
        select(Comment.author_id).where(public_comments, Comment.author_id.is_not(None)),
        select(Support.user_id)
        .join(Idea, Idea.id == Support.idea_id)
        .where(Support.consultation_id == consultation.id, listed),
    ]
    ballots: int | None = None
    if "ballots" in tables:
        from portal.budgets.models import Ballot, Budget

        budget_ids = select(Budget.id).where(Budget.consultation_id == consultation.id)
        ballots = db.session.scalar(
            select(func.count(Ballot.id)).where(Ballot.budget_id.in_(budget_ids))
        )
        people.append(
            select(Ballot.voter_id).where(
                Ballot.budget_id.in_(budget_ids), Ballot.voter_id.is_not(None)
            )
        )
    responses: int | None = None
    if "simulator_responses" in tables:
        from portal.simulator.models import Simulator, SimulatorResponse

        simulator_ids = select(Simulator.id).where(Simulator.consultation_id == consultation.id)
        submitted = SimulatorResponse.submitted_at.is_not(None)
        responses = db.session.scalar(
            select(func.count(SimulatorResponse.id)).where(
                SimulatorResponse.simulator_id.in_(simulator_ids), submitted
            )
        )
        people.append(
            select(SimulatorResponse.user_id).where(
                SimulatorResponse.simulator_id.in_(simulator_ids), submitted
            )
        )
    everyone = union_all(*people).subquery()
    participants = db.session.scalar(select(func.count(func.distinct(everyone.c.person))))

    weeks: dict[date, WeekActivity] = {}
    for source, attr in (
        (ideas_by_day, "ideas"),
        (comments_by_day, "comments"),
        (supports_by_day, "supports"),
    ):
        for day, count in source.items():
            row = weeks.setdefault(_week(day), WeekActivity(_week(day)))
            setattr(row, attr, getattr(row, attr) + count)
    if weeks:  # weeks without activity are shown too, so the chart's time axis is honest
        first, last = min(weeks), max(weeks)
        cursor = first
        while cursor <= last:
            weeks.setdefault(cursor, WeekActivity(cursor))
            cursor += timedelta(days=7)
    week_rows = [weeks[key] for key in sorted(weeks)]
    if not shows_supports:
        for row in week_rows:
            row.supports = 0

    by_district = dict(
        (district_id, (int(n), int(s or 0)))
        for district_id, n, s in db.session.execute(
            select(Idea.district_id, func.count(Idea.id), func.sum(Idea.support_count))
            .where(listed)
            .group_by(Idea.district_id)
        )
    )
    verified = dict(
        db.session.execute(
            select(Verification.district_id, func.count(Verification.id))
            .where(Verification.consultation_id == consultation.id)
            .group_by(Verification.district_id)
        ).all()
    )
    districts = []
    for district in consultation.districts:
        ideas, supports = by_district.get(district.id, (0, 0))
        districts.append(
            DistrictRow(
                district.name,
                ideas,
                supports if shows_supports else None,
                int(verified.get(district.id, 0)),
            )
        )
    if None in by_district and consultation.districts:
        ideas, supports = by_district[None]
        districts.append(
            DistrictRow("", ideas, supports if shows_supports else None, verified.get(None, 0))
        )
    return Participation(
        participants=int(participants or 0),
        ideas=sum(ideas_by_day.values()),
        comments=sum(comments_by_day.values()),
        supports=sum(supports_by_day.values()) if shows_supports else None,
        ballots=int(ballots) if ballots is not None else None,
        simulator_responses=int(responses) if responses is not None else None,
        weeks=week_rows,
        districts=districts,
    )


# --- themes ------------------------------------------------------------------------------------


def _themes(
    consultation: Consultation, settings: Settings, tables: _Tables, shows_supports: bool
) -> list[Theme]:
    from portal.comments.models import Comment
    from portal.core.anchors import Anchor
    from portal.ideas.models import Idea

    listed = (Idea.consultation_id == consultation.id) & Idea.listed()
    chosen = settings.theme_ids
    themes: dict[int, Theme] = {}
    for category in consultation.categories:
        if chosen is None or category.id in chosen:
            themes[category.id] = Theme(category.id, category.name, category.description)
    theme_key = func.coalesce(Idea.category_id, NO_THEME)

    counts = db.session.execute(
        select(
            theme_key,
            Idea.status,
            func.count(Idea.id),
            func.sum(Idea.support_count),
            func.sum(Anchor.comment_count),
            func.count(Idea.first_answered_at),
        )
        .join(Anchor, Anchor.id == Idea.anchor_id)
        .where(listed)
        .group_by(theme_key, Idea.status)
    ).all()
    if (chosen is None or NO_THEME in chosen) and any(row[0] == NO_THEME for row in counts):
        themes[NO_THEME] = Theme(NO_THEME, "", "")
    for key, status, n, supports, comments, answered in counts:
        theme = themes.get(key)
        if theme is None:
            continue
        theme.ideas += int(n)
        theme.supports = (theme.supports or 0) + int(supports or 0)
        theme.comments += int(comments or 0)
        theme.answered += int(answered or 0)
        theme.statuses[status] = theme.statuses.get(status, 0) + int(n)
    if not themes:
        return []

    districts = {d.id: d.name for d in consultation.districts}
    # Featured ideas: the planner's choice, or the most supported of each theme.
    if settings.idea_ids is not None:
        stmt = (
            select(Idea, Anchor.comment_count)
            .join(Anchor, Anchor.id == Idea.anchor_id)
            .where(listed, Idea.id.in_(settings.idea_ids or [-1]))
            .order_by(Idea.support_count.desc(), Idea.id)
        )
        rows = db.session.execute(stmt).all()
    else:
        rank = (
            func.row_number()
            .over(partition_by=theme_key, order_by=(Idea.support_count.desc(), Idea.id))
            .label("rank")
        )
        ranked = select(Idea.id.label("idea_id"), rank).where(listed).subquery("ranked_ideas")
        stmt = (
            select(Idea, Anchor.comment_count)
            .join(ranked, ranked.c.idea_id == Idea.id)
            .join(Anchor, Anchor.id == Idea.anchor_id)
            .where(ranked.c.rank <= settings.ideas_per_theme)
            .order_by(Idea.support_count.desc(), Idea.id)
        )
        rows = db.session.execute(stmt).all() if settings.ideas_per_theme > 0 else []
    for idea, comment_count in rows:
        theme = themes.get(idea.category_id or NO_THEME)
        if theme is None:
            continue
        theme.featured.append(
            IdeaItem(
                id=idea.id,
                title=idea.title,
                url=_url("ideas.show", idea_id=idea.id),
                summary=plain_text(idea.body, 280),
                status=idea.status,
                supports=idea.support_count if shows_supports else None,
                comments=int(comment_count or 0),
                district=districts.get(idea.district_id, ""),
            )
        )

    # The strongest arguments: the most up-voted visible comments for and against, per theme.
    argument_theme = func.coalesce(Idea.category_id, NO_THEME)
    arg_rank = (
        func.row_number()
        .over(
            partition_by=(argument_theme, Comment.stance),
            order_by=(Comment.up_count.desc(), Comment.down_count, Comment.id),
        )
        .label("rank")
    )
    ranked_args = (
        select(Comment.id.label("comment_id"), arg_rank)
        .join(Idea, Idea.anchor_id == Comment.target_anchor_id)
        .where(
            listed,
            Comment.visible(),
            Comment.deleted_at.is_(None),
            Comment.stance.in_(STANCES),
            Comment.up_count > 0,
        )
        .subquery("ranked_arguments")
    )
    for _comment_id, body, stance, up, idea_id, idea_title, category_id in db.session.execute(
        select(
            Comment.id,
            Comment.body,
            Comment.stance,
            Comment.up_count,
            Idea.id,
            Idea.title,
            Idea.category_id,
        )
        .join(ranked_args, ranked_args.c.comment_id == Comment.id)
        .join(Idea, Idea.anchor_id == Comment.target_anchor_id)
        .where(ranked_args.c.rank <= ARGUMENTS_PER_STANCE)
        .order_by(Comment.up_count.desc(), Comment.id)
    ):
        theme = themes.get(category_id or NO_THEME)
        if theme is None:
            continue
        theme.arguments.setdefault(stance, []).append(
            Argument(
                text=plain_text(body, 400),
                up=int(up),
                stance=stance,
                idea_title=idea_title,
                idea_url=_url("ideas.show", idea_id=idea_id),
            )
        )

    if "official_responses" in tables:
        _theme_responses(consultation, themes, listed)
    return list(themes.values())


def _theme_responses(consultation: Consultation, themes: dict[int, Theme], listed) -> None:
    """The latest official response of the featured ideas and the newest answers per theme."""
    from portal.accountability.models import OfficialResponse
    from portal.ideas.models import Idea

    featured = {item.id for theme in themes.values() for item in theme.featured}
    theme_key = func.coalesce(Idea.category_id, NO_THEME)
    latest_per_idea = (
        select(
            OfficialResponse.id.label("response_id"),
            func.row_number()
            .over(
                partition_by=OfficialResponse.idea_id,
                order_by=(OfficialResponse.created_at.desc(), OfficialResponse.id.desc()),
            )
            .label("rank"),
        )
        .join(Idea, Idea.id == OfficialResponse.idea_id)
        .where(listed)
        .subquery("latest_response")
    )
    newest_ideas = (
        select(
            OfficialResponse.id.label("response_id"),
            func.row_number()
            .over(
                partition_by=theme_key,
                order_by=(OfficialResponse.created_at.desc(), OfficialResponse.id.desc()),
            )
            .label("theme_rank"),
            OfficialResponse.idea_id.label("idea_id"),
        )
        .join(latest_per_idea, latest_per_idea.c.response_id == OfficialResponse.id)
        .join(Idea, Idea.id == OfficialResponse.idea_id)
        .where(latest_per_idea.c.rank == 1)
        .subquery("newest_answers")
    )
    rows = db.session.execute(
        select(OfficialResponse, Idea.title, Idea.category_id)
        .join(newest_ideas, newest_ideas.c.response_id == OfficialResponse.id)
        .join(Idea, Idea.id == OfficialResponse.idea_id)
        .where(
            (newest_ideas.c.theme_rank <= RESPONSES_PER_THEME)
            | newest_ideas.c.idea_id.in_(sorted(featured) or [-1])
        )
        .order_by(OfficialResponse.created_at.desc(), OfficialResponse.id.desc())
    ).all()
    for response, idea_title, category_id in rows:
        theme = themes.get(category_id or NO_THEME)
        if theme is None:
            continue
        theme.responses.append(
            ResponseItem(
                idea_id=response.idea_id,
                idea_title=idea_title,
                idea_url=_url("ideas.show", idea_id=response.idea_id),
                status=response.status,
                text=plain_text(response.text, 600),
                reason=response.reason or "",
                date=response.created_at,
            )
        )


# --- budgets -----------------------------------------------------------------------------------


def _budgets(consultation: Consultation, settings: Settings) -> list[BudgetResult]:
    """Each budget with its projects; votes and outcomes only once results are published
    (computed by :func:`portal.budgets.results.summary`)."""
    from portal.budgets import results as budget_results
    from portal.budgets.models import Project
    from portal.budgets.services import ballots_by_budget, budgets_for

    budgets = [
        b
        for b in budgets_for(consultation)
        if settings.budget_ids is None or b.id in settings.budget_ids
    ]
    ids = [b.id for b in budgets]
    # Two statements for all budgets, not two per budget: ballots counted together, and the
    # projects on the ballot of every budget whose results are not out yet.
    ballots = ballots_by_budget(ids)
    on_ballot: dict[int, list[Project]] = {i: [] for i in ids}
    waiting = [b.id for b in budgets if not b.results_published]
    if waiting:
        for project in db.session.scalars(
            budget_results.counted_projects_statement(waiting).order_by(
                Project.budget_id, Project.position, Project.id
            )
        ):
            on_ballot[project.budget_id].append(project)

    found = []
    for budget in budgets:
        result = BudgetResult(
            id=budget.id,
            title=budget.title,
            url=_url("budgets.show", budget_id=budget.id),
            currency=budget.currency,
            total=int(budget.total),
            ballot_kind=budget.ballot_kind,
            district=budget.district.name if budget.district else "",
            rule=budget.official_rule,
            proportional_rule=budget_results.other_rule(budget),
            published=budget.results_published,
            ballots=int(ballots.get(budget.id, 0)),
            projects=[],
        )
        data = None
        if budget.results_published:
            try:
                data = budget_results.summary(budget)
            except Exception as exc:  # noqa: BLE001 - one budget's problem must not stop the rest
                log.warning("budget %s results: %s", budget.id, exc)
                result.error = str(exc)
        if data is not None:
            added = {row["id"] for row in data["would_add"]}
            removed = {row["id"] for row in data["would_remove"]}
            result.proportional_rule = data["compared_with"]
            for row in data["projects"]:
                result.projects.append(
                    ProjectResult(
                        id=row["id"],
                        title=row["title"],
                        url=_url("budgets.project", budget_id=budget.id, project_id=row["id"]),
                        cost=int(row["cost"]),
                        votes=int(row["votes"]),
                        funded=bool(row["funded"]),
                        funded_proportional=(row["funded"] and row["id"] not in removed)
                        or row["id"] in added,
                    )
                )
            result.projects.sort(key=lambda p: (-(p.votes or 0), p.id))
        else:
            for project in on_ballot[budget.id]:
                result.projects.append(
                    ProjectResult(
                        id=project.id,
                        title=project.title,
                        url=_url("budgets.project", budget_id=budget.id, project_id=project.id),
                        cost=int(project.cost),
                        votes=None,
                        funded=False,
                        funded_proportional=None,
                    )
                )
        found.append(result)
    return found


# --- simulators --------------------------------------------------------------------------------


def _simulators(consultation: Consultation) -> list[SimulatorResult]:
    from portal.simulator import services as simulator_services

    found = []
    for simulator in simulator_services.simulators_for(consultation, None):
        published = simulator_services.can_see_results(None, simulator)
        result = SimulatorResult(
            id=simulator.id,
            title=simulator.title,
            url=_url("simulator.show", simulator_id=simulator.id),
            currency=simulator.currency,
            mode=simulator.mode,
            published=published,
            responses=0,
            lines=[],
        )
        if published:
            data = simulator_services.aggregate(simulator, include_comments=False)
            result.responses = int(data["responses"])
            for line in data["lines"]:
                result.lines.append(
                    SimulatorLineResult(
                        name=line["name"],
                        group=line["group"],
                        current=line["current"],
                        mean=line["mean"],
                        median=line["median"],
                        raised_share=line["raised_share"],
                        kept_share=line["kept_share"],
                        cut_share=line["cut_share"],
                    )
                )
        found.append(result)
    return found


# --- accountability ----------------------------------------------------------------------------


def _accountability(consultation: Consultation, tables: _Tables) -> Accountability:
    from portal.ideas.models import Idea

    statuses = dict(
        db.session.execute(
            select(Idea.status, func.count(Idea.id))
            .where(Idea.consultation_id == consultation.id, Idea.listed())
            .group_by(Idea.status)
        ).all()
    )
    if "official_responses" not in tables:
        return Accountability(False, statuses, [], 0)
    from portal.accountability.services import WINDOWS, response_times

    times = response_times(consultation, waiting_limit=0)
    rows = []
    for stats in (times.overall, *times.categories):
        rows.append(
            TimeRow(
                label=stats.label,
                ideas=stats.ideas,
                answered=stats.answered,
                median_days=stats.median_days,
                within={days: stats.share(days) for days in WINDOWS},
            )
        )
    return Accountability(True, statuses, rows, times.overall.ideas - times.overall.answered)


# --- methodology -------------------------------------------------------------------------------


def hidden_counts(consultation: Consultation, tables: _Tables | None = None):
    """Items hidden by moderation, per reason and kind, and the number waiting for review."""
    from portal.comments.models import Comment
    from portal.ideas.models import Idea
    from portal.moderation.visibility import HIDDEN, PENDING, PUBLISHED

    tables = tables or _Tables()
    state_reason = []
    idea_rows = select(
        literal("idea").label("kind"), Idea.moderation_state, Idea.hidden_reason
    ).where(Idea.consultation_id == consultation.id)
    state_reason.append(idea_rows)
    # Comments on any of the consultation's content, whatever that content's own state.
    own = [
        select(Idea.anchor_id.label("anchor_id")).where(Idea.consultation_id == consultation.id),
        select(literal(consultation.anchor_id)),
    ]
    if "budget_projects" in tables:
        from portal.budgets.models import Budget, Project

        project_rows = (
            select(literal("project"), Project.moderation_state, Project.hidden_reason)
            .join(Budget, Budget.id == Project.budget_id)
            .where(Budget.consultation_id == consultation.id)
        )
        state_reason.append(project_rows)
        own.append(
            select(Project.anchor_id)
            .join(Budget, Budget.id == Project.budget_id)
            .where(Budget.consultation_id == consultation.id)
        )
    state_reason.append(
        select(literal("comment"), Comment.moderation_state, Comment.hidden_reason).where(
            Comment.target_anchor_id.in_(union_all(*own)),
            Comment.moderation_state != PUBLISHED,
        )
    )
    everything = union_all(*state_reason).subquery("moderated")
    hidden: dict[str, dict[str, int]] = {}
    pending = 0
    for kind, state, reason, count in db.session.execute(
        select(
            everything.c.kind,
            everything.c.moderation_state,
            everything.c.hidden_reason,
            func.count(),
        )
        .where(everything.c.moderation_state.in_((HIDDEN, PENDING)))
        .group_by(everything.c.kind, everything.c.moderation_state, everything.c.hidden_reason)
    ):
        if state == PENDING:
            pending += int(count)
            continue
        bucket = hidden.setdefault(reason or "other", {})
        bucket[kind] = bucket.get(kind, 0) + int(count)
    return hidden, pending


def _methodology(consultation: Consultation, tables: _Tables) -> Methodology:
    rules: list[tuple[str, str, str]] = []
    if "budgets" in tables:
        from portal.budgets.models import Budget

        for budget in db.session.scalars(
            select(Budget)
            .where(Budget.consultation_id == consultation.id)
            .order_by(Budget.position, Budget.id)
        ):
            rules.append((budget.title, budget.ballot_kind, budget.official_rule))
    hidden, pending = hidden_counts(consultation, tables)
    return Methodology(
        phases=[PhaseRow(p.kind, p.starts_at, p.ends_at) for p in consultation.phases],
        require_verification=consultation.require_verification,
        voting_scope=consultation.voting_scope,
        support_limit=consultation.support_limit,
        support_threshold=consultation.support_threshold,
        districts=[d.name for d in consultation.districts],
        rules=rules,
        hidden=hidden,
        pending=pending,
        open_data=open_data_urls(consultation),
    )
