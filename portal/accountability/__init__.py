"""Official responses, statuses and public response times."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
