"""The page header is rendered once per kind of page and viewer and kept; each request still
gets its own CSRF token and return address, and each kind of viewer its own menu."""

from __future__ import annotations

import re

from flask import template_rendered

from portal.core.navigation import HEADER_TEMPLATE
from portal.extensions import db
from portal.notifications.models import Notification
from tests.comments.factories import make_consultation
from tests.factories import make_user

TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')
HEADER = re.compile(r'<header class="site-header">.*?</header>', re.DOTALL)
LOGOUT_TOKEN = re.compile(
    r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"'
)


def header_of(response) -> str:
    found = HEADER.search(response.get_data(as_text=True))
    assert found, "no header on the page"
    return found.group(0)


def test_the_header_is_rendered_once_per_kind_and_filled_in_per_request(app, client):
    with app.app_context():
        make_user("resident@example.org")
    rendered = []

    def record(_sender, template, **_extra):
        if template.name == HEADER_TEMPLATE:
            rendered.append(1)

    app.extensions.pop("portal_site_headers", None)
    client.login("resident@example.org")
    other = app.test_client()
    template_rendered.connect(record, app)
    try:
        first = client.get("/consultations?page=1&q=%22%3E%3Cscript%3E")
        second = client.get("/consultations?page=1&q=%22%3E%3Cscript%3E")
        visitor = other.get("/consultations")
    finally:
        template_rendered.disconnect(record, app)
    assert len(rendered) == 2, "once for the resident, once for the visitor"
    resident_header = header_of(second)
    # The same header but for the token (signed anew, with its time, on every page).
    assert TOKEN.sub("", header_of(first)) == TOKEN.sub("", resident_header)
    # The return address is this request's, escaped; no marker is left anywhere.
    assert 'name="next" value="/consultations?page=1&amp;q=%22%3E%3Cscript%3E"' in resident_header
    assert "\x00" not in second.get_data(as_text=True)
    # The log-out form carries the resident's own token, and it works.
    token = LOGOUT_TOKEN.search(resident_header).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
    # Visitors get the visitor's header: no token, log-in links.
    assert "csrf_token" not in header_of(visitor) and "/login" in header_of(visitor)
    assert 'aria-current="page"' in header_of(visitor)


def test_each_kind_of_viewer_sees_its_own_menu(app, client):
    with app.app_context():
        make_user("admin@example.org", roles=("admin",))
        person = make_user("reader@example.org")
        anchor_id = make_consultation().anchor_id
        person_id = person.id
    admin = app.test_client()
    admin.login("admin@example.org")
    client.login("reader@example.org")
    assert "People and roles" in header_of(admin.get("/"))
    assert "People and roles" not in header_of(client.get("/"))
    assert "unread" not in header_of(client.get("/"))
    with app.app_context():
        db.session.add(Notification(user_id=person_id, anchor_id=anchor_id, event="status_changed"))
        db.session.commit()
    assert "1 unread" in header_of(client.get("/"))
    # The current page is marked on the page's own header only.
    assert 'aria-current="page"' in header_of(client.get("/consultations"))
    assert 'aria-current="page"' not in header_of(client.get("/account"))
