"""Comment rules, shared by the HTML views, the API and the demo.

Services take plain values, flush but never commit, and raise PortalError subclasses.
``Anchor.comment_count`` (on the commented content's anchor) is kept equal to the number of
visible, not-deleted comments by a ``before_flush`` hook: whoever changes a comment (this
module, moderation hiding it), the counter moves in the same transaction, in SQL
(``comment_count = comment_count + 1``), so concurrent writers cannot lose an update.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, inspect, null, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User, UserRole
from portal.comments.models import MAX_DEPTH, STANCES, Comment, CommentVote
from portal.consultations.phases import PhaseClosed, require_phase
from portal.core.anchors import Anchor, Anchored
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.html import count_links, plain_text
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.moderation.services import screen_new_post
from portal.moderation.visibility import PUBLISHED
from portal.notifications import services as notifications
from portal.notifications.models import Follow

MAX_LENGTH = 5000
PER_PAGE = 20
ORDERS = ("oldest", "newest", "best")
# Replies shown under each thread on a page of threads; the thread page shows up to THREAD_CAP.
REPLIES_PER_THREAD = 50
THREAD_CAP = 1000
# Accounts younger than this may put at most NEW_ACCOUNT_LINKS links in a comment.
NEW_ACCOUNT_AGE = timedelta(days=1)
NEW_ACCOUNT_LINKS = 2
VOTE_VALUES = {"up": 1, "down": -1, "none": 0}


class CommentsClosed(PortalError):
    status = 403
    code = "comments_closed"

    def default_message(self) -> str:
        return str(_l("Comments are closed here."))


# --- finding things --------------------------------------------------------------------------


def target_for_anchor(anchor_id: int) -> Anchored:
    """The publicly visible content behind ``anchor_id`` that takes comments (else NotFound)."""
    anchor = db.session.get(Anchor, anchor_id)
    if anchor is None or anchor.kind == Comment.anchor_kind:
        raise NotFound()
    target = anchor.target()
    if target is None or not target.is_publicly_visible():
        raise NotFound()
    return target


def get_comment(comment_id: int, public: bool = True) -> Comment:
    """A comment whose thread the public may see (else NotFound)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    if public:
        target = comment.target()
        if not comment.is_visible or target is None or not target.is_publicly_visible():
            raise NotFound()
    return comment


# --- rules -----------------------------------------------------------------------------------


def commenting_block(user: Any, target: Anchored) -> tuple[str, str] | None:
    """Why ``user`` may not comment on ``target`` now, as (code, message), or None.

    Codes: "closed" (hidden or withdrawn content), "phase" (the consultation's phase),
    "login" (not signed in), "inactive" (blocked account).
    """
    if not target.is_publicly_visible():
        return "closed", str(_l("Comments are closed here."))
    consultation = target.anchor_consultation()
    if consultation is not None:
        try:
            require_phase(consultation, "comment")
        except PhaseClosed as closed:
            return "phase", str(_l("Comments are closed: %(reason)s", reason=closed.message))
    if not getattr(user, "is_authenticated", False):
        return "login", str(_l("Log in to comment."))
    if not user.is_active:
        return "inactive", str(_l("Your account may not comment."))
    return None


def commenting_blocker(user: Any, target: Anchored) -> str | None:
    """The message of :func:`commenting_block`, or None when ``user`` may comment."""
    block = commenting_block(user, target)
    return block[1] if block else None


def check_can_comment(user: User, target: Anchored) -> None:
    """Raises CommentsClosed (with the reason) unless ``user`` may comment now."""
    reason = commenting_blocker(user, target)
    if reason is not None:
        raise CommentsClosed(reason)


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed(fields={"body": str(_l("Write something first."))})
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(
            fields={"body": str(_l("At most %(n)d characters, please.", n=MAX_LENGTH))}
        )
    return text


def _check_stance(stance: str | None) -> str:
    stance = stance or "neutral"
    if stance not in STANCES:
        raise ValidationFailed(fields={"stance": str(_l("Choose one of the options."))})
    return stance


def _check_links(user: User, body: str) -> None:
    young = user.created_at is not None and utcnow() - user.created_at < NEW_ACCOUNT_AGE
    if young and count_links(body) > NEW_ACCOUNT_LINKS:
        raise ValidationFailed(
            fields={
                "body": str(
                    _l(
                        "New accounts may include at most %(n)d links. Please remove some.",
                        n=NEW_ACCOUNT_LINKS,
                    )
                )
            }
        )


# --- writing ---------------------------------------------------------------------------------


def post_comment(
    author: User,
    target: Anchored,
    body: str,
    stance: str | None = "neutral",
    parent_id: int | None = None,
) -> Comment:
    """Comment on ``target`` (or reply to ``parent_id`` there); the author then follows it.

    The comment may be held for the moderators ("pending": not shown, not counted, nobody
    notified) by :func:`portal.moderation.services.screen_new_post`.

    Raises CommentsClosed, ValidationFailed (body, stance, parent_id) or NotFound.
    """
    if isinstance(target, Comment):
        raise NotFound()
    check_can_comment(author, target)
    text = _clean_body(body)
    stance = _check_stance(stance)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.target_anchor_id != target.anchor_id or not parent.is_visible:
            raise ValidationFailed(fields={"parent_id": str(_l("This comment does not exist."))})
        if parent.is_deleted:
            raise ValidationFailed(
                fields={"parent_id": str(_l("You cannot reply to a deleted comment."))}
            )
        if parent.depth >= MAX_DEPTH:
            raise ValidationFailed(
                fields={"parent_id": str(_l("This conversation cannot go any deeper."))}
            )
    comment = Comment(
        target_anchor_id=target.anchor_id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=author.id,
        body=text,
        stance=stance,
        created_at=utcnow(),
        # "pending" (held for the moderators) for blocklisted words, too many links from a new
        # account, or the first post of a new account where the consultation asks for it.
        moderation_state=screen_new_post(author, target.anchor_consultation(), text),
    )
    db.session.add(comment)
    db.session.flush()
    notifications.follow(author, target)
    if comment.is_visible:
        notifications.notify(
            target, "comment_posted", author, plain_text(text, 200), source=comment
        )
    return comment


def _check_author(user: User, comment: Comment) -> None:
    if comment.author_id is None or comment.author_id != user.id:
        raise Forbidden(str(_l("Only the author can change this comment.")))


def edit_comment(user: User, comment: Comment, body: str, stance: str | None = None) -> Comment:
    """The author edits the text (and stance); marks it edited. Raises Forbidden, Conflict,
    CommentsClosed or ValidationFailed."""
    _check_author(user, comment)
    if comment.is_deleted:
        raise Conflict(str(_l("This comment has been deleted.")))
    target = comment.target()
    if target is None:
        raise NotFound()
    check_can_comment(user, target)
    text = _clean_body(body)
    _check_links(user, text)
    new_stance = _check_stance(stance) if stance is not None else comment.stance
    if text != comment.body or new_stance != comment.stance:
        comment.body = text
        comment.stance = new_stance
        comment.edited_at = utcnow()
    db.session.flush()
    return comment


def may_delete(user: Any, comment: Comment) -> bool:
    if not getattr(user, "is_authenticated", False) or comment.is_deleted:
        return False
    return comment.author_id == user.id or has_role(user, "moderator")


def delete_comment(user: User, comment: Comment) -> Comment:
    """Delete the text but keep the place in the thread (replies stay). Raises Forbidden."""
    if comment.is_deleted:
        return comment
    if not may_delete(user, comment):
        raise Forbidden(str(_l("Only the author can delete this comment.")))
    comment.deleted_at = utcnow()
    comment.body = ""
    db.session.flush()
    return comment


def vote(user: User, comment: Comment, value: str) -> int:
    """Set ``user``'s vote on ``comment`` to "up", "down" or "none"; returns -1, 0 or 1.

    One vote per person (UNIQUE in the database); the counters move in SQL under a row lock,
    so concurrent requests never count a vote twice. Raises ValidationFailed, Forbidden,
    Conflict or CommentsClosed.
    """
    if value not in VOTE_VALUES:
        raise ValidationFailed(fields={"value": str(_l("Choose up, down or none."))})
    wanted = VOTE_VALUES[value]
    if comment.is_deleted or not comment.is_visible:
        raise Conflict(str(_l("This comment cannot be voted on.")))
    if comment.author_id == user.id:
        raise Forbidden(str(_l("You cannot vote on your own comment.")))
    target = comment.target()
    if target is None:
        raise NotFound()
    check_can_comment(user, target)

    existing = None
    for _attempt in range(5):
        existing = _locked_vote(comment.id, user.id)
        if existing is not None:
            break
        if wanted == 0:
            return 0
        row = CommentVote(comment_id=comment.id, user_id=user.id, value=wanted)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # a concurrent request voted first: read its vote and change it
        _move_counters(comment, wanted, +1)
        return wanted
    if existing is None:
        raise Conflict(str(_l("Your vote could not be saved. Please try again.")))
    if existing.value == wanted:
        return wanted
    _move_counters(comment, existing.value, -1)
    if wanted == 0:
        db.session.delete(existing)
    else:
        existing.value = wanted
        _move_counters(comment, wanted, +1)
    db.session.flush()
    return wanted


def _locked_vote(comment_id: int, user_id: int) -> CommentVote | None:
    return db.session.scalar(
        select(CommentVote)
        .where(CommentVote.comment_id == comment_id, CommentVote.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _move_counters(comment: Comment, value: int, step: int) -> None:
    column = Comment.up_count if value > 0 else Comment.down_count
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values({column.key: column + step})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(comment, ["up_count", "down_count"])


def my_vote(user: Any, comment: Comment) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    value = db.session.scalar(
        select(CommentVote.value).where(
            CommentVote.comment_id == comment.id, CommentVote.user_id == user.id
        )
    )
    return value or 0


def recount(anchor_id: int) -> int:
    """Recompute a target's comment counter from the rows (repairs; normally not needed)."""
    count = (
        db.session.scalar(
            select(func.count()).where(
                Comment.target_anchor_id == anchor_id,
                Comment.visible(),
                Comment.deleted_at.is_(None),
            )
        )
        or 0
    )
    db.session.execute(
        update(Anchor)
        .where(Anchor.id == anchor_id)
        .values(comment_count=count)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return count


# --- the counter hook ------------------------------------------------------------------------


def _counted_before(session: Session, comment: Comment) -> bool:
    """Whether the comment counted before this flush's changes."""
    state = inspect(comment)
    old = {}
    for name in ("moderation_state", "deleted_at"):
        history = state.attrs[name].history
        if history.deleted:
            old[name] = history.deleted[0]
        elif history.unchanged or not history.added:
            old[name] = getattr(comment, name)
        else:  # changed without the old value loaded: read it from the database
            row = session.execute(
                select(Comment.moderation_state, Comment.deleted_at).where(Comment.id == comment.id)
            ).one()
            old = {"moderation_state": row[0], "deleted_at": row[1]}
            break
    return old["moderation_state"] == PUBLISHED and old["deleted_at"] is None


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    deltas: dict[int, int] = defaultdict(int)
    for obj in session.new:
        if isinstance(obj, Comment) and obj.counts:
            deltas[obj.target_anchor_id] += 1
    for obj in session.dirty:
        if isinstance(obj, Comment) and session.is_modified(obj, include_collections=False):
            before, after = _counted_before(session, obj), obj.counts
            if before != after:
                deltas[obj.target_anchor_id] += 1 if after else -1
    for obj in session.deleted:
        if isinstance(obj, Comment) and _counted_before(session, obj):
            deltas[obj.target_anchor_id] -= 1
    for anchor_id, delta in deltas.items():
        if delta and anchor_id is not None:
            session.execute(
                update(Anchor)
                .where(Anchor.id == anchor_id)
                .values(comment_count=Anchor.comment_count + delta)
                .execution_options(synchronize_session=False)
            )
            anchor = session.identity_map.get(
                inspect(Anchor).identity_key_from_primary_key((anchor_id,))
            )
            if anchor is not None:
                session.expire(anchor, ["comment_count"])


# --- reading threads -------------------------------------------------------------------------


@dataclass
class Node:
    comment: Comment
    replies: list[Node] = field(default_factory=list)
    my_vote: int = 0
    reply_count: int = 0  # all visible replies of a thread (top-level nodes only)
    hidden_replies: int = 0  # replies of this thread not loaded on this page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.comment, name)


@dataclass
class ThreadPage:
    """A page of top-level comments with their replies (``nodes``)."""

    nodes: list[Node]
    number: int
    per_page: int
    total: int
    order: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


# The author (joined). Their roles (the badge of planners' comments reads them) are loaded
# afterwards for the whole page at once: see _load_roles().
_WITH_AUTHOR = joinedload(Comment.author)


def _order(order: str):
    if order == "newest":
        return (Comment.created_at.desc(), Comment.id.desc())
    if order == "best":
        return ((Comment.up_count - Comment.down_count).desc(), Comment.created_at, Comment.id)
    return (Comment.created_at, Comment.id)


def load_page(
    target_anchor_id: int,
    user: Any,
    number: int = 1,
    order: str = "oldest",
    per_page: int = PER_PAGE,
    replies_per_thread: int = REPLIES_PER_THREAD,
) -> ThreadPage:
    """One page of a target's visible top-level comments and their visible replies.

    Runs a fixed number of queries whatever the thread size: the page with the count of
    all its top-level comments (a window function; a separate count only for a page past the
    last), the replies (at most ``replies_per_thread`` per thread, with each thread's count,
    by window functions), the roles of every author shown (the "Official" badge) and the
    person's votes (none for nobody).
    """
    order = order if order in ORDERS else "oldest"
    number = max(1, number)
    top_filter = and_(
        Comment.target_anchor_id == target_anchor_id,
        Comment.parent_id.is_(None),
        Comment.visible(),
    )
    rows = db.session.execute(
        select(Comment, func.count().over().label("total"))
        .where(top_filter)
        .options(_WITH_AUTHOR)
        .order_by(*_order(order))
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    tops = [row[0] for row in rows]
    if rows:
        total = rows[0][1]
    elif number > 1:  # past the last page: the window saw no row to count
        total = db.session.scalar(select(func.count()).where(top_filter)) or 0
    else:
        total = 0
    nodes = [Node(c) for c in tops]
    _attach_replies(nodes, user, replies_per_thread)
    return ThreadPage(nodes, number, per_page, total, order)


def load_thread(root: Comment, user: Any) -> Node:
    """One whole thread (up to THREAD_CAP replies) for the thread page."""
    node = Node(root)
    _attach_replies([node], user, THREAD_CAP)
    return node


def _attach_replies(nodes: list[Node], user: Any, cap: int) -> None:
    if not nodes:
        return
    root_ids = [n.comment.id for n in nodes]
    ranked = (
        select(
            Comment.id.label("id"),
            func.row_number()
            .over(partition_by=Comment.root_id, order_by=(Comment.created_at, Comment.id))
            .label("rank"),
            # every visible reply of the thread, also those past the cap or under a hidden one
            func.count().over(partition_by=Comment.root_id).label("count"),
        )
        .where(Comment.root_id.in_(root_ids), Comment.visible())
        .subquery()
    )
    rows = db.session.execute(
        select(Comment, ranked.c.count)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= cap)
        .options(_WITH_AUTHOR)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    # The first reply of a thread always passes the cap: each thread with replies has a row.
    counts = {comment.root_id: count for comment, count in rows}
    by_id: dict[int, Node] = {n.comment.id: n for n in nodes}
    shown: dict[int, int] = defaultdict(int)
    for comment, _count in rows:  # parents come before their replies (older)
        parent = by_id.get(comment.parent_id)
        if parent is None:  # its parent is hidden: the branch is not shown
            continue
        node = Node(comment)
        parent.replies.append(node)
        by_id[comment.id] = node
        shown[comment.root_id] += 1
    for n in nodes:
        n.reply_count = counts.get(n.comment.id, 0)
        n.hidden_replies = max(0, n.reply_count - shown[n.comment.id])
    _load_roles([node.comment for node in by_id.values()])
    for comment_id, value in votes_of(user, list(by_id)).items():
        by_id[comment_id].my_vote = value


def _load_roles(comments: list[Comment]) -> None:
    """The roles of these comments' authors, in one statement for all of them (where they
    are not loaded yet), instead of one per query that loaded comments."""
    authors = {
        c.author.id: c.author
        for c in comments
        if c.author is not None and "role_rows" in inspect(c.author).unloaded
    }
    if not authors:
        return
    rows: dict[int, list[UserRole]] = defaultdict(list)
    for role in db.session.scalars(select(UserRole).where(UserRole.user_id.in_(list(authors)))):
        rows[role.user_id].append(role)
    for user_id, author in authors.items():
        set_committed_value(author, "role_rows", rows[user_id])


def votes_of(user: Any, comment_ids: list[int]) -> dict[int, int]:
    """``user``'s votes (1 or -1) on these comments, by comment id (one query)."""
    if not getattr(user, "is_authenticated", False) or not comment_ids:
        return {}
    return dict(
        db.session.execute(
            select(CommentVote.comment_id, CommentVote.value).where(
                CommentVote.user_id == user.id, CommentVote.comment_id.in_(comment_ids)
            )
        ).all()
    )


# A signed-in person's marks on a content's comment section in ONE statement: their votes on
# its comments (by the votes' user index, whatever page is shown: the same SQL text each time,
# which PostgreSQL may prepare) and, as a row without a comment, whether they follow it. Built
# once with table columns: a plain Core statement skips the ORM's per-call work.
_votes, _comments, _follows = CommentVote.__table__, Comment.__table__, Follow.__table__
_MARKS = union_all(
    select(_votes.c.comment_id, _votes.c.value)
    .join(_comments, _comments.c.id == _votes.c.comment_id)
    .where(
        _votes.c.user_id == bindparam("user_id"),
        _comments.c.target_anchor_id == bindparam("anchor_id"),
    ),
    select(null(), _follows.c.user_id)
    .where(_follows.c.user_id == bindparam("user_id"))
    .where(_follows.c.anchor_id == bindparam("anchor_id")),
)


def marks_of(user_id: int, anchor_id: int) -> tuple[bool, dict[int, int]]:
    """Whether this person follows the content of ``anchor_id`` (as
    :func:`portal.notifications.services.is_following` says) and their votes (1 or -1) on its
    comments, by comment id, in one statement."""
    following = False
    votes: dict[int, int] = {}
    for comment_id, value in db.session.execute(
        _MARKS, {"user_id": user_id, "anchor_id": anchor_id}
    ):
        if comment_id is None:
            following = True
        else:
            votes[comment_id] = value
    return following, votes


def page_of(comment: Comment, per_page: int = PER_PAGE) -> int:
    """The page (in oldest-first order) that shows ``comment``'s thread."""
    root = comment if comment.root_id is None else db.session.get(Comment, comment.root_id)
    if root is None:
        return 1
    before = (
        db.session.scalar(
            select(func.count()).where(
                Comment.target_anchor_id == root.target_anchor_id,
                Comment.parent_id.is_(None),
                Comment.visible(),
                or_(
                    Comment.created_at < root.created_at,
                    and_(Comment.created_at == root.created_at, Comment.id < root.id),
                ),
            )
        )
        or 0
    )
    return before // per_page + 1


def reply_rank(comment: Comment) -> int:
    """How many visible replies of its thread come before ``comment`` (0 for a top-level)."""
    if comment.root_id is None:
        return 0
    return (
        db.session.scalar(
            select(func.count()).where(
                Comment.root_id == comment.root_id,
                Comment.visible(),
                or_(
                    Comment.created_at < comment.created_at,
                    and_(Comment.created_at == comment.created_at, Comment.id < comment.id),
                ),
            )
        )
        or 0
    )
