"""`portal demo`: each capability's ``demo.load()`` in dependency order, each committed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from portal.extensions import db


def load_demo() -> Iterator[str]:
    from portal.app import CAPABILITIES

    for name in CAPABILITIES:
        try:
            module = importlib.import_module(f"{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.demo":
                raise
            continue
        lines = module.load()
        db.session.commit()
        yield from lines
