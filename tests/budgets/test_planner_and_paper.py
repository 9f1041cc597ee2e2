"""Planners: budgets and projects through the forms, ideas into projects, paper ballots, demo."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from portal.budgets import services
from portal.budgets.models import Ballot, Budget, Project
from portal.consultations.models import VerificationCode
from portal.consultations.services import generate_codes, redeem_code
from portal.extensions import db
from tests.budgets.factories import make_budget, make_consultation, project_ids
from tests.factories import make_user


def _planner(client, email="planner@example.org"):
    make_user(email, roles=("planner",))
    client.login(email)


def test_planner_creates_a_budget_and_projects_with_a_feasibility_review(app, client, ctx):
    consultation = make_consultation(voting_open=False, districts=("North",))
    db.session.commit()
    _planner(client)
    assert client.get(f"/budgets/new?consultation={consultation.slug}").status_code == 200
    bad = client.form(
        "/budgets/new",
        {
            "consultation": consultation.id,
            "title": "Cumulative",
            "total": "12,50",
            "currency": "EUR",
            "ballot_kind": "cumulative",
            "min_projects": "1",
            "tie_breaking": "lexico",
        },
    )
    assert bad.status_code == 422 and "points to share out" in bad.get_data(as_text=True)
    response = client.form(
        "/budgets/new",
        {
            "consultation": consultation.id,
            "title": "North budget",
            "total": "150000.50",
            "currency": "eur",
            "ballot_kind": "approval",
            "min_projects": "1",
            "max_projects": "3",
            "cost_limited": "y",
            "district": consultation.districts[0].id,
            "official_rule": "mes_cost_sat_add1_greedy",
            "tie_breaking": "lexico",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    budget = db.session.scalar(select(Budget).where(Budget.title == "North budget"))
    assert budget.total == 15_000_050 and budget.currency == "EUR"
    assert budget.max_projects == 3 and budget.cost_limited and budget.district_id
    assert budget.official_rule == "mes_cost_sat_add1_greedy"

    missing_reason = client.form(
        f"/budgets/{budget.id}/projects/new",
        {"title": "Skate park", "cost": "20000", "feasibility": "not_feasible"},
    )
    assert missing_reason.status_code == 422
    assert "why the project is not feasible" in missing_reason.get_data(as_text=True)
    created = client.form(
        f"/budgets/{budget.id}/projects/new",
        {
            "title": "Skate park",
            "cost": "20000",
            "feasibility": "not_feasible",
            "feasibility_explanation": "The site is a protected meadow.",
            "ref": "SK-1",
        },
    )
    assert created.status_code == 303
    project = db.session.scalar(select(Project).where(Project.ref == "SK-1"))
    assert project.cost == 2_000_000 and not project.is_votable
    page = client.get(f"/budgets/{budget.id}/projects/{project.id}").get_data(as_text=True)
    assert "The site is a protected meadow." in page and "Not feasible" in page
    duplicate = client.form(
        f"/budgets/{budget.id}/projects/new",
        {"title": "Another", "cost": "1", "feasibility": "feasible", "ref": "SK-1"},
    )
    assert duplicate.status_code == 422 and "has this reference" in duplicate.get_data(as_text=True)


def test_qualified_ideas_become_projects(app, client, ctx):
    from portal.ideas.models import Idea

    consultation = make_consultation(voting_open=False)
    budget = make_budget(consultation, costs=())
    idea = Idea(
        consultation_id=consultation.id,
        title="Water fountain in the park",
        body="Thirsty kids.",
        is_qualified=True,
        support_count=40,
        cost=3_000,
    )
    unqualified = Idea(consultation_id=consultation.id, title="Not enough support", body="x")
    db.session.add_all([idea, unqualified])
    db.session.commit()
    _planner(client)
    page = client.get(f"/budgets/{budget.id}/from-ideas").get_data(as_text=True)
    assert "Water fountain in the park" in page and "Not enough support" not in page
    response = client.form(f"/budgets/{budget.id}/from-ideas", {"idea_id": idea.id, "cost": ""})
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.idea_id == idea.id))
    assert project.title == idea.title and project.cost == 300_000
    assert project.feasibility == "pending"
    again = client.form(
        f"/budgets/{budget.id}/from-ideas", {"idea_id": idea.id}, follow_redirects=True
    )
    assert "already a project" in again.get_data(as_text=True)
    other = client.form(
        f"/budgets/{budget.id}/from-ideas", {"idea_id": unqualified.id}, follow_redirects=True
    )
    assert "not a qualified idea" in other.get_data(as_text=True)


def test_paper_ballots_are_matched_to_codes_and_counted_separately(app, client, ctx):
    consultation = make_consultation(require_verification=True)
    budget = make_budget(consultation)
    ids = project_ids(budget)
    codes = generate_codes(consultation, 4)
    online_person = make_user("online@example.org")
    redeem_code(online_person, consultation, codes[3])  # this code is used online
    db.session.commit()
    _planner(client)
    url = f"/budgets/{budget.id}/paper"
    assert client.form(url, {"one-code": codes[0], "one-choices_text": "1 2"}).status_code == 303
    twice = client.form(url, {"one-code": codes[0], "one-choices_text": "3"})
    assert twice.status_code == 422 and "already counted" in twice.get_data(as_text=True)
    online = client.form(url, {"one-code": codes[3], "one-choices_text": "3"})
    assert online.status_code == 422 and "used to vote online" in online.get_data(as_text=True)
    over = client.form(url, {"one-code": codes[1], "one-choices_text": "1 2 3 4"})
    assert over.status_code == 422 and "Over the budget" in over.get_data(as_text=True)

    # A CSV with one bad line stores nothing and names every bad line.
    bad_csv = f"code,choices\n{codes[1]},4 5\n{codes[2]},1 99\nNOPE-NOPE,1\n"
    response = client.form(url, {"csv-csv_text": bad_csv})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3: There is no project “99”" in text and "Line 4:" in text
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.channel == "paper")) == 1
    good_csv = f"code,choices\n{codes[1]},4 5\n{codes[2]},5\n"
    assert client.form(url, {"csv-csv_text": good_csv}).status_code == 303
    assert services.ballot_counts(budget) == {"online": 0, "paper": 3, "imported": 0, "total": 3}
    used = db.session.scalars(select(VerificationCode).where(VerificationCode.used_on_paper)).all()
    assert len(used) == 3

    # A code used on paper can no longer verify a person online.
    from portal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        redeem_code(make_user("late@example.org"), consultation, codes[0])
    db.session.rollback()
    # The online person votes; paper and online ballots count together.
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    voter = app.test_client()
    voter.login("online@example.org")
    receipt = voter.api(
        "POST", f"/api/v1/budgets/{budget.id}/ballot/checkout", json={"projects": [{"id": ids[0]}]}
    )
    assert receipt.status_code == 201
    assert services.ballot_counts(budget)["total"] == 4


def test_budget_pages_run_a_fixed_number_of_queries(app, client, ctx, queries):
    def count(n: int) -> tuple[int, int, int]:
        budget = make_budget(costs=tuple(1000 * (i + 1) for i in range(n)))
        with queries() as show:
            assert client.get(f"/budgets/{budget.id}").status_code == 200
        with queries() as index:
            assert client.get("/budgets/").status_code == 200
        with queries() as api:
            assert client.get(f"/api/v1/budgets/{budget.id}").status_code == 200
        return len(show), len(index), len(api)

    small = count(2)
    large = count(30)
    assert small == large, (small, large)


def test_openapi_documents_the_budget_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get"} <= set(paths["/budgets/{budget_id}"])
    assert {"get", "put"} <= set(paths["/budgets/{budget_id}/ballot"])
    assert "post" in paths["/budgets/{budget_id}/ballot/checkout"]
    assert "409" in paths["/budgets/{budget_id}/ballot/checkout"]["post"]["responses"]
    assert "get" in paths["/budgets/{budget_id}/results"]


def test_consultation_api_lists_its_budgets(app, ctx):
    from portal.consultations.services import api_extras

    budget = make_budget()
    with app.test_request_context():
        extra = api_extras(budget.consultation)
    assert [b["id"] for b in extra["budgets"]] == [budget.id]


def test_demo_is_idempotent_and_publishes_results(app, ctx):
    from portal.accounts import demo as accounts_demo
    from portal.budgets import demo, results

    accounts_demo.load()
    first = demo.load()
    db.session.commit()
    second = demo.load()
    db.session.commit()
    assert "already present" in second[0]
    budgets = db.session.scalars(select(Budget).order_by(Budget.id)).all()
    assert len(budgets) == 2
    city = budgets[0]
    assert len(city.projects) == 15 and city.results_published
    assert services.ballot_counts(city) == {
        "online": 200,
        "paper": 100,
        "imported": 0,
        "total": 300,
    }
    assert "results published" in first[0]
    diff = results.comparison(city)
    assert diff["added"] or diff["removed"]  # the demo shows what Equal Shares changes
    assert services.rules_frozen(budgets[1])  # its ballot is open, so its rules are frozen
