"""API: official responses (status history) and response times."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal.accountability import services
from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.consultations import services as consultation_services
from portal.core.errors import ValidationFailed
from portal.core.html import render_markdown
from portal.core.permissions import PUBLIC, access
from portal.extensions import db
from portal.ideas import services as idea_services


def response_json(response) -> dict:
    return {
        "id": response.id,
        "idea": response.idea_id,
        "status": response.status,
        "previous_status": response.previous_status,
        "text": response.text,
        "text_html": str(render_markdown(response.text)),
        "reason": response.reason,
        "merged_into": response.merged_into_id,
        "created_at": response.created_at.isoformat() + "Z",
    }


@bp.get("/ideas/<int:idea_id>/responses")
@access(PUBLIC)
def list_responses(idea_id: int):
    idea = idea_services.get_idea(idea_id, current_user)
    return jsonify(
        {"status": idea.status, "items": [response_json(r) for r in services.history(idea)]}
    )


@bp.post("/ideas/<int:idea_id>/responses")
@access("planner")
def create_response(idea_id: int):
    idea = idea_services.get_idea(idea_id, current_user)
    body = json_body()
    for name in ("status", "text", "reason"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise ValidationFailed(fields={name: _("Must be text.")})
    merged = body.get("merged_into")
    if merged is not None and (not isinstance(merged, int) or isinstance(merged, bool)):
        raise ValidationFailed(fields={"merged_into": _("Must be an idea number.")})
    response = services.respond(
        current_user,
        idea,
        body.get("status") or "",
        body.get("text") or "",
        reason=body.get("reason") or "",
        merged_into_id=merged,
    )
    db.session.commit()
    return jsonify(response_json(response)), 201


@bp.get("/consultations/<slug>/response-times")
@access(PUBLIC)
def response_times(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    times = services.response_times(consultation)

    def stats(s) -> dict:
        return {
            "label": s.label,
            "ideas": s.ideas,
            "answered": s.answered,
            "median_days": s.median_days,
            "answered_within": {
                str(days): {
                    "share": s.share(days),
                    "answered": s.within[days][0],
                    "counted": s.within[days][1],
                }
                for days in services.WINDOWS
            },
        }

    return jsonify(
        {
            "overall": stats(times.overall),
            "categories": [stats(s) for s in times.categories],
            "waiting": [
                {"id": idea.id, "title": idea.title, "url": idea.url(external=True), "days": d}
                for idea, d in times.waiting
            ],
        }
    )


SCHEMAS["ResponseInput"] = {
    "type": "object",
    "required": ["status", "text"],
    "properties": {
        "status": {
            "type": "string",
            "enum": ["under_review", "accepted", "rejected", "implemented", "merged"],
        },
        "text": {"type": "string", "description": "Markdown, public"},
        "reason": {"type": "string", "description": "Required when rejecting"},
        "merged_into": {"type": "integer", "description": "Required when merging"},
    },
}
_id = [path_param("idea_id")]
document(
    "/ideas/{idea_id}/responses",
    "get",
    "Official responses to an idea (its status history), oldest first",
    parameters=_id,
    tag="accountability",
)
document(
    "/ideas/{idea_id}/responses",
    "post",
    "Answer an idea publicly and set its status (planners); followers are notified",
    auth=True,
    body="ResponseInput",
    parameters=_id,
    tag="accountability",
    responses={"201": "The response", "403": "Not a planner", "422": "Invalid fields"},
)
document(
    "/consultations/{slug}/response-times",
    "get",
    "Share of ideas answered within 7/14/30 days, median days, longest waiting, by theme",
    parameters=[path_param("slug", "string")],
    tag="accountability",
)
