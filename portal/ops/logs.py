"""Structured logs: one JSON object per line when ``LOG_FORMAT=json``.

The application's own log lines (logger ``portal`` and below) and gunicorn's access and error
logs use the same shape, so a log shipper parses one format::

    {"ts": "2026-11-21T22:40:01.123Z", "level": "INFO", "logger": "portal.ideas",
     "message": "...", "request_id": "4f1c...", "method": "GET", "path": "/ideas/1"}

Access lines add ``status``, ``duration_ms``, ``bytes``, ``remote_addr`` and ``user_agent``;
their ``request_id`` is the ``X-Request-ID`` the application answered with.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def json_logs_wanted(config: dict[str, Any] | None = None) -> bool:
    value = (config or {}).get("LOG_FORMAT") or os.environ.get("LOG_FORMAT", "")
    return str(value).strip().lower() == "json"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON (request id, method and path when in a request)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry["ts"] = entry["ts"].replace("+00:00", "")
        request_id = getattr(record, "request_id", None)
        entry.update(_request_fields(request_id))
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _request_fields(request_id: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    try:
        from flask import g, has_request_context, request

        if has_request_context():
            fields["request_id"] = request_id or g.get("request_id", "-")
            fields["method"] = request.method
            fields["path"] = request.path
            return fields
    except ImportError:  # pragma: no cover - gunicorn's master imports this without Flask
        pass
    if request_id and request_id != "-":
        fields["request_id"] = request_id
    return fields


def use_json_logs(logger: logging.Logger) -> None:
    """Give every handler of ``logger`` the JSON formatter (its filters stay)."""
    formatter = JsonFormatter()
    for handler in logger.handlers:
        handler.setFormatter(formatter)


def configure_app_logging(app: Any) -> None:
    if json_logs_wanted(app.config):
        use_json_logs(logging.getLogger("portal"))


# --------------------------------------------------------------------------- gunicorn


def _gunicorn_logger_class() -> type:
    from gunicorn.glogging import Logger

    class JsonGunicornLogger(Logger):
        """gunicorn's logger with JSON access and error lines (``logger_class`` setting)."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())
            # Access lines are JSON already (see access()): printed as they are.
            for handler in self.access_log.handlers:
                handler.setFormatter(logging.Formatter("%(message)s"))

        def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
            if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
                return
            headers = dict((name.lower(), value) for name, value in (resp.headers or ()))
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            duration = request_time.total_seconds() * 1000 if request_time else None
            entry = {
                "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                "level": "INFO",
                "logger": "gunicorn.access",
                "message": f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}",
                "request_id": headers.get("x-request-id", ""),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING", ""),
                "status": int(status) if str(status).isdigit() else status,
                "duration_ms": round(duration, 2) if duration is not None else None,
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
                "pid": os.getpid(),
            }
            try:
                self.access_log.info(json.dumps(entry, ensure_ascii=False))
            except Exception:  # noqa: BLE001 - a log line must never break a request
                self.error(f"Failed to log access line for {entry['path']}")

    return JsonGunicornLogger


def gunicorn_logger_class() -> type | None:
    """The logger class for gunicorn.conf.py: JSON when LOG_FORMAT=json, else gunicorn's own."""
    if json_logs_wanted():
        return _gunicorn_logger_class()
    return None
