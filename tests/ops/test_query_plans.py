"""Query discipline: the idea list's filters and sorts are served by indexes (PostgreSQL).

The data is made by ``portal seed-large``'s generator: four consultations of 1,000 ideas,
comments and supports, so the list of one consultation is a quarter of the table. With
sequential scans disabled, PostgreSQL still picks one when *no* index can serve a query; so a
plan without "Seq Scan on ideas" proves that an index exists for that filter or sort. The
plans the planner chooses freely are checked too for the default list (newest first).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.ops.seed import seed_large, seed_large_command

FILTERS = [
    {},
    {"sort": "supported"},
    {"sort": "commented"},
    {"category": True},
    {"district": True},
    {"status": "accepted"},
    {"status": "qualified"},
    {"category": True, "sort": "supported"},
]


def explain(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(text(f"EXPLAIN {compiled}")).scalars()
    return "\n".join(rows)


@pytest.fixture
def seeded(app, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL (set PORTAL_TEST_DATABASE_URL)")
    services = pytest.importorskip("portal.ideas.services")
    if not hasattr(services, "list_statement"):
        pytest.skip("portal.ideas.services.list_statement is not there yet")
    manifests = [
        seed_large(
            ideas=1000,
            comments=3000,
            supports=6000,
            voters=300,
            projects=0,
            seed=n,
            echo=lambda line: None,
        )
        for n in range(4)
    ]
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return services, manifests[1]


def test_idea_list_filters_and_sorts_use_indexes(seeded):
    from portal.consultations.models import Consultation

    services, manifest = seeded
    consultation = db.session.get(Consultation, manifest["consultation"]["id"])
    assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["ideas"])) == 4000
    category_id = consultation.categories[0].id
    district_id = consultation.districts[0].id
    db.session.execute(text("SET enable_seqscan = off"))
    try:
        for options in FILTERS:
            filters = services.IdeaFilter(
                category_id=category_id if options.get("category") else None,
                district_id=district_id if options.get("district") else None,
                status=options.get("status"),
                sort=options.get("sort", "newest"),
            )
            statement = services.list_statement(consultation, filters, None)
            page = explain(statement.limit(20))
            assert "Seq Scan on ideas" not in page, f"{options}:\n{page}"
            counted = explain(select(func.count()).select_from(statement.order_by(None).subquery()))
            assert "Seq Scan on ideas" not in counted, f"count {options}:\n{counted}"
    finally:
        db.session.execute(text("RESET enable_seqscan"))
    # Left to itself, the planner serves the default list (newest first) from an index too.
    default = explain(services.list_statement(consultation, services.IdeaFilter(), None).limit(20))
    assert "Seq Scan on ideas" not in default, default

    # The generator's denormalised counters match the rows.
    mismatched = db.session.scalar(
        text(
            "SELECT count(*) FROM ideas i WHERE i.support_count <> "
            "(SELECT count(*) FROM supports s WHERE s.idea_id = i.id)"
        )
    )
    assert mismatched == 0
    wrong_comments = db.session.scalar(
        text(
            "SELECT count(*) FROM ideas i JOIN anchors a ON a.id = i.anchor_id "
            "WHERE a.comment_count <> (SELECT count(*) FROM comments c "
            "WHERE c.target_anchor_id = a.id)"
        )
    )
    assert wrong_comments == 0


def test_seed_large_command_writes_a_manifest(app, tmp_path):
    runner = app.test_cli_runner()
    manifest = tmp_path / "seed.json"
    result = runner.invoke(
        seed_large_command,
        [
            "--ideas",
            "30",
            "--comments",
            "60",
            "--supports",
            "90",
            "--voters",
            "10",
            "--projects",
            "5",
            "--manifest",
            str(manifest),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ideas: 30 rows" in result.output
    import json

    data = json.loads(manifest.read_text())
    assert data["ideas"]["count"] == 30
    assert data["voters"]["count"] == 10
    with app.app_context():
        ideas = db.session.scalar(text("SELECT count(*) FROM ideas"))
        supports = db.session.scalar(text("SELECT count(*) FROM supports"))
        comments = db.session.scalar(text("SELECT count(*) FROM comments"))
    assert (ideas, supports, comments) == (30, 90, 60)
    # The voters can log in with the printed password.
    client = app.test_client()
    email = data["voters"]["email_pattern"].format(n=3)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login", data={"email": email, "password": data["password"], "csrf_token": token}
    )
    assert answer.status_code == 302
