"""Language choice: the switcher (remembered in the session and the profile), else the
browser's preference, else the default locale. Formatting helpers use Babel per locale."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    locales = current_app.config["LOCALES"]
    if not has_request_context():  # CLI, jobs: the default (e-mails force the person's own)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in locales:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in locales:
        return current_user.locale
    return (
        request.accept_languages.best_match(locales) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


LANGUAGE_NAMES = {"en": "English", "es": "Español", "nl": "Nederlands"}
