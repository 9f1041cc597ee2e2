"""A page cache for anonymous visitors, correct when content changes.

Anonymous GET answers of a few public endpoints (``PAGE_CACHE_ENDPOINTS``) are kept in Redis
(or in this process's memory without ``REDIS_URL``) under a key made of the *content
generation*, the locale and the full URL. The generation is a counter bumped after every
database transaction that wrote anything (see :func:`install_generation_listeners`), so a
write makes every cached page unreachable at once: no per-page invalidation to forget.

Pages carry the visitor's CSRF token; it is stored as a random marker and each hit gets the
requesting visitor's own token. A page is never cached (nor served from the cache) for a
signed-in person, when a flash message is waiting or shown, or when the answer sets a cookie
or changes the session beyond the CSRF token.

Races: the generation is read at the start of a request and bumped *after* the commit, so a
page rendered from data older than a commit can only be stored under a generation that is
already out of date. Time alone (a phase opening at midnight) bumps nothing: entries also
expire after ``PAGE_CACHE_TTL`` seconds (60 by default), which bounds that staleness.

Signed-in pages are never cached whole, but their parts that are the same for every viewer of
a kind (a page of comments, a page of idea cards, a budget's project list) are, with
:func:`cached_fragment`: under the same generation, plus the locale, the host and a key naming
everything else the fragment depends on. The caller renders the fragment for a *generic*
viewer and fills in what is the viewer's own afterwards (support marks, votes, own comments).
Switched by ``FRAGMENT_CACHE_ENABLED`` (default: like ``PAGE_CACHE_ENABLED``). Without Redis,
each process keeps at most ``PAGE_CACHE_MAX_ENTRIES`` pages and fragments (2000) and
``PAGE_CACHE_MAX_BYTES`` (64 MiB).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# Anonymous pages worth caching: the home page, consultations and their idea lists and pages.
# Endpoints that do not exist (a capability not built yet) are simply never matched.
DEFAULT_ENDPOINTS = (
    "main.home",
    "consultations.index",
    "consultations.show",
    "ideas.index",
    "ideas.show",
    "budgets.show",
    "budgets.index",
)
WRITE_PREFIXES = (
    "insert",
    "update",
    "delete",
    "truncate",
    "merge",
    "create",
    "drop",
    "alter",
    "copy",
)
# Session keys a cacheable page may add: the CSRF token, and Flask-Login's "_fresh" mark that
# its session protection sets on the first request of a visitor who has a session (a language).
SESSION_WRITABLE = {"csrf_token", "_fresh"}
STORED_HEADERS = ("Content-Type", "Content-Language")


# --------------------------------------------------------------------------- backends


class BoundedStore:
    """Values in this process's memory with an expiry, least recently used out first, bounded
    in entries and in bytes (thread-safe)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            entry = self.items.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires < time.monotonic():
                del self.items[key]
                self.size -= len(value)
                return None
            self.items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl: float) -> None:
        with self.lock:
            now = time.monotonic()
            old = self.items.get(key)
            if old is not None:
                self.size -= len(old[1])
            self.items[key] = (now + ttl, value)
            self.size += len(value)
            self.items.move_to_end(key)
            items = self.items
            # Out go the least recently used while over a bound, and expired ones at the front
            # (a process's memory follows what it served lately, not what it ever served).
            while len(items) > 1 and (
                len(items) > self.max_entries
                or self.size > self.max_bytes
                or next(iter(items.values()))[0] < now
            ):
                self.size -= len(items.popitem(last=False)[1][1])

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


class RedisBackend:
    """Generation counter and pages in Redis, shared by every app server.

    A lookup is at most ONE round trip: a small Lua script reads the generation and the page
    stored under it together. Usually it is none: the process knows the generation from the
    bumps Redis publishes (:class:`portal.ops.generation_watch.GenerationWatch`) and keeps a
    copy of what it read lately for ``local_ttl`` seconds (5; 0 keeps none) under that
    generation, so a bump anywhere makes those copies unreachable as it does Redis's.
    """

    LOOKUP = """
    local generation = redis.call('GET', KEYS[1]) or '0'
    return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
    """
    BUMP = """
    local generation = redis.call('INCR', KEYS[1])
    redis.call('PUBLISH', ARGV[1], generation)
    return generation
    """

    def __init__(
        self,
        url: str,
        prefix: str,
        local_ttl: float = 5,
        local_max_entries: int = 1000,
        local_max_bytes: int = 8 * 2**20,
    ) -> None:
        from redis import Redis

        from portal.ops.generation_watch import GenerationWatch

        self.redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self.generation_key = f"{prefix}generation"
        # "p2": pages kept as a JSON line and the body (servers of an older release, during a
        # rolling restart, neither read nor overwrite them).
        self.page_prefix = f"{prefix}p2:"
        self._lookup = self.redis.register_script(self.LOOKUP)
        self._bump = self.redis.register_script(self.BUMP)
        self.local_ttl = local_ttl
        self.local = BoundedStore(local_max_entries, local_max_bytes)
        self.watch = GenerationWatch(
            self.redis, self.generation_key, f"{prefix}bumps", on_reset=self.local.clear
        )

    def generation(self) -> int:
        value = self.redis.get(self.generation_key)
        return int(value) if value else 0

    def bump(self) -> None:
        self.watch.saw(int(self._bump(keys=[self.generation_key], args=[self.watch.channel])))

    def known_generation(self) -> int | None:
        """The generation as this process knows it without a round trip (None: unknown)."""
        return self.watch.current() if self.local_ttl > 0 else None

    def peek(self, suffix: str) -> bytes | None:
        """What this process kept under the current generation, without asking Redis."""
        known = self.watch.current() if self.local_ttl > 0 else None
        return None if known is None else self.local.get(f"{known}:{suffix}")

    def lookup(self, suffix: str) -> tuple[int, bytes | None]:
        known = self.watch.current() if self.local_ttl > 0 else None
        if known is not None:
            value = self.local.get(f"{known}:{suffix}")
            if value is not None:
                return known, value
        found, value = self._lookup(keys=[self.generation_key], args=[self.page_prefix, suffix])
        generation = int(found)
        if value is not None and known == generation:
            self.local.set(f"{generation}:{suffix}", value, self.local_ttl)
        return generation, value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.redis.set(self.page_prefix + key, value, ex=ttl)
        if self.local_ttl > 0 and key.startswith(f"{self.watch.current()}:"):
            self.local.set(key, value, min(ttl, self.local_ttl))


class MemoryBackend(BoundedStore):
    """Pages in this process's memory (bounded, least recently used out).

    The generation lives in a small file (its size is the counter, bumped by appending one
    byte with O_APPEND, which is atomic), so several worker processes on one machine still
    see every write. Without Redis, app servers on *other* machines would not: use Redis there.
    """

    def __init__(
        self, generation_file: Path, max_entries: int, max_bytes: int = 64 * 2**20
    ) -> None:
        # Signed-in pages add fragments (a page of comments is ~100 KB): bound the bytes too.
        super().__init__(max_entries, max_bytes)
        self.path = generation_file
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def generation(self) -> int:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0
        return stat.st_size * 1_000_003 + stat.st_ino % 1_000_003

    def bump(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)

    def lookup(self, suffix: str) -> tuple[int, bytes | None]:
        generation = self.generation()
        return generation, self.get(f"{generation}:{suffix}")

    def peek(self, suffix: str) -> bytes | None:
        return self.lookup(suffix)[1]

    def known_generation(self) -> int | None:
        return self.generation()


# --------------------------------------------------------------------------- the cache


class PageCache:
    def __init__(self, app: Flask) -> None:
        config = app.config
        self.ttl = int(config.get("PAGE_CACHE_TTL", 60))
        self.endpoints = frozenset(config.get("PAGE_CACHE_ENDPOINTS", DEFAULT_ENDPOINTS))
        # One namespace per database: two portals (or test runs) may share one Redis.
        db_uri = config["SQLALCHEMY_DATABASE_URI"]
        digest = hashlib.sha256(db_uri.encode()).hexdigest()[:12]
        prefix = f"portal:pc:{digest}:"
        self.backend: RedisBackend | MemoryBackend
        if config.get("REDIS_URL"):
            self.backend = RedisBackend(
                config["REDIS_URL"],
                prefix,
                local_ttl=float(config.get("PAGE_CACHE_LOCAL_TTL", 5)),
                local_max_bytes=int(config.get("PAGE_CACHE_LOCAL_MAX_BYTES", 8 * 2**20)),
            )
        else:
            default_dir = tempfile.gettempdir() if config.get("TESTING") else app.instance_path
            folder = Path(config.get("PAGE_CACHE_DIR") or default_dir)
            self.backend = MemoryBackend(
                folder / f"page-cache-generation-{digest}",
                int(config.get("PAGE_CACHE_MAX_ENTRIES", 2000)),
                int(config.get("PAGE_CACHE_MAX_BYTES", 64 * 2**20)),
            )
        self._bump_failed = False
        # ORM objects kept by kept_objects(): name -> (generation, expiry, detached objects).
        self.objects: OrderedDict[str, tuple[int, float, Any]] = OrderedDict()
        self.objects_lock = threading.Lock()
        self.stats = {"hit": 0, "miss": 0, "store": 0, "skip": 0, "error": 0}
        self.fragment_stats = {"hit": 0, "miss": 0, "error": 0}
        if "FRAGMENT_CACHE_ENABLED" not in config:
            raw = os.environ.get("FRAGMENT_CACHE_ENABLED", "").strip().lower()
            enabled = raw not in {"0", "false", "no", "off"} if raw else None
            if enabled is None:
                enabled = bool(config.get("PAGE_CACHE_ENABLED", True))
            config["FRAGMENT_CACHE_ENABLED"] = enabled

    # generation -------------------------------------------------------------------------

    def bump(self) -> None:
        try:
            self.backend.bump()
            self._bump_failed = False
        except Exception:  # noqa: BLE001 - Redis away: retried before the next cache read
            self._bump_failed = True
            log.warning("page cache: could not bump the content generation", exc_info=True)

    def _check_generation(self) -> None:
        if self._bump_failed:
            self.bump()
            if self._bump_failed:
                raise RuntimeError("content generation unknown")

    def known_generation(self) -> int | None:
        """The content generation if this process can vouch for it without a round trip."""
        try:
            self._check_generation()
            return self.backend.known_generation()
        except Exception:  # noqa: BLE001 - unknown: callers read the database instead
            return None

    # values -----------------------------------------------------------------------------

    def remember(self, name: str, compute: Callable[[], Any]) -> Any:
        """A JSON value (a count, say) kept under the content generation like a page: any
        public write makes it unreachable, so it is never stale beyond what a page may be."""
        if not current_app.config.get("PAGE_CACHE_ENABLED", True):
            return compute()
        suffix = "v:" + hashlib.sha256(name.encode()).hexdigest()
        try:
            self._check_generation()
            generation, stored = self.backend.lookup(suffix)
        except Exception:  # noqa: BLE001 - no cache means "compute", not an error
            log.warning("value cache unavailable", exc_info=True)
            return compute()
        if stored is not None:
            return json.loads(stored)
        value = compute()
        try:
            self.backend.set(f"{generation}:{suffix}", json.dumps(value).encode(), self.ttl)
        except Exception:  # noqa: BLE001
            log.warning("value cache: could not store %s", name, exc_info=True)
        return value

    def fragment(self, name: str, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``render()`` (JSON: the fragment's HTML and what filling it in needs), kept under
        the content generation, the locale and the host. The CSRF token it may carry (in any
        of its strings) is stored as a random marker; each hit gets the requester's own."""
        if not current_app.config.get("FRAGMENT_CACHE_ENABLED"):
            return render()
        from flask_babel import get_locale

        raw = f"{get_locale()}|{request.host}|{name}"
        # "f2": kept as a line of JSON (all but the HTML) and the HTML as it is (entries of an
        # older release, during a rolling restart, are neither read nor overwritten).
        suffix = "f2:" + hashlib.sha256(raw.encode()).hexdigest()
        try:
            self._check_generation()
            generation, stored = self.backend.lookup(suffix)
        except Exception:  # noqa: BLE001 - no cache means "render", not an error
            self.fragment_stats["error"] += 1
            log.warning("fragment cache unavailable", exc_info=True)
            return render()
        if stored is not None:
            self.fragment_stats["hit"] += 1
            return _fragment_from(stored)
        self.fragment_stats["miss"] += 1
        value = render()
        try:
            stored = _stored_fragment(value, g.get("csrf_token"))
            self.backend.set(f"{generation}:{suffix}", stored, self.ttl)
        except Exception:  # noqa: BLE001
            self.fragment_stats["error"] += 1
            log.warning("fragment cache: could not store %s", name, exc_info=True)
        return value

    # request side -----------------------------------------------------------------------

    def eligible(self) -> bool:
        if request.method not in ("GET", "HEAD") or request.endpoint not in self.endpoints:
            return False
        if "_user_id" in session or "_flashes" in session:
            return False
        if request.headers.get("Authorization"):
            return False
        remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        return remember not in request.cookies

    def suffix(self) -> str:
        """What the page depends on besides the generation: locale, host and full URL."""
        from portal.core.i18n import select_locale

        return page_suffix(select_locale(), request.host, request.full_path)

    def before_request(self) -> Response | None:
        if not current_app.config.get("PAGE_CACHE_ENABLED", True) or not self.eligible():
            return None
        try:
            self._check_generation()
            suffix = self.suffix()
            generation, stored = self.backend.lookup(suffix)
            key = f"{generation}:{suffix}"
        except Exception:  # noqa: BLE001 - a cache that is down means "no cache", not an error
            self.stats["error"] += 1
            log.warning("page cache unavailable", exc_info=True)
            return None
        g.page_cache = {"key": key, "session": dict(session)}
        if stored is None:
            self.stats["miss"] += 1
            return None
        self.stats["hit"] += 1
        g.page_cache["hit"] = True
        return self._response_from(stored)

    def _response_from(self, stored: bytes) -> Response:
        from flask_wtf.csrf import generate_csrf

        entry, body = read_page(stored)
        if entry.get("marker"):
            body = body.replace(entry["marker"].encode(), generate_csrf().encode())
        response = Response(body, status=200)
        for name, value in entry["headers"].items():
            response.headers[name] = value
        response.headers["X-Page-Cache"] = "hit"
        return response

    def after_request(self, response: Response) -> Response:
        state = g.get("page_cache")
        if state is None or state.get("hit"):
            return response
        reason = self._refusal(response, state)
        if reason:
            self.stats["skip"] += 1
            response.headers["X-Page-Cache"] = "skip"
            return response
        body = response.get_data(as_text=True)
        token = g.get("csrf_token")
        marker = ""
        if token:
            marker = "csrf-" + secrets.token_hex(16)
            body = body.replace(token, marker)
        entry = {
            "marker": marker,
            "headers": {h: response.headers[h] for h in STORED_HEADERS if h in response.headers},
        }
        try:
            self.backend.set(state["key"], stored_page(entry, body.encode()), self.ttl)
            self.stats["store"] += 1
        except Exception:  # noqa: BLE001
            self.stats["error"] += 1
            log.warning("page cache: could not store a page", exc_info=True)
        response.headers["X-Page-Cache"] = "miss"
        return response

    def _refusal(self, response: Response, state: dict[str, Any]) -> str:
        """Why this answer must not be cached ('' when it may be)."""
        if response.status_code != 200 or response.mimetype != "text/html":
            return "status"
        if response.direct_passthrough or response.is_streamed:
            return "streamed"
        if response.headers.getlist("Set-Cookie"):
            return "cookie"
        if "_user_id" in session or "_flashes" in session:
            return "session"
        if getattr(g.get("_login_user"), "is_authenticated", False):
            return "signed in"
        before = state["session"]
        for name in set(before) | set(session):
            if name in SESSION_WRITABLE:
                continue
            if before.get(name) != session.get(name):
                return "session changed"
        return ""


HTML_FOLLOWS = "_html_follows"


def _stored_fragment(value: dict[str, Any], token: str | None) -> bytes:
    """A fragment as kept: its CSRF token (if any) as a random marker; everything but the HTML
    as a line of JSON, then the HTML as it is, so that a hit decodes no large JSON string."""
    rest = dict(value)
    html = ""
    if isinstance(rest.get("html"), str):
        html = rest.pop("html")
        rest[HTML_FOLLOWS] = True
    head = json.dumps(rest)
    marker = ""
    if token and (token in head or token in html):  # a token is URL-safe: JSON keeps it
        marker = "csrf-" + secrets.token_hex(16)
        head, html = head.replace(token, marker), html.replace(token, marker)
    return f"{marker}|{head}\n{html}".encode()


def _fragment_from(stored: bytes) -> dict[str, Any]:
    """What :func:`_stored_fragment` kept, with the requester's own CSRF token put in."""
    text = stored.decode()
    marker, _, text = text.partition("|")
    head, _, html = text.partition("\n")  # JSON escapes every newline in its strings
    if marker:
        from flask_wtf.csrf import generate_csrf

        token = generate_csrf()
        head, html = head.replace(marker, token), html.replace(marker, token)
    value = json.loads(head)
    if value.pop(HTML_FOLLOWS, False):
        value["html"] = html
    return value


def page_suffix(locale: str, host: str, full_path: str) -> str:
    """A cached page's key besides the generation: what the page depends on."""
    return hashlib.sha256(f"{locale}|{host}|{full_path}".encode()).hexdigest()


def stored_page(entry: dict[str, Any], body: bytes) -> bytes:
    """A page as kept in the cache: one line of JSON (headers, CSRF marker), then the body
    as it is, so that a hit sends the stored bytes without decoding them."""
    return json.dumps(entry).encode() + b"\n" + body


def read_page(stored: bytes) -> tuple[dict[str, Any], bytes]:
    """The (entry, body) that :func:`stored_page` kept (JSON escapes every newline)."""
    head, _, body = stored.partition(b"\n")
    return json.loads(head), body


# --------------------------------------------------------------------------- generation


# Tables no cacheable page shows (they only appear on signed-in or staff pages): writing
# them leaves the cache alone, or a closing day's ballots, drafts and notifications would
# make every visitor's page a miss.
PRIVATE_TABLES = frozenset(
    {
        "api_tokens",
        "appeals",
        "ballot_choices",
        "ballot_drafts",
        "ballots",
        "blocked_content",
        "export_jobs",
        "moderation_actions",
        "moderation_cases",
        "moderator_notes",
        "notification_preferences",
        "notifications",
        "reports",
        "simulator_response_lines",
        "simulator_responses",
        "verification_codes",
        "verifications",
    }
)
# Columns of ``users`` written by logging in or changing a password: no page shows them.
PRIVATE_USER_COLUMNS = frozenset(
    {"last_login_at", "updated_at", "session_token", "password_hash", "email_confirmed_at"}
)
_TARGET = re.compile(r'^\s*(?:insert\s+into|update|delete\s+from)\s+"?(\w+)"?', re.IGNORECASE)
_WITH_TARGETS = re.compile(
    r'\b(?:insert\s+into|update|delete\s+from|merge\s+into)\s+"?(\w+)"?', re.IGNORECASE
)
_SET_CLAUSE = re.compile(r"\bset\s+(.*?)\s+where\b", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'"?(\w+)"?\s*=')


def _is_write(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)
    return bool(head) and head[0].lower() in WRITE_PREFIXES


def _changes_public_pages(statement: str) -> bool:
    """Whether this statement may change what a cached page shows (when unsure: yes)."""
    if statement.lstrip()[:4].lower() == "with":
        # A WITH may write (``WITH added AS (INSERT ...) UPDATE ...``): judged by the tables
        # it writes; one that only reads changes nothing. Words such as ``DO UPDATE SET`` or
        # ``FOR UPDATE OF`` read as a table that is not private: unsure, so yes.
        targets = [name.lower() for name in _WITH_TARGETS.findall(statement)]
        return any(name not in PRIVATE_TABLES for name in targets)
    if not _is_write(statement):
        return False
    target = _TARGET.match(statement)
    if target is None:
        return True  # DDL, COPY, TRUNCATE, MERGE ...
    table = target.group(1).lower()
    if table in PRIVATE_TABLES:
        return False
    if table == "users" and statement.lstrip()[:6].lower() == "update":
        assigned = _SET_CLAUSE.search(statement)
        columns = set(_ASSIGNED.findall(assigned.group(1))) if assigned else set()
        return not (columns and columns <= PRIVATE_USER_COLUMNS)
    return True


def install_generation_listeners(engine: Engine, bump: Any) -> None:
    """Call ``bump()`` once a transaction that wrote anything has committed.

    Every write passes through a cursor, whether it comes from an ORM flush, a Core or text
    statement run through the session, a bulk load or a fixture that empties tables: the
    statement marks its connection; the commit turns the mark into "bump due"; the bump
    happens when the connection is handed back to the pool (a session does that right after
    its commit) or starts its next transaction, so always *after* the data is visible.
    """
    state = getattr(engine, "_portal_page_cache", None)
    if state is not None:
        state["bump"] = bump
        return
    state = {"bump": bump}
    engine._portal_page_cache = state  # type: ignore[attr-defined]

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not conn.info.get("portal_wrote") and _changes_public_pages(statement):
            conn.info["portal_wrote"] = True

    def on_commit(conn):
        if conn.info.pop("portal_wrote", False):
            conn.info["portal_bump_due"] = True

    def on_rollback(conn):
        conn.info.pop("portal_wrote", None)

    def on_begin(conn):
        if conn.info.pop("portal_bump_due", False):
            state["bump"]()

    def on_checkin(dbapi_connection, record):
        if record is not None and record.info.pop("portal_bump_due", False):
            state["bump"]()

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    event.listen(engine, "begin", on_begin)
    event.listen(engine.pool, "checkin", on_checkin)


def init_page_cache(app: Flask) -> PageCache:
    from portal.extensions import db

    cache = PageCache(app)
    app.extensions["portal_page_cache"] = cache
    with app.app_context():
        install_generation_listeners(db.engine, cache.bump)
    app.before_request(cache.before_request)
    app.after_request(cache.after_request)
    from portal.ops.cache_layer import CachedPageLayer

    # Hits for visitors are answered in front of Flask (no request context, no hooks).
    app.wsgi_app = CachedPageLayer(app, cache, app.wsgi_app)  # type: ignore[method-assign]
    return cache


def page_cache() -> PageCache | None:
    return current_app.extensions.get("portal_page_cache")


def remembered(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, cached until the next public write (see :meth:`PageCache.remember`)."""
    cache = page_cache()
    return compute() if cache is None else cache.remember(name, compute)


def cached_fragment(name: str, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``render()``, cached until the next public write, per locale and host (see
    :meth:`PageCache.fragment`). ``name`` must name everything else the HTML depends on;
    what ``render`` shows must be the same for every viewer that ``name`` covers."""
    cache = page_cache()
    return render() if cache is None else cache.fragment(name, render)


KEPT_OBJECTS_MAX = 256  # per process: a few objects per consultation, budget ...


def kept_objects(name: str, load: Callable[[Any], Any]) -> Any:
    """``load(session)`` — read-mostly ORM objects (with what they eagerly load) that any public
    write may change — kept in this process under the content generation and handed to the
    request's session with ``merge(load=False)``, which copies them in without any SQL.

    ``load`` runs in a short session of its own, so what is kept is detached and belongs to no
    request; ``name`` must name everything the result depends on. Without a generation this
    process can vouch for (caches off, Redis away) ``load`` runs in the request's session as if
    nothing were kept. Entries also expire after ``PAGE_CACHE_TTL`` seconds, like pages."""
    from sqlalchemy.orm import Session

    from portal.extensions import db

    cache = page_cache()
    generation = None
    if cache is not None and current_app.config.get("FRAGMENT_CACHE_ENABLED"):
        generation = cache.known_generation()
    if cache is None or generation is None:
        return load(db.session)
    now = time.monotonic()
    with cache.objects_lock:
        entry = cache.objects.get(name)
        if entry is not None and entry[0] == generation and entry[1] > now:
            cache.objects.move_to_end(name)
            value = entry[2]
        else:
            entry = None
    if entry is None:
        with Session(db.engine) as own:  # closing it detaches what it loaded, state and all
            value = load(own)
        with cache.objects_lock:
            cache.objects[name] = (generation, now + cache.ttl, value)
            cache.objects.move_to_end(name)
            while len(cache.objects) > KEPT_OBJECTS_MAX:
                cache.objects.popitem(last=False)
    if value is None:
        return None
    from sqlalchemy import inspect

    # Already in this request's session (perhaps changed and not yet flushed): that one, as a
    # query would have given — merging would copy the kept state over its changes.
    existing = db.session.identity_map.get(inspect(value).key)
    return existing if existing is not None else db.session.merge(value, load=False)


def rendered_html(html: str) -> Markup:
    """HTML that our autoescaping templates rendered (a fragment, cached or spliced)."""
    return Markup(html)  # noqa: S704 - template output, every value escaped when rendered


def splice(html: str, tag: str, replacements: dict[Any, str]) -> str:
    """``html`` with each marked part ``<!--{tag}:{key}-->…<!--/{tag}:{key}-->`` whose key is
    in ``replacements`` replaced by its value (which normally carries the same markers).

    User content cannot forge a marker: Markdown is rendered with raw HTML off and every other
    text is escaped, so ``<!--`` never comes from it."""
    found = []
    for key, value in replacements.items():
        start = html.find(f"<!--{tag}:{key}-->")
        if start < 0:
            continue
        closing = f"<!--/{tag}:{key}-->"
        end = html.find(closing, start)
        if end >= 0:
            found.append((start, end + len(closing), value))
    if not found:
        return html
    pieces: list[str] = []
    position = 0
    for start, end, value in sorted(found):
        pieces += (html[position:start], value)
        position = end
    pieces.append(html[position:])
    return "".join(pieces)
