"""`portal users ...`: create accounts and API tokens from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core.errors import PortalError
from portal.core.permissions import ROLES
from portal.extensions import db


@click.group(cls=AppGroup)
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLES),
    default=("resident",),
    help="Role to grant; repeat for several.",
)
@click.option("--name", "display_name", help="Public name (default: the part before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(
    email: str, roles: tuple[str, ...], display_name: str | None, password_stdin: bool
) -> None:
    """Create a confirmed account. Without a password, the person uses 'forgot password'."""
    from portal.accounts.services import create_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = create_user(email, password, list(roles), display_name)
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        detail = "; ".join(error.fields.values()) or error.message
        raise click.ClickException(detail) from error
    click.echo(f"Created user {user.id} <{user.email}> with roles {', '.join(sorted(user.roles))}")


@users.command("token")
@click.argument("email")
@click.option("--name", default="command line", help="A name to recognise the token by.")
def token(email: str, name: str) -> None:
    """Print a new personal API token for EMAIL (shown once; stored hashed)."""
    from portal.accounts.models import User
    from portal.accounts.services import create_api_token, normalise_email

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account with the address {email}")
    _row, plain = create_api_token(user, name)
    db.session.commit()
    click.echo(plain)
