"""The language in a real browser: taken from the browser's preference, changed with the
switcher and remembered (in the session for visitors, in the profile once signed in), with
accessible pages in every language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.support import Translations

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import serious_violations

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def said(language: str, text: str) -> str:
    """``text`` as the portal's catalogue says it in ``language``."""
    return Translations.load(str(TRANSLATIONS), [language]).gettext(text)


def switch_to(page, language_name: str, button: str) -> None:
    """Use the switcher in the page header."""
    switcher = page.locator("form.language-switcher")
    switcher.get_by_label(said_any("Language")).select_option(label=language_name)
    switcher.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def said_any(text: str):
    """A pattern matching ``text`` in any of the three languages (for labels)."""
    import re

    names = {text, said("es", text), said("nl", text)}
    return re.compile("^(" + "|".join(re.escape(n) for n in names) + ")$")


def test_a_visitor_gets_the_browsers_language_and_keeps_the_switchers(new_page, live_server):
    page = new_page(locale="es-ES")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name=said("es", "Log in")).count() >= 1

    switch_to(page, "Nederlands", said("es", "Change"))
    assert page.locator("html").get_attribute("lang") == "nl"
    # Remembered on the next pages, although the browser still prefers Spanish.
    page.goto(live_server + "/consultations/riverside-2026/ideas")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("link", name=said("nl", "Propose an idea")).count() >= 1


def test_a_signed_in_choice_is_kept_in_the_profile(new_page, live_server):
    first = new_page(locale="en-GB")
    log_in(first, live_server, "resident@example.org")
    first.goto(live_server + "/account")
    switch_to(first, "Español", "Change")
    assert first.locator("html").get_attribute("lang") == "es"
    try:
        # Another browser (preferring English) signs in: the profile's language wins.
        other = new_page(locale="en-GB")
        log_in_in(other, live_server, "resident@example.org", "es")
        assert other.locator("html").get_attribute("lang") == "es"
    finally:
        switch_to(first, "English", said("es", "Change"))  # leave the demo account as it was
    assert first.locator("html").get_attribute("lang") == "en"


def log_in_in(page, base_url: str, email: str, language: str) -> None:
    """Log in on a page whose words may already be in ``language``."""
    page.goto(f"{base_url}/login")
    page.get_by_label(said_any("E-mail address")).fill(email)
    page.get_by_label(said_any("Password"), exact=True).fill("demo-password")
    page.get_by_role("button", name=said_any("Log in")).click()
    page.wait_for_load_state()
    assert "/login" not in page.url
    page.goto(base_url + "/")


@pytest.mark.parametrize("language", ["es", "nl"])
@pytest.mark.parametrize("path", ["/", "/consultations/riverside-2026/ideas", "/budgets/1"])
def test_translated_pages_are_accessible(new_page, live_server, language, path):
    page = new_page(locale=language)
    page.goto(live_server + path)
    assert page.locator("html").get_attribute("lang") == language
    assert serious_violations(page) == []
