"""Security defaults: headers, cookies, CSRF, rate limits, error pages and JSON errors."""

from __future__ import annotations

import pytest

from portal import create_app
from tests.factories import PASSWORD, make_user


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-ID"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_cookies_are_http_only_same_site_and_secure_over_https(database_url):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BASE_URL": "https://portal.example",
            "SESSION_COOKIE_SECURE": True,
            "REMEMBER_COOKIE_SECURE": True,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Strict-Transport-Security" in response.headers
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


def test_https_base_url_makes_cookies_secure_by_default():
    from portal.config import load_config

    config = load_config(
        {"PORTAL_ENV": "production", "SECRET_KEY": "k" * 40, "BASE_URL": "https://portal.example"}
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_secret_key_required_in_production():
    from portal.config import ConfigError, load_config

    with pytest.raises(ConfigError):
        load_config({"PORTAL_ENV": "production"})


def test_postgres_short_url_uses_psycopg_driver():
    from portal.config import load_config

    config = load_config({"PORTAL_ENV": "testing", "DATABASE_URL": "postgres://u@h/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_form_without_csrf_token_is_refused_with_a_clear_page(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_api_with_session_cookie_needs_csrf_header_but_bearer_token_does_not(app, client):
    from portal.accounts.services import create_api_token
    from portal.extensions import db

    with app.app_context():
        user = make_user("me@example.org")
        _token, plain = create_api_token(user, "t")
        db.session.commit()
    client.login("me@example.org")
    no_header = client.open("/api/v1/me", method="DELETE")
    assert no_header.status_code == 400
    assert no_header.json["error"]["code"] == "csrf_failed"
    bearer = app.test_client().open(
        "/api/v1/me", method="DELETE", headers={"Authorization": f"Bearer {plain}"}
    )
    assert bearer.status_code == 405
    assert bearer.json["error"]["code"] == "method_not_allowed"


def test_bearer_tokens_only_work_under_the_api(app):
    from portal.accounts.services import create_api_token
    from portal.extensions import db

    with app.app_context():
        user = make_user("me@example.org")
        _token, plain = create_api_token(user, "t")
        db.session.commit()
    client = app.test_client()
    response = client.get("/account", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 302


def test_login_is_rate_limited(app, client):
    with app.app_context():
        make_user("me@example.org")
    statuses = [
        client.form("/login", {"email": "me@example.org", "password": "wrong-password"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = client.form("/login", {"email": "me@example.org", "password": PASSWORD})
    assert limited.status_code == 429
    assert "too often" in limited.get_data(as_text=True)
    assert limited.headers["Retry-After"]


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/no-such-page", "GET", 404), ("/logout", "GET", 405), ("/api/v1/nothing", "GET", 404)],
)
def test_error_pages_in_layout_and_json_under_api(client, path, method, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    if path.startswith("/api/"):
        assert response.json["error"]["code"] == "not_found"
        assert response.json["error"]["fields"] == {}
    else:
        html = response.get_data(as_text=True)
        assert "Skip to main content" in html and f"({status})" in html


def test_too_large_request_gets_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login", data={"email": "x" * (limit + 10)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_unexpected_error_gives_500_page_not_a_traceback(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    boom.access_level = "public"
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "Something went wrong" in body
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


def test_health_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"
