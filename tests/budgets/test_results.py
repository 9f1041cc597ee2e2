"""Results: cached per rule until the ballots change, plain data for exports, explanations."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.budgets import results, services
from portal.budgets.models import ResultCache
from portal.extensions import db
from tests.budgets.factories import make_budget, make_consultation, project_ids
from tests.factories import make_user


def _vote(budget, user, indexes):
    ids = project_ids(budget)
    items = services.parse_items(budget, [{"id": ids[i]} for i in indexes])
    services.checkout(user, budget, items)
    db.session.commit()


def test_results_are_cached_until_a_new_ballot_arrives(app, ctx):
    # 100k budget; projects 40k 30k 25k 20k 10k.
    budget = make_budget(allow_replace=True)
    alice, bob, carol = (make_user() for _ in range(3))
    _vote(budget, alice, [0, 1])
    _vote(budget, bob, [0, 3])
    first = results.outcome(budget)
    db.session.commit()
    assert first["votes"] == {"1": 2, "2": 1, "3": 0, "4": 1, "5": 0}
    assert db.session.scalar(select(func.count(ResultCache.id))) == 1
    cached = db.session.scalar(select(ResultCache))
    cached.data = {**cached.data, "marker": True}  # a cache hit returns the stored row
    db.session.commit()
    assert results.outcome(budget).get("marker") is True
    _vote(budget, carol, [2, 4])  # a new ballot changes the signature
    fresh = results.outcome(budget)
    assert "marker" not in fresh and fresh["num_ballots"] == 3
    assert fresh["votes"]["3"] == 1
    _vote(budget, carol, [1])  # a replaced ballot too
    replaced = results.outcome(budget)
    assert replaced["votes"]["3"] == 0 and replaced["votes"]["2"] == 2


def test_summary_is_plain_data_with_the_equal_shares_difference(app, ctx):
    budget = make_budget(
        make_consultation(ballot_ended=False),
        total=100_00,
        costs=(60_00, 40_00, 40_00, 20_00),
        ballot_kind="approval",
    )
    voters = [make_user() for _ in range(10)]
    # Six voters like the big project 1 and project 2; four like projects 3 and 4.
    for person in voters[:6]:
        _vote(budget, person, [0, 1])
    for person in voters[6:]:
        _vote(budget, person, [2, 3])
    data = results.summary(budget)
    assert data["rule"] == "greedy_votes"
    assert [row["ref"] for row in data["funded"]] == ["1", "2"]
    assert data["funded"][0] == {
        "id": project_ids(budget)[0],
        "ref": "1",
        "title": "Project number 1",
        "cost": 60_00,
        "votes": 6,
        "score": "6",
        "funded": True,
    }
    assert data["compared_with"] == "mes_cost_sat_add1_greedy"
    # Equal Shares gives the minority (40% of voters) its share of the money.
    assert {row["ref"] for row in data["would_add"]} and {
        row["ref"] for row in data["would_remove"]
    }
    assert data["ballots"]["online"] == 10
    explanation = results.explanations_by_ref(results.outcome(budget, "mes_cost_sat"))
    funded = [e for e in explanation.values() if e["kind"] == "shares_funded"]
    assert funded and all(e["payments"] for e in funded)
