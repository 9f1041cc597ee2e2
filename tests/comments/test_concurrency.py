"""Votes and follows under concurrent requests (PostgreSQL only: SQLite serialises writers)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.comments import services
from portal.comments.models import Comment, CommentVote
from portal.core.errors import PortalError
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Follow
from tests.comments.factories import make_comment, make_consultation
from tests.factories import make_user


@pytest.fixture
def postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrency is tested on PostgreSQL")


def _run_concurrently(app, jobs) -> list:
    """Run each job (a callable) in its own thread, app context and session, all at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except PortalError as error:
                db.session.rollback()
                errors.append(error)
            except Exception as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _vote_job(comment_id: int, user_id: int, value: str):
    def job():
        comment = db.session.get(Comment, comment_id)
        user = db.session.get(User, user_id)
        services.vote(user, comment, value)

    return job


def _setup(voters: int):
    consultation = make_consultation()
    author = make_user()
    comment = make_comment(author, consultation)
    users = [make_user() for _ in range(voters)]
    return comment.id, [u.id for u in users]


def _counters(comment_id: int) -> tuple[int, int, int, int]:
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    ups = db.session.scalar(
        select(func.count()).where(CommentVote.comment_id == comment_id, CommentVote.value == 1)
    )
    downs = db.session.scalar(
        select(func.count()).where(CommentVote.comment_id == comment_id, CommentVote.value == -1)
    )
    return comment.up_count, comment.down_count, ups, downs


def test_same_person_voting_at_once_counts_once(app, ctx, postgres_only):
    comment_id, (user_id,) = _setup(1)
    errors = _run_concurrently(app, [_vote_job(comment_id, user_id, "up") for _ in range(8)])
    assert errors == []
    assert _counters(comment_id) == (1, 0, 1, 0)


def test_many_people_voting_at_once_all_count(app, ctx, postgres_only):
    comment_id, user_ids = _setup(8)
    errors = _run_concurrently(app, [_vote_job(comment_id, uid, "up") for uid in user_ids])
    assert errors == []
    assert _counters(comment_id) == (8, 0, 8, 0)


def test_mixed_changes_at_once_keep_counters_true(app, ctx, postgres_only):
    comment_id, (user_id,) = _setup(1)
    values = ["up", "down", "none", "up", "down", "up", "none", "down"]
    errors = _run_concurrently(app, [_vote_job(comment_id, user_id, v) for v in values])
    assert errors == []
    up, down, ups, downs = _counters(comment_id)
    assert (up, down) == (ups, downs)
    assert ups + downs <= 1


def test_following_at_once_makes_one_row(app, ctx, postgres_only):
    consultation = make_consultation()
    anchor_id = consultation.anchor_id
    user_id = make_user().id

    def job():
        from portal.core.anchors import Anchor

        target = db.session.get(Anchor, anchor_id)
        notifications.follow(db.session.get(User, user_id), target)

    errors = _run_concurrently(app, [job for _ in range(8)])
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 1


def test_comment_counter_under_concurrent_posting(app, ctx, postgres_only):
    consultation = make_consultation()
    cons_anchor = consultation.anchor_id
    user_ids = [make_user().id for _ in range(8)]

    def job_for(uid):
        def job():
            target = services.target_for_anchor(cons_anchor)
            services.post_comment(db.session.get(User, uid), target, f"hello from {uid}")

        return job

    errors = _run_concurrently(app, [job_for(uid) for uid in user_ids])
    assert errors == []
    db.session.expire_all()
    assert services.target_for_anchor(cons_anchor).anchor.comment_count == 8
