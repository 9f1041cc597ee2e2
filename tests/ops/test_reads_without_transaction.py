"""GET requests read outside a transaction on PostgreSQL (no BEGIN, no ROLLBACK round
trip); whatever a GET writes or locks still runs in one transaction, committed or rolled
back whole; other requests and the pooled connections are not affected."""

from __future__ import annotations

import pytest
from flask import jsonify
from sqlalchemy import text

from portal import create_app
from portal.extensions import db, limiter
from portal.ops.connections import needs_transaction

IDLE, IN_TRANSACTION = 0, 2


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT users.id FROM users WHERE users.id = 1", False),
        ("  select count(*) from ideas", False),
        ("WITH t AS (SELECT 1) SELECT * FROM t", False),
        ("SELECT * FROM budgets WHERE id = 1 FOR UPDATE", True),
        ("SELECT * FROM budgets FOR NO KEY UPDATE", True),
        ("select * from cases for share skip locked", True),
        ("WITH n AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM n", True),
        ("INSERT INTO supports (user_id) VALUES (1)", True),
        ("UPDATE ideas SET title = 'x'", True),
        ("DELETE FROM drafts", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("LOCK TABLE ballots", True),
        ("SET LOCAL lock_timeout = 1000", True),
    ],
)
def test_what_needs_a_transaction(statement, expected):
    assert needs_transaction(statement) is expected


@pytest.fixture
def probe_app(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs on the PostgreSQL pass only (PORTAL_TEST_DATABASE_URL not set)")
    probe = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )

    def status() -> int:
        return db.session.connection().connection.dbapi_connection.info.transaction_status

    @probe.route("/probe/read", methods=["GET", "POST"])
    def read():
        db.session.execute(text("SELECT 1"))
        return jsonify(status=status())

    @probe.get("/probe/lock")
    def lock():
        db.session.execute(text("SELECT id FROM probe_rows WHERE id = 1 FOR UPDATE"))
        return jsonify(status=status())

    @probe.get("/probe/write/<int:fail>")
    def write(fail: int):
        db.session.execute(text("SELECT 1"))
        db.session.execute(text("INSERT INTO probe_rows (id) VALUES (10)"))
        during = status()
        db.session.execute(text("INSERT INTO probe_rows (id) VALUES (11)"))
        if fail:
            raise RuntimeError("after two writes")
        db.session.commit()
        return jsonify(status=during)

    with probe.app_context():
        db.session.execute(text("CREATE TABLE probe_rows (id integer PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO probe_rows VALUES (1)"))
        db.session.commit()
    yield probe
    with probe.app_context():
        db.session.execute(text("DROP TABLE probe_rows"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    limiter.init_app(app)  # building a second app rebinds the shared limiter


def _rows(probe) -> list[int]:
    with probe.app_context():
        found = db.session.scalars(text("SELECT id FROM probe_rows ORDER BY id")).all()
        db.session.remove()
    return list(found)


def test_a_get_reads_outside_a_transaction_and_a_post_inside(probe_app):
    client = probe_app.test_client()
    assert client.get("/probe/read").get_json() == {"status": IDLE}
    # The same (only) pooled connection serves a POST in a transaction again.
    probe_app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/probe/read").get_json() == {"status": IN_TRANSACTION}
    assert client.get("/probe/read").get_json() == {"status": IDLE}


def test_a_locking_read_in_a_get_opens_a_transaction(probe_app):
    assert probe_app.test_client().get("/probe/lock").get_json() == {"status": IN_TRANSACTION}


def test_what_a_get_writes_is_committed_or_rolled_back_whole(probe_app):
    client = probe_app.test_client()
    assert client.get("/probe/write/1").status_code == 500
    assert _rows(probe_app) == [1], "the first write was rolled back with the second"
    assert client.get("/probe/write/0").get_json() == {"status": IN_TRANSACTION}
    assert _rows(probe_app) == [1, 10, 11]
    assert client.get("/probe/read").get_json() == {"status": IDLE}


def test_it_can_be_turned_off(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs on the PostgreSQL pass only (PORTAL_TEST_DATABASE_URL not set)")
    plain = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "DATABASE_READS_WITHOUT_TRANSACTION": False,
        }
    )

    @plain.get("/probe/plain")
    def plain_read():
        connection = db.session.connection()
        db.session.execute(text("SELECT 1"))
        return jsonify(status=connection.connection.dbapi_connection.info.transaction_status)

    try:
        assert plain.test_client().get("/probe/plain").get_json() == {"status": IN_TRANSACTION}
    finally:
        with plain.app_context():
            db.engine.dispose()
        limiter.init_app(app)


def test_a_page_that_needs_no_database_is_served_while_it_is_away(app):
    """The GET's connection is asked for up front; a database that is away must not turn
    a page that needs none (a static file, a cached page) into an error."""
    from tests.ops.helpers import closed_port

    away = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )

    @away.get("/probe/nothing")
    def nothing():
        return "fine"

    try:
        client = away.test_client()
        assert client.get("/probe/nothing").get_data(as_text=True) == "fine"
        static = client.get("/static/css/portal.css")
        static.close()
        assert static.status_code == 200
        assert client.get("/").status_code == 503  # a page that needs it: the outage page
    finally:
        with away.app_context():
            db.engine.dispose()
        limiter.init_app(app)
