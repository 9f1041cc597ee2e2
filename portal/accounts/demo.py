"""Demo accounts, one per role, all with the password ``demo-password``."""

from __future__ import annotations

from portal.accounts.services import create_user, find_by_email

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published on purpose, demo data only
DEMO_PEOPLE = (
    ("admin@example.org", "Ada Admin", ["admin"]),
    ("planner@example.org", "Pat Planner", ["planner"]),
    ("moderator@example.org", "Mo Moderator", ["moderator"]),
    ("resident@example.org", "Rosa Resident", []),
)


def load() -> list[str]:
    created = []
    for email, name, roles in DEMO_PEOPLE:
        if find_by_email(email) is None:
            create_user(email, DEMO_PASSWORD, roles, name)
            created.append(email)
    lines = [f"Demo account {email} / {DEMO_PASSWORD}" for email, _n, _r in DEMO_PEOPLE]
    if not created:
        lines.append("Demo accounts already present; left as they are.")
    return lines
