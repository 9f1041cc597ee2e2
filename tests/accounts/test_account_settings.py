"""Password reset and change, e-mail change, profile, API tokens, deletion, roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import ApiToken, User
from portal.extensions import db
from tests.factories import PASSWORD, make_user


def _user(app, email):
    """The person as stored, with roles loaded (the object outlives its session)."""
    with app.app_context():
        return db.session.scalar(
            select(User).where(User.email == email).options(selectinload(User.role_rows))
        )


def test_password_reset_link_works_once(app, client, mail_sink):
    with app.app_context():
        make_user("me@example.org")
    assert client.form("/password/forgot", {"email": "me@example.org"}).status_code == 302
    assert client.form("/password/forgot", {"email": "ghost@example.org"}).status_code == 302
    assert mail_sink.to("ghost@example.org") == []
    [link] = mail_sink.links("me@example.org")
    path = link.replace("http://localhost", "")
    assert client.get(path).status_code == 200
    bad = client.form(path, {"password": "short", "confirm": "short"})
    assert bad.status_code == 422
    done = client.form(path, {"password": "brand-new-secret", "confirm": "brand-new-secret"})
    assert done.status_code == 302
    assert client.get(path).status_code == 400  # the password changed: the link is spent
    client.login("me@example.org", "brand-new-secret")


def test_change_password_needs_current_and_ends_other_sessions(app, client):
    with app.app_context():
        make_user("me@example.org")
    other_device = app.test_client()
    other_device.login("me@example.org")
    client.login("me@example.org")
    wrong = client.form(
        "/account/password",
        {
            "password-current_password": "not-it-at-all",
            "password-password": "another-secret-1",
            "password-confirm": "another-secret-1",
        },
    )
    assert wrong.status_code == 422
    assert "This is not your password." in wrong.get_data(as_text=True)
    ok = client.form(
        "/account/password",
        {
            "password-current_password": PASSWORD,
            "password-password": "another-secret-1",
            "password-confirm": "another-secret-1",
        },
    )
    assert ok.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302


def test_change_email_is_confirmed_by_the_new_address(app, client, mail_sink):
    with app.app_context():
        make_user("old@example.org")
        make_user("taken@example.org")
    client.login("old@example.org")
    taken = client.form(
        "/account/email", {"email-email": "taken@example.org", "email-password": PASSWORD}
    )
    assert taken.status_code == 302  # same answer, nothing sent
    assert mail_sink.to("taken@example.org") == []
    response = client.form(
        "/account/email", {"email-email": "new@example.org", "email-password": PASSWORD}
    )
    assert response.status_code == 302
    assert _user(app, "old@example.org") is not None
    [link] = mail_sink.links("new@example.org")
    assert client.get(link.replace("http://localhost", "")).status_code == 302
    assert _user(app, "new@example.org") is not None
    assert _user(app, "old@example.org") is None


def test_profile_name_and_language(app, client):
    with app.app_context():
        user = make_user("me@example.org")
        user_id = user.id
    client.login("me@example.org")
    bad = client.form("/account", {"profile-display_name": "", "profile-locale": "es"})
    assert bad.status_code == 422
    ok = client.form("/account", {"profile-display_name": "Mx Example", "profile-locale": "nl"})
    assert ok.status_code == 302
    assert "Mx Example" in client.get(f"/users/{user_id}").get_data(as_text=True)
    assert _user(app, "me@example.org").locale == "nl"


def test_api_token_created_shown_once_stored_hashed_and_revocable(app, client):
    with app.app_context():
        make_user("me@example.org")
    client.login("me@example.org")
    page = client.form("/account/tokens", {"token-name": "my script"})
    assert page.status_code == 201
    text = page.get_data(as_text=True)
    start = text.index("pt_")
    plain = text[start : text.index("<", start)]
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash != plain and plain not in token.token_hash
        token_id = token.id
    api = app.test_client()
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).json["email"]
        == "me@example.org"
    )
    assert client.form(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_someone_else_cannot_revoke_my_token(app, client):
    from portal.accounts.services import create_api_token

    with app.app_context():
        mine = make_user("me@example.org")
        make_user("other@example.org")
        token, _plain = create_api_token(mine, "x")
        db.session.commit()
        token_id = token.id
    client.login("other@example.org")
    assert client.form(f"/account/tokens/{token_id}/revoke").status_code == 404


def test_account_deletion_anonymises_and_blocks_login(app, client):
    with app.app_context():
        user = make_user("me@example.org", name="Recognisable Name")
        user_id = user.id
    client.login("me@example.org")
    refused = client.form("/account/delete", {"password": "wrong-password", "confirm": "y"})
    assert refused.status_code == 422
    done = client.form("/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)  # the row stays, so counts stay intact
        assert user.deleted_at is not None
        assert user.display_name != "Recognisable Name"
        assert "me@example.org" not in user.email
        assert user.password_hash is None and user.roles == set()
    assert client.get(f"/users/{user_id}").status_code == 404
    assert (
        client.form("/login", {"email": "me@example.org", "password": PASSWORD}).status_code == 401
    )


def test_admin_grants_and_revokes_roles(app, client):
    with app.app_context():
        make_user("admin@example.org", roles=("admin",))
        target = make_user("p@example.org")
        target_id = target.id
    client.login("admin@example.org")
    listing = client.get("/admin/users?q=p@example").get_data(as_text=True)
    assert "p@example.org" in listing
    assert (
        client.form(
            f"/admin/users/{target_id}/roles", {"role": "planner", "action": "grant"}
        ).status_code
        == 302
    )
    assert _user(app, "p@example.org").roles == {"resident", "planner"}
    assert (
        client.form(
            f"/admin/users/{target_id}/roles", {"role": "planner", "action": "revoke"}
        ).status_code
        == 302
    )
    assert _user(app, "p@example.org").roles == {"resident"}
    bogus = client.form(f"/admin/users/{target_id}/roles", {"role": "emperor", "action": "grant"})
    assert bogus.status_code == 303
    assert _user(app, "p@example.org").roles == {"resident"}


def test_admin_cannot_remove_own_admin_role(app, client):
    with app.app_context():
        admin = make_user("admin@example.org", roles=("admin",))
        admin_id = admin.id
    client.login("admin@example.org")
    response = client.form(f"/admin/users/{admin_id}/roles", {"role": "admin", "action": "revoke"})
    assert response.status_code == 403
    assert "admin" in _user(app, "admin@example.org").roles
