"""Budget simulators: lines set up by planners, one response per person with its amounts.

Money columns are integers of minor units (cents); see :mod:`portal.simulator.rules`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from flask import url_for
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.consultations.models import Consultation
from portal.core.models import TimestampMixin, utcnow
from portal.extensions import db
from portal.simulator import rules

STATUSES = ("draft", "open", "closed")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Simulator(TimestampMixin, db.Model):
    __tablename__ = "simulators"
    __table_args__ = (
        CheckConstraint(f"mode IN {_in(rules.MODES)}", name="known_mode"),
        CheckConstraint(f"status IN {_in(STATUSES)}", name="known_status"),
        CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
        CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name="closes_after_opening",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default=rules.BALANCE)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    tolerance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # A decimal string (exact): change per household = change in total × household_share.
    household_share: Mapped[str] = mapped_column(String(32), nullable=False, default="0")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft", index=True)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    results_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Residents' comments are shown to the public only when the planner says so.
    publish_comments: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(lazy="joined")
    lines: Mapped[list[SimulatorLine]] = relationship(
        back_populates="simulator",
        cascade="all, delete-orphan",
        order_by="SimulatorLine.position, SimulatorLine.id",
        lazy="selectin",
    )

    @property
    def exponent(self) -> int:
        try:
            return int(get_currency_precision(self.currency))
        except Exception:  # noqa: BLE001 - an unknown code: two decimals, like most currencies
            return 2

    @property
    def share(self) -> Decimal:
        try:
            return rules.parse_share(self.household_share)
        except rules.AmountError:
            return Decimal(0)

    def rule(self) -> rules.Simulator:
        """The pure definition the rules check against."""
        return rules.Simulator(
            lines=tuple(line.rule() for line in self.lines),
            mode=self.mode,
            tolerance=self.tolerance,
            household_share=self.share,
            exponent=self.exponent,
        )

    def url(self, external: bool = False) -> str:
        return url_for("simulator.show", simulator_id=self.id, _external=external)

    def groups(self) -> list[tuple[str, list[SimulatorLine]]]:
        """Lines by group, in the order of their first line."""
        grouped: dict[str, list[SimulatorLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.group_name, []).append(line)
        return list(grouped.items())

    def __repr__(self) -> str:
        return f"<Simulator {self.id}>"


class SimulatorLine(db.Model):
    __tablename__ = "simulator_lines"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(rules.KINDS)}", name="known_kind"),
        CheckConstraint("step > 0", name="step_positive"),
        CheckConstraint(
            "minimum <= current_amount AND current_amount <= maximum", name="current_in_bounds"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    simulator_id: Mapped[int] = mapped_column(
        ForeignKey("simulators.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    group_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default=rules.AMOUNT)
    current_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    minimum: Mapped[int] = mapped_column(BigInteger, nullable=False)
    maximum: Mapped[int] = mapped_column(BigInteger, nullable=False)
    step: Mapped[int] = mapped_column(BigInteger, nullable=False)

    simulator: Mapped[Simulator] = relationship(back_populates="lines")

    @property
    def is_toggle(self) -> bool:
        return self.kind == rules.TOGGLE

    @property
    def cost(self) -> int:
        """The fixed cost of an on/off line."""
        return self.maximum

    def rule(self) -> rules.Line:
        return rules.Line(
            self.id, self.current_amount, self.minimum, self.maximum, self.step, self.kind
        )


class SimulatorResponse(TimestampMixin, db.Model):
    """One person's answer. A draft until ``submitted_at`` is set; only submitted ones count."""

    __tablename__ = "simulator_responses"
    __table_args__ = (
        UniqueConstraint("simulator_id", "user_id"),
        Index("ix_simulator_responses_simulator_submitted", "simulator_id", "submitted_at"),
        Index(
            "ix_simulator_responses_commented",
            "simulator_id",
            "submitted_at",
            sqlite_where=text("comment != ''"),
            postgresql_where=text("comment != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    simulator_id: Mapped[int] = mapped_column(
        ForeignKey("simulators.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # First submission (the response counts from then on); later edits only move updated_at.
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    completion_seconds: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list[SimulatorResponseLine]] = relationship(
        back_populates="response", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def amounts(self) -> dict[int, int]:
        return {row.line_id: row.amount for row in self.lines}

    def comments(self) -> dict[int, str]:
        return {row.line_id: row.comment for row in self.lines if row.comment}


class SimulatorResponseLine(db.Model):
    """One line's amount in a response. ``counted`` copies "the response is submitted" so that
    the aggregate reads one covering index (line, counted, amount) without a join; comments
    have a partial index of their own (most rows have none)."""

    __tablename__ = "simulator_response_lines"
    __table_args__ = (
        Index("ix_simulator_response_lines_line_counted_amount", "line_id", "counted", "amount"),
        Index(
            "ix_simulator_response_lines_commented",
            "line_id",
            "counted",
            "response_id",
            sqlite_where=text("comment != ''"),
            postgresql_where=text("comment != ''"),
        ),
    )

    response_id: Mapped[int] = mapped_column(
        ForeignKey("simulator_responses.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(
        ForeignKey("simulator_lines.id", ondelete="CASCADE"), primary_key=True
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    counted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    response: Mapped[SimulatorResponse] = relationship(back_populates="lines")
