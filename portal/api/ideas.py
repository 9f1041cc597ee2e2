"""API: ideas of a consultation (list, search, propose), one idea, edit, withdraw, support."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.accounts import user_json
from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.consultations import services as consultation_services
from portal.core.errors import ValidationFailed
from portal.core.html import render_markdown
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter
from portal.ideas import services
from portal.ideas.models import Idea
from portal.ideas.views import _posting_limit, filters_from
from portal.moderation.limits import posting_limits


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def idea_json(
    idea: Idea, counts_visible: bool, supported: bool | None = None, slug: str | None = None
) -> dict:
    """An idea as the API shows it. ``body_html`` is sanitised; ``title`` is plain text that
    clients must escape like any text."""
    data = {
        "id": idea.id,
        "url": idea.url(external=True),
        "consultation": slug if slug is not None else idea.consultation.slug,
        "title": idea.title,
        "body": idea.body,
        "body_html": str(render_markdown(idea.body)),
        "category": {"id": idea.category.id, "name": idea.category.name} if idea.category else None,
        "district": {"id": idea.district.id, "name": idea.district.name} if idea.district else None,
        "latitude": idea.latitude,
        "longitude": idea.longitude,
        "address": idea.address,
        "cost": idea.cost,
        "status": idea.status,
        "is_qualified": idea.is_qualified,
        "support_count": idea.support_count if counts_visible else None,
        "comment_count": idea.anchor.comment_count,
        "author": user_json(idea.author) if idea.author else None,
        "created_at": _iso(idea.created_at),
        "updated_at": _iso(idea.updated_at),
        "withdrawn_at": _iso(idea.withdrawn_at),
        "first_answered_at": _iso(idea.first_answered_at),
        "merged_into": idea.merged_into_id,
    }
    if supported is not None:
        data["supported"] = supported
    return data


@bp.get("/consultations/<slug>/ideas")
@access(PUBLIC)
def list_ideas(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    filters = filters_from(request.args, consultation)
    page = Page.from_request(20)
    ideas, page.total = services.list_ideas(
        consultation, filters, page.limit, page.offset, current_user
    )
    visible = services.support_counts_visible(consultation, current_user)
    supported = services.supported_ids(current_user, ideas)
    authenticated = current_user.is_authenticated
    items = []
    for idea in ideas:
        mine = (idea.id in supported) if authenticated else None
        items.append(idea_json(idea, visible, mine, consultation.slug))
    return jsonify(
        {
            "items": items,
            "total": page.total,
            "page": page.number,
            "per_page": page.per_page,
            "pages": page.pages,
        }
    )


@bp.get("/consultations/<slug>/ideas/similar")
@access(PUBLIC)
def similar_ideas(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    title = (request.args.get("title") or "")[:200]
    items = services.similar_ideas(consultation, title)
    return jsonify(
        {
            "items": [
                {"id": i.id, "title": i.title, "url": i.url(external=True), "status": i.status}
                for i in items
            ]
        }
    )


def _float(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed(fields={name: _("Must be a number.")})
    return float(value)


def _int(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(fields={name: _("Must be a whole number.")})
    return value


def _text(body: dict, name: str, default: str = "") -> str:
    value = body.get(name, default)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(fields={name: _("Must be text.")})
    return value


def _idea_data(body: dict, idea: Idea | None = None) -> services.IdeaData:
    def keep(name: str, reader):
        if idea is not None and name not in body:
            source = {"category": "category_id", "district": "district_id"}.get(name, name)
            return getattr(idea, source)
        return reader(body, name)

    return services.IdeaData(
        title=keep("title", _text),
        body=keep("body", _text),
        category_id=keep("category", _int),
        district_id=keep("district", _int),
        latitude=keep("latitude", _float),
        longitude=keep("longitude", _float),
        address=keep("address", _text),
        cost=keep("cost", _int),
    )


@bp.post("/consultations/<slug>/ideas")
@access(LOGIN)
@posting_limits
def create_idea(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    idea = services.create_idea(current_user, consultation, _idea_data(json_body()))
    db.session.commit()
    return jsonify(idea_json(idea, True, False)), 201


@bp.get("/ideas/<int:idea_id>")
@access(PUBLIC)
def get_idea(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    visible = services.support_counts_visible(idea.consultation, current_user)
    supported = (
        services.has_supported(current_user, idea) if current_user.is_authenticated else None
    )
    return jsonify(idea_json(idea, visible, supported))


@bp.patch("/ideas/<int:idea_id>")
@access(LOGIN)
@limiter.limit(_posting_limit, methods=["PATCH"])
def update_idea(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    services.check_editable(current_user, idea)
    services.update_idea(current_user, idea, _idea_data(json_body(), idea))
    db.session.commit()
    return jsonify(idea_json(idea, True))


@bp.post("/ideas/<int:idea_id>/withdraw")
@access(LOGIN)
def withdraw_idea(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    services.withdraw_idea(current_user, idea)
    db.session.commit()
    return jsonify(idea_json(idea, True))


def _support_answer(idea: Idea, state: services.SupportState) -> dict:
    """Built before the commit from what the transaction already read: no query after it."""
    visible = services.support_counts_visible(idea.consultation, current_user)
    return {
        "idea": idea.id,
        "supported": state.supported,
        "support_count": state.support_count if visible else None,
        "is_qualified": state.is_qualified,
        "supports_used": state.supports_used,
        "support_limit": state.support_limit,
    }


@bp.post("/ideas/<int:idea_id>/support")
@access(LOGIN)
@posting_limits
def add_support(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    answer = _support_answer(idea, services.add_support(current_user, idea))
    db.session.commit()
    return jsonify(answer), 201


@bp.delete("/ideas/<int:idea_id>/support")
@access(LOGIN)
@limiter.limit(_posting_limit, methods=["DELETE"])
def remove_support(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    answer = _support_answer(idea, services.remove_support(current_user, idea))
    db.session.commit()
    return jsonify(answer), 200


SCHEMAS["IdeaInput"] = {
    "type": "object",
    "required": ["title", "body"],
    "properties": {
        "title": {"type": "string", "minLength": 5, "maxLength": 150},
        "body": {"type": "string", "description": "Markdown", "minLength": 10},
        "category": {"type": "integer", "description": "A theme id of the consultation"},
        "district": {"type": "integer", "description": "A district id of the consultation"},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "address": {"type": "string", "maxLength": 200},
        "cost": {"type": "integer", "minimum": 0},
    },
}
_slug = [path_param("slug", "string")]
_id = [path_param("idea_id")]
_list_parameters = _slug + [
    {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
    for name, schema, text in (
        ("category", {"type": "integer"}, "Theme id"),
        ("district", {"type": "integer"}, "District id"),
        (
            "status",
            {"type": "string", "enum": list(services.FILTER_STATUSES)},
            "Status, or “qualified”",
        ),
        ("mine", {"type": "boolean"}, "Only the signed-in person's ideas"),
        ("q", {"type": "string"}, "Full-text search"),
        (
            "sort",
            {"type": "string", "enum": list(services.SORTS)},
            "Order; random is stable for one session; most supported is unavailable while "
            "counts are hidden",
        ),
        ("page", {"type": "integer"}, "Page number"),
        ("per_page", {"type": "integer"}, "Ideas per page (at most 100)"),
    )
]
document(
    "/consultations/{slug}/ideas",
    "get",
    "Public ideas of a consultation, filtered, searched, sorted and paginated",
    parameters=_list_parameters,
    tag="ideas",
    responses={"200": "items (each with its page's url), total, page, pages"},
)
document(
    "/consultations/{slug}/ideas",
    "post",
    "Propose an idea (only while the ideas phase is open)",
    auth=True,
    body="IdeaInput",
    parameters=_slug,
    tag="ideas",
    responses={"201": "The idea", "403": "Phase closed", "422": "Invalid fields"},
)
document(
    "/consultations/{slug}/ideas/similar",
    "get",
    "Public ideas with titles like ?title= (to support instead of duplicating)",
    parameters=_slug
    + [{"name": "title", "in": "query", "required": True, "schema": {"type": "string"}}],
    tag="ideas",
)
document(
    "/ideas/{idea_id}",
    "get",
    "One idea (support_count is null while counts are hidden)",
    parameters=_id,
    tag="ideas",
    responses={"200": "The idea", "404": "No such public idea"},
)
document(
    "/ideas/{idea_id}",
    "patch",
    "Edit your idea (until the discussion phase ends; only the fields sent change)",
    auth=True,
    body="IdeaInput",
    parameters=_id,
    tag="ideas",
    responses={"200": "The idea", "403": "Not yours, or phase closed", "409": "Answered"},
)
document(
    "/ideas/{idea_id}/withdraw",
    "post",
    "Withdraw your idea",
    auth=True,
    parameters=_id,
    tag="ideas",
    responses={"200": "The idea", "403": "Not yours", "409": "Already withdrawn or accepted"},
)
document(
    "/ideas/{idea_id}/support",
    "post",
    "Support an idea (support phase; verified residents where required; per-person limit)",
    auth=True,
    parameters=_id,
    tag="ideas",
    responses={
        "201": "Supported: the new count",
        "403": "Phase closed or not verified",
        "409": "Already supported, or limit reached",
    },
)
document(
    "/ideas/{idea_id}/support",
    "delete",
    "Take back your support (during the support phase)",
    auth=True,
    parameters=_id,
    tag="ideas",
    responses={"200": "The new count", "409": "You did not support it"},
)
