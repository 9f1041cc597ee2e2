"""Ideas that residents propose in a consultation, and the supports they collect."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import url_for
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.anchors import Anchored
from portal.core.models import TimestampMixin, utcnow
from portal.extensions import db
from portal.moderation.visibility import Moderated

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.consultations.models import Category, Consultation, District

# The life of an idea. "published" means "waiting for an official answer"; the other states
# except "withdrawn" are set by an official response (portal.accountability).
IDEA_STATUSES = (
    "published",
    "under_review",
    "accepted",
    "rejected",
    "implemented",
    "merged",
    "withdrawn",
)
ANSWER_STATUSES = ("under_review", "accepted", "rejected", "implemented", "merged")
# Ideas in these states can no longer collect supports.
CLOSED_STATUSES = ("rejected", "merged", "withdrawn")

TITLE_MAX = 150
BODY_MAX = 10_000
ADDRESS_MAX = 200


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Idea(Anchored, Moderated, TimestampMixin, db.Model):
    __tablename__ = "ideas"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(IDEA_STATUSES)}", name="known_status"),
        CheckConstraint("support_count >= 0", name="support_count_positive"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_positive"),
        Index("ix_ideas_consultation_created", "consultation_id", "created_at"),
    )
    anchor_kind = "idea"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(
        String(ADDRESS_MAX), nullable=False, default="", server_default=""
    )
    cost: Mapped[int | None] = mapped_column(Integer)  # estimated, in whole currency units
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="published", server_default="published", index=True
    )
    # Denormalised: changed only by atomic UPDATEs in the same transaction as the Support row.
    support_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0", index=True
    )
    is_qualified: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false(), index=True
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    # When the first official response was given (for the public response-time page).
    first_answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    consultation: Mapped[Consultation] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    category: Mapped[Category | None] = relationship()
    district: Mapped[District | None] = relationship()
    merged_into: Mapped[Idea | None] = relationship(remote_side=[id])

    def url(self, external: bool = False) -> str:
        return url_for("ideas.show", idea_id=self.id, _external=external)

    def anchor_title(self) -> str:
        return self.title

    def anchor_consultation(self) -> Consultation:
        return self.consultation

    def is_publicly_visible(self) -> bool:
        return self.is_visible and self.withdrawn_at is None and self.consultation.status != "draft"

    @classmethod
    def listed(cls):
        """SQL condition for public lists, search, feeds and the API: visible, not withdrawn."""
        return cls.visible() & cls.withdrawn_at.is_(None)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_answered(self) -> bool:
        return self.first_answered_at is not None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<Idea {self.id}>"


class Support(db.Model):
    """One person's support for one idea (the UNIQUE constraint makes a double count impossible)."""

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("idea_id", "user_id"),
        Index("ix_supports_consultation_user", "consultation_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Copied from the idea, so a per-person limit is one indexed count.
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
