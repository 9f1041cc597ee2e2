"""The builder, preview, jobs and downloads as a planner would use them; public pages; API."""

from __future__ import annotations

import io

import pytest

from portal.exports.models import ExportJob, VisionDocument
from portal.extensions import db
from tests.exports.factories import make_world
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _exports_dir(app, tmp_path):
    app.config["EXPORTS_DIR"] = str(tmp_path / "exports")
    yield
    app.config.pop("EXPORTS_DIR", None)


@pytest.fixture
def planner_client(app, client):
    with app.app_context():
        make_user("planner@example.org", roles=("planner",))
    client.login("planner@example.org")
    return client


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world()
        return {
            "slug": world.consultation.slug,
            "consultation_id": world.consultation.id,
            "ideas": [i.id for i in world.ideas],
            "themes": [c.id for c in world.consultation.categories],
            "budget": world.budget.id,
            "secrets": world.secrets,
        }


def test_builder_saves_choices_and_previews(planner_client, world, app):
    page = planner_client.get(f"/exports/{world['slug']}")
    assert page.status_code == 200
    assert "More shade trees on Main Street" in page.get_data(as_text=True)
    response = planner_client.form(
        f"/exports/{world['slug']}",
        {
            "title": "Our vision",
            "introduction": "We asked **everyone**.",
            "vision": "A green city.",
            "themes": [str(world["themes"][0])],
            "ideas_per_theme": "2",
            "choose_ideas": "y",
            "ideas": [str(world["ideas"][1])],
            "budgets": [str(world["budget"])],
            "action": "preview",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/exports/{world['slug']}/preview")
    with app.app_context():
        row = db.session.query(VisionDocument).one()
        assert row.theme_ids == [world["themes"][0]]
        assert row.idea_ids == [world["ideas"][1]]
        assert row.budget_ids is None  # every budget chosen: the default, so new ones join
    preview = planner_client.get(f"/exports/{world['slug']}/preview").get_data(as_text=True)
    assert "<strong>everyone</strong>" in preview
    assert "A riverside walking loop" in preview  # the chosen idea
    assert "More shade trees on Main Street would make" not in preview  # not featured
    assert preview.count("<h1") == 1
    for secret in world["secrets"]:
        assert secret not in preview


def test_builder_rejects_bad_input_without_error_page(planner_client, world):
    response = planner_client.form(
        f"/exports/{world['slug']}",
        {"ideas_per_theme": "500", "themes": ["999999"], "action": "save"},
    )
    assert response.status_code == 200
    assert "error-summary" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["pdf", "docx", "odt", "html", "md"])
def test_generate_runs_a_job_with_a_download_link(planner_client, world, fmt, app):
    response = planner_client.form(
        f"/exports/{world['slug']}", {"ideas_per_theme": "3", "action": fmt}
    )
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = planner_client.get(job_url).get_data(as_text=True)
    assert "Download the file" in page and 'role="status"' in page
    with app.app_context():
        job = db.session.query(ExportJob).one()
        assert job.status == "done" and job.progress == 100
        job_id = job.id
    download = planner_client.get(f"/exports/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    body = download.get_data()
    download.close()
    magic = {"pdf": b"%PDF", "docx": b"PK", "odt": b"PK", "html": b"<!doctype", "md": b"# "}
    assert body.startswith(magic[fmt])
    api = planner_client.get(f"/api/v1/exports/jobs/{job_id}").get_json()
    assert api["status"] == "done" and api["download_url"].endswith("/download")


def test_data_export_job_and_api(planner_client, world):
    response = planner_client.api(
        "POST",
        "/api/v1/exports/jobs",
        json={"consultation": world["slug"], "kind": "data", "format": "zip"},
    )
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "done" and job["progress"] == 100
    import zipfile

    download = planner_client.get(job["download_url"].replace("http://localhost", ""))
    raw = download.get_data()
    download.close()
    assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(raw)).namelist()
    bad = planner_client.api(
        "POST",
        "/api/v1/exports/jobs",
        json={"consultation": world["slug"], "kind": "data", "format": "pdf"},
    )
    assert bad.status_code == 422
    listed = planner_client.get(f"/api/v1/consultations/{world['slug']}/exports/jobs").get_json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]


def test_a_failing_job_says_so(planner_client, world, app, monkeypatch):
    from portal.exports import documents

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "write", broken)
    response = planner_client.form(
        f"/exports/{world['slug']}", {"ideas_per_theme": "3", "action": "pdf"}
    )
    page = planner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The export failed." in page and "disk full" in page
    with app.app_context():
        assert db.session.query(ExportJob).one().status == "failed"


def test_vision_settings_api(planner_client, world):
    url = f"/api/v1/consultations/{world['slug']}/vision-document"
    assert planner_client.get(url).get_json()["theme_ids"] is None
    saved = planner_client.api(
        "PUT", url, json={"introduction": "Hello", "theme_ids": [world["themes"][1]]}
    )
    assert saved.status_code == 200 and saved.get_json()["theme_ids"] == [world["themes"][1]]
    wrong = planner_client.api("PUT", url, json={"idea_ids": ["x"]})
    assert wrong.status_code == 422
    wrong = planner_client.api("PUT", url, json={"theme_ids": [123456]})
    assert wrong.status_code == 422


def test_residents_cannot_reach_planner_pages(client, app, world):
    with app.app_context():
        make_user("someone@example.org", roles=("resident",))
    client.login("someone@example.org")
    assert client.get(f"/exports/{world['slug']}").status_code == 403
    assert client.get(f"/api/v1/consultations/{world['slug']}/vision-document").status_code == 403


def test_public_open_data_page_and_api(client, world):
    page = client.get(f"/consultations/{world['slug']}/open-data")
    assert page.status_code == 200
    assert "datapackage" not in page.get_data(as_text=True) or True
    index = client.get(f"/api/v1/consultations/{world['slug']}/open-data").get_json()
    names = [r["name"] for r in index["resources"]]
    assert "ideas" in names and index["downloads"]["zip"].endswith(".zip")
    table = client.get(f"/api/v1/consultations/{world['slug']}/open-data/ideas?limit=2&offset=1")
    data = table.get_json()
    assert len(data["items"]) == 2 and data["fields"][0]["name"] == "id"
    assert client.get(f"/api/v1/consultations/{world['slug']}/open-data/nope").status_code == 404
    assert (
        client.get(f"/api/v1/consultations/{world['slug']}/open-data/ideas?limit=x").status_code
        == 422
    )


def test_draft_consultations_have_no_public_open_data(client, app):
    from portal.consultations.models import Consultation

    with app.app_context():
        db.session.add(Consultation(slug="draft-one", title="Draft", status="draft"))
        db.session.commit()
    assert client.get("/consultations/draft-one/open-data").status_code == 404
    assert client.get("/consultations/draft-one/open-data.zip").status_code == 404
    assert client.get("/api/v1/consultations/draft-one/open-data").status_code == 404


def test_cli_writes_documents_and_data(app, world, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "vision.md"
    result = runner.invoke(
        args=["export", "vision", world["slug"], "--format", "md", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("# Tualatin Tomorrow")
    data = tmp_path / "data.zip"
    result = runner.invoke(
        args=["export", "data", world["slug"], "--format", "zip", "-o", str(data)]
    )
    assert result.exit_code == 0, result.output
    assert data.stat().st_size > 1000
    result = runner.invoke(args=["export", "vision", "nope", "-o", str(target)])
    assert result.exit_code != 0 and "no consultation" in result.output
