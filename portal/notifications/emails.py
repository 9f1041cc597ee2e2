"""Notification e-mails (single or digest), written in the recipient's language.

Every message carries an unsubscribe link that works without logging in, the
``List-Unsubscribe`` header pointing at the same page, and ``List-Unsubscribe-Post`` so that
mail clients can unsubscribe in one click (RFC 8058: a POST of ``List-Unsubscribe=One-Click``
to that URL, accepted without a CSRF token because the URL's signed token is the proof).
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urljoin

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.accounts.models import User
from portal.core.mail import deliver


def absolute(path: str) -> str:
    return urljoin(current_app.config["BASE_URL"] + "/", path)


@contextmanager
def mail_context():
    """A request context on BASE_URL, so that links are built the same in a worker."""
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        yield


def send_notification_email(user: User, views: list) -> None:
    """Send one e-mail now: the single notification, or a digest of several."""
    from portal.notifications.services import unsubscribe_token

    lang = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with mail_context(), force_locale(lang):
        token = unsubscribe_token(user)
        unsubscribe_url = absolute(url_for("notifications.unsubscribe", token=token))
        preferences_url = absolute(url_for("notifications.preferences"))
        items = [{"view": v, "link": absolute(v.url)} for v in views]
        if len(views) == 1:
            subject = views[0].headline
        else:
            subject = _("Your digest: %(n)d updates on what you follow", n=len(views))
        context = {
            "user": user,
            "lang": lang,
            "items": items,
            "digest": len(views) > 1,
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": preferences_url,
        }
        text = render_template("notifications/email/notification.txt", **context)
        html = render_template("notifications/email/notification.html", **context)
    deliver(
        user.email,
        subject,
        text,
        html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            # RFC 8058: mail clients may unsubscribe with one POST to that URL, no page.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
