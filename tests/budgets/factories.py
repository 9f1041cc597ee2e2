"""Budgets test data, made through the real services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.budgets import services
from portal.consultations.models import Consultation, District, Phase
from portal.core.models import utcnow
from portal.extensions import db

_n = itertools.count(1)


def make_consultation(
    *,
    voting_open: bool = True,
    voting_scope: str = "all",
    require_verification: bool = False,
    districts: tuple[str, ...] = (),
    status: str = "published",
    ballot_ended: bool = False,
) -> Consultation:
    n = next(_n)
    consultation = Consultation(
        slug=f"pb-{n}",
        title=f"Participatory budget {n}",
        status=status,
        voting_scope=voting_scope,
        require_verification=require_verification,
    )
    now = utcnow()
    if ballot_ended:
        consultation.phases.append(
            Phase(
                kind="ballot", starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1)
            )
        )
        consultation.phases.append(Phase(kind="results", starts_at=now - timedelta(days=1)))
    elif voting_open:
        consultation.phases.append(
            Phase(
                kind="ballot", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=10)
            )
        )
    else:
        consultation.phases.append(
            Phase(
                kind="ballot", starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=10)
            )
        )
    for position, name in enumerate(districts):
        consultation.districts.append(District(name=name, position=position))
    db.session.add(consultation)
    db.session.flush()
    return consultation


def make_budget(
    consultation: Consultation | None = None,
    *,
    total: int = 100_000_00,
    costs: tuple[int, ...] = (40_000_00, 30_000_00, 25_000_00, 20_000_00, 10_000_00),
    commit: bool = True,
    **rules,
):
    """A budget with feasible projects of the given costs (minor units). The rules are set
    directly on the row so that budgets can be made while the ballot phase is open."""
    consultation = consultation or make_consultation()
    from portal.budgets.models import Budget, Project

    budget = Budget(
        consultation_id=consultation.id,
        title=f"Budget of {consultation.title}",
        total=total,
        currency="EUR",
        official_rule=rules.pop("official_rule", None)
        or services.default_rule(rules.get("ballot_kind", "knapsack")),
        **rules,
    )
    db.session.add(budget)
    db.session.flush()
    for i, cost in enumerate(costs, start=1):
        db.session.add(
            Project(
                budget_id=budget.id,
                ref=str(i),
                position=i,
                title=f"Project number {i}",
                cost=cost,
                feasibility="feasible",
            )
        )
    db.session.flush()
    if commit:
        db.session.commit()
    return budget


def project_ids(budget) -> list[int]:
    return [p.id for p in sorted(budget.projects, key=lambda p: p.position)]
