"""Forms for proposing and editing an idea, and for filtering lists."""

from __future__ import annotations

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
from wtforms.validators import DataRequired, NumberRange, Optional

from portal.consultations.models import Consultation
from portal.core.forms import BaseForm, choices, text_length
from portal.ideas.models import ADDRESS_MAX, BODY_MAX, TITLE_MAX

_required = DataRequired(message=_l("This field is required."))


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never a valid id: the service says so next to the field


class IdeaForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[_required, text_length(5, TITLE_MAX)],
        description=_l("A short name for your idea, e.g. “Benches along the river path”."),
        render_kw={"autocomplete": "off"},
    )
    body = TextAreaField(
        _l("Your idea"),
        validators=[_required, text_length(10, BODY_MAX)],
        description=_l(
            "What should happen, where, and why it helps. Markdown works: **bold**, lists, links."
        ),
    )
    category = SelectField(_l("Theme"), coerce=_optional_int, validate_choice=False)
    district = SelectField(_l("District"), coerce=_optional_int, validate_choice=False)
    address = StringField(
        _l("Place or address"),
        validators=[Optional(), text_length(0, ADDRESS_MAX)],
        description=_l("Optional, e.g. “Corner of Mill Street and Quay Road”."),
    )
    latitude = FloatField(
        _l("Latitude"),
        validators=[
            Optional(),
            NumberRange(min=-90, max=90, message=_l("Latitude is between -90 and 90.")),
        ],
        description=_l("Optional, e.g. 52.3702."),
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message=_l("Longitude is between -180 and 180.")),
        ],
        description=_l("Optional, e.g. 4.8952."),
    )
    cost = IntegerField(
        _l("Estimated cost"),
        validators=[
            Optional(),
            NumberRange(min=0, max=2_000_000_000, message=_l("Enter a whole, positive amount.")),
        ],
        description=_l("Optional, in whole currency units. Your best guess is fine."),
    )
    # Set once the person has seen the similar ideas and still wants to publish.
    confirm_new = HiddenField()

    def set_choices(self, consultation: Consultation) -> None:
        self.category.choices = choices(
            [("", _l("Choose a theme"))] + [(c.id, c.name) for c in consultation.categories]
        )
        self.district.choices = choices(
            [("", _l("No particular district"))] + [(d.id, d.name) for d in consultation.districts]
        )
        if not consultation.districts:
            del self.district


class WithdrawForm(BaseForm):
    confirm = BooleanField(
        _l("Yes, withdraw my idea"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
