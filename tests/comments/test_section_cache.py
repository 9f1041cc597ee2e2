"""The comment section is rendered once per kind of viewer and cached whole (heading, follow
form, sort links, comment form or the reason why not, the comments); what is the viewer's own
is filled in per request. Every viewer must see exactly what an uncached rendering shows them,
and a cached section must cost one statement for a signed-in viewer and none for a visitor."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import event

from portal.accounts.models import User
from portal.comments import services
from portal.comments.models import Comment
from portal.consultations.models import Consultation
from portal.core.models import utcnow
from portal.extensions import db
from portal.notifications import services as notifications
from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user

SECTION = '{% with target=t %}{% include "comments/_section.html" %}{% endwith %}'
VIEWERS = ("visitor", "member", "follower", "author", "voter", "moderator", "blocked")


def _normalised(html: str) -> str:
    return re.sub(r'(name="csrf_token" value=")[^"]+', r"\1T", html)


def _section(app, target_id: int, who: str | None, query: str = "") -> str:
    """The section of a consultation as ``who`` (an e-mail, None for a visitor) sees it."""
    with app.test_request_context(f"/consultations/x{query}"):
        if who is not None:
            # force: a blocked person is still signed in until their session is checked
            login_user(db.session.query(User).filter_by(email=who).one(), force=True)
        target = db.session.get(Consultation, target_id)
        return render_template_string(SECTION, t=target)


def _world(app) -> dict:
    """An open and a closed consultation with comments, replies, a vote and a follow."""
    with app.app_context():
        ana = make_user("ana@example.org", name="Ana")
        ben = make_user("ben@example.org", name="Ben")
        make_user("member@example.org")
        make_user("mod@example.org", roles=("moderator",))
        blocked = make_user("blocked@example.org")
        follower = make_user("follower@example.org")
        voter = make_user("voter@example.org")
        open_one = make_consultation()
        first = make_comment(ana, open_one, "Plant oaks please", "for")
        reply = make_comment(ben, open_one, "Lindens are better", "against", parent=first)
        make_comment(ben, open_one, "And benches", "neutral")
        services.vote(voter, first, "up")
        services.vote(voter, reply, "down")
        services.vote(ana, reply, "up")
        notifications.follow(follower, open_one)
        # The closed one: its discussion phase ended, a comment of Ana's from before.
        closed = make_consultation(phases=("results",), closed=("discussion",))
        db.session.add(
            Comment(
                target_anchor_id=closed.anchor_id,
                author_id=ana.id,
                body="Too late now",
                created_at=utcnow(),
            )
        )
        db.session.flush()
        closed.anchor.comment_count = 1
        blocked.blocked_at = utcnow()
        db.session.commit()
        return {"open": open_one.id, "closed": closed.id, "comments": (first.id, reply.id)}


def _email(who: str) -> str | None:
    return {
        "visitor": None,
        "author": "ana@example.org",
        "moderator": "mod@example.org",
    }.get(who, f"{who}@example.org")


@pytest.mark.parametrize("order", [VIEWERS, tuple(reversed(VIEWERS))])
@pytest.mark.parametrize("target", ["open", "closed"])
@pytest.mark.parametrize("query", ["", "?comments_order=newest"])
def test_every_viewer_sees_the_cached_section_as_rendered_for_them(
    app, fragments, order, target, query
):
    world = _world(app)
    target_id = world[target]
    app.config["FRAGMENT_CACHE_ENABLED"] = False
    plain = {who: _normalised(_section(app, target_id, _email(who), query)) for who in order}
    app.config["FRAGMENT_CACHE_ENABLED"] = True
    for round_ in ("filled", "served"):  # rendered into the cache, then read from it
        for who in order:
            html = _normalised(_section(app, target_id, _email(who), query))
            assert html == plain[who], (round_, who)
    assert fragments["hit"] >= len(order)

    if target == "open":
        first, reply = world["comments"]
        for who in ("follower", "author"):  # commenting follows the content
            assert "You follow this." in plain[who] and "/unfollow" in plain[who]
        for who in ("member", "voter", "moderator"):
            assert ">Follow<" in plain[who] and "You follow this." not in plain[who], who
        assert "Follow" not in plain["visitor"] and "csrf" not in plain["visitor"]
        assert 'aria-pressed="true"' in plain["voter"] and 'aria-pressed="true"' in plain["author"]
        assert 'aria-pressed="true"' not in plain["member"]
        assert f"/comments/{first}/edit" in plain["author"]
        assert f"/comments/{first}/edit" not in plain["member"]
        assert 'name="body"' in plain["member"] and 'name="body"' not in plain["blocked"]
        # Flask-Login counts a blocked person as signed out: a visitor's section.
        assert plain["blocked"] == plain["visitor"] and "Log in to comment" in plain["visitor"]
    else:
        assert all('name="body"' not in html for html in plain.values())
        assert "This phase has ended." in plain["member"]


def test_a_cached_section_costs_a_signed_in_viewer_one_statement_and_a_visitor_none(app, fragments):
    world = _world(app)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    for who in ("voter@example.org", "follower@example.org", None):
        _section(app, world["open"], who)  # fills the cache for this kind of viewer
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            statements.clear()
            html = _section(app, world["open"], who)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        ours = [s for s in statements if "comment_votes" in s or "follows" in s]
        assert not any("FROM comments" in s and "comment_votes" not in s for s in statements)
        if who is None:
            assert ours == [] and "Log in to comment" in html
        else:
            assert len(ours) == 1 and "follows" in ours[0] and "comment_votes" in ours[0]


def test_marks_are_the_persons_own_on_this_content_only(app):
    with app.app_context():
        ana, ben = make_user(), make_user()
        one, two = make_consultation(), make_consultation()
        on_one = make_comment(ana, one, "here")
        on_two = make_comment(ana, two, "there")
        services.vote(ben, on_one, "up")
        services.vote(ben, on_two, "down")
        notifications.follow(ben, two)
        db.session.commit()
        assert services.marks_of(ben.id, one.anchor_id) == (False, {on_one.id: 1})
        assert services.marks_of(ben.id, two.anchor_id) == (True, {on_two.id: -1})
        # Ana follows both by commenting; she voted on nothing.
        assert services.marks_of(ana.id, one.anchor_id) == (True, {})
        assert services.marks_of(make_user().id, one.anchor_id) == (False, {})


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_the_comments_links_built_once_per_page_are_url_fors(app, script_root):
    from flask import url_for

    from portal.comments.views import CommentThread
    from portal.moderation import report_url

    with app.app_context():
        consultation = make_consultation()
        comment_id = make_comment(make_user(), consultation).id
    with app.test_request_context("/x", base_url=f"http://localhost{script_root}/"):
        comment = db.session.get(Comment, comment_id)
        ctx = CommentThread(
            target=comment.target(),
            can_comment=True,
            reason=None,
            following=False,
            anchor_id=comment.target_anchor_id,
        )
        for name in ("permalink", "thread", "vote", "edit", "delete"):
            expected = url_for(f"comments.{name}", comment_id=comment.id)
            assert expected.startswith(f"{script_root}/comments/")
            assert ctx.url(name, comment.id) == expected
        assert ctx.url("report", comment.id) == report_url(comment)
        assert ctx.csrf == ctx.csrf  # one token per page
