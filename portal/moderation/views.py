"""Moderation pages: reporting, the moderators' queue and actions, appeals, the admins'
blocklist and audit log, the author's statements of reasons and the public moderation log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import User
from portal.core.errors import NotFound, PortalError, ValidationFailed
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access, has_role
from portal.extensions import db
from portal.moderation import services
from portal.moderation.forms import (
    AppealForm,
    BlockForm,
    BlocklistForm,
    BulkForm,
    DecideAppealForm,
    EmptyForm,
    HideForm,
    NoteForm,
    OptionalNoteForm,
    ReportForm,
    SettingsForm,
)
from portal.moderation.limits import report_limits
from portal.moderation.models import ACTIONS

bp = Blueprint("moderation", __name__)


def _me():
    return current_user._get_current_object()


def _target_or_404(kind: str, target_id: int):
    try:
        return services.load_target(kind, target_id)
    except ValidationFailed:
        raise NotFound() from None


def _back(target) -> str:
    if isinstance(target, User):
        return url_for("accounts.profile", user_id=target.id)
    if target.is_publicly_visible():
        return target.url()
    return url_for("main.home")


# --- reporting ---------------------------------------------------------------------------


@bp.route("/report/<kind>/<int:target_id>", methods=["GET", "POST"])
@access(LOGIN)
@report_limits
def report(kind: str, target_id: int):
    target = _target_or_404(kind, target_id)
    form = ReportForm()
    previous = services.existing_report(current_user, target)
    blocker = None
    if previous is None:
        try:
            services.check_reportable(_me(), target)
        except PortalError as exc:
            if exc.status == 404:
                raise
            blocker = exc.message
    status = 200
    if request.method == "POST" and previous is None and blocker is None:
        if form.validate_on_submit():
            try:
                services.report(_me(), target, form.reason.data, form.detail.data)
                db.session.commit()
            except PortalError as exc:
                db.session.rollback()
                if exc.status == 404:
                    raise
                if not form.apply_error(exc):
                    form.form_errors.append(exc.message)
                status = exc.status
            else:
                flash(
                    _("Thank you: your report was received. The moderators will look at it."),
                    "success",
                )
                return redirect(url_for("moderation.report", kind=kind, target_id=target_id))
        else:
            status = 422
    elif request.method == "POST":
        status = 409
    return (
        render_template(
            "moderation/report.html",
            form=form,
            target=target,
            kind=kind,
            what=services.kind_label(kind),
            title=services.content_title(target),
            previous=previous,
            blocker=blocker,
            back=_back(target),
        ),
        status,
    )


# --- the queue ---------------------------------------------------------------------------


@bp.route("/moderation")
@access("moderator")
def queue():
    page = Page.from_request(per_page=20)
    kind = request.args.get("kind") or None
    views, page.total = services.queue(page.limit, page.offset, kind)
    appeals, appeal_total = services.pending_appeals(limit=5)
    return render_template(
        "moderation/queue.html",
        views=views,
        page=page,
        kind=kind,
        kinds=services.TARGET_KINDS,
        appeals=appeals,
        appeal_total=appeal_total,
        bulk_form=BulkForm(),
    )


def _case_page(case, status: int = 200, **forms):
    view = services.case_view(case)
    context = {
        "view": view,
        "case": case,
        "notes": services.case_notes(case),
        "actions": services.case_actions(case),
        "appeals": services.appeals_for_case(case),
        "hide_form": forms.get("hide_form") or HideForm(prefix="hide"),
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "restore_form": forms.get("restore_form") or OptionalNoteForm(prefix="restore"),
        "dismiss_form": forms.get("dismiss_form") or OptionalNoteForm(prefix="dismiss"),
        "block_form": forms.get("block_form") or BlockForm(prefix="block"),
        "own": view.case.author_id == current_user.id,
        "error": forms.get("error"),
    }
    return render_template("moderation/case.html", **context), status


@bp.route("/moderation/cases/<int:case_id>")
@access("moderator")
def case(case_id: int):
    return _case_page(services.get_case(case_id))


def _act(case, form, action, form_name: str, success: str):
    """Validate, call the service, commit once, then go back to the queue (or show errors)."""
    if not form.validate_on_submit():
        return _case_page(case, 422, **{form_name: form})
    try:
        action()
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _case_page(db.session.get(type(case), case.id), exc.status, **{form_name: form})
    flash(success, "success")
    return redirect(url_for("moderation.case", case_id=case.id), 303)


def _content_of(case):
    target = services.target_of_case(case)
    if target is None:
        abort(404)
    return target


@bp.route("/moderation/cases/<int:case_id>/hide", methods=["POST"])
@access("moderator")
def hide(case_id: int):
    case = services.get_case(case_id)
    target = _content_of(case)
    form = HideForm(prefix="hide")
    return _act(
        case,
        form,
        lambda: services.hide(_me(), target, form.reason.data, form.note.data),
        "hide_form",
        _("Hidden. The author has been told why and how to appeal."),
    )


@bp.route("/moderation/cases/<int:case_id>/restore", methods=["POST"])
@access("moderator")
def restore(case_id: int):
    case = services.get_case(case_id)
    target = _content_of(case)
    form = OptionalNoteForm(prefix="restore")
    return _act(
        case,
        form,
        lambda: services.restore(_me(), target, form.note.data),
        "restore_form",
        _("Published again."),
    )


@bp.route("/moderation/cases/<int:case_id>/dismiss", methods=["POST"])
@access("moderator")
def dismiss(case_id: int):
    case = services.get_case(case_id)
    form = OptionalNoteForm(prefix="dismiss")
    return _act(
        case,
        form,
        lambda: services.dismiss(_me(), case, form.note.data),
        "dismiss_form",
        _("The reports have been dismissed."),
    )


@bp.route("/moderation/cases/<int:case_id>/notes", methods=["POST"])
@access("moderator")
def add_note(case_id: int):
    case = services.get_case(case_id)
    form = NoteForm(prefix="note")
    return _act(
        case,
        form,
        lambda: services.add_note(_me(), case, form.text.data),
        "note_form",
        _("Note saved."),
    )


@bp.route("/moderation/cases/<int:case_id>/block", methods=["POST"])
@access("moderator")
def block_author(case_id: int):
    case = services.get_case(case_id)
    target = _content_of(case)
    person = services.author_of(target)
    if person is None:
        abort(404)
    form = BlockForm(prefix="block")
    return _act(
        case,
        form,
        lambda: services.block_user(_me(), person, form.reason.data),
        "block_form",
        _("The account is blocked and its content hidden."),
    )


@bp.route("/moderation/bulk", methods=["POST"])
@access("moderator")
def bulk():
    form = BulkForm()
    ids = request.form.getlist("case_ids")
    if not form.validate_on_submit():
        flash(_("Choose an action and a reason."), "error")
        return redirect(url_for("moderation.queue"), 303)
    reason = form.reason.data if form.action.data == "hide" else form.block_reason.data
    try:
        result = services.bulk(_me(), ids, form.action.data, reason, form.note.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        message = "; ".join(exc.fields.values()) or exc.message
        flash(message, "error")
        return redirect(url_for("moderation.queue"), 303)
    flash(_("%(n)d items handled.", n=len(result.done)), "success")
    for case_id, why in result.skipped:
        flash(_("Item %(id)d skipped: %(why)s", id=case_id, why=why), "error")
    return redirect(url_for("moderation.queue"), 303)


# --- people ------------------------------------------------------------------------------


@bp.route("/moderation/users/<int:user_id>", methods=["GET"])
@access("moderator")
def user(user_id: int):
    from portal.accounts.services import get_user

    person = get_user(user_id)
    return _user_page(person)


def _user_page(person, status: int = 200, block_form=None, unblock_form=None):
    history = services.author_histories([person.id]).get(person.id)
    actions = services.person_actions(person)
    return (
        render_template(
            "moderation/user.html",
            person=person,
            history=history,
            case=services.find_case(person),
            block_form=block_form or BlockForm(prefix="block"),
            unblock_form=unblock_form or OptionalNoteForm(prefix="unblock"),
            actions=actions,
        ),
        status,
    )


@bp.route("/moderation/users/<int:user_id>/block", methods=["POST"])
@access("moderator")
def block(user_id: int):
    from portal.accounts.services import get_user

    person = get_user(user_id)
    form = BlockForm(prefix="block")
    if not form.validate_on_submit():
        return _user_page(person, 422, block_form=form)
    try:
        services.block_user(_me(), person, form.reason.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _user_page(get_user(user_id), exc.status, block_form=form)
    flash(_("The account is blocked and its content hidden."), "success")
    return redirect(url_for("moderation.user", user_id=user_id), 303)


@bp.route("/moderation/users/<int:user_id>/unblock", methods=["POST"])
@access("moderator")
def unblock(user_id: int):
    from portal.accounts.services import get_user

    person = get_user(user_id)
    form = OptionalNoteForm(prefix="unblock")
    if not form.validate_on_submit():
        return _user_page(person, 422, unblock_form=form)
    try:
        services.unblock_user(_me(), person, form.note.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _user_page(get_user(user_id), exc.status, unblock_form=form)
    flash(_("The account is unblocked and its content restored."), "success")
    return redirect(url_for("moderation.user", user_id=user_id), 303)


@bp.route("/moderation/blocked")
@access("moderator")
def blocked():
    page = Page.from_request(per_page=50)
    people, page.total = services.blocked_users(page.limit, page.offset)
    return render_template("moderation/blocked.html", people=people, page=page)


# --- appeals -----------------------------------------------------------------------------


@bp.route("/moderation/appeals")
@access("moderator")
def appeals():
    page = Page.from_request(per_page=50)
    rows, page.total = services.pending_appeals(page.limit, page.offset)
    return render_template("moderation/appeals.html", appeals=rows, page=page)


def _appeal_page(row, form=None, status: int = 200):
    decision = row.decision
    target = decision.anchor.target() if decision.anchor is not None else None
    return (
        render_template(
            "moderation/appeal.html",
            appeal=row,
            decision=decision,
            target=target,
            form=form or DecideAppealForm(),
            blocker=services.may_decide(current_user, row),
        ),
        status,
    )


@bp.route("/moderation/appeals/<int:appeal_id>", methods=["GET", "POST"])
@access("moderator")
def appeal(appeal_id: int):
    row = services.get_appeal(appeal_id)
    if request.method == "GET":
        return _appeal_page(row)
    form = DecideAppealForm()
    if not form.validate_on_submit():
        return _appeal_page(row, form, 422)
    try:
        services.decide_appeal(_me(), row, form.outcome.data, form.note.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _appeal_page(services.get_appeal(appeal_id), form, exc.status)
    flash(_("The appeal has been decided and the author told."), "success")
    return redirect(url_for("moderation.appeals"), 303)


# --- the author's side -------------------------------------------------------------------


@bp.route("/moderation/decisions")
@access(LOGIN)
def my_decisions():
    page = Page.from_request(per_page=20)
    rows, page.total = services.my_decisions(_me(), page.limit, page.offset)
    return render_template("moderation/my_decisions.html", decisions=rows, page=page)


def _decision_page(action, form=None, status: int = 200):
    return (
        render_template(
            "moderation/decision.html",
            action=action,
            appeal=action.appeal,
            can_appeal=services.can_appeal(current_user, action),
            form=form or AppealForm(),
        ),
        status,
    )


@bp.route("/moderation/decisions/<int:action_id>", methods=["GET", "POST"])
@access(LOGIN)
def decision(action_id: int):
    action = services.get_decision(_me(), action_id)
    if request.method == "GET":
        return _decision_page(action)
    form = AppealForm()
    if not form.validate_on_submit():
        return _decision_page(action, form, 422)
    try:
        services.appeal(_me(), action, form.text.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _decision_page(services.get_decision(_me(), action_id), form, exc.status)
    flash(_("Your appeal was received. Another moderator will decide and write to you."), "success")
    return redirect(url_for("moderation.decision", action_id=action_id), 303)


# --- administration ----------------------------------------------------------------------


def _blocklist_page(status: int = 200, form=None, settings_form=None):
    settings = services.get_settings()
    return (
        render_template(
            "moderation/blocklist.html",
            entries=services.list_blocklist(),
            form=form or BlocklistForm(prefix="entry"),
            settings_form=settings_form
            or SettingsForm(
                prefix="settings",
                data={
                    "report_threshold": settings.report_threshold,
                    "new_account_days": settings.new_account_days,
                    "new_account_links": settings.new_account_links,
                },
            ),
            delete_form=EmptyForm(),
        ),
        status,
    )


@bp.route("/moderation/blocklist", methods=["GET", "POST"])
@access("admin")
def blocklist():
    if request.method == "GET":
        return _blocklist_page()
    form = BlocklistForm(prefix="entry")
    if not form.validate_on_submit():
        return _blocklist_page(422, form=form)
    try:
        services.add_blocklist_entry(_me(), form.pattern.data, form.is_regex.data)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if not form.apply_error(exc):
            form.form_errors.append(exc.message)
        return _blocklist_page(exc.status, form=form)
    flash(_("Added to the blocklist."), "success")
    return redirect(url_for("moderation.blocklist"), 303)


@bp.route("/moderation/blocklist/<int:entry_id>/delete", methods=["POST"])
@access("admin")
def blocklist_delete(entry_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.remove_blocklist_entry(_me(), entry_id)
    db.session.commit()
    flash(_("Removed from the blocklist."), "success")
    return redirect(url_for("moderation.blocklist"), 303)


@bp.route("/moderation/settings", methods=["POST"])
@access("admin")
def settings():
    form = SettingsForm(prefix="settings")
    if not form.validate_on_submit():
        return _blocklist_page(422, settings_form=form)
    try:
        services.update_settings(
            _me(),
            form.report_threshold.data,
            form.new_account_days.data,
            form.new_account_links.data,
        )
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        form.apply_error(exc)
        return _blocklist_page(exc.status, settings_form=form)
    flash(_("Settings saved."), "success")
    return redirect(url_for("moderation.blocklist"), 303)


@bp.route("/moderation/audit")
@access("admin")
def audit():
    page = Page.from_request(per_page=50)
    action = request.args.get("action") or None
    if action not in ACTIONS:
        action = None
    moderator_id = request.args.get("moderator", type=int)
    rows, page.total = services.audit_log(page.limit, page.offset, action, moderator_id)
    return render_template(
        "moderation/audit.html", rows=rows, page=page, action=action, actions=ACTIONS
    )


# --- the public log ----------------------------------------------------------------------


@bp.route("/consultations/<slug>/moderation")
@access(PUBLIC)
def public_log(slug: str):
    from sqlalchemy import select

    from portal.consultations.models import Consultation

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or (
        consultation.status == "draft" and not has_role(current_user, "planner")
    ):
        abort(404)
    page = Page.from_request(per_page=50)
    log = services.public_log(consultation, page.limit, page.offset)
    page.total = log.total
    return render_template(
        "moderation/public_log.html", consultation=consultation, log=log, page=page
    )
