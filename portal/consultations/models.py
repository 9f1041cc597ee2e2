"""Consultations, their dated phases, themes (categories), districts and resident verification."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.anchors import Anchored
from portal.core.models import TimestampMixin, utcnow
from portal.extensions import db

PHASE_KINDS = ("ideas", "discussion", "support", "ballot", "results", "implementation")
CONSULTATION_STATES = ("draft", "published", "archived")
# Which budgets a verified person may vote in (see portal.budgets).
VOTING_SCOPES = ("own_district", "any_one", "all")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Consultation(Anchored, TimestampMixin, db.Model):
    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(CONSULTATION_STATES)}", name="known_status"),
        CheckConstraint(f"voting_scope IN {_in(VOTING_SCOPES)}", name="known_voting_scope"),
    )
    anchor_kind = "consultation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    # Supporting and voting need a verified resident when set.
    require_verification: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    support_limit: Mapped[int | None] = mapped_column(Integer)  # supports per person
    support_threshold: Mapped[int | None] = mapped_column(Integer)  # to be "qualified"
    hide_support_counts: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    voting_scope: Mapped[str] = mapped_column(String(16), nullable=False, default="all")
    premoderate_new_accounts: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    phases: Mapped[list[Phase]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="Phase.starts_at",
        lazy="selectin",
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="Category.position, Category.id",
    )
    districts: Mapped[list[District]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="District.position, District.id",
    )

    def url(self, external: bool = False) -> str:
        return url_for("consultations.show", slug=self.slug, _external=external)

    def anchor_title(self) -> str:
        return self.title

    def anchor_consultation(self) -> Consultation:
        return self

    def is_publicly_visible(self) -> bool:
        return self.status != "draft"


class Phase(db.Model):
    """A dated window in which residents may do one kind of thing. Phases may overlap."""

    __tablename__ = "phases"
    __table_args__ = (
        UniqueConstraint("consultation_id", "kind"),
        CheckConstraint(f"kind IN {_in(PHASE_KINDS)}", name="known_kind"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: open-ended

    consultation: Mapped[Consultation] = relationship(back_populates="phases")

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class Category(db.Model):
    """A theme of a consultation."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="categories")


class District(db.Model):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="districts")


class VerificationCode(db.Model):
    """A one-time code from the census (stored hashed). Each works once."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    batch: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Paper ballots are matched to a code rather than an account (see portal.budgets).
    used_on_paper: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Verification(db.Model):
    """A person verified as a resident of a consultation's area (one per person)."""

    __tablename__ = "verifications"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_codes.id", ondelete="SET NULL"), unique=True
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
