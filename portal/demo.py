"""`portal demo`: each capability's ``demo.load()`` in dependency order, each committed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from portal.extensions import db

# Content first, then what reacts to content (comments on ideas, reports on comments).
DEMO_ORDER = (
    "portal.accounts",
    "portal.consultations",
    "portal.ideas",
    "portal.accountability",
    "portal.budgets",
    "portal.simulator",
    "portal.comments",
    "portal.notifications",
    "portal.moderation",
    "portal.exports",
)


def load_demo() -> Iterator[str]:
    from portal.app import CAPABILITIES

    ordered = [name for name in DEMO_ORDER if name in CAPABILITIES]
    ordered += [name for name in CAPABILITIES if name not in ordered]
    for name in ordered:
        try:
            module = importlib.import_module(f"{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.demo":
                raise
            continue
        lines = module.load()
        db.session.commit()
        yield from lines
