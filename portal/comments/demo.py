"""Demo comments: a short conversation with replies and votes on the demo ideas.

Runs after the demo consultation and ideas exist (if none exist yet, it does nothing: run
``portal demo`` again once they do). Idempotent: content that already has comments is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.comments.models import Comment, CommentVote
from portal.core.anchors import ANCHORED_CLASSES
from portal.core.models import utcnow
from portal.extensions import db
from portal.notifications.services import follow

CONVERSATION = [
    # (author, stance, text, reply to index or None, voters up, voters down)
    (
        "resident",
        "for",
        "Great idea: the **square** badly needs shade in summer.",
        None,
        ["planner", "moderator"],
        [],
    ),
    (
        "moderator",
        "neutral",
        "Do we know how much the maintenance would cost each year?",
        0,
        ["resident"],
        [],
    ),
    (
        "planner",
        "neutral",
        "We estimate about 2% of the build cost per year; details in the answer below.",
        1,
        ["resident", "moderator"],
        [],
    ),
    (
        "admin",
        "against",
        "I worry it will take parking spaces away from the shops.",
        None,
        [],
        ["resident"],
    ),
    (
        "resident",
        "for",
        "The shops' own survey asked for more greenery, see https://example.org/survey",
        3,
        ["moderator"],
        [],
    ),
]


def _demo_targets() -> list:
    from portal.consultations.models import Consultation

    consultation = db.session.scalar(
        select(Consultation).where(Consultation.status == "published").order_by(Consultation.id)
    )
    if consultation is None:
        return []
    idea_cls = ANCHORED_CLASSES.get("idea")
    if idea_cls is not None:
        ideas = list(
            db.session.scalars(
                select(idea_cls)
                .where(idea_cls.consultation_id == consultation.id)
                .order_by(idea_cls.id)
                .limit(3)
            )
        )
        ideas = [idea for idea in ideas if idea.is_publicly_visible()]
        if ideas:
            return ideas
    return [consultation]


def load() -> list[str]:
    people = {
        name: find_by_email(f"{name}@example.org")
        for name in ("resident", "planner", "moderator", "admin")
    }
    if any(person is None for person in people.values()):
        return []
    lines = []
    start = utcnow() - timedelta(days=3)
    for target in _demo_targets():
        exists = db.session.scalar(
            select(Comment.id).where(Comment.target_anchor_id == target.anchor_id).limit(1)
        )
        if exists is not None:
            continue
        made: list[Comment] = []
        for i, (who, stance, text, parent, ups, downs) in enumerate(CONVERSATION):
            parent_comment = made[parent] if parent is not None else None
            comment = Comment(
                target_anchor_id=target.anchor_id,
                parent_id=parent_comment.id if parent_comment else None,
                root_id=(parent_comment.root_id or parent_comment.id) if parent_comment else None,
                depth=parent_comment.depth + 1 if parent_comment else 0,
                author_id=people[who].id,
                body=text,
                stance=stance,
                created_at=start + timedelta(hours=3 * i),
                up_count=len(ups),
                down_count=len(downs),
            )
            db.session.add(comment)
            db.session.flush()
            for voter in ups:
                db.session.add(
                    CommentVote(comment_id=comment.id, user_id=people[voter].id, value=1)
                )
            for voter in downs:
                db.session.add(
                    CommentVote(comment_id=comment.id, user_id=people[voter].id, value=-1)
                )
            follow(people[who], target)
            made.append(comment)
        db.session.flush()
        lines.append(
            f"Comments: {len(made)} comments with replies and votes on “{target.anchor_title()}”."
        )
    return lines
