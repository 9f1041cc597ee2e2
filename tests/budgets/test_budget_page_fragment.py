"""The budget page's content is kept as a fragment per budget, language, signed in or not,
voted or not and voting open or not; planners and those who may not vote get theirs rendered
for them."""

from __future__ import annotations

from tests.budgets.factories import make_budget, make_consultation, project_ids
from tests.factories import make_user


def _signed_in(app, email: str, **kwargs):
    with app.app_context():
        make_user(email, **kwargs)
    client = app.test_client()
    client.login(email)
    client.get("/")  # the "logged in" message goes
    return client


def _page(client, budget_id: int) -> str:
    answer = client.get(f"/budgets/{budget_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_residents_share_the_content_and_see_their_own_vote(app, fragments):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
    ana = _signed_in(app, "ana-show@example.org")
    ben = _signed_in(app, "ben-show@example.org")
    first = _page(ana, budget_id)
    misses = fragments["miss"]
    second = _page(ben, budget_id)
    assert fragments["miss"] == misses
    assert "Fill your ballot" in first and "Fill your ballot" in second
    ana.form(f"/budgets/{budget_id}/ballot", {"action": "add", "project_id": str(ids[0])})
    assert ana.form(f"/budgets/{budget_id}/ballot/checkout").status_code == 303
    voted = _page(ana, budget_id)
    assert "You have voted in this budget." in voted and "Fill your ballot" not in voted
    assert "You have voted" not in _page(ben, budget_id)
    visitor = app.test_client().get(f"/budgets/{budget_id}").get_data(as_text=True)
    assert "Log in to vote" in visitor and "My ballot" not in visitor


def test_planners_and_residents_who_may_not_vote_get_their_own(app, fragments):
    with app.app_context():
        consultation = make_consultation(require_verification=True)
        budget_id = make_budget(consultation).id
    resident = _signed_in(app, "unverified-show@example.org")
    planner = _signed_in(app, "planner-show@example.org", roles=("planner",))
    page = _page(resident, budget_id)
    assert "Enter the code from your letter first." in page and "Planner tools" not in page
    tools = _page(planner, budget_id)
    assert "Planner tools" in tools and "Publish the results" in tools
    assert "Planner tools" not in _page(resident, budget_id)
