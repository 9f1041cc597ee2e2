"""Follows and notifications, shared by the HTML views, the API, the CLI and other capabilities.

Other capabilities call :func:`notify` inside their transaction; the in-app rows are flushed
with it, and the e-mails go out only once that transaction has committed (never for a
rolled-back one): the new ids wait in ``session.info`` and an ``after_commit`` hook queues
:func:`send_immediate` through :func:`portal.core.jobs.enqueue`.

Moderation cannot call this capability (it sits below it), so the author's in-app notice about
hidden content (:func:`notify_author_of_hidden`) is connected to its ``content_hidden`` signal.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User
from portal.core.anchors import Anchor, Anchored, load_targets
from portal.core.errors import NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.extensions import db
from portal.moderation.models import ModerationAction
from portal.notifications.models import (
    DAILY,
    FREQUENCIES,
    IMMEDIATELY,
    NEVER,
    Follow,
    Notification,
    NotificationPreference,
)

log = logging.getLogger(__name__)

PENDING_KEY = "portal_pending_notification_ids"
# Events that also reach the people who follow the content's consultation.
CONSULTATION_WIDE_EVENTS = frozenset({"status_changed", "official_response"})
# Immediate e-mails that failed to go out are retried by the digest after this delay.
RETRY_AFTER = timedelta(hours=1)
# A moderator hid the recipient's own content (see :func:`notify_author_of_hidden`).
MODERATION_HIDDEN = "moderation_hidden"


class InvalidUnsubscribeLink(PortalError):
    status = 400
    code = "invalid_token"

    def default_message(self) -> str:
        return str(_l("This unsubscribe link is not valid."))


def _anchor_id(target: Anchored | Anchor) -> int:
    if isinstance(target, Anchor):
        if target.id is None:
            db.session.flush()
        return target.id
    if target.anchor_id is None:
        db.session.flush()
    return target.anchor_id


# --- follows ---------------------------------------------------------------------------------


def follow(user: User, target: Anchored | Anchor) -> Follow:
    """Make ``user`` follow ``target``; following twice is harmless (also concurrently)."""
    anchor_id = _anchor_id(target)
    existing = _find_follow(user.id, anchor_id)
    if existing is not None:
        return existing
    row = Follow(user_id=user.id, anchor_id=anchor_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent request followed first
        existing = _find_follow(user.id, anchor_id)
        if existing is None:
            raise
        return existing
    return row


def _find_follow(user_id: int, anchor_id: int) -> Follow | None:
    return db.session.scalar(
        select(Follow).where(Follow.user_id == user_id, Follow.anchor_id == anchor_id)
    )


def unfollow(user: User, target: Anchored | Anchor) -> bool:
    """Stop following; returns False when ``user`` was not following."""
    anchor_id = _anchor_id(target)
    result = db.session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.anchor_id == anchor_id)
    )
    return bool(result.rowcount)


def is_following(user: Any, target: Anchored | Anchor) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return _find_follow(user.id, _anchor_id(target)) is not None


def followers(target: Anchored | Anchor) -> list[User]:
    anchor_id = _anchor_id(target)
    return list(
        db.session.scalars(
            select(User)
            .join(Follow, Follow.user_id == User.id)
            .where(Follow.anchor_id == anchor_id)
            .order_by(User.id)
        )
    )


def follower_count(target: Anchored | Anchor) -> int:
    anchor_id = _anchor_id(target)
    return db.session.scalar(select(func.count()).where(Follow.anchor_id == anchor_id)) or 0


# --- notifying -------------------------------------------------------------------------------


def notify(
    target: Anchored,
    event: str,
    actor: User | None,
    message: str,
    *,
    source: Anchored | None = None,
) -> list[Notification]:
    """Notify everyone who follows ``target`` (but not ``actor``) that ``event`` happened.

    ``message`` is plain text (never HTML). For "status_changed" and "official_response" the
    followers of the target's consultation hear about it too. ``source`` is the content that
    caused the event (a new comment, say): if it is hidden later, its text is no longer shown.
    Flushes, never commits; e-mails leave after the caller's commit.
    """
    anchor_ids = {_anchor_id(target)}
    if event in CONSULTATION_WIDE_EVENTS:
        consultation = target.anchor_consultation()
        if consultation is not None:
            anchor_ids.add(_anchor_id(consultation))
    stmt = select(Follow.user_id).where(Follow.anchor_id.in_(anchor_ids)).distinct()
    if actor is not None and actor.id is not None:
        stmt = stmt.where(Follow.user_id != actor.id)
    user_ids = sorted(set(db.session.scalars(stmt)))
    if not user_ids:
        return []
    source_anchor_id = _anchor_id(source) if source is not None else None
    now = utcnow()
    rows = [
        Notification(
            user_id=user_id,
            anchor_id=_anchor_id(target),
            source_anchor_id=source_anchor_id,
            event=event[:40],
            actor_id=actor.id if actor is not None else None,
            message=(message or "")[:500],
            created_at=now,
        )
        for user_id in user_ids
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).extend(row.id for row in rows)
    return rows


READY_KEY = "portal_ready_notification_ids"


def _after_commit(session: Session) -> None:
    """The transaction with the notifications committed: their e-mails may go."""
    ids = session.info.pop(PENDING_KEY, None)
    if ids:
        session.info.setdefault(READY_KEY, []).extend(ids)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    """Queue the e-mails once the outermost transaction is over and the session usable again
    (a job that runs in-process may then read through any session)."""
    if transaction.parent is not None:
        return
    ids = session.info.pop(READY_KEY, None)
    if not ids or not has_app_context():
        return
    from portal.core.jobs import enqueue

    try:
        enqueue(send_immediate, list(ids))
    except Exception:  # the commit has happened: never turn it into an error page
        log.exception("Could not queue notification e-mails %s", ids)


# --- moderation notices ----------------------------------------------------------------------


def notify_author_of_hidden(
    action: ModerationAction, target: Anchored | None = None, **_: Any
) -> Notification | None:
    """Tell the author in-app that a moderator hid their content (``action`` is the "hide"
    decision). Connected to :data:`portal.moderation.services.content_hidden`, so it runs
    inside the hide's transaction: flushed with it, committed or rolled back with it.

    A service message, not a follow: it cannot be turned off. The statement of reasons it
    points to is owed to the author whatever they chose (the moderation e-mail is sent
    regardless of the notification e-mail preference, and so is this). It is never e-mailed
    from here (``emailed_at`` is set): that statement e-mail already went out, and a second
    one (immediate or in a digest) would only repeat it.
    """
    if action.author_id is None or action.anchor_id is None:
        return None
    author = db.session.get(User, action.author_id)
    if author is None or author.deleted_at is not None:
        return None
    from portal.moderation.services import reason_label

    # Written in the author's language (not the moderator's, whose request this is).
    with force_locale(author.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = str(
            _l(
                "Reason: %(reason)s. Open the statement of reasons to read the moderator's "
                "explanation and, if you think the decision is wrong, to appeal.",
                reason=reason_label(action.reason),
            )
        )
    row = Notification(
        user_id=author.id,
        anchor_id=action.anchor_id,
        event=MODERATION_HIDDEN,
        actor_id=None,  # moderators are not named to authors (the decision page does not either)
        message=message[:500],
        created_at=action.created_at,  # how the notice finds its decision (_decisions_for)
        emailed_at=action.created_at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _decisions_for(
    notifications: list[Notification], session: Session
) -> dict[int, ModerationAction]:
    """The "hide" decision each moderation notice is about, by notification id: the author's
    latest one on that content not after the notice (one query, only when there are any)."""
    notices = [n for n in notifications if n.event == MODERATION_HIDDEN]
    if not notices:
        return {}
    actions = session.scalars(
        select(ModerationAction)
        .where(
            ModerationAction.action == "hide",
            ModerationAction.anchor_id.in_({n.anchor_id for n in notices}),
            ModerationAction.author_id.in_({n.user_id for n in notices}),
        )
        .order_by(ModerationAction.created_at, ModerationAction.id)
    ).all()
    found: dict[int, ModerationAction] = {}
    for notice in notices:
        for action in actions:
            if (
                action.anchor_id == notice.anchor_id
                and action.author_id == notice.user_id
                and action.created_at <= notice.created_at
            ):
                found[notice.id] = action  # ordered: the last match is the latest
    return found


# --- reading ---------------------------------------------------------------------------------


def _count_unread(user_id: Any) -> Any:
    return select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )


def unread_count(user: User) -> int:
    return db.session.scalar(_count_unread(user.id)) or 0


def unread_count_column(user: type[User]) -> Any:
    """The unread count as a column of a statement selecting ``user``: the log-in loader
    selects it with the person, so the count in every signed-in page's menu costs no
    statement of its own."""
    return _count_unread(user.id).scalar_subquery()


def list_notifications(
    user: User, limit: int, offset: int, unread_only: bool = False
) -> tuple[list[Notification], int]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.options(joinedload(Notification.actor), joinedload(Notification.anchor))
        .order_by(Notification.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def _source_visible(source: Anchored | None) -> bool:
    """Whether the content that caused a notification may still be shown. Its target is
    checked on its own, so only the source's own moderation state and deletion count here
    (no query per row)."""
    if source is None:
        return False
    return bool(getattr(source, "is_visible", True)) and not getattr(source, "is_deleted", False)


class NotificationView:
    """What a person may see of one notification (hidden content shows no text)."""

    def __init__(
        self,
        notification: Notification,
        targets: dict[int, Anchored],
        decisions: dict[int, ModerationAction] | None = None,
    ):
        self.notification = notification
        if notification.event == MODERATION_HIDDEN:
            self._moderation_notice(targets, (decisions or {}).get(notification.id))
            return
        target = targets.get(notification.anchor_id)
        source = (
            targets.get(notification.source_anchor_id) if notification.source_anchor_id else None
        )
        self.visible = target is not None and target.is_publicly_visible()
        source_ok = notification.source_anchor_id is None or _source_visible(source)
        self.target = target if self.visible else None
        self._title = target.anchor_title() if self.visible else None
        self.url = (
            (source.url() if source is not None and source_ok else None) if self.visible else None
        )
        if self.visible and self.url is None:
            self.url = target.url()
        self.message = notification.message if (self.visible and source_ok) else ""

    def _moderation_notice(self, targets: dict[int, Anchored], decision) -> None:
        """The author's notice about their own hidden content: shown to them although the
        content is hidden, linking to the statement of reasons (where they may appeal)."""
        target = targets.get(self.notification.anchor_id)
        self.visible = True
        self.target = None  # nothing public to link to
        if decision is not None:
            self._title = decision.title or None
            self.url = url_for("moderation.decision", action_id=decision.id)
        else:
            self._title = None
            self.url = url_for("moderation.my_decisions")
        if self._title is None and target is not None:
            self._title = target.anchor_title()
        self.message = self.notification.message

    # Computed when read, so that an e-mail gets them in its recipient's language.
    @property
    def title(self) -> str:
        return self._title if self._title is not None else str(_l("Content no longer available"))

    @property
    def headline(self) -> str:
        return event_headline(self.notification, self.title)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.notification, name)


def views_for(notifications: list[Notification], session: Session | None = None) -> list:
    session = session or db.session
    anchor_ids: list[int | None] = []
    for n in notifications:
        anchor_ids += [n.anchor_id, n.source_anchor_id]
    targets = load_targets(session, anchor_ids)
    decisions = _decisions_for(notifications, session)
    return [NotificationView(n, targets, decisions) for n in notifications]


def event_headline(notification: Notification, title: str) -> str:
    actor = notification.actor.public_name if notification.actor else str(_l("Someone"))
    event = notification.event
    if event == "comment_posted":
        return str(_l("%(actor)s commented on “%(title)s”", actor=actor, title=title))
    if event == "status_changed":
        return str(_l("The status of “%(title)s” has changed", title=title))
    if event == "official_response":
        return str(_l("“%(title)s” has received an official response", title=title))
    if event == MODERATION_HIDDEN:
        return str(_l("The moderators have hidden your contribution “%(title)s”", title=title))
    return str(_l("News about “%(title)s”", title=title))


def get_notification(user: User, notification_id: int) -> Notification:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    return row


def mark_read(user: User, notification_id: int) -> Notification:
    """Raises NotFound for someone else's notification."""
    row = get_notification(user, notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
    db.session.flush()
    return row


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- preferences and unsubscribing -----------------------------------------------------------


def get_frequency(user: User) -> str:
    value = db.session.scalar(
        select(NotificationPreference.email_frequency).where(
            NotificationPreference.user_id == user.id
        )
    )
    return value or IMMEDIATELY


def set_frequency(user: User, frequency: str) -> NotificationPreference:
    """Raises ValidationFailed for an unknown frequency."""
    if frequency not in FREQUENCIES:
        raise ValidationFailed(fields={"email_frequency": str(_l("Choose one of the options."))})
    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id, email_frequency=frequency)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            row = db.session.get(NotificationPreference, user.id)
            if row is None:
                raise
    row.email_frequency = frequency
    db.session.flush()
    return row


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications-unsubscribe")


def unsubscribe_token(user: User) -> str:
    """A signed token that stops notification e-mails to ``user`` (does not expire)."""
    return _unsubscribe_serializer().dumps({"uid": user.id})


def user_for_unsubscribe(token: str) -> User:
    """Raises InvalidUnsubscribeLink."""
    try:
        payload = _unsubscribe_serializer().loads(token)
    except BadSignature as exc:
        raise InvalidUnsubscribeLink() from exc
    uid = payload.get("uid") if isinstance(payload, dict) else None
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or user.deleted_at is not None:
        raise InvalidUnsubscribeLink()
    return user


def unsubscribe(token: str) -> User:
    user = user_for_unsubscribe(token)
    set_frequency(user, NEVER)
    return user


# --- e-mail ----------------------------------------------------------------------------------


def _mailable(user: User) -> bool:
    return (
        user.deleted_at is None and user.blocked_at is None and user.email_confirmed_at is not None
    )


def _claim(session: Session, ids: list[int]) -> list[Notification]:
    """Mark these notifications e-mailed (only those nobody else claimed) and return them."""
    if not ids:
        return []
    now = utcnow()
    claimed: list[int] = []
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            update(Notification)
            .where(Notification.id.in_(chunk), Notification.emailed_at.is_(None))
            .values(emailed_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).scalars()
        claimed += list(rows)
    session.commit()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(claimed))
            .options(joinedload(Notification.user), joinedload(Notification.actor))
            .order_by(Notification.id)
        )
    )


def _frequencies(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.email_frequency).where(
            NotificationPreference.user_id.in_(ids)
        )
    ).all()
    return {uid: freq for uid, freq in rows}


def send_immediate(ids: list[int]) -> int:
    """Job: e-mail these notifications to people who want e-mails immediately.

    Runs in its own session (it may run inside the commit hook of the request's session).
    Returns how many e-mails were sent.
    """
    from portal.notifications.emails import mail_context

    with mail_context(), Session(db.engine) as session:
        rows = session.execute(
            select(Notification.id, Notification.user_id).where(
                Notification.id.in_(ids), Notification.emailed_at.is_(None)
            )
        ).all()
        frequencies = _frequencies(session, (uid for _, uid in rows))
        wanted = [nid for nid, uid in rows if frequencies.get(uid, IMMEDIATELY) == IMMEDIATELY]
        claimed = _claim(session, wanted)
        sent = 0
        views = views_for(claimed, session)
        for view in views:
            if not _mailable(view.notification.user) or not view.visible:
                continue
            if _send(view.notification.user, [view]):
                sent += 1
            else:
                session.execute(
                    update(Notification)
                    .where(Notification.id == view.notification.id)
                    .values(emailed_at=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
        return sent


def send_digests(now: Any = None) -> int:
    """E-mail each person who wants a digest one message with their unsent notifications.

    Also retries immediate e-mails that could not be sent within an hour. Returns the number
    of e-mails sent.
    """
    from portal.notifications.emails import mail_context

    now = now or utcnow()
    with mail_context(), Session(db.engine) as session:
        rows = session.execute(
            select(Notification.id, Notification.user_id, Notification.created_at).where(
                Notification.emailed_at.is_(None)
            )
        ).all()
        frequencies = _frequencies(session, (uid for _, uid, _c in rows))
        wanted = []
        for nid, uid, created_at in rows:
            frequency = frequencies.get(uid, IMMEDIATELY)
            if frequency == DAILY or (frequency == IMMEDIATELY and created_at <= now - RETRY_AFTER):
                wanted.append(nid)
        claimed = _claim(session, wanted)
        by_user: dict[int, list] = defaultdict(list)
        for view in views_for(claimed, session):
            if view.visible:
                by_user[view.notification.user_id].append(view)
        sent = 0
        for views in by_user.values():
            user = views[0].notification.user
            if not _mailable(user):
                continue
            if _send(user, views):
                sent += 1
            else:
                session.execute(
                    update(Notification)
                    .where(Notification.id.in_([v.notification.id for v in views]))
                    .values(emailed_at=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
        return sent


def _send(user: User, views: list) -> bool:
    """Write and send one e-mail (one notification, or a digest) in the person's language."""
    from portal.notifications.emails import send_notification_email

    try:
        send_notification_email(user, views)
    except Exception:  # noqa: BLE001 - an unreachable mail server must not lose the rest
        log.exception("Could not e-mail notifications to user %s", user.id)
        return False
    return True
