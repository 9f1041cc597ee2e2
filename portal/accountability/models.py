"""Official responses to ideas (each one a status change, kept as history) and templates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, utcnow
from portal.extensions import db
from portal.ideas.models import ANSWER_STATUSES, IDEA_STATUSES, Idea

if TYPE_CHECKING:
    from portal.accounts.models import User


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class OfficialResponse(db.Model):
    """A planner's public answer to an idea, setting its status. Never edited: a new answer
    is a new row, so the history shows every status the idea went through."""

    __tablename__ = "official_responses"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(ANSWER_STATUSES)}", name="known_status"),
        CheckConstraint(f"previous_status IN {_in(IDEA_STATUSES)}", name="known_previous"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    previous_status: Mapped[str] = mapped_column(String(16), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    # Required when rejecting: one sentence shown next to the status.
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False, index=True
    )

    idea: Mapped[Idea] = relationship(foreign_keys=[idea_id])
    author: Mapped[User | None] = relationship()
    merged_into: Mapped[Idea | None] = relationship(foreign_keys=[merged_into_id])


class ResponseTemplate(TimestampMixin, db.Model):
    """A reusable answer text for one status (planners pick it when answering)."""

    __tablename__ = "response_templates"
    __table_args__ = (CheckConstraint(f"status IN {_in(ANSWER_STATUSES)}", name="known_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
