"""Official responses: a planner answers an idea publicly and sets its status; the history is
kept, followers are notified, and response times are published per consultation."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accountability.models import OfficialResponse, ResponseTemplate
from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.core.errors import Conflict, NotFound, ValidationFailed
from portal.core.html import plain_text
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas.models import ANSWER_STATUSES, Idea
from portal.ideas.services import notifications

STATUS_LABELS = {
    "published": _l("Waiting for an answer"),
    "under_review": _l("Under review"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "implemented": _l("Implemented"),
    "merged": _l("Merged into another idea"),
    "withdrawn": _l("Withdrawn by the author"),
}
TEXT_MAX = 10_000
REASON_MAX = 300
WINDOWS = (7, 14, 30)


def respond(
    planner: User,
    idea: Idea,
    status: str,
    text: str,
    reason: str = "",
    merged_into_id: int | None = None,
    now: datetime | None = None,
) -> OfficialResponse:
    """Answer ``idea`` publicly with a new ``status``.

    Rejecting needs a ``reason``; merging needs ``merged_into_id`` (another idea of the same
    consultation). Raises ValidationFailed, Conflict (withdrawn idea). Notifies the idea's
    followers (the author follows their idea) after the commit.
    """
    errors: dict[str, str] = {}
    text = (text or "").strip()
    reason = " ".join((reason or "").split())
    if status not in ANSWER_STATUSES:
        errors["status"] = str(_l("Choose a status."))
    if not 10 <= len(text) <= TEXT_MAX:
        errors["text"] = str(
            _l("Between %(min)d and %(max)d characters, please.", min=10, max=TEXT_MAX)
        )
    if status == "rejected" and len(reason) < 5:
        errors["reason"] = str(_l("Say why the idea is rejected (at least 5 characters)."))
    if len(reason) > REASON_MAX:
        errors["reason"] = str(_l("At most %(n)d characters.", n=REASON_MAX))
    target = None
    if status == "merged":
        target = db.session.get(Idea, merged_into_id) if merged_into_id else None
        if (
            target is None
            or target.id == idea.id
            or target.consultation_id != idea.consultation_id
            or not target.is_publicly_visible()
        ):
            errors["merged_into"] = str(
                _l("Give the number of another public idea of this consultation.")
            )
    elif merged_into_id:
        errors["merged_into"] = str(_l("Only a merged idea points to another idea."))
    if errors:
        raise ValidationFailed(fields=errors)
    if idea.is_withdrawn:
        raise Conflict(str(_l("The author has withdrawn this idea.")))
    now = now or utcnow()
    response = OfficialResponse(
        idea=idea,
        author_id=planner.id,
        status=status,
        previous_status=idea.status,
        text=text,
        reason=reason,
        merged_into_id=target.id if target else None,
        created_at=now,
    )
    db.session.add(response)
    idea.status = status
    idea.merged_into_id = target.id if target else None
    if idea.first_answered_at is None:
        idea.first_answered_at = now
    db.session.flush()
    service = notifications()
    if service is not None:
        label = str(STATUS_LABELS[status])
        message = str(
            _l(
                "Official answer (%(status)s): %(text)s",
                status=label,
                text=plain_text(text, 300),
            )
        )
        service.notify(idea, "status_changed", planner, message)
    return response


def history(idea: Idea) -> list[OfficialResponse]:
    """Every official response to ``idea``, oldest first."""
    return list(
        db.session.scalars(
            select(OfficialResponse)
            .where(OfficialResponse.idea_id == idea.id)
            .options(
                joinedload(OfficialResponse.author),
                joinedload(OfficialResponse.merged_into),
            )
            .order_by(OfficialResponse.created_at, OfficialResponse.id)
        ).unique()
    )


def latest_responses(consultation: Consultation, limit: int = 20) -> list[OfficialResponse]:
    """The newest official responses to public ideas (for the feed)."""
    return list(
        db.session.scalars(
            select(OfficialResponse)
            .join(Idea, Idea.id == OfficialResponse.idea_id)
            .where(Idea.consultation_id == consultation.id, Idea.listed())
            .options(joinedload(OfficialResponse.idea))
            .order_by(OfficialResponse.created_at.desc(), OfficialResponse.id.desc())
            .limit(limit)
        ).unique()
    )


# --- response times --------------------------------------------------------------------------


@dataclass
class TimeStats:
    """How fast ideas got their first official answer."""

    label: str
    ideas: int = 0
    answered: int = 0
    # window -> (answered within it, ideas old enough to count)
    within: dict[int, tuple[int, int]] = field(default_factory=dict)
    median_days: float | None = None

    def share(self, days: int) -> float | None:
        hit, eligible = self.within.get(days, (0, 0))
        return hit / eligible if eligible else None


@dataclass
class ResponseTimes:
    overall: TimeStats
    categories: list[TimeStats]
    waiting: list[tuple[Idea, int]]  # unanswered ideas, longest waiting first, with days


def _stats(label: str, rows: list[tuple[datetime, datetime | None]], now: datetime) -> TimeStats:
    stats = TimeStats(label=label, ideas=len(rows))
    delays = []
    for created, answered in rows:
        if answered is not None:
            delays.append((answered - created).total_seconds() / 86400)
    stats.answered = len(delays)
    stats.median_days = round(statistics.median(delays), 1) if delays else None
    for days in WINDOWS:
        window = timedelta(days=days)
        # Only ideas older than the window count: a two-day-old idea has not missed 7 days yet.
        eligible = hit = 0
        for created, answered in rows:
            in_time = answered is not None and answered - created <= window
            if in_time or now - created >= window:
                eligible += 1
                hit += in_time
        stats.within[days] = (hit, eligible)
    return stats


def response_times(
    consultation: Consultation, now: datetime | None = None, waiting_limit: int = 10
) -> ResponseTimes:
    """Share of public ideas answered within 7/14/30 days, the median days to a first answer,
    per theme, and the ideas still waiting longest. Two queries whatever the data size."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Idea.category_id, Idea.created_at, Idea.first_answered_at).where(
            Idea.consultation_id == consultation.id, Idea.listed()
        )
    ).all()
    names = {c.id: c.name for c in consultation.categories}
    by_category: dict[int | None, list] = {}
    for category_id, created, answered in rows:
        by_category.setdefault(category_id, []).append((created, answered))
    overall = _stats(str(_l("All themes")), [(c, a) for _cat, c, a in rows], now)
    categories = [_stats(names[cid], by_category[cid], now) for cid in names if cid in by_category]
    if None in by_category:
        categories.append(_stats(str(_l("No theme")), by_category[None], now))
    waiting_ideas = db.session.scalars(
        select(Idea)
        .where(
            Idea.consultation_id == consultation.id,
            Idea.listed(),
            Idea.first_answered_at.is_(None),
        )
        .options(joinedload(Idea.category))
        .order_by(Idea.created_at, Idea.id)
        .limit(waiting_limit)
    ).unique()
    waiting = [(idea, (now - idea.created_at).days) for idea in waiting_ideas]
    return ResponseTimes(overall=overall, categories=categories, waiting=waiting)


# --- templates -------------------------------------------------------------------------------


def list_templates() -> list[ResponseTemplate]:
    return list(
        db.session.scalars(
            select(ResponseTemplate).order_by(ResponseTemplate.status, ResponseTemplate.name)
        )
    )


def get_template(template_id: int) -> ResponseTemplate:
    template = db.session.get(ResponseTemplate, template_id)
    if template is None:
        raise NotFound()
    return template


def save_template(
    planner: User, template: ResponseTemplate | None, status: str, name: str, text: str
) -> ResponseTemplate:
    """Create (``template`` None) or change a template. Raises ValidationFailed."""
    errors = {}
    name = " ".join((name or "").split())
    text = (text or "").strip()
    if status not in ANSWER_STATUSES:
        errors["status"] = str(_l("Choose a status."))
    if not 2 <= len(name) <= 100:
        errors["name"] = str(_l("Between %(min)d and %(max)d characters, please.", min=2, max=100))
    if not 10 <= len(text) <= TEXT_MAX:
        errors["text"] = str(
            _l("Between %(min)d and %(max)d characters, please.", min=10, max=TEXT_MAX)
        )
    if errors:
        raise ValidationFailed(fields=errors)
    if template is None:
        template = ResponseTemplate(created_by_id=planner.id)
        db.session.add(template)
    template.status, template.name, template.text = status, name, text
    db.session.flush()
    return template


def delete_template(template: ResponseTemplate) -> None:
    db.session.delete(template)
    db.session.flush()


def templates_by_status() -> dict[str, list[ResponseTemplate]]:
    grouped: dict[str, list[ResponseTemplate]] = {}
    for template in list_templates():
        grouped.setdefault(template.status, []).append(template)
    return grouped
