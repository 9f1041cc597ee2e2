"""Each main page loads under 150 KB (gzip) of HTML, CSS and JS, with no third-party request."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest

from tests.browser.test_accessibility import PAGES

BUDGET_BYTES = 150 * 1024


@pytest.mark.parametrize(
    ("path", "who"), PAGES, ids=[f"{p} as {w or 'anonymous'}" for p, w in PAGES]
)
def test_first_load_is_light_and_local(browser, live_server, path, who):
    from tests.browser.conftest import log_in

    context = browser.new_context()
    page = context.new_page()
    try:
        if who:
            log_in(page, live_server, who)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        foreign = [
            url
            for url in requested
            if not url.startswith(live_server) and not url.startswith("data:")
        ]
        assert foreign == []
        total = 0
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        for url in requested:
            if url.startswith("data:"):
                continue
            request = urllib.request.Request(url, headers={"Cookie": cookies})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    body, kind = answer.read(), answer.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:  # an error page still weighs
                body, kind = error.read(), error.headers.get("Content-Type", "")
            if any(t in kind for t in ("html", "css", "javascript")):
                total += len(gzip.compress(body))
        assert total < BUDGET_BYTES, f"{path}: {total} bytes gzip"
    finally:
        context.close()
