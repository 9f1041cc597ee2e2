"""Every moderation page renders with real data, has one h1, and keeps user text escaped."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.moderation import services
from portal.moderation.models import Appeal, ModerationAction
from tests.factories import make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea, people

XSS = "<script>alert(1)</script>"


def test_pages_render(app):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("author@example.org", name=f"Eve {XSS}")
        idea = make_idea(consultation, author, title=f"Idea {XSS} title", body=f"Body {XSS}")
        comment = make_comment(idea, author, body=f"Comment {XSS}")
        reporters = people(3)
        for person in reporters:
            services.report(person, comment, "offensive", f"detail {XSS}")
            services.report(person, author, "spam", "")
        db.session.commit()
        mod1 = make_user("mod1@example.org", roles=("moderator",))
        make_user("admin@example.org", roles=("admin",))
        action = services.hide(mod1, idea, "spam", f"note {XSS}")
        db.session.commit()
        services.appeal(author, action, f"appeal {XSS} text")
        services.add_note(mod1, services.find_case(comment), f"private {XSS}")
        db.session.commit()
        comment_case = services.find_case(comment).id
        user_case = services.find_case(author).id
        appeal_id = db.session.scalar(select(Appeal.id))
        hide_id = db.session.scalar(
            select(ModerationAction.id).where(ModerationAction.action == "hide")
        )
        author_id, slug = author.id, consultation.slug
        reporter_email = reporters[0].email

    admin = app.test_client()
    admin.login("admin@example.org")
    author_client = app.test_client()
    author_client.login("author@example.org")
    reporter = app.test_client()
    reporter.login(reporter_email)
    pages = [
        (admin, "/moderation"),
        (admin, "/moderation?kind=user"),
        (admin, f"/moderation/cases/{comment_case}"),
        (admin, f"/moderation/cases/{user_case}"),
        (admin, f"/moderation/users/{author_id}"),
        (admin, "/moderation/blocked"),
        (admin, "/moderation/appeals"),
        (admin, f"/moderation/appeals/{appeal_id}"),
        (admin, "/moderation/blocklist"),
        (admin, "/moderation/audit"),
        (admin, "/moderation/audit?action=hide"),
        (author_client, "/moderation/decisions"),
        (author_client, f"/moderation/decisions/{hide_id}"),
        (reporter, f"/report/user/{author_id}"),
        (app.test_client(), f"/consultations/{slug}/moderation"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert html.count("<h1") == 1, url
        assert XSS not in html, url
        assert 'style="' not in html, url
    case_page = admin.get(f"/moderation/cases/{user_case}").get_data(as_text=True)
    assert case_page.count("Spam or advertising") == 3  # the profile's three reports
    assert "private &lt;script&gt;" in admin.get(f"/moderation/cases/{comment_case}").get_data(
        as_text=True
    )
