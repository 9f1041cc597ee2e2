"""JSON log lines (LOG_FORMAT=json): the app's own lines and gunicorn's access log."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from portal.app import _RequestIdFilter
from portal.ops.logs import JsonFormatter, json_logs_wanted
from tests.ops.helpers import Browser, Gunicorn, base_env


def test_json_formatter_carries_the_request_id(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("portal.ops.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with app.test_request_context("/ideas/7", headers={"X-Request-ID": "abc-123"}):
            app.preprocess_request()
            logger.warning("something %s", "happened", extra={"idea_id": 7})
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("failed")
        logger.info("outside a request")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    first, second, third = lines
    assert first["message"] == "something happened"
    assert first["level"] == "WARNING"
    assert first["request_id"] == "abc-123"
    assert first["method"] == "GET" and first["path"] == "/ideas/7"
    assert first["idea_id"] == 7
    assert first["ts"].endswith("Z")
    assert "ValueError: boom" in second["exc"]
    assert "request_id" not in third and third["message"] == "outside a request"


def test_log_format_setting():
    assert json_logs_wanted({"LOG_FORMAT": "json"})
    assert not json_logs_wanted({"LOG_FORMAT": "text"})


def test_gunicorn_writes_json_access_lines_with_the_request_id(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("runs once, on the SQLite pass (the two-server test covers PostgreSQL)")
    server = Gunicorn(
        base_env(DATABASE_URL=database_url, LOG_FORMAT="json", LOG_LEVEL="INFO", REDIS_URL="")
    )
    try:
        server.wait_ready()
        answer = Browser().get(server.url + "/healthz", headers={"X-Request-ID": "req-42"})
        assert answer.status == 200
        deadline = time.monotonic() + 5
        access = []
        while time.monotonic() < deadline and not access:
            entries = []
            for line in server.output().splitlines():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
            access = [e for e in entries if e.get("request_id") == "req-42"]
            time.sleep(0.1)
        assert access, server.output()
        line = access[0]
        assert line["logger"] == "gunicorn.access"
        assert line["status"] == 200 and line["path"] == "/healthz"
        assert line["duration_ms"] >= 0
        # gunicorn's own error-log lines are JSON too.
        assert any(e.get("logger", "").startswith("gunicorn.error") for e in entries)
    finally:
        server.stop()
