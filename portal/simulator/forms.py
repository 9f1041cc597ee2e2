"""Planner forms: a simulator's settings and its budget lines. Amounts are typed in major units
("1500000" or "1500000.50"); the services read them exactly."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import BaseForm, choices, text_length

_required = DataRequired(message=_l("This field is required."))
_amount_kw = {"inputmode": "decimal", "autocomplete": "off"}
DATE_FORMAT = "%Y-%m-%dT%H:%M"


def mode_choices():
    return choices(
        [
            ("balance", _l("Balance: the total must stay the same")),
            ("tax", _l("Tax: residents may change the total and see the effect on taxes")),
        ]
    )


def status_choices():
    return choices(
        [
            ("draft", _l("Draft (only planners see it)")),
            ("open", _l("Open (residents can answer between the dates)")),
            ("closed", _l("Closed (no more answers)")),
        ]
    )


class SimulatorForm(BaseForm):
    consultation = SelectField(_l("Consultation"), validators=[_required])
    title = StringField(_l("Title"), validators=[_required, text_length(3, 200)])
    description = TextAreaField(
        _l("Introduction"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Shown above the budget lines. Markdown is allowed."),
    )
    mode = SelectField(_l("Mode"), choices=mode_choices(), default="balance")
    currency = StringField(
        _l("Currency"),
        default="EUR",
        validators=[_required, Length(min=3, max=3)],
        description=_l("Three-letter code, such as EUR, GBP or USD."),
    )
    tolerance = StringField(
        _l("Tolerance (balance mode)"),
        default="0",
        description=_l("How far from the current total a balanced budget may be."),
        render_kw=_amount_kw,
    )
    household_share = StringField(
        _l("Household share (tax mode)"),
        default="0",
        description=_l(
            "The part of a change in the total that a typical household pays per year, as a "
            "decimal: 0.00002 means 1 in 50,000."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    status = SelectField(_l("Status"), choices=status_choices(), default="draft")
    opens_at = DateTimeLocalField(_l("Opens at (UTC)"), format=DATE_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(
        _l("Closes at (UTC)"),
        format=DATE_FORMAT,
        validators=[Optional()],
        description=_l("Residents can change their response until then."),
    )
    results_published = BooleanField(_l("Publish the results to everyone"))
    publish_comments = BooleanField(_l("Show residents' comments with the published results"))

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "title",
                "description",
                "mode",
                "currency",
                "tolerance",
                "household_share",
                "status",
                "opens_at",
                "closes_at",
                "results_published",
                "publish_comments",
            )
        }


class LineForm(BaseForm):
    name = StringField(_l("Name"), validators=[_required, text_length(2, 120)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("What the money pays for, and what more or less of it would mean."),
    )
    group_name = StringField(
        _l("Group"),
        validators=[Optional(), Length(max=80)],
        description=_l('Optional, such as "Services" or "Capital".'),
    )
    kind = SelectField(
        _l("Kind of line"),
        choices=choices(
            [
                ("amount", _l("An amount residents can move")),
                ("toggle", _l("An on/off choice with a fixed cost (a project in or out)")),
            ]
        ),
        default="amount",
    )
    current_amount = StringField(_l("Current amount"), render_kw=_amount_kw)
    minimum = StringField(_l("Minimum"), render_kw=_amount_kw)
    maximum = StringField(_l("Maximum"), render_kw=_amount_kw)
    step = StringField(
        _l("Step"),
        description=_l("Residents move the amount in steps of this size from the minimum."),
        render_kw=_amount_kw,
    )
    cost = StringField(_l("Cost (on/off lines)"), render_kw=_amount_kw)
    included = BooleanField(_l("Currently included (on/off lines)"))

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "description",
                "group_name",
                "kind",
                "current_amount",
                "minimum",
                "maximum",
                "step",
                "cost",
                "included",
            )
        }


class EmptyForm(BaseForm):
    """Only the CSRF token (delete and move buttons)."""
