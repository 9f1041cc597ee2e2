"""API: budget simulators (definition, one's own response, the aggregate).

Amounts are in major units of the simulator's currency (``1500000`` or ``"1500000.50"``).
Money in answers is a JSON number with at most the currency's decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.api.base import SCHEMAS, bp, document, json_body, path_param
from portal.consultations.models import Consultation
from portal.core.errors import NotFound, json_error
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter
from portal.simulator import rules, services
from portal.simulator.models import Simulator, SimulatorResponse


def _posting_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_POSTING"]


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def plain_json(value: Any) -> Any:
    """Aggregate data (Decimals, datetimes) as JSON values."""
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k) if k is not None else "overall": plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def simulator_json(simulator: Simulator) -> dict[str, Any]:
    exponent = simulator.exponent

    def major(minor: int) -> int | float | None:
        return _number(rules.to_major(minor, exponent))

    return {
        "id": simulator.id,
        "consultation": {
            "id": simulator.consultation_id,
            "slug": simulator.consultation.slug,
            "title": simulator.consultation.title,
        },
        "title": simulator.title,
        "description": simulator.description,
        "mode": simulator.mode,
        "currency": simulator.currency,
        "decimals": exponent,
        "tolerance": major(simulator.tolerance),
        "household_share": simulator.household_share,
        "current_total": major(sum(line.current_amount for line in simulator.lines)),
        "status": simulator.status,
        "phase": services.phase(simulator),
        "accepting_responses": services.is_open(simulator),
        "message": services.phase_message(simulator),
        "opens_at": simulator.opens_at.isoformat() if simulator.opens_at else None,
        "closes_at": simulator.closes_at.isoformat() if simulator.closes_at else None,
        "results_published": simulator.results_published,
        "url": simulator.url(external=True),
        "lines": [
            {
                "id": line.id,
                "name": line.name,
                "description": line.description,
                "group": line.group_name,
                "kind": line.kind,
                "current": major(line.current_amount),
                "minimum": major(line.minimum),
                "maximum": major(line.maximum),
                "step": major(line.step),
            }
            for line in simulator.lines
        ],
    }


def response_json(simulator: Simulator, response: SimulatorResponse) -> dict[str, Any]:
    exponent = simulator.exponent
    definition = simulator.rule()
    summary = rules.summarize(definition, response.amounts())
    return {
        "simulator": simulator.id,
        "status": "submitted" if response.is_submitted else "draft",
        "lines": {
            str(row.line_id): _number(rules.to_major(row.amount, exponent))
            for row in response.lines
        },
        "comments": {str(k): v for k, v in response.comments().items()},
        "comment": response.comment,
        "total": _number(rules.to_major(summary.chosen_total, exponent)),
        "change": _number(rules.to_major(summary.delta, exponent)),
        "balanced": summary.balanced,
        "household_impact": _number(summary.household_impact),
        "started_at": response.started_at.isoformat(),
        "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
        "updated_at": response.updated_at.isoformat(),
    }


def _simulator(simulator_id: int) -> Simulator:
    return services.get_simulator(simulator_id, current_user)


@bp.get("/simulators")
@access(PUBLIC)
def simulators_list():
    slug = request.args.get("consultation")
    if slug:
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            raise NotFound()
        found = services.simulators_for(consultation, current_user)
    else:
        found = services.visible_simulators(current_user)
    return jsonify(
        {
            "simulators": [
                {
                    "id": s.id,
                    "title": s.title,
                    "consultation": s.consultation_id,
                    "phase": services.phase(s),
                    "url": s.url(external=True),
                }
                for s in found
            ]
        }
    )


@bp.get("/simulators/<int:simulator_id>")
@access(PUBLIC)
def simulator_definition(simulator_id: int):
    return jsonify(simulator_json(_simulator(simulator_id)))


@bp.get("/simulators/<int:simulator_id>/response")
@access(LOGIN)
def simulator_my_response(simulator_id: int):
    simulator = _simulator(simulator_id)
    response = services.response_of(simulator, current_user)
    if response is None:
        raise NotFound()
    return jsonify(response_json(simulator, response))


@bp.put("/simulators/<int:simulator_id>/response")
@access(LOGIN)
@limiter.limit(_posting_limit, methods=["PUT"])
def simulator_save_response(simulator_id: int):
    simulator = _simulator(simulator_id)
    body = json_body()
    submit = body.get("submit", True)
    if not isinstance(submit, bool):
        return json_error(
            422,
            _("“submit” must be true or false."),
            "validation_failed",
            {"submit": _("true or false")},
        )
    comments = body.get("comments")
    if comments is not None and not isinstance(comments, dict):
        return json_error(
            422,
            _("“comments” must be an object."),
            "validation_failed",
            {"comments": _("an object of line ids and texts")},
        )
    try:
        response, created = services.save_response(
            current_user,
            simulator,
            body.get("lines"),
            comments=comments,
            comment=body.get("comment"),
            submit=submit,
        )
    except services.ResponseRejected as rejected:
        db.session.rollback()
        answer = json_error(422, rejected.message, rejected.code, rejected.fields)
        payload = answer.get_json()
        payload["error"]["violations"] = rejected.as_list()
        return jsonify(payload), 422
    answer = response_json(simulator, response)  # before the commit: nothing to reload after
    db.session.commit()
    return jsonify(answer), 201 if created else 200


@bp.get("/simulators/<int:simulator_id>/aggregate")
@access(PUBLIC)
def simulator_aggregate(simulator_id: int):
    simulator = _simulator(simulator_id)
    if not services.can_see_results(current_user, simulator):
        raise services.ResultsNotPublished()
    data = services.aggregate(
        simulator, include_comments=services.can_see_comments(current_user, simulator)
    )
    return jsonify(plain_json(data))


SCHEMAS["SimulatorResponse"] = {
    "type": "object",
    "required": ["lines"],
    "properties": {
        "lines": {
            "type": "object",
            "description": "Amount per line id, in major units; on/off lines take 0 or the cost "
            "(or true/false). A submission must give every line.",
            "additionalProperties": {
                "oneOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]
            },
        },
        "comments": {"type": "object", "additionalProperties": {"type": "string"}},
        "comment": {"type": "string"},
        "submit": {
            "type": "boolean",
            "default": True,
            "description": "false saves a draft (not counted; may be unbalanced)",
        },
    },
}

_id = [path_param("simulator_id")]
document(
    "/simulators",
    "get",
    "Budget simulators anyone can see (?consultation=<slug> for one consultation's)",
    tag="simulator",
    responses={
        "200": "id, title, consultation id, phase and page of each",
        "404": "No such consultation",
    },
)
document(
    "/simulators/{simulator_id}",
    "get",
    "A simulator's definition: mode, currency, tolerance, household share and lines",
    tag="simulator",
    parameters=_id,
    responses={
        "200": "The definition; accepting_responses and message tell if it is open",
        "404": "No such simulator",
    },
)
document(
    "/simulators/{simulator_id}/response",
    "get",
    "Your own response (draft or submitted)",
    auth=True,
    tag="simulator",
    parameters=_id,
    responses={
        "200": "Your amounts, comments and totals",
        "401": "Not signed in",
        "404": "No response yet",
    },
)
document(
    "/simulators/{simulator_id}/response",
    "put",
    "Save your response (one per person; editable while the simulator is open)",
    auth=True,
    body="SimulatorResponse",
    tag="simulator",
    parameters=_id,
    responses={
        "200": "Updated",
        "201": "Created",
        "401": "Not signed in",
        "403": "Closed (phase_closed) or verification needed (verification_required)",
        "409": "Saved at the same moment from elsewhere, or a draft over a submitted response",
        "422": "A rule is broken: error.code names the first (below_minimum, above_maximum, "
        "off_step, unbalanced, unknown_line, missing_line, invalid_amount); error.violations "
        "lists all; nothing is stored",
    },
)
document(
    "/simulators/{simulator_id}/aggregate",
    "get",
    "The results: per line mean, median, quartiles and raised/kept/cut shares; per day",
    tag="simulator",
    parameters=_id,
    responses={"200": "The aggregate", "403": "Not published yet", "404": "No such simulator"},
)
