"""Notification pages: the list, marking read, e-mail preferences, unsubscribing, following."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from portal.accounts.views import safe_next
from portal.core.anchors import Anchor
from portal.core.errors import NotFound
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import csrf, db
from portal.notifications import services
from portal.notifications.forms import EmptyForm, PreferencesForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@access(LOGIN)
def index():
    page = Page.from_request(per_page=20)
    unread_only = request.args.get("unread") == "1"
    rows, page.total = services.list_notifications(
        current_user, page.limit, page.offset, unread_only=unread_only
    )
    return render_template(
        "notifications/index.html",
        notifications=services.views_for(rows),
        page=page,
        unread_only=unread_only,
        unread=services.unread_count(current_user),
        form=EmptyForm(),
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
@access(LOGIN)
def mark_read(notification_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("notifications.index"))
    row = services.mark_read(current_user, notification_id)
    db.session.commit()
    if request.form.get("open") == "1":
        view = services.views_for([row])[0]
        if view.url:
            return redirect(view.url, 303)
    return redirect(safe_next(request.form.get("next"), "notifications.index"), 303)


@bp.route("/read-all", methods=["POST"])
@access(LOGIN)
def mark_all_read():
    count = services.mark_all_read(current_user)
    db.session.commit()
    if count:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.route("/preferences", methods=["GET", "POST"])
@access(LOGIN)
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        form.email_frequency.data = services.get_frequency(current_user)
    elif form.validate_on_submit():
        services.set_frequency(current_user, form.email_frequency.data)
        db.session.commit()
        flash(_("Your e-mail preference is saved."), "success")
        return redirect(url_for("notifications.preferences"), 303)
    status = 422 if form.errors else 200
    return render_template("notifications/preferences.html", form=form), status


def is_one_click() -> bool:
    """An RFC 8058 one-click unsubscribe: the mail client POSTs ``List-Unsubscribe=One-Click``
    (form-encoded or multipart) to the URL of the ``List-Unsubscribe`` header."""
    return request.form.get("List-Unsubscribe") == "One-Click"


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
# Exempt from the site-wide CSRF check: a mail client's one-click POST (RFC 8058) carries no
# session and so no CSRF token; the signed token in the URL is the proof instead (it is only
# in the e-mail, and it only ever turns e-mails off). Every other POST to this URL (the
# confirmation page's button) is still CSRF-checked below.
@csrf.exempt
@access(PUBLIC)
def unsubscribe(token: str):
    """One click from an e-mail shows this page; its button stops the e-mails (no log-in).
    Mail clients that offer "unsubscribe" themselves POST ``List-Unsubscribe=One-Click``."""
    user = services.user_for_unsubscribe(token)  # a bad token: 400, nothing changes
    form = EmptyForm()
    if request.method == "POST":
        # The page's own button: the form checks its CSRF token (the site-wide check skipped
        # this view), and a missing or stale one is the same 400 as on any other form.
        if not is_one_click() and not form.validate_on_submit():
            raise CSRFError()
        services.unsubscribe(token)
        db.session.commit()
        return render_template("notifications/unsubscribed.html", user=user)
    return render_template("notifications/unsubscribe.html", form=form, user=user, token=token)


def _target_for(anchor_id: int, must_be_visible: bool = True):
    anchor = db.session.get(Anchor, anchor_id)
    target = anchor.target() if anchor is not None else None
    if target is None or (must_be_visible and not target.is_publicly_visible()):
        raise NotFound()
    return target


def _back(target):
    if request.form.get("next"):
        return redirect(safe_next(request.form.get("next")), 303)
    if target.is_publicly_visible():
        return redirect(target.url(), 303)
    return redirect(url_for("notifications.index"), 303)


@bp.route("/follow/<int:anchor_id>", methods=["POST"])
@access(LOGIN)
def follow(anchor_id: int):
    target = _target_for(anchor_id)
    services.follow(current_user, target)
    db.session.commit()
    flash(_("You now follow “%(title)s”.", title=target.anchor_title()), "success")
    return _back(target)


@bp.route("/unfollow/<int:anchor_id>", methods=["POST"])
@access(LOGIN)
def unfollow(anchor_id: int):
    target = _target_for(anchor_id, must_be_visible=False)
    services.unfollow(current_user, target)
    db.session.commit()
    flash(_("You no longer follow “%(title)s”.", title=target.anchor_title()), "info")
    return _back(target)
