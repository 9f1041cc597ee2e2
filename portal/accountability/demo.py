# ruff: noqa: E501 - demo texts are long sentences
"""Demo official answers (over weeks, so the response-time page has something to show) and
answer templates."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from portal.accountability.models import OfficialResponse, ResponseTemplate
from portal.accounts.services import find_by_email
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas.models import Idea

TEMPLATES = (
    (
        "under_review",
        "Being studied",
        "Thank you for this idea. Our team is studying the costs and the feasibility; we will answer again within a month.",
    ),
    (
        "accepted",
        "Accepted",
        "Good news: this idea fits the budget and the town's plans. It will be on the ballot as a project.",
    ),
    (
        "rejected",
        "Not the town's competence",
        "Unfortunately this is not something the town can decide: it belongs to the province. We have passed your idea on to them.",
    ),
    (
        "merged",
        "Merged",
        "This idea is very close to another one. We merged them so that supports are not split.",
    ),
    ("implemented", "Done", "This idea has been carried out. Thank you for proposing it!"),
)

# Title prefix -> list of (status, text, reason, days after the idea or previous answer)
ANSWERS = {
    "Shade trees": [
        ("under_review", "We are checking where the underground cables run.", "", 4),
        ("accepted", "The trees fit: eight lime trees will be planted in November.", "", 12),
    ],
    "Benches along": [("accepted", "Twelve benches will be placed this spring.", "", 6)],
    "Community vegetable": [
        (
            "under_review",
            "The lot is owned by a housing association; we are talking with them.",
            "",
            9,
        )
    ],
    "Wildflower verges": [
        ("implemented", "From this year the verges are mown twice a year.", "", 3)
    ],
    "Protected cycle lane": [("under_review", "A traffic study starts next month.", "", 15)],
    "Covered bike parking": [
        ("accepted", "The railway company will pay half; we will build it next year.", "", 21)
    ],
    "30 km/h": [("under_review", "We will consult the emergency services first.", "", 2)],
    "Evening bus": [
        (
            "rejected",
            "Bus timetables are decided by the regional transport authority. We have forwarded your idea to them.",
            "Not the town's competence",
            8,
        )
    ],
    "Safe crossing": [
        ("accepted", "The school street will start after the summer holiday.", "", 5)
    ],
    "Open-air cinema": [
        ("accepted", "The cultural department will organise it with residents.", "", 11)
    ],
    "Better lighting": [("under_review", "An electrician is measuring the light levels.", "", 27)],
    "Defibrillators": [("implemented", "AEDs now hang in all three buildings.", "", 18)],
    "Youth centre": [
        (
            "under_review",
            "The building needs a survey first; young people will be invited to plan it.",
            "",
            33,
        )
    ],
    "Skatepark": [
        ("under_review", "We are looking for the right place with local skaters.", "", 40)
    ],
    "Trees for the market": [
        ("merged", "This is the same as “Shade trees on the market square”: we merged them.", "", 1)
    ],
    "Speed display": [
        (
            "rejected",
            "The ring road is a provincial road; the town may not place signs there.",
            "Provincial road",
            25,
        )
    ],
    "Drinking water": [
        ("accepted", "Three fountains will be connected by the water company.", "", 14)
    ],
}


def load() -> list[str]:
    from portal.consultations.demo import demo_consultation

    lines = []
    planner = find_by_email("planner@example.org")
    if not db.session.scalar(select(func.count(ResponseTemplate.id))):
        for status, name, text in TEMPLATES:
            db.session.add(
                ResponseTemplate(
                    status=status,
                    name=name,
                    text=text,
                    created_by_id=planner.id if planner else None,
                )
            )
        lines.append(f"Demo answer templates: {len(TEMPLATES)}")
    consultation = demo_consultation()
    if consultation is None or planner is None:
        return lines
    ideas = list(db.session.scalars(select(Idea).where(Idea.consultation_id == consultation.id)))
    if not ideas:
        return lines
    answered = db.session.scalar(
        select(func.count(OfficialResponse.id)).where(
            OfficialResponse.idea_id.in_([i.id for i in ideas])
        )
    )
    if answered:
        return [*lines, "Demo official answers already present; left as they are."]
    rng = random.Random(7)
    now = utcnow()
    count = 0
    for idea in sorted(ideas, key=lambda i: i.id):
        plan = next((v for k, v in ANSWERS.items() if idea.title.startswith(k)), None)
        if not plan:
            continue
        when = idea.created_at
        for status, text, reason, days in plan:
            when = when + timedelta(days=days, hours=rng.randint(1, 8))
            if when > now:
                when = now - timedelta(hours=1)
            target = None
            if status == "merged":
                target = next((i for i in ideas if i.title.startswith("Shade trees")), None)
            db.session.add(
                OfficialResponse(
                    idea_id=idea.id,
                    author_id=planner.id,
                    status=status,
                    previous_status=idea.status,
                    text=text,
                    reason=reason,
                    merged_into_id=target.id if target else None,
                    created_at=when,
                )
            )
            idea.status = status
            idea.merged_into_id = target.id if target else None
            if idea.first_answered_at is None:
                idea.first_answered_at = when
            count += 1
    return [*lines, f"Demo official answers: {count}, spread over weeks"]
