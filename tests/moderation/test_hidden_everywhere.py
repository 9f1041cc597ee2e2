"""Hidden means hidden everywhere: every public surface loses an item once it is hidden by a
moderator or hidden automatically after reports (pending review). Each surface is checked
before (the item is there) and after (it is gone)."""

from __future__ import annotations

import pytest

from portal.comments import services as comment_services
from portal.extensions import db
from portal.moderation import services
from portal.notifications import services as notifications
from tests.factories import make_user
from tests.moderation.factories import make_consultation, make_idea, people

IDEA_WORD = "Zebracrossing"
COMMENT_WORD = "Flamingo"


@pytest.fixture
def world(app):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("author@example.org")
        hidden_idea = make_idea(
            consultation, author, title=f"{IDEA_WORD} at the school", body="Safer mornings."
        )
        kept = make_idea(consultation, make_user(), title="Trees along the avenue", body="Shade.")
        follower = make_user("follower@example.org")
        notifications.follow(follower, kept)
        notifications.set_frequency(follower, "daily")
        db.session.commit()
        comment = comment_services.post_comment(
            author, kept, f"{COMMENT_WORD} pink paint everywhere"
        )
        db.session.commit()
        make_user("mod@example.org", roles=("moderator",))
        make_user("planner@example.org", roles=("planner",))
        return {
            "slug": consultation.slug,
            "idea": hidden_idea.id,
            "kept": kept.id,
            "comment": comment.id,
        }


def _hide(app, world, how: str) -> None:
    with app.app_context():
        idea = services.load_target("idea", world["idea"])
        comment = services.load_target("comment", world["comment"])
        if how == "moderator":
            moderator = services.load_target("user", make_user(roles=("moderator",)).id)
            services.hide(moderator, idea, "spam")
            services.hide(moderator, comment, "offensive")
        else:
            for person in people(3):
                services.report(person, idea, "spam")
                services.report(person, comment, "offensive")
                db.session.commit()
        db.session.commit()
        assert idea.moderation_state == ("hidden" if how == "moderator" else "pending")
        assert comment.moderation_state == ("hidden" if how == "moderator" else "pending")


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _public_surfaces(app, world) -> dict[str, str]:
    """Every public surface, as anonymous text (status 200 required)."""
    client = app.test_client()
    slug = world["slug"]
    return {
        "idea list": _text(client, f"/consultations/{slug}/ideas"),
        "search": _text(client, f"/consultations/{slug}/ideas?q={IDEA_WORD.lower()}"),
        "feed": _text(client, f"/consultations/{slug}/feed.atom"),
        "api list": _text(client, f"/api/v1/consultations/{slug}/ideas"),
        "api search": _text(client, f"/api/v1/consultations/{slug}/ideas?q={IDEA_WORD}"),
        "api similar": _text(
            client, f"/api/v1/consultations/{slug}/ideas/similar?title={IDEA_WORD}+school"
        ),
        "comment thread": _text(client, f"/ideas/{world['kept']}"),
        "api comments": _text(client, f"/api/v1/ideas/{world['kept']}/comments"),
        "open data": _text(client, f"/consultations/{slug}/open-data.json"),
    }


@pytest.mark.parametrize("how", ["moderator", "reports"])
def test_hidden_content_leaves_every_public_surface(app, world, how):
    before = _public_surfaces(app, world)
    for name in ("idea list", "search", "feed", "api list", "api search", "api similar"):
        assert IDEA_WORD in before[name], name
    for name in ("comment thread", "api comments"):
        assert COMMENT_WORD in before[name], name
    assert IDEA_WORD in before["open data"] and COMMENT_WORD in before["open data"]
    client = app.test_client()
    assert client.get(f"/ideas/{world['idea']}").status_code == 200
    assert client.get(f"/api/v1/ideas/{world['idea']}").status_code == 200
    assert client.get(f"/comments/{world['comment']}").status_code in (200, 302)
    assert client.get(f"/api/v1/comments/{world['comment']}").status_code == 200
    planner = app.test_client()
    planner.login("planner@example.org")
    vision = _text(planner, f"/exports/{world['slug']}/preview")
    assert IDEA_WORD in vision
    total_before = client.get(f"/api/v1/consultations/{world['slug']}/ideas").get_json()["total"]

    _hide(app, world, how)

    after = _public_surfaces(app, world)
    for name, text in after.items():
        assert IDEA_WORD not in text, f"hidden idea still on {name}"
        assert COMMENT_WORD not in text, f"hidden comment still on {name}"
    assert client.get(f"/ideas/{world['idea']}").status_code == 404
    assert client.get(f"/api/v1/ideas/{world['idea']}").status_code == 404
    assert client.get(f"/comments/{world['comment']}").status_code == 404
    assert client.get(f"/api/v1/comments/{world['comment']}").status_code == 404
    # Counts.
    total_after = client.get(f"/api/v1/consultations/{world['slug']}/ideas").get_json()["total"]
    assert total_after == total_before - 1
    with app.app_context():
        kept = services.load_target("idea", world["kept"])
        assert kept.anchor.comment_count == 0
    # The planner's vision document preview.
    text = _text(planner, f"/exports/{world['slug']}/preview")
    assert IDEA_WORD not in text and COMMENT_WORD not in text


def test_notification_emails_and_inbox_never_carry_hidden_text(app, world, mail_sink):
    _hide(app, world, "moderator")
    mail_sink.clear()
    with app.app_context():
        notifications.send_digests()
    for message in mail_sink.messages:
        assert COMMENT_WORD not in mail_sink.body(message)
    follower = app.test_client()
    follower.login("follower@example.org")
    assert COMMENT_WORD not in _text(follower, "/notifications/")
    assert COMMENT_WORD not in _text(follower, "/api/v1/notifications")


def test_the_author_still_sees_the_statement_not_the_public(app, world):
    _hide(app, world, "moderator")
    author = app.test_client()
    author.login("author@example.org")
    decisions = _text(author, "/moderation/decisions")
    assert IDEA_WORD in decisions
    public = app.test_client().get(f"/consultations/{world['slug']}/moderation")
    assert IDEA_WORD not in public.get_data(as_text=True)
