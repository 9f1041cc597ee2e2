"""Production concerns: page cache, structured logs, large data sets for benchmarks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
