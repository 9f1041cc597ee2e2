"""Every registered route, for every role: the designed answer, never a 500.

Each view declares its level with ``@access``; this walk checks that the declaration is there
and that the server enforces it: anonymous people are sent to log in (401 under /api/),
people without the role get 403, people with it get past the check. URL parameters point at
objects that do not exist, so nothing is changed and the answer after the check is a 404 or
a validation message.
"""

from __future__ import annotations

import pytest

from portal.core.permissions import LOGIN, PUBLIC, ROLES
from tests.factories import make_user

PERSONAS = (None, *ROLES)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _url_for_rule(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        values[name] = 999_999 if kind in {"IntegerConverter", "FloatConverter"} else "x"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in METHODS:
            if method in rule.methods:
                yield rule, method


def _expected_denial(level: str, persona: str | None, is_api: bool) -> int | None:
    """The status that must stop this persona, or None when it must get through."""
    if level == PUBLIC:
        return None
    if persona is None:
        return 401 if is_api else 302
    if level == LOGIN:
        return None
    if persona == "admin" or persona == level:
        return None
    return 403


def test_every_view_declares_its_access_level(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and getattr(app.view_functions[rule.endpoint], "access_level", None) is None
    ]
    assert missing == [], f"views without @access(...): {missing}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_gives_the_designed_answer(app, persona):
    with app.app_context():
        user = make_user(f"{persona}@example.org", roles=(persona,)) if persona else None
        session_token = user.session_token if user else None
    client = app.test_client()
    token = client.csrf_token()
    problems = []
    for rule, method in _routes(app):
        level = app.view_functions[rule.endpoint].access_level
        url = _url_for_rule(rule)
        is_api = url.startswith("/api/")
        if session_token:
            with client.session_transaction() as session:
                session["_user_id"] = session_token
                session["_fresh"] = True
        kwargs = {"headers": {"X-CSRFToken": token}}
        if is_api and method != "GET":
            kwargs["json"] = {}
        elif method != "GET":
            kwargs["data"] = {"csrf_token": token}
        response = client.open(url, method=method, **kwargs)
        status = response.status_code
        denial = _expected_denial(level, persona, is_api)
        where = f"{method} {url} ({level}) as {persona or 'anonymous'}: {status}"
        if status >= 500:
            problems.append(where + " — server error")
        elif denial == 302:
            if status != 302 or "/login" not in response.location:
                problems.append(where + " — expected a redirect to log in")
        elif denial is not None and status != denial:
            problems.append(where + f" — expected {denial}")
        elif denial is None and status in (401, 403) and level != PUBLIC:
            body = response.get_data(as_text=True)
            # Past the role check an object rule may still refuse, but never the role check.
            if status == 401 or "You do not have permission" in body:
                problems.append(where + " — refused although the role allows it")
        elif denial is None and status == 302 and "/login" in (response.location or ""):
            problems.append(where + " — sent to log in although allowed")
    assert problems == [], "\n".join(problems)


def test_state_changing_requests_need_a_csrf_token(app, client):
    with app.app_context():
        make_user("me@example.org")
    client.login("me@example.org")
    response = client.post("/account", data={"profile-display_name": "No token"})
    assert response.status_code == 400
    api = client.open("/api/v1/me", method="POST", json={})
    assert api.status_code in (400, 405)
