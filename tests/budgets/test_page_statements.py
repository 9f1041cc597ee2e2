"""The budget page and the ballot page of a signed-in voter read little of the database: with
the budget kept and the project lists cached, one small statement about the voter's own draft
and ballot."""

from __future__ import annotations

import re

import pytest

from tests.budgets.factories import make_budget, project_ids
from tests.conftest import count_queries
from tests.factories import make_user

BUDGET_TABLES = re.compile(r"\b(budgets|budget_projects|ballots|ballot_choices|ballot_drafts)\b")


@pytest.fixture
def kept(app, fragments):
    app.extensions["portal_page_cache"].objects.clear()
    yield
    app.extensions["portal_page_cache"].objects.clear()


def _budget_statements(app, send) -> tuple[list[str], object]:
    """The statements on budget tables while ``send()`` runs, shortened, and its answer."""
    with app.app_context(), count_queries() as seen:
        answer = send()
    return [" ".join(s.split())[:120] for s in seen if BUDGET_TABLES.search(s)], answer


def _page_statements(app, client, path: str) -> list[str]:
    statements, answer = _budget_statements(app, lambda: client.get(path))
    assert answer.status_code == 200
    return statements


def test_a_fresh_voter_s_pages(app, client, kept):
    with app.app_context():
        budget_id = make_budget().id
        make_user("fresh-pages@example.org")
    client.login("fresh-pages@example.org")
    for path in (f"/budgets/{budget_id}", f"/budgets/{budget_id}/ballot"):
        client.get(path)  # the budget kept, the lists cached
        statements = _page_statements(app, client, path)
        assert len(statements) == 1, "\n".join(statements)
        assert "FROM budgets" not in statements[0]


def test_a_voter_with_a_draft_or_a_ballot(app, client, kept):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
        make_user("drafting-pages@example.org")
    client.login("drafting-pages@example.org")
    ballot = f"/budgets/{budget_id}/ballot"
    client.form(ballot, {"action": "add", "project_id": str(ids[0])})
    client.get(ballot)
    # the draft and ballot id, the draft's projects
    assert len(_page_statements(app, client, ballot)) == 2
    client.form(f"/budgets/{budget_id}/ballot/checkout")
    client.get(ballot)
    # the draft (none) and ballot id, the ballot with its choices and their projects
    assert len(_page_statements(app, client, ballot)) == 2
    page = client.get(ballot).get_data(as_text=True)
    assert "You have voted; your ballot is final." in page and "Project number 1" in page
    show = client.get(f"/budgets/{budget_id}").get_data(as_text=True)
    assert "You have voted in this budget." in show and "Fill your ballot" not in show


def test_a_click_on_the_ballot_reads_the_basket_and_the_project_together(app, client, kept):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
        make_user("clicking@example.org")
    client.login("clicking@example.org")
    url = f"/budgets/{budget_id}/ballot"
    assert client.form(url, {"action": "add", "project_id": str(ids[0])}).status_code == 303
    statements, answer = _budget_statements(
        app, lambda: client.form(url, {"action": "add", "project_id": str(ids[4])})
    )
    assert answer.status_code == 303
    # the draft and ballot id, the draft's and the clicked projects, whether the person voted
    # (after locking them), the draft's UPDATE
    assert len(statements) == 4, "\n".join(statements)
    page = client.get(url).get_data(as_text=True)
    assert "Spent: €50,000.00 of €100,000.00" in page
    removed = client.form(url, {"action": "remove", "project_id": str(ids[0])})
    assert removed.status_code == 303
    assert "Spent: €10,000.00 of €100,000.00" in client.get(url).get_data(as_text=True)
