from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification
from tests.comments.factories import make_consultation
from tests.factories import make_user


def test_notify_after_commit_only(app, ctx, mail_sink):
    consultation = make_consultation()
    follower = make_user("fol@example.org")
    planner = make_user("planner@example.org", roles=("planner",))
    services.follow(follower, consultation)
    services.follow(follower, consultation)  # idempotent
    services.follow(planner, consultation)
    db.session.commit()
    assert services.is_following(follower, consultation)
    assert [u.id for u in services.followers(consultation)] == [follower.id, planner.id]

    services.notify(consultation, "official_response", planner, "We will build it")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert mail_sink.messages == []

    rows = services.notify(consultation, "official_response", planner, "We will build it")
    assert [r.user_id for r in rows] == [follower.id]
    assert mail_sink.messages == []  # not before the commit
    db.session.commit()
    assert len(mail_sink.to("fol@example.org")) == 1
    message = mail_sink.to("fol@example.org")[0]
    assert "We will build it" in mail_sink.body(message)
    assert message["List-Unsubscribe"].startswith("<http://localhost/notifications/unsubscribe/")
