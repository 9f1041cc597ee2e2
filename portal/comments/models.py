"""Threaded comments on any anchored content, and one vote per person on a comment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import url_for
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portal.accounts.models import User
from portal.core.anchors import ANCHORED_CLASSES, Anchor, Anchored
from portal.core.models import utcnow
from portal.extensions import db
from portal.moderation.visibility import PUBLISHED, Moderated

if TYPE_CHECKING:
    from portal.consultations.models import Consultation

STANCES = ("for", "against", "neutral")
MAX_DEPTH = 3  # a comment at this depth takes no replies (top-level comments are depth 0)


class Comment(Anchored, Moderated, db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("stance IN ('for', 'against', 'neutral')", name="known_stance"),
        CheckConstraint("depth >= 0 AND depth <= 3", name="depth_limit"),
        Index("ix_comments_target_anchor_id_parent_id", "target_anchor_id", "parent_id"),
        # A thread page loads its visible replies by root and state (migration 0009).
        Index("ix_comments_root_id_moderation_state", "root_id", "moderation_state"),
    )
    anchor_kind = "comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The commented content (an idea, a budget project, a consultation ...).
    target_anchor_id: Mapped[int] = mapped_column(
        ForeignKey("anchors.id", ondelete="CASCADE"), nullable=False
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # The top-level comment of the thread (its own id for a top-level comment): a page of
    # threads and all their replies load in one query.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    stance: Mapped[str] = mapped_column(
        String(8), nullable=False, default="neutral", server_default="neutral"
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False, index=True
    )
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    up_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    down_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    target_anchor: Mapped[Anchor] = relationship(foreign_keys=[target_anchor_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates=None
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def score(self) -> int:
        return self.up_count - self.down_count

    @property
    def counts(self) -> bool:
        """Whether it counts in the target's comment counter: visible and not deleted."""
        state = self.moderation_state or PUBLISHED  # the column default applies at INSERT
        return state == PUBLISHED and not self.is_deleted

    def target(self) -> Anchored | None:
        """The commented content (read through this comment's own session)."""
        session = object_session(self) or db.session
        cls = ANCHORED_CLASSES.get(self.target_anchor.kind)
        if cls is None:
            return None
        return session.scalar(select(cls).where(cls.anchor_id == self.target_anchor_id))

    # Anchored
    def url(self, external: bool = False) -> str:
        return url_for("comments.permalink", comment_id=self.id, _external=external)

    def anchor_title(self) -> str:
        target = self.target()
        title = target.anchor_title() if target is not None else ""
        return f"#{self.id} · {title}" if title else f"#{self.id}"

    def anchor_consultation(self) -> Consultation | None:
        target = self.target()
        return target.anchor_consultation() if target is not None else None

    def is_publicly_visible(self) -> bool:
        if not self.is_visible or self.is_deleted:
            return False
        target = self.target()
        return target is not None and target.is_publicly_visible()


class CommentVote(db.Model):
    """One person's up (+1) or down (-1) vote on a comment."""

    __tablename__ = "comment_votes"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="known_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
