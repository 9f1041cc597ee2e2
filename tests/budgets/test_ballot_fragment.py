"""The ballot's list of projects is kept as a fragment per budget, language, chosen projects
and money left: voters who chose the same (most often: nothing yet) share one rendering, each
still with their own CSRF token, and changes to the projects show at once."""

from __future__ import annotations

import re

from portal.budgets.models import Project
from portal.extensions import db
from tests.budgets.factories import make_budget, project_ids
from tests.factories import make_user

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def voters(app, *emails):
    clients = []
    for email in emails:
        with app.app_context():
            make_user(email)
        client = app.test_client()
        client.login(email)
        clients.append(client)
    return clients


def ballot_page(client, budget_id: int) -> str:
    answer = client.get(f"/budgets/{budget_id}/ballot")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    assert set(CSRF_INPUT.findall(page)) == {token}  # every form carries this voter's token
    return page


def project_card(page: str, project_id: int) -> str:
    start = page.rindex("<li", 0, page.index(f'id="project-{project_id}"'))
    end = page.find("</li>", start)
    return page[start:end]


def test_voters_who_chose_nothing_share_one_list_with_their_own_tokens(app, fragments):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
    ana, ben = voters(app, "ana-ballot@example.org", "ben-ballot@example.org")
    first = ballot_page(ana, budget_id)
    misses = fragments["miss"]
    second = ballot_page(ben, budget_id)
    assert fragments["miss"] == misses and fragments["hit"] >= 1
    for project_id in ids:
        assert "is-chosen" not in project_card(second, project_id)
    assert CSRF_META.search(first).group(1) != CSRF_META.search(second).group(1)
    assert first.count('value="add"') == second.count('value="add"') == len(ids)


def test_a_voters_choices_and_money_left_show_on_their_list_only(app, fragments):
    with app.app_context():
        budget = make_budget()  # costs 40k, 30k, 25k, 20k and 10k of 100k
        budget_id, ids = budget.id, project_ids(budget)
    ana, ben = voters(app, "ana-choice@example.org", "ben-choice@example.org")
    ballot_page(ben, budget_id)  # the shared empty list is cached first
    for project_id in ids[:3]:  # 95k chosen: 5k left
        answer = ana.form(
            f"/budgets/{budget_id}/ballot", {"action": "add", "project_id": str(project_id)}
        )
        assert answer.status_code == 303
    mine = ballot_page(ana, budget_id)
    for project_id in ids[:3]:
        card = project_card(mine, project_id)
        assert "is-chosen" in card and "On your ballot" in card and 'value="remove"' in card
    for project_id in ids[3:]:
        assert "Does not fit in what you have left" in project_card(mine, project_id)
    theirs = ballot_page(ben, budget_id)
    for project_id in ids:
        card = project_card(theirs, project_id)
        assert "is-chosen" not in card and "Does not fit" not in card


def test_a_changed_project_shows_at_once(app, fragments):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
    (ana,) = voters(app, "ana-rename@example.org")
    assert "Project number 1" in ballot_page(ana, budget_id)
    with app.app_context():
        project = db.session.get(Project, ids[0])
        project.title = "Benches along the canal"
        db.session.commit()
    page = ballot_page(ana, budget_id)
    assert "Benches along the canal" in project_card(page, ids[0])


def test_the_page_of_voters_who_chose_nothing_is_rendered_once(app, fragments):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
    ana, ben, cy = voters(
        app, "ana-page@example.org", "ben-page@example.org", "cy-page@example.org"
    )
    first = ballot_page(ana, budget_id)
    misses, hits = fragments["miss"], fragments["hit"]
    second = ballot_page(ben, budget_id)
    assert fragments["miss"] == misses and fragments["hit"] == hits + 1  # the whole content
    assert CSRF_META.sub("", first) != CSRF_META.sub("", second)  # each their own token
    assert CSRF_INPUT.sub("", CSRF_META.sub("", first)) == CSRF_INPUT.sub(
        "", CSRF_META.sub("", second)
    )
    # A voter with a choice gets their own content (its project list may still be shared).
    cy.form(f"/budgets/{budget_id}/ballot", {"action": "add", "project_id": str(ids[4])})
    mine = ballot_page(cy, budget_id)
    assert "Spent: €10,000.00 of €100,000.00" in mine
    assert "is-chosen" in project_card(mine, ids[4])
    assert "Spent: €0.00 of €100,000.00" in ballot_page(ben, budget_id)


def test_a_refused_check_out_shows_its_error_to_that_voter_only(app, fragments):
    with app.app_context():
        budget_id = make_budget().id
    ana, ben = voters(app, "ana-refused@example.org", "ben-refused@example.org")
    ballot_page(ben, budget_id)  # the shared content is cached first
    refused = ana.form(f"/budgets/{budget_id}/ballot/checkout")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Your ballot was not submitted" in text and "Your ballot is empty" in text
    for client in (ana, ben):
        assert "Your ballot was not submitted" not in ballot_page(client, budget_id)
