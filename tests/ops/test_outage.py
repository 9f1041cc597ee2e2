"""Backing services away: the database gives a clear 503 with Retry-After; a lost Redis
degrades to no cache and in-memory rate limits, never to failed pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from portal import create_app
from portal.extensions import limiter
from tests.ops.helpers import ROOT, closed_port


@pytest.fixture
def restore_limiter(app):
    """Building a second app rebinds the shared limiter; give it back to the suite's app."""
    yield
    limiter.init_app(app)
    limiter._storage_dead = False


@pytest.fixture
def db_down_app(app, restore_limiter):
    port = closed_port()
    broken = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing",
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "connect_args": {"connect_timeout": 2},
            },
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PAGE_CACHE_ENABLED": True,
        }
    )
    yield broken
    from portal.extensions import db

    with broken.app_context():
        db.engine.dispose()


def test_database_down_gives_a_503_page_with_retry_after(db_down_app):
    client = db_down_app.test_client()
    answer = client.get("/")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    page = answer.get_data(as_text=True)
    assert "<h1" in page and "database" in page
    assert answer.mimetype == "text/html"


def test_database_down_gives_json_503_to_api_clients(db_down_app):
    client = db_down_app.test_client()
    answer = client.get("/", headers={"Accept": "application/json"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["error"]["code"] == "unavailable"


def test_health_reports_the_database_down(db_down_app):
    answer = db_down_app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["database"] == "down"


REDIS_DOWN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from portal import create_app
    from portal.migrate import upgrade

    url = sys.argv[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_LOGIN": "3 per minute",
                      "PAGE_CACHE_ENABLED": True})
    with app.app_context():
        upgrade()
    client = app.test_client()
    result = {"pages": [client.get("/").status_code for _ in range(3)]}
    result["cache_header"] = client.get("/").headers.get("X-Page-Cache")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    result["logins"] = [
        client.post("/login", data={"email": "x@example.org", "password": "wrong-password",
                                    "csrf_token": token}).status_code
        for _ in range(5)
    ]
    health = client.get("/healthz")
    result["health"] = [health.status_code, health.get_json()["checks"]]
    print("RESULT " + json.dumps(result))
    """
)


def test_redis_down_degrades_to_working_pages_and_in_memory_limits(database_url):
    port = closed_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PORTAL_TEST_DATABASE_URL", "RATELIMIT_STORAGE_URI"}
    }
    env.update(
        {
            "PORTAL_ENV": "testing",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "PYTHONPATH": str(ROOT),
        }
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", REDIS_DOWN_SCRIPT, database_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout + done.stderr
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["pages"] == [200, 200, 200]  # no cache, but the pages work
    assert result["cache_header"] is None  # the cache stood aside
    # The login limit (3 per minute) still holds, counted in memory meanwhile.
    assert 429 not in result["logins"][:3]
    assert result["logins"][3:] == [429, 429]
    assert result["health"] == [503, {"database": "ok", "redis": "down"}]


@pytest.fixture
def small_disk_app(app, tmp_path, restore_limiter):
    """A fresh SQLite database of its own (the suite's may have free pages to fill first),
    compacted, whose file may not grow once ``full()`` is called — SQLite's page limit raises
    the very error a full disk does ("database or disk is full")."""
    from sqlalchemy import event, text

    from portal.extensions import db
    from portal.migrate import upgrade

    second = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'small-disk.db'}",
            "PORTAL_ENV": "testing",
            "TESTING": True,
            "JOBS_SYNC": True,
            "MAIL_SERVER": app.config["MAIL_SERVER"],
            "MAIL_PORT": app.config["MAIL_PORT"],
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_POSTING": "1000 per minute",
        }
    )
    second.test_client_class = app.test_client_class
    with second.app_context():
        upgrade()
        engine = db.engine
        with engine.connect() as connection:
            connection.execute(text("VACUUM"))

    def no_room_to_grow(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def full(on: bool) -> None:
        if on:
            event.listen(engine, "connect", no_room_to_grow)
        elif event.contains(engine, "connect", no_room_to_grow):
            event.remove(engine, "connect", no_room_to_grow)
        engine.dispose()

    second.full = full
    yield second
    full(False)


def test_full_storage_gives_a_503_with_its_own_message_and_saves_nothing(small_disk_app):
    """PostgreSQL's disk_full is the disk-full scenario of benchmarks/faults.py (a small
    tablespace); the answer is made by the same handler."""
    from sqlalchemy import func, select

    from portal.comments.models import Comment
    from portal.extensions import db
    from tests.comments.factories import make_consultation
    from tests.factories import make_user

    app = small_disk_app
    with app.app_context():
        consultation = make_consultation()
        anchor_id, slug = consultation.anchor_id, consultation.slug
        make_user("ann@example.org")
    client = app.test_client()
    client.login("ann@example.org")
    url = f"/api/v1/anchors/{anchor_id}/comments"

    def comments() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Comment))

    app.full(True)
    saved, refused = 0, None
    for n in range(60):  # each comment nearly fills a page: the file must grow soon
        answer = client.api("POST", url, json={"body": f"{n} " + "x" * 4990})
        if answer.status_code == 201:
            saved += 1
            continue
        refused = answer
        break
    assert refused is not None, "the file never had to grow"
    assert refused.status_code == 503
    # (On a rate-limited route Flask-Limiter's own Retry-After header wins.)
    assert int(refused.headers["Retry-After"]) > 0
    error = refused.get_json()["error"]
    assert error["code"] == "storage_full" and "storage is full" in error["message"]
    assert comments() == saved  # the refused comment left nothing behind
    assert client.get(f"/consultations/{slug}").status_code == 200  # reading goes on

    app.full(False)
    assert client.api("POST", url, json={"body": "space again"}).status_code == 201
    assert comments() == saved + 1
