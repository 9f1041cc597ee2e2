"""Moderation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields import StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal.core.forms import BaseForm, choices, text_length
from portal.moderation.models import REASONS


def reason_choices():
    from portal.moderation.services import reason_label

    return choices([(code, reason_label(code)) for code in REASONS])


class ReportForm(BaseForm):
    reason = RadioField(
        _l("Why are you reporting this?"),
        validators=[InputRequired(message=_l("Choose a reason."))],
    )
    detail = TextAreaField(
        _l("Anything the moderators should know (optional)"),
        validators=[Optional(), text_length(0, 1000)],
        description=_l("Only the moderators read this."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


class HideForm(BaseForm):
    reason = SelectField(_l("Reason"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Note for the author (optional)"),
        validators=[Optional(), text_length(0, 2000)],
        description=_l("Sent to the author with the statement of reasons."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


class NoteForm(BaseForm):
    text = TextAreaField(
        _l("Private note"),
        validators=[DataRequired(message=_l("Write the note first.")), text_length(1, 2000)],
        description=_l("Only moderators see it."),
    )


class OptionalNoteForm(BaseForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), text_length(0, 2000)])


class BlockForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for blocking"),
        validators=[DataRequired(message=_l("A reason is required.")), text_length(1, 500)],
        description=_l("Sent to the person and kept in the audit log."),
    )


class BulkForm(BaseForm):
    action = SelectField(_l("Action for the selected items"), validators=[InputRequired()])
    reason = SelectField(_l("Reason for hiding"), validators=[Optional()])
    block_reason = StringField(
        _l("Reason for blocking"), validators=[Optional(), text_length(0, 500)]
    )
    note = TextAreaField(_l("Note for the authors (optional)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = choices(
            [("hide", _l("Hide the content")), ("block", _l("Block the authors"))]
        )
        self.reason.choices = reason_choices()


class AppealForm(BaseForm):
    text = TextAreaField(
        _l("Why should the decision be changed?"),
        validators=[DataRequired(message=_l("Write your appeal first.")), text_length(10, 2000)],
        description=_l("You can appeal once. Another moderator will decide."),
    )


class DecideAppealForm(BaseForm):
    outcome = RadioField(_l("Decision"), validators=[InputRequired(message=_l("Choose one."))])
    note = TextAreaField(
        _l("Explanation for the author (optional)"),
        validators=[Optional(), text_length(0, 2000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = choices(
            [
                ("upheld", _l("Uphold the appeal: make the content visible again")),
                ("rejected", _l("Reject the appeal: the content stays hidden")),
            ]
        )


class BlocklistForm(BaseForm):
    pattern = StringField(
        _l("Word or pattern"),
        validators=[DataRequired(message=_l("Enter a word or a pattern.")), text_length(1, 200)],
        description=_l("Posts that contain it wait for a moderator instead of being published."),
    )
    is_regex = BooleanField(_l("This is a regular expression"))


class SettingsForm(BaseForm):
    report_threshold = IntegerField(
        _l("Reports before content is hidden automatically"),
        validators=[InputRequired(), NumberRange(1, 100)],
    )
    new_account_days = IntegerField(
        _l("An account counts as new for this many days"),
        validators=[InputRequired(), NumberRange(0, 365)],
    )
    new_account_links = IntegerField(
        _l("Links allowed in a post by a new account"),
        validators=[InputRequired(), NumberRange(0, 100)],
        description=_l("A post with more links waits for a moderator."),
    )


class EmptyForm(BaseForm):
    confirm = HiddenField()
