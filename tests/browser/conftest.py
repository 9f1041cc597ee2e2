"""Browser tests: the portal served by gunicorn on 127.0.0.1 with a real database, driven by
Playwright in the machine's headless Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp_path_factory) -> str:
    """SQLite in a temporary folder, or on PostgreSQL a database of its own named after the
    one in PORTAL_TEST_DATABASE_URL (so two people's runs never share the live server's data)."""
    url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
    from sqlalchemy import create_engine, text

    base, _, name = url.rpartition("/")
    live_name = f"{name.split('?')[0]}_live"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{live_name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{live_name}"'))
    admin.dispose()
    return f"{base}/{live_name}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, mail_sink):
    """Migrate, load the demo data and serve the portal with gunicorn; yields its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package 'chromium')")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "browser-tests-secret-key-0123456789",
        "DATABASE_URL": _database_url(tmp_path_factory),
        "BASE_URL": base_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_sink.port),
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_POSTING": "1000 per minute",
        "RATELIMIT_REPORTS": "1000 per minute",
        "EXPORTS_DIR": str(tmp_path_factory.mktemp("exports")),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    portal = [sys.executable, "-c", "from portal.cli import main; main()"]
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run(
            [*portal, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    log = open(tmp_path_factory.mktemp("gunicorn") / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    raise RuntimeError(Path(log.name).read_text()[-3000:]) from None
                time.sleep(0.3)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser, request):
    """Open a tab in a fresh browser context (its own cookies: one person each), e.g.
    ``new_page(java_script_enabled=False)``. When the test fails, every tab it opened is
    saved as a screenshot in test-artifacts/."""
    contexts = []

    def open_tab(**options):
        settings = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", **options}
        context = browser.new_context(**settings)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        contexts.append((context, tab))
        return tab

    yield open_tab
    failed = getattr(request.node, "rep_call", None)
    for number, (context, tab) in enumerate(contexts):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            suffix = f"-{number + 1}" if number else ""
            try:
                tab.screenshot(
                    path=str(ARTIFACTS / f"{request.node.name}{suffix}.png"), full_page=True
                )
            except Exception as error:  # noqa: BLE001 - a closed tab must not hide the failure
                print(f"no screenshot of tab {number + 1}: {error}")
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


PASSWORD = "a-browser-password"


def unique_email(prefix: str) -> str:
    """A new address on every call: tests never depend on each other's accounts."""
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def sign_up(page, base_url: str, mail_sink, email: str, name: str) -> None:
    """Sign up, confirm through the e-mailed link and log in: a brand-new resident."""
    page.goto(f"{base_url}/signup")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Public name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Sign up").click()
    confirm_by_link(page, mail_sink, email)
    log_in(page, base_url, email, PASSWORD)


def confirm_by_link(page, mail_sink, email: str) -> None:
    """After signing up: follow the confirmation link of the e-mail the sink received."""
    page.get_by_text("If the address can be used").wait_for()
    links = mail_sink.links(email)
    assert links, f"no confirmation e-mail for {email}"
    page.goto(links[0])
    page.get_by_text("your e-mail address is confirmed").wait_for()


def log_in(page, base_url: str, email: str, password: str = "demo-password") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]


CONSULTATION = "/consultations/riverside-2026"


def open_idea(page, base_url: str, title: str) -> int:
    """Find an idea of the demo consultation by its title through the search, open its page
    and return its number."""
    page.goto(f"{base_url}{CONSULTATION}/ideas?q={urllib.parse.quote(title)}")
    page.get_by_role("link", name=title, exact=True).first.click()
    page.get_by_role("heading", level=1, name=title).wait_for()
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def support_count(page) -> int:
    """The support count shown in the idea page's support box ("3 supports")."""
    text = page.locator(".support-box [role=status]").inner_text()
    match = re.match(r"\s*(\d+) supports?\b", text)
    assert match, text
    return int(match.group(1))
