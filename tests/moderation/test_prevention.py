"""Prevention: the admins' blocklist, links from new accounts, pre-moderation of first posts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas.models import Idea
from portal.moderation import services
from portal.moderation.models import BlocklistEntry, ModerationAction, ModerationCase
from tests.factories import make_user
from tests.moderation.factories import make_consultation, make_idea


def _admin(app):
    with app.app_context():
        make_user("admin@example.org", roles=("admin",))
    client = app.test_client()
    client.login("admin@example.org")
    return client


def test_blocklist_screen_adds_validates_and_removes(app):
    client = _admin(app)
    ok = client.form("/moderation/blocklist", {"entry-pattern": "Casino"})
    assert ok.status_code == 303
    dup = client.form("/moderation/blocklist", {"entry-pattern": "casino"})
    assert dup.status_code == 409
    bad = client.form(
        "/moderation/blocklist", {"entry-pattern": "(unclosed", "entry-is_regex": "y"}
    )
    assert bad.status_code == 422 and "not valid" in bad.get_data(as_text=True)
    everything = client.form(
        "/moderation/blocklist", {"entry-pattern": ".*", "entry-is_regex": "y"}
    )
    assert everything.status_code == 422
    regex = client.form(
        "/moderation/blocklist", {"entry-pattern": r"v[i1]agra", "entry-is_regex": "y"}
    )
    assert regex.status_code == 303
    page = client.get("/moderation/blocklist").get_data(as_text=True)
    assert "casino" in page and "v[i1]agra" in page
    with app.app_context():
        entry_id = db.session.scalar(
            select(BlocklistEntry.id).where(BlocklistEntry.pattern == "casino")
        )
        assert services.blocklist_matches("Visit our CASINO tonight") == ["casino"]
        assert services.blocklist_matches("casinos are words too") == []
        assert services.blocklist_matches("cheap v1agra") == [r"v[i1]agra"]
    assert client.form(f"/moderation/blocklist/{entry_id}/delete").status_code == 303
    with app.app_context():
        assert services.blocklist_matches("casino") == []
        actions = db.session.scalars(select(ModerationAction.action)).all()
        assert actions.count("blocklist_add") == 2 and actions.count("blocklist_remove") == 1


def test_screen_new_post(app, ctx):
    consultation = make_consultation()
    veteran = make_user("veteran@example.org")
    veteran.created_at = utcnow() - timedelta(days=30)
    newcomer = make_user("newcomer@example.org")
    moderator = make_user("mod@example.org", roles=("moderator",))
    db.session.add(BlocklistEntry(pattern="casino"))
    db.session.commit()
    links = "see http://a.example http://b.example http://c.example"
    assert services.screen_new_post(veteran, consultation, "A normal idea") == "published"
    assert services.screen_new_post(veteran, consultation, "Play casino now") == "pending"
    assert services.screen_new_post(moderator, consultation, "Play casino now") == "published"
    assert services.screen_new_post(newcomer, consultation, links) == "pending"
    assert services.screen_new_post(veteran, consultation, links) == "published"
    assert (
        services.screen_new_post(newcomer, consultation, "two http://a.example http://b.example")
        == "published"
    )
    consultation.premoderate_new_accounts = True
    db.session.commit()
    assert services.screen_new_post(newcomer, consultation, "My first idea") == "pending"
    make_idea(consultation, newcomer)  # published: no longer a first post
    assert services.screen_new_post(newcomer, consultation, "My second idea") == "published"


def test_pending_content_goes_to_the_queue_and_can_be_approved(app, client):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("new@example.org")
        db.session.add(BlocklistEntry(pattern="casino"))
        db.session.commit()
        text = "Let us build a casino in the park"
        # What the ideas service does when it creates an idea, in one transaction:
        idea = Idea(
            consultation=consultation,
            author_id=author.id,
            title="A new place for games",
            body=text,
            moderation_state=services.screen_new_post(author, consultation, text),
        )
        db.session.add(idea)
        db.session.commit()
        case = services.find_case(idea)
        idea_id = idea.id
        assert idea.moderation_state == "pending"
        assert case is not None and case.held
        assert "blocklist: casino" in case.held_reason
        case_id = case.id
        make_user("mod@example.org", roles=("moderator",))
    assert client.get(f"/ideas/{idea_id}").status_code == 404
    client.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "blocklist: casino" in queue
    response = client.form(f"/moderation/cases/{case_id}/restore", {})
    assert response.status_code == 303
    with app.app_context():
        assert services.load_target("idea", idea_id).moderation_state == "published"
        assert db.session.get(ModerationCase, case_id).status == "closed"
    assert app.test_client().get(f"/ideas/{idea_id}").status_code == 200


def test_content_created_pending_is_queued_by_itself(app, ctx):
    consultation = make_consultation()
    author = make_user()
    idea = Idea(
        consultation=consultation,
        author_id=author.id,
        title="Held idea title",
        body="Waiting for a moderator.",
        moderation_state="pending",
    )
    db.session.add(idea)
    db.session.commit()
    case = services.find_case(idea)
    assert case is not None and case.held and case.status == "open"
    assert case.kind == "idea" and case.consultation_id == consultation.id
    held = db.session.scalars(
        select(ModerationAction).where(ModerationAction.action == "held")
    ).all()
    assert len(held) == 1 and held[0].author_id == author.id


def test_demo_blocklist_loads_twice_without_duplicates(app, ctx):
    from portal.moderation import demo

    demo.load()
    db.session.commit()
    demo.load()
    db.session.commit()
    patterns = db.session.scalars(select(BlocklistEntry.pattern)).all()
    assert sorted(patterns) == sorted(p for p, _ in demo.DEMO_BLOCKLIST)
    assert services.blocklist_matches("Join our CRYPTO GIVEAWAY") == ["crypto giveaway"]


def test_a_blocklisted_comment_waits_in_the_queue(app, ctx):
    from portal.comments import services as comments

    consultation = make_consultation()
    idea = make_idea(consultation, make_user())
    db.session.add(BlocklistEntry(pattern="casino"))
    db.session.commit()
    author = make_user()
    comment = comments.post_comment(author, idea, "Come to my casino tonight")
    db.session.commit()
    assert comment.moderation_state == "pending"
    case = services.find_case(comment)
    assert case.held and "blocklist: casino" in case.held_reason
    views, _total = services.queue()
    assert [v.target.id for v in views] == [comment.id]
    assert idea.anchor.comment_count == 0
    services.restore(make_user(roles=("moderator",)), comment)
    db.session.commit()
    assert comment.moderation_state == "published"
    db.session.refresh(idea.anchor)
    assert idea.anchor.comment_count == 1
