"""Account pages: sign-up, confirmation, log-in, password reset, profile, tokens, roles."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import services
from portal.accounts.emails import send_outgoing
from portal.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EmailOnlyForm,
    EmptyForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    RoleForm,
    SignupForm,
    TokenForm,
)
from portal.core.errors import PortalError
from portal.core.forms import choices
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def safe_next(target: str | None, default: str = "main.home") -> str:
    """Only follow ``next`` to a path on this site (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for(default)


def _check_inbox() -> str:
    return _(
        "If the address can be used, we have sent a message to it. "
        "Please check your inbox (and the spam folder)."
    )


@bp.route("/signup", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(_auth_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if form.validate_on_submit():
        if form.website.data:  # honeypot: act as if all went well, store nothing
            flash(_check_inbox(), "info")
            return redirect(url_for("accounts.login"))
        try:
            outgoing = services.register(
                form.email.data,
                form.password.data,
                form.display_name.data,
                locale=request.accept_languages.best_match(current_app.config["LOCALES"]),
            )
        except PortalError as error:
            db.session.rollback()
            form.apply_error(error)
        else:
            db.session.commit()
            send_outgoing(outgoing)
            flash(_check_inbox(), "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/signup.html", form=form), 422 if form.errors else 200


@bp.route("/confirm/<token>")
@access(PUBLIC)
def confirm(token: str):
    services.confirm_email(token)
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed. You can now log in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(_auth_limit, methods=["POST"])
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        outgoing = services.resend_confirmation(form.email.data)
        send_outgoing(outgoing)
        flash(_check_inbox(), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except PortalError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@access(LOGIN)
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        send_outgoing(services.request_password_reset(form.email.data))
        flash(_check_inbox(), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    services.user_for_reset(token)  # an invalid link fails before the form is shown
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Please log in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200


# --- the person's own account ----------------------------------------------------------------


def _account_forms() -> dict:
    profile = ProfileForm(prefix="profile", obj=current_user)
    profile.locale.choices = choices([("", _("Browser's choice")), *LANGUAGE_NAMES.items()])
    return {
        "profile_form": profile,
        "password_form": ChangePasswordForm(prefix="password"),
        "email_form": ChangeEmailForm(prefix="email"),
        "token_form": TokenForm(prefix="token"),
        "empty_form": EmptyForm(),
    }


def _render_account(status: int = 200, **extra):
    forms = _account_forms()
    forms.update(extra)
    return render_template("accounts/account.html", **forms), status


@bp.route("/account", methods=["GET", "POST"])
@access(LOGIN)
def account():
    forms = _account_forms()
    form = forms["profile_form"]
    if request.method == "POST":
        if form.validate_on_submit():
            services.update_profile(current_user, form.display_name.data, form.locale.data)
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.account"))
        return _render_account(422, profile_form=form)
    return _render_account()


@bp.route("/account/password", methods=["POST"])
@access(LOGIN)
def change_password():
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except PortalError as error:
            db.session.rollback()
            form.apply_error(error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session stays; others end
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(422, password_form=form)


@bp.route("/account/email", methods=["POST"])
@access(LOGIN)
def change_email():
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            outgoing = services.request_email_change(
                current_user, form.email.data, form.password.data
            )
        except PortalError as error:
            db.session.rollback()
            form.apply_error(error)
        else:
            send_outgoing(outgoing)
            flash(
                _(
                    "We have sent a confirmation link to the new address. "
                    "Your address changes when you open it."
                ),
                "info",
            )
            return redirect(url_for("accounts.account"))
    return _render_account(422, email_form=form)


@bp.route("/account/email/confirm/<token>")
@access(PUBLIC)
def confirm_email_change(token: str):
    services.confirm_email_change(token)
    db.session.commit()
    flash(_("Your e-mail address has been changed."), "success")
    return redirect(
        url_for("accounts.login" if not current_user.is_authenticated else "accounts.account")
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@access(LOGIN)
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except PortalError as error:
            db.session.rollback()
            form.apply_error(error)
        else:
            db.session.commit()
            logout_user()
            flash(
                _("Your account has been deleted. What you wrote stays, without your name."), "info"
            )
            return redirect(url_for("main.home"))
    return render_template("accounts/delete.html", form=form), 422 if form.errors else 200


@bp.route("/account/tokens", methods=["POST"])
@access(LOGIN)
def create_token():
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        _token, plain = services.create_api_token(current_user, form.name.data)
        db.session.commit()
        return _render_account(201, new_token=plain)
    return _render_account(422, token_form=form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@access(LOGIN)
def revoke_token(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/users/<int:user_id>")
@access(PUBLIC)
def profile(user_id: int):
    user = services.get_user(user_id)
    if user.deleted_at is not None:
        abort(404)
    return render_template("accounts/profile.html", person=user)


# --- administration of roles -----------------------------------------------------------------


@bp.route("/admin/users")
@access("admin")
def admin_users():
    page = Page.from_request(per_page=50)
    users, total = services.search_users(request.args.get("q", ""), page.limit, page.offset)
    page.total = total
    return render_template(
        "admin/users.html",
        users=users,
        page=page,
        query=request.args.get("q", ""),
        role_form=RoleForm(),
    )


@bp.route("/admin/users/<int:user_id>/roles", methods=["POST"])
@access("admin")
def admin_set_role(user_id: int):
    user = services.get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role and an action."), "error")
        return redirect(url_for("accounts.admin_users")), 303
    services.set_role(current_user, user, form.role.data, form.action.data == "grant")
    db.session.commit()
    flash(_("Roles of %(name)s updated.", name=user.display_name), "success")
    return redirect(url_for("accounts.admin_users", q=user.email))
