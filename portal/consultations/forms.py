"""Planner forms for consultations, and the resident's verification code form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from portal.consultations.models import PHASE_KINDS
from portal.consultations.phases import PHASE_LABELS
from portal.core.forms import BaseForm, choices, text_length

_required = DataRequired(message=_l("This field is required."))
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ConsultationForm(BaseForm):
    title = StringField(_l("Title"), validators=[_required, text_length(3, 200)])
    slug = StringField(
        _l("Web address"),
        validators=[_required, text_length(1, 80)],
        description=_l("Lower-case letters, digits and hyphens, e.g. “riverside-2026”."),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), text_length(0, 500)],
        description=_l("One or two sentences shown in lists."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), text_length(0, 50_000)],
        description=_l("Markdown: **bold**, *italic*, [links](https://example.org), lists."),
    )
    status = SelectField(
        _l("Status"),
        choices=choices(
            [
                ("draft", _l("Draft (only planners see it)")),
                ("published", _l("Published")),
                ("archived", _l("Archived (read only)")),
            ]
        ),
    )
    categories = TextAreaField(
        _l("Themes"),
        validators=[Optional()],
        description=_l("One per line. Ideas choose one of them."),
    )
    districts = TextAreaField(
        _l("Districts"),
        validators=[Optional()],
        description=_l("Optional. One per line."),
    )
    require_verification = BooleanField(_l("Only verified residents may support and vote"))
    support_limit = IntegerField(
        _l("Supports per person"),
        validators=[Optional(), NumberRange(min=1, message=_l("At least 1."))],
        description=_l("Leave empty for no limit."),
    )
    support_threshold = IntegerField(
        _l("Supports needed to qualify for the ballot"),
        validators=[Optional(), NumberRange(min=1, message=_l("At least 1."))],
        description=_l("Leave empty if ideas do not need to qualify."),
    )
    hide_support_counts = BooleanField(_l("Hide support counts while the support phase runs"))
    voting_scope = SelectField(
        _l("Verified residents may vote in"),
        choices=choices(
            [
                ("all", _l("every budget")),
                ("own_district", _l("their own district's budget only")),
                ("any_one", _l("one budget of their choice")),
            ]
        ),
    )
    premoderate_new_accounts = BooleanField(
        _l("Check the first idea of each person before it is published")
    )


def _phase_fields() -> None:
    for kind in PHASE_KINDS:
        label = PHASE_LABELS[kind]
        setattr(
            ConsultationForm,
            f"{kind}_starts_at",
            DateTimeLocalField(
                _l("%(phase)s phase starts (UTC)", phase=label),
                format=DATETIME_FORMAT,
                validators=[Optional()],
                description=_l("Leave empty if the consultation has no such phase."),
            ),
        )
        setattr(
            ConsultationForm,
            f"{kind}_ends_at",
            DateTimeLocalField(
                _l("%(phase)s phase ends (UTC)", phase=label),
                format=DATETIME_FORMAT,
                validators=[Optional()],
                description=_l("Leave empty for no end."),
            ),
        )


_phase_fields()


class CodeForm(BaseForm):
    code = StringField(
        _l("Verification code"),
        validators=[_required, text_length(1, 80)],
        description=_l("The code printed on the letter you received, e.g. ABCD-EFGH-JKMN."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class ImportCodesForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "One code per line, optionally followed by a comma and the district's name. "
            "A first line “code,district” is allowed."
        ),
    )
    csv = TextAreaField(_l("…or paste the lines here"), validators=[Optional()])
    batch = StringField(
        _l("Batch name"), validators=[Optional(), text_length(0, 80)], description=_l("Optional.")
    )


class GenerateCodesForm(BaseForm):
    count = IntegerField(
        _l("How many codes"),
        validators=[_required, NumberRange(min=1, max=20_000, message=_l("From 1 to 20,000."))],
    )
    district = SelectField(_l("District"), coerce=str, validators=[Optional()])
    batch = StringField(
        _l("Batch name"), validators=[Optional(), text_length(0, 80)], description=_l("Optional.")
    )
