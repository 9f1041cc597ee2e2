"""Demo data: a budget simulator on the first published consultation, ten lines and a few
hundred synthetic responses (fixed random seed), so the results are worth looking at.
Idempotent: when the demo simulator exists, nothing is added."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import create_user, find_by_email
from portal.consultations.models import Consultation, Verification
from portal.core.models import utcnow
from portal.extensions import db
from portal.simulator import rules, services
from portal.simulator.models import Simulator, SimulatorLine

DEMO_TITLE = "How would you split next year's budget?"
RESPONSES = 300
SEED = 2027

# name, group, current, minimum, maximum, step (EUR), description
LINES = (
    (
        "Parks and green spaces",
        "Services",
        4_200_000,
        2_000_000,
        7_000_000,
        100_000,
        "Mowing, planting, playgrounds and park staff.",
    ),
    (
        "Libraries",
        "Services",
        1_800_000,
        800_000,
        3_000_000,
        100_000,
        "Opening hours of the six branch libraries and the mobile library.",
    ),
    (
        "Street cleaning and waste",
        "Services",
        5_600_000,
        4_000_000,
        7_000_000,
        100_000,
        "Sweeping, litter bins and household waste collection.",
    ),
    (
        "Youth and community centres",
        "Services",
        1_200_000,
        400_000,
        2_400_000,
        100_000,
        "Staff and activities in the neighbourhood centres.",
    ),
    (
        "Public safety and street lighting",
        "Services",
        3_000_000,
        2_000_000,
        4_000_000,
        100_000,
        "Community wardens and the street lights.",
    ),
    (
        "Social care",
        "Services",
        8_400_000,
        7_000_000,
        10_000_000,
        200_000,
        "Home care for older and disabled residents.",
    ),
    (
        "Road repairs",
        "Capital",
        6_000_000,
        3_000_000,
        9_000_000,
        200_000,
        "Resurfacing roads and pavements.",
    ),
    (
        "Cycle lanes",
        "Capital",
        1_500_000,
        0,
        4_000_000,
        100_000,
        "Protected cycle lanes on the main routes.",
    ),
    (
        "School buildings",
        "Capital",
        3_800_000,
        2_000_000,
        6_000_000,
        200_000,
        "Roofs, heating and classrooms of the public schools.",
    ),
)
TOGGLE = (
    "New swimming pool",
    "Capital",
    2_400_000,
    "A new pool in the east of town (in or out: its cost is fixed).",
)
COMMENTS = (
    "We need more trees and shade in summer.",
    "Please keep the libraries open on Sundays.",
    "The roads in my street are full of potholes.",
    "Safe cycle routes to school would change everything.",
    "Older people in our building depend on home care.",
    "The youth centre is the only place for teenagers here.",
    "More bins near the playground, please.",
)


def _demo_residents(consultation: Consultation) -> list:
    people = []
    for number in range(1, RESPONSES + 1):
        email = f"demo-resident-{number:03d}@example.org"
        user = find_by_email(email) or create_user(email, None, [], f"Demo resident {number:03d}")
        people.append(user)
    db.session.flush()
    if consultation.require_verification:
        verified = set(
            db.session.scalars(
                select(Verification.user_id).where(Verification.consultation_id == consultation.id)
            )
        )
        for user in people:
            if user.id not in verified:
                db.session.add(Verification(consultation_id=consultation.id, user_id=user.id))
        db.session.flush()
    return people


def _choices(definition: rules.Simulator, generator: random.Random) -> dict[int, int]:
    """Some moves a resident might make, then balanced within the tolerance."""
    chosen = {line.id: line.current for line in definition.lines}
    amount_lines = [line for line in definition.lines if line.kind == rules.AMOUNT]
    favourites = generator.sample(amount_lines, 3)
    for line in favourites[: generator.randint(1, 3)]:
        steps = generator.choice((-3, -2, -1, 1, 1, 2, 3, 4))
        chosen[line.id] = min(line.maximum, max(line.minimum, chosen[line.id] + steps * line.step))
    for line in definition.lines:
        if line.kind == rules.TOGGLE and generator.random() < 0.4:
            chosen[line.id] = line.maximum
    for _ in range(200):  # repair the balance step by step
        delta = sum(chosen.values()) - definition.current_total
        if abs(delta) <= definition.tolerance:
            break
        direction = -1 if delta > 0 else 1
        movable = [
            line
            for line in amount_lines
            if line not in favourites[:1]
            and line.minimum <= chosen[line.id] + direction * line.step <= line.maximum
        ]
        if not movable:
            break
        line = generator.choice(movable)
        chosen[line.id] += direction * line.step
    return chosen


def load() -> list[str]:
    consultation = db.session.scalar(
        select(Consultation).where(Consultation.status == "published").order_by(Consultation.id)
    )
    if consultation is None:
        return ["Budget simulator: no published consultation yet, so no demo simulator."]
    existing = db.session.scalar(
        select(Simulator).where(
            Simulator.consultation_id == consultation.id, Simulator.title == DEMO_TITLE
        )
    )
    if existing is not None:
        return [f"Budget simulator demo already present: /simulators/{existing.id}"]

    now = utcnow()
    simulator = Simulator(
        consultation=consultation,
        title=DEMO_TITLE,
        description=(
            "The council spends **€35.5 million** a year on the services and investments "
            "below. Move money between them: the total must stay the same (give or take "
            "€100,000). Tell us why in the comments."
        ),
        mode=rules.BALANCE,
        currency="EUR",
        tolerance=100_000 * 100,
        household_share="0",
        status="open",
        opens_at=now - timedelta(days=21),
        closes_at=now + timedelta(days=30),
        results_published=True,
        publish_comments=True,
    )
    for position, (name, group, current, low, high, step, text) in enumerate(LINES, start=1):
        simulator.lines.append(
            SimulatorLine(
                position=position,
                name=name,
                group_name=group,
                description=text,
                current_amount=current * 100,
                minimum=low * 100,
                maximum=high * 100,
                step=step * 100,
            )
        )
    name, group, cost, text = TOGGLE
    simulator.lines.append(
        SimulatorLine(
            position=len(LINES) + 1,
            name=name,
            group_name=group,
            description=text,
            kind=rules.TOGGLE,
            current_amount=0,
            minimum=0,
            maximum=cost * 100,
            step=cost * 100,
        )
    )
    db.session.add(simulator)
    db.session.flush()

    generator = random.Random(SEED)
    definition = simulator.rule()
    stored = 0
    for user in _demo_residents(consultation):
        chosen = _choices(definition, generator)
        if rules.check(definition, chosen):
            continue
        submitted = now - timedelta(days=20 * generator.random() ** 1.5, minutes=1)
        started = submitted - timedelta(seconds=generator.randint(45, 900))
        line_comments = {}
        if generator.random() < 0.12:
            line = generator.choice(simulator.lines)
            line_comments[str(line.id)] = generator.choice(COMMENTS)
        services.save_response(
            user,
            simulator,
            {str(k): str(rules.to_major(v, definition.exponent)) for k, v in chosen.items()},
            comments=line_comments,
            comment=generator.choice(COMMENTS) if generator.random() < 0.05 else "",
            started_at=started,
            now=submitted,
        )
        stored += 1
    return [
        f"Budget simulator demo: /simulators/{simulator.id} with {len(simulator.lines)} lines "
        f"and {stored} synthetic responses (results: /simulators/{simulator.id}/results)"
    ]
