"""Stateless app servers: two gunicorns, one PostgreSQL, one Redis. A session, a rate limit,
the page cache and a ballot behave the same whichever server answers.

Runs on the PostgreSQL pass only (PORTAL_TEST_DATABASE_URL set) with Redis reachable; it
creates its own database (portal_test_ops_servers) and uses Redis database 14.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.ops.helpers import ROOT, Browser, Gunicorn, base_env, reachable

DB_NAME = "portal_test_ops_servers"
REDIS_URL = "redis://127.0.0.1:6379/14"
PORTAL = str(Path(sys.executable).with_name("portal"))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    base = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("runs on the PostgreSQL pass only (PORTAL_TEST_DATABASE_URL not set)")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL")
    if not reachable(url.host or "127.0.0.1", url.port or 5432):
        pytest.skip("PostgreSQL is not reachable")
    if not reachable("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    database_url = url.set(database=DB_NAME).render_as_string(hide_password=False)
    env = base_env(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        RATELIMIT_LOGIN="3 per minute",
        PAGE_CACHE_ENABLED="1",
    )
    manifest_path = tmp_path_factory.mktemp("servers") / "seed.json"
    for command in (
        [PORTAL, "db", "upgrade"],
        [
            PORTAL,
            "seed-large",
            "--ideas",
            "5",
            "--comments",
            "3",
            "--supports",
            "5",
            "--voters",
            "3",
            "--projects",
            "5",
            "--manifest",
            str(manifest_path),
        ],
    ):
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads(manifest_path.read_text())
    first, second = Gunicorn(env), Gunicorn(env)
    try:
        first.wait_ready()
        second.wait_ready()
        yield first.url, second.url, manifest
    finally:
        first.stop()
        second.stop()
        Redis.from_url(REDIS_URL).flushdb()


def person(address: str, **headers: str) -> Browser:
    """A browser seen as coming from ``address`` (the reverse-proxy header wsgi.py trusts), so
    that each test has its own rate-limit budget."""
    return Browser({"X-Forwarded-For": address, **headers})


def login(browser: Browser, page_server: str, post_server: str, email: str, password: str):
    token = browser.get(page_server + "/login").csrf()
    return browser.post(
        post_server + "/login", {"email": email, "password": password, "csrf_token": token}
    )


def api(browser: Browser, method: str, url: str, token: str, payload=None):
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    body = json.dumps(payload).encode() if payload is not None else b""
    return browser.request(url, method=method, headers=headers, body=body)


def test_a_session_started_on_one_server_works_on_the_other(servers):
    a, b, manifest = servers
    browser = person("192.0.2.1")
    email = manifest["voters"]["email_pattern"].format(n=0)
    assert login(browser, a, b, email, manifest["password"]).status == 302
    for server in (a, b):
        page = browser.get(server + "/account")
        assert page.status == 200, page.body[:500]
        assert "Log out" in page.body
    # Logging out on one server ends the session on both.
    token = browser.get(a + "/account").csrf()
    assert browser.post(b + "/logout", {"csrf_token": token}).status == 302
    assert browser.get(a + "/account").status == 302


def test_a_rate_limit_is_shared_by_the_servers(servers):
    a, b, _ = servers
    browser = person("192.0.2.2")
    answers = [
        login(browser, a, server, "nobody@example.org", "wrong-password").status
        for server in (a, b, a, b, a)
    ]
    assert 429 not in answers[:3], answers
    assert answers[3:] == [429, 429], answers


def test_the_page_cache_is_shared_and_invalidated_across_servers(servers):
    a, b, manifest = servers
    # Behind the load balancer every server sees the same public host name.
    visitor = person("192.0.2.3", Host="portal.example")
    visitor.get(a + "/")
    assert visitor.get(b + "/").headers.get("X-Page-Cache") == "hit"
    # Served again from B's own copy (kept under the generation B learnt from Redis) ...
    assert visitor.get(b + "/").headers.get("X-Page-Cache") == "hit"
    # A write through server A (a signed-in person's language choice is saved) ...
    writer = person("192.0.2.4")
    email = manifest["voters"]["email_pattern"].format(n=1)
    assert login(writer, a, a, email, manifest["password"]).status == 302
    token = writer.get(a + "/account").csrf()
    assert writer.post(a + "/language", {"locale": "nl", "csrf_token": token}).status == 303
    # ... makes server B render afresh: the bump reached it through Redis.
    assert visitor.get(b + "/").headers.get("X-Page-Cache") == "miss"


def test_a_ballot_behaves_the_same_whichever_server_answers(servers):
    a, b, manifest = servers
    if "budget" not in manifest:
        pytest.skip("portal.budgets is not there yet")
    budget = manifest["budget"]["id"]
    browser = person("192.0.2.5")
    email = manifest["voters"]["email_pattern"].format(n=2)
    assert login(browser, b, a, email, manifest["password"]).status == 302
    token = browser.get(a + "/account").csrf()
    state = api(browser, "GET", f"{a}/api/v1/budgets/{budget}", token)
    assert state.status == 200, state.body[:500]
    projects = json.loads(state.body)["projects"]
    cheapest = min(projects, key=lambda p: float(str(p["cost"]).replace(",", "")))["id"]
    saved = api(
        browser, "PUT", f"{a}/api/v1/budgets/{budget}/ballot", token, {"projects": [cheapest]}
    )
    assert saved.status == 200, saved.body[:500]
    draft = api(browser, "GET", f"{b}/api/v1/budgets/{budget}/ballot", token)
    assert draft.status == 200
    assert [p["id"] for p in json.loads(draft.body)["draft"]["projects"]] == [cheapest]
    receipt = api(browser, "POST", f"{b}/api/v1/budgets/{budget}/ballot/checkout", token, {})
    assert receipt.status == 201, receipt.body[:500]
    code = json.loads(receipt.body)["receipt_code"]
    again = api(browser, "POST", f"{a}/api/v1/budgets/{budget}/ballot/checkout", token, {})
    assert again.status == 409
    mine = api(browser, "GET", f"{a}/api/v1/budgets/{budget}/ballot", token)
    submitted = json.loads(mine.body)["submitted"]
    assert submitted["receipt_code"] == code
    assert [p["id"] for p in submitted["projects"]] == [cheapest]
