"""Test data for moderation: a consultation with open phases, ideas and comments (real rows)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.comments.models import Comment
from portal.consultations.models import Consultation, Phase
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas.models import Idea
from tests.factories import make_user

_counter = itertools.count(1)
OPEN_PHASES = ("ideas", "discussion", "support")


def make_consultation(status: str = "published", **settings) -> Consultation:
    n = next(_counter)
    consultation = Consultation(
        slug=f"mod-consultation-{n}", title=f"Moderated consultation {n}", status=status, **settings
    )
    for kind in OPEN_PHASES:
        consultation.phases.append(Phase(kind=kind, starts_at=utcnow() - timedelta(days=1)))
    db.session.add(consultation)
    db.session.commit()
    return consultation


def make_idea(consultation, author, title: str | None = None, body: str | None = None) -> Idea:
    n = next(_counter)
    idea = Idea(
        consultation=consultation,
        author_id=author.id,
        title=title or f"A bench in the park number {n}",
        body=body or f"We would like a bench near the pond, please ({n}).",
    )
    db.session.add(idea)
    db.session.commit()
    return idea


def make_comment(target, author, body: str | None = None) -> Comment:
    n = next(_counter)
    comment = Comment(
        target_anchor_id=target.anchor_id,
        author_id=author.id,
        body=body or f"Comment number {n} about this.",
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def people(count: int, prefix: str = "reporter") -> list:
    n = next(_counter)
    return [make_user(f"{prefix}{n}-{i}@example.org") for i in range(count)]
