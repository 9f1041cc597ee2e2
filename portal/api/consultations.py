"""API: consultations, their phases, themes and districts, and resident verification."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.consultations import services
from portal.consultations.models import PHASE_KINDS, Consultation
from portal.consultations.phases import ACTION_PHASES, is_allowed
from portal.core.errors import ValidationFailed
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def consultation_json(consultation: Consultation, full: bool = False) -> dict:
    phase = services.current_phase(consultation)
    data = {
        "id": consultation.id,
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "status": consultation.status,
        "url": consultation.url(external=True),
        "current_phase": phase.kind if phase and consultation.status == "published" else None,
        "open_phases": sorted(services.phase_kinds_open(consultation)),
    }
    if full:
        data.update(
            description=consultation.description,
            phases=[
                {"kind": p.kind, "starts_at": _iso(p.starts_at), "ends_at": _iso(p.ends_at)}
                for p in consultation.phases
            ],
            categories=[{"id": c.id, "name": c.name} for c in consultation.categories],
            districts=[{"id": d.id, "name": d.name} for d in consultation.districts],
            allowed_actions=sorted(a for a in ACTION_PHASES if is_allowed(consultation, a)),
            settings={
                "require_verification": consultation.require_verification,
                "support_limit": consultation.support_limit,
                "support_threshold": consultation.support_threshold,
                "hide_support_counts": consultation.hide_support_counts,
                "voting_scope": consultation.voting_scope,
            },
        )
        if getattr(current_user, "is_authenticated", False):
            data["verified"] = services.is_verified(current_user, consultation)
        data.update(services.api_extras(consultation))
    return data


@bp.get("/consultations")
@access(PUBLIC)
def list_consultations():
    items = services.list_consultations(current_user)
    return jsonify({"items": [consultation_json(c) for c in items], "total": len(items)})


@bp.get("/consultations/<slug>")
@access(PUBLIC)
def get_consultation(slug: str):
    return jsonify(consultation_json(services.get_by_slug(slug, current_user), full=True))


def _parse_datetime(value, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationFailed(fields={field: _("Use an ISO 8601 date and time.")})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(fields={field: _("Use an ISO 8601 date and time.")}) from exc
    if parsed.tzinfo is not None:
        from datetime import UTC

        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _data_from_json(body: dict, existing: Consultation | None) -> services.ConsultationData:
    def text(name: str, default: str = "") -> str:
        value = body.get(name, getattr(existing, name, default) if existing else default)
        if not isinstance(value, str):
            raise ValidationFailed(fields={name: _("Must be text.")})
        return value

    def flag(name: str) -> bool:
        value = body.get(name, getattr(existing, name, False) if existing else False)
        if not isinstance(value, bool):
            raise ValidationFailed(fields={name: _("Must be true or false.")})
        return value

    def number(name: str) -> int | None:
        value = body.get(name, getattr(existing, name, None) if existing else None)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValidationFailed(fields={name: _("Must be a whole number or null.")})
        return value

    def names(name: str) -> list[str] | None:
        value = body.get(name)
        if value is None:
            return None if existing else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationFailed(fields={name: _("Must be a list of names.")})
        return value

    phases = None
    if "phases" in body:
        raw = body["phases"]
        if not isinstance(raw, list):
            raise ValidationFailed(fields={"phases": _("Must be a list of phases.")})
        phases = {}
        for item in raw:
            if not isinstance(item, dict) or item.get("kind") not in PHASE_KINDS:
                raise ValidationFailed(fields={"phases": _("Each phase needs a known kind.")})
            kind = item["kind"]
            phases[kind] = (
                _parse_datetime(item.get("starts_at"), f"{kind}_starts_at"),
                _parse_datetime(item.get("ends_at"), f"{kind}_ends_at"),
            )
    return services.ConsultationData(
        title=text("title"),
        slug=text("slug"),
        summary=text("summary"),
        description=text("description"),
        status=text("status", "draft"),
        require_verification=flag("require_verification"),
        support_limit=number("support_limit"),
        support_threshold=number("support_threshold"),
        hide_support_counts=flag("hide_support_counts"),
        voting_scope=text("voting_scope", "all"),
        premoderate_new_accounts=flag("premoderate_new_accounts"),
        phases=phases,
        categories=names("categories"),
        districts=names("districts"),
    )


@bp.post("/consultations")
@access("planner")
def create_consultation():
    consultation = services.create_consultation(current_user, _data_from_json(json_body(), None))
    db.session.commit()
    return jsonify(consultation_json(consultation, full=True)), 201


@bp.patch("/consultations/<slug>")
@access("planner")
def update_consultation(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    services.update_consultation(
        current_user, consultation, _data_from_json(json_body(), consultation)
    )
    db.session.commit()
    return jsonify(consultation_json(consultation, full=True))


@bp.post("/consultations/<slug>/verification")
@access(LOGIN)
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def redeem_code(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    code = json_body().get("code")
    if not isinstance(code, str):
        raise ValidationFailed(fields={"code": _("Send the code as text.")})
    verification = services.redeem_code(current_user, consultation, code)
    db.session.commit()
    return jsonify({"verified": True, "district_id": verification.district_id}), 201


@bp.post("/consultations/<slug>/codes")
@access("planner")
def add_codes(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    body = json_body()
    batch = body.get("batch") if isinstance(body.get("batch"), str) else ""
    if "csv" in body:
        if not isinstance(body["csv"], str):
            raise ValidationFailed(fields={"csv": _("Send the CSV as text.")})
        stored = services.import_codes(consultation, body["csv"], batch)
        db.session.commit()
        return jsonify({"stored": stored}), 201
    count = body.get("generate")
    if not isinstance(count, int) or isinstance(count, bool):
        raise ValidationFailed(fields={"generate": _("Send “csv” or a number in “generate”.")})
    district = None
    if body.get("district_id") is not None:
        district = next(
            (d for d in consultation.districts if d.id == body.get("district_id")), None
        )
        if district is None:
            raise ValidationFailed(fields={"district_id": _("Unknown district.")})
    codes = services.generate_codes(consultation, count, district, batch)
    db.session.commit()
    return jsonify({"stored": len(codes), "codes": codes}), 201


SCHEMAS["ConsultationInput"] = {
    "type": "object",
    "required": ["title", "slug"],
    "properties": {
        "title": {"type": "string"},
        "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
        "summary": {"type": "string"},
        "description": {"type": "string", "description": "Markdown"},
        "status": {"type": "string", "enum": ["draft", "published", "archived"]},
        "require_verification": {"type": "boolean"},
        "support_limit": {"type": "integer", "nullable": True},
        "support_threshold": {"type": "integer", "nullable": True},
        "hide_support_counts": {"type": "boolean"},
        "voting_scope": {"type": "string", "enum": ["all", "own_district", "any_one"]},
        "phases": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": list(PHASE_KINDS)},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
        },
        "categories": {"type": "array", "items": {"type": "string"}},
        "districts": {"type": "array", "items": {"type": "string"}},
    },
}
SCHEMAS["VerificationCode"] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}},
}
SCHEMAS["CodesInput"] = {
    "type": "object",
    "description": "Either `csv` (census lines `code[,district]`) or `generate` (a count).",
    "properties": {
        "csv": {"type": "string"},
        "generate": {"type": "integer", "minimum": 1, "maximum": 20000},
        "district_id": {"type": "integer"},
        "batch": {"type": "string"},
    },
}
_slug = [path_param("slug", "string")]
document(
    "/consultations",
    "get",
    "Published and archived consultations",
    tag="consultations",
    responses={"200": "items: consultations with their current and open phases"},
)
document(
    "/consultations",
    "post",
    "Create a consultation (planners)",
    auth=True,
    body="ConsultationInput",
    tag="consultations",
    responses={"201": "The consultation", "403": "Not a planner", "422": "Invalid fields"},
)
document(
    "/consultations/{slug}",
    "get",
    "One consultation: phases, themes, districts, settings, allowed actions, and the ids "
    "of its budgets and simulators",
    parameters=_slug,
    tag="consultations",
    responses={"200": "The consultation", "404": "No such consultation"},
)
document(
    "/consultations/{slug}",
    "patch",
    "Change a consultation (planners; only the fields sent change)",
    auth=True,
    body="ConsultationInput",
    parameters=_slug,
    tag="consultations",
    responses={"200": "The consultation", "403": "Not a planner", "422": "Invalid fields"},
)
document(
    "/consultations/{slug}/verification",
    "post",
    "Become a verified resident with a one-time code",
    auth=True,
    body="VerificationCode",
    parameters=_slug,
    tag="consultations",
    responses={
        "201": "Verified",
        "409": "Already verified",
        "422": "Unknown or used code",
        "429": "Too many attempts",
    },
)
document(
    "/consultations/{slug}/codes",
    "post",
    "Import census codes or generate new ones (planners; generated codes are returned once)",
    auth=True,
    body="CodesInput",
    parameters=_slug,
    tag="consultations",
    responses={"201": "How many were stored (and the new codes)", "422": "Line-numbered errors"},
)
