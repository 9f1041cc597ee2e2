from portal.comments.models import Comment
from portal.extensions import db
from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user


def test_post_reply_and_render(client, app):
    with app.app_context():
        consultation = make_consultation()
        slug = consultation.slug
        anchor_id = consultation.anchor_id
        make_user("ann@example.org")
    client.login("ann@example.org")
    r = client.form(f"/comments/on/{anchor_id}", {"body": "Hello **world**", "stance": "for"})
    assert r.status_code == 303, r.get_data(as_text=True)
    with app.app_context():
        comment = db.session.scalars(db.select(Comment)).one()
        assert comment.stance == "for"
        cid = comment.id
    r = client.form(f"/comments/on/{anchor_id}", {"body": "A reply", "parent_id": str(cid)})
    assert r.status_code == 303
    page = client.get(f"/consultations/{slug}")
    print(page.status_code)


def test_section_renders(app):
    from flask import render_template_string

    with app.app_context():
        consultation = make_consultation()
        ann = make_user()
        c = make_comment(ann, consultation, "Top <script>alert(1)</script>")
        make_comment(ann, consultation, "reply", parent=c)
        with app.test_request_context("/x?comments_page=1"):
            html = render_template_string(
                '{% with target=t %}{% include "comments/_section.html" %}{% endwith %}',
                t=consultation,
            )
        assert "reply" in html
        assert "<script>alert" not in html
        assert "(2)" in html
