"""Budgets in the JSON API: rules and projects, the ballot (draft and check-out), results."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.budgets import ballot_rules, results, services
from portal.budgets.ballot_rules import Item, Tally
from portal.budgets.forms import money_text
from portal.budgets.models import Ballot, Budget, Project
from portal.core.errors import ValidationFailed
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db

TAG = "budgets"

SCHEMAS["BallotItems"] = {
    "type": "object",
    "properties": {
        "projects": {
            "type": "array",
            "description": "Chosen projects, in order of preference for ranked ballots.",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "points": {"type": "integer", "description": "Cumulative ballots only."},
                },
                "required": ["id"],
            },
        }
    },
    "required": ["projects"],
}


def _project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "ref": project.ref,
        "title": project.title,
        "description": project.description,
        "cost": money_text(project.cost),
        "feasibility": project.feasibility,
        "feasibility_explanation": project.feasibility_explanation,
        "votable": project.is_votable,
        "category": project.category.name if project.category else None,
        "district": project.district.name if project.district else None,
        "address": project.address,
        "latitude": project.latitude,
        "longitude": project.longitude,
        "idea_id": project.idea_id,
        "url": project.url(external=True),
    }


def _rules_json(budget: Budget) -> dict[str, Any]:
    return {
        "ballot_kind": budget.ballot_kind,
        "vote_type": budget.vote_type,
        "min_spend_percent": budget.min_spend_percent,
        "min_projects": budget.min_projects,
        "max_projects": budget.max_projects,
        "cost_limited": ballot_rules.uses_cost(budget),
        "total_points": budget.total_points,
        "max_points_per_project": budget.max_points_per_project,
        "ballot_replaceable": budget.allow_replace,
        "official_rule": budget.official_rule,
        "tie_breaking": budget.tie_breaking,
        "description": ballot_rules.describe(budget),
        "frozen": services.rules_frozen(budget),
    }


def budget_json(budget: Budget, viewer: Any = None) -> dict[str, Any]:
    projects = services.visible_projects(budget)
    return {
        "id": budget.id,
        "consultation": budget.consultation.slug,
        "title": budget.title,
        "description": budget.description,
        "district": budget.district.name if budget.district else None,
        "total": money_text(budget.total),
        "currency": budget.currency,
        "rules": _rules_json(budget),
        "projects": [_project_json(p) for p in projects],
        "results_published": budget.results_published,
        "results_url": url_for("api.budget_results", budget_id=budget.id, _external=True)
        if budget.results_published
        else None,
    }


def _tally_json(budget: Budget, items: list[Item], tally: Tally) -> dict[str, Any]:
    return {
        "projects": [
            {"id": item.project.id, "ref": item.project.ref, "points": item.points}
            for item in items
        ],
        "spent": money_text(tally.spent),
        "left": money_text(tally.left) if tally.left >= 0 else "-" + money_text(-tally.left),
        "points_used": tally.points_used if budget.ballot_kind == "cumulative" else None,
        "points_left": tally.points_left,
        "count": tally.count,
        "ready": tally.ok,
        "problems": [{"rule": v.code, "message": v.message} for v in tally.violations],
    }


def _receipt_json(budget: Budget, ballot: Ballot) -> dict[str, Any]:
    return {
        "budget_id": budget.id,
        "receipt_code": ballot.receipt_code,
        "fingerprint": ballot.fingerprint,
        "submitted_at": ballot.submitted_at.isoformat() + "Z",
        "replaceable": budget.allow_replace,
        "projects": [
            {"id": c.project_id, "ref": c.project.ref, "points": c.points} for c in ballot.choices
        ],
        "check_url": url_for("budgets.check_receipt", budget_id=budget.id, _external=True),
    }


@bp.get("/budgets/<int:budget_id>")
@access(PUBLIC)
def budget_detail(budget_id: int):
    budget = services.get_budget(budget_id, current_user)
    return jsonify(budget_json(budget, current_user))


document(
    "/budgets/{budget_id}",
    "get",
    "A budget: its rules and projects (vote counts only under /results after publication)",
    parameters=[path_param("budget_id")],
    responses={"200": "The budget", "404": "No such budget"},
    tag=TAG,
)


@bp.get("/budgets/<int:budget_id>/ballot")
@access(LOGIN)
def ballot_get(budget_id: int):
    budget = services.get_budget(budget_id, current_user)
    user = current_user._get_current_object()
    items, ballot = services.basket_and_ballot(user, budget)
    tally = services.evaluate(budget, items, complete=True)
    return jsonify(
        {
            "draft": _tally_json(budget, items, tally),
            "submitted": _receipt_json(budget, ballot) if ballot else None,
            "can_vote": services.voting_blocker(user, budget) is None,
        }
    )


document(
    "/budgets/{budget_id}/ballot",
    "get",
    "Your basket (draft) with its running total, and your submitted ballot if any",
    auth=True,
    parameters=[path_param("budget_id")],
    responses={"200": "Draft and receipt", "401": "Log in first", "404": "No such budget"},
    tag=TAG,
)


def _items_from_body(budget: Budget) -> list[Item]:
    body = json_body()
    if "projects" not in body:
        raise ValidationFailed(fields={"projects": "required"})
    return services.parse_items(budget, body["projects"])


@bp.put("/budgets/<int:budget_id>/ballot")
@access(LOGIN)
def ballot_put(budget_id: int):
    budget = services.get_budget(budget_id, current_user)
    items = _items_from_body(budget)
    user = current_user._get_current_object()
    services.save_draft(user, budget, items)
    # the answer before the commit, which would make the budget and projects be read again
    answer = _tally_json(budget, items, services.evaluate(budget, items, complete=True))
    db.session.commit()
    return jsonify({"draft": answer})


document(
    "/budgets/{budget_id}/ballot",
    "put",
    "Save your basket as a draft. Maximum rules (budget, number of projects, points) are "
    "enforced now; minimum rules at check-out. The answer lists what still blocks check-out.",
    auth=True,
    body="BallotItems",
    parameters=[path_param("budget_id")],
    responses={
        "200": "Draft saved, with its running total",
        "403": "Ballot phase closed, not verified or not eligible",
        "409": "You already voted and ballots are final",
        "422": "A rule is broken; error.fields.rule names it",
    },
    tag=TAG,
)


@bp.post("/budgets/<int:budget_id>/ballot/checkout")
@access(LOGIN)
def ballot_checkout(budget_id: int):
    budget = services.get_budget(budget_id, current_user)
    items = None
    if request.get_data():
        body = json_body()
        if "projects" in body:
            items = services.parse_items(budget, body["projects"])
    ballot = services.checkout(current_user._get_current_object(), budget, items)
    receipt = _receipt_json(budget, ballot)  # before the commit: nothing to reload after it
    db.session.commit()
    return jsonify(receipt), 201


document(
    "/budgets/{budget_id}/ballot/checkout",
    "post",
    "Submit your ballot (the body's projects, or else your saved draft); every rule is checked",
    auth=True,
    body="BallotItems",
    parameters=[path_param("budget_id")],
    responses={
        "201": "Counted: the receipt code and the ballot's fingerprint",
        "403": "Ballot phase closed, not verified or not eligible",
        "409": "You already voted (error.code already_voted)",
        "422": "A rule is broken (error.fields.rule names it); nothing was stored",
    },
    tag=TAG,
)


@bp.get("/budgets/<int:budget_id>/results")
@access(PUBLIC)
def budget_results(budget_id: int):
    budget = services.get_budget(budget_id, current_user)
    if not results.results_visible(budget, current_user):
        raise services.ResultsNotPublished()
    data = results.outcome(budget, request.args.get("rule") or None)
    diff = results.comparison(budget, data["rule"])
    db.session.commit()
    projects = {p.ref: p for p in results.counted_projects(budget)}
    return jsonify(
        {
            "budget_id": budget.id,
            "published_at": budget.results_published_at.isoformat() + "Z"
            if budget.results_published_at
            else None,
            "rule": data["rule"],
            "rule_summary": data["summary"],
            "official": data["rule"] == budget.official_rule,
            "tie_breaking": data["tie_breaking"],
            "ballots": services.ballot_counts(budget),
            "selected": [
                {"id": projects[ref].id, "ref": ref, "title": projects[ref].title}
                for ref in data["selected"]
                if ref in projects
            ],
            "votes": data["votes"],
            "scores": data["scores"],
            "explanation": data["explanation"],
            "compared_with": {
                "rule": diff["b"]["rule"],
                "added": diff["added"],
                "removed": diff["removed"],
            },
            "available_rules": results.available_rules(budget),
            "fingerprints_url": url_for(
                "budgets.fingerprints", budget_id=budget.id, _external=True
            ),
            "bundle_url": url_for("budgets.bundle", budget_id=budget.id, _external=True),
        }
    )


document(
    "/budgets/{budget_id}/results",
    "get",
    "Results after publication: funded projects, votes and why each project was (not) funded. "
    "Query ?rule=NAME computes another rule (see available_rules).",
    parameters=[
        path_param("budget_id"),
        {"name": "rule", "in": "query", "required": False, "schema": {"type": "string"}},
    ],
    responses={
        "200": "The outcome",
        "403": "Not published yet (error.code results_not_published)",
        "404": "No such budget",
        "422": "Unknown rule",
    },
    tag=TAG,
)
