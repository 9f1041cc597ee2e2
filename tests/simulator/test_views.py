"""The resident's page without JavaScript, the results, the exports and the planners' pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.models import utcnow
from portal.extensions import db
from portal.simulator import services
from portal.simulator.models import Simulator, SimulatorResponse
from tests.factories import make_user
from tests.simulator.factories import line_ids, make_consultation, make_simulator


def _form(sim, action="submit", **by_name):
    """What the browser sends without JavaScript: number fields, sliders as shown."""
    data = {"action": action}
    for line in sim.lines:
        major = str(line.current_amount // 100)
        value = str(by_name.get(line.name.replace(" ", "_"), major))
        if line.is_toggle:
            data[f"present-{line.id}"] = "1"
            if by_name.get(line.name.replace(" ", "_")):
                data[f"line-{line.id}"] = "on"
        else:
            data[f"line-{line.id}"] = value
            data[f"range-{line.id}"] = major
            data[f"shown-{line.id}"] = major
    return data


def _count_responses() -> int:
    return db.session.scalar(select(func.count()).select_from(SimulatorResponse))


def test_a_new_resident_moves_lines_submits_and_edits(app, client):
    with app.app_context():
        sim = make_simulator(mode="tax", household_share="0.00002", toggle=True)
        make_user("rosa@example.org")
        sim_id, ids = sim.id, line_ids(sim)
    url = f"/simulators/{sim_id}"
    page = client.get(url).get_data(as_text=True)
    # labelled slider + number field per line, a checkbox for the on/off line, a live region
    for name in ("Parks", "Libraries", "Roads"):
        line_id = ids[name]
        assert f'<label for="amount-{line_id}" id="label-{line_id}"' in page
        assert f'type="range" id="range-{line_id}"' in page
        assert f'aria-labelledby="label-{line_id}"' in page
        assert f'type="number" id="amount-{line_id}"' in page
    assert 'type="checkbox" id="amount-' in page
    assert 'role="status" aria-live="polite"' in page
    assert 'role="img"' in page and "<title" in page and "<desc" in page
    assert "Log in to submit your budget" in page
    assert 'style="' not in page and "<script>" not in page

    client.login("rosa@example.org")
    # Recalculate without JavaScript: +100,000 on parks, skate park in (+100,000)
    data = _form(sim_with(app, sim_id), "recalculate", Parks=400_000, Skate_park=True)
    page = client.form(f"{url}/recalculate", data).get_data(as_text=True)
    assert "€1,200,000" in page  # the running total
    assert "Change in the total: +€200,000." in page
    assert "A typical household would pay +€4.00 a year." in page
    with app.app_context():
        assert _count_responses() == 0  # recalculating stores nothing

    # Submit (moving the slider only: the server takes the slider when the number is as shown)
    data = _form(sim_with(app, sim_id), "submit", Skate_park=True)
    data[f"range-{ids['Parks']}"] = "400000"
    data[f"comment-{ids['Parks']}"] = "More trees please"
    response = client.form(f"{url}/response", data)
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "your budget is submitted" in page
    assert 'value="400000"' in page and "More trees please" in page
    assert "Submit my changes" in page and "Save draft" not in page

    # Come back and edit: back to the current amounts
    response = client.form(f"{url}/response", _form(sim_with(app, sim_id), "submit"))
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(SimulatorResponse)).all()
        assert len(stored) == 1
        assert stored[0].amounts()[ids["Parks"]] == 30_000_000
        assert stored[0].comments() == {}


def sim_with(app, sim_id):
    with app.app_context():
        sim = db.session.get(Simulator, sim_id)
        sim.lines  # noqa: B018 - load them before the context closes
        db.session.expunge_all()
        return sim


def test_crafted_form_submissions_are_rejected_and_nothing_is_stored(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id, ids = sim.id, line_ids(sim)
    client.login("rosa@example.org")
    url = f"/simulators/{sim_id}/response"
    sim = sim_with(app, sim_id)
    cases = {
        "above_maximum": _form(sim, Parks=900_000, Roads=-100_000),
        "off_step": _form(sim, Parks=312_345, Libraries=187_655),
        "unbalanced": _form(sim, Parks=500_000),
    }
    for code, data in cases.items():
        response = client.form(url, data)
        assert response.status_code == 422, code
        page = response.get_data(as_text=True)
        assert "Please correct the following" in page
        assert 'aria-invalid="true"' in page or code == "unbalanced"
    missing = _form(sim)
    del missing[f"line-{ids['Roads']}"], missing[f"range-{ids['Roads']}"]
    response = client.form(url, missing)
    assert response.status_code == 422
    assert "Roads: an amount is missing." in response.get_data(as_text=True)
    page = client.form(url, _form(sim, Parks=500_000)).get_data(as_text=True)
    assert "The budget must balance: your total is +€200,000 away" in page
    with app.app_context():
        assert _count_responses() == 0


def test_drafts_from_the_form(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id = sim.id
    client.login("rosa@example.org")
    sim = sim_with(app, sim_id)
    response = client.form(f"/simulators/{sim_id}/response", _form(sim, "draft", Parks=500_000))
    assert response.status_code == 303
    page = client.get(f"/simulators/{sim_id}").get_data(as_text=True)
    assert "Your draft from" in page and 'value="500000"' in page
    assert "Over budget by €200,000" in page
    with app.app_context():
        (stored,) = db.session.scalars(select(SimulatorResponse)).all()
        assert stored.submitted_at is None


def test_closed_simulator_says_so_everywhere(app, client):
    with app.app_context():
        sim = make_simulator(closes_at=utcnow() - timedelta(minutes=1))
        make_user("rosa@example.org")
        sim_id = sim.id
    client.login("rosa@example.org")
    page = client.get(f"/simulators/{sim_id}").get_data(as_text=True)
    assert "This simulator closed on" in page and "Submit my budget" not in page
    response = client.form(f"/simulators/{sim_id}/response", _form(sim_with(app, sim_id)))
    assert response.status_code == 403
    assert "This simulator closed on" in response.get_data(as_text=True)
    api = client.api("PUT", f"/api/v1/simulators/{sim_id}/response", json={"lines": {}})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "phase_closed"
    assert "closed on" in client.get(f"/api/v1/simulators/{sim_id}").get_json()["message"]


def test_draft_simulators_are_hidden_from_residents(app, client):
    with app.app_context():
        sim = make_simulator(status="draft")
        make_user("rosa@example.org")
        make_user("pat@example.org", roles=("planner",))
        sim_id = sim.id
    assert client.get(f"/simulators/{sim_id}").status_code == 404
    client.login("rosa@example.org")
    assert client.get(f"/simulators/{sim_id}").status_code == 404
    assert client.get("/simulators").status_code == 200
    client.form("/logout")
    client.login("pat@example.org")
    assert "Draft: only planners" in client.get(f"/simulators/{sim_id}").get_data(as_text=True)


def _fill(app, sim_id, choices):
    """Submit responses through the service: ``choices`` is a list of {name: major amount}."""
    with app.app_context():
        sim = db.session.get(Simulator, sim_id)
        for index, picked in enumerate(choices):
            user = make_user()
            payload = {
                str(line.id): picked.get(line.name, line.current_amount // 100)
                for line in sim.lines
            }
            services.save_response(
                user,
                sim,
                payload,
                comments={str(sim.lines[0].id): f"Comment {index}"},
                comment="Overall" if index == 0 else "",
            )
        db.session.commit()


def test_results_are_for_planners_until_published(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("pat@example.org", roles=("planner",))
        sim_id = sim.id
    _fill(
        app,
        sim_id,
        [
            {"Parks": 400_000, "Libraries": 100_000},
            {"Parks": 200_000, "Roads": 600_000},
            {},
        ],
    )
    assert client.get(f"/simulators/{sim_id}/results").status_code == 403
    assert client.get(f"/api/v1/simulators/{sim_id}/aggregate").status_code == 403
    assert client.get(f"/simulators/{sim_id}/results.csv").status_code == 403

    client.login("pat@example.org")
    page = client.get(f"/simulators/{sim_id}/results").get_data(as_text=True)
    assert page.count('role="img"') == 6  # overview, movement, three lines, per day
    assert "Comment 2" in page and "Overall" in page
    assert "▲ 33.3%" in page  # one of three raised parks
    assert 'style="' not in page

    csv_text = client.get(f"/simulators/{sim_id}/results.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_text)))
    header, parks = rows[0], rows[1]
    assert header[:6] == ["line_id", "group", "name", "kind", "current", "responses"]
    record = dict(zip(header, parks, strict=True))
    assert record["name"] == "Parks" and record["responses"] == "3"
    assert record["mean"] == "300000.00" and record["median"] == "300000.00"
    assert (record["raised"], record["kept"], record["cut"]) == ("1", "1", "1")
    assert record["comments"] == "3"

    xlsx = client.get(f"/simulators/{sim_id}/results.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Lines", "Per day", "Summary", "Comments"]
    assert book["Lines"]["C2"].value == "Parks"
    assert book["Comments"].max_row == 5  # header + 3 line comments + 1 overall

    comments = client.get(f"/simulators/{sim_id}/comments.csv").get_data(as_text=True)
    assert "Comment 1" in comments and "Overall" in comments

    # Published: the public sees results, but comments only when the planner says so
    with app.app_context():
        db.session.get(Simulator, sim_id).results_published = True
        db.session.commit()
    client.form("/logout")
    page = client.get(f"/simulators/{sim_id}/results").get_data(as_text=True)
    assert "Parks" in page and "Comment 2" not in page
    book = load_workbook(io.BytesIO(client.get(f"/simulators/{sim_id}/results.xlsx").data))
    assert "Comments" not in book.sheetnames
    assert client.get(f"/simulators/{sim_id}/comments.csv").status_code == 302  # log in


def test_planner_sets_up_a_simulator_through_the_pages(app, client):
    with app.app_context():
        consultation = make_consultation()
        make_user("pat@example.org", roles=("planner",))
        slug = consultation.slug
        db.session.commit()
    client.login("pat@example.org")
    page = client.get(f"/simulators/new?consultation={slug}").get_data(as_text=True)
    assert "selected" in page
    assert client.get("/simulators/new?consultation=nope").status_code == 404
    consultation_id = re.search(r'<option selected value="(\d+)"', page) or re.search(
        r'value="(\d+)" selected', page
    )
    response = client.form(
        "/simulators/new",
        {
            "consultation": consultation_id.group(1),
            "title": "Budget 2027",
            "mode": "balance",
            "currency": "EUR",
            "tolerance": "1000",
            "household_share": "0",
            "status": "draft",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    edit_url = response.location
    sim_id = int(re.search(r"/simulators/(\d+)/edit", edit_url).group(1))
    bad = client.form(
        f"/simulators/{sim_id}/lines",
        {
            "line-name": "Parks",
            "line-kind": "amount",
            "line-current_amount": "300000",
            "line-minimum": "100000",
            "line-maximum": "500000",
            "line-step": "70000",
        },
    )
    assert bad.status_code == 422
    assert "The current amount must be the minimum plus a number of steps." in bad.get_data(
        as_text=True
    )
    for name, group in (("Parks", "Services"), ("Roads", "Capital")):
        ok = client.form(
            f"/simulators/{sim_id}/lines",
            {
                "line-name": name,
                "line-group_name": group,
                "line-kind": "amount",
                "line-current_amount": "300000",
                "line-minimum": "100000",
                "line-maximum": "500000",
                "line-step": "50000",
            },
        )
        assert ok.status_code == 303
    ok = client.form(
        f"/simulators/{sim_id}/lines",
        {"line-name": "Pool", "line-kind": "toggle", "line-cost": "150000", "line-included": "y"},
    )
    assert ok.status_code == 303
    page = client.get(f"/simulators/{sim_id}/edit").get_data(as_text=True)
    assert "Move Roads up" in page and "Delete Pool" in page
    response = client.form(
        f"/simulators/{sim_id}/edit",
        {
            "title": "Budget 2027",
            "mode": "balance",
            "currency": "EUR",
            "tolerance": "1000",
            "household_share": "0",
            "status": "open",
            "results_published": "y",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        sim = db.session.get(Simulator, sim_id)
        assert sim.status == "open" and sim.tolerance == 100_000 and sim.results_published
        assert [(line.name, line.kind) for line in sim.lines] == [
            ("Parks", "amount"),
            ("Roads", "amount"),
            ("Pool", "toggle"),
        ]
        pool = sim.lines[2]
        assert pool.current_amount == pool.maximum == 15_000_000
        roads_id = sim.lines[1].id
    client.form(f"/simulators/{sim_id}/lines/{roads_id}/move", {"direction": "up"})
    edit = client.get(f"/simulators/{sim_id}/lines/{roads_id}/edit")
    assert edit.status_code == 200 and 'value="300000"' in edit.get_data(as_text=True)
    with app.app_context():
        assert [line.name for line in db.session.get(Simulator, sim_id).lines][:2] == [
            "Roads",
            "Parks",
        ]
    # residents now see it
    client.form("/logout")
    assert "Budget 2027" in client.get("/simulators").get_data(as_text=True)


def test_residents_cannot_reach_planner_pages(app, client):
    with app.app_context():
        sim = make_simulator()
        make_user("rosa@example.org")
        sim_id = sim.id
    client.login("rosa@example.org")
    assert client.get(f"/simulators/{sim_id}/edit").status_code == 403
    assert client.get("/simulators/new").status_code == 403
    assert client.form(f"/simulators/{sim_id}/lines", {"line-name": "x"}).status_code == 403
