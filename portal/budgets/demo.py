"""Demo data: a city budget whose vote is over (15 projects, 300 ballots of which 100 on paper,
results published, so greedy and Equal Shares can be compared) and a neighbourhood budget whose
ballot is open, to try the knapsack ballot. Fixed random seed; idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.services import create_user, find_by_email
from portal.budgets import services
from portal.budgets.ballot_rules import Item
from portal.budgets.models import Ballot, Budget, Project
from portal.consultations.models import Consultation, Phase, VerificationCode
from portal.consultations.services import generate_codes, hash_code
from portal.core.models import utcnow
from portal.extensions import db

SEED = 2025
ONLINE, PAPER = 200, 100
CITY = ("participatory-budget-2025", "Participatory budget 2025")
NEIGHBOURHOOD = ("neighbourhood-budget-2026", "Neighbourhood budget 2026")

# title, cost (EUR), appeals to "centre" or "north" voters, description
CITY_PROJECTS = (
    (
        "Covered market hall renovation",
        320_000,
        "centre",
        "A roof and stalls for the Saturday market.",
    ),
    ("Riverside cycle path", 260_000, "centre", "Two kilometres of separated cycle lane."),
    ("New skate park", 150_000, "centre", "Concrete bowl and street section by the station."),
    ("Open-air cinema square", 120_000, "centre", "Screen, seating and shade sails."),
    ("Town hall solar roof", 210_000, "centre", "Panels on the town hall and the library."),
    ("Public toilets in the centre", 90_000, "centre", "Accessible toilets open day and night."),
    ("Street trees on the high street", 70_000, "centre", "Forty trees with watering bags."),
    ("North library reading garden", 45_000, "north", "Benches, shade and a little free library."),
    ("Safe crossing at North School", 60_000, "north", "Raised crossing and flashing signs."),
    ("Playground for North Park", 80_000, "north", "Equipment for toddlers and older children."),
    ("Community fridge in the north", 15_000, "north", "Shared fridge against food waste."),
    ("Bus shelter on Ring Road", 25_000, "north", "Shelter with a bench and timetable."),
    ("Repair café tools", 12_000, "north", "Tools for the monthly repair café."),
    ("Dog park on the north meadow", 40_000, "north", "Fenced area with water point."),
    ("Lighting on the north footpaths", 95_000, "north", "LED lights along the school paths."),
)
NEIGHBOURHOOD_PROJECTS = (
    ("Benches along the canal", 18_000, "Ten benches between the two bridges."),
    ("Mural on the sports hall", 25_000, "Designed with the pupils of the primary school."),
    ("Pocket park at the corner shop", 60_000, "Trees, planters and a drinking fountain."),
    ("Bicycle racks at the station", 30_000, "Covered racks for 120 bicycles."),
    ("Neighbourhood tool library", 12_000, "Lend drills, ladders and garden tools."),
    ("Traffic calming on School Street", 75_000, "Speed cushions and a 20 km/h zone."),
    ("Outdoor fitness corner", 45_000, "Six machines for all ages."),
    ("Wildflower verges", 8_000, "Sowing and mowing plan for bees."),
)


def _consultation(slug: str, title: str, phases: list[tuple[str, int, int | None]]):
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is not None:
        return consultation
    now = utcnow()
    consultation = Consultation(
        slug=slug,
        title=title,
        summary="Residents decide how part of the budget is spent.",
        description="Read the projects, fill your ballot and check the results.",
        status="published",
        voting_scope="all",
    )
    for kind, start, end in phases:
        consultation.phases.append(
            Phase(
                kind=kind,
                starts_at=now + timedelta(days=start),
                ends_at=now + timedelta(days=end) if end is not None else None,
            )
        )
    db.session.add(consultation)
    db.session.flush()
    return consultation


def _budget(consultation: Consultation, title: str, total: int, **rules) -> Budget | None:
    exists = db.session.scalar(
        select(Budget).where(Budget.consultation_id == consultation.id, Budget.title == title)
    )
    if exists is not None:
        return None
    budget = Budget(consultation_id=consultation.id, title=title, total=total * 100, **rules)
    db.session.add(budget)
    db.session.flush()
    return budget


def _add_projects(budget: Budget, rows) -> list[Project]:
    projects = []
    for position, row in enumerate(rows, start=1):
        title, cost, description = row[0], row[1], row[-1]
        project = Project(
            budget_id=budget.id,
            ref=str(position),
            position=position,
            title=title,
            description=description,
            cost=cost * 100,
            feasibility="feasible",
        )
        db.session.add(project)
        projects.append(project)
    db.session.flush()
    return projects


def _knapsack_choice(
    generator: random.Random, projects: list[Project], groups: list[str], total: int
) -> list[Project]:
    """A voter of one group: likes their group's projects, picks by taste until the money ends."""
    home = "centre" if generator.random() < 0.6 else "north"
    scored = []
    for project, group in zip(projects, groups, strict=True):
        taste = generator.random() + (0.9 if group == home else 0.0)
        scored.append((taste, project))
    scored.sort(key=lambda pair: -pair[0])
    chosen, spent = [], 0
    for taste, project in scored:
        if taste < 0.7:
            break
        if spent + project.cost <= total:
            chosen.append(project)
            spent += project.cost
    return chosen or [scored[0][1]]


def _store(budget: Budget, items: list[Item], **columns) -> None:
    ballot = Ballot(budget_id=budget.id, **columns)
    services.write_choices(ballot, budget, items)
    db.session.add(ballot)


def _city() -> list[str]:
    consultation = _consultation(
        *CITY,
        [("ideas", -120, -90), ("support", -90, -60), ("ballot", -40, -10), ("results", -10, None)],
    )
    budget = _budget(
        consultation,
        "City-wide projects 2025",
        1_000_000,
        description="One million euros for projects proposed by residents. "
        "Choose projects up to the budget; the most voted that fit are funded.",
        currency="EUR",
        ballot_kind="knapsack",
        min_spend_percent=0,
        min_projects=1,
        cost_limited=True,
        official_rule="greedy_votes",
        tie_breaking="lexico",
    )
    if budget is None:
        return ["Demo budgets already present; left as they are."]
    projects = _add_projects(budget, CITY_PROJECTS)
    groups = [row[2] for row in CITY_PROJECTS]
    generator = random.Random(SEED)
    for number in range(1, ONLINE + 1):
        email = f"demo-resident-{number:03d}@example.org"
        voter = find_by_email(email) or create_user(email, None, [], f"Demo resident {number:03d}")
        db.session.flush()
        chosen = _knapsack_choice(generator, projects, groups, budget.total)
        _store(budget, [Item(p) for p in chosen], voter_id=voter.id, channel="online")
    codes = generate_codes(consultation, PAPER, batch="demo paper ballots")
    planner = find_by_email("planner@example.org")
    for code in codes:
        row_id = db.session.scalar(
            select(VerificationCode.id).where(
                VerificationCode.code_hash == hash_code(consultation, code)
            )
        )
        chosen = _knapsack_choice(generator, projects, groups, budget.total)
        _store(
            budget,
            [Item(p) for p in chosen],
            channel="paper",
            verification_code_id=row_id,
            entered_by_id=planner.id if planner else None,
        )
    db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.consultation_id == consultation.id)
        .values(used_at=utcnow(), used_on_paper=True)
    )
    budget.results_published_at = utcnow()
    db.session.flush()
    return [
        f"Budget “{budget.title}”: {len(projects)} projects, {ONLINE} online and {PAPER} paper "
        f"ballots, results published at /budgets/{budget.id}/results"
    ]


def _neighbourhood() -> list[str]:
    consultation = _consultation(*NEIGHBOURHOOD, [("ballot", -1, 60)])
    budget = _budget(
        consultation,
        "Our neighbourhood",
        200_000,
        description="Two hundred thousand euros for the neighbourhood. Spend at least half.",
        currency="EUR",
        ballot_kind="knapsack",
        min_spend_percent=50,
        min_projects=1,
        cost_limited=True,
        official_rule="greedy_votes",
        tie_breaking="lexico",
    )
    if budget is None:
        return []
    _add_projects(budget, NEIGHBOURHOOD_PROJECTS)
    return [f"Budget “{budget.title}”: ballot open at /budgets/{budget.id}/ballot"]


def load() -> list[str]:
    return _city() + _neighbourhood()
