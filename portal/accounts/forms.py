"""Account forms. Every field carries a label and a field-level message on bad input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional

from portal.accounts.services import MIN_PASSWORD
from portal.core.forms import BaseForm, choices, text_length
from portal.core.permissions import ROLES

_required = DataRequired(message=_l("This field is required."))
_email = Email(message=_l("Enter a valid e-mail address."), check_deliverability=False)


def _password(label):
    return PasswordField(
        label,
        validators=[
            _required,
            Length(
                min=MIN_PASSWORD,
                max=128,
                message=_l(
                    "Use between %(min)d and %(max)d characters.", min=MIN_PASSWORD, max=128
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm(other: str):
    return PasswordField(
        _l("Repeat the password"),
        validators=[_required, EqualTo(other, message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(BaseForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[_required, _email, Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    display_name = StringField(
        _l("Public name"),
        validators=[_required, text_length(2, 80)],
        description=_l("Shown next to what you write. You can use a nickname."),
        render_kw={"autocomplete": "nickname"},
    )
    password = _password(_l("Password"))
    confirm = _confirm("password")
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy notice"),
        validators=[InputRequired(message=_l("Please accept the terms to take part."))],
    )
    # A field people never see: bots fill it, and then sign-up quietly does nothing.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class LoginForm(BaseForm):
    email = EmailField(
        _l("E-mail address"), validators=[_required, _email], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[_required], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class EmailOnlyForm(BaseForm):
    email = EmailField(
        _l("E-mail address"), validators=[_required, _email], render_kw={"autocomplete": "email"}
    )


class ResetPasswordForm(BaseForm):
    password = _password(_l("New password"))
    confirm = _confirm("password")


class ProfileForm(BaseForm):
    display_name = StringField(_l("Public name"), validators=[_required, text_length(2, 80)])
    locale = SelectField(_l("Language"), choices=[], validators=[Optional()])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[_required],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password(_l("New password"))
    confirm = _confirm("password")


class ChangeEmailForm(BaseForm):
    email = EmailField(_l("New e-mail address"), validators=[_required, _email, Length(max=254)])
    password = PasswordField(
        _l("Your password"), validators=[_required], render_kw={"autocomplete": "current-password"}
    )


class DeleteAccountForm(BaseForm):
    password = PasswordField(
        _l("Your password"), validators=[_required], render_kw={"autocomplete": "current-password"}
    )
    confirm = BooleanField(
        _l("I understand that my account is deleted for good"),
        validators=[InputRequired(message=_l("Please tick the box to confirm."))],
    )


class TokenForm(BaseForm):
    name = StringField(
        _l("Token name"),
        validators=[_required, text_length(1, 80)],
        description=_l("For example the name of the script that uses it."),
    )


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=choices((r, r) for r in ROLES), validators=[_required])
    action = SelectField(
        _l("Action"),
        choices=choices([("grant", _l("Grant")), ("revoke", _l("Revoke"))]),
        validators=[_required],
    )


class EmptyForm(BaseForm):
    """A form with nothing but the CSRF token, for buttons that change something."""
