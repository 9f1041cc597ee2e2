"""A freshly signed-up resident takes part with JavaScript on: proposes an idea, comments on it,
supports an idea and takes the support back, fills and submits a budget ballot while the running
total is announced, and submits the budget simulator."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import (
    CONSULTATION,
    open_idea,
    sign_up,
    support_count,
    unique_email,
)


def test_resident_proposes_and_comments(page, live_server, mail_sink):
    sign_up(page, live_server, mail_sink, unique_email("journey.ideas"), "Journey Ideas")

    page.goto(live_server + CONSULTATION)
    page.get_by_role("link", name="Propose an idea").first.click()
    page.get_by_label("Title").fill("Drinking fountain beside the skate ramp")
    page.get_by_label("Your idea", exact=True).fill(
        "Skaters and walkers have nowhere to fill a bottle. A fountain with a dog bowl would help."
    )
    page.get_by_label("Theme").select_option(label="Green spaces")
    page.get_by_role("button", name="Publish my idea").click()
    # The title mentions fountains, and the demo has one: the portal suggests it first.
    page.get_by_role("heading", name="Similar ideas already exist").wait_for()
    assert page.get_by_role("link", name="Drinking water fountains").count() == 1
    page.get_by_role("button", name="Publish my idea anyway").click()
    heading = page.get_by_role("heading", level=1)
    heading.filter(has_text="Drinking fountain beside the skate ramp").wait_for()
    assert re.search(r"/ideas/\d+$", page.url), page.url
    assert "proposed by Journey Ideas" in page.inner_text("main")

    page.get_by_label("Your comment").fill("I would add a bottle filler for cyclists too.")
    page.get_by_role("button", name="Publish comment").click()
    comments = page.locator("#comments")
    comments.get_by_text("I would add a bottle filler for cyclists too.").wait_for()
    assert "Comments (1)" in comments.get_by_role("heading", level=2).first.inner_text()


def test_resident_supports_an_idea_and_takes_it_back(page, live_server, mail_sink):
    sign_up(page, live_server, mail_sink, unique_email("journey.support"), "Journey Support")
    open_idea(page, live_server, "Bike repair stations")
    before = support_count(page)
    support = page.locator(".support-box").get_by_role("button", name=re.compile(r"^Support\b"))
    expect(support).to_have_attribute("aria-pressed", "false")
    expect(support).to_have_accessible_name("Support Bike repair stations")

    support.click()
    page.get_by_text("Thank you: you support “Bike repair stations”.").wait_for()
    assert support_count(page) == before + 1
    supported = page.locator(".support-box").get_by_role("button", name=re.compile(r"^Supported"))
    expect(supported).to_have_attribute("aria-pressed", "true")
    expect(supported).to_contain_text("Press to take back your support.")
    expect(page.locator(".support-box")).to_contain_text("You have used 1 of your 10 supports.")

    # The count is public: an anonymous visitor sees the new support too.
    anonymous = page.context.browser.new_context()
    try:
        visitor = anonymous.new_page()
        visitor.goto(page.url)
        assert support_count(visitor) == before + 1
    finally:
        anonymous.close()

    supported.click()
    page.get_by_text("You no longer support “Bike repair stations”.").wait_for()
    assert support_count(page) == before
    expect(support).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".support-box")).to_contain_text("You have used 0 of your 10 supports.")


def test_resident_fills_and_submits_a_ballot(page, live_server, mail_sink):
    sign_up(page, live_server, mail_sink, unique_email("journey.ballot"), "Journey Ballot")
    page.goto(f"{live_server}/budgets/2/ballot")
    total = page.locator("#ballot-status .total-line")
    live = page.locator("#ballot-live")
    assert "Spent: €0.00 of €200,000.00" in total.inner_text()

    page.get_by_role("button", name=re.compile(r"^Add\W+Pocket park")).click()
    expect(page.locator("#ballot-live")).to_contain_text("60,000.00")
    assert "Spent: €60,000.00" in total.inner_text()
    assert "€140,000.00 left" in live.inner_text()

    page.get_by_role("button", name=re.compile(r"^Add\W+Outdoor fitness")).click()
    expect(page.locator("#ballot-live")).to_contain_text("105,000.00")
    assert "Spent: €105,000.00" in total.inner_text()
    assert "€95,000.00 left" in live.inner_text()
    choices = page.locator(".choice-list")
    assert "Pocket park at the corner shop" in choices.inner_text()
    assert "Outdoor fitness corner" in choices.inner_text()

    page.get_by_role("button", name="Submit my ballot").click()
    page.wait_for_url(re.compile(r"/budgets/2/receipt"))
    receipt = page.inner_text("main")
    assert "Pocket park at the corner shop" in receipt or "receipt" in receipt.lower()
    assert re.search(r"[0-9a-f]{16,}|[A-Z0-9]{4}(-[A-Z0-9]{4}){2,}", receipt), receipt[:2000]


def test_resident_submits_the_simulator(page, live_server, mail_sink):
    sign_up(page, live_server, mail_sink, unique_email("journey.sim"), "Journey Sim")
    page.goto(f"{live_server}/simulators/1")
    live = page.locator("#sim-live")
    gap = page.locator("[data-sim=gap]")
    assert "Balanced." in live.inner_text()

    parks = page.get_by_role("spinbutton", name="Parks and green spaces")
    parks.fill("4500000")
    parks.dispatch_event("input")
    expect(page.locator("#sim-live")).to_contain_text("Over")
    assert "Over budget by €300,000" in live.inner_text()
    assert "€300,000" in gap.inner_text()
    assert page.locator("#change-" + parks.get_attribute("id").split("-")[1]).inner_text() == (
        "Change: +€300,000"
    )

    roads = page.get_by_role("spinbutton", name="Road repairs")
    roads.fill("5800000")
    roads.dispatch_event("input")
    expect(page.locator("#sim-live")).to_contain_text("Balanced")
    assert "Your total: €35,600,000." in live.inner_text() or "Balanced." in live.inner_text()

    page.get_by_label("Anything else you want to tell the planners? (optional)").fill(
        "More trees, fewer potholes."
    )
    page.get_by_role("button", name="Submit my budget").click()
    page.get_by_text("You submitted your budget on").wait_for()
    assert page.get_by_role("spinbutton", name="Parks and green spaces").input_value() == (
        "4500000"
    )
