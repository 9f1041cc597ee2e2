"""Planners create and edit consultations; residents verify with one-time codes."""

from __future__ import annotations

import io

import pytest

from portal.consultations import services
from portal.consultations.models import Consultation, Verification, VerificationCode
from portal.core.errors import Conflict, ValidationFailed
from portal.extensions import db
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea

FORM = {
    "title": "Green Riverside 2027",
    "slug": "green-riverside-2027",
    "summary": "Ideas for the river banks.",
    "description": "Tell us *everything*.",
    "status": "published",
    "categories": "Nature\nPlay\nMobility",
    "districts": "East\nWest",
    "ideas_starts_at": "2026-01-01T00:00",
    "ideas_ends_at": "2026-02-01T00:00",
    "support_starts_at": "2026-02-01T00:00",
    "support_limit": "5",
    "support_threshold": "10",
    "voting_scope": "all",
    "require_verification": "y",
}


def test_planner_creates_and_edits_a_consultation(client, ctx):
    planner = make_user(roles=("planner",))
    client.login(planner.email)
    response = client.form("/consultations/new", FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    consultation = db.session.scalar(db.select(Consultation))
    assert consultation.slug == "green-riverside-2027"
    assert [c.name for c in consultation.categories] == ["Nature", "Play", "Mobility"]
    assert {p.kind for p in consultation.phases} == {"ideas", "support"}
    support = next(p for p in consultation.phases if p.kind == "support")
    assert support.ends_at is None
    assert consultation.require_verification and consultation.support_limit == 5

    edit = client.get("/consultations/green-riverside-2027/edit").get_data(as_text=True)
    assert "Nature\nPlay\nMobility" in edit and 'value="2026-01-01T00:00"' in edit
    data = dict(FORM, categories="Play\nNature\nCulture", ideas_ends_at="2025-12-01T00:00")
    response = client.form("/consultations/green-riverside-2027/edit", data)
    assert response.status_code == 422
    assert "The end must come after the start." in response.get_data(as_text=True)
    data["ideas_ends_at"] = "2026-03-01T00:00"
    response = client.form("/consultations/green-riverside-2027/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.name for c in consultation.categories] == ["Play", "Nature", "Culture"]


def test_form_errors_for_bad_values(client, ctx):
    make_consultation(slug="taken")
    client.login(make_user(roles=("planner",)).email)
    response = client.form("/consultations/new", dict(FORM, slug="taken"))
    assert response.status_code == 422
    assert "Another consultation already uses this address." in response.get_data(as_text=True)
    response = client.form("/consultations/new", dict(FORM, slug="Not A Slug!"))
    assert response.status_code == 422
    response = client.form("/consultations/new", dict(FORM, categories="Same\nsame"))
    assert response.status_code == 422
    assert "listed twice" in response.get_data(as_text=True)


def test_a_theme_in_use_cannot_be_removed(ctx):
    consultation = make_consultation()
    make_idea(consultation, category_id=consultation.categories[0].id)
    data = services.ConsultationData(
        title=consultation.title, slug=consultation.slug, categories=["Only new"]
    )
    with pytest.raises(ValidationFailed) as caught:
        services.update_consultation(None, consultation, data)
    assert "is used by 1 ideas" in caught.value.fields["categories"]


def test_residents_cannot_manage_and_drafts_are_hidden(client, ctx):
    draft = make_consultation(status="draft")
    client.login(make_user().email)
    assert client.get("/consultations/new").status_code == 403
    assert client.form("/consultations/new", FORM).status_code == 403
    assert client.get(f"/consultations/{draft.slug}").status_code == 404
    assert client.get(f"/consultations/{draft.slug}/edit").status_code == 403
    response = client.api("POST", "/api/v1/consultations", json={"title": "x", "slug": "x"})
    assert response.status_code == 403
    listed = client.get("/api/v1/consultations").json
    assert draft.slug not in [c["slug"] for c in listed["items"]]


def test_api_create_and_read(client, ctx):
    client.login(make_user(roles=("planner",)).email)
    body = {
        "title": "API consultation",
        "slug": "api-consultation",
        "status": "published",
        "categories": ["Parks"],
        "phases": [{"kind": "ideas", "starts_at": "2020-01-01T00:00:00Z", "ends_at": None}],
    }
    response = client.api("POST", "/api/v1/consultations", json=body)
    assert response.status_code == 201, response.json
    data = client.get("/api/v1/consultations/api-consultation").json
    assert data["current_phase"] == "ideas" and data["allowed_actions"] == [
        "comment",
        "edit_idea",
        "propose",
    ]
    assert data["budgets"] == [] and data["simulators"] == []
    assert data["categories"][0]["name"] == "Parks"
    response = client.api(
        "PATCH", "/api/v1/consultations/api-consultation", json={"phases": [{"kind": "x"}]}
    )
    assert response.status_code == 422
    response = client.api("PATCH", "/api/v1/consultations/api-consultation", json={"title": 3})
    assert response.status_code == 422


def test_api_extras_registry(client, ctx):
    consultation = make_consultation()

    def extra(c):
        return {"budgets": [c.id * 10]}

    services.register_api_extra(extra)
    services.register_api_extra(extra)
    try:
        data = client.get(f"/api/v1/consultations/{consultation.slug}").json
        assert data["budgets"] == [consultation.id * 10]
        assert data["simulators"] == []
    finally:
        services._API_EXTRAS.remove(extra)


# --- verification ------------------------------------------------------------------------------


def test_import_codes_all_or_nothing_with_line_numbers(ctx):
    consultation = make_consultation(districts=("North", "South"))
    bad = "code,district\nAAAA1111,North\nshort\nBBBB2222,Nowhere\nAAAA-1111\nCCCC3333,South,x\n"
    with pytest.raises(ValidationFailed) as caught:
        services.import_codes(consultation, bad)
    message = caught.value.fields["csv"]
    assert "Line 3:" in message and "Line 4:" in message
    assert "Line 5: the same code as line 2." in message and "Line 6:" in message
    assert db.session.scalar(db.select(db.func.count(VerificationCode.id))) == 0
    stored = services.import_codes(consultation, "code,district\nAAAA1111,north\nBBBB2222\n")
    db.session.commit()
    assert stored == 2
    hashes = db.session.scalars(db.select(VerificationCode.code_hash)).all()
    assert "AAAA1111" not in "".join(hashes) and all(len(h) == 64 for h in hashes)
    with pytest.raises(ValidationFailed) as caught:
        services.import_codes(consultation, "BBBB2222\n")
    assert "Line 1: this code is already stored." in caught.value.fields["csv"]
    with pytest.raises(ValidationFailed):
        services.import_codes(consultation, "\n\n")


def test_redeem_once_and_district(ctx):
    consultation = make_consultation(districts=("North", "South"))
    services.import_codes(consultation, "AAAA1111,South\n")
    db.session.commit()
    first, second = make_user(), make_user()
    assert not services.is_verified(first, consultation)
    with pytest.raises(ValidationFailed):
        services.redeem_code(first, consultation, "WRONG000")
    verification = services.redeem_code(first, consultation, " aaaa-1111 ")
    db.session.commit()
    assert services.is_verified(first, consultation)
    south = consultation.districts[1]
    assert verification.district_id == south.id
    assert services.verified_district_id(first, consultation) == south.id
    with pytest.raises(ValidationFailed):
        services.redeem_code(second, consultation, "AAAA1111")
    with pytest.raises(Conflict):
        services.redeem_code(first, consultation, "AAAA1111")
    other = make_consultation()
    with pytest.raises(ValidationFailed):  # a code belongs to its consultation
        services.redeem_code(second, other, "AAAA1111")
    assert db.session.scalar(db.select(db.func.count(Verification.id))) == 1


def test_generate_codes_shown_once_and_usable(client, ctx):
    consultation = make_consultation(require_verification=True)
    planner = make_user(roles=("planner",))
    client.login(planner.email)
    response = client.form(
        f"/consultations/{consultation.slug}/codes/generate",
        {"generate-count": "3", "generate-district": str(consultation.districts[0].id)},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    codes = sorted(set(__import__("re").findall(r"<code>([A-Z0-9-]{14})</code>", page)))
    assert len(codes) == 3
    assert db.session.scalar(db.select(db.func.count(VerificationCode.id))) == 3
    upload = client.form(
        f"/consultations/{consultation.slug}/codes/import",
        {"import-file": (io.BytesIO(b"ZZZZ9999\nYYYY8888\n"), "census.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    assert db.session.scalar(db.select(db.func.count(VerificationCode.id))) == 5
    bad = client.form(f"/consultations/{consultation.slug}/codes/import", {"import-csv": "x\n"})
    assert bad.status_code == 422 and "Line 1:" in bad.get_data(as_text=True)

    resident = make_user()
    client.form("/logout")
    client.login(resident.email)
    response = client.api(
        "POST", f"/api/v1/consultations/{consultation.slug}/verification", json={"code": codes[0]}
    )
    assert response.status_code == 201
    assert response.json["district_id"] == consultation.districts[0].id
    response = client.api(
        "POST", f"/api/v1/consultations/{consultation.slug}/verification", json={"code": codes[0]}
    )
    assert response.status_code == 409


def test_generate_codes_validates_count(ctx):
    consultation = make_consultation()
    with pytest.raises(ValidationFailed):
        services.generate_codes(consultation, 0)
    with pytest.raises(ValidationFailed):
        services.generate_codes(consultation, services.MAX_CODES_PER_BATCH + 1)


def test_home_lists_published_consultations_with_open_phase(client, ctx):
    published = make_consultation(title="Open for ideas", open_phases=("ideas",))
    make_consultation(title="Secret draft", status="draft")
    page = client.get("/").get_data(as_text=True)
    assert published.title in page and "Now: Ideas" in page
    assert "Secret draft" not in page
