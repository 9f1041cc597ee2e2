"""Page-cache hits answered in front of Flask.

A visitor's cached page (see :mod:`portal.ops.cache`) is the same bytes for everyone who asks
in the same language, so serving it needs none of Flask's machinery: no request context, no
hooks, no session to open and save, no template. This WSGI layer wraps the application and
answers a hit itself; anything else — a miss, a signed-in person, a flash waiting, a page that
carries a CSRF token, a cache that is down — goes on to Flask, whose own page-cache hooks
decide as before. Both paths build the key the same way (:func:`portal.ops.cache.page_suffix`
from the locale, host and full URL) and read the same backend under the same generation, so a
write makes a page unreachable for both at once.

What the layer checks, each the same rule as Flask's path: the method is GET or HEAD; the URL
matches a cacheable endpoint (the application's own URL adapter, asked before the shared cache
is: a page this process already holds was stored for that URL); no ``Authorization`` header
and no remember-me cookie; the session cookie (read with the application's own session
interface: a bad signature is an empty session, as in Flask) holds no signed-in person and no
flash; the locale is the session's choice, else the browser's best match, else the default
(:func:`portal.core.i18n.select_locale` for a visitor). The answer carries the stored
Content-Type and Content-Language, the security headers (:func:`portal.core.security.
fixed_headers`), ``Vary``, the request id and ``X-Page-Cache: hit``.

Load shedding (a Flask hook) does not apply to these answers: a hit costs less than the 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from portal.core.security import VARY_ON, fixed_headers, request_id_from
from portal.ops.cache import page_suffix, read_page

if TYPE_CHECKING:
    from flask import Flask

    from portal.ops.cache import PageCache

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
VARY = ("Vary", ", ".join(VARY_ON))  # as werkzeug writes the set Flask's hook fills


class CachedPageLayer:
    """WSGI middleware: ``environ`` → a cached page for a visitor, or the next application."""

    def __init__(self, app: Flask, cache: PageCache, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.cache = cache
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and self.app.config.get(
            "PAGE_CACHE_ENABLED"
        ):
            try:
                hit = self.cached_answer(environ)
            except Exception:  # noqa: BLE001 - Flask's path serves it (and logs a cache fault)
                log.debug("page cache layer: passing on", exc_info=True)
                hit = None
            if hit is not None:
                headers, body = hit
                start_response("200 OK", headers)
                return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)

    def cached_answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        """The headers and body of a hit, or None when Flask must answer."""
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        app = self.app
        request = app.request_class(environ)
        cookies = request.cookies
        if app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
            return None
        session: Any = {}
        if app.config["SESSION_COOKIE_NAME"] in cookies:
            session = app.session_interface.open_session(app, request) or {}
        if "_user_id" in session or "_flashes" in session:
            return None
        locales = app.config["LOCALES"]
        locale = session.get("locale")
        if locale not in locales:
            locale = (
                request.accept_languages.best_match(locales) or app.config["BABEL_DEFAULT_LOCALE"]
            )
        suffix = page_suffix(locale, request.host, request.full_path)
        self.cache._check_generation()
        backend = self.cache.backend
        # A copy this process kept was stored by Flask's path for this very URL, so it needs
        # no routing; anything else is looked up in the shared cache for cacheable pages only.
        stored = backend.peek(suffix)
        if stored is None:
            try:
                adapter = app.create_url_adapter(request)
                endpoint, _ = adapter.match()  # type: ignore[union-attr]
            except HTTPException:  # no such page, a redirect, a wrong method: Flask answers
                return None
            if endpoint not in self.cache.endpoints:
                return None
            _, stored = backend.lookup(suffix)
            if stored is None:
                return None
        entry, body = read_page(stored)
        if entry.get("marker"):  # the page needs the visitor's own CSRF token: Flask's path
            return None
        self.cache.stats["hit"] += 1
        stored_headers = entry["headers"]
        headers = list(stored_headers.items())
        if "Content-Language" not in stored_headers:  # Flask's hook adds it after the store
            headers.append(("Content-Language", locale))
        headers += fixed_headers(app.config)
        headers += [
            VARY,
            ("X-Request-ID", request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))),
            ("X-Page-Cache", "hit"),
            ("Content-Length", str(len(body))),
        ]
        return headers, body
