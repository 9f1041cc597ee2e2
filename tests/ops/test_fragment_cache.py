"""Fragments of signed-in pages (a page of comments, a page of idea cards, a budget's project
list) are rendered once for every viewer of a kind and cached under the content generation
and the language; what is the viewer's own (votes, own comments, supports, CSRF token) is
filled in per request. These tests check that each viewer still sees exactly their own page,
that changes show at once and that the cached pages run no more statements."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import User
from portal.comments import services as comment_services
from portal.comments.models import CommentVote
from portal.extensions import db
from portal.ideas import services as idea_services
from portal.moderation import services as moderation_services
from portal.ops.cache import splice
from tests.budgets.factories import make_budget
from tests.budgets.factories import make_consultation as make_voting_consultation
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def html_of(client, url: str, **kwargs) -> str:
    answer = client.get(url, **kwargs)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.get_data(as_text=True)


def own_tokens_only(page: str) -> None:
    """Every CSRF token on a signed-in page is the one its meta tag gives this person."""
    token = CSRF_META.search(page).group(1)
    assert set(CSRF_INPUT.findall(page)) == {token}


def comment_block(page: str, comment_id: int) -> str:
    """The HTML of one comment card, up to the next comment."""
    start = page.index(f'id="comment-{comment_id}"')
    end = page.find('<li id="comment-', start + 1)
    return page[start : end if end > 0 else len(page)]


def _discussion(app):
    """An idea under discussion with a comment by Ana and a reply by Ben; a moderator."""
    with app.app_context():
        ana = make_user("ana@example.org", name="Ana")
        ben = make_user("ben@example.org", name="Ben")
        make_user("mod@example.org", roles=("moderator",), name="Mo")
        consultation = make_consultation()
        idea = make_idea(consultation, author=make_user(), title="Shade trees by the river")
        first = comment_services.post_comment(ana, idea, "Plant oaks please", "for")
        reply = comment_services.post_comment(
            ben, idea, "Lindens are better", "against", parent_id=first.id
        )
        db.session.commit()
        return idea.id, first.id, reply.id


# --- comments -------------------------------------------------------------------------------


def test_two_people_see_their_own_votes_and_comments_on_one_cached_page(app, fragments):
    idea_id, ana_comment, ben_comment = _discussion(app)
    ana, ben = app.test_client(), app.test_client()
    ana.login("ana@example.org")
    ben.login("ben@example.org")
    ana.form(f"/comments/{ben_comment}/vote", {"value": "up"})  # Ana agrees with Ben

    ben_page = html_of(ben, f"/ideas/{idea_id}")
    hits = fragments["hit"]
    ana_page = html_of(ana, f"/ideas/{idea_id}")
    assert fragments["hit"] == hits + 2  # the idea and its comments, as Ben's request left them

    # Ana: Edit and Delete on her comment and no vote buttons there; her vote on Ben's reply.
    mine = comment_block(ana_page, ana_comment)
    assert f"/comments/{ana_comment}/edit" in mine and f"/comments/{ana_comment}/delete" in mine
    assert f"/comments/{ana_comment}/vote" not in mine and "/report/" not in mine
    theirs = comment_block(ana_page, ben_comment)
    assert f"/comments/{ben_comment}/edit" not in theirs
    assert f"/comments/{ben_comment}/delete" not in theirs
    assert 'value="none" class="secondary" aria-pressed="true"' in theirs  # agreed: press undoes
    assert f"/report/comment/{ben_comment}" in theirs
    # Ben: the other way round, and nothing pressed (he has not voted).
    mine = comment_block(ben_page, ben_comment)
    assert f"/comments/{ben_comment}/edit" in mine and f"/comments/{ben_comment}/vote" not in mine
    theirs = comment_block(ben_page, ana_comment)
    assert f"/comments/{ana_comment}/edit" not in theirs
    assert f"/comments/{ana_comment}/vote" in theirs
    assert 'aria-pressed="true"' not in ben_page
    # Each page carries only its own person's CSRF token, and it works for them.
    own_tokens_only(ana_page)
    own_tokens_only(ben_page)
    token = CSRF_META.search(ben_page).group(1)
    answer = ben.post(f"/comments/{ana_comment}/vote", data={"value": "up", "csrf_token": token})
    assert answer.status_code == 303
    refused = ana.post(f"/comments/{ben_comment}/vote", data={"value": "down", "csrf_token": token})
    assert refused.status_code == 400  # someone else's token is refused ...
    with app.app_context():
        votes = {(v.comment_id, v.value) for v in db.session.query(CommentVote)}
    assert (ben_comment, -1) not in votes  # ... and changed nothing


def test_new_edited_deleted_and_hidden_comments_show_at_once(app, client, fragments):
    idea_id, ana_comment, ben_comment = _discussion(app)
    reader = app.test_client()
    reader.login("mod@example.org")
    client.login("ana@example.org")
    url = f"/ideas/{idea_id}"
    html_of(reader, url)
    html_of(reader, url)  # cached now
    posted = client.form(f"/comments/on/{_anchor(app, idea_id)}", {"body": "Also fountains"})
    assert posted.status_code == 303
    assert "Also fountains" in html_of(reader, url)
    client.form(f"/comments/{ana_comment}/edit", {"body": "Plant maples please", "stance": "for"})
    page = html_of(reader, url)
    assert "Plant maples please" in page and "Plant oaks please" not in page
    with app.app_context():
        moderator = db.session.query(User).filter_by(email="mod@example.org").one()
        comment = comment_services.get_comment(ben_comment)
        moderation_services.hide(moderator, comment, "offensive")
        db.session.commit()
    page = html_of(reader, url)
    assert "Lindens are better" not in page and f'id="comment-{ben_comment}"' not in page
    client.form(f"/comments/{ana_comment}/delete", {})
    page = html_of(reader, url)
    assert "Plant maples please" not in page and "Comment deleted" in page


def test_a_moderator_sees_delete_links_that_a_resident_does_not(app, fragments):
    idea_id, ana_comment, ben_comment = _discussion(app)
    moderator, carl = app.test_client(), app.test_client()
    moderator.login("mod@example.org")
    with app.app_context():
        make_user("carl@example.org")
    carl.login("carl@example.org")
    url = f"/ideas/{idea_id}"
    for _ in range(2):  # the second round is served from the cache for both
        mod_page = html_of(moderator, url)
        carl_page = html_of(carl, url)
        for comment_id in (ana_comment, ben_comment):
            assert f"/comments/{comment_id}/delete" in comment_block(mod_page, comment_id)
            assert f"/comments/{comment_id}/delete" not in comment_block(carl_page, comment_id)
            assert f"/comments/{comment_id}/vote" in comment_block(carl_page, comment_id)
    assert fragments["hit"] >= 2
    visitor_page = html_of(app.test_client(), url)
    assert "/delete" not in visitor_page and "/vote" not in visitor_page
    assert "csrf" not in visitor_page  # a visitor's page stays cacheable as a whole


def test_the_comments_follow_the_language(app, fragments):
    idea_id, _ana_comment, _ben_comment = _discussion(app)
    with app.app_context():
        make_user("eva@example.org").locale = "es"
        db.session.commit()
    english, spanish = app.test_client(), app.test_client()
    english.login("ana@example.org")
    spanish.login("eva@example.org")
    url = f"/ideas/{idea_id}"
    html_of(english, url)
    misses = fragments["miss"]
    page = html_of(spanish, url)
    assert fragments["miss"] == misses + 2  # another language: the idea's and the comments' own
    assert ">Responder<" in page and "De acuerdo" in page and ">Reply<" not in page
    page = html_of(english, url)
    assert ">Reply<" in page and "Responder" not in page
    # Switching language takes effect on the next page.
    spanish.form("/language", {"locale": "nl", "next": url})
    assert "Antwoorden" in html_of(spanish, url)


def test_the_conversation_page_splices_in_the_viewer_too(app, fragments):
    idea_id, ana_comment, ben_comment = _discussion(app)
    client = app.test_client()
    client.login("ben@example.org")
    page = html_of(client, f"/comments/{ana_comment}/thread")
    assert f"/comments/{ben_comment}/edit" in comment_block(page, ben_comment)
    assert f"/comments/{ana_comment}/edit" not in comment_block(page, ana_comment)
    own_tokens_only(page)


def test_an_edited_idea_and_a_new_official_answer_show_at_once(app, fragments):
    from portal.accountability import services as accountability

    with app.app_context():
        author = make_user("ana@example.org")
        planner = make_user("pat@example.org", roles=("planner",))
        consultation = make_consultation()
        idea = make_idea(consultation, author=author, body="Plant **oaks** by the river.")
        idea_id, planner_id = idea.id, planner.id
    ana, reader = app.test_client(), app.test_client()
    ana.login("ana@example.org")
    reader.login("pat@example.org")
    url = f"/ideas/{idea_id}"
    for _ in range(2):
        page = html_of(reader, url)
        assert "<strong>oaks</strong>" in page and "No official answer yet." in page
        assert 'content="Plant oaks by the river."' in page  # the meta description
        assert "Answer this idea" in page  # the planner's own button, outside the fragment
    assert "Answer this idea" not in html_of(ana, url)  # served from the same fragment
    assert "Edit your idea" in html_of(ana, url) and "Edit your idea" not in page
    with app.app_context():
        idea = idea_services.get_idea(idea_id)
        idea.body = "Plant **maples** by the river."
        accountability.respond(
            db.session.get(User, planner_id), idea, "under_review", "We are measuring."
        )
        db.session.commit()
    page = html_of(ana, url)
    assert "<strong>maples</strong>" in page and "oaks" not in page
    assert "We are measuring." in page and "No official answer yet." not in page


# --- idea lists -----------------------------------------------------------------------------


def test_idea_cards_show_each_person_their_own_supports(app, fragments):
    with app.app_context():
        ana = make_user("ana@example.org")
        make_user("ben@example.org")
        consultation = make_consultation()
        liked = make_idea(consultation, title="Benches in the square")
        other = make_idea(consultation, title="Bicycle lanes")
        idea_services.add_support(ana, liked)
        db.session.commit()
        url, liked_id, other_id = f"/consultations/{consultation.slug}/ideas", liked.id, other.id
    ana_client, ben_client = app.test_client(), app.test_client()
    ana_client.login("ana@example.org")
    ben_client.login("ben@example.org")
    ben_page = html_of(ben_client, url)
    hits = fragments["hit"]
    ana_page = html_of(ana_client, url)
    assert fragments["hit"] == hits + 1

    def pressed(page: str) -> set[int]:
        forms = re.finditer(r'action="/ideas/(\d+)/support"(.*?)</form>', page, re.S)
        return {int(form[1]) for form in forms if 'aria-pressed="true"' in form[2]}

    assert pressed(ana_page) == {liked_id}
    assert pressed(ben_page) == set()
    assert ana_page.count("Supported ✓") == 1 and "Supported ✓" not in ben_page
    own_tokens_only(ana_page)
    own_tokens_only(ben_page)
    # Ben supports the other idea: his page (a new generation) shows it at once, Ana's not.
    ben_client.form(f"/ideas/{other_id}/support", {"action": "add"})
    assert pressed(html_of(ben_client, url)) == {other_id}
    assert pressed(html_of(ana_client, url)) == {liked_id}


def test_filtered_and_sorted_lists_are_cached_apart(app, client, fragments):
    with app.app_context():
        make_user("ana@example.org")
        consultation = make_consultation()
        make_idea(
            consultation, title="Trees in the park", category_id=consultation.categories[0].id
        )
        make_idea(consultation, title="Buses at night", category_id=consultation.categories[1].id)
        url = f"/consultations/{consultation.slug}/ideas"
        mobility = consultation.categories[1].id
    client.login("ana@example.org")
    assert "Trees in the park" in html_of(client, url)
    page = html_of(client, f"{url}?category={mobility}&sort=supported")
    assert "Buses at night" in page and "Trees in the park" not in page
    assert "1 idea<" in page
    page = html_of(client, f"{url}?mine=1")
    assert "No ideas match" in page  # Ana's own ideas: none


# --- budgets --------------------------------------------------------------------------------


def test_budget_projects_planners_see_hidden_ones_residents_do_not(app, fragments):
    from portal.budgets.models import Project

    with app.app_context():
        make_user("ana@example.org")
        make_user("pat@example.org", roles=("planner",))
        budget = make_budget(make_voting_consultation())
        hidden = db.session.query(Project).filter_by(budget_id=budget.id, ref="2").one()
        hidden.moderation_state = "hidden"
        db.session.commit()
        url, hidden_title = f"/budgets/{budget.id}", hidden.title
    planner, resident = app.test_client(), app.test_client()
    planner.login("pat@example.org")
    resident.login("ana@example.org")
    for _ in range(2):
        planner_page = html_of(planner, url)
        resident_page = html_of(resident, url)
        assert hidden_title in planner_page and ">Hidden<" in planner_page
        assert hidden_title not in resident_page and ">Hidden<" not in resident_page
        assert "Projects (4)" in resident_page and "Projects (5)" in planner_page
    assert fragments["hit"] >= 2
    with app.app_context():
        project = db.session.query(Project).filter_by(budget_id=budget.id, ref="1").one()
        project.title = "A brand new playground"
        db.session.commit()
    assert "A brand new playground" in html_of(resident, url)
    spanish = html_of(resident, url, headers={"Accept-Language": "es"})
    assert "Proyectos (4)" in spanish or "Projects (4)" in spanish  # the profile's language wins


# --- the same HTML, fewer statements ----------------------------------------------------------


def _normalised(page: str) -> str:
    return re.sub(r'(csrf_token" value="|csrf-token" content=")[^"]+', r"\1T", page)


@pytest.mark.parametrize("who", ["ana@example.org", "mod@example.org", None])
def test_cached_pages_are_the_same_as_rendered_ones(app, who):
    idea_id, ana_comment, ben_comment = _discussion(app)
    with app.app_context():
        idea = idea_services.get_idea(idea_id)
        slug = idea.consultation.slug
        ana = db.session.query(User).filter_by(email="ana@example.org").one()
        comment_services.vote(ana, comment_services.get_comment(ben_comment), "down")
        idea_services.add_support(ana, idea)
        budget_id = make_budget(make_voting_consultation()).id
        db.session.commit()
    client = app.test_client()
    if who:
        client.login(who)
        client.get("/")  # shows (and clears) the "logged in" message
    urls = [
        f"/ideas/{idea_id}",
        f"/ideas/{idea_id}?comments_order=newest",
        f"/consultations/{slug}/ideas",
        f"/consultations/{slug}/ideas?sort=commented",
        f"/budgets/{budget_id}",
        f"/comments/{ana_comment}/thread",
    ]
    cache = app.extensions["portal_page_cache"]
    try:
        plain = [_normalised(html_of(client, url)) for url in urls]
        app.config["FRAGMENT_CACHE_ENABLED"] = True
        hits = cache.fragment_stats["hit"]
        filled = [_normalised(html_of(client, url)) for url in urls]
        served = [_normalised(html_of(client, url)) for url in urls]
        assert cache.fragment_stats["hit"] >= hits + 5
    finally:
        app.config["FRAGMENT_CACHE_ENABLED"] = False
    for url, one, two, three in zip(urls, plain, filled, served, strict=True):
        assert one == two == three, url


def test_cached_pages_run_a_fixed_number_of_statements_and_fewer_than_before(app, client):
    """The query-count test's pages, with the fragment cache on: the statements still do not
    grow with the data, and a page served from the cache runs fewer than a fresh one."""
    from tests.test_query_counts import PAGES, _count, build, grow

    chosen = {"ideas-resident", "idea-resident", "idea-moderator", "budget-resident", "idea"}
    pages = [p for p in PAGES if p.name in chosen]
    app.config["FRAGMENT_CACHE_ENABLED"] = True
    try:
        with app.app_context():
            site = build()
            grow(site, 2, ("ideas", "comments", "moderation", "budgets"))
            engine = db.engine
        clients = {}
        for page in pages:
            if page.who and page.who not in clients:
                clients[page.who] = app.test_client()
                clients[page.who].login(page.who)
        counts = {}
        for page in pages:
            fresh, cached, _statements, _html = _count(
                clients.get(page.who, client), engine, page.url(site)
            )
            counts[page.name] = (fresh, cached)
            assert cached < fresh, (page.name, fresh, cached)
        with app.app_context():
            grow(site, 6, ("ideas", "comments", "moderation", "budgets"))
        for page in pages:
            fresh, cached, _statements, html = _count(
                clients.get(page.who, client), engine, page.url(site)
            )
            assert (fresh, cached) == counts[page.name], page.name
            if page.shows:
                assert page.shows.format(n=site.rounds) in html
    finally:
        app.config["FRAGMENT_CACHE_ENABLED"] = False


# --- helpers --------------------------------------------------------------------------------


def test_splice_replaces_only_the_marked_parts():
    html = "a<!--x:1-->one<!--/x:1-->b<!--x:2-->two<!--/x:2-->c<!--x:10-->ten<!--/x:10-->"
    assert (
        splice(html, "x", {2: "<!--x:2-->TWO<!--/x:2-->", 1: "ONE", 3: "none"})
        == "aONEb<!--x:2-->TWO<!--/x:2-->c<!--x:10-->ten<!--/x:10-->"
    )
    assert splice(html, "x", {}) == html


def test_comment_text_cannot_forge_a_marker(app, fragments):
    idea_id, ana_comment, _ben_comment = _discussion(app)
    client = app.test_client()
    client.login("ben@example.org")
    anchor = _anchor(app, idea_id)
    client.form(f"/comments/on/{anchor}", {"body": f"<!--ca:{ana_comment}--> sneaky"})
    page = html_of(client, f"/ideas/{idea_id}")
    assert page.count(f"<!--ca:{ana_comment}-->") == 1  # only the real one
    assert "&lt;!--ca:" in page


def _anchor(app, idea_id: int) -> int:
    with app.app_context():
        return idea_services.get_idea(idea_id).anchor_id
