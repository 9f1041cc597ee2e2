"""Threaded comments attachable to any anchored content."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
