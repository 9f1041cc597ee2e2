"""Outgoing e-mail over SMTP. With no ``MAIL_SERVER`` the message goes to the log instead,
so a development portal works offline (the confirmation link is printed there)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from portal.core.jobs import enqueue

log = logging.getLogger("portal.mail")


def build_message(
    to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="portal")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def deliver(
    to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Send one message now (called by the job queue)."""
    config = current_app.config
    message = build_message(to, subject, text, html, headers)
    if not config["MAIL_SERVER"]:
        log.info(
            "E-mail (no MAIL_SERVER set, not sent)\nTo: %s\nSubject: %s\n\n%s", to, subject, text
        )
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def send_mail(
    to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Queue a message; call after the database commit."""
    enqueue(deliver, to, subject, text, html, headers)
