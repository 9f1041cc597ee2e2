"""Residents reach the report form from the content itself, never their own."""

from __future__ import annotations

from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea


def test_idea_page_offers_a_report_link_to_others_only(client, ctx):
    consultation = make_consultation(open_phases=("ideas", "discussion"))
    author = make_user()
    idea = make_idea(consultation, author=author)
    link = f"/report/idea/{idea.id}"
    assert link not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    client.login(author.email)
    assert link not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    client.form("/logout")
    other = make_user()
    client.login(other.email)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert link in page
    assert client.get(link).status_code == 200
