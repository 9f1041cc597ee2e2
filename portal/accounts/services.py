"""Account rules, shared by the HTML views, the API and the CLI.

Services take plain values, flush but never commit, and raise :class:`PortalError` subclasses.
Messages that go out by e-mail are returned to the caller, who sends them after the commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import DELETED_NAME, ApiToken, User, UserRole, new_session_token
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import ROLES
from portal.extensions import db

# Argon2id with the configuration OWASP's Password Storage Cheat Sheet recommends (19 MiB,
# 2 iterations, 1 lane): about 33 ms of CPU per log-in here. argon2-cffi's default (RFC 9106
# "low memory": 64 MiB, 3 iterations, 4 lanes) took 260 ms, so a 2-core server could check
# only about 7 passwords a second — a closing day's log-ins alone would fill it. Hashes made
# with other parameters still verify (they carry their own) and are re-made at the next log-in.
PASSWORD_HASH_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**PASSWORD_HASH_PARAMETERS)
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD = 10


class InvalidCredentials(PortalError):
    status = 401
    code = "invalid_credentials"

    def default_message(self) -> str:
        return str(_l("The e-mail address or password is not right."))


class EmailNotConfirmed(PortalError):
    status = 403
    code = "email_not_confirmed"

    def default_message(self) -> str:
        return str(_l("Please confirm your e-mail address first: follow the link we sent you."))


class AccountBlocked(PortalError):
    status = 403
    code = "account_blocked"

    def default_message(self) -> str:
        return str(_l("This account has been blocked by the moderators."))


class InvalidToken(PortalError):
    status = 400
    code = "invalid_token"

    def default_message(self) -> str:
        return str(_l("This link is not valid or has expired. Please ask for a new one."))


@dataclass
class Outgoing:
    """An e-mail to send once the transaction has committed."""

    kind: str  # confirm, already_registered, reset, change_email, email_changed
    to: str
    user: User
    token: str | None = None


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            fields={"password": str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD))}
        )


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


# --- tokens in links -------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(value: str | None) -> str:
    """A short digest that changes when ``value`` changes: makes a link single-use."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def make_link_token(purpose: str, user: User, **extra: str) -> str:
    payload = {"uid": user.id, "fp": _fingerprint(user.password_hash or user.email), **extra}
    return _serializer(purpose).dumps(payload)


def read_link_token(purpose: str, token: str, max_age: int) -> tuple[User, dict]:
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature) as exc:
        raise InvalidToken() from exc
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.deleted_at is not None:
        raise InvalidToken()
    if payload.get("fp") != _fingerprint(user.password_hash or user.email):
        raise InvalidToken()
    return user, payload


# --- sign-up and confirmation ----------------------------------------------------------------


def register(email: str, password: str, display_name: str, locale: str | None = None) -> Outgoing:
    """Create an unconfirmed account, or, when the address is taken, prepare a notice to its
    owner instead: the caller shows the same answer either way (no user enumeration)."""
    email = normalise_email(email)
    check_password_rules(password)
    existing = find_by_email(email)
    if existing is not None:
        if not existing.is_confirmed and existing.deleted_at is None:
            return Outgoing("confirm", email, existing, make_link_token("confirm", existing))
        return Outgoing("already_registered", email, existing)
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        locale=locale,
    )
    user.role_rows.append(UserRole(role="resident"))
    db.session.add(user)
    db.session.flush()
    return Outgoing("confirm", email, user, make_link_token("confirm", user))


def resend_confirmation(email: str) -> Outgoing | None:
    user = find_by_email(email)
    if user is None or user.is_confirmed or user.deleted_at is not None:
        return None
    return Outgoing("confirm", user.email, user, make_link_token("confirm", user))


def confirm_email(token: str) -> User:
    user, _payload = read_link_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


# --- log-in ----------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """Return the person for these credentials; raises InvalidCredentials, EmailNotConfirmed
    or AccountBlocked. The first error is the same for unknown address and wrong password."""
    user = find_by_email(email)
    if not password_matches(user, password) or user is None or user.deleted_at is not None:
        raise InvalidCredentials()
    if user.blocked_at is not None:
        raise AccountBlocked()
    if not user.is_confirmed:
        raise EmailNotConfirmed()
    user.last_login_at = utcnow()
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


# --- passwords and e-mail --------------------------------------------------------------------


def request_password_reset(email: str) -> Outgoing | None:
    user = find_by_email(email)
    if user is None or user.deleted_at is not None:
        return None
    return Outgoing("reset", user.email, user, make_link_token("reset", user))


def user_for_reset(token: str) -> User:
    user, _ = read_link_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset(token)
    check_password_rules(new_password)
    _set_password(user, new_password)
    if user.email_confirmed_at is None:  # the link proves the address
        user.email_confirmed_at = utcnow()
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()


def change_password(user: User, current: str, new_password: str) -> None:
    if not password_matches(user, current):
        raise ValidationFailed(fields={"current_password": str(_l("This is not your password."))})
    check_password_rules(new_password)
    _set_password(user, new_password)


def request_email_change(user: User, new_email: str, password: str) -> Outgoing | None:
    if not password_matches(user, password):
        raise ValidationFailed(fields={"password": str(_l("This is not your password."))})
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ValidationFailed(fields={"email": str(_l("This is already your address."))})
    if find_by_email(new_email) is not None:
        return None  # same answer as success: nothing reveals that the address is taken
    return Outgoing(
        "change_email", new_email, user, make_link_token("change-email", user, email=new_email)
    )


def confirm_email_change(token: str) -> User:
    user, payload = read_link_token(
        "change-email", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"]
    )
    new_email = payload.get("email", "")
    if find_by_email(new_email) is not None:
        raise Conflict(str(_l("This address is already in use.")))
    user.email = new_email
    user.email_confirmed_at = utcnow()
    return user


def update_profile(user: User, display_name: str, locale: str | None) -> None:
    user.display_name = display_name.strip()
    user.locale = locale or None


def delete_account(user: User, password: str) -> None:
    """Anonymise the person; their content stays (with a neutral name) so counts hold."""
    if not password_matches(user, password):
        raise ValidationFailed(fields={"password": str(_l("This is not your password."))})
    anonymise(user)


def anonymise(user: User) -> None:
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@invalid"
    user.display_name = DELETED_NAME
    user.password_hash = None
    user.locale = None
    user.deleted_at = utcnow()
    user.session_token = new_session_token()
    user.role_rows.clear()
    for token in user.tokens:
        token.revoked_at = token.revoked_at or utcnow()


# --- roles -----------------------------------------------------------------------------------


def set_role(actor: User | None, user: User, role: str, granted: bool) -> None:
    if role not in ROLES:
        raise ValidationFailed(fields={"role": str(_l("Unknown role."))})
    if user.deleted_at is not None:
        raise Conflict(str(_l("This account has been deleted.")))
    if actor is not None and actor.id == user.id and role == "admin" and not granted:
        raise Forbidden(str(_l("You cannot remove your own administrator role.")))
    current = {row.role: row for row in user.role_rows}
    if granted and role not in current:
        user.role_rows.append(UserRole(role=role, granted_by_id=actor.id if actor else None))
    elif not granted and role in current:
        user.role_rows.remove(current[role])
    db.session.flush()


def create_user(
    email: str, password: str | None, roles: list[str], display_name: str | None = None
) -> User:
    """Create a confirmed account (for the CLI and demo data)."""
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise Conflict(str(_l("An account with this e-mail address already exists.")))
    if password is not None:
        check_password_rules(password)
    user = User(
        email=email,
        password_hash=hash_password(password) if password else None,
        display_name=display_name or email.split("@")[0],
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    for role in sorted(set(roles) | {"resident"}):
        set_role(None, user, role, True)
    return user


def search_users(query: str, limit: int, offset: int) -> tuple[list[User], int]:
    stmt = select(User).where(User.deleted_at.is_(None))
    if query:
        pattern = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            func.lower(User.email).like(pattern) | func.lower(User.display_name).like(pattern)
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(User.id).limit(limit).offset(offset).options(selectinload(User.role_rows))
    ).all()
    return list(rows), total


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "pt_"  # noqa: S105 - a prefix, not a secret


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Return the stored token and its plain value (shown once, never stored)."""
    if user.deleted_at is not None or user.blocked_at is not None:
        raise Forbidden()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=(name or "API token").strip()[:80],
        token_hash=_token_digest(plain),
        prefix=plain[:10],
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    token.revoked_at = token.revoked_at or utcnow()
    return token


def user_for_api_token(plain: str) -> User | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    # Recorded at most every ten minutes: a write per API read would cost more than it tells.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 600:
        token.last_used_at = now
        db.session.commit()
    return token.user
