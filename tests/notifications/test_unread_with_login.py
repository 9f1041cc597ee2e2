"""The unread count in the menu is selected with the signed-in person (one statement, not
two), stays right for every way of being signed in, and follows reads and new notices."""

from __future__ import annotations

from flask_login import login_user

from portal.accounts import login_extra
from portal.accounts.models import User
from portal.core.models import utcnow
from portal.extensions import db
from portal.notifications import unread_notifications
from portal.notifications.models import Notification
from tests.comments.factories import make_consultation
from tests.factories import make_user


def _notify(user_id: int, count: int, read: bool = False) -> None:
    anchor_id = make_consultation().anchor_id
    for n in range(count):
        db.session.add(
            Notification(
                user_id=user_id,
                anchor_id=anchor_id,
                event="status_changed",
                message=f"Notice {n}",
                read_at=utcnow() if read else None,
            )
        )
    db.session.commit()


def test_the_menu_count_comes_with_the_person(client, app, queries):
    with app.app_context():
        person = make_user("reader@example.org")
        _notify(person.id, 2)
        _notify(person.id, 1, read=True)
    client.login("reader@example.org")
    with app.app_context(), queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "2 unread" in page
    counting = [s for s in statements if "notifications" in s.lower()]
    assert counting, "the count must come from the database"
    assert all("users" in s.lower() for s in counting), "no statement of its own"

    # Reading one is seen on the next page; a new notice too.
    with app.app_context():
        first = db.session.scalars(db.select(Notification.id).order_by(Notification.id)).first()
    assert client.form(f"/notifications/{first}/read").status_code == 303
    assert "1 unread" in client.get("/").get_data(as_text=True)
    with app.app_context():
        _notify(db.session.scalar(db.select(User.id).where(User.email == "reader@example.org")), 3)
    assert "4 unread" in client.get("/").get_data(as_text=True)


def test_no_badge_without_unread_notices(client, app):
    with app.app_context():
        make_user("calm@example.org")
    client.login("calm@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "Notifications" in page and "unread" not in page


def test_a_person_signed_in_otherwise_gets_a_counted_value(app):
    """Signed in during the request (or by an API token): the loader's values belong to
    nobody or to someone else, so the count is read on its own."""
    with app.app_context():
        someone, other = make_user(), make_user()
        _notify(someone.id, 2)
        someone_id, other_id = someone.id, other.id
    with app.test_request_context("/"):
        from flask import g

        g.portal_login_extras = (other_id, {"unread_notifications": 7})
        login_user(db.session.get(User, someone_id))
        assert login_extra("unread_notifications") is None
        assert unread_notifications() == 2
    with app.test_request_context("/"):
        from flask import g

        g.portal_login_extras = (someone_id, {"unread_notifications": 5})
        login_user(db.session.get(User, someone_id))
        assert login_extra("unread_notifications") == 5
        assert unread_notifications() == 5
