"""Staff at work in the browser, each in a browser context of their own: a moderator hides a
comment a resident reported, a planner publishes an official answer, and a planner builds and
downloads the vision document. Every step is checked where the public sees it."""

from __future__ import annotations

import io
import re
import uuid
import zipfile

from playwright.sync_api import expect

from tests.browser.conftest import log_in, open_idea, sign_up, unique_email

TITLE = "Green and lively Riverside 2026"


def test_moderator_hides_a_reported_comment(new_page, live_server, mail_sink):
    text = f"Buy my miracle garden spray at spray-{uuid.uuid4().hex[:8]}.example!"
    author_email = unique_email("staff.author")
    author = new_page()
    sign_up(author, live_server, mail_sink, author_email, "Spray Seller")
    idea_id = open_idea(author, live_server, "Homework café in the library")
    author.get_by_label("Your comment").fill(text)
    author.get_by_role("button", name="Publish comment").click()
    comment = author.locator("li.comment", has_text=text)
    comment.wait_for()
    comment_id = int(comment.get_attribute("id").removeprefix("comment-"))

    reporter = new_page()
    log_in(reporter, live_server, "resident@example.org")
    reporter.goto(f"{live_server}/ideas/{idea_id}")
    reporter.get_by_role("link", name=f"Report comment {comment_id}", exact=True).click()
    reporter.get_by_role("heading", name="Report a comment").wait_for()
    reporter.get_by_label("Spam or advertising").check()
    reporter.get_by_label("Anything the moderators should know (optional)").fill(
        "An advert, not a comment on the idea."
    )
    reporter.get_by_role("button", name="Send the report").click()
    reporter.get_by_text("Thank you: your report was received.").wait_for()

    moderator = new_page()
    log_in(moderator, live_server, "moderator@example.org")
    moderator.goto(f"{live_server}/moderation")
    moderator.get_by_label("Show").select_option(label="a comment")
    moderator.get_by_role("button", name="Filter").click()
    row = moderator.locator("tbody tr", has_text=f"#{comment_id} ·")
    expect(row).to_contain_text("Spam or advertising: 1")
    row.get_by_role("link", name=re.compile(rf"^A comment: #{comment_id} ")).click()
    moderator.wait_for_url(re.compile(r"/moderation/cases/\d+$"))
    expect(moderator.locator(".mod-snapshot").first).to_contain_text(text)
    expect(moderator.get_by_role("table", name="Reports on this item")).to_contain_text(
        "An advert, not a comment on the idea."
    )
    moderator.get_by_label("Reason", exact=True).select_option(label="Spam or advertising")
    moderator.get_by_label("Note for the author (optional)").fill("Adverts are not allowed.")
    moderator.get_by_role("button", name="Hide and tell the author").click()
    moderator.get_by_role("button", name="Restore").wait_for()
    history = moderator.locator(
        "section", has=moderator.get_by_role("heading", name="History of this item")
    )
    expect(history).to_contain_text("Hidden by a moderator (Spam or advertising)")

    visitor = new_page()
    visitor.goto(f"{live_server}/ideas/{idea_id}")
    visitor.locator("#comments").wait_for()
    expect(visitor.locator("#comments")).not_to_contain_text(text)
    assert visitor.locator(f"#comment-{comment_id}").count() == 0
    # The author is told why (the statement of reasons).
    told = [
        m for m in mail_sink.to(author_email) if "Adverts are not allowed." in mail_sink.body(m)
    ]
    assert told, [m["Subject"] for m in mail_sink.to(author_email)]


def test_planner_publishes_an_official_answer(new_page, live_server):
    answer = f"We are costing chess tables with the parks team ({uuid.uuid4().hex[:8]})."
    planner = new_page()
    log_in(planner, live_server, "planner@example.org")
    idea_id = open_idea(planner, live_server, "Chess tables in the Old Town square")
    planner.get_by_role("link", name="Answer this idea").click()
    assert planner.url.endswith(f"/ideas/{idea_id}/respond"), planner.url
    planner.get_by_label("New status").select_option(label="Under review")
    planner.get_by_label("Public answer").fill(answer)
    planner.get_by_role("button", name="Publish the answer").click()
    planner.wait_for_url(re.compile(rf"/ideas/{idea_id}$"))

    visitor = new_page()
    visitor.goto(f"{live_server}/ideas/{idea_id}")
    answers = visitor.locator(
        "section", has=visitor.get_by_role("heading", name="Official answers")
    )
    expect(answers).to_contain_text(answer)
    expect(answers.locator(".official-response").first).to_contain_text("Under review")
    expect(answers).to_contain_text("previously: Waiting for an answer")
    expect(visitor.locator(".idea-meta")).to_contain_text("Under review")


def test_planner_downloads_the_vision_document(page, live_server):
    log_in(page, live_server, "planner@example.org")
    page.goto(f"{live_server}/exports/riverside-2026")
    page.get_by_role("heading", name=f"Vision document: {TITLE}").wait_for()
    page.get_by_role("button", name="Generate Word (DOCX)").click()
    page.wait_for_url(re.compile(r"/exports/jobs/\d+$"))
    download_link = page.get_by_role("link", name="Download the file")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(page.locator("#job-status")).to_contain_text("Done: your file is ready.")

    with page.expect_download() as started:
        download_link.click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    content = download.path().read_bytes()
    assert content[:2] == b"PK", content[:20]
    with zipfile.ZipFile(io.BytesIO(content)) as document:
        assert "[Content_Types].xml" in document.namelist()
        body = document.read("word/document.xml").decode()
    assert TITLE in body
