"""Comments on ideas: the idea page's thread, the ideas API route, withdrawn ideas."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.comments import services
from portal.comments.models import Comment
from portal.core.models import utcnow
from portal.extensions import db
from tests.comments.factories import bulk_comments, make_comment, make_consultation
from tests.factories import make_user

ideas_models = pytest.importorskip("portal.ideas.models")


def make_idea(consultation, author, title="Plant more trees"):
    idea = ideas_models.Idea(
        consultation_id=consultation.id, author_id=author.id, title=title, body="Shade for all."
    )
    db.session.add(idea)
    db.session.commit()
    return idea


def test_comment_on_an_idea_page_and_api(client, app):
    with app.app_context():
        consultation = make_consultation(phases=("ideas", "discussion"))
        author = make_user("author@example.org")
        make_user("ann@example.org")
        idea = make_idea(consultation, author)
        idea_id, anchor_id = idea.id, idea.anchor_id
    client.login("ann@example.org")
    r = client.api(
        "POST", f"/api/v1/ideas/{idea_id}/comments", json={"body": "Yes!", "stance": "for"}
    )
    assert r.status_code == 201, r.get_json()
    top = r.get_json()
    assert (top["stance"], top["target_anchor_id"], top["depth"]) == ("for", anchor_id, 0)
    r = client.api(
        "POST", f"/api/v1/ideas/{idea_id}/comments", json={"body": "Agreed", "parent_id": top["id"]}
    )
    assert r.status_code == 201 and r.get_json()["parent_id"] == top["id"]
    thread = client.get(f"/api/v1/ideas/{idea_id}/comments").get_json()
    assert thread["comment_count"] == 2 and thread["total"] == 1
    assert thread["items"][0]["replies"][0]["body"] == "Agreed"
    same = client.get(f"/api/v1/anchors/{anchor_id}/comments").get_json()
    assert same["items"] == thread["items"]
    page = client.get(f"/ideas/{idea_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="comments"' in html and "Agreed" in html
    # The author of the idea hears about it when following it.
    assert client.get("/api/v1/ideas/424242/comments").status_code == 404


def test_withdrawn_ideas_take_no_comments(app, ctx):
    consultation = make_consultation(phases=("discussion",))
    author = make_user()
    idea = make_idea(consultation, author)
    idea.withdrawn_at = utcnow()
    db.session.commit()
    with pytest.raises(services.CommentsClosed):
        services.post_comment(make_user(), idea, "too late")


def test_idea_page_queries_do_not_grow_with_2000_comments(client, app, queries):
    with app.app_context():
        consultation = make_consultation(phases=("discussion",))
        author = make_user("reader@example.org")
        small, big = (
            make_idea(consultation, author, "Small"),
            make_idea(consultation, author, "Big"),
        )
        bulk_comments(small, author, 2, replies_each=1)
        bulk_comments(big, author, 1000, replies_each=1)
        ids = small.id, big.id
        assert db.session.get(ideas_models.Idea, ids[1]).anchor.comment_count == 2000
        voter = make_user("voter@example.org")
        some = db.session.scalars(select(Comment).limit(2)).all()
        for c in some:
            services.vote(voter, c, "up")
        db.session.commit()
    client.login("voter@example.org")
    counts = []
    for idea_id in ids:
        with app.app_context(), queries() as q:
            assert client.get(f"/ideas/{idea_id}").status_code == 200
        counts.append(len(q))
    assert counts[0] == counts[1], counts


def test_comment_notification_reaches_idea_followers(app, ctx, mail_sink):
    from portal.notifications import services as notifications

    consultation = make_consultation(phases=("discussion",))
    author = make_user("idea-author@example.org")
    idea = make_idea(consultation, author)
    notifications.follow(author, idea)
    db.session.commit()
    make_comment(make_user(name="Neighbour"), idea, "Great idea")
    assert len(mail_sink.to("idea-author@example.org")) == 1
    assert "Plant more trees" in mail_sink.to("idea-author@example.org")[0]["Subject"]
