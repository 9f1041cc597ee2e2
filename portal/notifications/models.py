"""Follows, in-app notifications and each person's e-mail preference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.anchors import Anchor
from portal.core.models import utcnow
from portal.extensions import db

IMMEDIATELY = "immediately"
DAILY = "daily"
NEVER = "never"
FREQUENCIES = (IMMEDIATELY, DAILY, NEVER)


class Follow(db.Model):
    """A person follows a piece of content (one row per person and content)."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "anchor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    anchor_id: Mapped[int] = mapped_column(
        ForeignKey("anchors.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()
    anchor: Mapped[Anchor] = relationship()


class Notification(db.Model):
    """Something happened on content a person follows."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    anchor_id: Mapped[int] = mapped_column(
        ForeignKey("anchors.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The content that caused it (e.g. the new comment): when it is hidden later, the
    # notification no longer shows or mails its text.
    source_anchor_id: Mapped[int | None] = mapped_column(
        ForeignKey("anchors.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    anchor: Mapped[Anchor] = relationship(foreign_keys=[anchor_id])
    source_anchor: Mapped[Anchor | None] = relationship(foreign_keys=[source_anchor_id])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(db.Model):
    """How often a person wants notification e-mails (no row: immediately)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint(
            "email_frequency IN ('immediately', 'daily', 'never')", name="known_frequency"
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email_frequency: Mapped[str] = mapped_column(
        String(12), nullable=False, default=IMMEDIATELY, server_default=IMMEDIATELY
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
