"""A page of comments is read in a fixed, small number of statements: the page with its
count, the replies with their threads' counts, the authors' roles (and the person's votes)."""

from __future__ import annotations

from sqlalchemy import event

from portal.accounts.models import User
from portal.comments import services
from portal.comments.models import Comment
from portal.extensions import db
from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user


def _statements(run) -> tuple[list[str], object]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen, result


def test_a_page_with_replies_and_roles_in_three_statements(app):
    with app.app_context():
        planner = make_user(roles=("planner",), name="Pia")
        admin = make_user(roles=("admin",), name="Adam")
        resident, voter = make_user(name="Rita"), make_user()
        target = make_consultation()
        tops = [
            make_comment(author, target, f"top {i}")
            for i, author in enumerate((planner, resident, resident))
        ]
        for i in range(3):
            make_comment(admin if i == 0 else resident, target, f"reply {i}", parent=tops[0])
        hidden = make_comment(resident, target, "hidden reply", parent=tops[1])
        reply_to_hidden = make_comment(resident, target, "under the hidden one", parent=hidden)
        hidden.moderation_state = "hidden"
        services.vote(voter, tops[1], "up")
        db.session.commit()
        ids, anchor_id = [t.id for t in tops], target.anchor_id
        voter_id, under_hidden_id = voter.id, reply_to_hidden.id
        db.session.expunge_all()

        seen, page = _statements(
            lambda: services.load_page(anchor_id, None, 1, "oldest", replies_per_thread=2)
        )
        assert len(seen) == 3, seen
        assert page.total == 3 and [n.comment.id for n in page.nodes] == ids
        first, second, third = page.nodes
        # Visible replies count, also past the cap; a hidden reply's branch is not shown.
        assert (first.reply_count, len(first.replies), first.hidden_replies) == (3, 2, 1)
        assert (second.reply_count, second.replies) == (1, [])
        assert second.hidden_replies == 1 and under_hidden_id not in {
            r.comment.id for n in page.nodes for r in n.replies
        }
        assert third.reply_count == 0
        # The roles came with the page: reading them runs nothing more.
        seen, official = _statements(
            lambda: [
                n.comment.author.has_role("planner") or n.comment.author.has_role("admin")
                for n in (first, *first.replies, second)
            ]
        )
        assert seen == [] and official == [True, True, False, False]

        db.session.expunge_all()
        voter = db.session.get(User, voter_id)
        seen, page = _statements(lambda: services.load_page(anchor_id, voter, 1, "best"))
        assert len(seen) == 4 and page.nodes[0].comment.id == ids[1]
        assert page.nodes[0].my_vote == 1


def test_pages_past_the_last_and_without_comments(app):
    with app.app_context():
        target = make_consultation()
        author = make_user()
        for i in range(3):
            make_comment(author, target, f"top {i}")
        anchor_id, empty_id = target.anchor_id, make_consultation().anchor_id
        db.session.expunge_all()
        seen, page = _statements(lambda: services.load_page(anchor_id, None, 2, per_page=2))
        assert (page.total, len(page.nodes), len(seen)) == (3, 1, 3), seen
        page_two_id = page.nodes[0].comment.id
        seen, page = _statements(lambda: services.load_page(anchor_id, None, 5, per_page=2))
        assert (page.total, page.nodes, page.pages) == (3, [], 2)
        assert len(seen) == 2  # the page, then the count it could not give
        seen, page = _statements(lambda: services.load_page(empty_id, None, 1))
        assert (page.total, page.nodes, len(seen)) == (0, [], 1)
        db.session.expunge_all()
        root = db.session.get(Comment, page_two_id)
        seen, thread = _statements(lambda: services.load_thread(root, None))
        assert (
            thread.comment.author.roles == {"resident"} and len(seen) == 3
        )  # author, replies, roles
