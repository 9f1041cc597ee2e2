"""The aggregate: exact statistics from GROUP BY counts, in a bounded number of queries."""

from __future__ import annotations

import random
import statistics
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from portal.core.models import utcnow
from portal.extensions import db
from portal.simulator import services
from portal.simulator.models import Simulator, SimulatorResponse, SimulatorResponseLine
from tests.factories import make_user
from tests.simulator.factories import make_simulator

MAX_AGGREGATE_QUERIES = 5


def _bulk_responses(sim: Simulator, n: int, seed: int = 7) -> list[dict[int, int]]:
    """``n`` balanced submitted responses (plus two drafts), inserted in bulk; returns the
    amounts per response so the test can compute the expected statistics itself."""
    generator = random.Random(seed)
    users = [make_user(commit=False) for _ in range(n + 2)]
    db.session.flush()
    parks, libraries, roads = sim.lines
    now = utcnow()
    chosen_all = []
    response_rows, line_rows = [], []
    for index, user in enumerate(users):
        shift = generator.choice((-2, -1, 0, 0, 1, 2)) * 5_000_000  # ±50,000.00 steps
        chosen = {
            parks.id: parks.current_amount + shift,
            libraries.id: libraries.current_amount - shift,
            roads.id: roads.current_amount,
        }
        submitted = index < n
        started = now - timedelta(days=index % 4, seconds=600)
        response_rows.append(
            {
                "id": index + 1,
                "simulator_id": sim.id,
                "user_id": user.id,
                "comment": "Overall" if index % 50 == 0 else "",
                "total": sum(chosen.values()),
                "started_at": started,
                "submitted_at": started + timedelta(seconds=60 + index % 7) if submitted else None,
                "completion_seconds": 60 + index % 7 if submitted else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        for line_id, amount in chosen.items():
            line_rows.append(
                {
                    "response_id": index + 1,
                    "line_id": line_id,
                    "amount": amount,
                    "comment": "Why" if line_id == parks.id and index % 10 == 0 else "",
                    "counted": submitted,
                }
            )
        if submitted:
            chosen_all.append(chosen)
    db.session.execute(insert(SimulatorResponse), response_rows)
    db.session.execute(insert(SimulatorResponseLine), line_rows)
    db.session.commit()
    return chosen_all


@pytest.mark.parametrize("n", [3, 300])
def test_aggregate_runs_a_bounded_number_of_queries(app, ctx, queries, n):
    sim = make_simulator()
    chosen = _bulk_responses(sim, n)
    db.session.expire_all()
    sim = db.session.get(Simulator, sim.id)
    with queries() as statements:
        data = services.aggregate(sim)
    assert len(statements) <= MAX_AGGREGATE_QUERIES, statements
    assert data["responses"] == n and data["drafts"] == 2

    parks = data["lines"][0]
    values = [c[sim.lines[0].id] for c in chosen]
    assert parks["count"] == n
    assert parks["mean"] == (Decimal(sum(values)) / n / 100).quantize(Decimal("0.01"))
    assert parks["median"] == (Decimal(str(statistics.median(values))) / 100).quantize(
        Decimal("0.01")
    )
    q1, _m, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert float(parks["q1"]) == pytest.approx(q1 / 100, abs=0.005)
    assert float(parks["q3"]) == pytest.approx(q3 / 100, abs=0.005)
    current = sim.lines[0].current_amount
    assert parks["raised"] == sum(v > current for v in values)
    assert parks["cut"] == sum(v < current for v in values)
    assert parks["kept"] == sum(v == current for v in values)
    assert parks["raised_share"] == (Decimal(parks["raised"]) / n).quantize(Decimal("0.0001"))
    assert parks["comment_count"] == len(range(0, n, 10))
    assert len(parks["comments"]) == min(20, parks["comment_count"])
    assert data["overall_comment_count"] == len(range(0, n, 50))
    roads = data["lines"][2]
    assert (roads["kept"], roads["q1"], roads["q3"]) == (
        n,
        Decimal("500000.00"),
        Decimal("500000.00"),
    )
    assert sum(day["count"] for day in data["per_day"]) == n
    assert len(data["per_day"]) == min(n, 4)
    seconds = [60 + i % 7 for i in range(n)]
    assert data["time_to_complete"]["median_seconds"] == Decimal(
        str(statistics.median(seconds))
    ).quantize(Decimal("0.1"))
    assert data["total"]["kept"] == n  # every response is balanced


def test_results_page_query_count_does_not_grow(app, client, queries):
    with app.app_context():
        make_user("pat@example.org", roles=("planner",))
    client.login("pat@example.org")
    counts = []
    for n in (3, 60):
        with app.app_context():
            sim = make_simulator(results_published=True)
            _bulk_responses(sim, n, seed=n)
            sim_id = sim.id
        with app.app_context(), queries() as statements:
            assert client.get(f"/simulators/{sim_id}/results").status_code == 200
        counts.append(len(statements))
        with app.app_context():
            db.session.execute(SimulatorResponse.__table__.delete())
            db.session.commit()
    assert counts[0] == counts[1], counts


def test_aggregate_of_nothing(app, ctx):
    sim = make_simulator(mode="tax", household_share="0.00002")
    data = services.aggregate(sim)
    assert data["responses"] == 0 and data["per_day"] == []
    assert data["lines"][0]["mean"] is None and data["lines"][0]["raised_share"] == 0
    assert data["household_impact"]["mean"] is None
