"""The site's main navigation, contributed by each capability in its ``init_app``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_login import current_user

from portal.core.permissions import LOGIN, PUBLIC, has_role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    level: str = PUBLIC
    order: int = 50


def register_nav(
    app: Flask, endpoint: str, label: object, level: str = PUBLIC, order: int = 50
) -> None:
    items = app.extensions.setdefault("portal_nav", [])
    items.append(NavItem(endpoint, label, level, order))
    items.sort(key=lambda item: item.order)


def nav_items() -> list[NavItem]:
    """The items the current person may see."""
    visible = []
    for item in current_app.extensions.get("portal_nav", []):
        if (
            item.level == PUBLIC
            or (item.level == LOGIN and current_user.is_authenticated)
            or has_role(current_user, item.level)
        ):
            visible.append(item)
    return visible
