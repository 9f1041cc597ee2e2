"""A resident signs up, confirms through the e-mailed link, logs out and in — by keyboard too."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in


def test_sign_up_confirm_log_in_and_out(page, live_server, mail_sink):
    page.goto(live_server)
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("E-mail address").fill("browser.person@example.org")
    page.get_by_label("Public name").fill("Browser Person")
    page.get_by_label("Password", exact=True).fill("a-browser-password")
    page.get_by_label("Repeat the password").fill("a-browser-password")
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("If the address can be used").wait_for()

    links = mail_sink.links("browser.person@example.org")
    assert links, "no confirmation e-mail"
    page.goto(links[0])
    page.get_by_text("your e-mail address is confirmed").wait_for()

    log_in(page, live_server, "browser.person@example.org", "a-browser-password")
    page.get_by_text("You are logged in.").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()


def test_log_in_with_the_keyboard_alone(page, live_server):
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.get_by_label("E-mail address").focus()
    page.keyboard.type("resident@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-password")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))
    page.get_by_text("You are logged in.").wait_for()


def test_wrong_password_shows_an_error_summary(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("resident@example.org")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    assert "is not right" in alert.inner_text()
