"""The OpenAPI 3 document, assembled from what each API module declared."""

from __future__ import annotations

from flask import current_app, jsonify

from portal.api.base import PATHS, SCHEMAS, bp, document
from portal.core.permissions import PUBLIC, access

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["code", "message", "fields"],
        }
    },
}


def build_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Participatory portal API",
            "version": "1",
            "description": 'Errors are JSON {"error": {"code", "message", "fields"}}. '
            "Authenticate with the session cookie plus an X-CSRFToken header, or with "
            "'Authorization: Bearer <token>' (tokens from the profile page or "
            "`portal users token`).",
        },
        "servers": [{"url": current_app.config["BASE_URL"] + "/api/v1"}],
        "paths": dict(sorted(PATHS.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/openapi.json")
@access(PUBLIC)
def openapi_json():
    return jsonify(build_document())


document("/openapi.json", "get", "This document", responses={"200": "OpenAPI 3 document"})
