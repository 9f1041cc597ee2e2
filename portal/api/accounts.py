"""API: the signed-in person."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from portal.api.base import bp, document
from portal.core.permissions import LOGIN, access


def user_json(user, private: bool = False) -> dict:
    data = {"id": user.id, "display_name": user.public_name}
    if private:
        data.update(email=user.email, roles=sorted(user.roles), locale=user.locale)
    return data


@bp.get("/me")
@access(LOGIN)
def me():
    return jsonify(user_json(current_user, private=True))


document(
    "/me",
    "get",
    "The signed-in person",
    auth=True,
    tag="accounts",
    responses={"200": "The person's id, name, e-mail and roles", "401": "Not signed in"},
)
