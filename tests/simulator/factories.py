"""Simulator test data: a published consultation and a simulator with a few lines."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.consultations.models import Consultation, Verification
from portal.core.models import utcnow
from portal.extensions import db
from portal.simulator.models import Simulator, SimulatorLine

_counter = itertools.count(1)

# name, group, current, minimum, maximum, step (major units, EUR) — current total 1,000,000
LINES = (
    ("Parks", "Services", 300_000, 100_000, 500_000, 50_000),
    ("Libraries", "Services", 200_000, 0, 400_000, 50_000),
    ("Roads", "Capital", 500_000, 200_000, 800_000, 100_000),
)


def make_consultation(status: str = "published", require_verification: bool = False):
    n = next(_counter)
    consultation = Consultation(
        slug=f"consultation-{n}",
        title=f"Consultation {n}",
        status=status,
        require_verification=require_verification,
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


def make_simulator(
    consultation=None,
    *,
    mode: str = "balance",
    status: str = "open",
    tolerance: int = 0,
    household_share: str = "0",
    toggle: bool = False,
    results_published: bool = False,
    publish_comments: bool = False,
    opens_at=None,
    closes_at=None,
    commit: bool = True,
) -> Simulator:
    """Lines "Parks", "Libraries", "Roads" (+ an on/off "Skate park" costing 100,000 that is
    currently out when ``toggle``); amounts in cents."""
    consultation = consultation or make_consultation()
    simulator = Simulator(
        consultation=consultation,
        title="How would you split the budget?",
        mode=mode,
        currency="EUR",
        tolerance=tolerance * 100,
        household_share=household_share,
        status=status,
        results_published=results_published,
        publish_comments=publish_comments,
        opens_at=opens_at if opens_at is not None else utcnow() - timedelta(days=1),
        closes_at=closes_at,
    )
    for position, (name, group, current, low, high, step) in enumerate(LINES, start=1):
        simulator.lines.append(
            SimulatorLine(
                position=position,
                name=name,
                group_name=group,
                current_amount=current * 100,
                minimum=low * 100,
                maximum=high * 100,
                step=step * 100,
            )
        )
    if toggle:
        simulator.lines.append(
            SimulatorLine(
                position=9,
                name="Skate park",
                group_name="Capital",
                kind="toggle",
                current_amount=0,
                minimum=0,
                maximum=10_000_000,
                step=10_000_000,
            )
        )
    db.session.add(simulator)
    db.session.flush()
    if commit:
        db.session.commit()
    return simulator


def verify(user, consultation) -> None:
    db.session.add(Verification(consultation_id=consultation.id, user_id=user.id))
    db.session.commit()


def line_ids(simulator) -> dict[str, int]:
    return {line.name: line.id for line in simulator.lines}


def amounts(simulator, **by_name) -> dict[str, object]:
    """A full submission: every line at its current amount, with ``by_name`` overrides
    (major units; names with spaces use underscores)."""
    out: dict[str, object] = {}
    for line in simulator.lines:
        key = line.name.replace(" ", "_")
        out[str(line.id)] = by_name.get(key, line.current_amount // 100)
    return out
