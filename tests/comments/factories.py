"""Test data for comments and notifications: consultations with phases, comments."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.comments import services
from portal.consultations.models import Consultation, Phase
from portal.core.models import utcnow
from portal.extensions import db

_counter = itertools.count(1)


def make_consultation(
    phases: tuple[str, ...] = ("discussion",),
    status: str = "published",
    closed: tuple[str, ...] = (),
    commit: bool = True,
) -> Consultation:
    """A consultation whose ``phases`` are open now and whose ``closed`` phases have ended."""
    n = next(_counter)
    consultation = Consultation(slug=f"consultation-{n}", title=f"Consultation {n}", status=status)
    now = utcnow()
    for kind in phases:
        consultation.phases.append(Phase(kind=kind, starts_at=now - timedelta(days=1)))
    for kind in closed:
        consultation.phases.append(
            Phase(kind=kind, starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=5))
        )
    db.session.add(consultation)
    db.session.flush()
    if commit:
        db.session.commit()
    return consultation


def make_comment(author, target, body="A comment", stance="neutral", parent=None, commit=True):
    comment = services.post_comment(
        author, target, body, stance, parent_id=parent.id if parent else None
    )
    if commit:
        db.session.commit()
    return comment
