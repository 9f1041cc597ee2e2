"""API: following content, the signed-in person's notifications and e-mail preference."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.core.anchors import Anchor
from portal.core.errors import NotFound, ValidationFailed
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, access
from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import FREQUENCIES


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def notification_json(view) -> dict:
    n = view.notification
    return {
        "id": n.id,
        "event": n.event,
        "anchor_id": n.anchor_id,
        "title": view.title,
        "headline": view.headline,
        "message": view.message,
        "url": view.url,
        "available": view.visible,
        "actor": ({"id": n.actor.id, "display_name": n.actor.public_name} if n.actor else None),
        "created_at": _iso(n.created_at),
        "read_at": _iso(n.read_at),
    }


def _anchor_target(anchor_id: int, must_be_visible: bool = True):
    anchor = db.session.get(Anchor, anchor_id)
    target = anchor.target() if anchor is not None else None
    if target is None or (must_be_visible and not target.is_publicly_visible()):
        raise NotFound()
    return target


@bp.get("/anchors/<int:anchor_id>/follow")
@access(LOGIN)
def follow_status(anchor_id: int):
    target = _anchor_target(anchor_id)
    return jsonify(
        {
            "anchor_id": anchor_id,
            "following": services.is_following(current_user, target),
            "followers": services.follower_count(target),
        }
    )


@bp.put("/anchors/<int:anchor_id>/follow")
@access(LOGIN)
def follow(anchor_id: int):
    target = _anchor_target(anchor_id)
    services.follow(current_user, target)
    db.session.commit()
    return jsonify({"anchor_id": anchor_id, "following": True})


@bp.delete("/anchors/<int:anchor_id>/follow")
@access(LOGIN)
def unfollow(anchor_id: int):
    target = _anchor_target(anchor_id, must_be_visible=False)
    services.unfollow(current_user, target)
    db.session.commit()
    return jsonify({"anchor_id": anchor_id, "following": False})


@bp.get("/notifications")
@access(LOGIN)
def list_notifications():
    page = Page.from_request(per_page=20)
    unread_only = request.args.get("unread") in {"1", "true"}
    rows, page.total = services.list_notifications(
        current_user, page.limit, page.offset, unread_only=unread_only
    )
    return jsonify(
        {
            "page": page.number,
            "per_page": page.per_page,
            "pages": page.pages,
            "total": page.total,
            "unread": services.unread_count(current_user),
            "items": [notification_json(v) for v in services.views_for(rows)],
        }
    )


@bp.post("/notifications/<int:notification_id>/read")
@access(LOGIN)
def read_notification(notification_id: int):
    row = services.mark_read(current_user, notification_id)
    db.session.commit()
    return jsonify(notification_json(services.views_for([row])[0]))


@bp.post("/notifications/read-all")
@access(LOGIN)
def read_all_notifications():
    count = services.mark_all_read(current_user)
    db.session.commit()
    return jsonify({"marked": count, "unread": 0})


@bp.get("/notifications/preferences")
@access(LOGIN)
def get_preferences():
    return jsonify({"email_frequency": services.get_frequency(current_user)})


@bp.put("/notifications/preferences")
@access(LOGIN)
def put_preferences():
    value = json_body().get("email_frequency")
    if not isinstance(value, str):
        raise ValidationFailed(fields={"email_frequency": _("Choose immediately, daily or never.")})
    row = services.set_frequency(current_user, value)
    db.session.commit()
    return jsonify({"email_frequency": row.email_frequency})


SCHEMAS["NotificationPreferences"] = {
    "type": "object",
    "required": ["email_frequency"],
    "properties": {"email_frequency": {"type": "string", "enum": list(FREQUENCIES)}},
}
_anchor = [path_param("anchor_id")]
document(
    "/anchors/{anchor_id}/follow",
    "get",
    "Whether you follow this content, and how many people do",
    auth=True,
    parameters=_anchor,
    tag="notifications",
    responses={"200": "following, followers", "401": "Not signed in", "404": "No such content"},
)
document(
    "/anchors/{anchor_id}/follow",
    "put",
    "Follow this content (idea, consultation, ...); following twice is harmless",
    auth=True,
    parameters=_anchor,
    tag="notifications",
    responses={"200": "following: true", "401": "Not signed in", "404": "No such content"},
)
document(
    "/anchors/{anchor_id}/follow",
    "delete",
    "Stop following this content",
    auth=True,
    parameters=_anchor,
    tag="notifications",
    responses={"200": "following: false", "401": "Not signed in", "404": "No such content"},
)
document(
    "/notifications",
    "get",
    "Your notifications, newest first (unread=1 for unread ones only)",
    auth=True,
    parameters=[
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}},
        {"name": "unread", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
    ],
    tag="notifications",
    responses={
        "200": "items (event, headline, message as plain text, url), unread count",
        "401": "Not signed in",
    },
)
document(
    "/notifications/{notification_id}/read",
    "post",
    "Mark one notification as read",
    auth=True,
    parameters=[path_param("notification_id")],
    tag="notifications",
    responses={"200": "The notification", "404": "Not one of yours"},
)
document(
    "/notifications/read-all",
    "post",
    "Mark all your notifications as read",
    auth=True,
    tag="notifications",
    responses={"200": "How many were marked"},
)
document(
    "/notifications/preferences",
    "get",
    "How often you get notification e-mails",
    auth=True,
    tag="notifications",
    responses={"200": "email_frequency: immediately, daily or never"},
)
document(
    "/notifications/preferences",
    "put",
    "Choose how often you get notification e-mails",
    auth=True,
    body="NotificationPreferences",
    tag="notifications",
    responses={"200": "The saved preference", "422": "Unknown frequency"},
)
