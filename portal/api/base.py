"""The API blueprint, its request helpers and the OpenAPI path registry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _

from portal.core.errors import ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# OpenAPI path items contributed by each API module: {"/path": {"get": {...}}}.
PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}


def document(
    path: str,
    method: str,
    summary: str,
    *,
    auth: bool = False,
    body: str | None = None,
    responses: dict[str, str] | None = None,
    parameters: list[dict] | None = None,
    tag: str = "general",
) -> None:
    """Describe one operation in the OpenAPI document (kept next to the route it describes)."""
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            code: {"description": text} for code, text in (responses or {"200": "OK"}).items()
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    if auth:
        operation["security"] = [{"bearer": []}, {"session": []}]
    PATHS.setdefault(path, {})[method.lower()] = operation


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 422 that says what is wrong with it."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed(_("The request body must be a JSON object."))
    return data


def path_param(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
