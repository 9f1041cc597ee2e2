"""One response per person under concurrent PUTs (PostgreSQL: real parallel transactions)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.simulator.models import SimulatorResponse, SimulatorResponseLine
from tests.factories import make_user
from tests.simulator.factories import line_ids, make_simulator

THREADS = 6


@pytest.fixture
def postgres(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrency is tested on PostgreSQL (PORTAL_TEST_DATABASE_URL)")


def test_concurrent_puts_from_one_person_leave_exactly_one_response(app, postgres):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id, ids = sim.id, line_ids(sim)
    clients = []
    for _ in range(THREADS):  # separate sessions of the same person (tabs, devices, scripts)
        client = app.test_client()
        client.login("rosa@example.org")
        clients.append((client, client.csrf_token()))
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def put(client, token, parks):
        lines = {
            str(ids["Parks"]): parks,
            str(ids["Libraries"]): 500_000 - parks,
            str(ids["Roads"]): 500_000,
        }
        barrier.wait()
        response = client.put(
            f"/api/v1/simulators/{sim_id}/response",
            json={"lines": lines},
            headers={"X-CSRFToken": token},
        )
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=put, args=(client, token, 100_000 + 50_000 * (i % 5)))
        for i, (client, token) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == THREADS
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 409}, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SimulatorResponse)) == 1
        assert db.session.scalar(select(func.count()).select_from(SimulatorResponseLine)) == 3
        (response,) = db.session.scalars(select(SimulatorResponse)).all()
        amounts = response.amounts()
        assert amounts[ids["Parks"]] + amounts[ids["Libraries"]] == 50_000_000
