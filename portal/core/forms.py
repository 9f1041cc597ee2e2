"""Form base class and shared field helpers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length

from portal.core.errors import PortalError


class BaseForm(FlaskForm):
    """A form with CSRF protection that can show a service's field errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = getattr(self, "csrf_token", None)
        if token is not None:
            token.id = False  # pages carry several forms: no duplicate id="csrf_token"

    def apply_error(self, error: PortalError) -> bool:
        """Attach a service's field errors to the matching fields; False if none matched."""
        matched = False
        for name, message in error.fields.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
                matched = True
        return matched


def text_length(minimum: int = 0, maximum: int = -1) -> Length:
    return Length(
        min=minimum,
        max=maximum,
        message=_l("Between %(min)d and %(max)d characters, please.", min=minimum, max=maximum)
        if maximum > 0
        else _l("At least %(min)d characters, please.", min=minimum),
    )


def choices(pairs) -> list:
    """SelectField choices from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(str(value), label) for value, label in pairs]
