"""Official responses, status history, notifications, response times and templates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accountability import services
from portal.accountability.models import OfficialResponse, ResponseTemplate
from portal.core.errors import Conflict, ValidationFailed
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas import services as idea_services
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea
from tests.ideas.html_check import assert_harmless


def test_rejecting_needs_a_reason_and_merging_a_target(ctx):
    consultation = make_consultation()
    idea, other = make_idea(consultation), make_idea(consultation)
    planner = make_user(roles=("planner",))
    with pytest.raises(ValidationFailed) as caught:
        services.respond(planner, idea, "rejected", "We looked at it carefully.")
    assert "reason" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.respond(planner, idea, "merged", "Same as another idea here.")
    assert "merged_into" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.respond(planner, idea, "merged", "Merged into itself?", merged_into_id=idea.id)
    with pytest.raises(ValidationFailed):
        services.respond(planner, idea, "published", "Not an answer status.")
    with pytest.raises(ValidationFailed):
        services.respond(planner, idea, "accepted", "short")
    services.respond(
        planner, idea, "merged", "Continues in the other idea.", merged_into_id=other.id
    )
    db.session.commit()
    assert idea.status == "merged" and idea.merged_into_id == other.id
    with pytest.raises(Conflict):  # a merged idea no longer collects supports
        idea_services.add_support(make_user(), idea)


def test_status_history_is_kept_and_shown(client, ctx):
    consultation = make_consultation()
    idea = make_idea(consultation)
    planner = make_user(roles=("planner",), name="Pat Planner")
    first = utcnow() - timedelta(days=5)
    services.respond(planner, idea, "under_review", "We are studying the costs.", now=first)
    services.respond(
        planner, idea, "rejected", "The land belongs to the province.", reason="Not our land"
    )
    db.session.commit()
    assert idea.first_answered_at == first
    history = services.history(idea)
    assert [(r.previous_status, r.status) for r in history] == [
        ("published", "under_review"),
        ("under_review", "rejected"),
    ]
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "We are studying the costs." in page and "Not our land" in page
    assert page.index("The land belongs") < page.index("We are studying")  # newest first
    data = client.get(f"/api/v1/ideas/{idea.id}/responses").json
    assert data["status"] == "rejected" and len(data["items"]) == 2


def test_author_is_notified_of_an_answer(client, ctx):
    from portal.notifications.models import Notification

    consultation = make_consultation()
    author = make_user()
    idea = make_idea(consultation, author=author)
    planner = make_user(roles=("planner",))
    services.respond(planner, idea, "accepted", "**Great** idea, we will [do it](https://x.org).")
    db.session.commit()
    notes = db.session.scalars(db.select(Notification)).all()
    assert [(n.user_id, n.event) for n in notes] == [(author.id, "status_changed")]
    # plain text (Markdown removed), for the notification's own template or e-mail to escape
    assert notes[0].message == "Official answer (Accepted): Great idea, we will do it."


def test_planner_answers_through_the_page_with_a_template(client, ctx):
    consultation = make_consultation()
    idea = make_idea(consultation)
    planner = make_user(roles=("planner",))
    client.login(planner.email)
    response = client.form(
        "/accountability/templates/new",
        {"status": "under_review", "name": "Studying", "text": "Our engineers are studying it."},
    )
    assert response.status_code == 302
    template = db.session.scalar(db.select(ResponseTemplate))
    page = client.get(f"/ideas/{idea.id}/respond?template={template.id}").get_data(as_text=True)
    assert "Our engineers are studying it.</textarea>" in page
    assert (
        '<option selected value="under_review">' in page or 'value="under_review" selected' in page
    )
    response = client.form(
        f"/ideas/{idea.id}/respond", {"status": "rejected", "text": "Sorry, we cannot do it."}
    )
    assert response.status_code == 422
    assert "Say why the idea is rejected" in response.get_data(as_text=True)
    response = client.form(
        f"/ideas/{idea.id}/respond",
        {"status": "rejected", "text": "Sorry, we cannot do it.", "reason": "Too expensive"},
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(OfficialResponse.id))) == 1
    client.form(f"/accountability/templates/{template.id}/delete")
    assert db.session.scalar(db.select(db.func.count(ResponseTemplate.id))) == 0


def test_residents_cannot_answer(client, ctx):
    consultation = make_consultation()
    idea = make_idea(consultation)
    client.login(make_user().email)
    assert client.get(f"/ideas/{idea.id}/respond").status_code == 403
    response = client.api(
        "POST", f"/api/v1/ideas/{idea.id}/responses", json={"status": "accepted", "text": "x" * 20}
    )
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(OfficialResponse.id))) == 0


def test_api_answer(client, ctx):
    consultation = make_consultation()
    idea = make_idea(consultation)
    client.login(make_user(roles=("planner",)).email)
    url = f"/api/v1/ideas/{idea.id}/responses"
    assert client.api("POST", url, json={"status": 5}).status_code == 422
    response = client.api("POST", url, json={"status": "implemented", "text": "Done in May."})
    assert response.status_code == 201 and response.json["previous_status"] == "published"


def test_response_times(client, ctx):
    consultation = make_consultation()
    green, mobility = consultation.categories[0], consultation.categories[1]
    planner = make_user(roles=("planner",))
    now = utcnow()
    plan = [  # (category, age in days, days until the first answer or None)
        (green, 40, 3),
        (green, 40, 10),
        (green, 40, 20),
        (mobility, 40, 35),
        (mobility, 20, None),
        (mobility, 3, None),
        (mobility, 2, 1),
    ]
    ideas = []
    for category, age, answered in plan:
        idea = make_idea(consultation, category_id=category.id, commit=False)
        idea.created_at = now - timedelta(days=age)
        if answered is not None:
            services.respond(
                planner,
                idea,
                "under_review",
                "We are looking into it.",
                now=idea.created_at + timedelta(days=answered),
            )
        ideas.append(idea)
    db.session.commit()
    times = services.response_times(consultation, now=now)
    overall = times.overall
    assert (overall.ideas, overall.answered) == (7, 5)
    assert overall.median_days == 10
    # 7 days: counted = ideas older than 7 days (5) + the young one answered in time (1)
    assert overall.within[7] == (2, 6)
    assert overall.within[14] == (3, 6)
    assert overall.within[30] == (4, 5)  # the unanswered 20-day-old idea is not due yet
    by_name = {s.label: s for s in times.categories}
    assert by_name["Green spaces"].within[7] == (1, 3)
    assert by_name["Mobility"].median_days == 18
    assert [days for _idea, days in times.waiting] == [20, 3]
    page = client.get(f"/consultations/{consultation.slug}/response-times").get_data(as_text=True)
    assert "33 %" in page and "Still waiting longest" in page
    data = client.get(f"/api/v1/consultations/{consultation.slug}/response-times").json
    assert data["overall"]["answered_within"]["7"]["counted"] == 6
    assert [w["days"] for w in data["waiting"]] == [20, 3]


def test_answer_email_to_author_is_harmless_text(client, ctx, mail_sink):
    consultation = make_consultation()
    author = make_user()
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    idea = make_idea(consultation, author=author, title=f"Idea {attack}"[:150])
    planner = make_user(roles=("planner",), name=f"Planner {attack}"[:80])
    services.respond(planner, idea, "accepted", f"Answer {attack} [x](javascript:alert(3))")
    db.session.commit()
    messages = mail_sink.to(author.email)
    assert messages, "the author follows their idea and hears about the answer"
    for message in messages:
        for part in message.walk():
            if part.get_content_maintype() != "text":
                continue
            content = part.get_content()
            if part.get_content_subtype() == "html":
                assert_harmless(content, "e-mail")
            assert "Accepted" in content
