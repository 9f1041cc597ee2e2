"""Test fixtures: a database built by the migrations (SQLite, or PostgreSQL when
PORTAL_TEST_DATABASE_URL is set), emptied after every test; a real SMTP server; clients."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, inspect, text

from portal import create_app
from portal.extensions import db, limiter
from portal.migrate import upgrade

os.environ["PORTAL_ENV"] = "testing"  # before any app is built
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message) -> str:
        part = message.get_body(preferencelist=("plain",))
        return part.get_content()

    def links(self, address: str) -> list[str]:
        found = []
        for message in self.to(address):
            found += re.findall(r"https?://\S+", self.body(message))
        return found


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink()
    sink.port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if "+" not in url else url
        _reset_postgres(url)
        return url
    path: Path = tmp_path_factory.mktemp("db") / "portal-test.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def app(database_url, mail_sink):
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "JOBS_SYNC": True,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_sink_port(mail_sink),
            "BASE_URL": "http://localhost",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    application.test_client_class = PortalClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def mail_sink_port(sink: MailSink) -> int:
    return sink.port


@pytest.fixture(autouse=True)
def _clean_state(request, mail_sink):
    """Every test starts with empty tables, fresh rate limits and an empty mailbox."""
    mail_sink.clear()
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        empty_tables()
        limiter.reset()


def empty_tables() -> None:
    engine = db.engine
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if not tables:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
            connection.execute(text("PRAGMA foreign_keys=ON"))


class PortalClient(FlaskClient):
    """A test client that sends the CSRF token the way a browser form or script would."""

    def csrf_token(self) -> str:
        """The session's token: from the meta tag of a signed-in page, else from the log-in
        form (pages for visitors carry none, so that they can be cached)."""
        match = CSRF_META.search(self.get("/").get_data(as_text=True))
        if match is None:
            match = CSRF_INPUT.search(self.get("/login").get_data(as_text=True))
        assert match, "no CSRF token on the home or log-in page"
        return match.group(1)

    def form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def api(self, method: str, url: str, json=None, **kwargs):
        """Call the API with the session cookie and the CSRF header, as the site's JS does."""
        headers = kwargs.pop("headers", {})
        if method.upper() not in {"GET", "HEAD"}:
            headers.setdefault("X-CSRFToken", self.csrf_token())
        return self.open(url, method=method.upper(), json=json, headers=headers, **kwargs)

    def login(self, email: str, password: str = "correct-horse-battery"):
        response = self.form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response


@pytest.fixture
def client(app) -> PortalClient:
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (on the app's engine)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def fragments(app):
    """The fragment cache on (it follows PAGE_CACHE_ENABLED, off in tests), its counters."""
    cache = app.extensions["portal_page_cache"]
    app.config["FRAGMENT_CACHE_ENABLED"] = True
    cache.fragment_stats.update(hit=0, miss=0, error=0)
    yield cache.fragment_stats
    app.config["FRAGMENT_CACHE_ENABLED"] = False


@pytest.fixture
def queries():
    return count_queries
