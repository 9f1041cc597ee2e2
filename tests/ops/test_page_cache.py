"""The anonymous page cache: served from the cache, fresh after writes, never for signed-in
people or flashed pages, and always with the visitor's own CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.ops.cache import MemoryBackend, PageCache
from tests.factories import make_user

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


@pytest.fixture
def cache_on(app):
    app.config["PAGE_CACHE_ENABLED"] = True
    yield app.extensions["portal_page_cache"]
    app.config["PAGE_CACHE_ENABLED"] = False


def token_of(response) -> str:
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, "no csrf token on the page"
    return match.group(1)


def test_second_anonymous_request_is_served_from_the_cache_without_sql(
    app, client, cache_on, queries
):
    first = client.get("/")
    assert first.status_code == 200
    assert first.headers["X-Page-Cache"] == "miss"
    with app.app_context(), queries() as statements:
        second = app.test_client().get("/")
    assert second.status_code == 200
    assert second.headers["X-Page-Cache"] == "hit"
    assert statements == []  # the page body came from the cache: no SQL at all
    # A visitor's page carries no per-visitor token: the same bytes for everyone, and a hit
    # neither opens nor sets a session.
    assert first.get_data() == second.get_data()
    assert "csrf" not in second.get_data(as_text=True)
    assert "Set-Cookie" not in second.headers
    # Security headers are still added to cached answers.
    assert second.headers["Content-Security-Policy"]
    assert second.headers["X-Request-ID"]


def test_a_commit_makes_the_next_request_fresh(app, client, cache_on):
    from portal.consultations.models import Consultation

    client.get("/consultations")
    assert client.get("/consultations").headers["X-Page-Cache"] == "hit"
    with app.app_context():
        db.session.add(
            Consultation(slug="fresh-park", title="Fresh park plans", status="published")
        )
        db.session.commit()
    answer = client.get("/consultations")
    assert answer.headers["X-Page-Cache"] == "miss"
    assert "Fresh park plans" in answer.get_data(as_text=True)
    assert client.get("/consultations").headers["X-Page-Cache"] == "hit"


def test_writes_outside_the_orm_session_also_invalidate(app, client, cache_on):
    client.get("/")
    assert client.get("/").headers["X-Page-Cache"] == "hit"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM consultations WHERE slug = 'nothing-here'"))
    assert client.get("/").headers["X-Page-Cache"] == "miss"


def test_a_rolled_back_write_keeps_the_cache(app, client, cache_on):
    from portal.consultations.models import Consultation

    client.get("/")
    with app.app_context():
        db.session.add(Consultation(slug="never", title="Never saved", status="published"))
        db.session.flush()
        db.session.rollback()
    assert client.get("/").headers["X-Page-Cache"] == "hit"


def test_signed_in_people_are_never_served_or_stored(app, client, cache_on):
    with app.app_context():
        make_user("cached@example.org")
    anonymous = app.test_client()
    anonymous.get("/")
    assert anonymous.get("/").headers["X-Page-Cache"] == "hit"
    client.login("cached@example.org")  # a commit (last log-in time): a new generation
    anonymous.get("/")
    for _ in range(2):
        page = client.get("/")
        assert "X-Page-Cache" not in page.headers
        assert "Log out" in page.get_data(as_text=True)
    # ...and what the anonymous visitors get never contains the signed-in view.
    again = anonymous.get("/")
    assert again.headers["X-Page-Cache"] == "hit"
    assert "Log out" not in again.get_data(as_text=True)


def test_a_visitor_changes_language_without_a_token(app, client, cache_on):
    client.get("/")
    assert client.get("/").headers["X-Page-Cache"] == "hit"
    answer = client.get("/language?locale=nl&next=/consultations")
    assert answer.status_code == 303 and answer.location == "/consultations"
    page = client.get("/")
    assert '<html lang="nl">' in page.get_data(as_text=True)
    assert page.headers["X-Page-Cache"] == "miss"  # the language is part of the cache key


def test_the_csrf_token_on_a_cached_page_is_the_visitors_own(app, cache_on, monkeypatch):
    # Cached pages for visitors carry no form with a token today; a page that does (the
    # log-in form, cached for this test) gets each visitor's own token on every hit.
    monkeypatch.setattr(cache_on, "endpoints", cache_on.endpoints | {"accounts.login"})
    first_visitor, second_visitor = app.test_client(), app.test_client()
    first = first_visitor.get("/login")
    second = second_visitor.get("/login")
    assert second.headers["X-Page-Cache"] == "hit"
    token = token_of(second)
    assert token != token_of(first)
    # Every token on the page is the same visitor's token.
    hidden = CSRF_INPUT.findall(second.get_data(as_text=True))
    assert hidden and set(hidden) == {token}
    # The token works for its owner and not for the other visitor.
    assert (
        second_visitor.post("/language", data={"locale": "nl", "csrf_token": token}).status_code
        == 303
    )
    assert (
        first_visitor.post("/language", data={"locale": "nl", "csrf_token": token}).status_code
        == 400
    )


def test_pages_with_a_flash_message_are_not_cached(app, client, cache_on):
    other = app.test_client()
    other.get("/")
    assert other.get("/").headers["X-Page-Cache"] == "hit"
    # A login-only page sends the visitor to log in with a flash message.
    assert client.get("/account").status_code == 302
    flashed = client.get("/login")
    assert "Please log in to continue." in flashed.get_data(as_text=True)
    assert flashed.headers.get("X-Page-Cache") != "hit"
    client.get("/account")
    home = client.get("/")
    assert "Please log in to continue." in home.get_data(as_text=True)
    assert "X-Page-Cache" not in home.headers
    # The flashed page was not stored for others.
    clean = other.get("/")
    assert clean.headers["X-Page-Cache"] == "hit"
    assert "Please log in to continue." not in clean.get_data(as_text=True)


def test_pages_are_cached_per_locale(app, cache_on):
    english, spanish = app.test_client(), app.test_client()
    english.get("/", headers={"Accept-Language": "en"})
    answer = spanish.get("/", headers={"Accept-Language": "es"})
    assert answer.headers["X-Page-Cache"] == "miss"
    assert '<html lang="es">' in answer.get_data(as_text=True)
    again = english.get("/", headers={"Accept-Language": "en"})
    assert again.headers["X-Page-Cache"] == "hit"
    assert '<html lang="en">' in again.get_data(as_text=True)


def test_the_query_string_is_part_of_the_key(app, client, cache_on):
    client.get("/consultations")
    assert client.get("/consultations?page=2").headers["X-Page-Cache"] == "miss"


def test_not_listed_endpoints_and_errors_are_not_cached(app, client, cache_on):
    assert "X-Page-Cache" not in client.get("/login").headers
    missing = client.get("/consultations/no-such-thing")
    assert missing.status_code == 404
    assert client.get("/consultations/no-such-thing").headers.get("X-Page-Cache") != "hit"


def test_disabled_cache_does_nothing(app, client):
    app.config["PAGE_CACHE_ENABLED"] = False
    client.get("/")
    assert "X-Page-Cache" not in client.get("/").headers


def test_memory_generation_is_shared_by_processes_through_a_file(tmp_path):
    one = MemoryBackend(tmp_path / "generation", 10)
    two = MemoryBackend(tmp_path / "generation", 10)
    start = one.generation()
    two.bump()
    assert one.generation() != start
    one.set("a", b"x", ttl=60)
    assert one.get("a") == b"x"
    assert two.get("a") is None  # pages are per process; only the counter is shared


def test_memory_backend_is_bounded(tmp_path):
    backend = MemoryBackend(tmp_path / "generation", 3)
    for key in "abcd":
        backend.set(key, key.encode(), ttl=60)
    assert backend.get("a") is None
    assert backend.get("d") == b"d"


def test_memory_backend_is_bounded_in_bytes_too(tmp_path):
    backend = MemoryBackend(tmp_path / "generation", 100, max_bytes=250)
    for key in "abc":
        backend.set(key, key.encode() * 100, ttl=60)
    assert backend.get("a") is None  # 300 bytes: the oldest went
    assert backend.get("b") and backend.get("c")
    backend.set("b", b"small", ttl=60)  # replacing an entry counts its new size only
    assert backend.size == 105
    backend.set("huge", b"x" * 1000, ttl=60)  # larger than the bound: kept alone
    assert backend.get("huge") and backend.get("c") is None and backend.size == 1000


def test_a_failed_bump_stops_caching_until_it_succeeds(app, client, cache_on):
    cache: PageCache = cache_on

    class Flaky:
        def __init__(self, real):
            self.real, self.broken = real, True

        def bump(self):
            if self.broken:
                raise ConnectionError("redis away")
            self.real.bump()

        def __getattr__(self, name):
            return getattr(self.real, name)

    real = cache.backend
    flaky = Flaky(real)
    cache.backend = flaky
    try:
        client.get("/")
        cache.bump()  # fails: the generation can no longer be trusted
        assert "X-Page-Cache" not in client.get("/").headers
        flaky.broken = False
        assert client.get("/").headers["X-Page-Cache"] == "miss"
        assert client.get("/").headers["X-Page-Cache"] == "hit"
    finally:
        cache.backend = real


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ("INSERT INTO ideas (title) VALUES (?)", True),
        ('DELETE FROM "comments" WHERE id = ?', True),
        ("UPDATE users SET display_name=?, updated_at=? WHERE users.id = ?", True),
        ("UPDATE users SET last_login_at=?, updated_at=? WHERE users.id = ?", False),
        ("INSERT INTO ballots (budget_id, voter_id) VALUES (?, ?)", False),
        ("delete from ballot_drafts where voter_id = ?", False),
        ("INSERT INTO notifications (user_id) VALUES (?) RETURNING id", False),
        ("TRUNCATE ideas", True),
        ("SELECT * FROM ideas", False),
        # A support on PostgreSQL: the INSERT is a WITH of the counter's UPDATE.
        (
            "WITH added AS (INSERT INTO supports (user_id, idea_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING RETURNING supports.id) UPDATE ideas SET "
            "support_count=(ideas.support_count + 1) WHERE ideas.id = ? RETURNING 1",
            True,
        ),
        ("WITH gone AS (DELETE FROM ballot_drafts WHERE id = ? RETURNING 1) SELECT 1", False),
        ("WITH recent AS (SELECT id FROM ideas) SELECT count(*) FROM recent", False),
        (
            "with t as (select 1) insert into ballots (id) select 1 on conflict do update set x=1",
            True,
        ),
    ],
)
def test_only_writes_that_a_cached_page_shows_change_the_generation(statement, public):
    from portal.ops.cache import _changes_public_pages

    assert _changes_public_pages(statement) is public


def test_logging_in_keeps_the_visitors_cache_but_a_new_idea_empties_it(app, client, cache_on):
    from portal.consultations.models import Consultation

    visitor = app.test_client()
    visitor.get("/consultations")
    assert visitor.get("/consultations").headers["X-Page-Cache"] == "hit"
    with app.app_context():
        make_user("voter@example.org")
    visitor.get("/consultations")  # the new account is a public write: fresh once
    assert visitor.get("/consultations").headers["X-Page-Cache"] == "hit"
    client.login("voter@example.org")  # writes only the last log-in time
    assert visitor.get("/consultations").headers["X-Page-Cache"] == "hit"
    with app.app_context():
        db.session.add(Consultation(slug="new-plans", title="New plans", status="published"))
        db.session.commit()
    fresh = visitor.get("/consultations")
    assert fresh.headers["X-Page-Cache"] == "miss"
    assert "New plans" in fresh.get_data(as_text=True)


def test_remembered_values_follow_the_generation(app, cache_on):
    from portal.ops.cache import remembered

    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with app.test_request_context("/"):
        assert remembered("answer", compute) == 1
        assert remembered("answer", compute) == 1  # served from the cache
        cache_on.bump()
        assert remembered("answer", compute) == 2  # a public write: computed again


def test_a_support_makes_the_cached_idea_page_fresh(app, client, cache_on):
    """On PostgreSQL a support is one WITH statement (INSERT inside, UPDATE outside): it
    must count as a public write like the two statements SQLite runs."""
    from tests.ideas.factories import make_consultation, make_idea

    with app.app_context():
        idea_id = make_idea(make_consultation()).id
        make_user("supporter@example.org")
    visitor = app.test_client()
    visitor.get(f"/ideas/{idea_id}")
    assert visitor.get(f"/ideas/{idea_id}").headers["X-Page-Cache"] == "hit"
    client.login("supporter@example.org")
    answer = client.post(
        f"/api/v1/ideas/{idea_id}/support", headers={"X-CSRFToken": client.csrf_token()}
    )
    assert answer.status_code == 201 and answer.get_json()["support_count"] == 1
    assert visitor.get(f"/ideas/{idea_id}").headers["X-Page-Cache"] == "miss"
