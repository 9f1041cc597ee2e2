"""The journeys done with the keyboard alone, as a person who cannot use a mouse would: every
control is reached by pressing Tab (never focused or clicked by the test), text is typed with
the keyboard and controls are activated with Enter or Space. The ballot's and the simulator's
totals are announced through aria-live regions whose text follows the selection."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    CONSULTATION,
    PASSWORD,
    confirm_by_link,
    support_count,
    unique_email,
)

TAB_LIMIT = 120


def tab_to(page, target, limit: int = TAB_LIMIT, key: str = "Tab") -> None:
    """Press Tab (or ``key``, e.g. "Shift+Tab") until ``target`` has the focus; fail when it is
    not reached within ``limit`` presses."""
    target.wait_for(state="attached")
    has_focus = "element => element === document.activeElement"
    if target.evaluate(has_focus):
        return
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate(has_focus):
            return
    focused = page.evaluate("document.activeElement ? document.activeElement.outerHTML : ''")
    raise AssertionError(
        f"{target} was not reached after {limit} presses of {key}; focus is on {focused[:200]}"
    )


def type_into(page, field, text: str) -> None:
    """Tab to a text field and type into it."""
    tab_to(page, field)
    page.keyboard.type(text)


def press(page, control, key: str = "Enter") -> None:
    """Tab to a link or button and activate it from the keyboard."""
    tab_to(page, control)
    page.keyboard.press(key)


def keyboard_log_in(page, base_url: str, email: str, password: str = "demo-password") -> None:
    page.goto(f"{base_url}/login")
    type_into(page, page.get_by_label("E-mail address"), email)
    type_into(page, page.get_by_label("Password", exact=True), password)
    press(page, page.get_by_role("button", name="Log in"))
    page.get_by_text("You are logged in.").wait_for()


def keyboard_sign_up(page, base_url: str, mail_sink, name: str) -> str:
    """Sign up and log in by keyboard (the e-mailed link is followed like a typed address)."""
    email = unique_email("keys")
    page.goto(f"{base_url}/signup")
    type_into(page, page.get_by_label("E-mail address"), email)
    type_into(page, page.get_by_label("Public name"), name)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    type_into(page, page.get_by_label("Repeat the password"), PASSWORD)
    terms = page.get_by_label("I accept the terms")
    press(page, terms, "Space")
    expect(terms).to_be_checked()
    press(page, page.get_by_role("button", name="Sign up"))
    confirm_by_link(page, mail_sink, email)
    keyboard_log_in(page, base_url, email, PASSWORD)
    return email


def choose(page, select, label: str) -> None:
    """Tab to a drop-down and pick an option by typing its first letters."""
    tab_to(page, select)
    page.keyboard.type(label[:6])
    expect(select.locator("option:checked")).to_have_text(label)


def comment_by_keyboard(page, text: str) -> int:
    """Write a comment on the idea page that is open; returns the comment's number."""
    type_into(page, page.get_by_label("Your comment"), text)
    press(page, page.get_by_role("button", name="Publish comment"))
    comment = page.locator("li.comment", has_text=text)
    comment.wait_for()
    return int(comment.get_attribute("id").removeprefix("comment-"))


def test_tab_to_fails_for_a_control_the_keyboard_cannot_reach(page, live_server):
    """The helper can fail: the sign-up form's spam trap is taken out of the tab order."""
    page.goto(f"{live_server}/signup")
    trap = page.get_by_label("Leave this field empty")
    with pytest.raises(AssertionError, match="was not reached after 40 presses of Tab"):
        tab_to(page, trap, limit=40)
    tab_to(page, page.get_by_role("button", name="Sign up"), limit=40)


def test_resident_proposes_comments_and_supports_by_keyboard(page, live_server, mail_sink):
    keyboard_sign_up(page, live_server, mail_sink, "Key Board")
    title = f"Shade sails over the chess tables {uuid.uuid4().hex[:6]}"

    page.goto(live_server + CONSULTATION)
    press(page, page.get_by_role("link", name="Propose an idea").first)
    page.wait_for_url(re.compile(r"/ideas/new$"))
    type_into(page, page.get_by_label("Title"), title)
    type_into(
        page,
        page.get_by_label("Your idea", exact=True),
        "Canvas sails so people can play chess in the summer without sunburn.",
    )
    choose(page, page.get_by_label("Theme"), "Culture and leisure")
    press(page, page.get_by_role("button", name="Publish my idea"))
    page.get_by_role("heading", name="Similar ideas already exist").wait_for()
    press(page, page.get_by_role("button", name="Publish my idea anyway"))
    page.get_by_role("heading", level=1, name=title).wait_for()
    assert re.search(r"/ideas/\d+$", page.url), page.url
    expect(page.locator(".idea-meta")).to_contain_text("Culture and leisure")

    comment_by_keyboard(page, "Typed without a mouse, as promised.")
    expect(page.locator("#comments-heading")).to_contain_text("Comments (1)")

    assert support_count(page) == 0
    press(page, page.locator(".support-box").get_by_role("button", name=re.compile("^Support")))
    page.get_by_text(f"Thank you: you support “{title}”.").wait_for()
    assert support_count(page) == 1
    take_back = page.locator(".support-box").get_by_role("button", name=re.compile("^Supported"))
    expect(take_back).to_have_attribute("aria-pressed", "true")
    # The toggle works with Space too.
    press(page, take_back, "Space")
    page.get_by_text(f"You no longer support “{title}”.").wait_for()
    assert support_count(page) == 0


def test_ballot_by_keyboard_announces_the_total(page, live_server, mail_sink):
    keyboard_sign_up(page, live_server, mail_sink, "Key Ballot")
    page.goto(f"{live_server}/budgets/2/ballot")
    live = page.locator("#ballot-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_text("")

    def add(project: str, key: str) -> None:
        button = page.get_by_role("button", name=re.compile(rf"^Add\W+{re.escape(project)}$"))
        press(page, button, key)

    add("Pocket park at the corner shop", "Enter")
    expect(live).to_have_text("Total €60,000.00; €140,000.00 left.")
    # The page was redrawn in place and the focus kept on the project's (now "Remove") button.
    expect(
        page.get_by_role("button", name=re.compile(r"^Remove\W+Pocket park")).last
    ).to_be_focused()
    add("Outdoor fitness corner", "Space")
    expect(live).to_have_text("Total €105,000.00; €95,000.00 left.")
    expect(page.locator("#ballot-status .total-line")).to_contain_text("Spent: €105,000.00")

    # The submit button is above the project list: go back to it with Shift+Tab.
    tab_to(page, page.get_by_role("button", name="Submit my ballot"), key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/budgets/2/receipt$"))
    voted = page.locator("section", has=page.get_by_role("heading", name="What you voted for"))
    expect(voted).to_contain_text("Pocket park at the corner shop")
    expect(voted).to_contain_text("Outdoor fitness corner")


def test_simulator_by_keyboard_announces_the_total(page, live_server, mail_sink):
    keyboard_sign_up(page, live_server, mail_sink, "Key Sim")
    page.goto(f"{live_server}/simulators/1")
    live = page.locator("#sim-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_contain_text("Balanced.")

    parks = page.get_by_role("slider", name="Parks and green spaces")
    tab_to(page, parks)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(live).to_contain_text("Over budget by €200,000")
    expect(live).to_contain_text("Your total: €35,700,000.")

    libraries = page.get_by_role("slider", name="Libraries")
    tab_to(page, libraries)
    page.keyboard.press("ArrowLeft")
    expect(live).to_contain_text("Your total: €35,600,000.")
    page.keyboard.press("ArrowLeft")
    expect(live).to_contain_text("Your total: €35,500,000. Balanced.")

    press(page, page.get_by_role("button", name="Submit my budget"))
    page.get_by_text("Thank you: your budget is submitted.").wait_for()
    parks_amount = page.get_by_role("spinbutton", name="Parks and green spaces")
    expect(parks_amount).to_have_value("4400000")
    expect(page.get_by_role("spinbutton", name="Libraries")).to_have_value("1600000")


def test_moderator_hides_a_comment_by_keyboard(new_page, live_server, mail_sink):
    text = f"Cheap watches at watches-{uuid.uuid4().hex[:8]}.example, best prices!"
    author = new_page()
    keyboard_sign_up(author, live_server, mail_sink, "Watch Seller")
    author.goto(f"{live_server}{CONSULTATION}/ideas?q=Climbing")
    press(author, author.get_by_role("link", name="Climbing wall in the sports hall", exact=True))
    author.get_by_role("heading", level=1, name="Climbing wall in the sports hall").wait_for()
    idea_url = author.url
    comment_id = comment_by_keyboard(author, text)

    reporter = new_page()
    keyboard_log_in(reporter, live_server, "resident@example.org")
    reporter.goto(idea_url)
    press(reporter, reporter.get_by_role("link", name=f"Report comment {comment_id}", exact=True))
    reporter.get_by_role("heading", name="Report a comment").wait_for()
    spam = reporter.get_by_label("Spam or advertising")
    press(reporter, spam, "Space")
    expect(spam).to_be_checked()
    press(reporter, reporter.get_by_role("button", name="Send the report"))
    reporter.get_by_text("Thank you: your report was received.").wait_for()

    moderator = new_page()
    keyboard_log_in(moderator, live_server, "moderator@example.org")
    moderator.goto(f"{live_server}/moderation")
    press(moderator, moderator.get_by_role("link", name=re.compile(rf"^A comment: #{comment_id} ")))
    moderator.wait_for_url(re.compile(r"/moderation/cases/\d+$"))
    choose(moderator, moderator.get_by_label("Reason", exact=True), "Spam or advertising")
    type_into(moderator, moderator.get_by_label("Note for the author (optional)"), "No adverts.")
    press(moderator, moderator.get_by_role("button", name="Hide and tell the author"))
    moderator.get_by_role("button", name="Restore").wait_for()

    visitor = new_page()
    visitor.goto(idea_url)
    visitor.locator("#comments").wait_for()
    expect(visitor.locator("#comments")).not_to_contain_text(text)
    expect(visitor.locator(f"#comment-{comment_id}")).to_have_count(0)


def test_planner_answers_an_idea_by_keyboard(new_page, live_server):
    answer = f"Accepted: the library will host it from spring ({uuid.uuid4().hex[:8]})."
    planner = new_page()
    keyboard_log_in(planner, live_server, "planner@example.org")
    planner.goto(f"{live_server}{CONSULTATION}/ideas?q=Repair")
    press(planner, planner.get_by_role("link", name="Repair café every month", exact=True))
    planner.get_by_role("heading", level=1, name="Repair café every month").wait_for()
    idea_url = planner.url
    press(planner, planner.get_by_role("link", name="Answer this idea"))
    planner.wait_for_url(re.compile(r"/respond"))
    choose(planner, planner.get_by_label("New status"), "Accepted")
    type_into(planner, planner.get_by_label("Public answer"), answer)
    press(planner, planner.get_by_role("button", name="Publish the answer"))
    planner.wait_for_url(idea_url)

    visitor = new_page()
    visitor.goto(idea_url)
    answers = visitor.locator(".status-history")
    expect(answers).to_contain_text(answer)
    expect(answers.locator(".official-response").first).to_contain_text("Accepted")


def test_planner_downloads_the_vision_document_by_keyboard(new_page, live_server):
    planner = new_page()
    keyboard_log_in(planner, live_server, "planner@example.org")
    planner.goto(f"{live_server}/exports/riverside-2026")
    press(planner, planner.get_by_role("button", name="Generate Markdown"))
    planner.wait_for_url(re.compile(r"/exports/jobs/\d+$"))
    link = planner.get_by_role("link", name="Download the file")
    expect(link).to_be_visible(timeout=60_000)
    with planner.expect_download() as started:
        press(planner, link)
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".md"), download.suggested_filename
    assert "Riverside" in download.path().read_text(encoding="utf-8")
