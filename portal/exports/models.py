"""Vision document settings (one per consultation) and export jobs with their progress.

Generated files live under ``instance/exports/`` (``EXPORTS_DIR`` overrides it); a job row
keeps the file's name relative to that folder, never an absolute path from a request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.consultations.models import Consultation
from portal.core.models import utcnow
from portal.extensions import db

JOB_KINDS = ("vision", "data")
VISION_FORMATS = ("pdf", "docx", "odt", "html", "md")
DATA_FORMATS = ("zip", "json", "xlsx")
JOB_STATES = ("queued", "running", "done", "failed")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class VisionDocument(db.Model):
    """What a planner wrote and chose for a consultation's vision document.

    ``None`` in a selection column means "the default": every theme, every budget, and the
    ``ideas_per_theme`` most supported ideas of each theme.
    """

    __tablename__ = "vision_documents"
    __table_args__ = (
        CheckConstraint("ideas_per_theme BETWEEN 0 AND 50", name="ideas_per_theme_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="", server_default="")
    introduction: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    vision: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    theme_ids: Mapped[list[int] | None] = mapped_column(JSON)
    idea_ids: Mapped[list[int] | None] = mapped_column(JSON)
    budget_ids: Mapped[list[int] | None] = mapped_column(JSON)
    ideas_per_theme: Mapped[int] = mapped_column(
        Integer, nullable=False, default=5, server_default="5"
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship()


class ExportJob(db.Model):
    """One export being made (or made) in the background, with its progress."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(JOB_KINDS)}", name="known_kind"),
        CheckConstraint(f"status IN {_in(JOB_STATES)}", name="known_status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_export_jobs_consultation_created", "consultation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(
        String(8), nullable=False, default="queued", server_default="queued", index=True
    )
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    stage: Mapped[str] = mapped_column(String(80), nullable=False, default="", server_default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    file_name: Mapped[str | None] = mapped_column(String(200))  # relative to the exports folder
    size: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    consultation: Mapped[Consultation] = relationship()

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "format": self.format,
            "status": self.status,
            "progress": self.progress,
            "stage": self.stage,
            "error": self.error or None,
            "size": self.size,
        }
