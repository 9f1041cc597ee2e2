"""Participatory budgeting and ideas portal.

Importing this package is cheap on purpose: ``portal pb tally`` must start fast, so the web
application is only built (and Flask only imported) when :func:`create_app` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``overrides`` replace configuration read from the environment."""
    from portal.app import build_app

    return build_app(overrides)
