"""Consultation pages: list, detail, planner create/edit, verification codes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.consultations import services
from portal.consultations.forms import (
    CodeForm,
    ConsultationForm,
    GenerateCodesForm,
    ImportCodesForm,
)
from portal.consultations.models import PHASE_KINDS, Consultation
from portal.consultations.phases import ACTION_PHASES, is_allowed
from portal.core.errors import PortalError
from portal.core.forms import choices
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def comments_available() -> bool:
    """True once the comments capability provides its section template."""
    try:
        current_app.jinja_env.get_template("comments/_section.html")
    except Exception:  # noqa: BLE001 - TemplateNotFound or a template still being written
        return False
    return True


@bp.route("")
@access(PUBLIC)
def index():
    consultations = services.list_consultations(current_user)
    return render_template(
        "consultations/index.html",
        consultations=consultations,
        current_phase=services.current_phase,
    )


def _phase_values(form: ConsultationForm) -> dict:
    phases = {}
    for kind in PHASE_KINDS:
        starts = getattr(form, f"{kind}_starts_at").data
        ends = getattr(form, f"{kind}_ends_at").data
        if starts is None and ends is not None:
            phases[kind] = (None, ends)
        elif starts is not None:
            phases[kind] = (starts, ends)
    return phases


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def _data_from(form: ConsultationForm) -> services.ConsultationData:
    return services.ConsultationData(
        title=form.title.data or "",
        slug=form.slug.data or "",
        summary=form.summary.data or "",
        description=form.description.data or "",
        status=form.status.data,
        require_verification=bool(form.require_verification.data),
        support_limit=form.support_limit.data,
        support_threshold=form.support_threshold.data,
        hide_support_counts=bool(form.hide_support_counts.data),
        voting_scope=form.voting_scope.data,
        premoderate_new_accounts=bool(form.premoderate_new_accounts.data),
        phases=_phase_values(form),
        categories=_lines(form.categories.data),
        districts=_lines(form.districts.data),
    )


def _apply_field_errors(form: ConsultationForm, error: PortalError) -> None:
    if not form.apply_error(error):
        form.form_errors.append(error.message)
    elif "phases" in error.fields:
        form.form_errors.append(error.fields["phases"])


@bp.route("/new", methods=["GET", "POST"])
@access("planner")
def create():
    form = ConsultationForm()
    if request.method == "GET":
        form.status.data = "draft"
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(current_user, _data_from(form))
        except PortalError as error:
            db.session.rollback()
            _apply_field_errors(form, error)
        else:
            db.session.commit()
            flash(_("The consultation has been created."), "success")
            return redirect(consultation.url())
    status = 422 if form.errors or form.form_errors else 200
    return render_template("consultations/form.html", form=form, consultation=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@access("planner")
def edit(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    form = ConsultationForm(obj=consultation)
    if request.method == "GET":
        form.categories.data = "\n".join(c.name for c in consultation.categories)
        form.districts.data = "\n".join(d.name for d in consultation.districts)
        for phase in consultation.phases:
            getattr(form, f"{phase.kind}_starts_at").data = phase.starts_at
            getattr(form, f"{phase.kind}_ends_at").data = phase.ends_at
    if form.validate_on_submit():
        try:
            services.update_consultation(current_user, consultation, _data_from(form))
        except PortalError as error:
            db.session.rollback()
            _apply_field_errors(form, error)
        else:
            db.session.commit()
            flash(_("The consultation has been saved."), "success")
            return redirect(consultation.url())
    status = 422 if form.errors or form.form_errors else 200
    return render_template("consultations/form.html", form=form, consultation=consultation), status


@bp.route("/<slug>")
@access(PUBLIC)
def show(slug: str):
    from portal.ideas import services as ideas

    consultation = services.get_by_slug(slug, current_user)
    latest, _total = ideas.list_ideas(
        consultation, ideas.IdeaFilter(sort="newest"), 6, 0, current_user
    )
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        phase=services.current_phase(consultation),
        open_kinds=services.phase_kinds_open(consultation),
        can_propose=is_allowed(consultation, "propose"),
        can_support=is_allowed(consultation, "support"),
        verified=services.is_verified(current_user, consultation),
        counts=ideas.consultation_counts(consultation),
        counts_visible=ideas.support_counts_visible(consultation, current_user),
        latest=latest,
        action_phases=ACTION_PHASES,
        supports_used=ideas.supports_used(current_user, consultation),
    )


@bp.route("/<slug>/verify", methods=["GET", "POST"])
@access(LOGIN)
@limiter.limit(_login_limit, methods=["POST"])
def verify(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    verified = services.is_verified(current_user, consultation)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.redeem_code(current_user, consultation, form.code.data)
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("Thank you: you are now a verified resident for this consultation."), "success")
            return redirect(consultation.url())
    elif form.errors:
        status = 422
    return render_template(
        "consultations/verify.html", consultation=consultation, form=form, verified=verified
    ), status


def _codes_page(consultation: Consultation, status: int = 200, **extra):
    import_form = extra.pop("import_form", None) or ImportCodesForm(prefix="import")
    generate_form = extra.pop("generate_form", None) or GenerateCodesForm(prefix="generate")
    generate_form.district.choices = choices(
        [("", _("No district"))] + [(d.id, d.name) for d in consultation.districts]
    )
    return render_template(
        "consultations/codes.html",
        consultation=consultation,
        import_form=import_form,
        generate_form=generate_form,
        stats=services.code_statistics(consultation),
        **extra,
    ), status


@bp.route("/<slug>/codes")
@access("planner")
def codes(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    return _codes_page(consultation)


@bp.route("/<slug>/codes/import", methods=["POST"])
@access("planner")
def import_codes(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    form = ImportCodesForm(prefix="import")
    if not form.validate_on_submit():
        return _codes_page(consultation, 422, import_form=form)
    text = form.csv.data or ""
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors = [_("Save the file as UTF-8 text (CSV) and try again.")]
            return _codes_page(consultation, 422, import_form=form)
    try:
        stored = services.import_codes(consultation, text, form.batch.data or "")
    except PortalError as error:
        db.session.rollback()
        form.csv.errors = list(error.fields.get("csv", error.message).splitlines())
        form.form_errors.append(error.message)
        return _codes_page(consultation, error.status, import_form=form)
    db.session.commit()
    flash(_("%(n)d codes were stored.", n=stored), "success")
    return redirect(url_for("consultations.codes", slug=consultation.slug))


@bp.route("/<slug>/codes/generate", methods=["POST"])
@access("planner")
@limiter.limit(_posting_limit, methods=["POST"])
def generate_codes(slug: str):
    consultation = services.get_by_slug(slug, current_user)
    form = GenerateCodesForm(prefix="generate")
    form.district.choices = choices([("", "")] + [(d.id, d.name) for d in consultation.districts])
    if not form.validate_on_submit():
        return _codes_page(consultation, 422, generate_form=form)
    district = None
    if form.district.data:
        district = next(d for d in consultation.districts if str(d.id) == form.district.data)
    try:
        plain = services.generate_codes(
            consultation, form.count.data, district, form.batch.data or ""
        )
    except PortalError as error:
        db.session.rollback()
        form.apply_error(error) or form.form_errors.append(error.message)
        return _codes_page(consultation, error.status, generate_form=form)
    db.session.commit()
    response = render_template(
        "consultations/new_codes.html", consultation=consultation, codes=plain, district=district
    )
    return response, 200, {"Cache-Control": "no-store"}
