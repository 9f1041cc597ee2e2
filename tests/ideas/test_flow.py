"""The main resident flow through the HTML pages: open, propose, support, answer."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.ideas.models import Idea, Support
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea


def test_new_user_proposes_supports_and_sees_answer(client, ctx):
    consultation = make_consultation(support_threshold=2)
    slug = consultation.slug
    resident = make_user("rosa@example.org")
    planner = make_user("pat@example.org", roles=("planner",))

    home = client.get("/").get_data(as_text=True)
    assert consultation.title in home
    page = client.get(f"/consultations/{slug}").get_data(as_text=True)
    assert "Propose an idea" in page

    client.login("rosa@example.org")
    response = client.form(
        f"/consultations/{slug}/ideas/new",
        {
            "title": "Benches along the river path",
            "body": "Older people need **places to rest** on the walk.",
            "category": str(consultation.categories[1].id),
            "district": str(consultation.districts[0].id),
            "address": "River path",
            "latitude": "52.37",
            "longitude": "4.89",
            "cost": "12000",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    idea = db.session.scalar(db.select(Idea))
    assert response.headers["Location"].endswith(f"/ideas/{idea.id}")
    assert idea.author_id == resident.id and idea.cost == 12000
    assert idea.category_id == consultation.categories[1].id

    shown = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "<strong>places to rest</strong>" in shown
    assert 'property="og:title" content="Benches along the river path"' in shown
    assert "twitter:card" in shown

    response = client.form(f"/ideas/{idea.id}/support", {"action": "add"})
    assert response.status_code == 302
    db.session.expire_all()
    assert idea.support_count == 1 and not idea.is_qualified

    # supporting twice by hand gives a clear message and still one support
    client.form(f"/ideas/{idea.id}/support", {"action": "add"})
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "You already support this idea." in page
    db.session.expire_all()
    assert idea.support_count == 1
    assert db.session.scalar(db.select(db.func.count(Support.id))) == 1

    other = make_user()
    client.get("/logout")
    client.form("/logout")
    client.login(other.email)
    client.form(f"/ideas/{idea.id}/support")
    db.session.expire_all()
    assert idea.support_count == 2 and idea.is_qualified

    client.form("/logout")
    client.login(planner.email)
    response = client.form(
        f"/ideas/{idea.id}/respond",
        {"status": "accepted", "text": "We will place ten benches this spring."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert idea.status == "accepted" and idea.first_answered_at is not None

    client.form("/logout")
    shown = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "We will place ten benches this spring." in shown
    assert "Accepted" in shown
    times = client.get(f"/consultations/{slug}/response-times").get_data(as_text=True)
    assert re.search(r"Answered within 7 days</dt><dd>100 %", times)


def test_similar_titles_shown_before_publishing(client, ctx):
    consultation = make_consultation()
    make_idea(consultation, title="More trees in the market square")
    author = make_user()
    client.login(author.email)
    data = {
        "title": "Trees for the market",
        "body": "Shade in summer would be lovely.",
        "category": str(consultation.categories[0].id),
    }
    response = client.form(f"/consultations/{consultation.slug}/ideas/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Similar ideas already exist" in page
    assert "More trees in the market square" in page
    assert db.session.scalar(db.select(db.func.count(Idea.id))) == 1
    data["confirm_new"] = "1"
    response = client.form(f"/consultations/{consultation.slug}/ideas/new", data)
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Idea.id))) == 2
