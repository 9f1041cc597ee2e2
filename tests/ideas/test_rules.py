"""Phase rules, per-person limits, verification and hidden counts, also for crafted requests."""

from __future__ import annotations

import pytest

from portal.consultations import services as consultation_services
from portal.consultations.phases import PhaseClosed
from portal.core.errors import Conflict, Forbidden
from portal.extensions import db
from portal.ideas import services
from portal.ideas.models import Idea, Support
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea

NEW_IDEA = {"title": "A crafted idea title", "body": "A crafted body that is long enough."}


def test_proposing_outside_the_ideas_phase_is_refused_everywhere(client, ctx):
    consultation = make_consultation(open_phases=("support",), closed=("ideas",))
    person = make_user()
    client.login(person.email)
    page = client.get(f"/consultations/{consultation.slug}/ideas/new")
    assert page.status_code == 403
    assert "This phase has ended." in page.get_data(as_text=True)
    data = dict(NEW_IDEA, category=str(consultation.categories[0].id))
    response = client.form(f"/consultations/{consultation.slug}/ideas/new", data)
    assert response.status_code == 403
    response = client.api("POST", f"/api/v1/consultations/{consultation.slug}/ideas", json=NEW_IDEA)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "phase_closed"
    assert response.json["error"]["message"] == "This phase has ended."
    assert db.session.scalar(db.select(db.func.count(Idea.id))) == 0


def test_future_phase_says_when_it_opens(client, ctx):
    consultation = make_consultation(open_phases=(), future=("ideas",))
    client.login(make_user().email)
    response = client.api("POST", f"/api/v1/consultations/{consultation.slug}/ideas", json=NEW_IDEA)
    assert response.status_code == 403
    assert response.json["error"]["message"].startswith("This opens on ")


def test_draft_consultation_is_invisible_and_closed(client, ctx):
    consultation = make_consultation(status="draft")
    assert client.get(f"/consultations/{consultation.slug}").status_code == 404
    assert client.get(f"/api/v1/consultations/{consultation.slug}/ideas").status_code == 404
    client.login(make_user().email)
    response = client.api("POST", f"/api/v1/consultations/{consultation.slug}/ideas", json=NEW_IDEA)
    assert response.status_code == 404
    planner = make_user(roles=("planner",))
    with pytest.raises(PhaseClosed):
        services.create_idea(planner, consultation, services.IdeaData(**NEW_IDEA))


def test_support_only_in_support_phase(client, ctx):
    consultation = make_consultation(open_phases=("ideas",), future=("support",))
    idea = make_idea(consultation)
    person = make_user()
    client.login(person.email)
    response = client.api("POST", f"/api/v1/ideas/{idea.id}/support")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "phase_closed"
    response = client.form(f"/ideas/{idea.id}/support", {"action": "add"})
    assert response.status_code == 302
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "This opens on" in page
    db.session.expire_all()
    assert idea.support_count == 0
    assert db.session.scalar(db.select(db.func.count(Support.id))) == 0


def test_support_toggle_count_and_threshold(ctx):
    consultation = make_consultation(support_threshold=2)
    idea = make_idea(consultation)
    a, b = make_user(), make_user()
    assert services.toggle_support(a, idea) is True
    assert services.toggle_support(b, idea) is True
    db.session.commit()
    db.session.expire_all()
    assert (idea.support_count, idea.is_qualified) == (2, True)
    assert [i.id for i in services.qualified_ideas(consultation)] == [idea.id]
    assert services.toggle_support(a, idea) is False
    db.session.commit()
    db.session.expire_all()
    assert (idea.support_count, idea.is_qualified) == (1, False)
    with pytest.raises(Conflict):
        services.remove_support(a, idea)
    services.add_support(a, idea)
    with pytest.raises(Conflict):
        services.add_support(a, idea)
    db.session.commit()
    db.session.expire_all()
    assert idea.support_count == 2
    count = db.session.scalar(
        db.select(db.func.count(Support.id)).where(Support.idea_id == idea.id)
    )
    assert count == 2


def test_per_person_limit_holds_for_crafted_api_calls(client, ctx):
    consultation = make_consultation(support_limit=2)
    ideas = [make_idea(consultation) for _ in range(3)]
    person = make_user()
    client.login(person.email)
    for idea in ideas[:2]:
        assert client.api("POST", f"/api/v1/ideas/{idea.id}/support").status_code == 201
    response = client.api("POST", f"/api/v1/ideas/{ideas[2].id}/support")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "support_limit_reached"
    assert "2" in response.json["error"]["message"]
    # taking one back frees a support
    assert client.api("DELETE", f"/api/v1/ideas/{ideas[0].id}/support").status_code == 200
    response = client.api("POST", f"/api/v1/ideas/{ideas[2].id}/support")
    assert response.status_code == 201
    assert response.json["supports_used"] == 2


def test_support_answers_count_the_persons_supports_in_this_consultation_only(client, ctx):
    """The count of one's own supports comes back with the idea's new counter (one UPDATE …
    RETURNING): it includes the support just given, and not those of other consultations."""
    consultation, elsewhere = make_consultation(), make_consultation()
    ideas = [make_idea(consultation) for _ in range(3)]
    other = make_idea(elsewhere)
    person, someone = make_user(), make_user()
    services.add_support(someone, ideas[0])
    services.add_support(person, other)
    db.session.commit()
    client.login(person.email)
    answers = [client.api("POST", f"/api/v1/ideas/{i.id}/support").json for i in ideas[:2]]
    assert [(a["supports_used"], a["support_count"]) for a in answers] == [(1, 2), (2, 1)]
    taken_back = client.api("DELETE", f"/api/v1/ideas/{ideas[0].id}/support").json
    assert (taken_back["supported"], taken_back["supports_used"]) == (False, 1)
    assert taken_back["support_count"] == 1
    assert client.api("DELETE", f"/api/v1/ideas/{ideas[2].id}/support").status_code == 409


def test_verification_required_for_supporting(client, ctx):
    consultation = make_consultation(require_verification=True)
    idea = make_idea(consultation)
    person = make_user()
    client.login(person.email)
    response = client.api("POST", f"/api/v1/ideas/{idea.id}/support")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_verified"
    [code] = consultation_services.generate_codes(consultation, 1)
    db.session.commit()
    response = client.form(f"/consultations/{consultation.slug}/verify", {"code": code.lower()})
    assert response.status_code == 302
    assert client.api("POST", f"/api/v1/ideas/{idea.id}/support").status_code == 201


def test_hidden_counts_during_support_phase(client, ctx):
    consultation = make_consultation(hide_support_counts=True)
    idea = make_idea(consultation)
    services.add_support(make_user(), idea)
    db.session.commit()
    data = client.get(f"/api/v1/ideas/{idea.id}").json
    assert data["support_count"] is None
    listing = client.get(f"/api/v1/consultations/{consultation.slug}/ideas?sort=supported").json
    assert listing["items"][0]["support_count"] is None
    page = client.get(f"/consultations/{consultation.slug}/ideas").get_data(as_text=True)
    assert "1 support" not in page
    assert "Most supported" not in page
    planner = make_user(roles=("planner",))
    client.login(planner.email)
    assert client.get(f"/api/v1/ideas/{idea.id}").json["support_count"] == 1


def test_author_edits_until_discussion_ends_and_withdraws(client, ctx):
    consultation = make_consultation(open_phases=("ideas", "discussion"))
    author = make_user()
    idea = make_idea(consultation, author=author)
    client.login(author.email)
    response = client.api("PATCH", f"/api/v1/ideas/{idea.id}", json={"title": "A better title"})
    assert response.status_code == 200, response.json
    assert response.json["title"] == "A better title"
    other = make_user()
    with pytest.raises(Forbidden):
        services.update_idea(other, idea, services.IdeaData(title="x" * 10, body="y" * 20))
    # after the discussion phase the author can no longer edit
    for phase in consultation.phases:
        phase.starts_at = phase.starts_at.replace(year=2000)
        phase.ends_at = phase.ends_at.replace(year=2000)
    db.session.commit()
    response = client.api("PATCH", f"/api/v1/ideas/{idea.id}", json={"title": "Later title"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "phase_closed"
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 302
    # withdrawing needs the confirmation box, then hides the idea from lists
    client.form(f"/ideas/{idea.id}/withdraw", {})
    db.session.expire_all()
    assert idea.withdrawn_at is None
    client.form(f"/ideas/{idea.id}/withdraw", {"confirm": "y"})
    db.session.expire_all()
    assert idea.status == "withdrawn" and idea.withdrawn_at is not None
    client.form("/logout")
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    listing = client.get(f"/api/v1/consultations/{consultation.slug}/ideas").json
    assert listing["total"] == 0


def test_only_author_may_withdraw(client, ctx):
    consultation = make_consultation()
    idea = make_idea(consultation)
    client.login(make_user().email)
    response = client.api("POST", f"/api/v1/ideas/{idea.id}/withdraw")
    assert response.status_code == 403
    db.session.expire_all()
    assert idea.withdrawn_at is None


def test_bad_input_is_422_not_500(client, ctx):
    consultation = make_consultation()
    client.login(make_user().email)
    url = f"/api/v1/consultations/{consultation.slug}/ideas"
    for body in (
        [],
        {"title": 5, "body": "x"},
        {"title": "Fine title", "body": "Fine body text here", "latitude": "north"},
        {"title": "Fine title", "body": "Fine body text here", "latitude": 91, "longitude": 1},
        {"title": "Fine title", "body": "Fine body text here", "cost": -3},
        {"title": "Fine title", "body": "Fine body text here", "category": 999999},
        {"title": "Fine title", "body": "Fine body text here", "latitude": 50},
    ):
        response = client.api("POST", url, json=body)
        assert response.status_code == 422, (body, response.json)
    response = client.form(
        f"/consultations/{consultation.slug}/ideas/new",
        {"title": "Fine title", "body": "Fine body text here", "category": "abc", "cost": "x"},
    )
    assert response.status_code == 422


def test_posting_is_limited_per_person_whatever_the_address(app, client, ctx):
    consultation = make_consultation(open_phases=("ideas",))
    person = make_user()
    client.login(person.email)
    old = app.config["RATELIMIT_POSTING"]
    app.config["RATELIMIT_POSTING"] = "2 per minute"
    try:
        statuses = []
        titles = ("Benches along the river", "Free bicycle repair day", "Library night hours")
        for title, address in zip(titles, ("10.0.0.1", "10.0.0.2", "10.0.0.3"), strict=True):
            data = dict(NEW_IDEA, title=title, category=str(consultation.categories[0].id))
            response = client.form(
                f"/consultations/{consultation.slug}/ideas/new",
                data,
                environ_base={"REMOTE_ADDR": address},
            )
            statuses.append(response.status_code)
    finally:
        app.config["RATELIMIT_POSTING"] = old
    assert statuses[:2] == [302, 302]
    assert statuses[2] == 429
    assert db.session.scalar(db.select(db.func.count(Idea.id))) == 2
