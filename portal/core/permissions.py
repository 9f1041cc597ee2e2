"""Who may call which view. Every view declares its access level with :func:`access`.

Levels: ``public`` (anyone), ``login`` (any signed-in person) or a role name. Admins pass every
role check. The permission test walks every route and compares the answer with the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user

from portal.extensions import login_manager

ROLES = ("resident", "moderator", "planner", "admin")
PUBLIC = "public"
LOGIN = "login"
LEVELS = (PUBLIC, LOGIN, *ROLES)


def has_role(user: Any, role: str) -> bool:
    """True when ``user`` is signed in and holds ``role`` (admins hold every role)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(role) or user.has_role("admin")


def require(level: str) -> None:
    """Abort with the designed answer when the current person may not pass ``level``."""
    if level == PUBLIC:
        return
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)
        abort(login_manager.unauthorized())
    if level != LOGIN and not has_role(current_user, level):
        abort(403)


def access(level: str) -> Callable:
    """Declare and enforce who may call a view."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            require(level)
            return view(*args, **kwargs)

        guarded.access_level = level  # type: ignore[attr-defined]
        return guarded

    return decorate
