"""Demo consultation "Green and lively Riverside": ideas, discussion and support open now."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.consultations import services
from portal.consultations.models import Consultation
from portal.core.models import utcnow
from portal.extensions import db

SLUG = "riverside-2026"
CATEGORIES = ["Green spaces", "Mobility", "Culture and leisure", "Safety", "Youth and education"]
DISTRICTS = ["Old Town", "Riverside", "North Hills", "Station Quarter"]
DESCRIPTION = """\
The town sets aside **€1.2 million** of next year's budget for projects proposed by residents.

1. **Ideas**: propose what would make your neighbourhood better.
2. **Discussion**: comment, ask questions, improve ideas together.
3. **Support**: support up to ten ideas. Ideas with five supports go to the ballot.
4. **Ballot**: verified residents vote on the projects the planners costed.

Every idea gets a public answer from the planning team. See
[how fast we answer](/consultations/riverside-2026/response-times).
"""


def demo_consultation() -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == SLUG))


def load() -> list[str]:
    if demo_consultation() is not None:
        return [f"Demo consultation /consultations/{SLUG} already present; left as it is."]
    planner = find_by_email("planner@example.org")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    week = timedelta(weeks=1)
    data = services.ConsultationData(
        title="Green and lively Riverside 2026",
        slug=SLUG,
        summary="Propose, discuss and support ideas for how €1.2 million is spent in your "
        "neighbourhood.",
        description=DESCRIPTION,
        status="published",
        support_limit=10,
        support_threshold=5,
        hide_support_counts=False,
        voting_scope="own_district",
        phases={
            "ideas": (now - 8 * week, now + 3 * week),
            "discussion": (now - 8 * week, now + 4 * week),
            "support": (now - 2 * week, now + 5 * week),
            "ballot": (now + 6 * week, now + 8 * week),
            "results": (now + 8 * week, now + 10 * week),
            "implementation": (now + 10 * week, None),
        },
        categories=CATEGORIES,
        districts=DISTRICTS,
    )
    consultation = services.create_consultation(planner, data) if planner else None
    if consultation is None:
        return ["Demo consultation skipped: the demo planner account is missing."]
    db.session.flush()
    codes = services.generate_codes(consultation, 5, consultation.districts[1], batch="demo")
    return [
        f"Demo consultation /consultations/{SLUG} (ideas, discussion and support open)",
        "Demo verification codes (Riverside district, each works once): " + ", ".join(codes),
    ]
