"""PostgreSQL round trips a request does not need.

A read-only page used to cost two round trips besides its queries on a busy server, plus a
third for the pool's check: ``BEGIN`` before the first query, ``ROLLBACK`` at the end and
``SELECT 1`` before handing out the connection. On a 2-core machine a page's own queries
are often only two or three, so those were a third of the database work.

- :func:`ping_idle_connections` checks a connection only after it sat idle.
- :func:`reads_without_transaction` runs GET and HEAD requests on a connection without a
  transaction; the first statement that writes or locks opens one, so whatever a GET
  writes stays atomic and is committed or rolled back as before.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

SAFE_METHODS = frozenset({"GET", "HEAD"})
_LOCKING = re.compile(r"\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b", re.IGNORECASE)
_DML = re.compile(r"\b(?:insert|update|delete|merge)\b", re.IGNORECASE)


def ping_idle_connections(engine: Engine, after: float) -> None:
    """Check a pooled connection that sat unused for ``after`` seconds before handing it out.

    Unlike ``pool_pre_ping`` (one more round trip on every request), a busy server pays
    nothing: its connections go straight back into use. A database restarted while the
    server is busy is caught when a connection fails instead: the request gets a 503 page
    (portal.ops.outage) and SQLAlchemy discards every connection made before the failure.
    """

    def remember(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["portal_idle_since"] = time.monotonic()

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("portal_idle_since")
        if since is None or time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means: use another one
            # The pool discards this connection and checks out (or makes) another.
            raise DisconnectionError("idle database connection is gone") from error

    event.listen(engine.pool, "checkin", remember)
    event.listen(engine.pool, "checkout", ping)


def needs_transaction(statement: str) -> bool:
    """Whether ``statement`` must run inside a transaction: anything but a plain read (a
    write, a locking read, a savepoint, a lock, a setting)."""
    head = statement.lstrip()[:6].lower()
    if head == "select":
        return _LOCKING.search(statement) is not None
    if head.startswith("with"):
        return _DML.search(statement) is not None or _LOCKING.search(statement) is not None
    return True


def reads_without_transaction(app: Flask, engine: Engine, session: Any) -> None:
    """GET and HEAD requests read on a connection in autocommit mode (no ``BEGIN`` and no
    ``ROLLBACK`` round trip); a statement that needs a transaction opens one first.

    The session asks for its connection at the start of the request, before anything can
    run on it (SQLAlchemy resets the mode when the connection goes back to the pool). In
    PostgreSQL's default READ COMMITTED each statement sees the data committed when it
    starts, inside a transaction or not, so reads see what they saw before.
    """

    @app.before_request
    def read_in_autocommit() -> None:
        if request.method not in SAFE_METHODS or request.endpoint == "static":
            return
        current = session()  # this request's session (``session`` is the scoped registry)
        # A session already in use (a test's own app context) is left as it is.
        if current.in_transaction():
            return
        try:
            current.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        except SQLAlchemyError:
            # The database is away: a page that needs it gets the outage page when it asks;
            # one that does not (a cached page) is still served.
            current.rollback()

    @event.listens_for(engine, "before_cursor_execute")
    def open_transaction_for_writes(conn, cursor, statement, parameters, context, many):
        dbapi_connection = cursor.connection
        if (
            dbapi_connection.autocommit
            and dbapi_connection.info.transaction_status == 0  # idle: no transaction open
            and needs_transaction(statement)
        ):
            # Committed or rolled back by the session as usual: psycopg ends a transaction
            # it finds open on commit() and rollback(), autocommit or not.
            cursor.execute("BEGIN")
