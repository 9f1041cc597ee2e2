"""The site's main navigation, contributed by each capability in its ``init_app``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

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


HEADER_TEMPLATE = "_site_header.html"
# Stand-ins for what differs between requests that share a header; NUL never occurs in a
# rendered template, so a marker cannot be confused with content.
_CSRF_MARK = "\x00csrf-token\x00"
_NEXT_MARK = "\x00return-address\x00"
_MAX_HEADERS = 512


def site_header(page_locale: str) -> Markup:
    """The page header: brand, menu and language switcher.

    It is the same for every request with the same language, page (its endpoint marks the
    current menu entry), signed-in state and menu (each entry's label, so an unread count is
    part of it): rendered once per such kind and kept in this process, it costs a few string
    replacements instead of a dozen translations and URL builds on every page. Only the CSRF
    token and the return address of the language switcher are filled in per request.
    """
    items = nav_items()
    signed_in = bool(current_user.is_authenticated)
    key = (
        page_locale,
        signed_in,
        request.endpoint,
        tuple((item.endpoint, str(escape(item.label))) for item in items),
    )
    kept = current_app.extensions.setdefault("portal_site_headers", {})
    html = kept.get(key)
    if html is None:
        html = render_template(
            HEADER_TEMPLATE,
            nav=items,
            page_locale=page_locale,
            header_csrf=_CSRF_MARK,
            header_next=_NEXT_MARK,
        )
        if not current_app.jinja_env.auto_reload:  # templates being edited: never kept
            if len(kept) >= _MAX_HEADERS:
                kept.clear()
            kept[key] = html
    if signed_in:
        html = html.replace(_CSRF_MARK, generate_csrf())
    back = str(escape(request.full_path.rstrip("?")))
    # Template output, every value escaped when rendered; the two filled in are escaped here.
    return Markup(html.replace(_NEXT_MARK, back))  # noqa: S704
