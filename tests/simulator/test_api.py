"""The simulator's JSON API: definition, PUT response (422 naming the rule), aggregate."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.services import create_api_token
from portal.extensions import db
from portal.simulator.models import Simulator, SimulatorResponse, SimulatorResponseLine
from tests.factories import make_user
from tests.simulator.factories import line_ids, make_consultation, make_simulator, verify


def _stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(SimulatorResponse)),
        db.session.scalar(select(func.count()).select_from(SimulatorResponseLine)),
    )


def test_definition(app, client):
    with app.app_context():
        sim = make_simulator(mode="tax", household_share="0.00002", toggle=True, tolerance=5)
        sim_id, ids = sim.id, line_ids(sim)
    body = client.get(f"/api/v1/simulators/{sim_id}").get_json()
    assert body["mode"] == "tax" and body["currency"] == "EUR" and body["decimals"] == 2
    assert body["household_share"] == "0.00002" and body["tolerance"] == 5
    assert body["current_total"] == 1_000_000 and body["accepting_responses"] is True
    assert body["message"] is None
    parks = body["lines"][0]
    assert parks == {
        "id": ids["Parks"],
        "name": "Parks",
        "description": "",
        "group": "Services",
        "kind": "amount",
        "current": 300_000,
        "minimum": 100_000,
        "maximum": 500_000,
        "step": 50_000,
    }
    assert body["lines"][-1]["kind"] == "toggle" and body["lines"][-1]["maximum"] == 100_000
    assert client.get("/api/v1/simulators/999999").status_code == 404
    listed = client.get(f"/api/v1/simulators?consultation={body['consultation']['slug']}")
    assert [s["id"] for s in listed.get_json()["simulators"]] == [sim_id]


def test_put_creates_then_updates_one_response(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id, ids = sim.id, line_ids(sim)
    client.login("rosa@example.org")
    url = f"/api/v1/simulators/{sim_id}/response"
    lines = {
        str(ids["Parks"]): 400_000,
        str(ids["Libraries"]): "100000.00",
        str(ids["Roads"]): 500000,
    }
    first = client.api("PUT", url, json={"lines": lines, "comments": {str(ids["Parks"]): "Trees"}})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "submitted" and body["balanced"] is True
    assert body["lines"][str(ids["Parks"])] == 400_000
    assert body["comments"] == {str(ids["Parks"]): "Trees"}
    lines[str(ids["Parks"])] = 300_000
    lines[str(ids["Libraries"])] = 200_000
    second = client.api("PUT", url, json={"lines": lines})
    assert second.status_code == 200
    assert client.api("GET", url).get_json()["lines"][str(ids["Parks"])] == 300_000
    with app.app_context():
        assert _stored() == (1, 3)


def test_crafted_puts_get_422_naming_the_rule_and_store_nothing(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id, ids = sim.id, line_ids(sim)
    client.login("rosa@example.org")
    url = f"/api/v1/simulators/{sim_id}/response"
    good = {str(ids["Parks"]): 300_000, str(ids["Libraries"]): 200_000, str(ids["Roads"]): 500_000}
    cases = [
        ({**good, str(ids["Parks"]): 50_000}, "below_minimum", f"lines.{ids['Parks']}"),
        ({**good, str(ids["Roads"]): 900_000}, "above_maximum", f"lines.{ids['Roads']}"),
        (
            {**good, str(ids["Parks"]): 325_000, str(ids["Libraries"]): 175_000},
            "off_step",
            f"lines.{ids['Parks']}",
        ),
        ({**good, str(ids["Parks"]): 350_000}, "unbalanced", "total"),
        ({**good, "999": 5}, "unknown_line", "lines.999"),
        ({str(ids["Parks"]): 300_000}, "missing_line", f"lines.{ids['Libraries']}"),
        ({**good, str(ids["Parks"]): "lots"}, "invalid_amount", f"lines.{ids['Parks']}"),
        ({**good, str(ids["Parks"]): 300_000.001}, "off_step", f"lines.{ids['Parks']}"),
    ]
    for lines, code, field in cases:
        response = client.api("PUT", url, json={"lines": lines})
        assert response.status_code == 422, (code, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == code, error
        assert field in error["fields"], error
        assert any(v["code"] == code for v in error["violations"])
        assert error["message"]
    for body in ({"lines": [1, 2]}, {"lines": good, "submit": "yes"}, {"nolines": 1}, [1]):
        response = client.api("PUT", url, json=body)
        assert response.status_code == 422, body
    with app.app_context():
        assert _stored() == (0, 0)


def test_api_tokens_and_verification(app, client):
    with app.app_context():
        consultation = make_consultation(require_verification=True)
        sim = make_simulator(consultation)
        rosa, other = make_user("rosa@example.org"), make_user("other@example.org")
        verify(rosa, consultation)
        _t, rosa_token = create_api_token(rosa, "cli")
        _t, other_token = create_api_token(other, "cli")
        db.session.commit()
        sim_id, ids = sim.id, line_ids(sim)
    url = f"/api/v1/simulators/{sim_id}/response"
    lines = {
        str(i): amount for i, amount in zip(ids.values(), (300_000, 200_000, 500_000), strict=True)
    }
    refused = client.put(
        url, json={"lines": lines}, headers={"Authorization": f"Bearer {other_token}"}
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "verification_required"
    ok = client.put(url, json={"lines": lines}, headers={"Authorization": f"Bearer {rosa_token}"})
    assert ok.status_code == 201
    assert client.api("PUT", url, json={"lines": lines}).status_code == 401


def test_aggregate_is_public_once_published(app, client):
    with app.app_context():
        sim = make_simulator(mode="tax", household_share="0.00002")
        make_user("rosa@example.org")
        make_user("pat@example.org", roles=("planner",))
        sim_id, ids = sim.id, line_ids(sim)
    client.login("rosa@example.org")
    url = f"/api/v1/simulators/{sim_id}"
    lines = {str(ids["Parks"]): 500_000, str(ids["Libraries"]): 200_000, str(ids["Roads"]): 500_000}
    assert client.api("PUT", f"{url}/response", json={"lines": lines}).status_code == 201
    denied = client.get(f"{url}/aggregate")
    assert denied.status_code == 403
    assert denied.get_json()["error"]["code"] == "results_not_published"
    client.form("/logout")
    client.login("pat@example.org")
    data = client.get(f"{url}/aggregate").get_json()
    assert data["responses"] == 1
    assert data["household_impact"] == {"household_share": 0.00002, "mean": 4, "median": 4}
    parks = data["lines"][0]
    assert (parks["mean"], parks["median"], parks["raised"], parks["raised_share"]) == (
        500_000,
        500_000,
        1,
        1,
    )
    with app.app_context():
        db.session.get(Simulator, sim_id).results_published = True
        db.session.commit()
    client.form("/logout")
    public = client.get(f"{url}/aggregate").get_json()
    assert public["lines"][0]["mean"] == 500_000
    assert public["comments_included"] is False


def test_the_consultation_api_lists_its_simulators(app, client):
    with app.app_context():
        consultation = make_consultation()
        shown = make_simulator(consultation)
        make_simulator(consultation, status="draft")
        slug, shown_id = consultation.slug, shown.id
    body = client.get(f"/api/v1/consultations/{slug}").get_json()
    assert [s["id"] for s in body["simulators"]] == [shown_id]
    assert body["simulators"][0]["url"].endswith(f"/api/v1/simulators/{shown_id}")
