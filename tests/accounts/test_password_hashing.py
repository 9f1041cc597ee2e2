"""Password hashes: Argon2id with OWASP's recommended parameters, and older hashes re-made at
the next log-in without anyone noticing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.low_level import Type

from portal.accounts.models import User
from portal.extensions import db
from tests.factories import PASSWORD, make_user


def parameters_of(encoded: str) -> dict[str, int]:
    from argon2 import extract_parameters

    found = extract_parameters(encoded)
    assert found.type is Type.ID
    return {
        "time_cost": found.time_cost,
        "memory_cost": found.memory_cost,
        "parallelism": found.parallelism,
    }


def test_new_hashes_use_owasps_argon2id_parameters(app):
    with app.app_context():
        user = make_user("fresh-hash@example.org")
        assert parameters_of(user.password_hash) == {
            "time_cost": 2,
            "memory_cost": 19 * 1024,
            "parallelism": 1,
        }


def user_with_old_hash(app, email: str) -> tuple[int, str]:
    """A person whose hash was made with argon2-cffi's default (RFC 9106 low-memory) profile."""
    old_profile = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
    with app.app_context():
        user = make_user(email)
        user.password_hash = old_profile.hash(PASSWORD)
        db.session.commit()
        return user.id, user.password_hash


def test_an_older_hash_still_logs_in_and_is_remade(app, client):
    user_id, _ = user_with_old_hash(app, "old-hash@example.org")
    answer = client.login("old-hash@example.org", PASSWORD)
    assert answer.status_code in (302, 303)
    assert "Log out" in client.get("/").get_data(as_text=True)
    with app.app_context():
        remade = db.session.get(User, user_id).password_hash
        assert parameters_of(remade)["memory_cost"] == 19 * 1024
        assert PasswordHasher().verify(remade, PASSWORD)


def test_a_wrong_password_against_an_older_hash_changes_nothing(app, client):
    user_id, before = user_with_old_hash(app, "old-wrong@example.org")
    refused = client.form(
        "/login", {"email": "old-wrong@example.org", "password": "not the password at all"}
    )
    assert refused.status_code == 401
    assert "Log out" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).password_hash == before
