"""Comment pages: posting and replying, editing, deleting, voting, permalinks and threads.

Threads are shown inside the commented content's page by ``templates/comments/_section.html``,
which gets its data from the ``comment_thread(target)`` Jinja global defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import (
    Blueprint,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal.comments import services
from portal.comments.forms import STANCE_LABELS, CommentForm, EditForm, EmptyForm
from portal.comments.models import MAX_DEPTH, Comment
from portal.core.anchors import Anchored
from portal.core.errors import Forbidden, PortalError
from portal.core.permissions import LOGIN, PUBLIC, access, has_role
from portal.extensions import db
from portal.moderation import report_url
from portal.moderation.limits import posting_limits
from portal.ops.cache import cached_fragment, rendered_html, splice

bp = Blueprint("comments", __name__, url_prefix="/comments")


# --- the section shown inside content pages --------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who looks at comments, as far as their HTML depends on it."""

    id: int | None
    authenticated: bool = False
    moderator: bool = False

    def generic(self) -> Viewer:
        """The same kind of viewer, nobody in particular: what a cached page shows."""
        return Viewer(None, self.authenticated, self.moderator)

    @property
    def kind(self) -> str:
        return "moderator" if self.moderator else "member" if self.authenticated else "visitor"


def viewer_of(user: Any) -> Viewer:
    if not getattr(user, "is_authenticated", False):
        return Viewer(None)
    return Viewer(user.id, True, has_role(user, "moderator"))


# An id no real comment has, to build a URL once and put each comment's id in it.
_STAND_IN = 987_654_321_987


class ActionInfo(NamedTuple):
    """What the actions of one visible comment show (kept with a cached page of comments)."""

    id: int
    author_id: int | None
    up_count: int
    down_count: int
    anchor_kind: str = Comment.anchor_kind  # for report_url()


@dataclass
class CommentThread:
    target: Anchored
    can_comment: bool
    reason: str | None
    following: bool
    anchor_id: int
    needs_login: bool = False
    max_depth: int = MAX_DEPTH
    number: int = 1
    order: str = "oldest"
    total: int = 0  # top-level comments: what the pages count
    count: int = 0  # every visible comment (the heading)
    per_page: int = services.PER_PAGE
    html: Markup = field(default_factory=Markup)  # the comments and their pager

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @cached_property
    def labels(self) -> dict[str, Any]:
        """The fixed texts of comments, translated once per page (not once per comment);
        those with a placeholder are formatted by the template (``label % {"n": 1}``)."""
        return {
            "agree": _("Agree"),
            "disagree": _("Disagree"),
            "votes": _("%(up)d agree, %(down)d disagree"),
            "edit": _("Edit"),
            "delete": _("Delete"),
            "report": _("Report"),
            "comment_n": _("comment %(n)d"),
            "comment_title": _("Comment %(n)d"),
            "deleted": _("Comment deleted"),
            "deleted_account": _("Deleted account"),
            "official": _("Official"),
            "permalink": _("link to this comment"),
            "edited": _("edited"),
            "reply": _("Reply"),
            "reply_to": _("to comment %(n)d"),
            "your_reply": _("Your reply"),
            "your_position": _("Your position"),
            "publish_reply": _("Publish reply"),
            "stances": {key: str(label) for key, label in STANCE_LABELS.items()},
        }

    @cached_property
    def post_url(self) -> str:
        return url_for("comments.post", anchor_id=self.anchor_id)

    @cached_property
    def csrf(self) -> str:
        """The CSRF token of the forms: looked up once, not twice per comment."""
        return generate_csrf()

    @cached_property
    def _url_parts(self) -> dict[str, tuple[str, str]]:
        """Each per-comment URL built once, around a stand-in id (url_for costs more than
        the rest of a comment's actions together)."""
        stand_in = ActionInfo(_STAND_IN, None, 0, 0)
        built = {
            name: url_for(f"comments.{name}", comment_id=_STAND_IN)
            for name in ("permalink", "thread", "vote", "edit", "delete")
        }
        built["report"] = report_url(stand_in)
        return {
            name: tuple(str(escape(part)) for part in url.split(str(_STAND_IN)))
            for name, url in built.items()
        }

    def url(self, name: str, comment_id: int) -> Markup:
        """The URL ``name`` ("vote", "edit", "report" ...) of comment ``comment_id``, as
        url_for() or report_url() would give it (escaped: the template shows it as it is)."""
        before, after = self._url_parts[name]  # escaped already
        return Markup(f"{before}{int(comment_id)}{after}")  # noqa: S704 - escaped parts, an int

    @cached_property
    def stance_options(self) -> Markup:
        """The options of the reply forms' <select>: the same for every reply form."""
        return get_template_attribute("comments/_macros.html", "stance_options")()

    def page_url(self, number: int | None = None, order: str | None = None) -> str:
        args = request.args.to_dict()
        args["comments_page"] = number or self.number
        args["comments_order"] = order or self.order
        if args["comments_order"] == "oldest":
            del args["comments_order"]
        if args["comments_page"] == 1:
            del args["comments_page"]
        query = urlencode(args)
        return request.path + (f"?{query}" if query else "") + "#comments"


def _actions(nodes: list[services.Node]) -> list[tuple]:
    """The ActionInfo of every visible comment of ``nodes`` and their replies."""
    found: list[tuple] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        c = node.comment
        if not c.is_deleted:
            found.append((c.id, c.author_id, c.up_count, c.down_count))
        stack.extend(reversed(node.replies))
    return found


def _render(nodes: list[services.Node], ctx: Any, viewer: Viewer, thread=None) -> dict:
    """Comments as ``viewer`` (generic: nobody's own marks) sees them, with what the
    viewer-specific parts need."""
    html = render_template(
        "comments/_list.html", nodes=nodes, ctx=ctx, viewer=viewer, thread=thread
    )
    return {"html": html, "actions": _actions(nodes)}


def _personal(html: str, actions: list, ctx: Any, viewer: Viewer, votes: dict[int, int]) -> str:
    """The generic comments with the viewer's own parts spliced in: their votes pressed,
    Edit and Delete on their own comments and no vote buttons or Report link there.

    ``ctx`` is the CommentThread, or a callable making one: only needed (for its labels)
    when there is something of the viewer's own to show."""
    if viewer.id is None:
        return html
    mine = [values for values in actions if values[1] == viewer.id or votes.get(values[0])]
    if not mine:
        return html
    if callable(ctx):
        ctx = ctx()
    macro = get_template_attribute("comments/_macros.html", "comment_actions")
    own = {}
    for values in mine:
        info = ActionInfo(*values)
        own[info.id] = str(macro(info, ctx, viewer, votes.get(info.id, 0))).strip()
    return splice(html, "ca", own)


# Where the follow form goes in a cached comment section (not forgeable, see splice()).
FOLLOW_MARK = "<!--comments-follow-->"


def comment_thread(target: Anchored) -> Markup:
    """The comment section (``comments/_section.html``) of ``target`` for this request.

    The whole section is rendered for the kind of viewer (visitor, member, moderator; why
    they may not comment, if so) and this URL, and cached until the next public write; the
    viewer's own parts are filled in afterwards: the follow form as it is for them, their
    votes and their own comments (one query for both). A cache hit thus renders no template
    unless the page shows something of the viewer's own."""
    user = current_user._get_current_object()  # one proxy lookup, not one per use
    block = services.commenting_block(user, target)
    viewer = viewer_of(user)

    def thread() -> CommentThread:
        number = request.args.get("comments_page", 1, type=int) or 1
        order = request.args.get("comments_order", "oldest")
        return CommentThread(
            target=target,
            can_comment=block is None,
            reason=block[1] if block else None,
            needs_login=bool(block and block[0] == "login"),
            following=False,
            anchor_id=target.anchor_id,
            number=min(max(number, 1), 100_000),
            order=order if order in services.ORDERS else "oldest",
        )

    def render() -> dict:
        ctx = thread()
        page = services.load_page(target.anchor_id, None, ctx.number, ctx.order)
        ctx.total = page.total
        ctx.count = target.anchor.comment_count
        rendered = _render(page.nodes, ctx, viewer.generic(), ctx)
        rendered["html"] = render_template(
            "comments/_section_body.html",
            thread=ctx,
            target=target,
            listing=rendered_html(rendered["html"]),
            follow=rendered_html(FOLLOW_MARK) if viewer.authenticated else None,
        )
        if viewer.authenticated:  # the form for someone who does not follow it, and who does
            follow = get_template_attribute("comments/_macros.html", "follow_form")
            rendered["follow"] = [str(follow(ctx, target, on)) for on in (False, True)]
        return rendered

    # "comment-section": the whole section since this release, under a name of its own so
    # that servers of the release before (a page of comments as "comments") never read it.
    key = (
        f"comment-section:{target.anchor_id}:{viewer.kind}:{block}:"
        f"{request.path}?{request.query_string.decode('latin-1')}"
    )
    rendered = cached_fragment(key, render)
    html = rendered["html"]
    if viewer.authenticated:
        following, votes = services.marks_of(user.id, target.anchor_id)
        html = html.replace(FOLLOW_MARK, rendered["follow"][following], 1)
        html = _personal(html, rendered["actions"], thread, viewer, votes)
    return rendered_html(html)


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
    node = services.load_thread(root, None)  # the viewer's votes are spliced in below
    reason = services.commenting_blocker(current_user, target)
    ctx = CommentThread(
        target=target,
        can_comment=reason is None,
        reason=reason,
        following=False,
        anchor_id=target.anchor_id,
    )
    viewer = viewer_of(current_user)
    rendered = _render([node], ctx, viewer.generic())
    votes = {}
    if viewer.id is not None and rendered["actions"]:
        votes = services.votes_of(current_user, [values[0] for values in rendered["actions"]])
    return render_template(
        "comments/thread.html",
        conversation=rendered_html(
            _personal(rendered["html"], rendered["actions"], ctx, viewer, votes)
        ),
        target=target,
        can_comment=reason is None,
        reason=reason,
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
