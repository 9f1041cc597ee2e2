"""Planner forms: answering an idea, and response templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.accountability.services import REASON_MAX, STATUS_LABELS, TEXT_MAX
from portal.core.forms import BaseForm, choices, text_length
from portal.ideas.models import ANSWER_STATUSES

_required = DataRequired(message=_l("This field is required."))


def _status_choices() -> list:
    return choices((status, STATUS_LABELS[status]) for status in ANSWER_STATUSES)


class ResponseForm(BaseForm):
    status = SelectField(_l("New status"), choices=_status_choices(), validators=[_required])
    text = TextAreaField(
        _l("Public answer"),
        validators=[_required, text_length(10, TEXT_MAX)],
        description=_l("Shown on the idea's page and sent to its followers. Markdown works."),
    )
    reason = StringField(
        _l("Reason for rejecting"),
        validators=[Optional(), text_length(0, REASON_MAX)],
        description=_l("Required when rejecting: one sentence, e.g. “Not the city's competence”."),
    )
    merged_into = IntegerField(
        _l("Merged into idea number"),
        validators=[Optional()],
        description=_l("Required when merging: the number of the idea that continues this one."),
    )


class TemplateForm(BaseForm):
    status = SelectField(_l("For the status"), choices=_status_choices(), validators=[_required])
    name = StringField(_l("Name"), validators=[_required, text_length(2, 100)])
    text = TextAreaField(_l("Text"), validators=[_required, text_length(10, TEXT_MAX)])
