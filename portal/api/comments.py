"""API: comment threads on any anchored content, posting, editing, deleting and voting.

``body`` is the Markdown the author wrote (data, never markup); ``body_html`` is the same text
rendered through the portal's one sanitizer, safe to insert into a page.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.accounts import user_json
from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.comments import services
from portal.comments.models import Comment
from portal.core.anchors import ANCHORED_CLASSES
from portal.core.errors import NotFound, ValidationFailed
from portal.core.html import render_markdown
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter


def _posting_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_POSTING"]


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def comment_json(comment: Comment, my_vote: int = 0, replies: list | None = None) -> dict:
    deleted = comment.is_deleted
    data = {
        "id": comment.id,
        "anchor_id": comment.anchor_id,
        "target_anchor_id": comment.target_anchor_id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "author": None if deleted or comment.author is None else user_json(comment.author),
        "stance": comment.stance,
        "body": "" if deleted else comment.body,
        "body_html": "" if deleted else str(render_markdown(comment.body)),
        "created_at": _iso(comment.created_at),
        "edited": comment.edited_at is not None,
        "edited_at": _iso(comment.edited_at),
        "deleted": deleted,
        "up": comment.up_count,
        "down": comment.down_count,
        "my_vote": my_vote,
    }
    if replies is not None:
        data["replies"] = replies
    return data


def node_json(node: services.Node) -> dict:
    data = comment_json(node.comment, node.my_vote, [node_json(r) for r in node.replies])
    if node.comment.parent_id is None:
        data["reply_count"] = node.reply_count
        data["more_replies"] = node.hidden_replies
    return data


def _thread(target):
    number = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", services.PER_PAGE, type=int) or services.PER_PAGE
    order = request.args.get("order", "oldest")
    if order not in services.ORDERS:
        raise ValidationFailed(fields={"order": _("Choose oldest, newest or best.")})
    page = services.load_page(
        target.anchor_id,
        current_user,
        min(max(number, 1), 100_000),
        order,
        per_page=min(max(per_page, 1), 100),
    )
    block = services.commenting_block(current_user, target)
    return jsonify(
        {
            "anchor_id": target.anchor_id,
            "comment_count": target.anchor.comment_count,
            "page": page.number,
            "per_page": page.per_page,
            "pages": page.pages,
            "total": page.total,
            "order": page.order,
            "can_comment": block is None,
            "reason": block[1] if block else None,
            "items": [node_json(n) for n in page.nodes],
        }
    )


def _post(target):
    data = json_body()
    parent_id = data.get("parent_id")
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool)):
        raise ValidationFailed(fields={"parent_id": _("Must be a comment id.")})
    body = data.get("body")
    stance = data.get("stance", "neutral")
    if not isinstance(body, str):
        raise ValidationFailed(fields={"body": _("Must be text.")})
    if not isinstance(stance, str):
        raise ValidationFailed(fields={"stance": _("Choose for, against or neutral.")})
    comment = services.post_comment(current_user, target, body, stance, parent_id=parent_id)
    db.session.commit()
    return jsonify(comment_json(comment)), 201


def _idea(idea_id: int):
    cls = ANCHORED_CLASSES.get("idea")
    idea = db.session.get(cls, idea_id) if cls is not None else None
    if idea is None or not idea.is_publicly_visible():
        raise NotFound()
    return idea


@bp.get("/anchors/<int:anchor_id>/comments")
@access(PUBLIC)
def anchor_comments(anchor_id: int):
    return _thread(services.target_for_anchor(anchor_id))


@bp.post("/anchors/<int:anchor_id>/comments")
@access(LOGIN)
@limiter.limit(_posting_limit)
def anchor_post_comment(anchor_id: int):
    return _post(services.target_for_anchor(anchor_id))


@bp.get("/ideas/<int:idea_id>/comments")
@access(PUBLIC)
def idea_comments(idea_id: int):
    return _thread(_idea(idea_id))


@bp.post("/ideas/<int:idea_id>/comments")
@access(LOGIN)
@limiter.limit(_posting_limit)
def idea_post_comment(idea_id: int):
    return _post(_idea(idea_id))


@bp.get("/comments/<int:comment_id>")
@access(PUBLIC)
def get_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    return jsonify(comment_json(comment, services.my_vote(current_user, comment)))


@bp.patch("/comments/<int:comment_id>")
@access(LOGIN)
@limiter.limit(_posting_limit)
def edit_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    data = json_body()
    body = data.get("body")
    stance = data.get("stance")
    if not isinstance(body, str):
        raise ValidationFailed(fields={"body": _("Must be text.")})
    if stance is not None and not isinstance(stance, str):
        raise ValidationFailed(fields={"stance": _("Choose for, against or neutral.")})
    services.edit_comment(current_user, comment, body, stance)
    db.session.commit()
    return jsonify(comment_json(comment, services.my_vote(current_user, comment)))


@bp.delete("/comments/<int:comment_id>")
@access(LOGIN)
def delete_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    services.delete_comment(current_user, comment)
    db.session.commit()
    return jsonify(comment_json(comment))


@bp.post("/comments/<int:comment_id>/vote")
@access(LOGIN)
@limiter.limit(_posting_limit)
def vote_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    value = json_body().get("value")
    if not isinstance(value, str):
        raise ValidationFailed(fields={"value": _("Choose up, down or none.")})
    mine = services.vote(current_user, comment, value)
    db.session.commit()
    return jsonify(comment_json(comment, mine))


# --- OpenAPI ---------------------------------------------------------------------------------

SCHEMAS["CommentInput"] = {
    "type": "object",
    "required": ["body"],
    "properties": {
        "body": {"type": "string", "maxLength": services.MAX_LENGTH, "description": "Markdown"},
        "stance": {"type": "string", "enum": ["for", "against", "neutral"]},
        "parent_id": {"type": "integer", "description": "Reply to this comment (depth <= 3)"},
    },
}
SCHEMAS["CommentEdit"] = {
    "type": "object",
    "required": ["body"],
    "properties": {
        "body": {"type": "string", "maxLength": services.MAX_LENGTH},
        "stance": {"type": "string", "enum": ["for", "against", "neutral"]},
    },
}
SCHEMAS["CommentVote"] = {
    "type": "object",
    "required": ["value"],
    "properties": {"value": {"type": "string", "enum": ["up", "down", "none"]}},
}
_page_params = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}},
    {
        "name": "order",
        "in": "query",
        "schema": {"type": "string", "enum": list(services.ORDERS)},
    },
]
_thread_doc = (
    "A page of top-level comments (visible ones only) with their replies nested in "
    "`replies`; `body` is the author's Markdown, `body_html` the sanitized rendering"
)
for _path, _param in (
    ("/anchors/{anchor_id}/comments", "anchor_id"),
    ("/ideas/{idea_id}/comments", "idea_id"),
):
    document(
        _path,
        "get",
        "Comments on this content, page by page",
        parameters=[path_param(_param), *_page_params],
        tag="comments",
        responses={"200": _thread_doc, "404": "No such content, or not public", "422": "Bad order"},
    )
    document(
        _path,
        "post",
        "Comment, or reply with parent_id (the author then follows the content)",
        auth=True,
        body="CommentInput",
        parameters=[path_param(_param)],
        tag="comments",
        responses={
            "201": "The new comment",
            "401": "Not signed in",
            "403": "Comments closed (phase, hidden content) or not allowed",
            "404": "No such content",
            "422": "Invalid body, stance or parent_id (also: too deep)",
            "429": "Posting too often",
        },
    )
document(
    "/comments/{comment_id}",
    "get",
    "One comment",
    parameters=[path_param("comment_id")],
    tag="comments",
    responses={"200": "The comment", "404": "No such comment, or not public"},
)
document(
    "/comments/{comment_id}",
    "patch",
    "Edit your comment (it is marked as edited)",
    auth=True,
    body="CommentEdit",
    parameters=[path_param("comment_id")],
    tag="comments",
    responses={
        "200": "The edited comment",
        "403": "Not the author, or comments closed",
        "404": "No such comment",
        "409": "Deleted",
        "422": "Invalid body or stance",
    },
)
document(
    "/comments/{comment_id}",
    "delete",
    "Delete your comment (the thread keeps a 'comment deleted' placeholder)",
    auth=True,
    parameters=[path_param("comment_id")],
    tag="comments",
    responses={"200": "The deleted comment", "403": "Not the author", "404": "No such comment"},
)
document(
    "/comments/{comment_id}/vote",
    "post",
    "Set your vote on a comment: up, down or none (one vote per person)",
    auth=True,
    body="CommentVote",
    parameters=[path_param("comment_id")],
    tag="comments",
    responses={
        "200": "The comment with its counters and my_vote",
        "403": "Own comment, or comments closed",
        "404": "No such comment",
        "409": "Deleted or hidden comment",
        "422": "Invalid value",
    },
)
