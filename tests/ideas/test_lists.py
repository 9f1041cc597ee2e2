"""Lists: filters, sorting (stable random), full-text search, pagination, fixed query count."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.ideas import services
from portal.ideas.models import Idea
from portal.moderation.visibility import HIDDEN
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea


def _titles(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.json
    return [item["title"] for item in response.json["items"]]


def test_filters_and_sorts(client, ctx):
    consultation = make_consultation()
    green, mobility = consultation.categories[0], consultation.categories[1]
    north = consultation.districts[0]
    me = make_user()
    a = make_idea(consultation, title="Alpha playground", category_id=green.id, author=me)
    b = make_idea(
        consultation, title="Bravo cycle lane", category_id=mobility.id, district_id=north.id
    )
    c = make_idea(consultation, title="Charlie bus stop", category_id=mobility.id)
    for i, idea in enumerate((a, b, c)):
        idea.created_at = idea.created_at - timedelta(days=10 - i)
    b.anchor.comment_count = 7
    db.session.commit()
    for person in (make_user(), make_user()):
        services.add_support(person, c)
    services.add_support(make_user(), a)
    db.session.commit()
    base = f"/api/v1/consultations/{consultation.slug}/ideas"
    assert _titles(client, base) == ["Charlie bus stop", "Bravo cycle lane", "Alpha playground"]
    assert _titles(client, base + "?sort=supported")[0] == "Charlie bus stop"
    assert _titles(client, base + "?sort=commented")[0] == "Bravo cycle lane"
    assert set(_titles(client, base + f"?category={mobility.id}")) == {
        "Bravo cycle lane",
        "Charlie bus stop",
    }
    assert _titles(client, base + f"?district={north.id}") == ["Bravo cycle lane"]
    assert _titles(client, base + "?status=accepted") == []
    assert _titles(client, base + "?mine=1") == _titles(client, base)  # anonymous: ignored
    client.login(me.email)
    assert _titles(client, base + "?mine=1") == ["Alpha playground"]
    # unknown values never fail
    assert len(_titles(client, base + "?sort=evil&category=x&district=-1&status=')")) == 3
    every = client.get(base).json["items"]
    assert all(item["url"].startswith("http://localhost/ideas/") for item in every)


def test_random_order_is_stable_per_visitor_across_pages(client, ctx):
    consultation = make_consultation()
    for n in range(12):
        make_idea(consultation, title=f"Random idea number {n}", commit=False)
    db.session.commit()
    base = f"/api/v1/consultations/{consultation.slug}/ideas?sort=random&per_page=5"
    first = [_titles(client, base + f"&page={p}") for p in (1, 2, 3)]
    again = [_titles(client, base + f"&page={p}") for p in (1, 2, 3)]
    assert first == again
    seen = [t for page in first for t in page]
    assert len(seen) == len(set(seen)) == 12
    newest = _titles(client, f"/api/v1/consultations/{consultation.slug}/ideas?per_page=50")
    orders = set()
    for _ in range(4):
        other = consultation.app = None  # noqa: F841 - a fresh visitor below
        visitor = client.application.test_client()
        orders.add(tuple(_titles(visitor, base.replace("per_page=5", "per_page=50"))))
    assert len(orders) > 1 or list(orders)[0] != tuple(newest)


def test_full_text_search(client, ctx):
    consultation = make_consultation()
    make_idea(
        consultation,
        title="Skatepark near the station",
        body="Young people have nowhere to go in the evening.",
    )
    make_idea(consultation, title="Café terraces", body="Más terrazas en la plaza mayor.")
    hidden = make_idea(consultation, title="Hidden skatepark plan", body="Should not be found.")
    hidden.moderation_state = HIDDEN
    db.session.commit()
    base = f"/api/v1/consultations/{consultation.slug}/ideas?q="
    assert _titles(client, base + "skatepark") == ["Skatepark near the station"]
    assert _titles(client, base + "skate") == ["Skatepark near the station"]  # prefix
    assert _titles(client, base + "evening young") == ["Skatepark near the station"]
    assert _titles(client, base + "terrazas") == ["Café terraces"]
    assert _titles(client, base + "skatepark evening nothere") == []
    for nasty in ('"', "'", "AND OR NOT", "*", "(", "a:b", "-x", "NEAR(", "\\", "é'&|!:*"):
        assert client.get(base + nasty).status_code == 200
    # the search index follows edits
    idea = db.session.scalar(db.select(Idea).where(Idea.title == "Café terraces"))
    idea.title = "Fountain restored"
    db.session.commit()
    assert _titles(client, base + "fountain") == ["Fountain restored"]
    assert _titles(client, base + "terraces") == []
    page = client.get(f"/consultations/{consultation.slug}/ideas?q=skatepark").get_data(
        as_text=True
    )
    assert "Skatepark near the station" in page and "Hidden skatepark plan" not in page


def test_pagination(client, ctx):
    consultation = make_consultation()
    for n in range(25):
        make_idea(consultation, title=f"Paged idea {n:02d}", commit=False)
    db.session.commit()
    data = client.get(f"/api/v1/consultations/{consultation.slug}/ideas?page=2").json
    assert data["total"] == 25 and data["pages"] == 2 and len(data["items"]) == 5
    page = client.get(f"/consultations/{consultation.slug}/ideas?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page
    assert client.get(f"/consultations/{consultation.slug}/ideas?page=999").status_code == 200


def _fill(consultation, n):
    supporters = [make_user(commit=False) for _ in range(2)]
    db.session.commit()
    for i in range(n):
        idea = make_idea(consultation, title=f"Counted idea {i}", author=supporters[0])
        services.add_support(supporters[1], idea)
    db.session.commit()
    return supporters[1]


def test_list_page_runs_a_fixed_number_of_queries(client, ctx, queries):
    small = make_consultation()
    large = make_consultation()
    supporter = _fill(small, 2)
    _fill(large, 30)
    client.login(supporter.email)
    counts = {}
    for consultation in (small, large):
        for sort in ("newest", "supported", "commented", "random"):
            url = f"/consultations/{consultation.slug}/ideas?sort={sort}&per_page=50"
            client.get(url)  # warm up (session seed)
            with queries() as q:
                response = client.get(url)
            assert response.status_code == 200
            counts[(consultation.slug, sort)] = len(q)
        with queries() as q:
            client.get(f"/api/v1/consultations/{consultation.slug}/ideas?per_page=50")
        counts[(consultation.slug, "api")] = len(q)
    for sort in ("newest", "supported", "commented", "random", "api"):
        assert counts[(small.slug, sort)] == counts[(large.slug, sort)], counts
    assert max(counts.values()) <= 12, counts


def _listing_pages(app, url: str, cached: bool) -> dict[str, str]:
    """The list at ``url`` for a visitor, a resident and a planner, in English and Spanish,
    with the fragment cache on or off (tokens left out: they are each session's own)."""
    import re

    app.config["FRAGMENT_CACHE_ENABLED"] = cached
    pages = {}
    try:
        for who in (None, "resident@example.org", "planner@example.org"):
            client = app.test_client()
            if who:
                client.login(who)
            for language in ("en", "es"):
                for _ in range(2):  # the second one is served from the cache when it is on
                    answer = client.get(url, headers={"Accept-Language": language})
                    assert answer.status_code == 200
                    html = answer.get_data(as_text=True)
                    pages[f"{who} {language}"] = re.sub(r'(csrf[-_]token"? \w+=")[^"]+', "", html)
    finally:
        app.config["FRAGMENT_CACHE_ENABLED"] = False
    return pages


def test_the_cached_listing_is_each_kind_of_viewers_own(app):
    """Filters, count, cards and pager are one cached fragment per kind of viewer and
    language: each viewer gets the page rendered for them (the "only my ideas" box for people
    signed in, the "most supported" order only where counts show), the same as uncached."""
    with app.app_context():
        make_user("resident@example.org")
        planner = make_user("planner@example.org", roles=("planner",))
        consultation = make_consultation(hide_support_counts=True, planner=planner)
        for n in range(3):
            make_idea(consultation, title=f"Benches on square {n}")
        category = consultation.categories[1].id
        url = f"/consultations/{consultation.slug}/ideas?category={category}&sort=newest"
        url_all = f"/consultations/{consultation.slug}/ideas"
    stats = app.extensions["portal_page_cache"].fragment_stats
    stats.update(hit=0, miss=0)
    cached = _listing_pages(app, url_all, cached=True)
    assert stats["hit"] >= 6 and stats["miss"] == 6  # one per kind of viewer and language
    assert cached == _listing_pages(app, url_all, cached=False)
    assert cached == _listing_pages(app, url_all, cached=True)
    assert 'id="mine"' not in cached["None en"] and 'id="mine"' in cached["resident@example.org en"]
    assert 'value="supported"' not in cached["resident@example.org en"]
    assert 'value="supported"' in cached["planner@example.org en"]  # planners see counts
    assert "3 ideas<" in cached["None en"] and "Buscar" in cached["None es"]
    filtered = _listing_pages(app, url, cached=True)
    assert f'<option value="{category}" selected>' in filtered["resident@example.org es"]
    assert "0 ideas<" in filtered["None en"]
