"""The queue's order and query count, the moderators' batched alert e-mails, the API document."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from portal.core.models import utcnow
from portal.extensions import db
from portal.moderation import services
from portal.moderation.models import ModerationCase
from tests.factories import make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea, people


def _reported_items(count: int, reports_each=lambda i: 1):
    consultation = make_consultation()
    reporters = people(3)
    ids = []
    for i in range(count):
        author = make_user()
        idea = make_idea(consultation, author, title=f"Queue idea number {i}")
        comment = make_comment(idea, author, body=f"Queue comment {i}")
        for reporter in reporters[: reports_each(i)]:
            services.report(reporter, comment, "spam", "detail")
        db.session.commit()
        ids.append(comment.id)
    return ids


def test_queue_orders_by_reports_then_age(app, ctx):
    ids = _reported_items(3, reports_each=lambda i: [1, 2, 1][i])
    # Make the first one older than the third.
    first = services.find_case(services.load_target("comment", ids[0]))
    first.opened_at = utcnow() - timedelta(days=2)
    db.session.commit()
    views, total = services.queue()
    assert total == 3
    assert [v.target.id for v in views] == [ids[1], ids[0], ids[2]]


def test_queue_runs_a_fixed_number_of_queries(app, client, queries):
    with app.app_context():
        make_user("mod@example.org", roles=("moderator",))
        _reported_items(2)
    client.login("mod@example.org")
    with app.app_context(), queries() as few:
        assert client.get("/moderation").status_code == 200
    with app.app_context():
        _reported_items(28)
    with app.app_context(), queries() as many:
        page = client.get("/moderation?per_page=30")
        assert page.status_code == 200
    assert page.get_data(as_text=True).count('name="case_ids"') == 30
    assert len(many) == len(few), (len(few), len(many))
    with app.app_context(), queries() as api:
        assert client.get("/api/v1/moderation/queue?per_page=30").get_json()["total"] == 30
    assert len(api) <= len(many)


def test_alerts_are_batched_per_moderator(app, mail_sink):
    runner = CliRunner()
    with app.app_context():
        make_user("mod1@example.org", roles=("moderator",))
        make_user("mod2@example.org", roles=("moderator",))
        make_user("resident@example.org")
        ids = _reported_items(2, reports_each=lambda i: 3)
    result = app.test_cli_runner().invoke(args=["moderation", "alerts"])
    assert result.exit_code == 0, result.output
    assert "2 moderator alert" in result.output
    assert len(mail_sink.to("mod1@example.org")) == 1
    assert len(mail_sink.to("mod2@example.org")) == 1
    assert mail_sink.to("resident@example.org") == []
    body = mail_sink.body(mail_sink.to("mod1@example.org")[0])
    assert "Queue idea number 0" in body and "Queue idea number 1" in body
    # Nothing new: nothing sent.
    mail_sink.clear()
    again = app.test_cli_runner().invoke(args=["moderation", "alerts"])
    assert "0 moderator alert" in again.output and mail_sink.messages == []
    # An appeal arrives: only the moderators who may decide it hear about it.
    with app.app_context():
        mod1 = services.load_target("user", services.moderators()[0].id)
        comment = services.load_target("comment", ids[0])
        action = services.hide(mod1, comment, "spam")
        db.session.commit()
        services.appeal(comment.author, action, "This was not spam, honestly.")
        db.session.commit()
    mail_sink.clear()
    app.test_cli_runner().invoke(args=["moderation", "alerts"])
    assert mail_sink.to("mod1@example.org") == []
    assert "Appeals waiting" in mail_sink.body(mail_sink.to("mod2@example.org")[0])
    assert runner is not None


def test_openapi_documents_the_moderation_api(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/reports",
        "/moderation/queue",
        "/moderation/cases/{case_id}/hide",
        "/moderation/cases/{case_id}/restore",
        "/moderation/cases/{case_id}/dismiss",
        "/moderation/cases/{case_id}/notes",
        "/moderation/users/{user_id}/block",
        "/moderation/users/{user_id}/unblock",
        "/moderation/bulk",
        "/moderation/appeals",
        "/moderation/appeals/{appeal_id}/decide",
        "/moderation/decisions/{action_id}/appeal",
    ):
        assert path in paths, path


def test_public_log_counts_per_week_and_reason(app, client):
    with app.app_context():
        ids = _reported_items(3, reports_each=lambda i: 3)
        moderator = make_user(roles=("moderator",))
        services.hide(moderator, services.load_target("comment", ids[0]), "spam")
        services.hide(moderator, services.load_target("comment", ids[1]), "off_topic")
        db.session.commit()
        slug = services.load_target("comment", ids[0]).anchor_consultation().slug
        assert db.session.scalar(select(ModerationCase.id).limit(1)) is not None
    data = client.get(f"/api/v1/consultations/{slug}/moderation-log").get_json()
    assert data["total"] == 5  # three automatic hidings, two decisions
    week = data["weeks"][0]
    assert week["counts"] == {"reports": 3, "spam": 1, "off_topic": 1}
    assert all("Queue comment" not in str(e) for e in data["entries"])
    assert client.get("/consultations/nope/moderation").status_code == 404
