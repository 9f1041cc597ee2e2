"""The comments API: edit, delete, vote, errors, and the OpenAPI document."""

from __future__ import annotations

from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user


def test_edit_delete_vote_through_the_api(client, app):
    with app.app_context():
        consultation = make_consultation()
        anchor_id = consultation.anchor_id
        ann = make_user("ann@example.org")
        make_user("bob@example.org")
        cid = make_comment(ann, consultation, "original").id
    client.login("bob@example.org")
    r = client.api("POST", f"/api/v1/comments/{cid}/vote", json={"value": "up"})
    assert r.status_code == 200 and (r.get_json()["up"], r.get_json()["my_vote"]) == (1, 1)
    r = client.api("POST", f"/api/v1/comments/{cid}/vote", json={"value": "up"})
    assert r.get_json()["up"] == 1
    assert client.api("POST", f"/api/v1/comments/{cid}/vote", json={"value": 1}).status_code == 422
    assert client.api("POST", f"/api/v1/comments/{cid}/vote", data="x").status_code == 422
    assert client.api("PATCH", f"/api/v1/comments/{cid}", json={"body": "mine"}).status_code == 403
    assert client.api("DELETE", f"/api/v1/comments/{cid}").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("ann@example.org")
    assert (
        client.api("POST", f"/api/v1/comments/{cid}/vote", json={"value": "up"}).status_code == 403
    )
    r = client.api("PATCH", f"/api/v1/comments/{cid}", json={"body": "better", "stance": "against"})
    assert r.status_code == 200
    assert (r.get_json()["body"], r.get_json()["edited"], r.get_json()["stance"]) == (
        "better",
        True,
        "against",
    )
    bad = client.api("PATCH", f"/api/v1/comments/{cid}", json={"body": "x", "stance": "maybe"})
    assert bad.status_code == 422 and "stance" in bad.get_json()["error"]["fields"]
    reply = client.api(
        "POST", f"/api/v1/anchors/{anchor_id}/comments", json={"body": "r", "parent_id": cid}
    )
    assert reply.status_code == 201
    r = client.api("DELETE", f"/api/v1/comments/{cid}")
    assert r.status_code == 200 and r.get_json()["deleted"] and r.get_json()["body"] == ""
    thread = client.get(f"/api/v1/anchors/{anchor_id}/comments").get_json()
    assert thread["comment_count"] == 1
    assert thread["items"][0]["deleted"] and thread["items"][0]["author"] is None
    assert thread["items"][0]["replies"][0]["body"] == "r"
    assert client.get(f"/api/v1/anchors/{anchor_id}/comments?order=zzz").status_code == 422
    bad_parent = client.api(
        "POST", f"/api/v1/anchors/{anchor_id}/comments", json={"body": "r", "parent_id": "1"}
    )
    assert bad_parent.status_code == 422
    assert client.get("/api/v1/anchors/999999/comments").status_code == 404
    assert client.get("/api/v1/comments/999999").status_code == 404


def test_anonymous_reads_but_cannot_write(client, app):
    with app.app_context():
        consultation = make_consultation()
        anchor_id = consultation.anchor_id
        make_comment(make_user(), consultation, "hello")
    assert client.get(f"/api/v1/anchors/{anchor_id}/comments").get_json()["total"] == 1
    r = client.api("POST", f"/api/v1/anchors/{anchor_id}/comments", json={"body": "x"})
    assert r.status_code == 401


def test_openapi_documents_the_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, methods in {
        "/anchors/{anchor_id}/comments": {"get", "post"},
        "/ideas/{idea_id}/comments": {"get", "post"},
        "/comments/{comment_id}": {"get", "patch", "delete"},
        "/comments/{comment_id}/vote": {"post"},
        "/anchors/{anchor_id}/follow": {"get", "put", "delete"},
        "/notifications": {"get"},
        "/notifications/{notification_id}/read": {"post"},
        "/notifications/read-all": {"post"},
        "/notifications/preferences": {"get", "put"},
    }.items():
        assert methods <= set(paths[path]), path
