"""A resident comments, follows, and hears about answers: in-app, by e-mail, or in a digest;
unsubscribe links work without logging in; e-mails are in the recipient's language."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.comments import services as comments
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification
from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user


def _notifications(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    )


def test_commenter_follows_and_hears_the_planner_answer(client, app, mail_sink):
    with app.app_context():
        consultation = make_consultation()
        cons_id, anchor_id = consultation.id, consultation.anchor_id
        resident = make_user("res@example.org", name="Resident")
        planner = make_user("plan@example.org", roles=("planner",), name="Planner")
        res_id, planner_id = resident.id, planner.id
    client.login("res@example.org")
    r = client.form(f"/comments/on/{anchor_id}", {"body": "Please add trees", "stance": "for"})
    assert r.status_code == 303
    with app.app_context():
        consultation = db.session.get(Consultation, cons_id)
        assert services.is_following(db.session.get(User, res_id), consultation)
        assert _notifications(res_id) == []  # nobody is told about their own comment
        planner = db.session.get(User, planner_id)
        top = db.session.scalars(select(comments.Comment)).one()
        make_comment(planner, consultation, "We will plant 40 trees", parent=top)
        services.notify(consultation, "official_response", planner, "Accepted: 40 trees")
        db.session.commit()
        rows = _notifications(res_id)
        assert [n.event for n in rows] == ["comment_posted", "official_response"]
        assert all(n.emailed_at is not None for n in rows)
    mails = mail_sink.to("res@example.org")
    assert len(mails) == 2
    assert "Planner commented on" in mails[0]["Subject"]
    assert "We will plant 40 trees" in mail_sink.body(mails[0])
    assert "Accepted: 40 trees" in mail_sink.body(mails[1])
    # In-app: the nav shows the unread count; the list shows both.
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Notifications" in page and "2 unread" in page
    assert "Accepted: 40 trees" in page and "We will plant 40 trees" in page


def test_daily_digest_sends_one_mail_per_person(app, ctx, mail_sink):
    consultation = make_consultation()
    daily = make_user("daily@example.org")
    never = make_user("never@example.org")
    planner = make_user(roles=("planner",))
    for person in (daily, never):
        services.follow(person, consultation)
    services.set_frequency(daily, "daily")
    services.set_frequency(never, "never")
    db.session.commit()
    for text in ("first answer", "second answer"):
        services.notify(consultation, "status_changed", planner, text)
        db.session.commit()
    assert mail_sink.messages == []  # nobody wants immediate e-mails
    assert len(_notifications(never.id)) == 2  # but the notifications are there
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 digest" in result.output
    mails = mail_sink.to("daily@example.org")
    assert len(mails) == 1
    body = mail_sink.body(mails[0])
    assert "first answer" in body and "second answer" in body
    assert "digest" in mails[0]["Subject"].lower()
    assert mail_sink.to("never@example.org") == []
    # Nothing is sent twice.
    assert services.send_digests() == 0


def test_unsubscribe_link_works_without_logging_in(client, app, mail_sink):
    with app.app_context():
        consultation = make_consultation()
        person = make_user("unsub@example.org")
        services.follow(person, consultation)
        db.session.commit()
        services.notify(consultation, "status_changed", None, "Now under review")
        db.session.commit()
        person_id, cons_id = person.id, consultation.id
    message = mail_sink.to("unsub@example.org")[0]
    header = message["List-Unsubscribe"]
    link = re.search(r"https?://\S+/notifications/unsubscribe/\S+", mail_sink.body(message)).group(
        0
    )
    assert header == f"<{link}>"
    path = link.replace("http://localhost", "")
    page = client.get(path)
    assert page.status_code == 200 and "Stop notification e-mails" in page.get_data(as_text=True)
    with app.app_context():
        assert services.get_frequency(db.session.get(User, person_id)) == "immediately"
    done = client.form(path)
    assert done.status_code == 200 and "unsubscribed" in done.get_data(as_text=True)
    with app.app_context():
        assert services.get_frequency(db.session.get(User, person_id)) == "never"
        mail_sink.clear()
        services.notify(db.session.get(Consultation, cons_id), "status_changed", None, "x")
        db.session.commit()
    assert mail_sink.messages == []
    assert client.get("/notifications/unsubscribe/forged-token").status_code == 400
    assert client.get(path[:-3] + "abc").status_code == 400


def test_emails_are_written_in_the_recipients_language(app, ctx, mail_sink):
    consultation = make_consultation()
    spanish = make_user("es@example.org")
    spanish.locale = "es"
    services.follow(spanish, consultation)
    db.session.commit()
    services.notify(consultation, "status_changed", None, "Estado nuevo")
    db.session.commit()
    message = mail_sink.to("es@example.org")[0]
    assert '<html lang="es">' in message.get_body(preferencelist=("html",)).get_content()


def test_hidden_comments_are_not_mailed_or_shown(app, ctx, mail_sink):
    consultation = make_consultation()
    follower, author = make_user("f@example.org"), make_user()
    services.set_frequency(follower, "daily")
    services.follow(follower, consultation)
    db.session.commit()
    comment = make_comment(author, consultation, "rude words")
    comment.moderation_state = "hidden"
    db.session.commit()
    with app.test_request_context():
        view = services.views_for(_notifications(follower.id))[0]
    assert view.message == "" and "rude words" not in view.headline
    services.send_digests()
    body = mail_sink.body(mail_sink.to("f@example.org")[0]) if mail_sink.messages else ""
    assert "rude words" not in body


def test_mark_read_and_all_read(client, app):
    with app.app_context():
        consultation = make_consultation()
        person = make_user("me@example.org")
        other = make_user("other@example.org")
        for p in (person, other):
            services.follow(p, consultation)
        db.session.commit()
        for i in range(3):
            services.notify(consultation, "status_changed", None, f"update {i}")
        db.session.commit()
        mine = [n.id for n in _notifications(person.id)]
        theirs = _notifications(other.id)[0].id
        person_id = person.id
    client.login("me@example.org")
    assert client.form(f"/notifications/{theirs}/read").status_code == 404
    assert client.form(f"/notifications/{mine[0]}/read").status_code == 303
    with app.app_context():
        assert services.unread_count(db.session.get(User, person_id)) == 2
    assert "2 unread" in client.get("/notifications/").get_data(as_text=True)
    r = client.form(f"/notifications/{mine[1]}/read", {"open": "1"})
    assert r.status_code == 303 and "/consultations/" in r.headers["Location"]
    assert client.form("/notifications/read-all").status_code == 303
    with app.app_context():
        assert services.unread_count(db.session.get(User, person_id)) == 0
        other = db.session.scalar(select(User).where(User.email == "other@example.org"))
        assert services.unread_count(other) == 3


def test_follow_and_unfollow_pages(client, app):
    with app.app_context():
        consultation = make_consultation()
        anchor_id, person_id = consultation.anchor_id, make_user("me@example.org").id
    client.login("me@example.org")
    assert client.form(f"/notifications/follow/{anchor_id}").status_code == 303
    assert client.form(f"/notifications/follow/{anchor_id}").status_code == 303
    with app.app_context():
        consultation = db.session.scalar(select(Consultation))
        assert services.follower_count(consultation) == 1
    assert client.form(f"/notifications/unfollow/{anchor_id}").status_code == 303
    with app.app_context():
        assert not services.is_following(db.session.get(User, person_id), consultation)
    assert client.form("/notifications/follow/987654").status_code == 404


def test_preferences_page(client, app):
    with app.app_context():
        person_id = make_user("me@example.org").id
    client.login("me@example.org")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="immediately"', page)
    assert (
        client.form("/notifications/preferences", {"email_frequency": "daily"}).status_code == 303
    )
    assert (
        client.form("/notifications/preferences", {"email_frequency": "hourly"}).status_code == 422
    )
    with app.app_context():
        assert services.get_frequency(db.session.get(User, person_id)) == "daily"


def test_notification_list_queries_do_not_grow(client, app, queries):
    with app.app_context():
        person = make_user("me@example.org")
        author = make_user()
        for n in (2, 30):
            consultation = make_consultation()
            services.follow(person, consultation)
            db.session.commit()
            for i in range(n if n == 2 else 28):
                make_comment(author, consultation, f"comment {i}")
    client.login("me@example.org")
    counts = []
    for per_page in (2, 30):
        with app.app_context(), queries() as q:
            assert client.get(f"/notifications/?per_page={per_page}").status_code == 200
        counts.append(len(q))
    assert counts[0] == counts[1], counts


def test_notifications_api(client, app):
    with app.app_context():
        consultation = make_consultation()
        anchor_id = consultation.anchor_id
        make_user("me@example.org")
    client.login("me@example.org")
    assert client.api("PUT", f"/api/v1/anchors/{anchor_id}/follow").get_json()["following"]
    status = client.get(f"/api/v1/anchors/{anchor_id}/follow").get_json()
    assert status == {"anchor_id": anchor_id, "following": True, "followers": 1}
    with app.app_context():
        services.notify(
            db.session.get(Consultation, 1) or db.session.scalar(select(Consultation)),
            "status_changed",
            None,
            "moved on",
        )
        db.session.commit()
    data = client.get("/api/v1/notifications").get_json()
    assert data["unread"] == 1 and data["items"][0]["message"] == "moved on"
    nid = data["items"][0]["id"]
    assert client.api("POST", f"/api/v1/notifications/{nid}/read").get_json()["read_at"]
    assert client.get("/api/v1/notifications?unread=1").get_json()["total"] == 0
    assert client.api("POST", "/api/v1/notifications/read-all").status_code == 200
    r = client.api("PUT", "/api/v1/notifications/preferences", json={"email_frequency": "daily"})
    assert r.get_json() == {"email_frequency": "daily"}
    bad = client.api("PUT", "/api/v1/notifications/preferences", json={"email_frequency": 3})
    assert bad.status_code == 422
    assert client.api("DELETE", f"/api/v1/anchors/{anchor_id}/follow").status_code == 200
    assert client.api("POST", "/api/v1/notifications/999/read").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/notifications").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
