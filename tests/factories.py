"""Test data factories: real rows through the real services."""

from __future__ import annotations

import itertools

from portal.accounts.services import create_user
from portal.extensions import db

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def make_user(
    email: str | None = None,
    roles: tuple[str, ...] = (),
    name: str | None = None,
    password: str = PASSWORD,
    commit: bool = True,
):
    """A confirmed account with the given roles (every account is also a resident)."""
    n = next(_counter)
    user = create_user(
        email or f"person{n}@example.org", password, list(roles), name or f"Person {n}"
    )
    if commit:
        db.session.commit()
    return user
