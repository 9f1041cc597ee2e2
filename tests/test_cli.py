"""The `portal` command: users, tokens, migrations and demo data."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from portal.accounts.models import User
from portal.cli import register_commands  # noqa: F401 - the module must import cleanly
from portal.extensions import db


def test_users_create_with_password_from_stdin_and_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Cli@Example.org", "--role", "planner", "--password-stdin"],
        input="a-long-cli-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "planner" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "cli@example.org"))
        assert user.roles == {"planner", "resident"} and user.is_confirmed
    again = runner.invoke(args=["users", "create", "cli@example.org"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=["users", "create", "x@example.org", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 10" in short.output
    token = runner.invoke(args=["users", "token", "cli@example.org"])
    assert token.exit_code == 0 and token.output.startswith("pt_")
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.output.strip()}"})
    assert me.json["email"] == "cli@example.org"
    missing = runner.invoke(args=["users", "token", "ghost@example.org"])
    assert missing.exit_code != 0


def _portal(args, env):
    return subprocess.run(
        [sys.executable, "-c", "from portal.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_console_script_migrates_and_loads_demo_twice(tmp_path):
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    upgraded = _portal(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    first = _portal(["demo"], env)
    assert first.returncode == 0, first.stderr
    assert "admin@example.org" in first.stdout
    second = _portal(["demo"], env)
    assert second.returncode == 0, second.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as connection:
        (users,) = connection.execute(
            "SELECT count(*) FROM users WHERE email LIKE '%@example.org'"
        ).fetchone()
    assert users >= 4
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        (admins,) = connection.execute(
            "SELECT count(*) FROM users WHERE email = 'admin@example.org'"
        ).fetchone()
    assert admins == 1
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_language_switcher_is_remembered(app, client):
    response = client.form("/language", {"locale": "nl", "next": "/login"})
    assert response.status_code == 303 and response.location == "/login"
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)
    assert (
        client.form("/language", {"locale": "xx", "next": "https://evil.example"}).location == "/"
    )


def test_browser_preference_chooses_the_language(client):
    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es">' in page
