"""Posting, replying, editing, deleting, voting, the phase rule, counters and pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.comments import services
from portal.comments.models import Comment, CommentVote
from portal.consultations.models import Consultation
from portal.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.extensions import db
from tests.comments.factories import (
    bulk_comments,
    make_comment,
    make_consultation,
    render_section,
)
from tests.factories import make_user


def _get(cls, id_):
    return db.session.get(cls, id_)


def _count(target) -> int:
    db.session.expire_all()
    return target.anchor.comment_count


def test_comment_and_reply_through_the_form(client, app):
    with app.app_context():
        consultation = make_consultation()
        anchor_id, cons_id = consultation.anchor_id, consultation.id
        make_user("ann@example.org", name="Ann")
    client.login("ann@example.org")
    r = client.form(f"/comments/on/{anchor_id}", {"body": "Hello **world**", "stance": "for"})
    assert r.status_code == 303
    with app.app_context():
        comment = db.session.scalars(select(Comment)).one()
        assert (comment.stance, comment.body, comment.depth) == ("for", "Hello **world**", 0)
        first = comment.id
    assert r.headers["Location"].endswith(f"/comments/{first}")
    r = client.form(f"/comments/on/{anchor_id}", {"body": "A reply", "parent_id": str(first)})
    assert r.status_code == 303
    with app.app_context():
        reply = db.session.scalars(select(Comment).where(Comment.parent_id == first)).one()
        assert (reply.depth, reply.root_id, reply.stance) == (1, first, "neutral")
        consultation = _get(Consultation, cons_id)
        assert _count(consultation) == 2
        html = render_section(app, consultation)
    assert "<strong>world</strong>" in html
    assert html.index(f'id="comment-{first}"') < html.index(f'id="comment-{reply.id}"')
    assert "In favour" in html and "(2)" in html


def test_empty_comment_keeps_the_form_with_an_error(client, app):
    with app.app_context():
        anchor_id = make_consultation().anchor_id
        make_user("ann@example.org")
    client.login("ann@example.org")
    r = client.form(f"/comments/on/{anchor_id}", {"body": "   ", "stance": "for"})
    assert r.status_code == 422
    assert "Write something first." in r.get_data(as_text=True)
    r = client.form(f"/comments/on/{anchor_id}", {"body": "x", "stance": "maybe"})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_depth_is_limited_to_three(app, ctx):
    consultation = make_consultation()
    ann = make_user()
    parent = make_comment(ann, consultation, "level 0")
    for level in (1, 2, 3):
        parent = make_comment(ann, consultation, f"level {level}", parent=parent)
        assert parent.depth == level
    with pytest.raises(ValidationFailed) as caught:
        services.post_comment(ann, consultation, "too deep", parent_id=parent.id)
    assert "parent_id" in caught.value.fields
    html = render_section(app, consultation, user=ann)
    # Reply boxes on levels 0-2, none on level 3.
    assert html.count('name="parent_id"') == 3


def test_reply_must_belong_to_the_same_content(app, ctx):
    one, two = make_consultation(), make_consultation()
    ann = make_user()
    elsewhere = make_comment(ann, one)
    with pytest.raises(ValidationFailed):
        services.post_comment(ann, two, "reply", parent_id=elsewhere.id)
    with pytest.raises(ValidationFailed):
        services.post_comment(ann, two, "reply", parent_id=999999)


def test_phase_rule_and_hidden_content(client, app):
    with app.app_context():
        closed = make_consultation(phases=("results",), closed=("discussion",))
        ballot = make_consultation(phases=("ballot",))
        draft = make_consultation(status="draft")
        ann = make_user("ann@example.org")
        with pytest.raises(services.CommentsClosed) as caught:
            services.post_comment(ann, closed, "late")
        assert "ended" in caught.value.message
        assert services.post_comment(ann, ballot, "fine during the ballot").id
        with pytest.raises(services.CommentsClosed):
            services.post_comment(ann, draft, "hidden content")
        db.session.rollback()
        html = render_section(app, closed, user=ann)
        assert 'name="body"' not in html and "This phase has ended." in html
        ids = closed.anchor_id, draft.anchor_id
    client.login("ann@example.org")
    r = client.form(f"/comments/on/{ids[0]}", {"body": "late", "stance": "neutral"})
    assert r.status_code == 403
    r = client.form(f"/comments/on/{ids[1]}", {"body": "draft", "stance": "neutral"})
    assert r.status_code == 404
    r = client.api("POST", f"/api/v1/anchors/{ids[0]}/comments", json={"body": "late"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "comments_closed"


def test_cannot_comment_on_a_comment_anchor(app, ctx):
    consultation = make_consultation()
    ann = make_user()
    comment = make_comment(ann, consultation)
    with pytest.raises(NotFound):
        services.target_for_anchor(comment.anchor_id)


def test_counter_follows_delete_and_moderation(app, ctx):
    consultation = make_consultation()
    ann, bob = make_user(), make_user()
    first = make_comment(ann, consultation, "one")
    second = make_comment(bob, consultation, "two", parent=first)
    make_comment(bob, consultation, "three")
    assert _count(consultation) == 3
    services.delete_comment(bob, second)
    db.session.commit()
    assert _count(consultation) == 2
    first.moderation_state = "hidden"
    db.session.commit()
    assert _count(consultation) == 1
    db.session.expire_all()
    first = db.session.get(Comment, first.id)  # state changed without the old value loaded
    first.moderation_state = "published"
    db.session.commit()
    assert _count(consultation) == 2
    assert services.recount(consultation.anchor_id) == 2


def test_edit_marks_edited_and_only_author_may(client, app):
    with app.app_context():
        consultation = make_consultation()
        ann = make_user("ann@example.org")
        make_user("bob@example.org")
        comment = make_comment(ann, consultation, "first version")
        cid, cons_id = comment.id, consultation.id
    client.login("bob@example.org")
    assert client.get(f"/comments/{cid}/edit").status_code == 403
    assert (
        client.form(f"/comments/{cid}/edit", {"body": "hacked", "stance": "for"}).status_code == 403
    )
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("ann@example.org")
    assert client.get(f"/comments/{cid}/edit").status_code == 200
    r = client.form(f"/comments/{cid}/edit", {"body": "second version", "stance": "against"})
    assert r.status_code == 303
    with app.app_context():
        comment = db.session.get(Comment, cid)
        assert comment.body == "second version" and comment.stance == "against"
        assert comment.edited_at is not None
        html = render_section(app, _get(Consultation, cons_id))
    assert "(edited" in html and "second version" in html


def test_delete_keeps_the_thread(client, app):
    with app.app_context():
        consultation = make_consultation()
        ann = make_user("ann@example.org")
        bob = make_user("bob@example.org")
        top = make_comment(ann, consultation, "secret words")
        make_comment(bob, consultation, "the reply stays", parent=top)
        tid, cons_id = top.id, consultation.id
    client.login("bob@example.org")
    assert client.form(f"/comments/{tid}/delete").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("ann@example.org")
    assert client.get(f"/comments/{tid}/delete").status_code == 200
    assert client.form(f"/comments/{tid}/delete").status_code == 303
    with app.app_context():
        html = render_section(app, _get(Consultation, cons_id))
        assert db.session.get(Comment, tid).body == ""
    assert "Comment deleted" in html and "the reply stays" in html
    assert "secret words" not in html
    with app.app_context():
        top = db.session.get(Comment, tid)
        with pytest.raises(ValidationFailed):
            services.post_comment(top.author, _get(Consultation, cons_id), "x", parent_id=tid)
        with pytest.raises(Conflict):
            services.edit_comment(top.author, top, "again")


def test_votes_one_per_person(app, ctx):
    consultation = make_consultation()
    ann, bob, cat = make_user(), make_user(), make_user()
    comment = make_comment(ann, consultation)
    assert services.vote(bob, comment, "up") == 1
    assert services.vote(bob, comment, "up") == 1  # the same again changes nothing
    assert services.vote(cat, comment, "down") == -1
    db.session.commit()
    db.session.refresh(comment)
    assert (comment.up_count, comment.down_count) == (1, 1)
    services.vote(bob, comment, "down")
    db.session.commit()
    db.session.refresh(comment)
    assert (comment.up_count, comment.down_count) == (0, 2)
    services.vote(bob, comment, "none")
    db.session.commit()
    db.session.refresh(comment)
    assert (comment.up_count, comment.down_count) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(CommentVote)) == 1
    with pytest.raises(Forbidden):
        services.vote(ann, comment, "up")
    with pytest.raises(ValidationFailed):
        services.vote(bob, comment, "sideways")


def test_vote_through_the_page(client, app):
    with app.app_context():
        consultation = make_consultation()
        ann = make_user("ann@example.org")
        bob = make_user("bob@example.org")
        cid, cons_id, bob_id = make_comment(ann, consultation).id, consultation.id, bob.id
    client.login("bob@example.org")
    assert client.form(f"/comments/{cid}/vote", {"value": "up"}).status_code == 303
    assert client.form(f"/comments/{cid}/vote", {"value": "up"}).status_code == 303
    with app.app_context():
        assert db.session.get(Comment, cid).up_count == 1
        html = render_section(app, _get(Consultation, cons_id), user=_get(type(bob), bob_id))
    # The pressed button now takes the vote back.
    assert re.search(r'value="none"[^>]*aria-pressed="true"', html)


def test_pages_and_sorting(app, ctx):
    consultation = make_consultation()
    ann, bob = make_user(), make_user()
    bulk_comments(consultation, ann, 25)
    page1 = services.load_page(consultation.anchor_id, None, 1)
    page2 = services.load_page(consultation.anchor_id, None, 2)
    assert (page1.total, page1.pages) == (25, 2)
    assert [n.body for n in page1.nodes][:2] == ["Comment number 0", "Comment number 1"]
    assert [n.body for n in page2.nodes] == [f"Comment number {i}" for i in range(20, 25)]
    newest = services.load_page(consultation.anchor_id, None, 1, "newest")
    assert newest.nodes[0].body == "Comment number 24"
    liked = db.session.scalars(select(Comment).where(Comment.body == "Comment number 7")).one()
    services.vote(bob, liked, "up")
    db.session.commit()
    best = services.load_page(consultation.anchor_id, None, 1, "best")
    assert best.nodes[0].body == "Comment number 7"
    html = render_section(app, consultation, query="?comments_page=2")
    assert "Comment number 24" in html and "Comment number 3<" not in html
    assert "Page 2 of 2" in html and "comments_page" not in html.split("Previous comments")[0][-5:]
    # Out-of-range and nonsense pages do not fail.
    assert "No comments yet" not in render_section(app, consultation, query="?comments_page=x")
    render_section(app, consultation, query="?comments_page=999&comments_order=zzz")


def test_permalink_finds_the_page(client, app):
    with app.app_context():
        consultation = make_consultation()
        ann = make_user()
        bulk_comments(consultation, ann, 25)
        last = db.session.scalars(select(Comment).where(Comment.body == "Comment number 24")).one()
        with app.test_request_context():
            url = consultation.url()
        lid = last.id
    r = client.get(f"/comments/{lid}")
    assert r.status_code == 302
    assert r.headers["Location"] == f"{url}?comments_page=2#comment-{lid}"
    assert client.get("/comments/424242").status_code == 404


def test_long_threads_link_to_the_thread_page(client, app):
    with app.app_context():
        consultation = make_consultation()
        ann = make_user()
        bulk_comments(consultation, ann, 1, replies_each=services.REPLIES_PER_THREAD + 5)
        top = db.session.scalars(select(Comment).where(Comment.parent_id.is_(None))).one()
        html = render_section(app, consultation)
        tid = top.id
    assert "Show 5 more replies" in html
    page = client.get(f"/comments/{tid}/thread").get_data(as_text=True)
    assert page.count('class="comment comment-depth-1') == services.REPLIES_PER_THREAD + 5


def test_thread_page_queries_do_not_grow(app, ctx, queries):
    small, big = make_consultation(), make_consultation()
    ann, bob = make_user(), make_user()
    bulk_comments(small, ann, 2, replies_each=1)
    bulk_comments(big, ann, 1000, replies_each=1)  # 2,000 comments
    assert _count(big) == 2000
    some = db.session.scalars(
        select(Comment).where(Comment.target_anchor_id == big.anchor_id).limit(3)
    ).all()
    for c in some:
        services.vote(bob, c, "up")
    db.session.commit()
    counts = []
    for target in (small, big):
        db.session.expire_all()
        with queries() as q:
            html = render_section(app, target, user=bob)
        counts.append(len(q))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 14, counts
    assert html.count('class="comment comment-depth-0') == services.PER_PAGE


def test_rate_limit_on_posting(client, app):
    with app.app_context():
        anchor_id = make_consultation().anchor_id
        make_user("ann@example.org")
    client.login("ann@example.org")
    old = app.config["RATELIMIT_POSTING"]
    app.config["RATELIMIT_POSTING"] = "2 per minute"
    try:
        codes = [
            client.form(f"/comments/on/{anchor_id}", {"body": f"c{i}"}).status_code
            for i in range(3)
        ]
    finally:
        app.config["RATELIMIT_POSTING"] = old
    assert codes == [303, 303, 429]


def test_new_accounts_with_many_links_wait_for_moderation(app, ctx):
    consultation = make_consultation()
    ann = make_user()
    body = "see https://a.example https://b.example https://c.example"
    comment = services.post_comment(ann, consultation, body)
    db.session.commit()
    assert comment.moderation_state == "pending"
    assert _count(consultation) == 0
    assert "a.example" not in render_section(app, consultation)


def test_premoderated_consultation_holds_first_comments(app, ctx):
    consultation = make_consultation()
    consultation.premoderate_new_accounts = True
    ann, planner = make_user(), make_user(roles=("planner",))
    assert services.post_comment(ann, consultation, "first").moderation_state == "pending"
    assert services.post_comment(planner, consultation, "staff").moderation_state == "published"
    db.session.commit()
    assert _count(consultation) == 1


def test_anonymous_sees_comments_and_a_login_link(app, ctx):
    consultation = make_consultation()
    make_comment(make_user(), consultation, "visible to all")
    html = render_section(app, consultation)
    assert "visible to all" in html and "Log in to comment" in html
    assert 'name="body"' not in html and "Follow" not in html
