"""Reports, moderation cases, the audit log of actions, appeals, notes, blocks and prevention.

One :class:`ModerationCase` per reported (or held) item gathers its reports, notes and the
decisions taken on it. An item is either content (``anchor_id``: an idea, a comment, a budget
project ...) or a person's public profile (``reported_user_id``): a CHECK makes sure exactly one
of the two is set, both on the case and on each report.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.anchors import Anchor
from portal.core.models import utcnow
from portal.extensions import db

# Why something is reported, and why a moderator hides it (the same list: a statement of
# reasons names one of them).
REASONS = ("spam", "offensive", "personal_data", "off_topic", "other")
# Reasons recorded by the portal itself (never chosen in a form).
AUTO_REASONS = ("reports", "blocked", "premoderation")
REPORT_STATES = ("open", "dismissed", "upheld")
CASE_STATES = ("open", "closed")
APPEAL_STATES = ("pending", "upheld", "rejected")
# Every kind of row in the audit log.
ACTIONS = (
    "auto_hide",  # hidden by the portal after N distinct reports, pending review
    "held",  # held for pre-moderation (blocklist, links, first post of a new account)
    "hide",
    "restore",
    "dismiss",
    "block",
    "unblock",
    "block_hide",  # an item hidden because its author was blocked
    "unblock_restore",  # an item restored because its author was unblocked
    "appeal",
    "appeal_upheld",
    "appeal_rejected",
    "note",
    "blocklist_add",
    "blocklist_remove",
    "settings",
)
# The actions about content that the public moderation log lists (content withheld).
PUBLIC_ACTIONS = (
    "auto_hide",
    "hide",
    "restore",
    "dismiss",
    "block_hide",
    "unblock_restore",
    "appeal_upheld",
    "appeal_rejected",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


ONE_TARGET = "(anchor_id IS NULL) <> (reported_user_id IS NULL)"


class ModerationCase(db.Model):
    """Everything about one reported or held item: its open report count and review state."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        CheckConstraint(ONE_TARGET, name="one_target"),
        CheckConstraint(f"status IN {_in(CASE_STATES)}", name="known_status"),
        CheckConstraint("report_count >= 0", name="report_count_positive"),
        Index("ix_moderation_cases_queue", "status", "report_count", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor_id: Mapped[int | None] = mapped_column(
        ForeignKey("anchors.id", ondelete="CASCADE"), unique=True
    )
    reported_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # idea, comment, ..., user
    # The item's title when it last entered the queue (lists show it without loading content).
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="", server_default="")
    # The author of the content (or the reported person): their history is shown in the queue.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(8), nullable=False, default="open", server_default="open"
    )
    # Open reports from distinct people (the UNIQUE constraint on reports makes them distinct).
    report_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    held: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )  # waiting for pre-moderation
    held_reason: Mapped[str] = mapped_column(
        String(200), nullable=False, default="", server_default=""
    )
    opened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    anchor: Mapped[Anchor | None] = relationship(foreign_keys=[anchor_id])
    reported_user: Mapped[User | None] = relationship(foreign_keys=[reported_user_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.id", cascade="all, delete-orphan"
    )


class Report(db.Model):
    """One person's report of one item, with the content as it was when reported."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(ONE_TARGET, name="one_target"),
        CheckConstraint(f"reason IN {_in(REASONS)}", name="known_reason"),
        CheckConstraint(f"status IN {_in(REPORT_STATES)}", name="known_status"),
        UniqueConstraint("reporter_id", "anchor_id", name="uq_reports_reporter_anchor"),
        UniqueConstraint("reporter_id", "reported_user_id", name="uq_reports_reporter_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    anchor_id: Mapped[int | None] = mapped_column(ForeignKey("anchors.id", ondelete="CASCADE"))
    reported_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default="open", server_default="open"
    )
    # The content as the reporter saw it: a later edit cannot hide the abuse.
    snapshot_title: Mapped[str] = mapped_column(
        String(300), nullable=False, default="", server_default=""
    )
    snapshot_text: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    case: Mapped[ModerationCase] = relationship(back_populates="reports")
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])


class ModerationAction(db.Model):
    """The audit log: who did what, when and why. Rows are never changed or deleted."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        CheckConstraint(f"action IN {_in(ACTIONS)}", name="known_action"),
        Index("ix_moderation_actions_consultation_week", "consultation_id", "week_start"),
        Index("ix_moderation_actions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    # None: done by the portal (automatic hiding, pre-moderation hold).
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), index=True
    )
    anchor_id: Mapped[int | None] = mapped_column(
        ForeignKey("anchors.id", ondelete="SET NULL"), index=True
    )
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Author of the content acted on (for the author's history and statements of reasons).
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # idea, user ...
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")  # staff only
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")  # shown to the author
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    week_start: Mapped[date] = mapped_column(Date, nullable=False)  # Monday, for the public log

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
    case: Mapped[ModerationCase | None] = relationship(foreign_keys=[case_id])
    anchor: Mapped[Anchor | None] = relationship(foreign_keys=[anchor_id])
    appeal: Mapped[Appeal | None] = relationship(
        back_populates="decision", foreign_keys="Appeal.action_id", uselist=False
    )


class Appeal(db.Model):
    """The author's one appeal against one decision, decided by another moderator."""

    __tablename__ = "appeals"
    __table_args__ = (CheckConstraint(f"status IN {_in(APPEAL_STATES)}", name="known_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The decision appealed against: UNIQUE, so one appeal per decision.
    action_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_actions.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), index=True
    )
    appellant_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default="pending", server_default="pending", index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")

    decision: Mapped[ModerationAction] = relationship(
        back_populates="appeal", foreign_keys=[action_id]
    )
    appellant: Mapped[User | None] = relationship(foreign_keys=[appellant_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ModeratorNote(db.Model):
    """A private note of a moderator on a case (never shown to the author or the public)."""

    __tablename__ = "moderator_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class BlockedContent(db.Model):
    """An item hidden because its author was blocked: unblocking restores exactly these."""

    __tablename__ = "blocked_content"
    __table_args__ = (UniqueConstraint("user_id", "anchor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    anchor_id: Mapped[int] = mapped_column(
        ForeignKey("anchors.id", ondelete="CASCADE"), nullable=False
    )
    previous_state: Mapped[str] = mapped_column(String(12), nullable=False)
    previous_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class BlocklistEntry(db.Model):
    """A word or pattern set by admins: a post that matches waits for pre-moderation."""

    __tablename__ = "blocklist_entries"
    __table_args__ = (UniqueConstraint("pattern", "is_regex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(200), nullable=False)
    is_regex: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class ModerationSettings(db.Model):
    """The portal's moderation settings: a single row (id 1), created on first change."""

    __tablename__ = "moderation_settings"
    __table_args__ = (
        CheckConstraint("report_threshold >= 1", name="threshold_positive"),
        CheckConstraint("new_account_days >= 0", name="days_positive"),
        CheckConstraint("new_account_links >= 0", name="links_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_threshold: Mapped[int] = mapped_column(
        Integer, nullable=False, default=3, server_default="3"
    )
    new_account_days: Mapped[int] = mapped_column(
        Integer, nullable=False, default=2, server_default="2"
    )
    new_account_links: Mapped[int] = mapped_column(
        Integer, nullable=False, default=2, server_default="2"
    )
    # The moderators' alert e-mail covered everything up to this moment.
    alerts_sent_until: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
