"""Pabulib files in and out of the portal: a whole real election becomes a budget (with its
projects and ballots), and a budget's counted ballots become an anonymised ``.pb`` file.

Reading and writing the format is :mod:`portal.pb`'s job; this module maps it to the models.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, TextIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert

from portal.budgets.models import MAX_MINOR, REF_MAX, Ballot, BallotChoice, Budget, Project
from portal.budgets.results import GREEDY_RULE, build_election
from portal.consultations.models import Consultation
from portal.core.errors import ValidationFailed
from portal.core.models import utcnow
from portal.extensions import db
from portal.pb.ballots import ballot_fingerprint, new_receipt_salt
from portal.pb.model import Election
from portal.pb.pabulib import PabulibError, dumps_pb, read_pb, read_pb_text

KIND_OF_VOTE_TYPE = {
    "approval": "approval",
    "choose-1": "approval",
    "cumulative": "cumulative",
    "ordinal": "ranked",
}
OFFICIAL_RULE = {
    "approval": {"equalshares/add1": "mes_cost_sat_pabulib_add1"},
    "cumulative": {},
    "ordinal": {},
}


def _minor(value: Any, what: str) -> int:
    minor = Fraction(value) * 100
    if minor.denominator != 1:
        raise ValidationFailed(
            str(_l("%(what)s has more than two decimals; the portal stores cents.", what=what))
        )
    if not 0 <= minor < MAX_MINOR:
        raise ValidationFailed(str(_l("%(what)s is out of range.", what=what)))
    return int(minor)


def _int_meta(meta: dict[str, str], key: str) -> int | None:
    text = (meta.get(key) or "").strip()
    if not text or text.lower() == "none":
        return None
    try:
        value = Fraction(text)
    except ValueError:
        return None
    return int(value) if value.denominator == 1 else None


def read_election(source: str | os.PathLike[str] | TextIO, *, is_text: bool = False) -> Election:
    """Read a ``.pb`` file; a malformed one raises ValidationFailed naming the line."""
    try:
        return read_pb_text(source) if is_text else read_pb(source)  # type: ignore[arg-type]
    except PabulibError as exc:
        where = str(_l("line %(n)d: ", n=exc.line)) if exc.line is not None else ""
        raise ValidationFailed(
            str(
                _l(
                    "This is not a valid Pabulib file: %(where)s%(problem)s",
                    where=where,
                    problem=exc.message,
                )
            ),
            fields={"file": f"{where}{exc.message}"},
        ) from exc
    except OSError as exc:
        raise ValidationFailed(str(_l("The file cannot be read: %(e)s", e=exc))) from exc


def _rules_from_meta(election: Election, total: int) -> dict[str, Any]:
    meta = election.meta
    vote_type = election.vote_type
    kind = KIND_OF_VOTE_TYPE.get(vote_type)
    if kind is None:
        raise ValidationFailed(
            str(_l("Ballots of type “%(t)s” are not supported by the portal.", t=vote_type))
        )
    min_length = _int_meta(meta, "min_length")
    max_length = _int_meta(meta, "max_length")
    rules: dict[str, Any] = {
        "ballot_kind": kind,
        "min_projects": max(min_length or 1, 0),
        "max_projects": max_length,
        "official_rule": GREEDY_RULE["approval" if vote_type == "choose-1" else vote_type],
    }
    official = OFFICIAL_RULE.get("approval" if vote_type == "choose-1" else vote_type, {}).get(
        (meta.get("rule") or "").strip()
    )
    if official:
        rules["official_rule"] = official
    if vote_type == "choose-1":
        rules["max_projects"] = 1
    if kind == "approval":
        cap = (meta.get("max_sum_cost") or "").strip()
        if cap and cap.lower() != "none":
            try:
                cap_minor = _minor(Fraction(cap), "max_sum_cost")
            except (ValueError, ValidationFailed):
                cap_minor = None
            if cap_minor == total and max_length is None:
                rules["ballot_kind"] = "knapsack"
            else:
                rules["cost_limited"] = cap_minor is not None and cap_minor <= total
    if kind == "cumulative":
        rules["total_points"] = _int_meta(meta, "max_sum_points") or max(
            (sum(b.points) for b in election.ballots), default=1
        )
        rules["max_points_per_project"] = _int_meta(meta, "max_points")
    if kind == "ranked" and rules["max_projects"] is None:
        rules["max_projects"] = len(election.projects)
    if rules["max_projects"] is not None and rules["max_projects"] < rules["min_projects"]:
        rules["max_projects"] = None
    return rules


def import_election(
    consultation: Consultation,
    election: Election,
    *,
    title: str | None = None,
    publish: bool = False,
) -> Budget:
    """Create a budget with the election's projects and ballots (one transaction, flushed not
    committed). Raises ValidationFailed when something cannot be stored exactly."""
    meta = election.meta
    total = _minor(election.budget, "budget")
    if total <= 0:
        raise ValidationFailed(str(_l("The budget must be greater than zero.")))
    for project in election.projects.values():
        if len(project.id) > REF_MAX or "," in project.id:
            raise ValidationFailed(
                str(_l("Project id “%(id)s” is too long for the portal.", id=project.id[:60]))
            )
        _minor(project.cost, str(_l("The cost of project %(id)s", id=project.id)))
    if election.vote_type == "cumulative":
        for ballot in election.ballots:
            if any(Fraction(p).denominator != 1 or p < 0 for p in ballot.points):
                raise ValidationFailed(str(_l("Cumulative points must be whole numbers.")))
    currency = (meta.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        currency = "EUR"
    name = (
        title
        or " ".join(
            part
            for part in (
                meta.get("unit"),
                meta.get("subunit") or meta.get("district"),
                meta.get("instance"),
            )
            if part and part.lower() != "none"
        )
        or meta.get("description")
        or "Pabulib election"
    )
    budget = Budget(
        consultation_id=consultation.id,
        title=name[:200],
        description=(meta.get("description") or "")[:5000],
        total=total,
        currency=currency,
        tie_breaking="lexico",
        source_meta=dict(meta),
        **_rules_from_meta(election, total),
    )
    if budget.ballot_kind != "knapsack":
        budget.cost_limited = bool(budget.cost_limited)
    else:
        budget.cost_limited = True
    budget.min_spend_percent = 0
    budget.allow_replace = False
    db.session.add(budget)
    db.session.flush()
    refs: dict[str, int] = {}
    for position, project in enumerate(election.projects.values(), start=1):
        extra = project.extra
        latitude = _float(extra.get("latitude"), 90)
        longitude = _float(extra.get("longitude"), 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
        row = Project(
            budget_id=budget.id,
            ref=project.id,
            position=position,
            title=(extra.get("name") or f"Project {project.id}")[:200],
            description=extra.get("description", ""),
            cost=_minor(project.cost, project.id),
            feasibility="feasible",
            latitude=latitude,
            longitude=longitude,
        )
        db.session.add(row)
        db.session.flush()
        refs[project.id] = row.id
    _insert_ballots(budget, election, refs)
    if publish:
        budget.results_published_at = utcnow()
    db.session.flush()
    return budget


def _float(text: str | None, limit: float) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    if value is None or not -limit <= value <= limit:
        return None
    return value


def _insert_ballots(budget: Budget, election: Election, refs: dict[str, int]) -> None:
    """Insert every voter's ballot and choices in batches (a whole city may have 100,000)."""
    kind = budget.ballot_kind
    now = utcnow()
    batch: list[tuple[dict[str, Any], list[tuple[str, int | None]]]] = []

    def flush_batch() -> None:
        if not batch:
            return
        ids = db.session.scalars(
            insert(Ballot).returning(Ballot.id, sort_by_parameter_order=True),
            [row for row, _c in batch],
        ).all()
        choice_rows = [
            {
                "ballot_id": ballot_id,
                "project_id": refs[ref],
                "position": position,
                "points": points,
            }
            for ballot_id, (_row, choices) in zip(ids, batch, strict=True)
            for position, (ref, points) in enumerate(choices)
        ]
        if choice_rows:
            db.session.execute(insert(BallotChoice), choice_rows)
        batch.clear()

    for ballot, count in election.ballots.items():
        if kind == "cumulative":
            pairs = [
                (ref, int(points))
                for ref, points in zip(ballot.projects, ballot.points, strict=True)
            ]
            choices: Any = dict(pairs)
        else:
            pairs = [(ref, None) for ref in ballot.projects]
            choices = list(ballot.projects)
        for _ in range(count):
            salt = new_receipt_salt()
            row = {
                "budget_id": budget.id,
                "channel": "imported",
                "receipt_code": salt,
                "fingerprint": ballot_fingerprint(budget.id, kind, choices, salt),
                "submitted_at": now,
                "replaced_count": 0,
            }
            batch.append((row, pairs))
            if len(batch) >= 2000:
                flush_batch()
    flush_batch()


def export_pb(budget: Budget) -> str:
    """The budget's counted ballots as an anonymised ``.pb`` text: no voter ids (voters are
    numbered 1..n in no particular order), no personal columns."""
    return dumps_pb(build_election(budget))
