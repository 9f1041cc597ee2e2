"""Participatory budgets: budgets, their projects, ballots (drafts, submitted, paper), receipts and
a cache of computed results.

Money is stored as whole minor units (cents) in BigInteger columns: exact on every database.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from flask import url_for
from sqlalchemy import (
    JSON,
    BigInteger,
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.anchors import Anchored
from portal.core.models import TimestampMixin, utcnow
from portal.extensions import db
from portal.moderation.visibility import Moderated

if TYPE_CHECKING:
    from portal.consultations.models import Category, Consultation, District

# The four kinds of ballot, and the Pabulib vote type each is stored and computed as.
BALLOT_KINDS = ("knapsack", "approval", "cumulative", "ranked")
VOTE_TYPE_OF_KIND = {
    "knapsack": "approval",
    "approval": "approval",
    "cumulative": "cumulative",
    "ranked": "ordinal",
}
FEASIBILITY = ("pending", "feasible", "not_feasible")
CHANNELS = ("online", "paper", "imported")
TIE_BREAKINGS = ("lexico", "file_order")

TITLE_MAX = 200
REF_MAX = 40
MAX_MINOR = 10**15  # keeps every sum inside a 64-bit column


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def minor_to_fraction(minor: int) -> Fraction | int:
    """Cents to exact currency units (an int when whole)."""
    value = Fraction(minor, 100)
    return value.numerator if value.denominator == 1 else value


class Budget(TimestampMixin, db.Model):
    """An amount of money that residents of a consultation decide on, with its ballot rules."""

    __tablename__ = "budgets"
    __table_args__ = (
        CheckConstraint(f"ballot_kind IN {_in(BALLOT_KINDS)}", name="known_kind"),
        CheckConstraint(f"tie_breaking IN {_in(TIE_BREAKINGS)}", name="known_tie_breaking"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("min_spend_percent BETWEEN 0 AND 100", name="min_spend_percent"),
        CheckConstraint("min_projects >= 0", name="min_projects"),
        CheckConstraint(
            "max_projects IS NULL OR max_projects >= min_projects", name="max_projects"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Budgets for one district: with voting_scope "own_district" only its residents vote here.
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)  # minor units
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    # --- ballot rules (frozen once the ballot phase opens) ---
    ballot_kind: Mapped[str] = mapped_column(String(12), nullable=False, default="knapsack")
    min_spend_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    min_projects: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_projects: Mapped[int | None] = mapped_column(Integer)
    cost_limited: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    total_points: Mapped[int | None] = mapped_column(Integer)
    max_points_per_project: Mapped[int | None] = mapped_column(Integer)
    allow_replace: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    official_rule: Mapped[str] = mapped_column(String(60), nullable=False, default="greedy_votes")
    tie_breaking: Mapped[str] = mapped_column(String(12), nullable=False, default="lexico")
    # --- results ---
    results_published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # META of an imported Pabulib file (kept so that an export gives the same description).
    source_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    consultation: Mapped[Consultation] = relationship()
    district: Mapped[District | None] = relationship()
    projects: Mapped[list[Project]] = relationship(
        back_populates="budget",
        cascade="all, delete-orphan",
        order_by="Project.position, Project.id",
    )

    @property
    def vote_type(self) -> str:
        return VOTE_TYPE_OF_KIND[self.ballot_kind]

    @property
    def total_amount(self) -> Fraction | int:
        return minor_to_fraction(self.total)

    @property
    def min_spend(self) -> int:
        """Minimum spend in minor units (knapsack), rounded up."""
        return -(-self.total * self.min_spend_percent // 100)

    @property
    def results_published(self) -> bool:
        return self.results_published_at is not None

    def url(self, external: bool = False) -> str:
        return url_for("budgets.show", budget_id=self.id, _external=external)

    def __repr__(self) -> str:
        return f"<Budget {self.id}>"


class Project(Anchored, Moderated, TimestampMixin, db.Model):
    """Something a budget may pay for."""

    __tablename__ = "budget_projects"
    __table_args__ = (
        UniqueConstraint("budget_id", "ref"),
        CheckConstraint(f"feasibility IN {_in(FEASIBILITY)}", name="known_feasibility"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        Index("ix_budget_projects_budget_position", "budget_id", "position"),
    )
    anchor_kind = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False
    )
    # The short reference printed on paper ballots and written as Pabulib project_id.
    ref: Mapped[str] = mapped_column(String(REF_MAX), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cost: Mapped[int] = mapped_column(BigInteger, nullable=False)  # minor units
    feasibility: Mapped[str] = mapped_column(
        String(14), nullable=False, default="pending", index=True
    )
    feasibility_explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), index=True
    )

    budget: Mapped[Budget] = relationship(back_populates="projects")
    category: Mapped[Category | None] = relationship()
    district: Mapped[District | None] = relationship()

    @property
    def is_votable(self) -> bool:
        return self.is_visible and self.feasibility == "feasible"

    @property
    def cost_amount(self) -> Fraction | int:
        return minor_to_fraction(self.cost)

    def url(self, external: bool = False) -> str:
        return url_for(
            "budgets.project", budget_id=self.budget_id, project_id=self.id, _external=external
        )

    def anchor_title(self) -> str:
        return self.title

    def anchor_consultation(self) -> Consultation:
        return self.budget.consultation

    def is_publicly_visible(self) -> bool:
        return self.is_visible and self.budget.consultation.status != "draft"

    def __repr__(self) -> str:
        return f"<Project {self.id}>"


class BallotDraft(db.Model):
    """A person's basket before check-out, kept on the server (one per person per budget).

    ``items`` is a list of ``[project_id, points]`` pairs in the person's order (points only
    matter for cumulative ballots; the order only for ranked ones).
    """

    __tablename__ = "ballot_drafts"
    __table_args__ = (UniqueConstraint("budget_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False
    )
    voter_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    items: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class Ballot(db.Model):
    """A counted ballot. One per person per budget (the database guarantees it); paper ballots
    carry the verification code they were matched to instead of a person."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("budget_id", "voter_id"),
        UniqueConstraint("budget_id", "verification_code_id"),
        CheckConstraint(f"channel IN {_in(CHANNELS)}", name="known_channel"),
        CheckConstraint(
            "channel != 'paper' OR verification_code_id IS NOT NULL", name="paper_has_code"
        ),
        Index("ix_ballots_budget_channel", "budget_id", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False
    )
    voter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    verification_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_codes.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10), nullable=False, default="online")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    replaced_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot",
        cascade="all, delete-orphan",
        order_by="BallotChoice.position",
    )


class BallotChoice(db.Model):
    __tablename__ = "ballot_choices"
    __table_args__ = (
        UniqueConstraint("ballot_id", "project_id"),
        CheckConstraint("points IS NULL OR points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("ballots.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("budget_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # rank for ranked
    points: Mapped[int | None] = mapped_column(Integer)  # cumulative only

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    project: Mapped[Project] = relationship()


class ResultCache(db.Model):
    """A computed outcome of one rule on a budget's counted ballots.

    ``signature`` summarises the ballots it was computed from (count, last id, last change); a
    new, replaced or removed ballot changes it, so a stale row is recomputed on the next read.
    """

    __tablename__ = "budget_results"
    __table_args__ = (UniqueConstraint("budget_id", "rule", "tie_breaking"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False
    )
    rule: Mapped[str] = mapped_column(String(60), nullable=False)
    tie_breaking: Mapped[str] = mapped_column(String(12), nullable=False)
    signature: Mapped[str] = mapped_column(String(120), nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
