"""Moderation: reports, the moderator queue, hiding with reasons, blocking, appeals, public log.

``visibility.py`` holds the one public-visibility filter that every other capability uses.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
