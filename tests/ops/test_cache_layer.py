"""The page cache's WSGI layer: a visitor's cached page is answered before Flask runs, with
the same bytes and headers Flask's own path gives, and everything else still reaches Flask."""

from __future__ import annotations

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.ops.cache_layer import CachedPageLayer
from tests.factories import make_user


@pytest.fixture
def layer(app, monkeypatch):
    """The layer, with its ``flask_calls`` list growing by one per request it passed on."""
    app.config["PAGE_CACHE_ENABLED"] = True
    found = app.wsgi_app
    assert isinstance(found, CachedPageLayer)
    inner = found.wsgi_app
    calls: list[str] = []

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(found, "wsgi_app", counted)
    found.flask_calls = calls
    yield found
    app.config["PAGE_CACHE_ENABLED"] = False


def session_cookie(app, data: dict) -> str:
    with app.test_request_context("/"):
        serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps(data)


def test_a_hit_never_reaches_flask_and_matches_flasks_own_answer(app, client, layer):
    first = client.get("/consultations")
    assert first.headers["X-Page-Cache"] == "miss"
    assert layer.flask_calls == ["/consultations"]
    hit = app.test_client().get("/consultations")
    assert hit.headers["X-Page-Cache"] == "hit"
    assert layer.flask_calls == ["/consultations"]  # answered by the layer alone
    # Flask's own path, asked directly, gives the same page and the same headers.
    flask_only = Client(layer.wsgi_app, WerkzeugResponse).get("/consultations")
    assert flask_only.headers["X-Page-Cache"] == "hit"
    assert hit.get_data() == flask_only.get_data() == first.get_data()

    def comparable(response):
        headers = {name: value for name, value in response.headers.items()}
        headers.pop("X-Request-ID")
        return headers

    assert comparable(hit) == comparable(flask_only)
    assert hit.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert hit.headers["Content-Language"] == "en"
    assert hit.headers["X-Request-ID"] != flask_only.headers["X-Request-ID"]


def test_a_sane_request_id_is_kept_and_a_bad_one_replaced(app, client, layer):
    client.get("/")
    kept = client.get("/", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Page-Cache"] == "hit"
    assert kept.headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/", headers={"X-Request-ID": "<script>"})
    assert replaced.headers["X-Request-ID"] not in ("", "<script>")


def test_head_gets_the_headers_and_no_body(app, client, layer):
    page = client.get("/")
    head = client.head("/")
    assert head.headers["X-Page-Cache"] == "hit"
    assert head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len(page.get_data())


def test_a_visitor_with_a_session_is_served_in_the_sessions_language(app, layer):
    plain = app.test_client()
    plain.get("/")
    with_token = app.test_client()
    with_token.set_cookie("session", session_cookie(app, {"csrf_token": "x" * 40}))
    answer = with_token.get("/")
    assert answer.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" not in answer.headers
    dutch = app.test_client()
    dutch.set_cookie("session", session_cookie(app, {"locale": "nl"}))
    assert dutch.get("/").headers["X-Page-Cache"] == "miss"  # stored by Flask, in Dutch
    again = dutch.get("/", headers={"Accept-Language": "es"})  # the session's choice wins
    assert again.headers["X-Page-Cache"] == "hit"
    assert '<html lang="nl">' in again.get_data(as_text=True)
    assert again.headers["Content-Language"] == "nl"


def test_a_forged_session_counts_as_none_as_in_flask(app, layer):
    app.test_client().get("/")
    forged = app.test_client()
    forged.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.bad.signature")
    answer = forged.get("/")
    assert answer.headers["X-Page-Cache"] == "hit"
    assert "Log out" not in answer.get_data(as_text=True)


def test_signed_in_flashed_remembered_and_token_requests_reach_flask(app, client, layer):
    with app.app_context():
        make_user("layer@example.org")
    app.test_client().get("/")
    client.login("layer@example.org")
    app.test_client().get("/")  # the log-in wrote nothing public: this is a hit or a store
    layer.flask_calls.clear()
    assert "Log out" in client.get("/").get_data(as_text=True)
    flashed = app.test_client()
    flashed.set_cookie("session", session_cookie(app, {"_flashes": [("info", "Hello")]}))
    flashed.get("/")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "1|abc")
    remembered.get("/")
    app.test_client().get("/", headers={"Authorization": "Bearer nothing"})
    assert layer.flask_calls == ["/", "/", "/", "/"]


def test_pages_with_a_csrf_marker_and_other_endpoints_reach_flask(app, layer, monkeypatch):
    cache = app.extensions["portal_page_cache"]
    monkeypatch.setattr(cache, "endpoints", cache.endpoints | {"accounts.login"})
    app.test_client().get("/login")
    hit = app.test_client().get("/login")
    assert hit.headers["X-Page-Cache"] == "hit"  # served by Flask, with the visitor's token
    assert layer.flask_calls == ["/login", "/login"]
    app.test_client().get("/no-such-page")
    app.test_client().get("/consultations/")  # a redirect, not a page
    assert layer.flask_calls[2:] == ["/no-such-page", "/consultations/"]


def test_a_cache_that_fails_leaves_the_answer_to_flask(app, client, layer, monkeypatch):
    cache = app.extensions["portal_page_cache"]
    client.get("/")

    def broken(suffix):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache.backend, "lookup", broken)
    monkeypatch.setattr(cache.backend, "peek", broken)
    answer = client.get("/")
    assert answer.status_code == 200
    assert "X-Page-Cache" not in answer.headers
    assert layer.flask_calls == ["/", "/"]


def test_a_write_makes_the_layer_miss(app, client, layer):
    from portal.consultations.models import Consultation
    from portal.extensions import db

    client.get("/consultations")
    assert client.get("/consultations").headers["X-Page-Cache"] == "hit"
    with app.app_context():
        db.session.add(Consultation(slug="layered", title="Layered plans", status="published"))
        db.session.commit()
    fresh = client.get("/consultations")
    assert fresh.headers["X-Page-Cache"] == "miss"
    assert "Layered plans" in fresh.get_data(as_text=True)
