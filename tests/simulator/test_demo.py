"""`portal demo` adds a simulator with ten lines and a few hundred responses, once."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.simulator import demo, services
from portal.simulator.models import Simulator, SimulatorResponse
from tests.simulator.factories import make_consultation


def test_demo_needs_a_published_consultation(app, ctx):
    make_consultation(status="draft")
    lines = demo.load()
    assert "no published consultation" in lines[0]
    assert db.session.scalar(select(func.count()).select_from(Simulator)) == 0


def test_demo_is_rich_and_idempotent(app, ctx):
    make_consultation(status="published", require_verification=True)
    lines = demo.load()
    db.session.commit()
    assert "synthetic responses" in lines[0]
    again = demo.load()
    db.session.commit()
    assert "already present" in again[0]
    (sim,) = db.session.scalars(select(Simulator)).all()
    assert len(sim.lines) == 10
    assert {line.group_name for line in sim.lines} == {"Services", "Capital"}
    assert sum(line.is_toggle for line in sim.lines) == 1
    responses = db.session.scalar(select(func.count()).select_from(SimulatorResponse))
    assert 250 <= responses <= 300
    data = services.aggregate(sim)
    assert data["responses"] == responses
    assert len(data["per_day"]) >= 10
    assert all(line["count"] == responses for line in data["lines"])
    # people did move money: not every line is kept by everyone
    assert sum(line["raised"] + line["cut"] for line in data["lines"]) > responses
    assert data["total"]["kept"] + data["total"]["raised"] + data["total"]["cut"] == responses
