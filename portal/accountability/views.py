"""Answering ideas (planners), the public response-time page, and response templates."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accountability import services
from portal.accountability.forms import ResponseForm, TemplateForm
from portal.accounts.forms import EmptyForm
from portal.consultations import services as consultation_services
from portal.core.errors import PortalError
from portal.core.permissions import PUBLIC, access
from portal.extensions import db
from portal.ideas import services as idea_services

bp = Blueprint("accountability", __name__)


@bp.route("/ideas/<int:idea_id>/respond", methods=["GET", "POST"])
@access("planner")
def respond(idea_id: int):
    idea = idea_services.get_idea(idea_id, current_user)
    form = ResponseForm()
    template_id = request.args.get("template", "")
    if request.method == "GET" and template_id.isdigit():
        template = db.session.get(services.ResponseTemplate, int(template_id))
        if template is not None:
            form.status.data = template.status
            form.text.data = template.text
    if form.validate_on_submit():
        try:
            services.respond(
                current_user,
                idea,
                form.status.data,
                form.text.data,
                reason=form.reason.data or "",
                merged_into_id=form.merged_into.data,
            )
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your answer is published and the idea's followers are notified."), "success")
            return redirect(idea.url())
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "accountability/respond.html",
        idea=idea,
        form=form,
        history=services.history(idea),
        templates=services.templates_by_status(),
    ), status


@bp.route("/consultations/<slug>/response-times")
@access(PUBLIC)
def response_times(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    return render_template(
        "accountability/response_times.html",
        consultation=consultation,
        times=services.response_times(consultation),
        windows=services.WINDOWS,
    )


@bp.route("/accountability/templates")
@access("planner")
def templates():
    return render_template(
        "accountability/templates.html",
        templates=services.list_templates(),
        delete_form=EmptyForm(),
    )


@bp.route("/accountability/templates/new", methods=["GET", "POST"])
@access("planner")
def new_template():
    return _template_form(None)


@bp.route("/accountability/templates/<int:template_id>/edit", methods=["GET", "POST"])
@access("planner")
def edit_template(template_id: int):
    return _template_form(services.get_template(template_id))


def _template_form(template):
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            services.save_template(
                current_user, template, form.status.data, form.name.data, form.text.data
            )
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The template has been saved."), "success")
            return redirect(url_for("accountability.templates"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "accountability/template_form.html", form=form, template=template
    ), status


@bp.route("/accountability/templates/<int:template_id>/delete", methods=["POST"])
@access("planner")
def delete_template(template_id: int):
    template = services.get_template(template_id)
    services.delete_template(template)
    db.session.commit()
    flash(_("The template has been deleted."), "success")
    return redirect(url_for("accountability.templates"))
