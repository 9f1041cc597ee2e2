"""axe-core on every main page, logged out and logged in, at desktop and phone widths.

No violation of impact "serious" or "critical" (WCAG 2.1 A and AA rules) is allowed.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# (path, who is logged in). Capabilities add their main pages here.
PAGES = [
    ("/", None),
    ("/login", None),
    ("/signup", None),
    ("/password/forgot", None),
    ("/confirm", None),
    ("/no-such-page", None),
    ("/", "resident@example.org"),
    ("/account", "resident@example.org"),
    ("/account/delete", "resident@example.org"),
    ("/admin/users", "admin@example.org"),
    ("/consultations/riverside-2026", None),
    ("/consultations/riverside-2026/ideas", None),
    ("/ideas/1", None),
    ("/consultations/riverside-2026/response-times", None),
    ("/budgets/1", None),
    ("/budgets/1/results", None),
    ("/simulators/1", None),
    ("/simulators/1/results", None),
    ("/consultations/riverside-2026/moderation", None),
    ("/consultations/riverside-2026/open-data", None),
    ("/consultations/riverside-2026/ideas/new", "resident@example.org"),
    ("/ideas/1", "resident@example.org"),
    ("/budgets/2/ballot", "resident@example.org"),
    ("/simulators/1", "resident@example.org"),
    ("/notifications", "resident@example.org"),
    ("/moderation", "moderator@example.org"),
    ("/ideas/1/respond", "planner@example.org"),
    ("/exports/riverside-2026", "planner@example.org"),
    # Indexes, detail pages and every role's working pages.
    ("/consultations", None),
    ("/budgets/", None),
    ("/simulators", None),
    ("/budgets/1/projects/1", None),
    ("/budgets/1/results/compare", None),
    ("/budgets/1/results/check", None),
    ("/users/4", None),
    ("/report/idea/1", "resident@example.org"),
    ("/notifications/preferences", "resident@example.org"),
    ("/moderation/decisions", "resident@example.org"),
    ("/moderation/appeals", "moderator@example.org"),
    ("/moderation/audit", "admin@example.org"),
    ("/moderation/blocklist", "admin@example.org"),
    ("/consultations/new", "planner@example.org"),
    ("/consultations/riverside-2026/edit", "planner@example.org"),
    ("/budgets/1/edit", "planner@example.org"),
    ("/budgets/2/paper", "planner@example.org"),
    ("/simulators/1/edit", "planner@example.org"),
    ("/accountability/templates", "planner@example.org"),
    ("/exports", "planner@example.org"),
]


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(
    ("path", "who"), PAGES, ids=[f"{p} as {w or 'anonymous'}" for p, w in PAGES]
)
def test_no_serious_accessibility_violations(browser, live_server, path, who, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    try:
        if who:
            log_in(page, live_server, who)
        answer = page.goto(live_server + path)
        # The page itself, not an error page standing in for it (except the 404 checked).
        assert answer.status == (404 if path == "/no-such-page" else 200), answer.url
        assert serious_violations(page) == []
    finally:
        context.close()
