"""Idea rules: proposing, editing, withdrawing, listing, searching and supporting.

Services take plain values, flush but never commit, and raise PortalError subclasses. Phase
rules are checked here, so the HTML views, the API and the CLI all obey them.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Select, bindparam, case, cast, delete, func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.consultations import services as consultation_services
from portal.consultations.models import Consultation
from portal.consultations.phases import is_allowed, open_phases, require_phase
from portal.core.anchors import Anchor
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.ideas import search
from portal.ideas.models import ADDRESS_MAX, BODY_MAX, CLOSED_STATUSES, TITLE_MAX, Idea, Support
from portal.moderation.services import screen_new_post
from portal.moderation.visibility import PENDING, PUBLISHED
from portal.ops.cache import remembered

SORTS = ("newest", "supported", "commented", "random")
FILTER_STATUSES = (
    "published",
    "under_review",
    "accepted",
    "rejected",
    "implemented",
    "merged",
    "qualified",
)
MAX_COST = 2_000_000_000


class SupportLimitReached(PortalError):
    status = 409
    code = "support_limit_reached"

    def default_message(self) -> str:
        return str(_l("You have used all your supports in this consultation."))


def notifications():
    """The notifications capability, when it is installed (it is optional for ideas)."""
    try:
        from portal.notifications import services
    except ImportError:  # pragma: no cover - only while the capability is missing
        return None
    return services


# --- reading ---------------------------------------------------------------------------------


def is_staff(user: Any) -> bool:
    return has_role(user, "planner") or has_role(user, "moderator")


def can_see(user: Any, idea: Idea) -> bool:
    """The public sees published, not withdrawn ideas of non-draft consultations; the author
    also sees their own (withdrawn or waiting for moderation); staff see everything."""
    if is_staff(user):
        return True
    if idea.consultation.status == "draft":
        return False
    if getattr(user, "is_authenticated", False) and idea.author_id == user.id:
        return idea.moderation_state in (PUBLISHED, PENDING)
    return idea.is_publicly_visible()


@functools.cache
def _with_phases() -> list:
    # Its consultation and phases come along: every action on an idea checks the phase. The
    # option is made once (options are immutable; making one costs as much as a small query).
    return [joinedload(Idea.consultation).joinedload(Consultation.phases)]


def get_idea(idea_id: int, viewer: Any = None) -> Idea:
    """Raises NotFound when it does not exist or ``viewer`` may not see it."""
    idea = db.session.get(Idea, idea_id, options=_with_phases())
    if idea is None or not can_see(viewer, idea):
        raise NotFound(str(_l("There is no idea at this address.")))
    return idea


@functools.cache
def _idea_with_marks() -> Select:
    """An idea (with its consultation and phases, as :func:`get_idea` loads it) and, in the
    same statement, whether :viewer supports it and how many supports :viewer has used in its
    consultation: a signed-in idea page reads all three at once. Built once."""
    supported = (
        select(Support.id)
        .where(Support.idea_id == Idea.id, Support.user_id == bindparam("viewer"))
        .exists()
    )
    used = (
        select(func.count(Support.id))
        .where(
            Support.consultation_id == Idea.consultation_id,
            Support.user_id == bindparam("viewer"),
        )
        .scalar_subquery()
    )
    return (
        select(Idea, supported, used).where(Idea.id == bindparam("idea")).options(*_with_phases())
    )


def get_idea_with_marks(idea_id: int, viewer: Any = None) -> tuple[Idea, bool, int]:
    """The idea as :func:`get_idea` gives it, whether ``viewer`` supports it and how many
    supports ``viewer`` has used in its consultation (like :func:`has_supported` and
    :func:`supports_used`), in one statement. Raises NotFound like :func:`get_idea`."""
    if not getattr(viewer, "is_authenticated", False):
        return get_idea(idea_id, viewer), False, 0
    row = (
        db.session.execute(_idea_with_marks(), {"idea": idea_id, "viewer": viewer.id})
        .unique()
        .first()
    )
    if row is None or not can_see(viewer, row[0]):
        raise NotFound(str(_l("There is no idea at this address.")))
    return row[0], bool(row[1]), row[2] or 0


def support_counts_visible(consultation: Consultation, viewer: Any = None) -> bool:
    """False while the support phase runs in a consultation that hides the counts (planners
    still see them)."""
    if has_role(viewer, "planner"):
        return True
    return not (consultation.hide_support_counts and "support" in open_phases(consultation))


def sorts_available(consultation: Consultation, viewer: Any = None) -> tuple[str, ...]:
    if support_counts_visible(consultation, viewer):
        return SORTS
    return tuple(s for s in SORTS if s != "supported")  # the order would reveal the counts


@dataclass
class IdeaFilter:
    category_id: int | None = None
    district_id: int | None = None
    status: str | None = None
    mine: bool = False
    query: str = ""
    sort: str = "newest"
    seed: int = 0  # for the random order (stable for one visitor)
    extra: dict[str, Any] = field(default_factory=dict)


def _random_key(seed: int):
    """A shuffled but repeatable order: (id * a + b) mod p, with a and b taken from the seed."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    a = int.from_bytes(digest[:3], "big") | 1
    b = int.from_bytes(digest[3:6], "big")
    return (cast(Idea.id, BigInteger) * a + b) % 1_000_003


def list_statement(consultation: Consultation, filters: IdeaFilter, viewer: Any = None) -> Select:
    """The SELECT for a list of ideas (public rows only), filtered and ordered. Eager-loads
    what a list shows (a list runs a fixed number of queries)."""
    stmt = (
        select(Idea)
        .join(Anchor, Anchor.id == Idea.anchor_id)
        .where(Idea.consultation_id == consultation.id, Idea.listed())
        .options(
            joinedload(Idea.anchor),
            joinedload(Idea.category),
            joinedload(Idea.district),
            joinedload(Idea.author),
        )
    )
    if filters.category_id:
        stmt = stmt.where(Idea.category_id == filters.category_id)
    if filters.district_id:
        stmt = stmt.where(Idea.district_id == filters.district_id)
    if filters.status == "qualified":
        stmt = stmt.where(Idea.is_qualified.is_(True))
    elif filters.status in FILTER_STATUSES:
        stmt = stmt.where(Idea.status == filters.status)
    if filters.mine and getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(Idea.author_id == viewer.id)
    condition = search.matching(filters.query)
    if condition is not None:
        stmt = stmt.where(condition)
    sort = filters.sort if filters.sort in sorts_available(consultation, viewer) else "newest"
    if sort == "supported":
        stmt = stmt.order_by(Idea.support_count.desc(), Idea.id.desc())
    elif sort == "commented":
        stmt = stmt.order_by(Anchor.comment_count.desc(), Idea.id.desc())
    elif sort == "random":
        stmt = stmt.order_by(_random_key(filters.seed), Idea.id)
    else:
        stmt = stmt.order_by(Idea.created_at.desc(), Idea.id.desc())
    return stmt


def list_ideas(
    consultation: Consultation, filters: IdeaFilter, limit: int, offset: int, viewer: Any = None
) -> tuple[list[Idea], int]:
    """One page of ideas and the total: two queries, and the total is remembered until the
    next public write (counting 100,000 ideas on every page view costs more than the page)."""
    stmt = list_statement(consultation, filters, viewer)
    owner = viewer.id if filters.mine and getattr(viewer, "is_authenticated", False) else 0
    key = (
        f"ideas-total:{consultation.id}:{filters.category_id}:{filters.district_id}:"
        f"{filters.status}:{owner}:{filters.query}"
    )
    # The list's own conditions without its join and eager loads: a lean COUNT.
    counting = select(func.count(Idea.id)).where(stmt.whereclause)
    total = remembered(key, lambda: db.session.scalar(counting) or 0)
    ideas = list(db.session.scalars(stmt.limit(limit).offset(offset)).unique())
    return ideas, total


def supported_ids(user: Any, ideas: list[Idea]) -> set[int]:
    """Which of these ideas ``user`` supports (one query)."""
    if not getattr(user, "is_authenticated", False) or not ideas:
        return set()
    return set(
        db.session.scalars(
            select(Support.idea_id).where(
                Support.user_id == user.id, Support.idea_id.in_([i.id for i in ideas])
            )
        )
    )


def supports_used(user: Any, consultation: Consultation) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        db.session.scalar(
            select(func.count(Support.id)).where(
                Support.consultation_id == consultation.id, Support.user_id == user.id
            )
        )
        or 0
    )


def similar_ideas(consultation: Consultation, title: str, limit: int = 5) -> list[Idea]:
    """Public ideas whose title or text shares words with ``title`` (most shared first is
    approximated by support count), to offer support instead of a duplicate."""
    terms = [w for w in search.words(title) if len(w) >= 3]
    if not terms:
        return []
    condition = search.matching(" ".join(terms), any_word=True)
    stmt = (
        select(Idea)
        .where(Idea.consultation_id == consultation.id, Idea.listed(), condition)
        .options(joinedload(Idea.category))
        .limit(50)
    )
    candidates = list(db.session.scalars(stmt).unique())
    wanted = set(terms)

    def score(idea: Idea) -> tuple[int, int, int]:
        title_words = set(search.words(idea.title))
        shared = sum(1 for t in wanted if any(w.startswith(t) for w in title_words))
        return (shared, idea.support_count, idea.id)

    ranked = sorted(candidates, key=score, reverse=True)
    return [idea for idea in ranked if score(idea)[0] > 0][:limit]


def search_ideas(consultation: Consultation, query: str, limit: int = 20) -> list[Idea]:
    ideas, _total = list_ideas(consultation, IdeaFilter(query=query), limit, 0)
    return ideas


def qualified_ideas(consultation: Consultation) -> list[Idea]:
    """Public ideas that reached the support threshold and were not rejected or merged (the
    budgets capability turns them into projects)."""
    return list(
        db.session.scalars(
            select(Idea)
            .where(
                Idea.consultation_id == consultation.id,
                Idea.listed(),
                Idea.is_qualified.is_(True),
                Idea.status.not_in(CLOSED_STATUSES),
            )
            .order_by(Idea.support_count.desc(), Idea.id)
        )
    )


# --- writing ---------------------------------------------------------------------------------


@dataclass
class IdeaData:
    title: str
    body: str
    category_id: int | None = None
    district_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    cost: int | None = None


def _validate(consultation: Consultation, data: IdeaData) -> None:
    errors: dict[str, str] = {}
    data.title = " ".join((data.title or "").split())
    data.body = (data.body or "").strip()
    data.address = " ".join((data.address or "").split())
    if not 5 <= len(data.title) <= TITLE_MAX:
        errors["title"] = str(
            _l("Between %(min)d and %(max)d characters, please.", min=5, max=TITLE_MAX)
        )
    if not 10 <= len(data.body) <= BODY_MAX:
        errors["body"] = str(
            _l("Between %(min)d and %(max)d characters, please.", min=10, max=BODY_MAX)
        )
    if len(data.address) > ADDRESS_MAX:
        errors["address"] = str(_l("At most %(n)d characters.", n=ADDRESS_MAX))
    if data.category_id is not None and data.category_id not in {
        c.id for c in consultation.categories
    }:
        errors["category"] = str(_l("Choose one of this consultation's themes."))
    if data.category_id is None and consultation.categories:
        errors["category"] = str(_l("Choose a theme."))
    if data.district_id is not None and data.district_id not in {
        d.id for d in consultation.districts
    }:
        errors["district"] = str(_l("Choose one of this consultation's districts."))
    if (data.latitude is None) != (data.longitude is None):
        errors["latitude"] = str(_l("Give both latitude and longitude, or neither."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        errors["latitude"] = str(_l("Latitude is between -90 and 90."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        errors["longitude"] = str(_l("Longitude is between -180 and 180."))
    if data.cost is not None and not 0 <= data.cost <= MAX_COST:
        errors["cost"] = str(_l("Enter an amount from 0 to %(n)s.", n=f"{MAX_COST:,}"))
    if errors:
        raise ValidationFailed(fields=errors)


def create_idea(author: User, consultation: Consultation, data: IdeaData) -> Idea:
    """Raises PhaseClosed (outside the ideas phase) or ValidationFailed. The author follows
    the new idea."""
    require_phase(consultation, "propose")
    _validate(consultation, data)
    idea = Idea(
        consultation=consultation,
        author_id=author.id,
        title=data.title,
        body=data.body,
        category_id=data.category_id,
        district_id=data.district_id,
        latitude=data.latitude,
        longitude=data.longitude,
        address=data.address,
        cost=data.cost,
        status="published",
        # The blocklist, link limits and first-post pre-moderation, as for comments.
        moderation_state=screen_new_post(author, consultation, f"{data.title}\n{data.body}"),
    )
    db.session.add(idea)
    db.session.flush()
    service = notifications()
    if service is not None:
        service.follow(author, idea)
    return idea


def _require_author(user: User, idea: Idea) -> None:
    if idea.author_id is None or idea.author_id != user.id:
        raise Forbidden(str(_l("Only the author can change this idea.")))


def can_edit(user: Any, idea: Idea) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and idea.author_id == user.id
        and not idea.is_withdrawn
        and idea.status == "published"
        and is_allowed(idea.consultation, "edit_idea")
    )


def check_editable(user: User, idea: Idea, phase: bool = True) -> None:
    """Raises Forbidden (not the author), Conflict (withdrawn or already answered) or, with
    ``phase``, PhaseClosed (after the discussion phase)."""
    _require_author(user, idea)
    if not phase:
        return
    if idea.is_withdrawn:
        raise Conflict(str(_l("This idea has been withdrawn.")))
    require_phase(idea.consultation, "edit_idea")
    if idea.status != "published":
        raise Conflict(str(_l("This idea has been answered and can no longer be edited.")))


def update_idea(user: User, idea: Idea, data: IdeaData) -> Idea:
    """Raises Forbidden (not the author), PhaseClosed (after the discussion phase), Conflict
    (withdrawn or already answered) or ValidationFailed."""
    check_editable(user, idea)
    _validate(idea.consultation, data)
    for name in (
        "title",
        "body",
        "category_id",
        "district_id",
        "latitude",
        "longitude",
        "address",
        "cost",
    ):
        setattr(idea, name, getattr(data, name))
    db.session.flush()
    return idea


def withdraw_idea(user: User, idea: Idea) -> Idea:
    """The author takes the idea back (it leaves lists, keeps its page for the author and
    staff). Raises Forbidden or Conflict."""
    _require_author(user, idea)
    if idea.is_withdrawn:
        raise Conflict(str(_l("This idea has already been withdrawn.")))
    if idea.status in ("accepted", "implemented", "merged"):
        raise Conflict(str(_l("An idea that has been accepted or merged cannot be withdrawn.")))
    idea.withdrawn_at = utcnow()
    idea.status = "withdrawn"
    db.session.flush()
    return idea


# --- supports --------------------------------------------------------------------------------


def has_supported(user: Any, idea: Idea) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Support.id).where(Support.idea_id == idea.id, Support.user_id == user.id)
        )
        is not None
    )


def _check_supportable(user: User, idea: Idea) -> None:
    if not idea.is_publicly_visible():
        raise NotFound(str(_l("There is no idea at this address.")))
    require_phase(idea.consultation, "support")
    if idea.status in CLOSED_STATUSES:
        raise Conflict(str(_l("This idea can no longer be supported.")))
    consultation_services.require_verified(user, idea.consultation)


def _lock_person(user: User) -> None:
    """Serialise one person's support changes (PostgreSQL row lock; SQLite writes are serial
    anyway), so a per-person limit holds under concurrent requests."""
    users = User.__table__
    db.session.execute(select(users.c.id).where(users.c.id == user.id).with_for_update())


# The writes of a support are Core statements on the tables: they load no objects, and the
# ORM's bulk INSERT/UPDATE path costs more CPU than the statement itself.
_SUPPORTS = Support.__table__
_IDEAS = Idea.__table__


@dataclass(frozen=True)
class SupportState:
    """What a person sees after supporting or withdrawing: read inside the transaction, so
    the answer needs no query after the commit."""

    supported: bool
    support_count: int
    is_qualified: bool
    supports_used: int
    support_limit: int | None


@functools.cache
def _support_insert(dialect: str):
    """INSERT of one support that does nothing when the person already supports the idea (the
    UNIQUE constraint decides, also between concurrent requests), RETURNING its id; built
    once per dialect. (Parameter names may not be column names in an INSERT or UPDATE.)"""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return (
        insert(_SUPPORTS)
        .values(
            idea_id=bindparam("the_idea"),
            user_id=bindparam("the_person"),
            consultation_id=bindparam("the_consultation"),
        )
        .on_conflict_do_nothing()
        .returning(_SUPPORTS.c.id)
    )


def _support_values(user: User, idea: Idea) -> dict[str, Any]:
    return {"the_idea": idea.id, "the_person": user.id, "the_consultation": idea.consultation_id}


def _insert_support(user: User, idea: Idea) -> bool:
    """True when a row was added (see :func:`_support_insert`)."""
    statement = _support_insert(db.session.get_bind().dialect.name)
    return db.session.execute(statement, _support_values(user, idea)).first() is not None


@functools.cache
def _support_and_count(threshold: bool):
    """PostgreSQL, without a per-person limit: the INSERT of :func:`_support_insert` and the
    counter's UPDATE of :func:`_count_update` in ONE statement (the INSERT as a data-modifying
    WITH): no row comes back when the person already supported the idea, else the new count,
    "qualified" and the person's supports in the consultation *before* this one (the parts of
    one statement see the same snapshot). Built once per variant."""
    added = _support_insert("postgresql").cte("added")
    count = _IDEAS.c.support_count + 1
    qualified = (
        case((count >= bindparam("the_threshold"), True), else_=False)
        if threshold
        else _IDEAS.c.is_qualified
    )
    own = select(func.count(_SUPPORTS.c.id)).where(
        _SUPPORTS.c.consultation_id == bindparam("the_consultation"),
        _SUPPORTS.c.user_id == bindparam("the_person"),
    )
    return (
        update(_IDEAS)
        .add_cte(added)
        .where(_IDEAS.c.id == bindparam("the_idea"), select(added.c.id).exists())
        # (the time given: an UPDATE's defaults are not evaluated under an INSERT's WITH)
        .values(support_count=count, is_qualified=qualified, updated_at=bindparam("the_time"))
        .returning(_IDEAS.c.support_count, _IDEAS.c.is_qualified, own.scalar_subquery())
    )


@functools.cache
def _count_update(taking_back: bool, threshold: bool, counting: bool):
    """UPDATE … RETURNING of an idea's support counter by :the_step (with :the_threshold deciding
    "qualified" when the consultation has one; taking back never goes below 0); with
    ``counting``, the same statement also returns the person's (:the_person) supports in the
    consultation (:the_consultation). Built once per variant."""
    count = _IDEAS.c.support_count + bindparam("the_step")
    qualified = (
        case((count >= bindparam("the_threshold"), True), else_=False)
        if threshold
        else _IDEAS.c.is_qualified
    )
    condition = [_IDEAS.c.id == bindparam("the_idea")]
    if taking_back:
        condition.append(_IDEAS.c.support_count > 0)
    returned = [_IDEAS.c.support_count, _IDEAS.c.is_qualified]
    if counting:
        own = select(func.count(_SUPPORTS.c.id)).where(
            _SUPPORTS.c.consultation_id == bindparam("the_consultation"),
            _SUPPORTS.c.user_id == bindparam("the_person"),
        )
        returned.append(own.scalar_subquery())
    return (
        update(_IDEAS)
        .where(*condition)
        .values(support_count=count, is_qualified=qualified)
        .returning(*returned)
    )


def _move_count(idea: Idea, step: int, counting: User | None = None) -> int | None:
    """Add ``step`` to the idea's counter in the database (atomic, no read first) and put the
    new values on the loaded idea without another SELECT. With ``counting``, the same
    statement also returns that person's supports in the consultation (the change made
    earlier in this transaction included), else None."""
    threshold = idea.consultation.support_threshold
    statement = _count_update(step < 0, bool(threshold), counting is not None)
    values = {"the_idea": idea.id, "the_step": step}
    if threshold:
        values["the_threshold"] = threshold
    if counting is not None:
        values.update(the_consultation=idea.consultation_id, the_person=counting.id)
    row = db.session.execute(statement, values).first()
    if row is None:  # nothing to take back: the person's count is read on its own
        set_committed_value(idea, "support_count", 0)
        set_committed_value(idea, "is_qualified", idea.is_qualified)
        return None
    set_committed_value(idea, "support_count", row[0])
    set_committed_value(idea, "is_qualified", row[1])
    return row[2] if counting is not None else None


def _state(user: User, idea: Idea, supported: bool, used: int | None) -> SupportState:
    consultation = idea.consultation
    if used is None:
        used = supports_used(user, consultation)
    return SupportState(
        supported=supported,
        support_count=idea.support_count,
        is_qualified=bool(idea.is_qualified),
        supports_used=used,
        support_limit=consultation.support_limit,
    )


def add_support(user: User, idea: Idea) -> SupportState:
    """Raises PhaseClosed, NotVerified, SupportLimitReached, Conflict (already supported)."""
    _check_supportable(user, idea)
    consultation = idea.consultation
    limit = consultation.support_limit
    used = None
    if limit:
        _lock_person(user)  # only a limit needs one person's supports counted serially
        used = supports_used(user, consultation)
        if used >= limit:
            raise SupportLimitReached(
                str(
                    _l(
                        "You have used all %(n)d of your supports in this consultation. "
                        "Withdraw one to support another idea.",
                        n=limit,
                    )
                )
            )
    if used is None and db.session.get_bind().dialect.name == "postgresql":
        values = {**_support_values(user, idea), "the_time": utcnow()}
        if consultation.support_threshold:
            values["the_threshold"] = consultation.support_threshold
        row = db.session.execute(
            _support_and_count(bool(consultation.support_threshold)), values
        ).first()
        if row is None:  # nothing inserted: the UNIQUE constraint decided
            raise Conflict(str(_l("You already support this idea.")))
        set_committed_value(idea, "support_count", row[0])
        set_committed_value(idea, "is_qualified", row[1])
        return _state(user, idea, True, row[2] + 1)  # counted before this statement's row
    if not _insert_support(user, idea):
        raise Conflict(str(_l("You already support this idea.")))
    if used is None:
        used = _move_count(idea, +1, counting=user)
    else:
        _move_count(idea, +1)
        used += 1
    return _state(user, idea, True, used)


def remove_support(user: User, idea: Idea) -> SupportState:
    """Raises PhaseClosed (supports are final once the phase ends) or Conflict (no support)."""
    _check_supportable(user, idea)
    if idea.consultation.support_limit:
        _lock_person(user)
    removed = db.session.execute(
        delete(_SUPPORTS).where(_SUPPORTS.c.idea_id == idea.id, _SUPPORTS.c.user_id == user.id)
    ).rowcount
    if removed != 1:
        raise Conflict(str(_l("You do not support this idea.")))
    return _state(user, idea, False, _move_count(idea, -1, counting=user))


def toggle_support(user: User, idea: Idea) -> bool:
    """Support, or take back the support; returns True when ``user`` now supports ``idea``."""
    if has_supported(user, idea):
        remove_support(user, idea)
        return False
    add_support(user, idea)
    return True


def consultation_counts(consultation: Consultation) -> dict[str, int]:
    """Public ideas and supports of a consultation (for its page and the home page)."""
    ideas, supports = db.session.execute(
        select(func.count(Idea.id), func.coalesce(func.sum(Idea.support_count), 0)).where(
            Idea.consultation_id == consultation.id, Idea.listed()
        )
    ).one()
    return {"ideas": ideas or 0, "supports": supports or 0}


def names_for(consultation: Consultation) -> dict[str, dict[int, str]]:
    return {
        "categories": {c.id: c.name for c in consultation.categories},
        "districts": {d.id: d.name for d in consultation.districts},
    }
