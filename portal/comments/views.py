"""Comment pages: posting and replying, editing, deleting, voting, permalinks and threads.

Threads are shown inside the commented content's page by ``templates/comments/_section.html``,
which gets its data from the ``comment_thread(target)`` Jinja global defined here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.comments import services
from portal.comments.forms import STANCE_LABELS, CommentForm, EditForm, EmptyForm
from portal.comments.models import MAX_DEPTH, Comment
from portal.core.anchors import Anchored
from portal.core.errors import Forbidden, PortalError
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db
from portal.moderation.limits import posting_limits
from portal.notifications import services as notifications

bp = Blueprint("comments", __name__, url_prefix="/comments")


# --- the section shown inside content pages --------------------------------------------------


@dataclass
class CommentThread:
    target: Anchored
    page: services.ThreadPage
    can_comment: bool
    reason: str | None
    following: bool
    anchor_id: int
    needs_login: bool = False
    max_depth: int = MAX_DEPTH

    @property
    def comments(self) -> list[services.Node]:
        return self.page.nodes

    @property
    def order(self) -> str:
        return self.page.order

    @property
    def count(self) -> int:
        return self.target.anchor.comment_count

    def page_url(self, number: int | None = None, order: str | None = None) -> str:
        args = request.args.to_dict()
        args["comments_page"] = number or self.page.number
        args["comments_order"] = order or self.page.order
        if args["comments_order"] == "oldest":
            del args["comments_order"]
        if args["comments_page"] == 1:
            del args["comments_page"]
        query = urlencode(args)
        return request.path + (f"?{query}" if query else "") + "#comments"


def comment_thread(target: Anchored) -> CommentThread:
    """Everything ``comments/_section.html`` shows for ``target`` on this request."""
    number = request.args.get("comments_page", 1, type=int) or 1
    order = request.args.get("comments_order", "oldest")
    page = services.load_page(target.anchor_id, current_user, min(max(number, 1), 100_000), order)
    block = services.commenting_block(current_user, target)
    return CommentThread(
        target=target,
        page=page,
        can_comment=block is None,
        reason=block[1] if block else None,
        needs_login=bool(block and block[0] == "login"),
        following=notifications.is_following(current_user, target),
        anchor_id=target.anchor_id,
    )


def may_edit(comment: Comment) -> bool:
    return (
        current_user.is_authenticated
        and not comment.is_deleted
        and comment.author_id == current_user.id
    )


def template_globals() -> dict[str, Any]:
    return {
        "comment_thread": comment_thread,
        "comment_stance_labels": STANCE_LABELS,
        "comment_may_edit": may_edit,
        "comment_may_delete": lambda c: services.may_delete(current_user, c),
    }


# --- routes ----------------------------------------------------------------------------------


def _back_to(comment: Comment) -> str:
    return url_for("comments.permalink", comment_id=comment.id)


def _form_page(form, target, parent=None, status=422, error: PortalError | None = None):
    """Show the comment form on its own page, with the errors and the person's text kept."""
    if error is not None and not form.apply_error(error):
        form.form_errors.append(error.message)
    return (
        render_template("comments/form_page.html", form=form, target=target, parent=parent),
        status,
    )


@bp.route("/on/<int:anchor_id>", methods=["POST"])
@access(LOGIN)
@posting_limits
def post(anchor_id: int):
    target = services.target_for_anchor(anchor_id)
    form = CommentForm()
    parent = None
    raw_parent = (form.parent_id.data or "").strip()
    parent_id = int(raw_parent) if raw_parent.isdigit() else None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
    if not form.validate_on_submit():
        return _form_page(form, target, parent)
    try:
        comment = services.post_comment(
            current_user, target, form.body.data, form.stance.data, parent_id=parent_id
        )
    except PortalError as error:
        db.session.rollback()
        return _form_page(form, target, parent, error.status, error)
    db.session.commit()
    if comment.is_visible:
        flash(_("Your comment is published."), "success")
    else:
        flash(_("Thank you. Your comment will appear once a moderator has looked at it."), "info")
        return redirect(target.url() + "#comments", 303)
    return redirect(_back_to(comment), 303)


@bp.route("/<int:comment_id>")
@access(PUBLIC)
def permalink(comment_id: int):
    """Go to the page of the content that shows this comment."""
    comment = services.get_comment(comment_id)
    target = comment.target()
    if services.reply_rank(comment) >= services.REPLIES_PER_THREAD:
        root_id = comment.root_id or comment.id
        return redirect(url_for("comments.thread", comment_id=root_id) + f"#comment-{comment.id}")
    number = services.page_of(comment)
    query = f"?{urlencode({'comments_page': number})}" if number > 1 else ""
    return redirect(f"{target.url()}{query}#comment-{comment.id}")


@bp.route("/<int:comment_id>/thread")
@access(PUBLIC)
def thread(comment_id: int):
    """One whole conversation on its own page."""
    comment = services.get_comment(comment_id)
    root = comment if comment.root_id is None else services.get_comment(comment.root_id)
    target = root.target()
    node = services.load_thread(root, current_user)
    reason = services.commenting_blocker(current_user, target)
    return render_template(
        "comments/thread.html",
        node=node,
        target=target,
        can_comment=reason is None,
        reason=reason,
        max_depth=MAX_DEPTH,
    )


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@access(LOGIN)
@posting_limits
def edit(comment_id: int):
    comment = services.get_comment(comment_id)
    if not may_edit(comment):
        raise Forbidden(_("Only the author can change this comment."))
    target = comment.target()
    form = EditForm(obj=comment)
    status = 200
    if form.validate_on_submit():
        try:
            services.edit_comment(current_user, comment, form.body.data, form.stance.data)
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your comment is updated."), "success")
            return redirect(_back_to(comment), 303)
    elif form.errors:
        status = 422
    return render_template("comments/edit.html", form=form, comment=comment, target=target), status


@bp.route("/<int:comment_id>/delete", methods=["GET", "POST"])
@access(LOGIN)
def delete(comment_id: int):
    comment = services.get_comment(comment_id)
    if not services.may_delete(current_user, comment):
        raise Forbidden(_("Only the author can delete this comment."))
    form = EmptyForm()
    if form.validate_on_submit():
        services.delete_comment(current_user, comment)
        db.session.commit()
        flash(_("The comment is deleted. Its replies stay in the conversation."), "success")
        return redirect(_back_to(comment), 303)
    return render_template(
        "comments/delete.html", form=form, comment=comment, target=comment.target()
    )


@bp.route("/<int:comment_id>/vote", methods=["POST"])
@access(LOGIN)
@posting_limits
def vote(comment_id: int):
    comment = services.get_comment(comment_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(_back_to(comment), 303)
    try:
        services.vote(current_user, comment, request.form.get("value", ""))
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Your vote is saved."), "success")
    return redirect(_back_to(comment), 303)
