"""Moderation e-mails: statements of reasons, appeal outcomes, blocks, and moderators' alerts.

Each is written in the recipient's language and sent by a job after the commit; the job reads
what it needs from the database in its own session (it may run inside the commit hook).
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urljoin

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.mail import deliver
from portal.extensions import db
from portal.moderation.models import Appeal, ModerationAction


def absolute(path: str) -> str:
    return urljoin(current_app.config["BASE_URL"] + "/", path)


@contextmanager
def mail_context(user: User):
    """A request context on BASE_URL (links are the same in a worker), in the person's
    language."""
    lang = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with (
        current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]),
        force_locale(lang),
    ):
        yield


def _mailable(user: User | None) -> bool:
    return user is not None and user.deleted_at is None and user.email_confirmed_at is not None


def send_moderation_mail(kind: str, *ids: int) -> bool:
    """Job: send one e-mail about a decision (``kind``: statement, restored, blocked,
    appeal_outcome). Returns False when there is nobody to write to."""
    from portal.moderation.services import kind_label, reason_label

    with Session(db.engine) as session:
        action = session.get(ModerationAction, ids[0])
        if action is None:
            return False
        person = session.get(User, action.target_user_id if kind == "blocked" else action.author_id)
        if not _mailable(person):
            return False
        if kind != "blocked" and person.blocked_at is not None:
            return False
        appeal = session.get(Appeal, ids[1]) if len(ids) > 1 else None
        with mail_context(person):
            context = {
                "user": person,
                "action": action,
                "appeal": appeal,
                "what": kind_label(action.kind),
                "reason": reason_label(action.reason) if kind != "blocked" else action.reason,
                "decision_url": absolute(
                    url_for(
                        "moderation.decision", action_id=appeal.action_id if appeal else action.id
                    )
                )
                if kind != "blocked"
                else "",
            }
            subjects = {
                "statement": _("Your contribution was hidden by the moderators"),
                "restored": _("Your contribution is visible again"),
                "blocked": _("Your account has been blocked"),
                "appeal_outcome": _("The decision on your appeal"),
            }
            text = render_template(f"moderation/email/{kind}.txt", **context)
            subject = subjects[kind]
        deliver(person.email, subject, text)
    return True


def send_alert(moderator: User, hidden: list[ModerationAction], appeals: list[Appeal]) -> None:
    """One e-mail to one moderator with everything since the last alert."""
    from portal.moderation.services import kind_label

    with mail_context(moderator):
        text = render_template(
            "moderation/email/alert.txt",
            user=moderator,
            hidden=hidden,
            appeals=appeals,
            kind_label=kind_label,
            queue_url=absolute(url_for("moderation.queue")),
        )
        subject = _(
            "Moderation: %(h)d hidden after reports, %(a)d appeals",
            h=len(hidden),
            a=len(appeals),
        )
    deliver(moderator.email, subject, text)
