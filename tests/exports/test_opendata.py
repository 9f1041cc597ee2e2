"""Open data: a valid Frictionless package, no personal data in any file, results gated."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest

from portal.core.models import utcnow
from portal.exports import opendata, services
from portal.extensions import db
from tests.exports.factories import make_world

IP_ADDRESS = re.compile(rb"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def _export(world, fmt: str) -> bytes:
    out = io.BytesIO()
    services.write_data(world.consultation, fmt, out)
    return out.getvalue()


def _personal(world) -> list[str]:
    found = list(world.secrets)
    for user in world.users:
        found += [user.email, user.display_name, user.session_token]
    return found


def test_every_file_of_the_zip_is_free_of_personal_data(ctx):
    world = make_world()
    archive = zipfile.ZipFile(io.BytesIO(_export(world, "zip")))
    names = archive.namelist()
    assert "datapackage.json" in names and f"ballots/budget-{world.budget.id}.pb" in names
    for name in names:
        content = archive.read(name)
        for secret in _personal(world):
            assert secret.encode() not in content, (name, secret)
        assert b"@" not in content or name == "datapackage.json", name
        assert not IP_ADDRESS.search(content), name


def test_the_datapackage_describes_every_csv(ctx):
    world = make_world()
    archive = zipfile.ZipFile(io.BytesIO(_export(world, "zip")))
    package = json.loads(archive.read("datapackage.json"))
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    tabular = [r for r in package["resources"] if r.get("format") == "csv"]
    assert {r["name"] for r in tabular} >= {
        "ideas",
        "comments",
        "supports_by_day",
        "budgets",
        "budget_projects",
        "budget_results",
        "simulator_lines",
        "official_responses",
        "moderation",
    }
    for resource in tabular:
        rows = list(csv.reader(io.StringIO(archive.read(resource["path"]).decode("utf-8"))))
        assert rows[0] == [f["name"] for f in resource["schema"]["fields"]]
        assert all(len(row) == len(rows[0]) for row in rows)
    for resource in package["resources"]:
        assert resource["path"] in archive.namelist()

    ideas = list(csv.DictReader(io.StringIO(archive.read("data/ideas.csv").decode())))
    assert len(ideas) == 5
    assert {row["author"][:2] for row in ideas} == {"p-"}
    comments = list(csv.DictReader(io.StringIO(archive.read("data/comments.csv").decode())))
    assert len(comments) == 4
    # The same person has the same pseudonym in both tables.
    first_author = next(r["author"] for r in ideas if r["title"].startswith("More shade"))
    assert first_author in {c["author"] for c in comments}
    results = list(csv.DictReader(io.StringIO(archive.read("data/budget_results.csv").decode())))
    assert {r["ref"]: r["votes"] for r in results} == {"P1": "3", "P2": "2", "P3": "3"}
    pb = archive.read(f"ballots/budget-{world.budget.id}.pb").decode()
    assert "VOTES" in pb and "num_votes;5" in pb
    moderation = archive.read("data/moderation.csv").decode()
    assert "hidden,offensive,idea,1" in moderation


def test_vote_counts_stay_out_until_results_are_published(ctx):
    world = make_world(published_results=False, simulator_published=False)
    archive = zipfile.ZipFile(io.BytesIO(_export(world, "zip")))
    assert not any(n.startswith("ballots/") for n in archive.namelist())
    for name in ("budget_results", "simulator_lines"):
        rows = list(csv.reader(io.StringIO(archive.read(f"data/{name}.csv").decode())))
        assert len(rows) == 1, name  # the header only
    data = json.loads(_export(world, "json"))
    assert data["data"]["budget_results"] == [] and data["pabulib"] == {}

    world.budget.results_published_at = utcnow()
    world.simulator.results_published = True
    db.session.commit()
    data = json.loads(_export(world, "json"))
    assert len(data["data"]["budget_results"]) == 3
    assert len(data["data"]["simulator_lines"]) == 2
    assert list(data["pabulib"]) == [f"ballots-budget-{world.budget.id}"]


def test_supports_are_left_out_while_hidden(ctx):
    world = make_world(hide_support_counts=True, support_phase_open=True)
    data = json.loads(_export(world, "json"))
    assert {row["supports"] for row in data["data"]["ideas"]} == {None}
    assert data["data"]["supports_by_day"] == []


def test_json_and_xlsx_carry_the_same_rows(ctx):
    from openpyxl import load_workbook

    world = make_world()
    world.ideas[0].title = '=HYPERLINK("http://evil")'
    db.session.commit()
    data = json.loads(_export(world, "json"))
    assert data["datapackage"]["name"] == f"{world.consultation.slug}-open-data"
    workbook = load_workbook(io.BytesIO(_export(world, "xlsx")), read_only=True)
    sheet = workbook["ideas"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == len(data["data"]["ideas"]) == 5
    header = list(rows[0])
    titles = [row[header.index("title")] for row in rows[1:]]
    assert '=HYPERLINK("http://evil")' in titles  # kept as text, not a formula
    cell = next(
        c for r in workbook["ideas"].iter_rows(min_row=2) for c in r if c.value == titles[0]
    )
    assert cell.data_type == "s"


def test_the_zip_streams_to_an_unseekable_response(ctx):
    world = make_world()
    package = opendata.build_package(world.consultation)
    chunks = list(opendata.stream(package, "zip"))
    assert len(chunks) >= 1
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None


@pytest.mark.parametrize("fmt", ["zip", "json", "xlsx"])
def test_public_downloads(client, app, fmt):
    with app.app_context():
        world = make_world()
        slug = world.consultation.slug
    response = client.get(f"/consultations/{slug}/open-data.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'-open-data.{fmt}"')
    assert len(response.get_data()) > 500
