"""The whole story, as people would live it in a browser (HTML forms, real e-mail)."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.moderation.models import Appeal, ModerationCase
from tests.factories import make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea, people


def _client(app, email):
    client = app.test_client()
    client.login(email)
    return client


def test_report_hide_appeal_decide_and_public_log(app, mail_sink):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("author@example.org", name="Ann Author")
        idea = make_idea(consultation, make_user("proposer@example.org"))
        comment = make_comment(idea, author, body="You are all idiots and I know where you live.")
        reporters = [u.email for u in people(3)]
        make_user("mod1@example.org", roles=("moderator",), name="Mod One")
        make_user("mod2@example.org", roles=("moderator",), name="Mod Two")
        idea_id, comment_id, slug = idea.id, comment.id, consultation.slug
        idea_url = f"/ideas/{idea_id}"

    anonymous = app.test_client()
    assert "idiots" in anonymous.get(idea_url).get_data(as_text=True)

    # Three residents report the comment; the first two leave it visible.
    for number, email in enumerate(reporters, start=1):
        client = _client(app, email)
        page = client.get(f"/report/comment/{comment_id}")
        assert page.status_code == 200
        response = client.form(
            f"/report/comment/{comment_id}", {"reason": "offensive", "detail": "A threat."}
        )
        assert response.status_code == 302
        confirmation = client.get(response.location).get_data(as_text=True)
        assert "your report was received" in confirmation
        assert "You reported this on" in confirmation
        visible = "idiots" in anonymous.get(idea_url).get_data(as_text=True)
        assert visible is (number < 3)

    # Gone from the public page and the API after the third report.
    api = anonymous.get(f"/api/v1/ideas/{idea_id}/comments").get_data(as_text=True)
    assert "idiots" not in api

    # A moderator sees it first in the queue, with the reports' reason, and hides it.
    mod1 = _client(app, "mod1@example.org")
    queue = mod1.get("/moderation").get_data(as_text=True)
    assert "idiots" in queue
    assert "Offensive, hateful or threatening: 3" in queue
    with app.app_context():
        case_id = db.session.query(ModerationCase.id).filter_by(kind="comment").scalar()
    case_page = mod1.get(f"/moderation/cases/{case_id}").get_data(as_text=True)
    assert "A threat." in case_page and "Ann Author" in case_page
    response = mod1.form(
        f"/moderation/cases/{case_id}/hide",
        {"hide-reason": "offensive", "hide-note": "Threats are not allowed here."},
    )
    assert response.status_code == 303

    # The author is told what and why, with a link to appeal.
    messages = mail_sink.to("author@example.org")
    assert len(messages) == 1
    body = mail_sink.body(messages[0])
    assert "Offensive, hateful or threatening" in body
    assert "Threats are not allowed here." in body
    link = next(u for u in mail_sink.links("author@example.org") if "/moderation/decisions/" in u)
    decision_path = re.sub(r"^https?://[^/]+", "", link)

    author_client = _client(app, "author@example.org")
    statement = author_client.get(decision_path).get_data(as_text=True)
    assert "Statement of reasons" in statement and "Send the appeal" in statement
    response = author_client.form(decision_path, {"text": "It was a joke between neighbours."})
    assert response.status_code == 303
    again = author_client.form(decision_path, {"text": "Please look again, it was a joke."})
    assert again.status_code == 409  # one appeal only
    with app.app_context():
        assert db.session.query(Appeal).count() == 1
        appeal_id = db.session.query(Appeal.id).scalar()

    # The moderator who hid it cannot decide the appeal; another one does.
    own = mod1.form(f"/moderation/appeals/{appeal_id}", {"outcome": "upheld"})
    assert own.status_code == 403
    assert "Another moderator must decide" in own.get_data(as_text=True)
    mod2 = _client(app, "mod2@example.org")
    assert "It was a joke between neighbours." in mod2.get(
        f"/moderation/appeals/{appeal_id}"
    ).get_data(as_text=True)
    mail_sink.clear()
    decided = mod2.form(
        f"/moderation/appeals/{appeal_id}",
        {"outcome": "rejected", "note": "A threat is not a joke."},
    )
    assert decided.status_code == 303
    outcome = mail_sink.body(mail_sink.to("author@example.org")[0])
    assert "rejected" in outcome and "A threat is not a joke." in outcome
    assert "idiots" not in anonymous.get(idea_url).get_data(as_text=True)

    # The public log shows the decisions, never the content.
    log = anonymous.get(f"/consultations/{slug}/moderation").get_data(as_text=True)
    assert "Hidden automatically after reports" in log
    assert "Hidden by a moderator" in log
    assert "Appeal rejected" in log
    assert "Offensive, hateful or threatening" in log
    assert "idiots" not in log and "Ann Author" not in log
