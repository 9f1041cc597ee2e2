"""Every resident journey works with JavaScript switched off in the browser: reading, proposing
an idea, commenting, supporting, a budget ballot with the server-side basket and running total,
and the budget simulator with the server-side "Recalculate"."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CONSULTATION, sign_up, support_count, unique_email

TITLE = "Green and lively Riverside 2026"


@pytest.fixture
def no_js_page(new_page):
    return new_page(java_script_enabled=False)


def test_reading_without_javascript(no_js_page, live_server):
    page = no_js_page
    page.goto(live_server)
    page.get_by_role("heading", level=1, name="Have your say in your town").wait_for()
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(rf"{CONSULTATION}$"))
    page.get_by_role("heading", level=1, name=TITLE).wait_for()
    expect(page.locator("main")).to_contain_text("Propose an idea")

    page.get_by_role("link", name="See all ideas").click()
    page.wait_for_url(re.compile(rf"{CONSULTATION}/ideas"))
    expect(page.locator("main")).to_contain_text(re.compile(r"\b\d{2,} ideas\b"))
    cards = page.locator("article.idea-card")
    assert cards.count() >= 10

    # The filters are a plain GET form.
    page.get_by_label("Theme").select_option(label="Safety")
    page.get_by_role("button", name="Show ideas").click()
    page.wait_for_url(re.compile(r"category="))
    assert 0 < cards.count() < 10
    for card in cards.all():
        expect(card).to_contain_text("Safety")

    page.get_by_role("link", name="Lights on the river path", exact=True).click()
    page.get_by_role("heading", level=1, name="Lights on the river path").wait_for()
    assert support_count(page) >= 1
    expect(page.get_by_role("link", name="Log in to support this idea")).to_be_visible()


def test_propose_comment_and_support_without_javascript(no_js_page, live_server, mail_sink):
    page = no_js_page
    sign_up(page, live_server, mail_sink, unique_email("nojs.ideas"), "No Script Ideas")
    title = f"Sundial beside the chess tables {uuid.uuid4().hex[:6]}"

    page.goto(live_server + CONSULTATION)
    page.get_by_role("link", name="Propose an idea").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your idea", exact=True).fill(
        "A large sundial children can stand on to tell the time by their own shadow."
    )
    page.get_by_label("Theme").select_option(label="Culture and leisure")
    page.get_by_role("button", name="Publish my idea").click()
    # The server checks for similar ideas on submission (the live hint needs JavaScript).
    page.get_by_role("heading", name="Similar ideas already exist").wait_for()
    expect(page.get_by_role("link", name="Chess tables in the Old Town square")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(title)
    page.get_by_role("button", name="Publish my idea anyway").click()
    page.get_by_role("heading", level=1, name=title).wait_for()
    idea_url = page.url
    assert re.search(r"/ideas/\d+$", idea_url), idea_url
    expect(page.locator("main")).to_contain_text("proposed by No Script Ideas")

    page.get_by_label("Your comment").fill("It could double as a **meeting point**.")
    page.get_by_label("Your position").select_option(index=1)
    page.get_by_role("button", name="Publish comment").click()
    comments = page.locator("#comments")
    expect(comments.locator(".comment-body strong")).to_have_text("meeting point")
    expect(comments.get_by_role("heading", level=2).first).to_contain_text("Comments (1)")

    assert support_count(page) == 0
    page.locator(".support-box").get_by_role("button", name=f"Support {title}").click()
    page.get_by_text(f"Thank you: you support “{title}”.").wait_for()
    assert support_count(page) == 1
    expect(page.locator(".support-box button")).to_have_attribute("aria-pressed", "true")

    # The idea, its comment and its support are there for everyone: it is listed and counted.
    page.goto(f"{live_server}{CONSULTATION}/ideas?q={title.split()[-1]}")
    card = page.locator("article.idea-card", has_text=title)
    expect(card).to_contain_text("1 support")
    expect(card).to_contain_text("1 comment")


def ballot_button(scope, verb: str, project: str):
    """The ballot's "Add"/"Remove" button of a project (its name ends with the project's)."""
    return scope.get_by_role("button", name=re.compile(rf"^{verb}\W+{re.escape(project)}$"))


def test_budget_ballot_without_javascript(no_js_page, live_server, mail_sink):
    page = no_js_page
    sign_up(page, live_server, mail_sink, unique_email("nojs.ballot"), "No Script Ballot")
    page.goto(f"{live_server}/budgets/2/ballot")
    total = page.locator("#ballot-status .total-line")
    expect(total).to_contain_text("Spent: €0.00 of €200,000.00")

    problems = page.locator("#ballot-problems")
    expect(problems).to_contain_text("Your ballot is empty")

    ballot_button(page, "Add", "Pocket park at the corner shop").click()
    expect(total).to_contain_text("Spent: €60,000.00 of €200,000.00")
    expect(total).to_contain_text("Left: €140,000.00")
    choices = page.locator(".choice-list")
    expect(choices).to_contain_text("Pocket park at the corner shop")
    # Less than half the budget is spent: the server says so before checkout.
    expect(problems).to_contain_text("50%")

    ballot_button(page, "Add", "Traffic calming on School Street").click()
    expect(total).to_contain_text("Spent: €135,000.00")
    ballot_button(page, "Add", "Outdoor fitness corner").click()
    expect(total).to_contain_text("Spent: €180,000.00")
    ballot_button(page, "Add", "Mural on the sports hall").click()
    # It would go over the budget: the server refuses it and says why.
    expect(page.locator(".flash-error")).to_be_visible()
    expect(total).to_contain_text("Spent: €180,000.00")
    expect(choices).not_to_contain_text("Mural on the sports hall")
    ballot_button(choices, "Remove", "Traffic calming on School Street").click()
    expect(total).to_contain_text("Spent: €105,000.00")
    expect(page.locator("#ballot-problems")).to_have_count(0)
    # Without JavaScript nothing writes to the live region: every change was a page load.
    expect(page.locator("#ballot-live")).to_have_text("")

    page.get_by_role("button", name="Submit my ballot").click()
    page.wait_for_url(re.compile(r"/budgets/2/receipt$"))
    page.get_by_text("Your ballot was submitted. Keep your receipt.").wait_for()
    voted = page.locator("section", has=page.get_by_role("heading", name="What you voted for"))
    expect(voted).to_contain_text("Pocket park at the corner shop")
    expect(voted).to_contain_text("Outdoor fitness corner")
    expect(voted).not_to_contain_text("Traffic calming")
    assert re.fullmatch(r"\S{6,}", page.locator("#receipt-code").inner_text().strip())


def test_budget_simulator_without_javascript(no_js_page, live_server, mail_sink):
    page = no_js_page
    sign_up(page, live_server, mail_sink, unique_email("nojs.sim"), "No Script Sim")
    page.goto(f"{live_server}/simulators/1")
    live = page.locator("#sim-live")
    expect(live).to_contain_text("Balanced.")

    page.get_by_role("spinbutton", name="Parks and green spaces").fill("4500000")
    # No script recalculates while typing: the summary is the server's.
    expect(live).to_contain_text("Balanced.")
    page.get_by_role("button", name="Recalculate").click()
    expect(live).to_contain_text("Over budget by €300,000")
    expect(page.locator("[data-sim=gap]")).to_have_text("+€300,000")
    assert page.get_by_role("spinbutton", name="Parks and green spaces").input_value() == "4500000"

    # Submitting an unbalanced budget is refused by the server.
    page.get_by_role("button", name="Submit my budget").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".sim-mine-status")).to_have_count(0)

    page.get_by_role("spinbutton", name="Road repairs").fill("5800000")
    page.get_by_role("button", name="Recalculate").click()
    expect(live).to_contain_text("Balanced.")
    expect(live).to_contain_text("Your total: €35,600,000.")
    page.get_by_label("Anything else you want to tell the planners? (optional)").fill(
        "Parks before potholes."
    )
    page.get_by_role("button", name="Submit my budget").click()
    page.get_by_text("Thank you: your budget is submitted.").wait_for()
    expect(page.locator(".sim-mine-status")).to_contain_text("You submitted your budget on")
    assert page.get_by_role("spinbutton", name="Parks and green spaces").input_value() == "4500000"
    assert page.get_by_role("spinbutton", name="Road repairs").input_value() == "5800000"
    expect(
        page.get_by_label("Anything else you want to tell the planners? (optional)")
    ).to_have_value("Parks before potholes.")
