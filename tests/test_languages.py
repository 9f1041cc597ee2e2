"""English, Spanish and Dutch are complete and used: the catalogues cover every string in the
code and templates, the language follows the switcher, the profile or the browser, and numbers,
money, dates, e-mails, errors and exports follow it."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import render_template_string

from portal.accounts.models import User
from portal.extensions import db
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("es", "nl")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "_n": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}|<[^>]+>")


def _source_messages() -> set[tuple[str, str | None]]:
    """Every (msgid, context) the code and templates use, extracted as `make extract-messages`
    does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


@pytest.fixture(scope="module")
def source_messages() -> set[tuple[str, str | None]]:
    return _source_messages()


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def translator(language: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [language])


def catalogue_problems(catalogue, wanted: set[tuple[str, str | None]]) -> list[str]:
    """What keeps a catalogue from being complete: missing, empty or fuzzy entries, and
    translations that lost or invented a placeholder or an HTML tag."""
    problems = []
    for msgid, context in sorted(wanted, key=lambda pair: (pair[0], pair[1] or "")):
        entry = catalogue.get(msgid, context=context)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r}")
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        want = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            got = sorted(PLACEHOLDER.findall(text))
            # The singular of a plural may say "one" instead of the number.
            if got != want and not (len(strings) > 1 and set(got) <= set(want)):
                problems.append(f"placeholders {want} became {got}: {msgid!r}")
    return problems


def test_the_completeness_check_finds_gaps():
    from babel.messages.catalog import Catalog

    catalogue = Catalog(locale="es")
    catalogue.add("Hello %(name)s", "Hola")
    catalogue.add("Fuzzy", "Borroso", flags=["fuzzy"])
    catalogue.add("Fine", "Bien")
    catalogue.add("Change", "Cambiar")
    wanted = {("Hello %(name)s", None), ("Fuzzy", None), ("Fine", None), ("New", None)}
    problems = catalogue_problems(catalogue, wanted | {("Change", "difference")})
    assert problems == [
        "missing: 'Change'",
        "untranslated: 'Fuzzy'",
        "placeholders ['%(name)s'] became []: 'Hello %(name)s'",
        "missing: 'New'",
    ]


def test_extraction_finds_code_and_template_strings(source_messages):
    assert ("Propose an idea", None) in source_messages  # templates
    assert ("There is no idea at this address.", None) in source_messages  # Python (_l)
    assert ("Support", "phase") in source_messages  # lazy_pgettext
    assert len(source_messages) > 1000


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language, source_messages):
    problems = catalogue_problems(_catalogue(language), source_messages)
    assert problems == [], f"{len(problems)} problems, run `make extract-messages`:\n" + "\n".join(
        problems[:40]
    )


# --------------------------------------------------------------------------- choosing


def _lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_browser_preference_chooses_the_language(client, language):
    page = client.get("/", headers={"Accept-Language": f"{language};q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert _lang(text) == language
    assert page.headers["Content-Language"] == language
    log_in = translator(language).gettext("Log in")
    assert log_in != "Log in" and log_in in text


def test_an_unknown_browser_language_falls_back_to_english(client):
    page = client.get("/", headers={"Accept-Language": "fi, sv;q=0.8"}).get_data(as_text=True)
    assert _lang(page) == "en" and "Log in" in page


def test_the_switcher_choice_is_remembered_over_the_browser(client):
    spanish_browser = {"Accept-Language": "es"}
    answer = client.form("/language", {"locale": "nl", "next": "/"}, headers=spanish_browser)
    assert answer.status_code == 303
    for _ in range(2):
        assert _lang(client.get("/", headers=spanish_browser).get_data(as_text=True)) == "nl"


def test_the_profile_language_follows_the_person(app, client):
    with app.app_context():
        make_user("dutch@example.org").locale = "nl"
        db.session.commit()
    client.login("dutch@example.org")
    page = client.get("/account", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _lang(page) == "nl"
    assert translator("nl").gettext("Log out") in page


def test_the_switcher_saves_the_choice_in_the_profile(app, client):
    with app.app_context():
        make_user("switcher@example.org")
    client.login("switcher@example.org")
    client.form("/language", {"locale": "es", "next": "/"})
    with app.app_context():
        assert db.session.query(User).filter_by(email="switcher@example.org").one().locale == "es"


# --------------------------------------------------------------------------- formatting

FORMATTED = {
    # money (minor units), a number, a date: each locale's own separators, order and names
    "en": ("€1,234,567.89", "1,234,567", "Mar 5, 2026"),
    "es": ("1.234.567,89\xa0€", "1.234.567", "5 mar 2026"),
    "nl": ("€\xa01.234.567,89", "1.234.567", "5 mrt 2026"),
}


@pytest.mark.parametrize("language", sorted(FORMATTED))
def test_money_numbers_and_dates_follow_the_language(app, language):
    template = "{{ 123456789|budget_money('EUR') }}|{{ 1234567|number }}|{{ day|date }}"
    with app.test_request_context("/", headers={"Accept-Language": language}):
        text = render_template_string(template, day=datetime.date(2026, 3, 5))
    assert tuple(text.split("|")) == FORMATTED[language]


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize("language", LANGUAGES)
def test_api_errors_are_translated(client, language):
    english = client.get("/api/v1/ideas/999999").get_json()["error"]["message"]
    answer = client.get("/api/v1/ideas/999999", headers={"Accept-Language": language})
    assert answer.status_code == 404
    translated = answer.get_json()["error"]["message"]
    assert translated == translator(language).gettext(english) != english


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_errors_are_translated(client, language):
    page = client.form(
        "/login", {"email": "not-an-address", "password": ""}, headers={"Accept-Language": language}
    ).get_data(as_text=True)
    required = translator(language).gettext("This field is required.")
    assert _lang(page) == language
    assert "This field is required." not in page and required in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_e_mails_are_written_in_the_recipients_language(app, client, mail_sink, language):
    address = f"reset.{language}@example.org"
    with app.app_context():
        make_user(address).locale = language
        db.session.commit()
    mail_sink.clear()
    client.form("/password/forgot", {"email": address})  # the visitor's browser says English
    [message] = mail_sink.to(address)
    subject = translator(language).gettext("Choose a new password")
    assert subject != "Choose a new password" and message["Subject"] == subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_exports_are_written_in_the_planners_language(app, client, tmp_path, language):
    from tests.exports.factories import make_world

    app.config["EXPORTS_DIR"] = str(tmp_path)
    with app.app_context():
        make_user("planner@example.org", roles=("planner",)).locale = language
        db.session.commit()
        slug = make_world().consultation.slug
    client.login("planner@example.org")
    job_page = client.form(f"/exports/{slug}", {"ideas_per_theme": "3", "action": "md"})
    download = client.get(job_page.headers["Location"].rstrip("/") + "/download")
    document = download.get_data(as_text=True)
    download.close()
    heading = translator(language).gettext("Ideas by status")
    assert heading != "Ideas by status" and heading in document
    assert "Ideas by status" not in document
