"""A budget with its consultation, phases and district is kept in the process under the content
generation: later requests get it into their own session without SQL, any public write makes
them read it again, and budgets of draft consultations stay hidden from those who may not see
them."""

from __future__ import annotations

import pytest

from portal.budgets import ballot_rules, services
from portal.budgets.models import Budget
from portal.consultations.models import Consultation
from portal.consultations.phases import is_allowed
from portal.core.errors import NotFound
from portal.extensions import db
from tests.budgets.factories import make_budget, make_consultation, project_ids
from tests.factories import make_user


@pytest.fixture
def kept(app, fragments):
    cache = app.extensions["portal_page_cache"]
    cache.objects.clear()
    yield cache
    cache.objects.clear()


def test_a_kept_budget_comes_without_sql_and_belongs_to_the_request(app, kept, queries):
    with app.app_context():
        consultation = make_consultation(districts=("East",), voting_scope="own_district")
        district_id = consultation.districts[0].id
        budget_id = make_budget(consultation, district_id=district_id).id
    with app.app_context():
        services.get_budget(budget_id)  # read and kept
    with app.app_context(), queries() as statements:
        budget = services.get_budget(budget_id)
        # everything the pages and the ballot rules read on it
        seen = (
            budget.title,
            budget.consultation.title,
            budget.consultation.status,
            budget.consultation.voting_scope,
            budget.district.name,
            ballot_rules.describe(budget),
            services.ballot_phase(budget.consultation).kind,
            is_allowed(budget.consultation, "vote"),
            [phase.consultation is budget.consultation for phase in budget.consultation.phases],
        )
    assert statements == []
    assert seen[4] == "East" and seen[6] == "ballot" and seen[7] is True and all(seen[8])
    with app.app_context():
        budget = services.get_budget(budget_id)
        assert budget in db.session and budget.consultation in db.session
        budget.title = "Changed in this request only"
        assert services.get_budget(budget_id).title == "Changed in this request only"
        assert len(budget.projects) == 5  # not kept: read in the request's own session
        db.session.rollback()


def test_a_public_write_makes_the_next_request_read_it_again(app, kept, queries):
    with app.app_context():
        budget_id = make_budget(total=100_000_00).id
        services.get_budget(budget_id)
    with app.app_context():
        db.session.get(Budget, budget_id).title = "Parks and benches"
        db.session.commit()
    with app.app_context(), queries() as statements:
        assert services.get_budget(budget_id).title == "Parks and benches"
    assert len(statements) == 1
    with app.app_context():
        budget = db.session.get(Budget, budget_id)
        db.session.get(Consultation, budget.consultation_id).status = "archived"
        db.session.commit()
    with app.app_context():
        assert services.get_budget(budget_id).consultation.status == "archived"


def test_a_ballot_does_not_make_the_budget_read_again(app, kept, client, queries):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
        make_user("kept-voter@example.org")
    client.login("kept-voter@example.org")
    token = client.csrf_token()
    answer = client.post(
        f"/api/v1/budgets/{budget_id}/ballot/checkout",
        json={"projects": [{"id": ids[0]}]},
        headers={"X-CSRFToken": token},
    )
    assert answer.status_code == 201
    with app.app_context(), queries() as statements:
        services.get_budget(budget_id)
    assert statements == []


def test_a_kept_budget_of_a_draft_consultation_is_still_hidden_from_residents(app, kept):
    with app.app_context():
        budget_id = make_budget(make_consultation(status="draft")).id
        planner = make_user(roles=("planner",))
        resident = make_user()
        assert services.get_budget(budget_id, planner).consultation.status == "draft"  # kept
        with pytest.raises(NotFound):
            services.get_budget(budget_id, resident)
        with pytest.raises(NotFound):
            services.get_budget(budget_id)
        with pytest.raises(NotFound):
            services.get_budget(budget_id + 1000)


def test_the_pages_are_the_same_with_the_budget_kept(app, client, fragments):
    cache = app.extensions["portal_page_cache"]
    with app.app_context():
        consultation = make_consultation(districts=("North",))
        budget_id = make_budget(consultation, district_id=consultation.districts[0].id).id
        make_user("kept-pages@example.org")
    client.login("kept-pages@example.org")
    client.get("/")  # the "logged in" message goes
    pages = (f"/budgets/{budget_id}", f"/budgets/{budget_id}/ballot")
    cache.objects.clear()
    app.config["FRAGMENT_CACHE_ENABLED"] = False
    fresh = [client.get(page).get_data(as_text=True) for page in pages]
    app.config["FRAGMENT_CACHE_ENABLED"] = True
    client.get(pages[0])  # kept now
    kept = [client.get(page).get_data(as_text=True) for page in pages]
    cache.objects.clear()
    assert "District: North" in fresh[0] and "Your ballot" in fresh[1]
    for before, after in zip(fresh, kept, strict=True):
        assert _without_tokens(before) == _without_tokens(after)


def _without_tokens(page: str) -> str:
    import re

    return re.sub(r'(csrf[-_]token"?[^>]*? (?:content|value)=")[^"]+', r"\1", page)
