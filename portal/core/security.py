"""Security defaults applied to every request: CSRF, security headers, request ids."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from portal.extensions import csrf

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Pages are in the chosen language, which may come from Accept-Language or the session cookie.
VARY_ON = ("Accept-Language", "Cookie")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def uses_bearer_token() -> bool:
    """A bearer token is never sent by a browser on its own, so such requests need no CSRF."""
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def request_id_from(incoming: str) -> str:
    """The caller's X-Request-ID when it is sane, else a new id."""
    valid = incoming and len(incoming) <= 64 and incoming.replace("-", "").isalnum()
    return incoming if valid else secrets.token_hex(8)


def ensure_request_id() -> None:
    """The request's id (see :func:`request_id_from`). Hooks that run before this module's
    (load shedding) call it too; the first call decides."""
    if g.get("request_id"):
        return
    g.request_id = request_id_from(request.headers.get("X-Request-ID", ""))


def fixed_headers(config: Any) -> list[tuple[str, str]]:
    """The security headers every answer carries, whatever it is. The page cache's WSGI layer
    (portal.ops.cache_layer) sends the same ones with the pages it answers before Flask."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if config.get("SESSION_COOKIE_SECURE"):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def init_security(app: Flask) -> None:
    app.before_request(ensure_request_id)

    @app.before_request
    def check_csrf() -> None:
        if request.method in SAFE_METHODS or uses_bearer_token():
            return
        if app.config.get("WTF_CSRF_ENABLED", True) is False:
            return
        # Views marked with csrf.exempt (the one-click unsubscribe) carry their own proof. A
        # request matching no route is still checked, so it gets the CSRF answer, not a 405.
        csrf.protect(apply_exemptions=bool(request.endpoint))  # CSRFError is a 400

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        from portal.core.errors import error_response

        return error_response(
            400,
            _("Your form has expired. Please reload the page and try again."),
            code="csrf_failed",
        )

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in fixed_headers(app.config):
            headers.setdefault(name, value)
        headers["X-Request-ID"] = g.get("request_id", "")
        if response.mimetype == "text/html" or response.is_json:
            # Pages and messages are in the chosen language, which may come from the
            # browser's Accept-Language: tell caches the answer depends on it, and say which
            # language a page is in (rendering it already chose the language: no extra work;
            # JSON is left alone so that an API answer reloads nothing after its commit).
            response.vary.update(VARY_ON)
            if response.mimetype == "text/html":
                headers.setdefault("Content-Language", str(get_locale() or "en"))
        return response
