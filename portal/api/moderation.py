"""API: reports for everyone signed in; the moderators' queue, actions and appeals; the
author's appeal; the public moderation log of a consultation."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.core.errors import NotFound
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access, has_role
from portal.extensions import db
from portal.moderation import services
from portal.moderation.limits import report_limits
from portal.moderation.models import REASONS

TAG = "moderation"


def _me():
    return current_user._get_current_object()


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def _user_brief(user) -> dict | None:
    return {"id": user.id, "display_name": user.public_name} if user is not None else None


def report_json(row) -> dict:
    return {
        "id": row.id,
        "reason": row.reason,
        "status": row.status,
        "created_at": _iso(row.created_at),
        "message": _("Thank you: your report was received. The moderators will look at it."),
    }


def action_json(row) -> dict:
    return {
        "id": row.id,
        "action": row.action,
        "kind": row.kind,
        "reason": row.reason,
        "note": row.note,
        "case_id": row.case_id,
        "moderator_id": row.moderator_id,
        "created_at": _iso(row.created_at),
    }


def case_json(view, full: bool = False) -> dict:
    case = view.case
    data = {
        "id": case.id,
        "kind": case.kind,
        "target_id": getattr(view.target, "id", None),
        "state": view.state,
        "status": case.status,
        "held": case.held,
        "held_reason": case.held_reason,
        "report_count": case.report_count,
        "reasons": dict(view.reasons),
        "opened_at": _iso(case.opened_at),
        "title": view.display_title,
        "snapshots": [{"title": t, "text": x} for t, x in view.snapshots],
        "edited_since_report": view.edited_since_report,
        "author": _user_brief(view.author),
        "author_history": (
            {
                "hidden": view.history.hidden,
                "restored": view.history.restored,
                "reported_items": view.history.reported_items,
                "blocked": view.history.blocked,
                "member_since": _iso(view.history.member_since),
            }
            if view.history
            else None
        ),
        "note_count": view.note_count,
    }
    if full:
        data["text"] = view.current_text
        data["reports"] = [
            {
                "id": r.id,
                "reason": r.reason,
                "detail": r.detail,
                "status": r.status,
                "reporter": _user_brief(r.reporter),
                "created_at": _iso(r.created_at),
            }
            for r in view.reports
        ]
        data["notes"] = [
            {
                "id": n.id,
                "text": n.text,
                "author": _user_brief(n.author),
                "created_at": _iso(n.created_at),
            }
            for n in services.case_notes(case)
        ]
    return data


def appeal_json(row) -> dict:
    return {
        "id": row.id,
        "decision_id": row.action_id,
        "case_id": row.case_id,
        "text": row.text,
        "status": row.status,
        "created_at": _iso(row.created_at),
        "decided_at": _iso(row.decided_at),
        "decision_note": row.decision_note,
        "hidden_by": row.decision.moderator_id,
        "title": row.decision.title,
        "reason": row.decision.reason,
    }


# --- reports -----------------------------------------------------------------------------


@bp.post("/reports")
@access(LOGIN)
@report_limits
def create_report():
    data = json_body()
    target = services.load_target(data.get("target"), data.get("id"))
    row = services.report(_me(), target, data.get("reason"), data.get("detail", ""))
    db.session.commit()
    return jsonify(report_json(row)), 201


# --- the queue and actions ---------------------------------------------------------------


@bp.get("/moderation/queue")
@access("moderator")
def moderation_queue():
    page = Page.from_request(per_page=20)
    views, page.total = services.queue(page.limit, page.offset, request.args.get("kind"))
    return jsonify(
        {
            "items": [case_json(v) for v in views],
            "total": page.total,
            "page": page.number,
            "pages": page.pages,
        }
    )


@bp.get("/moderation/cases/<int:case_id>")
@access("moderator")
def moderation_case(case_id: int):
    return jsonify(case_json(services.case_view(services.get_case(case_id)), full=True))


def _target(case):
    target = services.target_of_case(case)
    if target is None:
        raise NotFound()
    return target


@bp.post("/moderation/cases/<int:case_id>/hide")
@access("moderator")
def moderation_hide(case_id: int):
    data = json_body()
    case = services.get_case(case_id)
    action = services.hide(_me(), _target(case), data.get("reason"), data.get("note", ""))
    db.session.commit()
    return jsonify(action_json(action))


@bp.post("/moderation/cases/<int:case_id>/restore")
@access("moderator")
def moderation_restore(case_id: int):
    data = json_body()
    case = services.get_case(case_id)
    action = services.restore(_me(), _target(case), data.get("note", ""))
    db.session.commit()
    return jsonify(action_json(action))


@bp.post("/moderation/cases/<int:case_id>/dismiss")
@access("moderator")
def moderation_dismiss(case_id: int):
    data = json_body()
    case = services.get_case(case_id)
    action = services.dismiss(_me(), case, data.get("note", ""))
    db.session.commit()
    return jsonify(action_json(action))


@bp.post("/moderation/cases/<int:case_id>/notes")
@access("moderator")
def moderation_note(case_id: int):
    data = json_body()
    case = services.get_case(case_id)
    note = services.add_note(_me(), case, data.get("text"))
    db.session.commit()
    return jsonify({"id": note.id, "text": note.text, "created_at": _iso(note.created_at)}), 201


@bp.post("/moderation/users/<int:user_id>/block")
@access("moderator")
def moderation_block(user_id: int):
    from portal.accounts.services import get_user

    data = json_body()
    person = get_user(user_id)
    action = services.block_user(_me(), person, data.get("reason"))
    db.session.commit()
    return jsonify(action_json(action))


@bp.post("/moderation/users/<int:user_id>/unblock")
@access("moderator")
def moderation_unblock(user_id: int):
    from portal.accounts.services import get_user

    data = json_body()
    person = get_user(user_id)
    action = services.unblock_user(_me(), person, data.get("note", ""))
    db.session.commit()
    return jsonify(action_json(action))


@bp.post("/moderation/bulk")
@access("moderator")
def moderation_bulk():
    data = json_body()
    ids = data.get("case_ids")
    if not isinstance(ids, list):
        ids = []
    result = services.bulk(_me(), ids, data.get("action"), data.get("reason"), data.get("note", ""))
    db.session.commit()
    return jsonify(
        {
            "done": [action_json(a) for a in result.done],
            "skipped": [{"case_id": i, "message": m} for i, m in result.skipped],
        }
    )


# --- appeals -----------------------------------------------------------------------------


@bp.get("/moderation/appeals")
@access("moderator")
def moderation_appeals():
    page = Page.from_request(per_page=50)
    rows, page.total = services.pending_appeals(page.limit, page.offset)
    return jsonify({"items": [appeal_json(a) for a in rows], "total": page.total})


@bp.post("/moderation/appeals/<int:appeal_id>/decide")
@access("moderator")
def moderation_decide(appeal_id: int):
    data = json_body()
    row = services.get_appeal(appeal_id)
    action = services.decide_appeal(_me(), row, data.get("outcome"), data.get("note", ""))
    db.session.commit()
    return jsonify({"appeal": appeal_json(row), "action": action_json(action)})


@bp.get("/moderation/decisions")
@access(LOGIN)
def my_moderation_decisions():
    page = Page.from_request(per_page=50)
    rows, total = services.my_decisions(_me(), page.limit, page.offset)
    return jsonify(
        {
            "items": [
                {
                    **action_json(a),
                    "title": a.title,
                    "moderator_id": None,
                    "can_appeal": services.can_appeal(current_user, a),
                    "appeal": appeal_json(a.appeal) if a.appeal else None,
                    "url": url_for("moderation.decision", action_id=a.id),
                }
                for a in rows
            ],
            "total": total,
        }
    )


@bp.post("/moderation/decisions/<int:action_id>/appeal")
@access(LOGIN)
def appeal_decision(action_id: int):
    data = json_body()
    action = services.get_decision(_me(), action_id)
    row = services.appeal(_me(), action, data.get("text"))
    db.session.commit()
    return jsonify(appeal_json(row)), 201


# --- the public log ----------------------------------------------------------------------


@bp.get("/consultations/<slug>/moderation-log")
@access(PUBLIC)
def public_moderation_log(slug: str):
    from portal.consultations.models import Consultation

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or (
        consultation.status == "draft" and not has_role(current_user, "planner")
    ):
        raise NotFound()
    page = Page.from_request(per_page=50)
    log = services.public_log(consultation, page.limit, page.offset)
    return jsonify(
        {
            "entries": [
                {
                    "action": e["action"],
                    "kind": e["kind"],
                    "reason": e["reason"],
                    "by": e["by"],
                    "date": e["at"].date().isoformat(),
                }
                for e in log.entries
            ],
            "total": log.total,
            "weeks": [
                {"week": w["week"].isoformat(), "counts": w["counts"], "total": w["total"]}
                for w in log.weeks
            ],
        }
    )


# --- OpenAPI -----------------------------------------------------------------------------

SCHEMAS["ReportInput"] = {
    "type": "object",
    "required": ["target", "id", "reason"],
    "properties": {
        "target": {"type": "string", "enum": list(services.TARGET_KINDS)},
        "id": {"type": "integer"},
        "reason": {"type": "string", "enum": list(REASONS)},
        "detail": {"type": "string", "maxLength": services.DETAIL_MAX},
    },
}
SCHEMAS["HideInput"] = {
    "type": "object",
    "required": ["reason"],
    "properties": {
        "reason": {"type": "string", "enum": list(REASONS)},
        "note": {"type": "string", "maxLength": services.NOTE_MAX},
    },
}
SCHEMAS["NoteInput"] = {
    "type": "object",
    "properties": {"note": {"type": "string", "maxLength": services.NOTE_MAX}},
}
SCHEMAS["ModeratorNoteInput"] = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "maxLength": services.NOTE_MAX}},
}
SCHEMAS["BlockInput"] = {
    "type": "object",
    "required": ["reason"],
    "properties": {"reason": {"type": "string", "maxLength": services.BLOCK_REASON_MAX}},
}
SCHEMAS["BulkInput"] = {
    "type": "object",
    "required": ["case_ids", "action", "reason"],
    "properties": {
        "case_ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 200},
        "action": {"type": "string", "enum": ["hide", "block"]},
        "reason": {
            "type": "string",
            "description": "For hide: one of the reasons; for block: the written reason.",
        },
        "note": {"type": "string"},
    },
}
SCHEMAS["DecideAppealInput"] = {
    "type": "object",
    "required": ["outcome"],
    "properties": {
        "outcome": {"type": "string", "enum": ["upheld", "rejected"]},
        "note": {"type": "string", "maxLength": services.NOTE_MAX},
    },
}
SCHEMAS["AppealInput"] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {
            "type": "string",
            "minLength": services.APPEAL_MIN,
            "maxLength": services.APPEAL_MAX,
        }
    },
}

_MOD = {"401": "Not signed in", "403": "Not a moderator, or your own content/appeal"}
document(
    "/reports",
    "post",
    "Report an idea, comment, budget project or user (once per person and item)",
    auth=True,
    body="ReportInput",
    tag=TAG,
    responses={
        "201": "The report was received",
        "401": "Not signed in",
        "403": "Your own content, or yourself",
        "404": "No such item",
        "409": "Already reported by you (already_reported), or already hidden (already_hidden)",
        "422": "Unknown target or reason, detail too long",
        "429": "Too many reports: wait a little",
    },
)
document(
    "/moderation/queue",
    "get",
    "Open items, most reported and oldest first (query: kind, page, per_page)",
    auth=True,
    tag=TAG,
    responses={"200": "Items with reasons, snapshots and the author's history", **_MOD},
)
document(
    "/moderation/cases/{case_id}",
    "get",
    "One item with its reports, snapshots and private notes",
    auth=True,
    tag=TAG,
    parameters=[path_param("case_id")],
    responses={"200": "The item", "404": "No such item", **_MOD},
)
for _path, _summary, _body in (
    ("hide", "Hide the content with a reason and a note for the author", "HideInput"),
    ("restore", "Publish hidden or held content again", "NoteInput"),
    ("dismiss", "Dismiss the open reports (content hidden by them comes back)", "NoteInput"),
    ("notes", "Add a private moderator note", "ModeratorNoteInput"),
):
    document(
        f"/moderation/cases/{{case_id}}/{_path}",
        "post",
        _summary,
        auth=True,
        body=_body,
        tag=TAG,
        parameters=[path_param("case_id")],
        responses={
            "200": "The recorded action",
            "404": "No such item",
            "409": "Not possible in the item's state",
            "422": "Invalid input",
            **_MOD,
        },
    )
document(
    "/moderation/users/{user_id}/block",
    "post",
    "Block a person (a reason is required): no log-in, their content hidden",
    auth=True,
    body="BlockInput",
    tag=TAG,
    parameters=[path_param("user_id")],
    responses={"200": "The recorded action", "409": "Already blocked", "422": "No reason", **_MOD},
)
document(
    "/moderation/users/{user_id}/unblock",
    "post",
    "Unblock a person and restore what the block hid",
    auth=True,
    body="NoteInput",
    tag=TAG,
    parameters=[path_param("user_id")],
    responses={"200": "The recorded action", "409": "Not blocked", **_MOD},
)
document(
    "/moderation/bulk",
    "post",
    "Hide many items or block their authors in one go",
    auth=True,
    body="BulkInput",
    tag=TAG,
    responses={"200": "What was done and what was skipped (with why)", "422": "Bad input", **_MOD},
)
document(
    "/moderation/appeals",
    "get",
    "Appeals waiting for a decision",
    auth=True,
    tag=TAG,
    responses={"200": "Pending appeals, oldest first", **_MOD},
)
document(
    "/moderation/appeals/{appeal_id}/decide",
    "post",
    "Decide an appeal (not your own, not against your own decision)",
    auth=True,
    body="DecideAppealInput",
    tag=TAG,
    parameters=[path_param("appeal_id")],
    responses={
        "200": "The appeal and the recorded action",
        "409": "Already decided",
        "422": "Invalid outcome",
        **_MOD,
    },
)
document(
    "/moderation/decisions",
    "get",
    "Moderation decisions about your own contributions (statements of reasons)",
    auth=True,
    tag=TAG,
    responses={"200": "Decisions, newest first", "401": "Not signed in"},
)
document(
    "/moderation/decisions/{action_id}/appeal",
    "post",
    "Appeal once against a decision about your contribution",
    auth=True,
    body="AppealInput",
    tag=TAG,
    parameters=[path_param("action_id")],
    responses={
        "201": "The appeal",
        "401": "Not signed in",
        "404": "Not a decision about your contribution",
        "409": "Already appealed, or no longer hidden",
        "422": "Text too short or too long",
    },
)
document(
    "/consultations/{slug}/moderation-log",
    "get",
    "The public moderation log of a consultation (content withheld)",
    tag=TAG,
    parameters=[path_param("slug", "string")],
    responses={"200": "Actions and counts per week and reason", "404": "No such consultation"},
)
