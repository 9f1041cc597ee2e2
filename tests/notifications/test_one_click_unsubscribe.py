"""RFC 8058 one-click unsubscribe: e-mails carry ``List-Unsubscribe`` and
``List-Unsubscribe-Post``; a mail client's POST of ``List-Unsubscribe=One-Click`` to that URL
works without a session or CSRF token (the signed URL is the proof); the confirmation page
and its CSRF-protected button keep working; a bad token changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.notifications import services
from tests.comments.factories import make_consultation
from tests.factories import make_user

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def mailed(app, mail_sink):
    """A person who received one notification e-mail: (user id, its unsubscribe path)."""
    with app.app_context():
        consultation = make_consultation()
        person = make_user("oneclick@example.org")
        services.follow(person, consultation)
        db.session.commit()
        services.notify(consultation, "status_changed", None, "Now under review")
        db.session.commit()
        person_id = person.id
    message = mail_sink.to("oneclick@example.org")[0]
    url = message["List-Unsubscribe"].strip("<>")
    return person_id, url.replace("http://localhost", "")


def _frequency(app, person_id: int) -> str:
    with app.app_context():
        return services.get_frequency(db.session.get(User, person_id))


def test_emails_carry_both_one_click_headers(app, mailed, mail_sink):
    message = mail_sink.to("oneclick@example.org")[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"]
    assert url.startswith("<http://localhost/notifications/unsubscribe/") and url.endswith(">")
    # The header's URL is the same link as in the text.
    assert url.strip("<>") in mail_sink.body(message)


def test_one_click_post_unsubscribes_without_session_or_csrf(app, mailed):
    person_id, path = mailed
    mail_client = app.test_client()  # no cookies, no CSRF token: what a mail client sends
    answer = mail_client.post(path, data=ONE_CLICK)
    assert answer.status_code in (200, 204)
    assert answer.location is None  # not sent to a log-in page (or anywhere)
    assert _frequency(app, person_id) == "never"
    # Mail clients may send it twice, or multipart: still fine.
    again = app.test_client().post(path, data=ONE_CLICK, content_type="multipart/form-data")
    assert again.status_code in (200, 204) and again.location is None
    assert _frequency(app, person_id) == "never"


def test_one_click_stops_the_emails(app, mailed, mail_sink):
    person_id, path = mailed
    assert app.test_client().post(path, data=ONE_CLICK).status_code == 200
    mail_sink.clear()
    with app.app_context():
        consultation = db.session.scalars(select(Consultation)).one()
        services.notify(consultation, "status_changed", None, "Decided")
        db.session.commit()
        assert services.unread_count(db.session.get(User, person_id)) == 2  # still in-app
    assert mail_sink.to("oneclick@example.org") == []


def test_one_click_with_a_bad_token_is_a_400_and_changes_nothing(app, mailed):
    person_id, path = mailed
    tampered = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    for bad in (tampered, "/notifications/unsubscribe/forged-token"):
        answer = app.test_client().post(bad, data=ONE_CLICK)
        assert answer.status_code == 400
        assert "This unsubscribe link is not valid." in answer.get_data(as_text=True)
    answer = app.test_client().post(
        "/notifications/unsubscribe/forged-token",
        data=ONE_CLICK,
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 400
    assert _frequency(app, person_id) == "immediately"


def test_confirmation_page_and_its_form_still_need_csrf(app, mailed):
    person_id, path = mailed
    browser = app.test_client()
    page = browser.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop notification e-mails" in html
    assert 'name="csrf_token"' in html
    # The exemption is for the one-click body only: the button without its token is refused.
    refused = browser.post(path, data={})
    assert refused.status_code == 400
    assert "Your form has expired" in refused.get_data(as_text=True)
    refused = browser.post(path, data={"List-Unsubscribe": "Yes", "csrf_token": "forged"})
    assert refused.status_code == 400
    # A GET never changes anything, even with the one-click words in the query string.
    assert browser.get(path + "?List-Unsubscribe=One-Click").status_code == 200
    assert _frequency(app, person_id) == "immediately"
    # The button with the page's token works as before.
    done = browser.form(path)
    assert done.status_code == 200 and "unsubscribed" in done.get_data(as_text=True)
    assert _frequency(app, person_id) == "never"
