"""Forms of the budgets pages. Amounts are typed in currency units and stored in cents."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from portal.budgets.models import BALLOT_KINDS, FEASIBILITY
from portal.core.forms import BaseForm, choices, text_length
from portal.pb.rules import RULES

KIND_LABELS = {
    "knapsack": _l("Knapsack: projects up to the budget"),
    "approval": _l("Approval: choose projects, optionally limited in number and cost"),
    "cumulative": _l("Cumulative: share out points"),
    "ranked": _l("Ranked: order your favourite projects"),
}
FEASIBILITY_LABELS = {
    "pending": _l("Review pending"),
    "feasible": _l("Feasible"),
    "not_feasible": _l("Not feasible"),
}
TIE_LABELS = {
    "lexico": _l("Smallest project reference first (as pabutools)"),
    "file_order": _l("Project order of the budget"),
}


def parse_money(text: str | None) -> int | None:
    """``"1 234,5"`` or ``"1234.50"`` -> 123450 cents; None when empty; ValueError otherwise."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text or "")
    if not cleaned:
        return None
    if "," in cleaned and "." not in cleaned and re.fullmatch(r"\d+,\d{1,2}", cleaned):
        cleaned = cleaned.replace(",", ".")
    cleaned = cleaned.replace(",", "")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise ValueError(cleaned)
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation as exc:
        raise ValueError(cleaned) from exc


def money_text(minor: int | None) -> str:
    if minor is None:
        return ""
    whole, cents = divmod(minor, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)


class MoneyField(StringField):
    """A money amount; ``.minor`` holds it in cents after validation."""

    minor: int | None = None

    def pre_validate(self, form) -> None:
        try:
            self.minor = parse_money(self.data)
        except ValueError as exc:
            self.minor = None
            raise ValidationError(
                _l("Enter an amount such as 1500 or 1500.50 (at most two decimals).")
            ) from exc


class BudgetForm(BaseForm):
    consultation = SelectField(_l("Consultation"), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), text_length(3, 200)])
    description = TextAreaField(
        _l("Description"), description=_l("Markdown is allowed."), validators=[Optional()]
    )
    district = SelectField(
        _l("District"),
        description=_l("For a district's own budget. Leave empty for the whole area."),
        validators=[Optional()],
    )
    total = MoneyField(_l("Total amount"), validators=[InputRequired()])
    currency = StringField(
        _l("Currency"), default="EUR", validators=[InputRequired(), text_length(3, 3)]
    )
    position = IntegerField(_l("Position in the list"), default=0, validators=[Optional()])
    ballot_kind = SelectField(
        _l("Kind of ballot"),
        choices=choices((k, KIND_LABELS[k]) for k in BALLOT_KINDS),
        default="knapsack",
    )
    min_spend_percent = IntegerField(
        _l("Minimum spend (percent of the budget)"),
        description=_l("Knapsack ballots only. 0 for no minimum."),
        default=0,
        validators=[Optional(), NumberRange(0, 100)],
    )
    min_projects = IntegerField(
        _l("Minimum number of projects"), default=1, validators=[Optional(), NumberRange(0)]
    )
    max_projects = IntegerField(
        _l("Maximum number of projects"),
        description=_l("Empty for no maximum. Ranked ballots: the longest ranking."),
        validators=[Optional(), NumberRange(1)],
    )
    cost_limited = BooleanField(_l("Approval ballots: the chosen projects must fit the budget"))
    total_points = IntegerField(
        _l("Points to share out"),
        description=_l("Cumulative ballots only."),
        validators=[Optional(), NumberRange(1)],
    )
    max_points_per_project = IntegerField(
        _l("Maximum points per project"),
        description=_l("Cumulative ballots only. Empty for no maximum."),
        validators=[Optional(), NumberRange(1)],
    )
    allow_replace = BooleanField(
        _l("Voters may replace their ballot until the ballot phase ends (the last one counts)")
    )
    official_rule = SelectField(
        _l("Official rule"),
        description=_l("How the winning projects are chosen. Empty: greedy by votes."),
        validators=[Optional()],
    )
    tie_breaking = SelectField(
        _l("Ties between projects"),
        choices=choices(TIE_LABELS.items()),
        default="lexico",
    )

    def fill_choices(self, consultations, districts) -> None:
        self.consultation.choices = choices((c.id, c.title) for c in consultations)
        self.district.choices = choices(
            [("", _l("Whole area"))] + [(d.id, d.name) for d in districts]
        )
        self.official_rule.choices = choices(
            [("", _l("Default for the ballot kind"))]
            + [(name, f"{name}: {spec.summary}") for name, spec in RULES.items()]
        )


class ProjectForm(BaseForm):
    title = StringField(_l("Title"), validators=[InputRequired(), text_length(3, 200)])
    description = TextAreaField(
        _l("Description"), description=_l("Markdown is allowed."), validators=[Optional()]
    )
    cost = MoneyField(_l("Cost"), validators=[InputRequired()])
    ref = StringField(
        _l("Reference"),
        description=_l("Short code printed on paper ballots. Empty: a number is chosen."),
        validators=[Optional(), text_length(1, 40)],
    )
    category = SelectField(_l("Category"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    address = StringField(_l("Address or place"), validators=[Optional(), text_length(0, 200)])
    latitude = FloatField(_l("Latitude"), validators=[Optional()])
    longitude = FloatField(_l("Longitude"), validators=[Optional()])
    feasibility = SelectField(
        _l("Feasibility review"), choices=choices((f, FEASIBILITY_LABELS[f]) for f in FEASIBILITY)
    )
    feasibility_explanation = TextAreaField(
        _l("Public explanation of the review"),
        description=_l("Required when the project is not feasible."),
        validators=[Optional()],
    )

    def fill_choices(self, consultation) -> None:
        self.category.choices = choices(
            [("", _l("None"))] + [(c.id, c.name) for c in consultation.categories]
        )
        self.district.choices = choices(
            [("", _l("None"))] + [(d.id, d.name) for d in consultation.districts]
        )


class FromIdeaForm(BaseForm):
    idea_id = HiddenField(validators=[InputRequired()])
    cost = MoneyField(_l("Cost"), validators=[Optional()])


class BallotActionForm(BaseForm):
    action = HiddenField(validators=[InputRequired()])
    project_id = HiddenField(validators=[InputRequired()])
    points = IntegerField(_l("Points"), validators=[Optional(), NumberRange(0, 1_000_000)])


class PaperForm(BaseForm):
    code = StringField(_l("Verification code"), validators=[InputRequired(), text_length(1, 80)])
    choices_text = StringField(
        _l("Choices"),
        description=_l(
            "Project references separated by spaces, in order for ranked ballots; "
            "cumulative ballots: reference:points, e.g. 3:4 7:6."
        ),
        validators=[InputRequired(), text_length(1, 4000)],
    )


class PaperCsvForm(BaseForm):
    csv_text = TextAreaField(
        _l("CSV of paper ballots"),
        description=_l(
            "One ballot per line: code,choices (a header line code,choices is allowed). "
            "Or choose a file above."
        ),
        validators=[DataRequired()],
    )


class EmptyForm(BaseForm):
    pass
