"""Pages: the planners' vision document builder, preview and export jobs; the public open
data page and downloads."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import PortalError
from portal.core.forms import choices
from portal.core.permissions import PUBLIC, access
from portal.exports import assemble, opendata, services
from portal.exports.documents import html as html_writer
from portal.exports.documents.build import build
from portal.exports.forms import FORMAT_LABELS, JobForm, VisionForm
from portal.exports.models import DATA_FORMATS, VISION_FORMATS
from portal.extensions import db

bp = Blueprint("exports", __name__)
PLANNER = "planner"


def _actor():
    return current_user._get_current_object()


# --- planners: the builder --------------------------------------------------------------------


@bp.route("/exports")
@access(PLANNER)
def index():
    return render_template("exports/index.html", consultations=services.list_consultations())


def _fill_choices(form: VisionForm, consultation) -> list:
    themes = [(c.id, c.name) for c in consultation.categories]
    themes.append((assemble.NO_THEME, _("Ideas without a theme")))
    form.themes.choices = choices(themes)
    ideas = services.candidate_ideas(consultation)
    form.ideas.choices = choices(
        (i.id, _("%(title)s (%(n)s supports)", title=i.title, n=i.support_count)) for i in ideas
    )
    budgets = services.budget_choices(consultation)
    form.budgets.choices = choices((b.id, b.title) for b in budgets)
    return budgets


@bp.route("/exports/<slug>", methods=["GET", "POST"])
@access(PLANNER)
def builder(slug: str):
    consultation = services.get_consultation(slug, current_user)
    form = VisionForm()
    budgets = _fill_choices(form, consultation)
    if request.method == "GET":
        settings = services.settings_for(consultation)
        form.title.data = settings.title
        form.introduction.data = settings.introduction
        form.vision.data = settings.vision
        form.ideas_per_theme.data = settings.ideas_per_theme
        all_themes = [int(c.value) for c in form.themes.choices]
        form.themes.data = all_themes if settings.theme_ids is None else settings.theme_ids
        form.choose_ideas.data = settings.idea_ids is not None
        form.ideas.data = settings.idea_ids or []
        form.budgets.data = (
            [b.id for b in budgets] if settings.budget_ids is None else settings.budget_ids
        )
    elif form.validate_on_submit():
        all_themes = {int(c.value) for c in form.themes.choices}
        theme_ids = None if set(form.themes.data or []) == all_themes else form.themes.data
        all_budgets = {b.id for b in budgets}
        budget_ids = None if set(form.budgets.data or []) == all_budgets else form.budgets.data
        try:
            services.save_settings(
                _actor(),
                consultation,
                title=form.title.data or "",
                introduction=form.introduction.data or "",
                vision=form.vision.data or "",
                theme_ids=theme_ids,
                idea_ids=(form.ideas.data or []) if form.choose_ideas.data else None,
                budget_ids=budget_ids,
                ideas_per_theme=form.ideas_per_theme.data,
            )
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                flash(error.message, "error")
        else:
            db.session.commit()
            action = request.form.get("action", "save")
            if action == "preview":
                return redirect(url_for("exports.preview", slug=consultation.slug))
            if action in VISION_FORMATS:
                return _start(consultation, "vision", action)
            flash(_("The vision document's settings are saved."), "success")
            return redirect(url_for("exports.builder", slug=consultation.slug))
    return render_template(
        "exports/builder.html",
        consultation=consultation,
        form=form,
        formats=[(f, FORMAT_LABELS[f]) for f in VISION_FORMATS],
        data_form=JobForm("data"),
        jobs=services.jobs_for(consultation, limit=10),
        format_labels=FORMAT_LABELS,
    )


@bp.route("/exports/<slug>/preview")
@access(PLANNER)
def preview(slug: str):
    consultation = services.get_consultation(slug, current_user)
    document = build(services.vision_data(consultation))
    db.session.rollback()  # computing budget results may have cached rows: nothing to keep
    return render_template(
        "exports/preview.html",
        consultation=consultation,
        formats=[(f, FORMAT_LABELS[f]) for f in VISION_FORMATS],
        **html_writer.context(document, standalone=False),
    )


def _start(consultation, kind: str, fmt: str):
    job = services.create_job(_actor(), consultation, kind, fmt)
    db.session.commit()
    services.start_job(job)
    return redirect(url_for("exports.job", job_id=job.id))


@bp.route("/exports/<slug>/jobs", methods=["POST"])
@access(PLANNER)
def start(slug: str):
    consultation = services.get_consultation(slug, current_user)
    kind = request.form.get("kind", "")
    form = JobForm("data" if kind == "data" else "vision")
    if not form.validate_on_submit() or kind not in ("vision", "data"):
        flash(_("Choose a format for the export."), "error")
        return redirect(url_for("exports.builder", slug=consultation.slug))
    return _start(consultation, kind, form.format.data)


@bp.route("/exports/jobs/<int:job_id>")
@access(PLANNER)
def job(job_id: int):
    job = services.get_job(job_id)
    return render_template(
        "exports/job.html",
        job=job,
        consultation=job.consultation,
        available=services.job_path(job) is not None,
        format_labels=FORMAT_LABELS,
    )


@bp.route("/exports/jobs/<int:job_id>/download")
@access(PLANNER)
def download(job_id: int):
    job = services.get_job(job_id)
    path = services.job_path(job)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=services.media_type(job.kind, job.format),
        as_attachment=True,
        download_name=services.file_name(job.consultation, job.kind, job.format),
        max_age=0,
    )


# --- everyone: open data ----------------------------------------------------------------------


@bp.route("/consultations/<slug>/open-data")
@access(PUBLIC)
def open_data(slug: str):
    consultation = services.get_consultation(slug, current_user)
    package = opendata.build_package(consultation)
    db.session.rollback()
    return render_template(
        "exports/open_data.html",
        consultation=consultation,
        package=package,
        formats=[(f, FORMAT_LABELS[f]) for f in DATA_FORMATS],
    )


@bp.route("/consultations/<slug>/open-data.<fmt>")
@access(PUBLIC)
def open_data_file(slug: str, fmt: str):
    consultation = services.get_consultation(slug, current_user)
    if fmt not in DATA_FORMATS:
        abort(404)
    package = opendata.build_package(consultation)
    name = services.file_name(consultation, "data", fmt)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    media = opendata.MEDIA_TYPES[fmt]
    if fmt == "xlsx":
        # openpyxl needs a real file: write it to a temporary file, send it, delete it.
        import tempfile

        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response generator
        opendata.write(package, fmt, spool)
        db.session.rollback()
        spool.seek(0)

        def chunks():
            with spool:
                while block := spool.read(64 * 1024):
                    yield block

        return Response(chunks(), mimetype=media, headers=headers)
    return Response(
        stream_with_context(opendata.stream(package, fmt)), mimetype=media, headers=headers
    )


def template_globals() -> dict:
    return {"export_format_labels": FORMAT_LABELS}
