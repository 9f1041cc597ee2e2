"""API: public open data (the package descriptor and each table, streamed), the vision
document's settings and the export jobs for planners."""

from __future__ import annotations

import itertools
import json

from flask import Response, jsonify, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.core.errors import NotFound, ValidationFailed
from portal.core.permissions import PUBLIC, access
from portal.exports import opendata, services
from portal.exports.models import ExportJob
from portal.extensions import db

TAG = "open data and exports"
PLANNER = "planner"


def job_json(job: ExportJob) -> dict:
    data = job.as_dict()
    data["consultation"] = job.consultation.slug
    data["created_at"] = job.created_at.isoformat() + "Z"
    data["finished_at"] = job.finished_at.isoformat() + "Z" if job.finished_at else None
    data["url"] = url_for("exports.job", job_id=job.id, _external=True)
    data["download_url"] = (
        url_for("exports.download", job_id=job.id, _external=True)
        if services.job_path(job) is not None
        else None
    )
    return data


@bp.get("/consultations/<slug>/open-data")
@access(PUBLIC)
def open_data_index(slug: str):
    consultation = services.get_consultation(slug, current_user)
    package = opendata.build_package(consultation)
    paths = {
        r.name: url_for("api.open_data_table", slug=slug, name=r.name, _external=True)
        for r in package.resources
    }
    descriptor = opendata.descriptor(package, paths)
    for resource in descriptor["resources"]:
        if resource.get("format") == "csv":
            resource["format"], resource["mediatype"] = "json", "application/json"
            resource.pop("dialect", None)
    descriptor["downloads"] = {
        fmt: url_for("exports.open_data_file", slug=slug, fmt=fmt, _external=True)
        for fmt in opendata.FORMATS
    }
    db.session.rollback()
    return jsonify(descriptor)


document(
    "/consultations/{slug}/open-data",
    "get",
    "The open data package of a consultation: tables, their columns and download links",
    parameters=[path_param("slug", "string")],
    responses={"200": "A Frictionless Data Package descriptor", "404": "No such consultation"},
    tag=TAG,
)


@bp.get("/consultations/<slug>/open-data/<name>")
@access(PUBLIC)
def open_data_table(slug: str, name: str):
    consultation = services.get_consultation(slug, current_user)
    package = opendata.build_package(consultation)
    resource = next((r for r in package.resources if r.name == name), None)
    if resource is None:
        raise NotFound(_("There is no such table."))
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
        limit = request.args.get("limit")
        limit = max(int(limit), 0) if limit is not None else None
    except ValueError:
        raise ValidationFailed(fields={"offset": _("Whole numbers, please.")}) from None
    names = [c.name for c in resource.columns]

    def body():
        yield '{"name": ' + json.dumps(resource.name) + ', "fields": '
        yield json.dumps([{"name": c.name, "type": c.type} for c in resource.columns])
        yield ', "items": ['
        stop = None if limit is None else offset + limit
        source = resource.rows()
        try:
            for index, row in enumerate(itertools.islice(source, offset, stop)):
                item = {n: opendata._iso(v) for n, v in zip(names, row, strict=True)}
                yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False)
        finally:
            source.close()  # ends the server-side cursor when a limit stops early
        yield "\n]}\n"

    return Response(stream_with_context(body()), mimetype="application/json")


document(
    "/consultations/{slug}/open-data/{name}",
    "get",
    "One table of the open data, streamed as JSON (optional offset and limit)",
    parameters=[
        path_param("slug", "string"),
        path_param("name", "string"),
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ],
    responses={"200": "{name, fields, items}", "404": "No such consultation or table"},
    tag=TAG,
)


def _settings_json(consultation) -> dict:
    settings = services.settings_for(consultation)
    return {
        "consultation": consultation.slug,
        "title": settings.title,
        "introduction": settings.introduction,
        "vision": settings.vision,
        "theme_ids": settings.theme_ids,
        "idea_ids": settings.idea_ids,
        "budget_ids": settings.budget_ids,
        "ideas_per_theme": settings.ideas_per_theme,
        "preview_url": url_for("exports.preview", slug=consultation.slug, _external=True),
    }


@bp.get("/consultations/<slug>/vision-document")
@access(PLANNER)
def vision_settings(slug: str):
    consultation = services.get_consultation(slug, current_user)
    return jsonify(_settings_json(consultation))


@bp.put("/consultations/<slug>/vision-document")
@access(PLANNER)
def save_vision_settings(slug: str):
    consultation = services.get_consultation(slug, current_user)
    body = json_body()
    for name in ("title", "introduction", "vision"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise ValidationFailed(fields={name: _("Must be text.")})
    per_theme = body.get("ideas_per_theme", 5)
    if not isinstance(per_theme, int) or isinstance(per_theme, bool):
        raise ValidationFailed(fields={"ideas_per_theme": _("A number from 0 to 50, please.")})
    services.save_settings(
        current_user._get_current_object(),
        consultation,
        title=body.get("title") or "",
        introduction=body.get("introduction") or "",
        vision=body.get("vision") or "",
        theme_ids=body.get("theme_ids"),
        idea_ids=body.get("idea_ids"),
        budget_ids=body.get("budget_ids"),
        ideas_per_theme=per_theme,
    )
    db.session.commit()
    return jsonify(_settings_json(consultation))


SCHEMAS["VisionSettings"] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "introduction": {"type": "string", "description": "Markdown"},
        "vision": {"type": "string", "description": "Markdown"},
        "theme_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
        "idea_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
        "budget_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
        "ideas_per_theme": {"type": "integer", "minimum": 0, "maximum": 50},
    },
}
SCHEMAS["ExportJobRequest"] = {
    "type": "object",
    "required": ["consultation", "kind", "format"],
    "properties": {
        "consultation": {"type": "string", "description": "The consultation's slug"},
        "kind": {"type": "string", "enum": ["vision", "data"]},
        "format": {
            "type": "string",
            "enum": ["pdf", "docx", "odt", "html", "md", "zip", "json", "xlsx"],
        },
    },
}
for _method, _summary in (
    ("get", "The vision document's settings (planners)"),
    ("put", "Change the vision document's settings (planners); null selections mean defaults"),
):
    document(
        "/consultations/{slug}/vision-document",
        _method,
        _summary,
        auth=True,
        body="VisionSettings" if _method == "put" else None,
        parameters=[path_param("slug", "string")],
        responses={"200": "The settings", "403": "Planners only", "422": "Invalid settings"},
        tag=TAG,
    )


@bp.post("/exports/jobs")
@access(PLANNER)
def create_export_job():
    body = json_body()
    slug, kind, fmt = body.get("consultation"), body.get("kind"), body.get("format")
    if not all(isinstance(v, str) for v in (slug, kind, fmt)):
        raise ValidationFailed(
            fields={"consultation": _("consultation, kind and format are required.")}
        )
    consultation = services.get_consultation(slug, current_user)
    job = services.create_job(current_user._get_current_object(), consultation, kind, fmt)
    db.session.commit()
    services.start_job(job)
    db.session.refresh(job)
    return jsonify(job_json(job)), 202


document(
    "/exports/jobs",
    "post",
    "Start an export job (planners): a vision document or the open data",
    auth=True,
    body="ExportJobRequest",
    responses={
        "202": "The job, with its progress",
        "403": "Planners only",
        "422": "Bad kind or format",
    },
    tag=TAG,
)


@bp.get("/exports/jobs/<int:job_id>")
@access(PLANNER)
def export_job(job_id: int):
    return jsonify(job_json(services.get_job(job_id)))


document(
    "/exports/jobs/{job_id}",
    "get",
    "An export job's state and progress, with the download link when done (planners)",
    auth=True,
    parameters=[path_param("job_id")],
    responses={"200": "The job", "404": "No such job"},
    tag=TAG,
)


@bp.get("/consultations/<slug>/exports/jobs")
@access(PLANNER)
def export_jobs(slug: str):
    consultation = services.get_consultation(slug, current_user)
    return jsonify({"items": [job_json(j) for j in services.jobs_for(consultation)]})


document(
    "/consultations/{slug}/exports/jobs",
    "get",
    "The latest export jobs of a consultation (planners)",
    auth=True,
    parameters=[path_param("slug", "string")],
    responses={"200": "{items}"},
    tag=TAG,
)
