"""Vision document settings, generating documents and open data, and export jobs.

Services take plain values, flush but never commit, and raise PortalError subclasses. The
job runner (:func:`run_job`) is the exception: it runs outside any request (RQ worker or
after the view's commit) and records its own progress through a separate connection, so a
planner sees it move while the export's read transaction streams rows.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.consultations.models import Consultation
from portal.core.errors import NotFound, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.exports import assemble, documents, opendata
from portal.exports.models import (
    DATA_FORMATS,
    JOB_KINDS,
    VISION_FORMATS,
    ExportJob,
    VisionDocument,
)
from portal.extensions import db

log = logging.getLogger(__name__)
TEXT_MAX = 50_000
TITLE_MAX = 200
KEEP_FILES = 5  # finished files kept per consultation, kind and format


# --- consultations ----------------------------------------------------------------------------


def get_consultation(slug: str, viewer: Any = None) -> Consultation:
    """The consultation; drafts only for planners. Raises NotFound."""
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or (consultation.status == "draft" and not has_role(viewer, "planner")):
        raise NotFound(_("There is no consultation at this address."))
    return consultation


def list_consultations() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.created_at.desc())))


# --- vision document settings -----------------------------------------------------------------


def vision_for(consultation: Consultation) -> VisionDocument | None:
    return db.session.scalar(
        select(VisionDocument).where(VisionDocument.consultation_id == consultation.id)
    )


def settings_for(consultation: Consultation) -> assemble.Settings:
    """The planner's saved choices, or the defaults."""
    row = vision_for(consultation)
    if row is None:
        return assemble.Settings()
    return assemble.Settings(
        title=row.title,
        introduction=row.introduction,
        vision=row.vision,
        theme_ids=row.theme_ids,
        idea_ids=row.idea_ids,
        budget_ids=row.budget_ids,
        ideas_per_theme=row.ideas_per_theme,
    )


def _ids(value: Any, field: str, allowed: set[int] | None = None) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple | set):
        raise ValidationFailed(fields={field: _("A list of numbers, please.")})
    found = []
    for item in value:
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise ValidationFailed(fields={field: _("A list of numbers, please.")}) from None
        if allowed is not None and number not in allowed:
            raise ValidationFailed(fields={field: _("This choice does not belong here.")})
        if number not in found:
            found.append(number)
    return found


def save_settings(
    actor: Any,
    consultation: Consultation,
    *,
    title: str = "",
    introduction: str = "",
    vision: str = "",
    theme_ids: list[int] | None = None,
    idea_ids: list[int] | None = None,
    budget_ids: list[int] | None = None,
    ideas_per_theme: int = 5,
) -> VisionDocument:
    """Store the planner's choices (``None`` selections mean "the default"). Raises
    ValidationFailed for text that is too long or a choice from another consultation."""
    problems: dict[str, str] = {}
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        problems["title"] = _("At most %(n)d characters, please.", n=TITLE_MAX)
    for name, text in (("introduction", introduction), ("vision", vision)):
        if len(text or "") > TEXT_MAX:
            problems[name] = _("At most %(n)d characters, please.", n=TEXT_MAX)
    try:
        per_theme = int(ideas_per_theme)
    except (TypeError, ValueError):
        per_theme = -1
    if not 0 <= per_theme <= 50:
        problems["ideas_per_theme"] = _("A number from 0 to 50, please.")
    if problems:
        raise ValidationFailed(fields=problems)
    themes = {c.id for c in consultation.categories} | {assemble.NO_THEME}
    theme_ids = _ids(theme_ids, "theme_ids", themes)
    idea_ids = _ids(idea_ids, "idea_ids")
    if idea_ids:
        from portal.ideas.models import Idea

        known = set(
            db.session.scalars(
                select(Idea.id).where(
                    Idea.consultation_id == consultation.id, Idea.id.in_(idea_ids)
                )
            )
        )
        if set(idea_ids) - known:
            raise ValidationFailed(fields={"idea_ids": _("This choice does not belong here.")})
    budget_ids = _ids(budget_ids, "budget_ids", _budget_ids(consultation))
    row = vision_for(consultation)
    if row is None:
        row = VisionDocument(consultation_id=consultation.id)
        db.session.add(row)
    row.title = title
    row.introduction = (introduction or "").replace("\r\n", "\n")
    row.vision = (vision or "").replace("\r\n", "\n")
    row.theme_ids = theme_ids
    row.idea_ids = idea_ids
    row.budget_ids = budget_ids
    row.ideas_per_theme = per_theme
    row.updated_by_id = getattr(actor, "id", None)
    row.updated_at = utcnow()
    db.session.flush()
    return row


def _budget_ids(consultation: Consultation) -> set[int]:
    try:
        from portal.budgets.services import budgets_for
    except ImportError:
        return set()
    if "budgets" not in assemble._Tables():
        return set()
    return {b.id for b in budgets_for(consultation)}


def candidate_ideas(consultation: Consultation, limit: int = 200) -> list[Any]:
    """The public ideas a planner may feature, most supported first (one query)."""
    from portal.ideas.models import Idea

    return list(
        db.session.scalars(
            select(Idea)
            .where(Idea.consultation_id == consultation.id, Idea.listed())
            .order_by(Idea.support_count.desc(), Idea.id)
            .limit(limit)
        )
    )


def budget_choices(consultation: Consultation) -> list[Any]:
    if not _budget_ids(consultation):
        return []
    from portal.budgets.services import budgets_for

    return budgets_for(consultation)


# --- making files -----------------------------------------------------------------------------


def vision_data(consultation: Consultation, settings: assemble.Settings | None = None):
    return assemble.assemble(consultation, settings or settings_for(consultation))


def write_vision(consultation: Consultation, fmt: str, target: BinaryIO) -> None:
    """The vision document of ``consultation`` in ``fmt`` (pdf, docx, odt, html, md)."""
    if fmt not in VISION_FORMATS:
        raise ValidationFailed(
            fields={"format": _("Choose one of: %(f)s.", f=", ".join(VISION_FORMATS))}
        )
    documents.write(vision_data(consultation), fmt, target)


def write_data(consultation: Consultation, fmt: str, target: BinaryIO) -> None:
    """The open data of ``consultation`` in ``fmt`` (zip, json, xlsx)."""
    if fmt not in DATA_FORMATS:
        raise ValidationFailed(
            fields={"format": _("Choose one of: %(f)s.", f=", ".join(DATA_FORMATS))}
        )
    opendata.write(opendata.build_package(consultation), fmt, target)


def file_name(consultation: Consultation, kind: str, fmt: str) -> str:
    stem = "vision" if kind == "vision" else "open-data"
    slug = re.sub(r"[^a-z0-9-]+", "-", consultation.slug.lower()).strip("-") or "consultation"
    return f"{slug}-{stem}.{fmt}"


def media_type(kind: str, fmt: str) -> str:
    if kind == "vision":
        return documents.MEDIA_TYPES[fmt]
    return opendata.MEDIA_TYPES[fmt]


# --- jobs -------------------------------------------------------------------------------------


def exports_dir() -> Path:
    folder = current_app.config.get("EXPORTS_DIR") or os.path.join(
        current_app.instance_path, "exports"
    )
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_job(actor: Any, consultation: Consultation, kind: str, fmt: str) -> ExportJob:
    """A queued export; enqueue :func:`run_job` with its id after the commit. Raises
    ValidationFailed for an unknown kind or format."""
    if kind not in JOB_KINDS:
        raise ValidationFailed(fields={"kind": _("Choose vision or data.")})
    formats = VISION_FORMATS if kind == "vision" else DATA_FORMATS
    if fmt not in formats:
        raise ValidationFailed(fields={"format": _("Choose one of: %(f)s.", f=", ".join(formats))})
    job = ExportJob(
        consultation_id=consultation.id,
        kind=kind,
        format=fmt,
        status="queued",
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(job)
    db.session.flush()
    return job


def get_job(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("There is no export with this number."))
    return job


def jobs_for(consultation: Consultation, limit: int = 20) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.consultation_id == consultation.id)
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
            .limit(limit)
        )
    )


def job_path(job: ExportJob) -> Path | None:
    """The finished file, if it is still there."""
    if job.status != "done" or not job.file_name:
        return None
    path = exports_dir() / Path(job.file_name).name
    return path if path.is_file() else None


def _record(job_id: int, **values: Any) -> None:
    """Write the job's state on a separate connection, committed at once: the planner's page
    sees it while the export's own transaction is still streaming rows."""
    with db.engine.begin() as connection:
        connection.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))


class _Progress:
    def __init__(self, job_id: int, total: int, start: int, end: int) -> None:
        self.job_id, self.total, self.start, self.end = job_id, max(total, 1), start, end
        self.last = -1

    def __call__(self, done: int) -> None:
        value = self.start + (self.end - self.start) * min(done, self.total) // self.total
        if value != self.last:
            self.last = value
            _record(self.job_id, progress=value)


def run_job(job_id: int) -> None:
    """Make the job's file (called by the worker, or in-process without Redis), in the
    language of the planner who asked for it: a worker has no request to take one from."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    with force_locale(_requester_locale(job)):
        _make_file(job)
    _prune(job_id)


def _requester_locale(job: ExportJob) -> str:
    from portal.accounts.models import User

    requester = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return getattr(requester, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _make_file(job: ExportJob) -> None:
    job_id = job.id
    consultation = job.consultation
    kind, fmt = job.kind, job.format
    _record(job_id, status="running", started_at=utcnow(), progress=1, stage="reading")
    folder = exports_dir()
    name = f"job{job_id}-{file_name(consultation, kind, fmt)}"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=f".{fmt}")
    try:
        with os.fdopen(handle, "wb") as out:
            if kind == "vision":
                data = vision_data(consultation)
                db.session.commit()  # keeps computed budget results; frees SQLite's lock
                _record(job_id, progress=40, stage="writing")
                documents.write(data, fmt, out)
            else:
                package = opendata.build_package(consultation)
                total = package.total_rows()
                db.session.commit()  # keeps computed budget results; frees SQLite's lock
                progress = _Progress(job_id, total, 5, 95)
                _record(job_id, progress=5, stage="writing")
                for done in opendata.WRITERS[fmt](package, out):
                    progress(done)
        final = folder / name
        os.replace(temporary, final)
        _record(
            job_id,
            status="done",
            progress=100,
            stage="",
            file_name=name,
            size=final.stat().st_size,
            finished_at=utcnow(),
        )
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        if os.path.exists(temporary):
            os.unlink(temporary)
        _record(
            job_id,
            status="failed",
            stage="",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=utcnow(),
        )
    finally:
        db.session.rollback()  # end the read transaction; the job row was written apart


def _prune(job_id: int) -> None:
    """Keep the newest finished files per consultation, kind and format."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return
    older = db.session.scalars(
        select(ExportJob)
        .where(
            ExportJob.consultation_id == job.consultation_id,
            ExportJob.kind == job.kind,
            ExportJob.format == job.format,
            ExportJob.status == "done",
        )
        .order_by(ExportJob.id.desc())
        .offset(KEEP_FILES)
    ).all()
    for old in older:
        path = job_path(old)
        if path is not None:
            path.unlink(missing_ok=True)
    db.session.rollback()


def start_job(job: ExportJob) -> None:
    """Hand a committed job to the worker (or run it now without Redis)."""
    from portal.core.jobs import enqueue

    enqueue(run_job, job.id)
