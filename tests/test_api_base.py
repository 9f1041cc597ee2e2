"""The API's authentication, error format and OpenAPI document."""

from __future__ import annotations

from portal.accounts.services import create_api_token
from portal.extensions import db
from tests.factories import make_user


def test_me_requires_authentication_with_json_error(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json == {
        "error": {"code": "unauthorized", "message": "You need to log in to do this.", "fields": {}}
    }


def test_me_with_session_and_with_bearer_token(app, client):
    with app.app_context():
        user = make_user("me@example.org", roles=("planner",))
        _t, plain = create_api_token(user, "t")
        db.session.commit()
    client.login("me@example.org")
    assert client.get("/api/v1/me").json["roles"] == ["planner", "resident"]
    other = app.test_client()
    assert (
        other.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).json["email"]
        == "me@example.org"
    )
    assert other.get("/api/v1/me", headers={"Authorization": "Bearer pt_wrong"}).status_code == 401


def test_blocked_person_token_stops_working(app):
    from portal.accounts.models import User
    from portal.core.models import utcnow

    with app.app_context():
        user = make_user("me@example.org")
        _t, plain = create_api_token(user, "t")
        db.session.get(User, user.id).blocked_at = utcnow()
        db.session.commit()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "Error" in document["components"]["schemas"]
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule[len("/api/v1") :]
        for name in rule.arguments:
            for converter in ("int:", "string:", "path:", ""):
                path = path.replace(f"<{converter}{name}>", "{" + name + "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method.lower()) not in documented:
                missing.append(f"{method} {path}")
    assert missing == [], f"API routes missing from the OpenAPI document: {missing}"
