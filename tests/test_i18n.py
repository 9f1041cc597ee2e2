"""Every user-facing string in the templates is marked for translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
SKIPPED_ELEMENTS = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
USER_FACING_ATTRIBUTES = re.compile(
    r"""\b(aria-label|title|placeholder|alt|aria-description|aria-roledescription)\s*=\s*
        (?:"([^"]*)"|'([^']*)')""",
    re.VERBOSE | re.IGNORECASE,
)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")
WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated_text(source: str) -> list[str]:
    """Words a person would read that no _() call wraps."""
    source = JINJA.sub(" ", source)
    source = SKIPPED_ELEMENTS.sub(" ", source)
    found = []
    for match in USER_FACING_ATTRIBUTES.finditer(source):
        value = match.group(2) or match.group(3) or ""
        if WORD.search(value):
            found.append(f'{match.group(1)}="{value.strip()}"')
    text = ENTITY.sub(" ", TAG.sub(" ", source))
    found += [w for w in (line.strip() for line in text.splitlines()) if WORD.search(w)]
    return found


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt", ".xml", ".svg"})


def test_the_checker_finds_unmarked_text():
    assert untranslated_text('<p>Hello {{ _("World") }}</p>') == ["Hello"]
    assert untranslated_text('<input placeholder="Search">') == ['placeholder="Search"']
    assert untranslated_text('<p>{{ _("Fine") }}</p><a title="{{ _("ok") }}">x</a>') == []


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_strings_are_marked_for_translation(path):
    assert untranslated_text(path.read_text(encoding="utf-8")) == []
