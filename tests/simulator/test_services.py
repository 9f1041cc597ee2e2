"""Simulator services: one response per person, drafts, phase, verification, planner set-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.core.models import utcnow
from portal.extensions import db
from portal.simulator import services
from portal.simulator.models import SimulatorResponse, SimulatorResponseLine
from tests.factories import make_user
from tests.simulator.factories import (
    amounts,
    line_ids,
    make_consultation,
    make_simulator,
    verify,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_submit_then_edit_keeps_one_response(ctx):
    user = make_user()
    sim = make_simulator()
    started = utcnow() - timedelta(minutes=5)
    response, created = services.save_response(
        user, sim, amounts(sim, Parks=400_000, Libraries=100_000), started_at=started
    )
    db.session.commit()
    assert created and response.is_submitted
    assert 299 <= response.completion_seconds <= 310
    first_submitted = response.submitted_at
    ids = line_ids(sim)
    assert response.amounts()[ids["Parks"]] == 40_000_000
    again, created = services.save_response(user, sim, amounts(sim), comment="Changed my mind")
    db.session.commit()
    assert not created and again.id == response.id
    assert again.amounts()[ids["Parks"]] == 30_000_000
    assert again.submitted_at == first_submitted  # the first submission date stays
    assert again.comment == "Changed my mind"
    assert _count(SimulatorResponse) == 1
    assert _count(SimulatorResponseLine) == 3


def test_a_broken_rule_stores_nothing_and_names_every_rule(ctx):
    user = make_user()
    sim = make_simulator()
    ids = line_ids(sim)
    crafted = amounts(sim, Parks=560_000, Libraries=120_000)
    with pytest.raises(services.ResponseRejected) as rejected:
        services.save_response(user, sim, crafted)
    found = sorted((v.code, v.line_id) for v in rejected.value.violations)
    assert found == sorted(
        [
            ("above_maximum", ids["Parks"]),
            ("off_step", ids["Libraries"]),
            ("off_step", ids["Parks"]),
        ]
    )
    assert rejected.value.status == 422
    assert "Parks" in rejected.value.fields[f"lines.{ids['Parks']}"]
    db.session.rollback()
    with pytest.raises(services.ResponseRejected) as unbalanced:
        services.save_response(user, sim, amounts(sim, Parks=350_000))
    assert unbalanced.value.code == "unbalanced"
    assert "+€50,000" in unbalanced.value.message
    db.session.rollback()
    assert _count(SimulatorResponse) == 0 and _count(SimulatorResponseLine) == 0


def test_drafts_are_kept_may_be_unbalanced_and_do_not_count(ctx):
    user = make_user()
    sim = make_simulator()
    ids = line_ids(sim)
    draft, _ = services.save_response(
        user,
        sim,
        {str(ids["Parks"]): 350_000},
        comments={str(ids["Parks"]): "More trees"},
        submit=False,
    )
    db.session.commit()
    assert not draft.is_submitted
    assert draft.amounts() == {
        ids["Parks"]: 35_000_000,
        ids["Libraries"]: 20_000_000,
        ids["Roads"]: 50_000_000,
    }
    assert draft.comments() == {ids["Parks"]: "More trees"}
    assert services.aggregate(sim)["responses"] == 0
    assert services.aggregate(sim)["drafts"] == 1
    # a draft cannot break bounds either
    with pytest.raises(services.ResponseRejected):
        services.save_response(user, sim, {str(ids["Parks"]): 999_999_999}, submit=False)
    db.session.rollback()
    # submitting it makes it count; a draft over a submitted response is refused
    services.save_response(user, sim, amounts(sim, Parks=350_000, Libraries=150_000))
    db.session.commit()
    with pytest.raises(services.AlreadySubmitted):
        services.save_response(user, sim, amounts(sim), submit=False)
    db.session.rollback()
    assert services.aggregate(sim)["responses"] == 1


def test_closed_and_upcoming_simulators_take_no_response(ctx):
    user = make_user()
    ended = make_simulator(closes_at=utcnow() - timedelta(hours=1))
    with pytest.raises(services.SimulatorClosed) as closed:
        services.save_response(user, ended, amounts(ended))
    assert "closed on" in closed.value.message and closed.value.code == "phase_closed"
    later = make_simulator(opens_at=utcnow() + timedelta(days=2))
    with pytest.raises(services.SimulatorClosed) as upcoming:
        services.save_response(user, later, amounts(later))
    assert "opens on" in upcoming.value.message
    shut = make_simulator(status="closed")
    with pytest.raises(services.SimulatorClosed):
        services.save_response(user, shut, amounts(shut))
    db.session.rollback()
    assert _count(SimulatorResponse) == 0


def test_verification_is_required_when_the_consultation_asks(ctx):
    consultation = make_consultation(require_verification=True)
    sim = make_simulator(consultation)
    verified, unverified = make_user(), make_user()
    verify(verified, consultation)
    with pytest.raises(Forbidden) as refused:
        services.save_response(unverified, sim, amounts(sim))
    assert refused.value.code == "verification_required"
    db.session.rollback()
    services.save_response(verified, sim, amounts(sim))
    db.session.commit()
    assert _count(SimulatorResponse) == 1


def test_comments_are_checked(ctx):
    user = make_user()
    sim = make_simulator()
    with pytest.raises(ValidationFailed) as error:
        services.save_response(user, sim, amounts(sim), comments={"999": "where?"})
    assert "comments.999" in error.value.fields
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        services.save_response(user, sim, amounts(sim), comment="x" * 4001)
    db.session.rollback()
    assert _count(SimulatorResponse) == 0


def test_visibility(ctx):
    resident, planner = make_user(), make_user(roles=("planner",))
    draft = make_simulator(status="draft")
    hidden_consultation = make_simulator(make_consultation(status="draft"))
    public = make_simulator()
    for sim in (draft, hidden_consultation):
        with pytest.raises(NotFound):
            services.get_simulator(sim.id, resident)
        assert services.get_simulator(sim.id, planner) is sim
    assert services.get_simulator(public.id, None) is public
    assert services.simulators_for(public.consultation) == [public]
    assert services.simulators_for(draft.consultation) == []
    assert services.simulators_for(draft.consultation, planner) == [draft]
    assert not services.can_see_results(resident, public)
    assert services.can_see_results(planner, public)


def test_planner_set_up_and_the_lock_once_people_answered(ctx):
    planner = make_user(roles=("planner",))
    consultation = make_consultation()
    with pytest.raises(Forbidden):
        services.create_simulator(make_user(), consultation, title="Nope")
    sim = services.create_simulator(
        planner,
        consultation,
        title="Budget 2027",
        mode="tax",
        currency="eur",
        household_share="0.00002",
        tolerance="0",
    )
    assert (sim.currency, sim.status, sim.household_share) == ("EUR", "draft", "0.00002")
    with pytest.raises(ValidationFailed) as bad:
        services.add_line(
            planner,
            sim,
            name="Parks",
            current_amount="300000",
            minimum="100000",
            maximum="520000",
            step="50000",
        )
    assert bad.value.fields == {
        "maximum": "The maximum must be the minimum plus a number of steps."
    }
    with pytest.raises(ValidationFailed) as no_lines:
        services.update_simulator(planner, sim, title="Budget 2027", mode="tax", status="open")
    assert "status" in no_lines.value.fields
    parks = services.add_line(
        planner,
        sim,
        name="Parks",
        group_name="Services",
        current_amount="300000",
        minimum="100000",
        maximum="500000",
        step="50000.00",
    )
    pool = services.add_line(planner, sim, name="Pool", kind="toggle", cost="250000", included=True)
    assert (pool.current_amount, pool.minimum, pool.maximum, pool.step) == (
        25_000_000,
        0,
        25_000_000,
        25_000_000,
    )
    services.update_simulator(
        planner, sim, title="Budget 2027", mode="tax", household_share="0.00002", status="open"
    )
    services.move_line(planner, pool, "up")
    db.session.commit()
    assert [line.name for line in sim.lines] == ["Pool", "Parks"]

    resident = make_user()
    services.save_response(resident, sim, {str(parks.id): 350_000, str(pool.id): False})
    db.session.commit()
    with pytest.raises(services.ResponsesExist):
        services.update_line(
            planner,
            parks,
            name="Parks",
            current_amount="300000",
            minimum="0",
            maximum="500000",
            step="50000",
        )
    db.session.rollback()
    with pytest.raises(services.ResponsesExist):
        services.add_line(
            planner, sim, name="Late", current_amount="1", minimum="0", maximum="1", step="1"
        )
    db.session.rollback()
    with pytest.raises(Conflict):
        services.delete_line(planner, parks)
    db.session.rollback()
    # names may still change
    services.update_line(
        planner,
        parks,
        name="Parks and trees",
        current_amount="300000",
        minimum="100000",
        maximum="500000",
        step="50000",
    )
    db.session.commit()
    assert parks.name == "Parks and trees"
