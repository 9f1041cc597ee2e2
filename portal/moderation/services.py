"""Moderation rules, shared by the HTML views, the API and the CLI.

Services take plain values, flush but never commit, and raise PortalError subclasses. They work
on any content that mixes in :class:`~portal.core.anchors.Anchored` and
:class:`~portal.moderation.visibility.Moderated` (ideas, comments, budget projects ...), and on
people's public profiles. E-mails (statements of reasons, outcomes) wait in ``session.info`` and
leave only once the transaction has committed.

Other capabilities call :func:`screen_new_post` when they create content.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from blinker import Namespace
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User, UserRole, new_session_token
from portal.core.anchors import ANCHORED_CLASSES, Anchored, load_targets
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.html import count_links
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.moderation.models import (
    PUBLIC_ACTIONS,
    REASONS,
    Appeal,
    BlockedContent,
    BlocklistEntry,
    ModerationAction,
    ModerationCase,
    ModerationSettings,
    ModeratorNote,
    Report,
)
from portal.moderation.visibility import HIDDEN, PENDING, PUBLISHED, Moderated

log = logging.getLogger(__name__)

REPORTABLE_KINDS = ("idea", "comment", "project")
USER_KIND = "user"
TARGET_KINDS = (*REPORTABLE_KINDS, USER_KIND)
DETAIL_MAX = 1000
NOTE_MAX = 2000
BLOCK_REASON_MAX = 500
APPEAL_MIN = 10
APPEAL_MAX = 2000
PATTERN_MAX = 200
SNAPSHOT_MAX = 20_000
OUTBOX_KEY = "portal_moderation_outbox"
HELD_KEY = "portal_moderation_held_reasons"
STAFF_ROLES = ("moderator", "planner", "admin")

_signals = Namespace()
# Sent by :func:`hide` inside its transaction, with the decision (a ModerationAction whose
# ``author_id`` is set) as sender and the hidden content as ``target``. Receivers write through
# the same session, so what they write commits or rolls back with the hide. The notifications
# capability connects the author's in-app notice here: moderation must not import it, since
# dependencies point the other way (notifications builds on moderation).
content_hidden = _signals.signal("portal.moderation.content-hidden")

REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive, hateful or threatening"),
    "personal_data": _l("Shares someone's personal data"),
    "off_topic": _l("Does not belong here (off topic)"),
    "other": _l("Other"),
    "reports": _l("Reported by several people, waiting for review"),
    "blocked": _l("The author's account was blocked"),
    "premoderation": _l("Waiting for pre-moderation"),
}
ACTION_LABELS = {
    "auto_hide": _l("Hidden automatically after reports"),
    "held": _l("Held for pre-moderation"),
    "hide": _l("Hidden by a moderator"),
    "restore": _l("Restored"),
    "dismiss": _l("Reports dismissed"),
    "block": _l("Account blocked"),
    "unblock": _l("Account unblocked"),
    "block_hide": _l("Hidden with its blocked author"),
    "unblock_restore": _l("Restored with its unblocked author"),
    "appeal": _l("Appeal received"),
    "appeal_upheld": _l("Appeal upheld: restored"),
    "appeal_rejected": _l("Appeal rejected: stays hidden"),
    "note": _l("Note"),
    "blocklist_add": _l("Blocklist entry added"),
    "blocklist_remove": _l("Blocklist entry removed"),
    "settings": _l("Settings changed"),
}
KIND_LABELS = {
    "idea": _l("an idea"),
    "comment": _l("a comment"),
    "project": _l("a budget project"),
    "user": _l("a profile"),
    "consultation": _l("a consultation"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def kind_label(code: str) -> str:
    return str(KIND_LABELS.get(code, code))


class AlreadyReported(PortalError):
    status = 409
    code = "already_reported"

    def default_message(self) -> str:
        return str(_l("You have already reported this. Thank you: the moderators will look at it."))


class AlreadyHidden(PortalError):
    status = 409
    code = "already_hidden"

    def default_message(self) -> str:
        return str(_l("This has already been hidden and is waiting for the moderators. Thank you."))


# --- content, generically ----------------------------------------------------------------


def moderated_classes() -> dict[str, type]:
    """Every kind of content that can be hidden (Anchored + Moderated)."""
    return {
        kind: cls
        for kind, cls in ANCHORED_CLASSES.items()
        if isinstance(cls, type) and issubclass(cls, Moderated)
    }


def author_id_of(target: Any) -> int | None:
    """The author of a piece of content, or None (content without an author, or a profile)."""
    if isinstance(target, User):
        return target.id
    value = getattr(target, "author_id", None)
    return value if isinstance(value, int) else None


def author_of(target: Any) -> User | None:
    if isinstance(target, User):
        return target
    author = getattr(target, "author", None)
    if isinstance(author, User):
        return author
    author_id = author_id_of(target)
    return db.session.get(User, author_id) if author_id else None


def content_title(target: Any) -> str:
    if isinstance(target, User):
        return target.public_name
    try:
        return (target.anchor_title() or "")[:300]
    except Exception:  # noqa: BLE001 - a broken title must not stop moderation
        log.exception("anchor_title failed for %r", target)
        return ""


def content_text(target: Any) -> str:
    """The text a person wrote (body, description or summary), as stored."""
    if isinstance(target, User):
        return target.public_name
    for name in ("body", "description", "summary"):
        value = getattr(target, name, None)
        if isinstance(value, str) and value:
            return value[:SNAPSHOT_MAX]
    return ""


def consultation_id_of(target: Any) -> int | None:
    if isinstance(target, User):
        return None
    try:
        consultation = target.anchor_consultation()
    except Exception:  # noqa: BLE001
        log.exception("anchor_consultation failed for %r", target)
        return None
    return consultation.id if consultation is not None else None


def kind_of(target: Any) -> str:
    return USER_KIND if isinstance(target, User) else type(target).anchor_kind


def load_target(kind: str, target_id: Any) -> Any:
    """The reportable content or person ``kind`` #``target_id``. Raises ValidationFailed for
    an unknown kind and NotFound when it does not exist."""
    if kind not in TARGET_KINDS:
        raise ValidationFailed(
            fields={"target": str(_l("Report an idea, a comment, a project or a user."))}
        )
    if isinstance(target_id, bool) or not isinstance(target_id, int) or target_id < 1:
        try:
            target_id = int(str(target_id))
        except ValueError:
            raise ValidationFailed(fields={"id": str(_l("Give a whole number."))}) from None
        if target_id < 1:
            raise NotFound()
    if target_id > 2**31 - 1:
        raise NotFound()
    if kind == USER_KIND:
        user = db.session.get(User, target_id)
        if user is None or user.deleted_at is not None:
            raise NotFound()
        return user
    cls = moderated_classes().get(kind)
    if cls is None:
        raise NotFound()
    target = db.session.get(cls, target_id)
    if target is None:
        raise NotFound()
    return target


def target_of_case(case: ModerationCase) -> Any:
    if case.reported_user_id is not None:
        return case.reported_user
    return case.anchor.target() if case.anchor is not None else None


# --- settings ----------------------------------------------------------------------------


def get_settings() -> ModerationSettings:
    """The settings row (an unsaved one with the defaults when nobody changed them)."""
    row = db.session.get(ModerationSettings, 1)
    if row is None:
        default = current_app.config.get("MODERATION_REPORT_THRESHOLD", 3)
        row = ModerationSettings(
            id=1,
            report_threshold=default,
            new_account_days=current_app.config.get("MODERATION_NEW_ACCOUNT_DAYS", 2),
            new_account_links=current_app.config.get("MODERATION_NEW_ACCOUNT_LINKS", 2),
        )
    return row


def _settings_row() -> ModerationSettings:
    row = db.session.get(ModerationSettings, 1)
    if row is not None:
        return row
    row = get_settings()
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(ModerationSettings, 1)
        if row is None:
            raise
    return row


def update_settings(
    admin: User, report_threshold: Any, new_account_days: Any, new_account_links: Any
) -> ModerationSettings:
    """Raises ValidationFailed for values out of range."""
    errors: dict[str, str] = {}
    values = {}
    for name, value, low, high in (
        ("report_threshold", report_threshold, 1, 100),
        ("new_account_days", new_account_days, 0, 365),
        ("new_account_links", new_account_links, 0, 100),
    ):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, bool) or not low <= number <= high:
            errors[name] = str(_l("Enter a whole number from %(a)d to %(b)d.", a=low, b=high))
        values[name] = number
    if errors:
        raise ValidationFailed(fields=errors)
    row = _settings_row()
    for name, number in values.items():
        setattr(row, name, number)
    _record(
        "settings",
        admin,
        reason=(
            f"threshold={values['report_threshold']} days={values['new_account_days']} "
            f"links={values['new_account_links']}"
        ),
    )
    db.session.flush()
    return row


# --- prevention: blocklist, links, pre-moderation ----------------------------------------


def _compiled(entry: BlocklistEntry) -> re.Pattern | None:
    try:
        if entry.is_regex:
            return re.compile(entry.pattern, re.IGNORECASE)
        return re.compile(r"(?<!\w)" + re.escape(entry.pattern) + r"(?!\w)", re.IGNORECASE)
    except re.error:
        return None


def blocklist_matches(text: str) -> list[str]:
    """The blocklist entries that ``text`` matches."""
    text = text or ""
    found = []
    for entry in db.session.scalars(select(BlocklistEntry).order_by(BlocklistEntry.id)):
        pattern = _compiled(entry)
        if pattern is not None and pattern.search(text):
            found.append(entry.pattern)
    return found


def add_blocklist_entry(admin: User, pattern: str, is_regex: bool = False) -> BlocklistEntry:
    """Raises ValidationFailed (empty, too long, invalid pattern) or Conflict (listed)."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise ValidationFailed(fields={"pattern": str(_l("Enter a word or a pattern."))})
    if len(pattern) > PATTERN_MAX:
        raise ValidationFailed(
            fields={"pattern": str(_l("At most %(n)d characters.", n=PATTERN_MAX))}
        )
    if is_regex:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValidationFailed(
                fields={"pattern": str(_l("This pattern is not valid: %(e)s", e=str(exc)))}
            ) from None
        if compiled.search(""):
            raise ValidationFailed(fields={"pattern": str(_l("This pattern matches every text."))})
    else:
        pattern = pattern.lower()
    exists = db.session.scalar(
        select(BlocklistEntry.id).where(
            BlocklistEntry.pattern == pattern, BlocklistEntry.is_regex == bool(is_regex)
        )
    )
    if exists is not None:
        raise Conflict(str(_l("This is already on the blocklist.")))
    entry = BlocklistEntry(pattern=pattern, is_regex=bool(is_regex), created_by_id=admin.id)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise Conflict(str(_l("This is already on the blocklist."))) from None
    _record("blocklist_add", admin, reason=pattern[:500])
    return entry


def remove_blocklist_entry(admin: User, entry_id: int) -> None:
    entry = db.session.get(BlocklistEntry, entry_id)
    if entry is None:
        raise NotFound()
    _record("blocklist_remove", admin, reason=entry.pattern[:500])
    db.session.delete(entry)
    db.session.flush()


def list_blocklist() -> list[BlocklistEntry]:
    return list(db.session.scalars(select(BlocklistEntry).order_by(BlocklistEntry.pattern)))


def is_staff(user: Any) -> bool:
    return any(has_role(user, role) for role in STAFF_ROLES)


def is_new_account(user: User, settings: ModerationSettings | None = None) -> bool:
    settings = settings or get_settings()
    if user.created_at is None:
        return True
    return utcnow() - user.created_at < timedelta(days=settings.new_account_days)


def has_published_content(user: User) -> bool:
    """Whether anything this person wrote is published (one query per kind of content)."""
    for cls in moderated_classes().values():
        if not hasattr(cls, "author_id"):
            continue
        found = db.session.scalar(
            select(cls.id)
            .where(cls.author_id == user.id, cls.moderation_state == PUBLISHED)
            .limit(1)
        )
        if found is not None:
            return True
    return False


@dataclass
class Screening:
    state: str
    reasons: list[str] = field(default_factory=list)


def screen(author: User, consultation: Any, text: str) -> Screening:
    """Decide whether a new post is published or waits for pre-moderation, and why."""
    if is_staff(author):
        return Screening(PUBLISHED)
    settings = get_settings()
    reasons: list[str] = []
    matches = blocklist_matches(text)
    if matches:
        reasons.append("blocklist: " + ", ".join(matches))
    if is_new_account(author, settings) and count_links(text) > settings.new_account_links:
        reasons.append(f"links: {count_links(text)} from a new account")
    if (
        consultation is not None
        and getattr(consultation, "premoderate_new_accounts", False)
        and not has_published_content(author)
    ):
        reasons.append("first post of a new account")
    return Screening(PENDING if reasons else PUBLISHED, reasons)


def screen_new_post(author: User, consultation: Any, text: str) -> str:
    """The moderation_state a new idea or comment should get: "published" or "pending".

    "pending" when the text matches the admins' blocklist, when a new account posts more links
    than allowed, or when the consultation pre-moderates the first posts of new accounts.
    Content created "pending" goes to the moderators' queue by itself (with these reasons).
    """
    result = screen(author, consultation, text)
    if result.state == PENDING and author is not None and author.id is not None:
        db.session.info.setdefault(HELD_KEY, {})[author.id] = "; ".join(result.reasons)
    return result.state


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Queue content created (or set) "pending" by anyone: pre-moderation needs a case."""
    candidates = []
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Moderated) or not isinstance(obj, Anchored):
            continue
        if obj.moderation_state != PENDING or obj.hidden_reason in ("reports",):
            continue
        history = inspect(obj).attrs.moderation_state.history
        if obj in session.new or history.added:
            candidates.append(obj)
    if not candidates:
        return
    reasons: dict = session.info.get(HELD_KEY, {})
    with session.no_autoflush:
        for obj in candidates:
            existing = None
            if obj.anchor_id is not None:
                existing = session.scalar(
                    select(ModerationCase).where(ModerationCase.anchor_id == obj.anchor_id)
                )
            author_id = author_id_of(obj)
            why = reasons.pop(author_id, "") if author_id else ""
            case = existing or ModerationCase(
                anchor=obj.anchor,
                kind=type(obj).anchor_kind,
                author_id=author_id,
                consultation_id=consultation_id_of(obj),
            )
            case.title = content_title(obj)
            if case.status != "open":
                case.opened_at = utcnow()
            case.status = "open"
            case.held = True
            case.held_reason = (why or str(_l("pre-moderation")))[:200]
            if existing is None:
                session.add(case)
            now = utcnow()
            session.add(
                ModerationAction(
                    action="held",
                    case=case,
                    anchor=obj.anchor,
                    author_id=author_id,
                    consultation_id=case.consultation_id,
                    kind=case.kind,
                    title=content_title(obj),
                    reason=case.held_reason,
                    created_at=now,
                    week_start=week_of(now),
                )
            )


# --- the audit log -----------------------------------------------------------------------


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _record(
    action: str,
    moderator: User | None,
    *,
    case: ModerationCase | None = None,
    target: Any = None,
    reason: str = "",
    note: str = "",
) -> ModerationAction:
    now = utcnow()
    row = ModerationAction(
        action=action,
        moderator_id=moderator.id if moderator is not None else None,
        case_id=case.id if case is not None else None,
        reason=(reason or "")[:500],
        note=note or "",
        created_at=now,
        week_start=week_of(now),
    )
    if target is not None:
        row.kind = kind_of(target)
        row.title = content_title(target)
        row.author_id = author_id_of(target)
        if isinstance(target, User):
            row.target_user_id = target.id
        else:
            row.anchor_id = target.anchor_id
            row.consultation_id = consultation_id_of(target)
    db.session.add(row)
    db.session.flush()
    return row


# --- cases -------------------------------------------------------------------------------


def _case_filter(target: Any):
    if isinstance(target, User):
        return ModerationCase.reported_user_id == target.id
    return ModerationCase.anchor_id == target.anchor_id


def find_case(target: Any) -> ModerationCase | None:
    return db.session.scalar(select(ModerationCase).where(_case_filter(target)))


def _locked_case(target: Any) -> ModerationCase:
    """The item's case (created when missing), locked for the rest of the transaction so that
    concurrent reports and decisions on the same item happen one after the other."""
    db.session.flush()
    case = find_case(target)
    if case is None:
        case = ModerationCase(
            kind=kind_of(target),
            title=content_title(target),
            author_id=author_id_of(target),
            consultation_id=consultation_id_of(target),
            status="closed",
            opened_at=utcnow(),
        )
        if isinstance(target, User):
            case.reported_user_id = target.id
        else:
            case.anchor_id = target.anchor_id
        try:
            with db.session.begin_nested():
                db.session.add(case)
        except IntegrityError:  # a concurrent request created it first
            case = find_case(target)
            if case is None:
                raise
    # A write first: on PostgreSQL it locks the row (like SELECT ... FOR UPDATE); on SQLite it
    # takes the database's write lock, so what is read next cannot change under us.
    db.session.execute(
        update(ModerationCase)
        .where(ModerationCase.id == case.id)
        .values(report_count=ModerationCase.report_count)
        .execution_options(synchronize_session=False)
    )
    locked = db.session.scalar(
        select(ModerationCase)
        .where(ModerationCase.id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if isinstance(target, Moderated):  # re-read the state under the lock
        db.session.refresh(target, ["moderation_state", "hidden_reason", "hidden_at"])
    return locked or case


def get_case(case_id: int) -> ModerationCase:
    case = db.session.get(ModerationCase, case_id)
    if case is None:
        raise NotFound()
    return case


def _close_reports(case: ModerationCase, status: str) -> int:
    result = db.session.execute(
        update(Report)
        .where(Report.case_id == case.id, Report.status == "open")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    case.report_count = 0
    return result.rowcount or 0


def _close_case(case: ModerationCase, report_status: str) -> None:
    _close_reports(case, report_status)
    case.held = False
    case.held_reason = ""
    case.status = "closed"


def _set_state(target: Any, state: str, reason: str | None) -> None:
    target.moderation_state = state
    if state == PUBLISHED:
        target.hidden_at = None
        target.hidden_reason = None
    else:
        target.hidden_at = utcnow()
        target.hidden_reason = reason


def _check_not_own(moderator: User, target: Any) -> None:
    if author_id_of(target) == moderator.id:
        raise Forbidden(str(_l("You cannot moderate your own content or account.")))


# --- reports -----------------------------------------------------------------------------


def _clean_reason(reason: Any, field_name: str = "reason") -> str:
    if reason not in REASONS:
        raise ValidationFailed(fields={field_name: str(_l("Choose one of the reasons."))})
    return reason


def _clean_text(value: Any, limit: int, field_name: str, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(fields={field_name: str(_l("Write text here."))})
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(fields={field_name: str(_l("This is required."))})
    if len(text) > limit:
        raise ValidationFailed(fields={field_name: str(_l("At most %(n)d characters.", n=limit))})
    return text


def existing_report(reporter: Any, target: Any) -> Report | None:
    if not getattr(reporter, "is_authenticated", False) or target is None:
        return None
    stmt = select(Report).where(Report.reporter_id == reporter.id)
    if isinstance(target, User):
        stmt = stmt.where(Report.reported_user_id == target.id)
    else:
        stmt = stmt.where(Report.anchor_id == target.anchor_id)
    return db.session.scalar(stmt)


def check_reportable(reporter: User, target: Any) -> None:
    """Raises NotFound, Forbidden, AlreadyHidden or AlreadyReported."""
    if isinstance(target, User):
        if target.deleted_at is not None:
            raise NotFound()
        if target.id == reporter.id:
            raise Forbidden(str(_l("You cannot report yourself.")))
        if target.blocked_at is not None:
            raise AlreadyHidden(str(_l("This account has already been blocked. Thank you.")))
    else:
        if target.moderation_state != PUBLISHED:
            raise AlreadyHidden()
        if not target.is_publicly_visible():
            raise NotFound()
        if author_id_of(target) == reporter.id:
            raise Forbidden(str(_l("You cannot report your own contribution.")))
    if existing_report(reporter, target) is not None:
        raise AlreadyReported()


def report(reporter: User, target: Any, reason: Any, detail: Any = "") -> Report:
    """Report ``target`` (content or a person). One report per person and item; after the
    threshold of distinct reports, content is hidden pending review.

    Raises ValidationFailed (reason, detail), NotFound, Forbidden (own content, yourself),
    AlreadyHidden or AlreadyReported.
    """
    reason = _clean_reason(reason)
    detail = _clean_text(detail, DETAIL_MAX, "detail")
    if not getattr(reporter, "is_active", False):
        raise Forbidden()
    check_reportable(reporter, target)
    case = _locked_case(target)
    check_reportable(reporter, target)  # again, under the lock
    row = Report(
        case_id=case.id,
        reporter_id=reporter.id,
        reason=reason,
        detail=detail,
        snapshot_title=content_title(target),
        snapshot_text=content_text(target),
        created_at=utcnow(),
    )
    if isinstance(target, User):
        row.reported_user_id = target.id
    else:
        row.anchor_id = target.anchor_id
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent request by the same person
        raise AlreadyReported() from None
    if case.status != "open":
        case.status = "open"
        case.opened_at = utcnow()
    case.report_count = (case.report_count or 0) + 1
    case.author_id = author_id_of(target)
    case.title = row.snapshot_title
    if (
        isinstance(target, Moderated)
        and target.moderation_state == PUBLISHED
        and case.report_count >= get_settings().report_threshold
    ):
        _set_state(target, PENDING, "reports")
        _record(
            "auto_hide",
            None,
            case=case,
            target=target,
            reason="reports",
            note=str(case.report_count),
        )
    db.session.flush()
    return row


# --- decisions ---------------------------------------------------------------------------


def hide(moderator: User, target: Any, reason: Any, note: Any = "") -> ModerationAction:
    """Hide content with one of REASONS and a note for the author; the author receives a
    statement of reasons with a link to appeal. Raises ValidationFailed, Forbidden (own
    content) or Conflict (already hidden)."""
    reason = _clean_reason(reason)
    note = _clean_text(note, NOTE_MAX, "note")
    if not isinstance(target, Moderated):
        raise ValidationFailed(fields={"target": str(_l("Only content can be hidden."))})
    _check_not_own(moderator, target)
    case = _locked_case(target)
    if target.moderation_state == HIDDEN:
        raise Conflict(str(_l("This is already hidden.")))
    _set_state(target, HIDDEN, reason)
    _close_case(case, "upheld")
    db.session.execute(
        BlockedContent.__table__.delete().where(BlockedContent.anchor_id == target.anchor_id)
    )
    action = _record("hide", moderator, case=case, target=target, reason=reason, note=note)
    if action.author_id is not None:
        _queue_mail("statement", action.id)
        content_hidden.send(action, target=target)  # the author's in-app notice
    return action


def restore(moderator: User, target: Any, note: Any = "") -> ModerationAction:
    """Publish hidden or held content again (approving pre-moderated content too); open
    reports are dismissed. Raises Forbidden (own content) or Conflict (visible already, or an
    appeal waits: decide the appeal instead)."""
    note = _clean_text(note, NOTE_MAX, "note")
    if not isinstance(target, Moderated):
        raise ValidationFailed(fields={"target": str(_l("Only content can be restored."))})
    _check_not_own(moderator, target)
    case = _locked_case(target)
    if target.moderation_state == PUBLISHED:
        raise Conflict(str(_l("This is not hidden.")))
    pending = db.session.scalar(
        select(Appeal.id).where(Appeal.case_id == case.id, Appeal.status == "pending")
    )
    if pending is not None:
        raise Conflict(str(_l("An appeal is waiting: decide the appeal instead.")))
    was_hidden = target.moderation_state == HIDDEN
    _set_state(target, PUBLISHED, None)
    _close_case(case, "dismissed")
    db.session.execute(
        BlockedContent.__table__.delete().where(BlockedContent.anchor_id == target.anchor_id)
    )
    action = _record("restore", moderator, case=case, target=target, note=note)
    if was_hidden and action.author_id is not None:
        _queue_mail("restored", action.id)
    return action


def dismiss(moderator: User, case: ModerationCase, note: Any = "") -> ModerationAction:
    """The reports are unfounded: close them; content hidden only because of them comes back.
    Raises Forbidden (own content or profile) or Conflict (no open reports)."""
    note = _clean_text(note, NOTE_MAX, "note")
    target = target_of_case(case)
    if target is None:
        raise NotFound()
    _check_not_own(moderator, target)
    case = _locked_case(target)
    if case.report_count == 0:
        raise Conflict(str(_l("There are no open reports to dismiss.")))
    _close_reports(case, "dismissed")
    if (
        isinstance(target, Moderated)
        and target.moderation_state == PENDING
        and target.hidden_reason == "reports"
    ):
        _set_state(target, PUBLISHED, None)
    if not case.held:
        case.status = "closed"
    return _record("dismiss", moderator, case=case, target=target, note=note)


def add_note(moderator: User, case: ModerationCase, text: Any) -> ModeratorNote:
    text = _clean_text(text, NOTE_MAX, "text", required=True)
    note = ModeratorNote(case_id=case.id, author_id=moderator.id, text=text, created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    return note


def _content_by(user: User) -> list[Any]:
    items: list[Any] = []
    for cls in moderated_classes().values():
        if not hasattr(cls, "author_id"):
            continue
        items += list(
            db.session.scalars(
                select(cls).where(cls.author_id == user.id, cls.moderation_state != HIDDEN)
            )
        )
    return items


def block_user(moderator: User, user: User, reason: Any) -> ModerationAction:
    """Block a person: they cannot log in (their sessions end) and everything they wrote is
    hidden; unblocking restores exactly that. A reason is required.

    Raises ValidationFailed, NotFound (deleted account), Forbidden (yourself, or staff when
    you are not an admin) or Conflict (already blocked).
    """
    reason = _clean_text(reason, BLOCK_REASON_MAX, "reason", required=True)
    if user.deleted_at is not None:
        raise NotFound()
    if user.id == moderator.id:
        raise Forbidden(str(_l("You cannot block yourself.")))
    if (has_role(user, "moderator") or user.has_role("admin")) and not moderator.has_role("admin"):
        raise Forbidden(str(_l("Only an administrator can block a moderator.")))
    case = _locked_case(user)
    db.session.refresh(user, ["blocked_at"])
    if user.blocked_at is not None:
        raise Conflict(str(_l("This account is already blocked.")))
    user.blocked_at = utcnow()
    user.blocked_reason = reason
    user.session_token = new_session_token()  # ends every session at once
    _close_case(case, "upheld")
    action = _record("block", moderator, case=case, target=user, reason=reason)
    for item in _content_by(user):
        db.session.add(
            BlockedContent(
                user_id=user.id,
                anchor_id=item.anchor_id,
                previous_state=item.moderation_state,
                previous_reason=item.hidden_reason,
            )
        )
        _set_state(item, HIDDEN, "blocked")
        item_case = find_case(item)
        if item_case is not None and item_case.status == "open":
            _close_case(item_case, "upheld")
        _record("block_hide", moderator, case=item_case, target=item, reason="blocked")
    db.session.flush()
    _queue_mail("blocked", action.id)
    return action


def unblock_user(moderator: User, user: User, note: Any = "") -> ModerationAction:
    """Let the person log in again and restore what the block hid (and only that).
    Raises Conflict when the account is not blocked."""
    note = _clean_text(note, NOTE_MAX, "note")
    if user.deleted_at is not None:
        raise NotFound()
    case = _locked_case(user)
    db.session.refresh(user, ["blocked_at"])
    if user.blocked_at is None:
        raise Conflict(str(_l("This account is not blocked.")))
    user.blocked_at = None
    user.blocked_reason = None
    action = _record("unblock", moderator, case=case, target=user, note=note)
    rows = list(db.session.scalars(select(BlockedContent).where(BlockedContent.user_id == user.id)))
    targets = load_targets(db.session, [r.anchor_id for r in rows])
    for row in rows:
        item = targets.get(row.anchor_id)
        if item is not None and item.moderation_state == HIDDEN and item.hidden_reason == "blocked":
            _set_state(item, row.previous_state, row.previous_reason)
            _record("unblock_restore", moderator, case=find_case(item), target=item)
        db.session.delete(row)
    db.session.flush()
    return action


@dataclass
class BulkResult:
    done: list[ModerationAction] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (case id, why)


def bulk(
    moderator: User, case_ids: list[Any], action: str, reason: Any, note: Any = ""
) -> BulkResult:
    """Hide the content of many cases, or block their authors, in one transaction; items that
    cannot be handled are skipped with the reason. Raises ValidationFailed for bad input."""
    if action not in ("hide", "block"):
        raise ValidationFailed(fields={"action": str(_l("Choose hide or block."))})
    ids = []
    for value in case_ids or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(fields={"case_ids": str(_l("Choose items."))}) from None
        if number not in ids:
            ids.append(number)
    if not ids:
        raise ValidationFailed(fields={"case_ids": str(_l("Choose at least one item."))})
    if len(ids) > 200:
        raise ValidationFailed(fields={"case_ids": str(_l("At most 200 items at a time."))})
    if action == "hide":
        reason = _clean_reason(reason)
    else:
        reason = _clean_text(reason, BLOCK_REASON_MAX, "reason", required=True)
    note = _clean_text(note, NOTE_MAX, "note")
    result = BulkResult()
    blocked: set[int] = set()
    for case_id in ids:
        case = db.session.get(ModerationCase, case_id)
        if case is None:
            result.skipped.append((case_id, str(_l("Not found."))))
            continue
        try:
            with db.session.begin_nested():
                target = target_of_case(case)
                if target is None:
                    raise NotFound()
                if action == "hide":
                    result.done.append(hide(moderator, target, reason, note))
                else:
                    person = author_of(target)
                    if person is None:
                        raise NotFound(str(_l("This content has no author to block.")))
                    if person.id in blocked:
                        continue
                    result.done.append(block_user(moderator, person, reason))
                    blocked.add(person.id)
        except PortalError as exc:
            result.skipped.append((case_id, exc.message))
    return result


# --- appeals -----------------------------------------------------------------------------

APPEALABLE = ("hide",)
DECISIONS = ("hide", "restore", "appeal_upheld", "appeal_rejected")


def get_decision(user: User, action_id: int) -> ModerationAction:
    """A decision about ``user``'s content (else NotFound)."""
    action = db.session.get(ModerationAction, action_id)
    if action is None or action.author_id != user.id or action.action not in DECISIONS:
        raise NotFound()
    return action


def can_appeal(user: Any, action: ModerationAction) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and action.action in APPEALABLE
        and action.author_id == user.id
        and action.appeal is None
        and _still_hidden_by(action)
    )


def _still_hidden_by(action: ModerationAction) -> bool:
    """Whether the content is still hidden by this decision (no later decision)."""
    if action.anchor_id is None:
        return False
    later = db.session.scalar(
        select(ModerationAction.id).where(
            ModerationAction.anchor_id == action.anchor_id,
            ModerationAction.id > action.id,
            ModerationAction.action.in_(("restore", "hide", "appeal_upheld", "unblock_restore")),
        )
    )
    if later is not None:
        return False
    target = action.anchor.target() if action.anchor is not None else None
    return target is not None and target.moderation_state == HIDDEN


def appeal(user: User, action: ModerationAction, text: Any) -> Appeal:
    """The author appeals once against a decision. Raises NotFound (not theirs),
    ValidationFailed (text) or Conflict (appealed already, or no longer hidden)."""
    if action.author_id != user.id or action.action not in APPEALABLE:
        raise NotFound()
    text = _clean_text(text, APPEAL_MAX, "text", required=True)
    if len(text) < APPEAL_MIN:
        raise ValidationFailed(
            fields={"text": str(_l("Please explain in at least %(n)d characters.", n=APPEAL_MIN))}
        )
    if db.session.scalar(select(Appeal.id).where(Appeal.action_id == action.id)) is not None:
        raise Conflict(str(_l("You have already appealed against this decision.")))
    if not _still_hidden_by(action):
        raise Conflict(str(_l("This decision no longer applies: nothing to appeal.")))
    row = Appeal(
        action_id=action.id,
        case_id=action.case_id,
        appellant_id=user.id,
        text=text,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Conflict(str(_l("You have already appealed against this decision."))) from None
    target = action.anchor.target() if action.anchor is not None else None
    _record(
        "appeal",
        user,
        case=action.case,
        target=target if target is not None else None,
        reason=action.reason,
    )
    return row


def get_appeal(appeal_id: int) -> Appeal:
    row = db.session.get(Appeal, appeal_id)
    if row is None:
        raise NotFound()
    return row


def may_decide(moderator: Any, row: Appeal) -> str | None:
    """Why ``moderator`` may not decide this appeal, or None."""
    if row.appellant_id == getattr(moderator, "id", None):
        return str(_l("You cannot decide your own appeal."))
    if row.decision.moderator_id == getattr(moderator, "id", None):
        return str(_l("Another moderator must decide an appeal against your own decision."))
    return None


def decide_appeal(moderator: User, row: Appeal, outcome: Any, note: Any = "") -> ModerationAction:
    """Uphold (restore the content) or reject (it stays hidden) an appeal; the author is told.
    Raises ValidationFailed, Forbidden (your own appeal or decision) or Conflict (decided)."""
    if outcome not in ("upheld", "rejected"):
        raise ValidationFailed(fields={"outcome": str(_l("Choose uphold or reject."))})
    note = _clean_text(note, NOTE_MAX, "note")
    why_not = may_decide(moderator, row)
    if why_not:
        raise Forbidden(why_not)
    decision = row.decision
    target = decision.anchor.target() if decision.anchor is not None else None
    if target is None:
        raise NotFound()
    case = _locked_case(target)
    db.session.refresh(row, ["status"])
    if row.status != "pending":
        raise Conflict(str(_l("This appeal has already been decided.")))
    row.status = outcome
    row.decided_by_id = moderator.id
    row.decided_at = utcnow()
    row.decision_note = note
    if outcome == "upheld" and target.moderation_state != PUBLISHED:
        _set_state(target, PUBLISHED, None)
        _close_case(case, "dismissed")
    action = _record(
        "appeal_upheld" if outcome == "upheld" else "appeal_rejected",
        moderator,
        case=case,
        target=target,
        reason=decision.reason,
        note=note,
    )
    _queue_mail("appeal_outcome", action.id, row.id)
    return action


# --- reading: the queue ------------------------------------------------------------------


@dataclass
class AuthorHistory:
    hidden: int = 0
    restored: int = 0
    reported_items: int = 0
    blocked: bool = False
    member_since: datetime | None = None


@dataclass
class CaseView:
    case: ModerationCase
    target: Any
    reports: list[Report]
    history: AuthorHistory | None
    note_count: int = 0

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(r.reason for r in self.reports if r.status == "open")
        return counts.most_common()

    @property
    def snapshots(self) -> list[tuple[str, str]]:
        """The distinct versions of the content that people reported, oldest first."""
        seen: list[tuple[str, str]] = []
        for r in self.reports:
            pair = (r.snapshot_title, r.snapshot_text)
            if pair not in seen:
                seen.append(pair)
        return seen

    @property
    def current_text(self) -> str:
        return content_text(self.target) if self.target is not None else ""

    @property
    def current_title(self) -> str:
        return content_title(self.target) if self.target is not None else ""

    @property
    def display_title(self) -> str:
        """The title for lists (stored on the case: no query per row)."""
        return self.case.title or self.current_title

    @property
    def edited_since_report(self) -> bool:
        """Whether the text (or an own title) changed since the last report."""
        if self.target is None or not self.reports:
            return False
        title, text = self.snapshots[-1]
        own_title = getattr(self.target, "title", None)
        if isinstance(own_title, str) and own_title != title:
            return True
        return self.current_text != text

    @property
    def state(self) -> str:
        if self.case.reported_user_id is not None:
            user = self.case.reported_user
            return "blocked" if user is not None and user.blocked_at else "active"
        return getattr(self.target, "moderation_state", "gone")

    @property
    def author(self) -> User | None:
        return self.case.author


def author_histories(author_ids: Iterable[int | None]) -> dict[int, AuthorHistory]:
    """Each author's moderation history in two queries."""
    ids = {i for i in author_ids if i is not None}
    if not ids:
        return {}
    out = {i: AuthorHistory() for i in ids}
    rows = db.session.execute(
        select(ModerationAction.author_id, ModerationAction.action, func.count())
        .where(
            ModerationAction.author_id.in_(ids),
            ModerationAction.action.in_(("hide", "restore", "appeal_upheld")),
        )
        .group_by(ModerationAction.author_id, ModerationAction.action)
    ).all()
    for author_id, action, n in rows:
        if action == "hide":
            out[author_id].hidden += n
        else:
            out[author_id].restored += n
    for author_id, n in db.session.execute(
        select(ModerationCase.author_id, func.count())
        .where(ModerationCase.author_id.in_(ids), ModerationCase.anchor_id.is_not(None))
        .where(ModerationCase.id.in_(select(Report.case_id)))
        .group_by(ModerationCase.author_id)
    ).all():
        out[author_id].reported_items = n
    for user_id, blocked_at, created_at in db.session.execute(
        select(User.id, User.blocked_at, User.created_at).where(User.id.in_(ids))
    ).all():
        out[user_id].blocked = blocked_at is not None
        out[user_id].member_since = created_at
    return out


def _views(cases: list[ModerationCase], all_reports: bool = False) -> list[CaseView]:
    if not cases:
        return []
    ids = [c.id for c in cases]
    stmt = (
        select(Report)
        .where(Report.case_id.in_(ids))
        .options(joinedload(Report.reporter))
        .order_by(Report.id)
    )
    if not all_reports:
        stmt = stmt.where(Report.status == "open")
    reports: dict[int, list[Report]] = defaultdict(list)
    for r in db.session.scalars(stmt):
        reports[r.case_id].append(r)
    targets = load_targets(db.session, [c.anchor_id for c in cases])
    histories = author_histories(c.author_id for c in cases)
    notes = dict(
        db.session.execute(
            select(ModeratorNote.case_id, func.count())
            .where(ModeratorNote.case_id.in_(ids))
            .group_by(ModeratorNote.case_id)
        ).all()
    )
    views = []
    for c in cases:
        target = c.reported_user if c.reported_user_id is not None else targets.get(c.anchor_id)
        views.append(
            CaseView(
                case=c,
                target=target,
                reports=reports.get(c.id, []),
                history=histories.get(c.author_id) if c.author_id else None,
                note_count=notes.get(c.id, 0),
            )
        )
    return views


def queue(limit: int = 20, offset: int = 0, kind: str | None = None) -> tuple[list[CaseView], int]:
    """Open cases, most reported first, then oldest first; a fixed number of queries."""
    where = [ModerationCase.status == "open"]
    if kind in TARGET_KINDS:
        where.append(ModerationCase.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(ModerationCase).where(*where)) or 0
    cases = list(
        db.session.scalars(
            select(ModerationCase)
            .where(*where)
            .options(joinedload(ModerationCase.author), joinedload(ModerationCase.reported_user))
            .order_by(
                ModerationCase.report_count.desc(),
                ModerationCase.opened_at,
                ModerationCase.id,
            )
            .limit(limit)
            .offset(offset)
        )
    )
    return _views(cases), total


def case_view(case: ModerationCase) -> CaseView:
    return _views([case], all_reports=True)[0]


def case_notes(case: ModerationCase) -> list[ModeratorNote]:
    return list(
        db.session.scalars(
            select(ModeratorNote)
            .where(ModeratorNote.case_id == case.id)
            .options(joinedload(ModeratorNote.author))
            .order_by(ModeratorNote.id)
        )
    )


def case_actions(case: ModerationCase) -> list[ModerationAction]:
    return list(
        db.session.scalars(
            select(ModerationAction)
            .where(ModerationAction.case_id == case.id)
            .options(joinedload(ModerationAction.moderator))
            .order_by(ModerationAction.id)
        )
    )


def pending_appeals(limit: int = 50, offset: int = 0) -> tuple[list[Appeal], int]:
    where = Appeal.status == "pending"
    total = db.session.scalar(select(func.count()).select_from(Appeal).where(where)) or 0
    rows = list(
        db.session.scalars(
            select(Appeal)
            .where(where)
            .options(
                joinedload(Appeal.decision).joinedload(ModerationAction.moderator),
                joinedload(Appeal.appellant),
            )
            .order_by(Appeal.created_at, Appeal.id)
            .limit(limit)
            .offset(offset)
        )
    )
    return rows, total


def appeals_for_case(case: ModerationCase) -> list[Appeal]:
    return list(
        db.session.scalars(
            select(Appeal)
            .where(Appeal.case_id == case.id)
            .options(joinedload(Appeal.decision), joinedload(Appeal.appellant))
            .order_by(Appeal.id)
        )
    )


def blocked_users(limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    where = User.blocked_at.is_not(None), User.deleted_at.is_(None)
    total = db.session.scalar(select(func.count()).select_from(User).where(*where)) or 0
    rows = list(
        db.session.scalars(
            select(User).where(*where).order_by(User.blocked_at.desc()).limit(limit).offset(offset)
        )
    )
    return rows, total


# --- reading: the author's decisions, the audit log, the public log ----------------------


def my_decisions(user: User, limit: int = 50, offset: int = 0):
    where = (
        ModerationAction.author_id == user.id,
        ModerationAction.action.in_(DECISIONS),
    )
    total = db.session.scalar(select(func.count()).select_from(ModerationAction).where(*where))
    rows = list(
        db.session.scalars(
            select(ModerationAction)
            .where(*where)
            .options(joinedload(ModerationAction.appeal))
            .order_by(ModerationAction.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return rows, total or 0


def audit_log(
    limit: int = 50,
    offset: int = 0,
    action: str | None = None,
    moderator_id: int | None = None,
) -> tuple[list[ModerationAction], int]:
    where = []
    if action:
        where.append(ModerationAction.action == action)
    if moderator_id:
        where.append(ModerationAction.moderator_id == moderator_id)
    total = db.session.scalar(select(func.count()).select_from(ModerationAction).where(*where))
    rows = list(
        db.session.scalars(
            select(ModerationAction)
            .where(*where)
            .options(
                joinedload(ModerationAction.moderator),
                joinedload(ModerationAction.author),
                joinedload(ModerationAction.target_user),
            )
            .order_by(ModerationAction.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return rows, total or 0


def person_actions(user: User, limit: int = 50) -> list[ModerationAction]:
    """The latest decisions about a person and their content (for moderators)."""
    return list(
        db.session.scalars(
            select(ModerationAction)
            .where(
                (ModerationAction.author_id == user.id)
                | (ModerationAction.target_user_id == user.id)
            )
            .options(joinedload(ModerationAction.moderator))
            .order_by(ModerationAction.id.desc())
            .limit(limit)
        )
    )


@dataclass
class PublicLog:
    entries: list[dict]
    total: int
    weeks: list[dict]  # {"week": date, "counts": {reason: n}, "total": n}
    reasons: list[str]


def public_log(consultation: Any, limit: int = 50, offset: int = 0) -> PublicLog:
    """What moderators did in a consultation, without the content: each action (kind, date,
    reason) and the number of items hidden per reason and week."""
    where = (
        ModerationAction.consultation_id == consultation.id,
        ModerationAction.action.in_(PUBLIC_ACTIONS),
    )
    total = db.session.scalar(select(func.count()).select_from(ModerationAction).where(*where))
    rows = db.session.execute(
        select(
            ModerationAction.action,
            ModerationAction.kind,
            ModerationAction.reason,
            ModerationAction.created_at,
            ModerationAction.moderator_id,
        )
        .where(*where)
        .order_by(ModerationAction.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    entries = [
        {
            "action": a,
            "action_label": action_label(a),
            "kind": k,
            "kind_label": kind_label(k),
            "reason": r if r in REASON_LABELS else "",
            "reason_label": reason_label(r) if r in REASON_LABELS else "",
            "at": at,
            "by": "portal" if m is None else "moderator",
        }
        for a, k, r, at, m in rows
    ]
    hidden_actions = ("auto_hide", "hide", "block_hide")
    counts = db.session.execute(
        select(ModerationAction.week_start, ModerationAction.reason, func.count())
        .where(
            ModerationAction.consultation_id == consultation.id,
            ModerationAction.action.in_(hidden_actions),
        )
        .group_by(ModerationAction.week_start, ModerationAction.reason)
        .order_by(ModerationAction.week_start.desc())
    ).all()
    weeks: dict[date, dict[str, int]] = {}
    reasons_seen: list[str] = []
    for week, reason, n in counts:
        reason = reason if reason in REASON_LABELS else "other"
        weeks.setdefault(week, defaultdict(int))[reason] += n
        if reason not in reasons_seen:
            reasons_seen.append(reason)
    ordered = [r for r in (*REASONS, "reports", "blocked") if r in reasons_seen]
    return PublicLog(
        entries=entries,
        total=total or 0,
        weeks=[
            {"week": w, "counts": dict(c), "total": sum(c.values())}
            for w, c in sorted(weeks.items(), reverse=True)
        ],
        reasons=ordered,
    )


# --- e-mail after commit -----------------------------------------------------------------


def _queue_mail(kind: str, *ids: int) -> None:
    db.session.info.setdefault(OUTBOX_KEY, []).append((kind, *ids))


def _after_commit(session: Session) -> None:
    session.info.pop(HELD_KEY, None)
    items = session.info.pop(OUTBOX_KEY, None)
    if not items or not has_app_context():
        return
    from portal.core.jobs import enqueue
    from portal.moderation.emails import send_moderation_mail

    for item in items:
        try:
            enqueue(send_moderation_mail, *item)
        except Exception:  # noqa: BLE001 - the commit happened: never turn it into an error
            log.exception("Could not queue moderation e-mail %s", item)


def _after_rollback(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)
    session.info.pop(HELD_KEY, None)


# --- moderators' alerts ------------------------------------------------------------------


def moderators() -> list[User]:
    """Active, confirmed moderators and admins."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role.in_(("moderator", "admin")),
                User.blocked_at.is_(None),
                User.deleted_at.is_(None),
                User.email_confirmed_at.is_not(None),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def claim_alert_window(now: datetime | None = None) -> tuple[datetime | None, datetime] | None:
    """Move the alert watermark to ``now``; returns (since, until), or None when another run
    claimed the window at the same time. The caller commits before sending."""
    now = now or utcnow()
    row = _settings_row()
    db.session.flush()
    since = row.alerts_sent_until
    condition = (
        ModerationSettings.alerts_sent_until.is_(None)
        if since is None
        else ModerationSettings.alerts_sent_until == since
    )
    result = db.session.execute(
        update(ModerationSettings)
        .where(ModerationSettings.id == 1, condition)
        .values(alerts_sent_until=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return None
    db.session.expire(row)
    return since, now


def alert_items(since: datetime | None, until: datetime) -> tuple[list, list]:
    """Automatic hidings and appeals in the window (since, until]."""
    window = [ModerationAction.created_at <= until]
    if since is not None:
        window.append(ModerationAction.created_at > since)
    hidden = list(
        db.session.scalars(
            select(ModerationAction)
            .where(ModerationAction.action == "auto_hide", *window)
            .order_by(ModerationAction.id)
        )
    )
    appeal_window = [Appeal.created_at <= until]
    if since is not None:
        appeal_window.append(Appeal.created_at > since)
    appeals = list(
        db.session.scalars(
            select(Appeal)
            .where(*appeal_window)
            .options(joinedload(Appeal.decision))
            .order_by(Appeal.id)
        )
    )
    return hidden, appeals


def send_alerts(now: datetime | None = None) -> int:
    """E-mail each moderator one message with the automatic hidings and appeals since the
    last alert. Commits. Returns the number of e-mails sent."""
    from portal.moderation.emails import send_alert

    window = claim_alert_window(now)
    if window is None:
        db.session.rollback()
        return 0
    hidden, appeals = alert_items(*window)
    people = moderators() if (hidden or appeals) else []
    db.session.commit()
    sent = 0
    for person in people:
        mine = [a for a in appeals if may_decide(person, a) is None]
        if not hidden and not mine:
            continue
        try:
            send_alert(person, hidden, mine)
            sent += 1
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            log.exception("Could not send the moderation alert to user %s", person.id)
    return sent
