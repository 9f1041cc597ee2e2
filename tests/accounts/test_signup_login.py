"""Sign-up, confirmation over real SMTP, log-in and log-out, without user enumeration."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from tests.factories import PASSWORD, make_user

SIGNUP = {
    "email": "new.person@example.org",
    "display_name": "New Person",
    "password": "a-long-enough-secret",
    "confirm": "a-long-enough-secret",
    "accept_terms": "y",
}


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_signup_sends_confirmation_and_confirming_allows_login(app, client, mail_sink):
    response = client.form("/signup", SIGNUP)
    assert response.status_code == 302
    messages = mail_sink.to("new.person@example.org")
    assert len(messages) == 1
    assert "Confirm" in messages[0]["Subject"]
    link = mail_sink.links("new.person@example.org")[0]
    assert link.startswith("http://localhost/confirm/")

    # Not yet confirmed: the right password still does not log in.
    refused = client.form("/login", {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert refused.status_code == 403
    assert "confirm your e-mail" in refused.get_data(as_text=True)

    confirmed = client.get(link.replace("http://localhost", ""))
    assert confirmed.status_code == 302
    ok = client.form("/login", {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert ok.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "new.person@example.org" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
        assert user.roles == {"resident"}
        assert user.password_hash.startswith("$argon2id$")


def test_signup_with_taken_address_gives_same_answer_and_warns_owner(app, client, mail_sink):
    with app.app_context():
        make_user("taken@example.org")
    before = _users(app)
    response = client.form("/signup", {**SIGNUP, "email": "taken@example.org"})
    assert response.status_code == 302
    fresh = client.form("/signup", {**SIGNUP, "email": "free@example.org"})
    assert fresh.status_code == 302
    assert _users(app) == before + 1
    [warning] = mail_sink.to("taken@example.org")
    assert "tried to sign up" in warning["Subject"]


def test_same_flash_for_taken_and_free_address(client, app):
    with app.app_context():
        make_user("taken@example.org")
    first = client.form("/signup", {**SIGNUP, "email": "taken@example.org"}, follow_redirects=True)
    second = client.form("/signup", {**SIGNUP, "email": "other@example.org"}, follow_redirects=True)
    assert "If the address can be used" in first.get_data(as_text=True)
    assert "If the address can be used" in second.get_data(as_text=True)


def test_signup_bad_input_gets_field_messages_and_writes_nothing(app, client, mail_sink):
    bad = {
        "email": "not-an-address",
        "display_name": "",
        "password": "short",
        "confirm": "different",
    }
    response = client.form("/signup", bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a valid e-mail address." in page
    assert "This field is required." in page
    assert "Use between 10 and 128 characters." in page
    assert "Please accept the terms" in page
    assert 'aria-invalid="true"' in page
    assert _users(app) == 0
    assert mail_sink.messages == []


def test_honeypot_stores_nothing(app, client, mail_sink):
    response = client.form("/signup", {**SIGNUP, "website": "http://spam.example"})
    assert response.status_code == 302
    assert _users(app) == 0
    assert mail_sink.messages == []


def test_login_error_is_the_same_for_unknown_address_and_wrong_password(app, client):
    with app.app_context():
        make_user("known@example.org")
    unknown = client.form("/login", {"email": "nobody@example.org", "password": "whatever-pass"})
    wrong = client.form("/login", {"email": "known@example.org", "password": "wrong-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert "is not right" in unknown.get_data(as_text=True)
    assert "is not right" in wrong.get_data(as_text=True)


def test_login_logout_and_remember_me(app, client):
    with app.app_context():
        make_user("me@example.org")
    response = client.form(
        "/login", {"email": "ME@example.org", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert any(c.key == "remember_token" for c in client._cookies.values())
    assert client.get("/account").status_code == 200
    assert client.form("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_login_only_redirects_within_the_site(app, client):
    with app.app_context():
        make_user("me@example.org")
    response = client.form(
        "/login?next=https://evil.example/steal", {"email": "me@example.org", "password": PASSWORD}
    )
    assert response.location == "/"
    response = client.form("/logout")
    response = client.form(
        "/login?next=/account", {"email": "me@example.org", "password": PASSWORD}
    )
    assert response.location == "/account"


def test_blocked_person_cannot_log_in_and_loses_session(app, client):
    from portal.core.models import utcnow

    with app.app_context():
        user = make_user("bad@example.org")
        user_id = user.id
    client.login("bad@example.org")
    with app.app_context():
        db.session.get(User, user_id).blocked_at = utcnow()
        db.session.commit()
    assert client.get("/account").status_code == 302  # inactive: the session no longer counts
    response = client.form("/login", {"email": "bad@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "blocked" in response.get_data(as_text=True)


def test_resend_confirmation_is_silent_about_unknown_addresses(app, client, mail_sink):
    client.form("/signup", SIGNUP)
    mail_sink.clear()
    assert client.form("/confirm", {"email": SIGNUP["email"]}).status_code == 302
    assert client.form("/confirm", {"email": "ghost@example.org"}).status_code == 302
    assert len(mail_sink.to(SIGNUP["email"])) == 1
    assert mail_sink.to("ghost@example.org") == []


def test_confirmation_link_is_signed(client):
    response = client.get("/confirm/forged-token")
    assert response.status_code == 400
    assert "not valid or has expired" in response.get_data(as_text=True)
