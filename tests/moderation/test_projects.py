"""Budget projects have no author: reports, automatic hiding and hiding still work."""

from __future__ import annotations

from portal.budgets.models import Budget, Project
from portal.extensions import db
from portal.moderation import services
from tests.factories import make_user
from tests.moderation.factories import make_consultation, people


def test_project_reported_hidden_and_gone_from_the_budget_api(app, client, mail_sink):
    with app.app_context():
        consultation = make_consultation()
        budget = Budget(consultation_id=consultation.id, title="City budget", total=100_000_00)
        project = Project(
            budget=budget, ref="P1", title="Skatepark Quixotic", description="Ramps.", cost=5_00
        )
        db.session.add_all([budget, project])
        db.session.commit()
        budget_id, project_id = budget.id, project.id
        emails = [p.email for p in people(3)]
        make_user("mod@example.org", roles=("moderator",))
    before = client.get(f"/api/v1/budgets/{budget_id}")
    assert before.status_code == 200 and "Quixotic" in before.get_data(as_text=True)
    for email in emails:
        reporter = app.test_client()
        reporter.login(email)
        answer = reporter.api(
            "POST",
            "/api/v1/reports",
            json={"target": "project", "id": project_id, "reason": "spam"},
        )
        assert answer.status_code == 201
    assert "Quixotic" not in client.get(f"/api/v1/budgets/{budget_id}").get_data(as_text=True)
    moderator = app.test_client()
    moderator.login("mod@example.org")
    queue = moderator.get("/api/v1/moderation/queue").get_json()
    item = queue["items"][0]
    assert item["kind"] == "project" and item["author"] is None and item["report_count"] == 3
    hidden = moderator.api(
        "POST", f"/api/v1/moderation/cases/{item['id']}/hide", json={"reason": "off_topic"}
    )
    assert hidden.status_code == 200
    with app.app_context():
        assert services.load_target("project", project_id).moderation_state == "hidden"
    assert mail_sink.messages == []  # nobody to write a statement to
    block = moderator.form(f"/moderation/cases/{item['id']}/block", {"block-reason": "x"})
    assert block.status_code == 404
