"""Comment forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.comments.models import STANCES
from portal.comments.services import MAX_LENGTH
from portal.core.forms import BaseForm, choices

STANCE_LABELS = {
    "neutral": _l("Neutral"),
    "for": _l("In favour"),
    "against": _l("Against"),
}


def stance_choices() -> list:
    return choices((s, STANCE_LABELS[s]) for s in ("neutral", "for", "against") if s in STANCES)


class CommentForm(BaseForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write something first.")),
            Length(
                max=MAX_LENGTH,
                message=_l("At most %(n)d characters, please.", n=MAX_LENGTH),
            ),
        ],
        description=_l("You can use Markdown: **bold**, *italic*, lists and links."),
    )
    stance = SelectField(_l("Your position"), choices=stance_choices(), default="neutral")
    parent_id = HiddenField(validators=[Optional()])


class EditForm(BaseForm):
    body = CommentForm.body
    stance = SelectField(_l("Your position"), choices=stance_choices())


class EmptyForm(BaseForm):
    """Only the CSRF token."""
