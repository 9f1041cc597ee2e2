"""Titles, Markdown, names and answers with attack strings render as harmless text on every
surface: pages, the Atom feed, the API, notification text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from portal.accountability import services as accountability
from portal.extensions import db
from portal.ideas import services
from tests.factories import make_user
from tests.ideas.factories import make_consultation
from tests.ideas.html_check import assert_harmless

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<svg/onload=alert(3)>",
    '"><script>alert(4)</script>',
    "'><a href='javascript:alert(5)'>x</a>",
    "[click](javascript:alert(6))",
    "[click](JaVaScRiPt:alert(7))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)",
    '<a href="javascript&#58;alert(9)">x</a>',
    "![x](javascript:alert(10))",
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(11))">',
    "<b onmouseover=alert(12)>bold</b>",
    "<<script>script>alert(13)<</script>/script>",
    "</textarea><script>alert(14)</script>",
    "<!--<script>alert(15)</script>-->",
    "]]><script>alert(16)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(17)>",
    "{{ 7*7 }}{% raw %}",
    "<body onload=alert(18)>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_are_harmless_everywhere(client, ctx, attack):
    consultation = make_consultation(title=f"Consultation {attack}"[:200], support_threshold=1)
    category = consultation.categories[0]
    category.name = f"Theme {attack}"[:100]
    author = make_user(name=f"N {attack}"[:80])
    idea = services.create_idea(
        author,
        consultation,
        services.IdeaData(
            title=f"T {attack}"[:150],
            body=f"Body {attack}\n\n{attack}",
            category_id=category.id,
            address=f"A {attack}"[:200],
        ),
    )
    db.session.commit()
    planner = make_user(roles=("planner",), name=f"P {attack}"[:80])
    response = accountability.respond(
        planner, idea, "rejected", f"Answer {attack}", reason=f"R {attack}"[:300]
    )
    db.session.commit()

    pages = {
        "home": "/",
        "consultation": f"/consultations/{consultation.slug}",
        "list": f"/consultations/{consultation.slug}/ideas",
        "search": f"/consultations/{consultation.slug}/ideas?q={attack}",
        "idea": f"/ideas/{idea.id}",
        "times": f"/consultations/{consultation.slug}/response-times",
    }
    for label, url in pages.items():
        page = client.get(url)
        assert page.status_code == 200, (label, page.status_code)
        assert_harmless(page.get_data(as_text=True), label)

    feed = client.get(f"/consultations/{consultation.slug}/feed.atom")
    assert feed.status_code == 200
    tree = ET.fromstring(feed.data)  # noqa: S314 - our own output; checks it is well-formed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for entry in tree.findall("a:entry", ns):
        assert_harmless(entry.find("a:content", ns).text or "", "feed content")

    api = client.get(f"/api/v1/ideas/{idea.id}").json
    assert_harmless(api["body_html"], "api body_html")
    assert api["title"] == f"T {attack}"[:150]  # plain text, for clients to escape
    answers = client.get(f"/api/v1/ideas/{idea.id}/responses").json["items"]
    assert_harmless(answers[0]["text_html"], "api answer")
    assert response.reason

    client.login(planner.email)
    for url in (f"/ideas/{idea.id}/respond", f"/consultations/{consultation.slug}/edit"):
        page = client.get(url)
        assert page.status_code == 200
        assert_harmless(page.get_data(as_text=True), url)


def test_markdown_keeps_safe_formatting(client, ctx):
    consultation = make_consultation()
    idea = services.create_idea(
        make_user(),
        consultation,
        services.IdeaData(
            title="Formatting works",
            body="**bold** and [a link](https://example.org) and\n\n- a list",
            category_id=consultation.categories[0].id,
        ),
    )
    db.session.commit()
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    assert '<a href="https://example.org" rel="nofollow noopener ugc">a link</a>' in page
    assert "<li>a list</li>" in page
