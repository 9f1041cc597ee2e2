"""Notification forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField

from portal.core.forms import BaseForm, choices
from portal.notifications.models import DAILY, IMMEDIATELY, NEVER


class PreferencesForm(BaseForm):
    email_frequency = RadioField(
        _l("E-mails about what you follow"),
        choices=choices(
            [
                (IMMEDIATELY, _l("Immediately, one e-mail per update")),
                (DAILY, _l("Once a day, in a digest")),
                (NEVER, _l("Never (you still see them on the portal)")),
            ]
        ),
        default=IMMEDIATELY,
    )


class EmptyForm(BaseForm):
    """Only the CSRF token (buttons that change something)."""
