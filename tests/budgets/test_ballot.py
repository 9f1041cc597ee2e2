"""The ballot as a resident uses it: the page without JavaScript, the JSON API, every rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.budgets import services
from portal.budgets.models import Ballot, BallotChoice, BallotDraft, Budget
from portal.core.models import utcnow
from portal.extensions import db
from tests.budgets.factories import make_budget, make_consultation, project_ids
from tests.factories import make_user


def _ballots(budget_id: int) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.budget_id == budget_id))


def forget_user() -> None:
    """Requests made while the ``ctx`` fixture's app context is active share its ``g``, where
    Flask-Login caches the signed-in person (and Flask-WTF the CSRF token): forget them before
    acting as someone else."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def _end_ballot_phase(budget: Budget) -> None:
    phase = next(p for p in budget.consultation.phases if p.kind == "ballot")
    phase.starts_at = utcnow() - timedelta(days=5)
    phase.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_knapsack_ballot_as_a_new_user_without_javascript(app, client, ctx):
    budget = make_budget(min_spend_percent=50)  # 100,000 EUR; projects 40k 30k 25k 20k 10k
    ids = project_ids(budget)
    make_user("voter@example.org")
    client.login("voter@example.org")
    url = f"/budgets/{budget.id}/ballot"

    page = client.get(url).get_data(as_text=True)
    assert 'role="status"' in page and "<progress" in page
    assert "Spent: €0.00 of €100,000.00" in page

    for project_id in ids[:3]:  # 40k + 30k + 25k = 95k
        response = client.form(url, {"action": "add", "project_id": project_id})
        assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Spent: €95,000.00 of €100,000.00" in page and "Left: €5,000.00" in page
    assert 'value="9500000"' in page  # the progress bar

    # Going over the budget is refused, naming the rule; the basket is unchanged.
    over = client.form(url, {"action": "add", "project_id": ids[3]}, follow_redirects=True)
    text = over.get_data(as_text=True)
    assert "Over the budget" in text and "€115,000.00" in text
    assert "Spent: €95,000.00" in text

    response = client.form(f"/budgets/{budget.id}/ballot/checkout")
    assert response.status_code == 303 and response.location.endswith(
        f"/budgets/{budget.id}/receipt"
    )
    receipt = client.get(response.location).get_data(as_text=True)
    ballot = db.session.scalar(select(Ballot).where(Ballot.budget_id == budget.id))
    assert ballot.receipt_code in receipt and ballot.fingerprint in receipt
    assert len(ballot.fingerprint) == 64
    assert [c.project_id for c in ballot.choices] == ids[:3]
    assert db.session.scalar(select(func.count(BallotDraft.id))) == 0

    # Final ballot: a second check-out is refused.
    again = client.form(f"/budgets/{budget.id}/ballot/checkout")
    assert again.status_code == 409 and "already voted" in again.get_data(as_text=True)

    # Counts are hidden until publication; then the fingerprint is listed and can be checked.
    assert client.get(f"/budgets/{budget.id}/results").status_code == 403
    assert client.get(f"/api/v1/budgets/{budget.id}/results").status_code == 403
    _end_ballot_phase(budget)
    planner = make_user(roles=("planner",))
    staff = app.test_client()
    forget_user()
    staff.login(planner.email)
    assert staff.form(f"/budgets/{budget.id}/publish", {"action": "publish"}).status_code == 303
    anonymous = app.test_client()
    forget_user()
    listed = anonymous.get(f"/budgets/{budget.id}/results/fingerprints.txt").get_data(as_text=True)
    assert f"{ballot.fingerprint} online" in listed
    found = anonymous.get(
        f"/budgets/{budget.id}/results/check?fingerprint={ballot.fingerprint}"
    ).get_data(as_text=True)
    assert "This ballot was counted" in found and "Project number 1" in found
    missing = anonymous.get(f"/budgets/{budget.id}/results/check?fingerprint={'0' * 64}")
    assert "No counted ballot has this fingerprint" in missing.get_data(as_text=True)
    results_page = anonymous.get(f"/budgets/{budget.id}/results").get_data(as_text=True)
    assert 'role="img"' in results_page and "Funded" in results_page
    assert 'style="' not in results_page


def test_minimum_spend_is_enforced_on_checkout(app, client, ctx):
    budget = make_budget(min_spend_percent=50)
    ids = project_ids(budget)
    make_user("v@example.org")
    client.login("v@example.org")
    client.form(f"/budgets/{budget.id}/ballot", {"action": "add", "project_id": ids[4]})
    response = client.form(f"/budgets/{budget.id}/ballot/checkout")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Minimum spend" in page and "min_spend" in page
    assert _ballots(budget.id) == 0


def test_ballot_page_needs_login_and_an_open_phase(app, client, ctx):
    budget = make_budget(make_consultation(voting_open=False))
    assert client.get(f"/budgets/{budget.id}/ballot").status_code == 302
    make_user("early@example.org")
    client.login("early@example.org")
    page = client.get(f"/budgets/{budget.id}/ballot").get_data(as_text=True)
    assert "This opens on" in page
    response = client.api(
        "PUT",
        f"/api/v1/budgets/{budget.id}/ballot",
        json={"projects": [{"id": budget.projects[0].id}]},
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "phase_closed"


def _api_voter(client, email="api@example.org"):
    make_user(email)
    client.login(email)


def test_api_draft_checkout_and_conflict(app, client, ctx):
    budget = make_budget()
    ids = project_ids(budget)
    _api_voter(client)
    base = f"/api/v1/budgets/{budget.id}"
    detail = client.get(base).json
    assert detail["rules"]["ballot_kind"] == "knapsack" and len(detail["projects"]) == 5
    assert "votes" not in str(detail["projects"])

    draft = client.api("PUT", f"{base}/ballot", json={"projects": [{"id": ids[0]}, {"id": ids[1]}]})
    assert draft.status_code == 200
    assert draft.json["draft"]["spent"] == "70000" and draft.json["draft"]["left"] == "30000"
    assert draft.json["draft"]["ready"] is True
    assert client.get(f"{base}/ballot").json["draft"]["count"] == 2

    over = client.api(
        "PUT", f"{base}/ballot", json={"projects": [{"id": i} for i in ids[:3]] + [{"id": ids[3]}]}
    )
    assert over.status_code == 422 and over.json["error"]["fields"]["rule"] == "over_budget"

    receipt = client.api("POST", f"{base}/ballot/checkout")
    assert receipt.status_code == 201
    assert len(receipt.json["fingerprint"]) == 64 and receipt.json["receipt_code"]
    assert [p["id"] for p in receipt.json["projects"]] == ids[:2]
    again = client.api("POST", f"{base}/ballot/checkout", json={"projects": [{"id": ids[4]}]})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_voted"
    assert _ballots(budget.id) == 1


RULE_CASES = [
    # (budget rules, ballot as list of (project index, points), expected rule code)
    ({}, [0, 1, 2, 3], "over_budget"),
    ({"min_spend_percent": 60}, [4], "min_spend"),
    ({"max_projects": 2}, [2, 3, 4], "too_many"),
    ({"min_projects": 3}, [0, 1], "too_few"),
    ({}, [], "empty_ballot"),
    ({"ballot_kind": "approval", "min_projects": 2, "max_projects": 3}, [0], "too_few"),
    ({"ballot_kind": "approval", "max_projects": 3}, [0, 1, 2, 3], "too_many"),
    ({"ballot_kind": "approval", "cost_limited": True}, [0, 1, 2, 3], "over_cost_cap"),
    ({"ballot_kind": "cumulative", "total_points": 10}, [(0, 6), (1, 5)], "points_total"),
    (
        {"ballot_kind": "cumulative", "total_points": 10, "max_points_per_project": 4},
        [(0, 5)],
        "points_per_project",
    ),
    ({"ballot_kind": "cumulative", "total_points": 10}, [(0, "3")], "points_not_whole"),
    ({"ballot_kind": "ranked", "max_projects": 2}, [0, 1, 2], "too_many_ranked"),
    ({"ballot_kind": "ranked", "max_projects": 3, "min_projects": 2}, [0], "too_few"),
    ({}, [0, 0], "duplicate"),
    ({}, [99], "unknown_project"),
]


@pytest.mark.parametrize(("rules", "choices", "code"), RULE_CASES)
def test_crafted_ballots_are_rejected_with_the_rule_named(app, client, ctx, rules, choices, code):
    budget = make_budget(**rules)
    ids = project_ids(budget)
    _api_voter(client)
    projects = []
    for choice in choices:
        index, points = choice if isinstance(choice, tuple) else (choice, None)
        entry = {"id": ids[index] if index < len(ids) else 10_000_000}
        if points is not None:
            entry["points"] = points
        projects.append(entry)
    response = client.api(
        "POST", f"/api/v1/budgets/{budget.id}/ballot/checkout", json={"projects": projects}
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"]["rule"] == code
    assert response.json["error"]["message"]
    assert _ballots(budget.id) == 0
    assert db.session.scalar(select(func.count(BallotChoice.id))) == 0


@pytest.mark.parametrize("foreign", ["other budget", "hidden", "huge id", "negative id"])
def test_only_this_budgets_visible_projects_make_a_basket(app, ctx, foreign):
    """A basket's projects are read by their ids: an id of another budget's project, of a
    hidden project or beyond the id column's range is an unknown project, never a 500."""
    budget = make_budget()
    ids = project_ids(budget)
    other = make_budget(budget.consultation)
    wrong = {
        "other budget": project_ids(other)[0],
        "hidden": ids[1],
        "huge id": 10**20,
        "negative id": -(10**20),
    }[foreign]
    if foreign == "hidden":
        budget.projects[1].moderation_state = "hidden"
        db.session.commit()
    items = services.parse_items(budget, [ids[0], [ids[2], None], {"id": ids[3]}])
    assert [item.project.id for item in items] == [ids[0], ids[2], ids[3]]
    with pytest.raises(services.BallotRuleBroken) as error:
        services.parse_items(budget, [{"id": ids[0]}, {"id": wrong}])
    assert error.value.fields["rule"] == "unknown_project"
    assert services.parse_items(budget, []) == []


def test_not_feasible_projects_cannot_be_chosen(app, client, ctx):
    budget = make_budget()
    project = budget.projects[0]
    project.feasibility = "not_feasible"
    project.feasibility_explanation = "The land is not public."
    db.session.commit()
    _api_voter(client)
    response = client.api(
        "POST",
        f"/api/v1/budgets/{budget.id}/ballot/checkout",
        json={"projects": [{"id": project.id}]},
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"]["rule"] == "project_not_votable"
    page = client.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "The land is not public." in page


def test_ranked_and_cumulative_ballots_without_javascript(app, client, ctx):
    ranked = make_budget(ballot_kind="ranked", max_projects=3)
    ids = project_ids(ranked)
    make_user("r@example.org")
    client.login("r@example.org")
    url = f"/budgets/{ranked.id}/ballot"
    for project_id in ids[:3]:
        client.form(url, {"action": "add", "project_id": project_id})
    client.form(url, {"action": "up", "project_id": ids[2]})
    assert client.form(f"/budgets/{ranked.id}/ballot/checkout").status_code == 303
    ballot = db.session.scalar(select(Ballot).where(Ballot.budget_id == ranked.id))
    assert [c.project_id for c in ballot.choices] == [ids[0], ids[2], ids[1]]

    cumulative = make_budget(ballot_kind="cumulative", total_points=10, max_points_per_project=6)
    ids = project_ids(cumulative)
    url = f"/budgets/{cumulative.id}/ballot"
    client.form(url, {"action": "add", "project_id": ids[0], "points": 6})
    client.form(url, {"action": "add", "project_id": ids[1], "points": 3})
    page = client.get(url).get_data(as_text=True)
    assert "9 of 10 points given" in page
    refused = client.form(
        url, {"action": "points", "project_id": ids[1], "points": 5}, follow_redirects=True
    )
    assert "Too many points" in refused.get_data(as_text=True)
    assert client.form(f"/budgets/{cumulative.id}/ballot/checkout").status_code == 303
    ballot = db.session.scalar(select(Ballot).where(Ballot.budget_id == cumulative.id))
    assert [(c.project_id, c.points) for c in ballot.choices] == [(ids[0], 6), (ids[1], 3)]


def test_replaceable_ballot_keeps_one_row_and_the_last_counts(app, client, ctx):
    budget = make_budget(allow_replace=True)
    ids = project_ids(budget)
    _api_voter(client)
    base = f"/api/v1/budgets/{budget.id}/ballot"
    first = client.api("POST", f"{base}/checkout", json={"projects": [{"id": ids[0]}]})
    second = client.api(
        "POST", f"{base}/checkout", json={"projects": [{"id": ids[1]}, {"id": ids[2]}]}
    )
    assert first.status_code == second.status_code == 201
    assert first.json["fingerprint"] != second.json["fingerprint"]
    assert _ballots(budget.id) == 1
    ballot = db.session.scalar(select(Ballot).where(Ballot.budget_id == budget.id))
    assert [c.project_id for c in ballot.choices] == ids[1:3] and ballot.replaced_count == 1
    # The basket starts from the submitted ballot.
    assert [p["id"] for p in client.get(base).json["draft"]["projects"]] == ids[1:3]


def test_a_new_ballot_is_in_the_session_as_written(app, ctx):
    """Check-out writes a new ballot with Core INSERTs and puts the rows in the session as
    loaded objects: they are what the database holds, flush nothing more, and a later
    replacement changes them like any loaded ballot."""
    budget = make_budget(ballot_kind="cumulative", total_points=10, allow_replace=True)
    ids = project_ids(budget)
    voter = make_user("points@example.org")
    budget_id, voter_id = budget.id, voter.id
    items = services.parse_items(budget, [{"id": ids[3], "points": 4}, {"id": ids[1], "points": 6}])
    ballot = services.checkout(voter, budget, items)
    assert not db.session.dirty and not db.session.new
    assert ballot in db.session and all(c.ballot is ballot for c in ballot.choices)
    ballot_id, receipt_code = ballot.id, ballot.receipt_code
    fingerprint = services.ballot_fingerprint(budget, receipt_code, items)
    written = [(c.id, c.project.ref, c.position, c.points) for c in ballot.choices]
    db.session.commit()
    db.session.expunge_all()
    stored = db.session.get(Ballot, ballot_id)
    assert [(c.id, c.project.ref, c.position, c.points) for c in stored.choices] == written
    assert [ref for _, ref, _, _ in written] == ["4", "2"]
    assert (stored.voter_id, stored.channel, stored.replaced_count) == (voter_id, "online", 0)
    assert (stored.receipt_code, stored.fingerprint) == (receipt_code, fingerprint)

    budget, voter = db.session.get(Budget, budget_id), db.session.get(User, voter_id)
    again = services.checkout(voter, budget, services.parse_items(budget, [[ids[0], 10]]))
    db.session.commit()
    assert again.id == ballot_id and again.replaced_count == 1
    assert [(c.project_id, c.points) for c in again.choices] == [(ids[0], 10)]
    assert db.session.scalar(select(func.count(BallotChoice.id))) == 1


def test_voting_scope_own_district_and_any_one(app, client, ctx):
    from portal.consultations.models import Verification

    consultation = make_consultation(voting_scope="own_district", districts=("North", "South"))
    north, south = consultation.districts
    budget_north = make_budget(consultation, district_id=north.id)
    budget_south = make_budget(consultation, district_id=south.id)
    user = make_user("north@example.org")
    db.session.add(
        Verification(consultation_id=consultation.id, user_id=user.id, district_id=north.id)
    )
    db.session.commit()
    client.login("north@example.org")
    ok = client.api(
        "POST",
        f"/api/v1/budgets/{budget_north.id}/ballot/checkout",
        json={"projects": [{"id": budget_north.projects[0].id}]},
    )
    assert ok.status_code == 201
    refused = client.api(
        "POST",
        f"/api/v1/budgets/{budget_south.id}/ballot/checkout",
        json={"projects": [{"id": budget_south.projects[0].id}]},
    )
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_eligible"

    consultation.voting_scope = "any_one"
    db.session.commit()
    other = make_budget(consultation)
    refused = client.api(
        "POST",
        f"/api/v1/budgets/{other.id}/ballot/checkout",
        json={"projects": [{"id": other.projects[0].id}]},
    )
    assert refused.status_code == 403 and "one budget" in refused.json["error"]["message"]


def test_verification_is_required_when_the_consultation_asks(app, client, ctx):
    budget = make_budget(make_consultation(require_verification=True))
    _api_voter(client)
    response = client.api(
        "POST",
        f"/api/v1/budgets/{budget.id}/ballot/checkout",
        json={"projects": [{"id": budget.projects[0].id}]},
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "not_verified"


def _checkout_many(app, budget_id: int, user_id: int, project_id: int, n: int) -> list[int]:
    import threading

    from portal.accounts.models import User

    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def worker():
        barrier.wait()  # all threads start together; the pool (15 connections) queues them
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                budget = db.session.get(Budget, budget_id)
                items = services.parse_items(budget, [{"id": project_id}])
                services.checkout(user, budget, items)
                db.session.commit()
                status = 201
            except services.AlreadyVoted:
                db.session.rollback()
                status = 409
            finally:
                db.session.remove()
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("allow_replace", [False, True])
def test_200_concurrent_checkouts_leave_exactly_one_ballot(app, ctx, allow_replace):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises every writer)")
    budget = make_budget(allow_replace=allow_replace)
    user = make_user("hammer@example.org")
    project_id = budget.projects[0].id
    budget_id, user_id = budget.id, user.id
    db.session.remove()
    statuses = _checkout_many(app, budget_id, user_id, project_id, 200)
    assert len(statuses) == 200
    if allow_replace:
        assert statuses.count(201) == 200
    else:
        assert statuses.count(201) == 1 and statuses.count(409) == 199
    assert _ballots(budget_id) == 1
    choices = db.session.scalar(select(func.count(BallotChoice.id)))
    assert choices == 1


def test_rules_are_frozen_once_the_ballot_phase_opens(app, client, ctx):
    consultation = make_consultation(voting_open=False)
    planner = make_user("planner@example.org", roles=("planner",))
    data = services.BudgetData(title="District budget", total=50_000_00)
    budget = services.create_budget(planner, consultation, data)
    project = services.create_project(
        planner, budget, services.ProjectData(title="New benches", cost=5_000_00)
    )
    db.session.commit()
    # Open the phase: costs, rules and the project list are frozen; text is not.
    phase = next(p for p in consultation.phases if p.kind == "ballot")
    phase.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    client.login("planner@example.org")
    form = {
        "consultation": consultation.id,
        "title": "District budget 2026",
        "total": "60000",
        "currency": "EUR",
        "ballot_kind": "knapsack",
        "min_projects": "1",
        "tie_breaking": "lexico",
    }
    response = client.form(f"/budgets/{budget.id}/edit", form)
    assert response.status_code == 422
    assert "can no longer change" in response.get_data(as_text=True)
    form["total"] = "50000"
    assert client.form(f"/budgets/{budget.id}/edit", form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Budget, budget.id).title == "District budget 2026"
    refused = client.form(
        f"/budgets/{budget.id}/projects/new",
        {"title": "Another one", "cost": "100", "feasibility": "feasible"},
    )
    assert refused.status_code == 422 and "can no longer change" in refused.get_data(as_text=True)
    edit = client.form(
        f"/budgets/{budget.id}/projects/{project.id}/edit",
        {"title": "New benches", "cost": "9999", "feasibility": "pending"},
    )
    assert edit.status_code == 422


def test_text_edits_are_allowed_on_a_frozen_budget(app, client, ctx):
    budget = make_budget(description="Old text")  # ballot phase open: rules frozen
    make_user("p2@example.org", roles=("planner",))
    client.login("p2@example.org")
    page = client.get(f"/budgets/{budget.id}/edit").get_data(as_text=True)
    assert "only the title, description and position can change" in page
    form = {
        "consultation": budget.consultation_id,
        "title": "Renamed budget",
        "description": "New text",
        "total": "100000",
        "currency": "EUR",
        "ballot_kind": "knapsack",
        "min_spend_percent": "0",
        "min_projects": "1",
        "official_rule": "greedy_votes",
        "tie_breaking": "lexico",
    }
    assert client.form(f"/budgets/{budget.id}/edit", form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Budget, budget.id).title == "Renamed budget"
    form["ballot_kind"] = "approval"
    refused = client.form(f"/budgets/{budget.id}/edit", form)
    assert refused.status_code == 422 and "can no longer change" in refused.get_data(as_text=True)
