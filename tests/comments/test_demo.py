from sqlalchemy import func, select

from portal.accounts.services import create_user
from portal.comments import demo
from portal.comments.models import Comment
from portal.extensions import db
from tests.comments.factories import make_consultation


def test_demo_comments_are_idempotent(app, ctx):
    assert demo.load() == []  # no demo accounts yet: nothing to do
    for name in ("resident", "planner", "moderator", "admin"):
        create_user(f"{name}@example.org", "demo-password", [])
    assert demo.load() == []  # no consultation yet
    consultation = make_consultation()
    lines = demo.load()
    db.session.commit()
    assert len(lines) == 1
    count = db.session.scalar(select(func.count()).select_from(Comment))
    assert count == len(demo.CONVERSATION)
    assert demo.load() == []
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == count
    db.session.expire_all()
    assert consultation.anchor.comment_count == count
    assert db.session.scalar(select(func.max(Comment.depth))) == 2
