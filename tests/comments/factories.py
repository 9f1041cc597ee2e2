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


def render_section(app, target, query: str = "", user=None) -> str:
    """Render ``comments/_section.html`` for ``target`` the way a content page includes it."""
    from flask import render_template_string
    from flask_login import login_user

    with app.test_request_context(f"/page{query}"):
        if user is not None:
            login_user(user)
        return render_template_string(
            '{% with target=t %}{% include "comments/_section.html" %}{% endwith %}', t=target
        )


def bulk_comments(target, author, count: int, replies_each: int = 0) -> None:
    """Insert many comments quickly (no notifications), keeping the counter right."""
    from portal.comments.models import Comment

    now = utcnow()
    tops = [
        Comment(
            target_anchor_id=target.anchor_id,
            author_id=author.id,
            body=f"Comment number {i}",
            created_at=now + timedelta(seconds=i),
        )
        for i in range(count)
    ]
    db.session.add_all(tops)
    db.session.flush()
    replies = []
    for top in tops:
        for j in range(replies_each):
            replies.append(
                Comment(
                    target_anchor_id=target.anchor_id,
                    author_id=author.id,
                    parent_id=top.id,
                    root_id=top.id,
                    depth=1,
                    body=f"Reply {j} to {top.id}",
                    created_at=top.created_at + timedelta(milliseconds=j + 1),
                )
            )
    db.session.add_all(replies)
    db.session.commit()
