"""Load-test machinery: gunicorn servers on loopback, wrk runs, prepared requests.

Everything here targets 127.0.0.1 only, and every run is bounded in time (wrk -d) and count
(the prepared request files). Used by benchmarks/run_all.py and benchmarks/faults.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
LUA = BENCH / "replay.lua"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789"
HOST = "127.0.0.1"


def ensure_wrk() -> str:
    """wrk from Debian's package, installed with apt-get when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package 'wrk' ...", flush=True)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def portal_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "BASE_URL": f"http://{HOST}",
            # Every request of a load test comes from one address: per-address limits would
            # measure the limiter, not the portal.
            "RATELIMIT_ENABLED": "0",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class Server:
    """gunicorn with our gunicorn.conf.py on a free loopback port."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.app = app
        env = dict(env)
        env.update(
            {
                "GUNICORN_BIND": f"{HOST}:{self.port}",
                "WEB_CONCURRENCY": str(workers),
                "GUNICORN_THREADS": str(threads),
            }
        )
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), app],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/healthz", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited:\n{self.output()[-3000:]}")
            try:
                status, _ = http(self.url + path, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.app} did not start:\n{self.output()[-3000:]}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        )
        return [int(pid) for pid in found.stdout.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()


@dataclass
class Result:
    name: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    receipts: int = 0
    note: str = ""
    skipped: str = ""
    baseline: str = ""
    ratio: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def write_requests(lines: list[tuple[str, ...]]) -> str:
    with tempfile.NamedTemporaryFile(
        "w", prefix="bench-requests-", suffix=".tsv", delete=False
    ) as handle:
        for fields in lines:
            assert not any("\t" in f or "\n" in f for f in fields), fields
            handle.write("\t".join(fields) + "\n")
    return handle.name


def run_wrk(
    name: str,
    base_url: str,
    lines: list[tuple[str, ...]],
    duration: float,
    connections: int = 16,
    threads: int = 2,
    rate: float = 0,
    receipts_file: str = "",
    timeout_s: int = 10,
) -> Result:
    """Replay ``lines`` against ``base_url`` for ``duration`` seconds with wrk."""
    wrk = ensure_wrk()
    path = write_requests(lines)
    env = dict(os.environ)
    env.update(
        {
            "WRK_REQUESTS": path,
            "WRK_THREADS": str(threads),
            "WRK_RATE": str(rate),
            "WRK_RECEIPTS": receipts_file,
        }
    )
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, int(round(duration)))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(LUA),
        base_url,
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration + 60
        )
    finally:
        os.unlink(path)
    report = None
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            report = json.loads(line[len("WRKJSON ") :])
    if report is None:
        return Result(name, skipped=f"wrk gave no report: {done.stdout[-500:]}{done.stderr[-500:]}")
    statuses = {str(k): v for k, v in report["statuses"].items()}
    errors = report["socket_errors"] + report["timeouts"] + report["non_2xx_3xx"]
    return Result(
        name,
        rps=report["rps"],
        p50_ms=report["p50_ms"],
        p99_ms=report["p99_ms"],
        requests=report["requests"],
        errors=errors,
        statuses=statuses,
        receipts=report["receipts"],
    )


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process and of its children that have ended (a
    gunicorn worker recycled, a PostgreSQL backend closed: their time moves to the parent
    when it reaps them). 0 when the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _pids_named(*names: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent by the server under test (its master and workers), PostgreSQL and
    Redis while an endpoint runs — not by the load generator. Divided by the requests served,
    it is a cost per request that does not depend on how busy the machine was, unlike req/s.
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self.start = self._read()

    def _read(self) -> dict[str, dict[int, float]]:
        app = [self.server.process.pid, *self.server.worker_pids()]
        return {
            "app": {pid: _cpu_of(pid) for pid in app},
            "db": {pid: _cpu_of(pid) for pid in _pids_named("postgres")},
            "redis": {pid: _cpu_of(pid) for pid in _pids_named("redis-server")},
        }

    def per_request_ms(self, requests: int) -> dict[str, float]:
        end = self._read()
        # Totals, not per process: a process that ended during the run left its time with
        # its parent, which is counted at both ends.
        spent = {
            part: sum(now.values()) - sum(self.start[part].values()) for part, now in end.items()
        }
        spent["total"] = sum(spent.values())
        served = max(requests, 1)
        return {part: round(1000 * seconds / served, 3) for part, seconds in spent.items()}


class Minter:
    """Session cookies and CSRF tokens made with the portal's own secret and serializers.

    A minted signed-in session is exactly what the log-in form leaves in the cookie (the
    person's session token), without paying for an Argon2 hash per benchmark voter; the
    closing-day scenario also logs voters in for real.
    """

    def __init__(self, app: Any) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self.app = app
        with app.test_request_context("/"):
            self.serializer = app.session_interface.get_signing_serializer(app)
        self.csrf_serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        self.cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")

    def session(self, session_token: str | None = None) -> tuple[str, str]:
        raw = os.urandom(20).hex()
        data: dict[str, Any] = {"csrf_token": raw}
        if session_token:
            data.update({"_user_id": session_token, "_fresh": False})
        cookie = f"{self.cookie_name}={self.serializer.dumps(data)}"
        return cookie, self.csrf_serializer.dumps(raw)


def voter_tokens(app: Any, first_id: int, count: int) -> list[tuple[int, str, str]]:
    """(id, email, session_token) of ``count`` seeded voters from ``first_id``."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT id, email, session_token FROM users WHERE id >= :a AND id < :b ORDER BY id"
            ),
            {"a": first_id, "b": first_id + count},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def shuffled(items: list, seed: int = 7) -> list:
    copy = list(items)
    random.Random(seed).shuffle(copy)
    return copy
