"""When a moderator hides someone's idea or comment, the author also gets an in-app
notification: in their own language, linking to the statement of reasons (where they may
appeal), written in the hide's transaction, shown whatever their e-mail preference, and never
e-mailed a second time (the statement of reasons e-mail already tells them)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.moderation import services
from portal.moderation.models import ModerationAction
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from tests.factories import make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea

IDEA_TITLE = "Benches along the riverside"


@pytest.fixture
def world(app):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("author@example.org", name="Author")
        idea = make_idea(consultation, author, title=IDEA_TITLE)
        comment = make_comment(idea, author, body="A comment the moderators will hide.")
        follower = make_user("follower@example.org")
        notifications.follow(follower, idea)
        moderator = make_user("mod@example.org", roles=("moderator",))
        services.report(follower, comment, "spam", "")  # opens a case for the HTML view
        db.session.commit()
        return {
            "idea": idea.id,
            "comment": comment.id,
            "author": author.id,
            "follower": follower.id,
            "moderator": moderator.id,
            "case": services.find_case(comment).id,
        }


def _notices(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.event == "moderation_hidden")
            .order_by(Notification.id)
        )
    )


def _hide(kind: str, target_id: int, moderator_id: int, reason="spam", note="") -> int:
    moderator = db.session.get(User, moderator_id)
    action = services.hide(moderator, services.load_target(kind, target_id), reason, note)
    db.session.commit()
    return action.id


def _as(app, email: str):
    client = app.test_client()
    client.login(email)
    return client


def test_author_gets_an_in_app_notice_linking_to_the_decision(app, world, mail_sink):
    with app.app_context():
        action_id = _hide("idea", world["idea"], world["moderator"], note="Adverts only.")
        [notice] = _notices(world["author"])
        assert notice.anchor_id == services.load_target("idea", world["idea"]).anchor_id
        assert notice.actor_id is None  # moderators are not named to the author
        assert notice.read_at is None
        assert "Spam or advertising" in notice.message
        # Only the author hears about it: not the idea's follower, not the moderator.
        assert _notices(world["follower"]) == [] and _notices(world["moderator"]) == []
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == world["follower"])
            )
            == 0
        )
    author = _as(app, "author@example.org")
    page = author.get("/notifications/").get_data(as_text=True)
    assert "1 unread" in page
    assert f"The moderators have hidden your contribution “{IDEA_TITLE}”" in page
    assert f'href="/moderation/decisions/{action_id}"' in page
    assert "Spam or advertising" in page
    decision = author.get(f"/moderation/decisions/{action_id}")
    assert decision.status_code == 200
    assert "Send the appeal" in decision.get_data(as_text=True)  # the appeal form is there
    # "Open and mark as read" leads to the decision.
    with app.app_context():
        notice_id = _notices(world["author"])[0].id
    opened = author.form(f"/notifications/{notice_id}/read", {"open": "1"})
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/moderation/decisions/{action_id}")
    # The idea itself stays hidden from everyone else.
    assert app.test_client().get(f"/ideas/{world['idea']}").status_code in (403, 404, 410)


def test_notice_is_in_the_authors_language_not_the_moderators(app, world):
    with app.app_context():
        db.session.get(User, world["author"]).locale = "es"
        db.session.commit()
    moderator = _as(app, "mod@example.org")  # works in English
    answer = moderator.form(f"/moderation/cases/{world['case']}/hide", {"hide-reason": "spam"})
    assert answer.status_code in (302, 303)
    with app.app_context():
        [notice] = _notices(world["author"])
        assert notice.message.startswith("Motivo: Spam o publicidad.")
        action = db.session.scalar(
            select(ModerationAction).where(ModerationAction.action == "hide")
        )
    author = _as(app, "author@example.org")
    page = author.get("/notifications/").get_data(as_text=True)
    assert "Los moderadores han ocultado tu aportación" in page
    assert f'href="/moderation/decisions/{action.id}"' in page
    # The API gives the same notice to the author's scripts.
    item = author.get("/api/v1/notifications").get_json()["items"][0]
    assert item["event"] == "moderation_hidden"
    assert item["url"] == f"/moderation/decisions/{action.id}"
    assert item["available"] is True and item["actor"] is None
    assert item["message"].startswith("Motivo:")


def test_notice_and_hide_share_one_transaction(app, world):
    with app.app_context():
        moderator = db.session.get(User, world["moderator"])
        idea = services.load_target("idea", world["idea"])
        services.hide(moderator, idea, "spam")
        assert len(_notices(world["author"])) == 1  # flushed with the hide
        db.session.rollback()
        assert _notices(world["author"]) == []
        assert services.load_target("idea", world["idea"]).moderation_state == "published"


def test_a_failing_notice_undoes_the_hide(app, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("notice failed")

    # The receiver is connected by reference: replace it for this test only.
    services.content_hidden.disconnect(notifications.notify_author_of_hidden)
    services.content_hidden.connect(broken)
    try:
        with app.app_context():
            moderator = db.session.get(User, world["moderator"])
            with pytest.raises(RuntimeError):
                services.hide(moderator, services.load_target("idea", world["idea"]), "spam")
            db.session.rollback()
            assert services.load_target("idea", world["idea"]).moderation_state == "published"
            assert db.session.scalar(select(func.count()).select_from(ModerationAction)) == 0
    finally:
        services.content_hidden.disconnect(broken)
        services.content_hidden.connect(notifications.notify_author_of_hidden)


@pytest.mark.parametrize("frequency", ["immediately", "daily", "never"])
def test_notice_ignores_the_email_preference_and_is_never_mailed_twice(
    app, world, mail_sink, frequency
):
    with app.app_context():
        notifications.set_frequency(db.session.get(User, world["author"]), frequency)
        db.session.commit()
        _hide("comment", world["comment"], world["moderator"], reason="offensive")
        [notice] = _notices(world["author"])  # a service message: there whatever was chosen
        assert notice.emailed_at is not None
        assert notifications.send_digests() == 0
    # The one e-mail the author gets is the statement of reasons, whatever the preference.
    mails = mail_sink.to("author@example.org")
    assert [m["Subject"] for m in mails] == ["Your contribution was hidden by the moderators"]


def test_each_hide_links_to_its_own_decision(app, world):
    with app.app_context():
        first = _hide("idea", world["idea"], world["moderator"])
        moderator = db.session.get(User, world["moderator"])
        services.restore(moderator, services.load_target("idea", world["idea"]))
        db.session.commit()
        second = _hide("idea", world["idea"], world["moderator"], reason="off_topic")
        comment = _hide("comment", world["comment"], world["moderator"])
        rows = _notices(world["author"])
        assert len(rows) == 3
        with app.test_request_context():
            views = notifications.views_for(rows)
        assert [v.url for v in views] == [
            f"/moderation/decisions/{first}",
            f"/moderation/decisions/{second}",
            f"/moderation/decisions/{comment}",
        ]
        assert all(v.visible and v.message for v in views)
        assert views[0].title == IDEA_TITLE
        assert "Does not belong here" in views[1].message


def test_bulk_hide_notifies_each_author(app, world):
    with app.app_context():
        other_author = make_user("other@example.org")
        idea = services.load_target("idea", world["idea"])
        other = make_comment(idea, other_author, body="Another comment to hide.")
        follower = db.session.get(User, world["follower"])
        services.report(follower, other, "spam", "")
        db.session.commit()
        cases = [world["case"], services.find_case(other).id]
        result = services.bulk(db.session.get(User, world["moderator"]), cases, "hide", "spam")
        db.session.commit()
        assert len(result.done) == 2
        assert len(_notices(world["author"])) == 1
        assert len(_notices(other_author.id)) == 1


def test_authors_without_an_account_get_nothing(app, world):
    with app.app_context():
        author = db.session.get(User, world["author"])
        author.deleted_at = author.created_at
        db.session.commit()
        _hide("idea", world["idea"], world["moderator"])
        assert _notices(world["author"]) == []


def test_notice_list_queries_do_not_grow_with_notices(app, world, queries):
    with app.app_context():
        idea = services.load_target("idea", world["idea"])
        author = db.session.get(User, world["author"])
        comments = [make_comment(idea, author, body=f"Comment {i} to hide.") for i in range(6)]
        ids = [c.id for c in comments]
    author_client = _as(app, "author@example.org")
    counts = []
    for batch in (ids[:1], ids[1:]):
        with app.app_context():
            for comment_id in batch:
                _hide("comment", comment_id, world["moderator"])
        with app.app_context(), queries() as q:
            assert author_client.get("/notifications/?per_page=50").status_code == 200
        counts.append(len(q))
    assert counts[0] == counts[1], counts
