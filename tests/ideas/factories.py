"""Factories for consultations and ideas: real rows through the real services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.consultations import services as consultation_services
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas import services as idea_services
from tests.factories import make_user

_counter = itertools.count(1)
DAY = timedelta(days=1)


def phases_open(*kinds: str, closed: tuple[str, ...] = (), future: tuple[str, ...] = ()):
    """Phase dates: ``kinds`` open now, ``closed`` ended yesterday, ``future`` start tomorrow."""
    now = utcnow()
    dates = {}
    for kind in kinds:
        dates[kind] = (now - 10 * DAY, now + 10 * DAY)
    for kind in closed:
        dates[kind] = (now - 20 * DAY, now - DAY)
    for kind in future:
        dates[kind] = (now + DAY, now + 20 * DAY)
    return dates


def make_consultation(
    open_phases=("ideas", "discussion", "support"),
    closed=(),
    future=(),
    status="published",
    categories=("Green spaces", "Mobility", "Culture"),
    districts=("North", "South"),
    planner=None,
    commit=True,
    **settings,
):
    n = next(_counter)
    planner = planner or make_user(roles=("planner",))
    data = consultation_services.ConsultationData(
        title=settings.pop("title", f"Consultation {n}"),
        slug=settings.pop("slug", f"consultation-{n}"),
        summary="A consultation for tests.",
        description="Tell us **what** you want.",
        status=status,
        phases=phases_open(*open_phases, closed=closed, future=future),
        categories=list(categories),
        districts=list(districts),
        **settings,
    )
    consultation = consultation_services.create_consultation(planner, data)
    if commit:
        db.session.commit()
    return consultation


def make_idea(consultation, author=None, title=None, body=None, commit=True, **fields):
    author = author or make_user()
    n = next(_counter)
    category = fields.pop("category_id", None)
    if category is None and consultation.categories:
        category = consultation.categories[0].id
    data = idea_services.IdeaData(
        title=title or f"Idea number {n} for the town",
        body=body or "A longer description of what should happen and why.",
        category_id=category,
        **fields,
    )
    idea = idea_services.create_idea(author, consultation, data)
    if commit:
        db.session.commit()
    return idea
