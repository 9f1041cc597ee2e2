"""Comments with script, event handlers, javascript: links or broken HTML are harmless text on
every surface: the thread, the thread page, the edit page, the API and notification e-mails."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.comments.models import Comment
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.notifications import services as notifications
from tests.comments.factories import make_consultation, render_section
from tests.factories import make_user

ATTACKS = [
    "<script>alert('x1')</script>",
    "<img src=x onerror=\"alert('x2')\">",
    "<svg onload=alert('x3')>",
    "<a href=\"javascript:alert('x4')\">click</a>",
    "[click me](javascript:alert('x5'))",
    "[click me](JaVaScRiPt:alert('x6'))",
    "[tab](java\tscript:alert('x7'))",
    '<iframe src="https://evil.example"></iframe>',
    "<div style=\"background:url(javascript:alert('x8'))\">styled</div>",
    "<b onmouseover=alert('x9')>bold</b>",
    "<scr<script>ipt>alert('x10')</script>",
    "</textarea><script>alert('x11')</script>",
    "<p>unclosed <em>broken <a href='x",
    '"><script>alert("x12")</script>',
    "![img](javascript:alert('x13'))",
    "<details open ontoggle=alert('x14')>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgneDE1Jyk8L3NjcmlwdD4=)",
    "<math><mi xlink:href=\"javascript:alert('x16')\">m</mi></math>",
    "<form action=javascript:alert('x17')><button>go</button></form>",
    "&lt;script&gt;alert('x18')&lt;/script&gt;",
]

OUR_SCRIPTS = {"/static/js/comments.js"}
NEVER_TAGS = {"script", "img", "svg", "iframe", "math", "form", "details", "object", "embed"}
NEVER_TAGS |= {"style", "textarea", "base", "meta", "link"}


class _Tags(HTMLParser):
    """Every real element and attribute of a document (escaped text is not an element)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k.lower(): (v or "") for k, v in attrs}))


def _assert_harmless(markup: str, page: bool = False) -> None:
    parser = _Tags()
    parser.feed(markup)
    for tag, attrs in parser.tags:
        where = f"<{tag} {attrs}>"
        if page and tag == "script" and attrs.get("src") in OUR_SCRIPTS:
            continue
        if page and tag in {"link", "meta", "textarea", "form", "details"}:
            continue  # the page's own stylesheet, csrf meta and forms
        assert tag not in NEVER_TAGS, where
        for name, value in attrs.items():
            assert not name.startswith("on"), where
            assert name != "style", where
            if name in {"href", "src", "action", "xlink:href", "formaction"}:
                scheme = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), where


def _comment_bodies(html: str) -> str:
    return "\n".join(re.findall(r'<div class="comment-body">(.*?)</div>', html, re.S))


@pytest.fixture
def attacked(app):
    """A consultation with one comment and one reply per attack string, and a follower."""
    with app.app_context():
        consultation = make_consultation()
        make_user("mallory@example.org")
        follower = make_user("fol@example.org")
        notifications.follow(follower, consultation)
        db.session.commit()
        ids = consultation.id, consultation.anchor_id
    return ids


def test_attacks_through_the_form_are_harmless_everywhere(client, app, attacked, mail_sink):
    cons_id, anchor_id = attacked
    client.login("mallory@example.org")
    old = app.config["RATELIMIT_POSTING"]
    app.config["RATELIMIT_POSTING"] = "1000 per minute"
    try:
        for attack in ATTACKS:
            r = client.form(f"/comments/on/{anchor_id}", {"body": attack, "stance": "against"})
            assert r.status_code == 303, attack
    finally:
        app.config["RATELIMIT_POSTING"] = old
    with app.app_context():
        consultation = db.session.get(Consultation, cons_id)
        comments = db.session.scalars(select(Comment)).all()
        assert [c.body for c in comments] == ATTACKS  # stored as written, escaped on output
        html = render_section(app, consultation)
        first_id = comments[0].id
    _assert_harmless(_comment_bodies(html))
    _assert_harmless(html, page=True)
    assert "alert(&#39;x1&#39;)" in html or "alert('x1')" in html  # shown as text

    # The thread page, the edit page and the error page that keeps the text.
    page = client.get(f"/comments/{first_id}/thread").get_data(as_text=True)
    _assert_harmless(_comment_bodies(page))
    _assert_harmless(page, page=True)
    edit = client.get(f"/comments/{first_id}/edit").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in edit
    _assert_harmless(edit, page=True)

    # The API: body_html is sanitized; body is the Markdown as data.
    data = client.get(f"/api/v1/anchors/{anchor_id}/comments?per_page=100").get_json()
    assert len(data["items"]) == len(ATTACKS)
    for item in data["items"]:
        _assert_harmless(item["body_html"])

    # E-mails to the follower: the text part is plain, the HTML part escapes everything.
    messages = mail_sink.to("fol@example.org")
    assert len(messages) == len(ATTACKS)
    first_html = messages[0].get_body(preferencelist=("html",)).get_content()
    assert "&lt;script&gt;alert(" in first_html  # shown as text, escaped
    for message in messages:
        html_part = message.get_body(preferencelist=("html",)).get_content()
        _assert_harmless(html_part, page=True)
    # In-app list and the notifications API.
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("fol@example.org")
    listing = client.get("/notifications/?per_page=100").get_data(as_text=True)
    _assert_harmless(listing, page=True)
    api = client.get("/api/v1/notifications?per_page=100").get_json()
    assert len(api["items"]) == len(ATTACKS)
    assert all(
        "<" not in item["headline"] or "&lt;" not in item["headline"] for item in api["items"]
    )


def test_attacks_through_the_api_are_harmless(client, app, attacked):
    _cons_id, anchor_id = attacked
    client.login("mallory@example.org")
    old = app.config["RATELIMIT_POSTING"]
    app.config["RATELIMIT_POSTING"] = "1000 per minute"
    try:
        for attack in ATTACKS:
            r = client.api("POST", f"/api/v1/anchors/{anchor_id}/comments", json={"body": attack})
            assert r.status_code == 201, r.get_json()
            _assert_harmless(r.get_json()["body_html"])
            edited = client.api(
                "PATCH", f"/api/v1/comments/{r.get_json()['id']}", json={"body": attack + "!"}
            )
            assert edited.status_code == 200
            _assert_harmless(edited.get_json()["body_html"])
    finally:
        app.config["RATELIMIT_POSTING"] = old
