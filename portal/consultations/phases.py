"""Phase rules: what residents may do depends on the consultation's open phases.

Every route and API call that acts on a consultation asks :func:`require_phase`, so a closed
phase always gives the same clear message.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, lazy_pgettext
from flask_babel import lazy_gettext as _l

from portal.consultations.models import Consultation
from portal.core.errors import PortalError
from portal.core.models import utcnow

PHASE_LABELS = {
    "ideas": _l("Ideas"),
    "discussion": _l("Discussion"),
    # A context keeps the phase names apart from the "Support" button and a "Ballot" paper.
    "support": lazy_pgettext("phase", "Support"),
    "ballot": lazy_pgettext("phase", "Ballot"),
    "results": _l("Results"),
    "implementation": _l("Implementation"),
}

# Each action a resident can take, and the phases in which it is allowed.
ACTION_PHASES: dict[str, tuple[str, ...]] = {
    "propose": ("ideas",),
    "edit_idea": ("ideas", "discussion"),
    "comment": ("ideas", "discussion", "support", "ballot"),
    "support": ("support",),
    "vote": ("ballot",),
}


class PhaseClosed(PortalError):
    status = 403
    code = "phase_closed"

    def default_message(self) -> str:
        return str(_l("This is not possible in the consultation's current phase."))


def open_phases(consultation: Consultation, now: datetime | None = None) -> set[str]:
    now = now or utcnow()
    return {phase.kind for phase in consultation.phases if phase.is_open(now)}


def is_allowed(consultation: Consultation, action: str, now: datetime | None = None) -> bool:
    if consultation.status != "published":
        return False
    return bool(open_phases(consultation, now) & set(ACTION_PHASES[action]))


def require_phase(consultation: Consultation, action: str, now: datetime | None = None) -> None:
    """Raise :class:`PhaseClosed`, saying when the action is possible, unless it is now."""
    if is_allowed(consultation, action, now):
        return
    now = now or utcnow()
    windows = [p for p in consultation.phases if p.kind in ACTION_PHASES[action]]
    upcoming = sorted((p for p in windows if p.starts_at > now), key=lambda p: p.starts_at)
    if consultation.status != "published":
        raise PhaseClosed(str(_l("This consultation is not open.")))
    if upcoming:
        raise PhaseClosed(
            str(
                _l("This opens on %(date)s.", date=format_datetime(upcoming[0].starts_at, "medium"))
            )
        )
    if windows:
        raise PhaseClosed(str(_l("This phase has ended.")))
    raise PhaseClosed()
