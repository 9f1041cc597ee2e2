"""Load shedding: a request that waited too long for a thread gets 503 + Retry-After at once,
without running its view; a fresh one is served; /healthz and static files never shed."""

from __future__ import annotations

import io
import logging
import runpy
import socket
import threading
import time

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.app import _RequestIdFilter
from portal.extensions import db
from portal.ops.shedding import QUEUE_WAIT_KEY, queue_ms, request_start, shed_count
from tests.ops.helpers import ROOT, Browser, Gunicorn, base_env

SIGNUP = {
    "email": "queued.person@example.org",
    "display_name": "Queued Person",
    "password": "a-long-enough-secret",
    "confirm": "a-long-enough-secret",
    "accept_terms": "y",
}


def started(seconds_ago: float) -> str:
    """An X-Request-Start header as nginx's ``t=${msec}`` writes it."""
    return f"t={time.time() - seconds_ago:.3f}"


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def shed_log():
    """The shedding log lines, formatted with the request id as the app's handler does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    logger = logging.getLogger("portal.ops.shedding")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


# --------------------------------------------------------------------------- the signal


def test_request_start_formats():
    assert request_start("t=1700000000.123") == pytest.approx(1700000000.123)
    assert request_start("t=1700000000123456") == pytest.approx(1700000000.123456)  # µs
    assert request_start("1700000000123") == pytest.approx(1700000000.123)  # ms
    assert request_start("1700000000123456789") == pytest.approx(1700000000.123456789)  # ns
    assert request_start(" 1700000000 ") == pytest.approx(1700000000)
    for bad in ("", "t=", "soon", "t=nan", "inf", "-5", "t=0"):
        assert request_start(bad) is None, bad


def test_queue_time_takes_the_longer_of_proxy_and_worker():
    now = 1_700_000_000.0
    assert queue_ms({}, now) is None
    assert queue_ms({"HTTP_X_REQUEST_START": "t=1699999997.500"}, now) == pytest.approx(2500)
    assert queue_ms({QUEUE_WAIT_KEY: 0.25}, now) == pytest.approx(250)
    both = {"HTTP_X_REQUEST_START": "t=1699999999.000", QUEUE_WAIT_KEY: 3.0}
    assert queue_ms(both, now) == pytest.approx(3000)
    # A proxy clock slightly ahead means no wait; one far behind is a clock problem, not a
    # queue: trusting it would shed every request.
    assert queue_ms({"HTTP_X_REQUEST_START": "t=1700000001.000"}, now) == 0
    assert queue_ms({"HTTP_X_REQUEST_START": "t=1699990000.000"}, now) is None
    assert queue_ms({"HTTP_X_REQUEST_START": "garbage"}, now) is None


# --------------------------------------------------------------------------- the answer


def test_a_request_that_waited_too_long_gets_a_503_page_without_database_access(
    app, client, queries, shed_log
):
    before = shed_count(app)
    with app.app_context(), queries() as statements:
        answer = client.get(
            "/", headers={"X-Request-Start": started(5), "X-Request-ID": "queued-1"}
        )
    assert answer.status_code == 503
    assert statements == []
    retry_after = int(answer.headers["Retry-After"])
    assert 5 <= retry_after <= 10
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Request-ID"] == "queued-1"
    assert answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert "<h1>Temporarily unavailable" in page
    assert "very busy right now" in page
    assert "Nothing you sent was saved" not in page  # a GET sent nothing
    assert shed_count(app) == before + 1
    [line] = shed_log.getvalue().splitlines()
    assert line.startswith("[queued-1] shed GET /: waited 5")


def test_a_fresh_request_is_served(client):
    answer = client.get("/", headers={"X-Request-Start": started(0.05)})
    assert answer.status_code == 200
    assert "Retry-After" not in answer.headers


def test_a_shed_post_writes_nothing_and_a_fresh_one_does(app, client):
    token = client.csrf_token()
    shed = client.post(
        "/signup", data={**SIGNUP, "csrf_token": token}, headers={"X-Request-Start": started(3)}
    )
    assert shed.status_code == 503
    assert "Retry-After" in shed.headers
    assert "Nothing you sent was saved" in shed.get_data(as_text=True)
    assert users(app) == 0

    served = client.post(
        "/signup", data={**SIGNUP, "csrf_token": token}, headers={"X-Request-Start": started(0)}
    )
    assert served.status_code == 302
    assert users(app) == 1


def test_api_and_json_clients_get_json(client):
    api = client.get("/api/v1/consultations", headers={"X-Request-Start": started(4)})
    assert api.status_code == 503
    assert api.is_json
    assert api.get_json()["error"]["code"] == "overloaded"
    assert "very busy" in api.get_json()["error"]["message"]
    assert int(api.headers["Retry-After"]) >= 1

    asked = client.get("/", headers={"X-Request-Start": started(4), "Accept": "application/json"})
    assert asked.status_code == 503
    assert asked.get_json()["error"]["code"] == "overloaded"

    assert client.get("/api/v1/consultations").status_code == 200


def test_the_answer_is_in_the_visitors_language(client):
    answer = client.get("/", headers={"X-Request-Start": started(4), "Accept-Language": "es"})
    assert answer.status_code == 503
    assert '<html lang="es">' in answer.get_data(as_text=True)
    assert answer.headers["Content-Language"] == "es"


def test_health_and_static_files_are_never_shed(client):
    assert client.get("/healthz", headers={"X-Request-Start": started(60)}).status_code == 200
    static = client.get("/static/css/portal.css", headers={"X-Request-Start": started(60)})
    assert static.status_code == 200
    static.close()


def test_the_wait_measured_by_the_worker_counts_too(client):
    shed = client.get("/", environ_base={QUEUE_WAIT_KEY: 2.5})
    assert shed.status_code == 503
    assert client.get("/", environ_base={QUEUE_WAIT_KEY: 0.01}).status_code == 200


def test_the_budget_and_the_off_switch(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SHED_QUEUE_MS", 500)
    assert client.get("/", headers={"X-Request-Start": started(1)}).status_code == 503
    monkeypatch.setitem(app.config, "SHED_QUEUE_MS", 0)
    assert client.get("/", headers={"X-Request-Start": started(60)}).status_code == 200
    assert client.get("/", environ_base={QUEUE_WAIT_KEY: 30.0}).status_code == 200


def test_settings_come_from_the_environment():
    from portal.config import ConfigError, load_config

    env = {"PORTAL_ENV": "testing"}
    assert load_config({**env, "SHED_QUEUE_MS": "750"})["SHED_QUEUE_MS"] == 750
    assert load_config({**env, "SHED_QUEUE_MS": ""})["SHED_QUEUE_MS"] == 2000
    assert load_config(env)["SHED_RETRY_AFTER"] == 5
    with pytest.raises(ConfigError, match="SHED_QUEUE_MS"):
        load_config({**env, "SHED_QUEUE_MS": "fast"})


# --------------------------------------------------------------------------- gunicorn


def _gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_conf_chooses_the_queue_timed_worker(monkeypatch):
    from gunicorn.workers.gthread import ThreadWorker

    threaded = _gunicorn_settings(monkeypatch, GUNICORN_THREADS="4")["worker_class"]
    assert issubclass(threaded, ThreadWorker)
    assert threaded.__name__ == "QueueTimedThreadWorker"
    assert _gunicorn_settings(monkeypatch, GUNICORN_THREADS="1")["worker_class"] == "sync"
    forced = _gunicorn_settings(monkeypatch, GUNICORN_THREADS="1", GUNICORN_WORKER_CLASS="gthread")
    assert forced["worker_class"].__name__ == "QueueTimedThreadWorker"


class StalledRequest:
    """A client that sends half of its request line and headers, then pauses: the thread that
    took the connection waits on it, as on a slow upload, and everything else queues."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")

    def finish(self) -> bytes:
        self.sock.sendall(b"\r\n")
        chunks = []
        while chunk := self.sock.recv(65536):
            chunks.append(chunk)
        self.sock.close()
        return b"".join(chunks)


def test_gunicorn_sheds_requests_queued_behind_a_busy_thread_and_recovers(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("runs once, on the SQLite pass (it tests the worker, not the database)")
    env = base_env(
        DATABASE_URL=database_url,
        REDIS_URL="",
        PAGE_CACHE_ENABLED="0",
        GUNICORN_WORKER_CLASS="gthread",
        SHED_QUEUE_MS="500",
    )
    server = Gunicorn(env, workers=1, threads=1)
    try:
        server.wait_ready()
        assert Browser().get(server.url + "/").status == 200

        slow = StalledRequest(server.port)
        time.sleep(0.3)  # the only thread has taken it and waits for the rest
        answers: dict[int, object] = {}

        def visit(n: int) -> None:
            answers[n] = Browser().get(server.url + "/", headers={"X-Request-ID": f"q{n}"})

        visitors = [threading.Thread(target=visit, args=(n,)) for n in range(4)]
        for visitor in visitors:
            visitor.start()
        time.sleep(1.5)  # queued three times longer than the budget
        slow_answer = slow.finish()
        for visitor in visitors:
            visitor.join(timeout=20)

        # The request already being served is answered in full, not dropped.
        assert slow_answer.startswith(b"HTTP/1.1 200"), slow_answer[:200]
        for n in range(4):
            answer = answers[n]
            assert answer.status == 503, (n, answer.status, answer.body[:300])
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.headers["X-Request-ID"] == f"q{n}"
            assert "very busy right now" in answer.body
        # The load is gone: the next requests are served at once.
        for _ in range(3):
            assert Browser().get(server.url + "/").status == 200
        log = server.output()
        shed_lines = [line for line in log.splitlines() if "shed GET /" in line]
        assert len(shed_lines) == 4, log
        assert all(f"[q{n}]" in log for n in range(4)), log
    finally:
        server.stop()
