"""Consultations: dated phases, themes, districts and verification of residents."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.consultations import models  # noqa: F401 - registers the tables
