"""Domain errors raised by services, and the handlers that turn every error into a page or JSON.

Services raise :class:`PortalError` subclasses; HTML views turn them into form errors or flashes
and the API into ``{"error": {"code", "message", "fields"}}`` with the right status.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class PortalError(Exception):
    """A rule of the portal was broken; ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        self.message = str(message) if message is not None else str(self.default_message())
        self.fields = fields or {}
        super().__init__(self.message)

    def default_message(self) -> str:
        return str(_l("The request could not be processed."))


class ValidationFailed(PortalError):
    status = 422
    code = "validation_failed"

    def default_message(self) -> str:
        return str(_l("Some fields need your attention."))


class NotFound(PortalError):
    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return str(_l("Not found."))


class Forbidden(PortalError):
    status = 403
    code = "forbidden"

    def default_message(self) -> str:
        return str(_l("You are not allowed to do this."))


class Conflict(PortalError):
    status = 409
    code = "conflict"

    def default_message(self) -> str:
        return str(_l("This conflicts with the current state."))


ERROR_TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}

ERROR_TEXTS = {
    400: _l("The request was not understood. Please go back and try again."),
    401: _l("You need to log in to do this."),
    403: _l("You do not have permission to do this."),
    404: _l("We could not find this page. It may have been moved or removed."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This conflicts with the current state."),
    413: _l("What you sent is too large."),
    422: _l("Some of what you sent is not valid."),
    429: _l("You have done this too often. Please wait a little and try again."),
    500: _l("An unexpected error happened. It has been logged; please try again later."),
    503: _l("The portal is busy or under maintenance. Please try again shortly."),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """API routes always answer JSON; so does any request that asks only for JSON."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def json_error(
    status: int, message: str, code: str | None = None, fields: dict | None = None
) -> Response:
    body = {"error": {"code": code or _HTTP_CODES.get(status, "error"), "message": message}}
    body["error"]["fields"] = fields or {}
    response = jsonify(body)
    response.status_code = status
    return response


def error_response(
    status: int,
    message: str | None = None,
    code: str | None = None,
    fields: dict | None = None,
    headers: dict | None = None,
) -> Response:
    """One error answer for every surface: JSON under /api/, the site's error page elsewhere."""
    text = message or str(ERROR_TEXTS.get(status, ERROR_TEXTS[500]))
    if wants_json():
        response = json_error(status, text, code, fields)
    else:
        html = render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
            text=text,
        )
        response = Response(html, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    from portal.extensions import db

    @app.errorhandler(PortalError)
    def handle_portal_error(exc: PortalError):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        if status == 429:
            headers["Retry-After"] = "60"
        message = None
        if status == 400 and exc.description and "CSRF" in str(exc.description):
            message = str(_l("Your form expired or was sent from elsewhere. Please try again."))
        elif status == 401 and exc.description and not exc.description.startswith("The server"):
            message = exc.description
        return error_response(status, message, headers=headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)
