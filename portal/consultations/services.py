"""Consultation rules: creating and editing consultations, and verifying residents.

Services take plain values, flush but never commit, and raise PortalError subclasses.
Other capabilities call :func:`is_verified`, :func:`require_verified`,
:func:`verified_district_id` and :func:`register_api_extra`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, literal, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal.accounts.models import User
from portal.consultations.models import (
    CONSULTATION_STATES,
    PHASE_KINDS,
    VOTING_SCOPES,
    Category,
    Consultation,
    District,
    Phase,
    Verification,
    VerificationCode,
)
from portal.consultations.phases import open_phases
from portal.core.errors import Conflict, NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.ops.cache import kept_objects

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CODES_PER_BATCH = 20_000
MAX_NAMES = 50
# No 0/O, 1/I/L: codes are typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MIN_IMPORTED_CODE = 6


class NotVerified(PortalError):
    status = 403
    code = "not_verified"

    def default_message(self) -> str:
        return str(
            _l(
                "This consultation is open to verified residents only. "
                "Enter the code from your letter first."
            )
        )


# --- reading ---------------------------------------------------------------------------------


def can_manage(user: Any) -> bool:
    return has_role(user, "planner")


@functools.cache
def _by_slug() -> Select:
    """A consultation by slug with its phases, themes and districts, in one statement whose
    rows are phases + themes + districts (22 for a city), not their product (320): the
    consultation is joined to the numbers 1, 2 and 3, and number n to the n-th collection,
    so each row carries one child. Built once."""
    part = select(literal(1).label("n")).union_all(select(literal(2)), select(literal(3)))
    part = part.subquery("part")
    return (
        select(Consultation)
        .join(part, true())
        .outerjoin(Phase, and_(Phase.consultation_id == Consultation.id, part.c.n == 1))
        .outerjoin(Category, and_(Category.consultation_id == Consultation.id, part.c.n == 2))
        .outerjoin(District, and_(District.consultation_id == Consultation.id, part.c.n == 3))
        .where(Consultation.slug == bindparam("slug"))
        .options(
            contains_eager(Consultation.phases),
            contains_eager(Consultation.categories),
            contains_eager(Consultation.districts),
        )
        # the relationships' own orders, one collection after the other (phases that start
        # together by id: the joined load left their order to the query plan)
        .order_by(
            part.c.n,
            Phase.starts_at,
            Phase.id,
            Category.position,
            Category.id,
            District.position,
            District.id,
        )
    )


def get_by_slug(slug: str, viewer: Any = None) -> Consultation:
    """The consultation; drafts only for planners. Raises NotFound."""
    # Phases, themes and districts are read by nearly every page of a consultation (phase
    # checks, filters, forms): one statement for all, not four. Its rows are their product
    # (320 for a city's 4 phases, 10 themes and 8 districts), which costs the ORM ~6 ms, so
    # the result is kept in the process until the next public write (no SQL at all then).
    consultation = kept_objects(
        f"consultation:{slug}",
        lambda session: session.scalars(_by_slug(), {"slug": slug}).unique().first(),
    )
    if consultation is None or (consultation.status == "draft" and not can_manage(viewer)):
        raise NotFound(str(_l("There is no consultation at this address.")))
    return consultation


def list_consultations(viewer: Any = None) -> list[Consultation]:
    """Published and archived consultations (planners also see drafts), newest first."""
    stmt = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc())
    if not can_manage(viewer):
        stmt = stmt.where(Consultation.status != "draft")
    return list(db.session.scalars(stmt))


def current_phase(consultation: Consultation, now: datetime | None = None) -> Phase | None:
    """The open phase that started last (phases may overlap), or None."""
    now = now or utcnow()
    opened = [p for p in consultation.phases if p.is_open(now)]
    return max(opened, key=lambda p: p.starts_at) if opened else None


def phase_kinds_open(consultation: Consultation) -> set[str]:
    return open_phases(consultation) if consultation.status == "published" else set()


# --- creating and editing --------------------------------------------------------------------


@dataclass
class ConsultationData:
    """What a planner may set. ``phases`` maps a kind to (starts_at, ends_at or None)."""

    title: str
    slug: str
    summary: str = ""
    description: str = ""
    status: str = "draft"
    require_verification: bool = False
    support_limit: int | None = None
    support_threshold: int | None = None
    hide_support_counts: bool = False
    voting_scope: str = "all"
    premoderate_new_accounts: bool = False
    phases: dict[str, tuple[datetime, datetime | None]] | None = None
    categories: list[str] | None = None
    districts: list[str] | None = None


def _clean_names(names: list[str] | None, field: str) -> list[str]:
    cleaned: list[str] = []
    for name in names or []:
        name = " ".join((name or "").split())
        if not name:
            continue
        if len(name) > 100:
            raise ValidationFailed(fields={field: str(_l("Names have at most 100 characters."))})
        if name.lower() in (c.lower() for c in cleaned):
            raise ValidationFailed(
                fields={field: str(_l("“%(name)s” is listed twice.", name=name))}
            )
        cleaned.append(name)
    if len(cleaned) > MAX_NAMES:
        raise ValidationFailed(fields={field: str(_l("At most %(n)d names.", n=MAX_NAMES))})
    return cleaned


def _validate(data: ConsultationData, consultation: Consultation | None) -> None:
    errors: dict[str, str] = {}
    data.title = " ".join((data.title or "").split())
    data.slug = (data.slug or "").strip().lower()
    if not 3 <= len(data.title) <= 200:
        errors["title"] = str(_l("Between %(min)d and %(max)d characters, please.", min=3, max=200))
    if not SLUG_RE.match(data.slug) or len(data.slug) > 80:
        errors["slug"] = str(
            _l("Use lower-case letters, digits and single hyphens (at most 80 characters).")
        )
    else:
        taken = db.session.scalar(select(Consultation.id).where(Consultation.slug == data.slug))
        if taken is not None and (consultation is None or taken != consultation.id):
            errors["slug"] = str(_l("Another consultation already uses this address."))
    if len(data.summary or "") > 500:
        errors["summary"] = str(_l("At most %(n)d characters.", n=500))
    if len(data.description or "") > 50_000:
        errors["description"] = str(_l("At most %(n)d characters.", n=50_000))
    if data.status not in CONSULTATION_STATES:
        errors["status"] = str(_l("Unknown status."))
    if data.voting_scope not in VOTING_SCOPES:
        errors["voting_scope"] = str(_l("Unknown voting scope."))
    for name in ("support_limit", "support_threshold"):
        value = getattr(data, name)
        if value is not None and not 1 <= value <= 1_000_000:
            errors[name] = str(_l("Enter a whole number from 1 to 1,000,000, or leave it empty."))
    for kind, (starts_at, ends_at) in (data.phases or {}).items():
        if kind not in PHASE_KINDS:
            errors["phases"] = str(_l("Unknown phase %(kind)s.", kind=kind))
        elif starts_at is None:
            errors[f"{kind}_starts_at"] = str(_l("A phase needs a start date."))
        elif ends_at is not None and ends_at <= starts_at:
            errors[f"{kind}_ends_at"] = str(_l("The end must come after the start."))
    if errors:
        raise ValidationFailed(fields=errors)


def _sync_named(
    consultation: Consultation, model: type, collection: list, names: list[str], field: str
) -> None:
    """Keep rows matched by name (case-insensitive), add new ones, drop the missing ones."""
    from portal.ideas.models import Idea

    existing = {row.name.lower(): row for row in collection}
    wanted = {name.lower() for name in names}
    fk = Idea.category_id if model is Category else Idea.district_id
    for key, row in list(existing.items()):
        if key in wanted:
            continue
        if row.id is not None:
            used = db.session.scalar(select(func.count(Idea.id)).where(fk == row.id)) or 0
            if used:
                raise ValidationFailed(
                    fields={
                        field: str(
                            _l(
                                "“%(name)s” is used by %(n)d ideas and cannot be removed.",
                                name=row.name,
                                n=used,
                            )
                        )
                    }
                )
        collection.remove(row)
    for position, name in enumerate(names):
        row = existing.get(name.lower())
        if row is None:
            row = model(name=name)
            collection.append(row)
        row.name = name
        row.position = position


def _apply(consultation: Consultation, data: ConsultationData) -> None:
    for name in (
        "title",
        "slug",
        "summary",
        "description",
        "status",
        "require_verification",
        "support_limit",
        "support_threshold",
        "hide_support_counts",
        "voting_scope",
        "premoderate_new_accounts",
    ):
        setattr(consultation, name, getattr(data, name))
    consultation.summary = consultation.summary or ""
    consultation.description = consultation.description or ""
    if data.phases is not None:
        current = {phase.kind: phase for phase in consultation.phases}
        for kind in PHASE_KINDS:
            dates = data.phases.get(kind)
            phase = current.get(kind)
            if dates is None:
                if phase is not None:
                    consultation.phases.remove(phase)
                continue
            if phase is None:
                phase = Phase(kind=kind, starts_at=dates[0])
                consultation.phases.append(phase)
            phase.starts_at, phase.ends_at = dates
    if data.categories is not None:
        names = _clean_names(data.categories, "categories")
        _sync_named(consultation, Category, consultation.categories, names, "categories")
    if data.districts is not None:
        names = _clean_names(data.districts, "districts")
        _sync_named(consultation, District, consultation.districts, names, "districts")


def create_consultation(actor: User, data: ConsultationData) -> Consultation:
    """Raises ValidationFailed (with field errors)."""
    _validate(data, None)
    consultation = Consultation(created_by_id=actor.id)
    _apply(consultation, data)
    db.session.add(consultation)
    _flush_unique(("slug",))
    return consultation


def update_consultation(actor: User, consultation: Consultation, data: ConsultationData) -> None:
    """Raises ValidationFailed (with field errors)."""
    _validate(data, consultation)
    _apply(consultation, data)
    _flush_unique(("slug",))


def _flush_unique(fields: tuple[str, ...]) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={f: str(_l("This is already taken.")) for f in fields}
        ) from exc


# --- verification of residents ---------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Codes are compared without spaces or hyphens and in upper case (as typed from paper)."""
    return re.sub(r"[\s\-]+", "", code or "").upper()


def hash_code(consultation: Consultation, code: str) -> str:
    """SHA-256 of the consultation and the normalised code (the plain code is never stored)."""
    digest = hashlib.sha256(f"{consultation.id}:{normalise_code(code)}".encode())
    return digest.hexdigest()


def _verification(user: Any, consultation: Consultation) -> Verification | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Verification).where(
            Verification.consultation_id == consultation.id, Verification.user_id == user.id
        )
    )


def is_verified(user: Any, consultation: Consultation) -> bool:
    return _verification(user, consultation) is not None


def verified_district_id(user: Any, consultation: Consultation) -> int | None:
    verification = _verification(user, consultation)
    return verification.district_id if verification else None


def require_verified(user: Any, consultation: Consultation) -> None:
    """Raises NotVerified when the consultation asks for verified residents and ``user`` is not
    one (no-op for consultations open to everyone)."""
    if consultation.require_verification and not is_verified(user, consultation):
        raise NotVerified()


def redeem_code(user: User, consultation: Consultation, code: str) -> Verification:
    """Verify ``user`` for ``consultation`` with a one-time code.

    Raises ValidationFailed (unknown or used code), Conflict (already verified). Safe when two
    requests use the same code at once: only one UPDATE can claim it.
    """
    if is_verified(user, consultation):
        raise Conflict(str(_l("You are already verified for this consultation.")))
    wrong = ValidationFailed(
        fields={"code": str(_l("This code is not valid or has already been used."))}
    )
    if not normalise_code(code):
        raise wrong
    row = db.session.scalar(
        select(VerificationCode).where(
            VerificationCode.consultation_id == consultation.id,
            VerificationCode.code_hash == hash_code(consultation, code),
        )
    )
    if row is None or row.used_at is not None:
        raise wrong
    now = utcnow()
    claimed = db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == row.id, VerificationCode.used_at.is_(None))
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise wrong
    verification = Verification(
        consultation_id=consultation.id,
        user_id=user.id,
        code_id=row.id,
        district_id=row.district_id,
        verified_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(verification)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(str(_l("You are already verified for this consultation."))) from exc
    db.session.expire(row)
    return verification


def _district_lookup(consultation: Consultation) -> dict[str, District]:
    return {d.name.lower(): d for d in consultation.districts}


def import_codes(consultation: Consultation, csv_text: str, batch: str = "") -> int:
    """Store the census codes of a CSV text: ``code`` or ``code,district`` per line (a header
    line ``code[,district]`` is allowed). All or nothing: raises ValidationFailed listing every
    bad line by number. Returns how many codes were stored."""
    districts = _district_lookup(consultation)
    errors: list[str] = []
    rows: list[tuple[str, District | None]] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO((csv_text or "").lstrip("\ufeff")))
    try:
        lines = list(reader)
    except csv.Error as exc:
        message = str(_l("This is not a CSV file: %(e)s", e=exc))
        raise ValidationFailed(fields={"csv": message}) from exc
    for number, cells in enumerate(lines, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in {"code", "codes", "código", "codigo"}:
            continue
        code = normalise_code(cells[0])
        district_name = cells[1] if len(cells) > 1 else ""
        if len(cells) > 2 and any(cells[2:]):
            errors.append(str(_l("Line %(n)d: expected “code” or “code,district”.", n=number)))
            continue
        if len(code) < MIN_IMPORTED_CODE or len(code) > 64:
            errors.append(
                str(
                    _l(
                        "Line %(n)d: a code needs %(min)d to 64 letters or digits.",
                        n=number,
                        min=MIN_IMPORTED_CODE,
                    )
                )
            )
            continue
        if not code.isalnum():
            errors.append(str(_l("Line %(n)d: codes contain only letters and digits.", n=number)))
            continue
        if code in seen:
            errors.append(
                str(_l("Line %(n)d: the same code as line %(m)d.", n=number, m=seen[code]))
            )
            continue
        seen[code] = number
        district = None
        if district_name:
            district = districts.get(district_name.lower())
            if district is None:
                errors.append(
                    str(
                        _l(
                            "Line %(n)d: there is no district “%(name)s” in this consultation.",
                            n=number,
                            name=district_name,
                        )
                    )
                )
                continue
        rows.append((code, district))
    if len(rows) > MAX_CODES_PER_BATCH:
        errors.append(str(_l("At most %(n)d codes at a time.", n=MAX_CODES_PER_BATCH)))
    if not rows and not errors:
        errors.append(str(_l("The file contains no codes.")))
    hashes = {hash_code(consultation, code): code for code, _d in rows}
    if hashes and not errors:
        existing = set()
        keys = list(hashes)
        for start in range(0, len(keys), 900):
            existing |= set(
                db.session.scalars(
                    select(VerificationCode.code_hash).where(
                        VerificationCode.code_hash.in_(keys[start : start + 900])
                    )
                )
            )
        for digest in sorted(existing, key=lambda d: seen[hashes[d]]):
            errors.append(
                str(_l("Line %(n)d: this code is already stored.", n=seen[hashes[digest]]))
            )
    if errors:
        raise ValidationFailed(
            str(_l("No codes were stored. Please correct the file.")),
            fields={"csv": "\n".join(errors[:100])},
        )
    _insert_codes(consultation, [(hash_code(consultation, c), d) for c, d in rows], batch)
    return len(rows)


def _insert_codes(
    consultation: Consultation, rows: list[tuple[str, District | None]], batch: str
) -> None:
    now = utcnow()
    batch = (batch or now.strftime("%Y-%m-%d %H:%M"))[:80]
    db.session.execute(
        VerificationCode.__table__.insert(),
        [
            {
                "consultation_id": consultation.id,
                "code_hash": digest,
                "district_id": district.id if district else None,
                "batch": batch,
                "created_at": now,
                "used_on_paper": False,
            }
            for digest, district in rows
        ],
    )


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def generate_codes(
    consultation: Consultation, n: int, district: District | None = None, batch: str = ""
) -> list[str]:
    """Create ``n`` fresh codes and return them in plain text (shown once, to print and mail:
    only their hashes are kept). Raises ValidationFailed for a bad count or district."""
    if not isinstance(n, int) or not 1 <= n <= MAX_CODES_PER_BATCH:
        raise ValidationFailed(
            fields={"count": str(_l("Between 1 and %(n)d codes, please.", n=MAX_CODES_PER_BATCH))}
        )
    if district is not None and district.consultation_id != consultation.id:
        raise ValidationFailed(fields={"district": str(_l("Unknown district."))})
    codes: set[str] = set()
    while len(codes) < n:  # 31^12 possibilities: a collision is astronomically unlikely
        codes.add(new_code())
    plain = sorted(codes)
    _insert_codes(consultation, [(hash_code(consultation, c), district) for c in plain], batch)
    return plain


def code_statistics(consultation: Consultation) -> dict[str, int]:
    total, used = db.session.execute(
        select(func.count(VerificationCode.id), func.count(VerificationCode.used_at)).where(
            VerificationCode.consultation_id == consultation.id
        )
    ).one()
    verified = db.session.scalar(
        select(func.count(Verification.id)).where(Verification.consultation_id == consultation.id)
    )
    return {"codes": total or 0, "used": used or 0, "verified": verified or 0}


# --- extension points for other capabilities -------------------------------------------------

_API_EXTRAS: list[Callable[[Consultation], dict[str, Any]]] = []


def register_api_extra(fn: Callable[[Consultation], dict[str, Any]]) -> None:
    """Let another capability add keys to a consultation's API answer.

    ``fn(consultation)`` returns a dict merged into the answer, e.g. ``{"budgets": [...]}``.
    Registering the same function twice has no effect (app factories run more than once).
    """
    if fn not in _API_EXTRAS:
        _API_EXTRAS.append(fn)


def api_extras(consultation: Consultation) -> dict[str, Any]:
    extra: dict[str, Any] = {"budgets": [], "simulators": []}
    for fn in _API_EXTRAS:
        extra.update(fn(consultation) or {})
    return extra
