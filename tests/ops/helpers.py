"""Helpers for tests that run real gunicorn servers on loopback ports."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, released, not reused at once)."""
    return free_port()


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def csrf(self) -> str:
        # Signed-in pages carry a meta tag; a visitor's form its hidden field.
        match = CSRF_META.search(self.body) or CSRF_INPUT.search(self.body)
        assert match, "no CSRF token on the page"
        return match.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client (no redirects followed) that can talk to any server."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.headers = dict(headers or {})
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        url: str,
        data: dict | None = None,
        method: str | None = None,
        headers: dict | None = None,
        body: bytes | None = None,
    ) -> Answer:
        payload = body
        if data is not None:
            payload = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(
            url, data=payload, method=method, headers={**self.headers, **(headers or {})}
        )
        try:
            with self.opener.open(req, timeout=20) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def get(self, url: str, **kwargs) -> Answer:
        return self.request(url, **kwargs)

    def post(self, url: str, data: dict, **kwargs) -> Answer:
        return self.request(url, data=data, method="POST", **kwargs)


def base_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_TEST", "PYTEST"))
    }
    env.update(
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": "two-servers-share-this-secret-key-0123456789",
            "BASE_URL": "http://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class Gunicorn:
    """One gunicorn (our gunicorn.conf.py) on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int = 1, threads: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(
            os.environ.get("TMPDIR", "/tmp"), f"ops-gunicorn-{self.port}-{os.getpid()}.log"
        )
        env = dict(env)
        env.update(
            {
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "WEB_CONCURRENCY": str(workers),
                "GUNICORN_THREADS": str(threads),
            }
        )
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.output()}")
            if reachable("127.0.0.1", self.port):
                try:
                    answer = Browser().get(self.url + "/healthz")
                except OSError:
                    answer = None
                if answer is not None and answer.status in (200, 503):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()
        self.log_path.unlink(missing_ok=True)
