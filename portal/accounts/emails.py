"""E-mails of the account flows, written in the recipient's language."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.accounts.services import Outgoing
from portal.core.mail import send_mail


def absolute_url(endpoint: str, **values) -> str:
    """A link for an e-mail: built from BASE_URL, never from the request's Host header."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def send_outgoing(outgoing: Outgoing | None) -> None:
    """Send an account e-mail after the commit. ``None`` means there is nothing to send."""
    if outgoing is None:
        return
    user = outgoing.user
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if outgoing.kind == "confirm":
            subject = _("Confirm your e-mail address")
            link = absolute_url("accounts.confirm", token=outgoing.token)
        elif outgoing.kind == "reset":
            subject = _("Choose a new password")
            link = absolute_url("accounts.reset_password", token=outgoing.token)
        elif outgoing.kind == "change_email":
            subject = _("Confirm your new e-mail address")
            link = absolute_url("accounts.confirm_email_change", token=outgoing.token)
        else:  # already_registered
            subject = _("Someone tried to sign up with your address")
            link = absolute_url("accounts.forgot_password")
        text = render_template(f"accounts/email/{outgoing.kind}.txt", user=user, link=link)
    send_mail(outgoing.to, subject, text)
