"""A support counted twice is impossible, and per-person limits hold, under concurrent
requests on PostgreSQL (SQLite serialises writers, so these tests need PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from portal.accounts.models import User
from portal.consultations import services as consultation_services
from portal.consultations.models import Consultation
from portal.core.errors import PortalError
from portal.extensions import db
from portal.ideas import services
from portal.ideas.models import Idea, Support
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea

THREADS = 8


@pytest.fixture
def postgres(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrency is tested on PostgreSQL")


def _race(app, work) -> list[str]:
    """Run ``work(i)`` in THREADS threads at once, each in its own session; collect outcomes."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(i)
                db.session.commit()
                result = "ok"
            except PortalError as error:
                db.session.rollback()
                result = error.code
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_same_support_sent_concurrently_counts_once(app, postgres):
    with app.app_context():
        consultation = make_consultation()
        idea_id = make_idea(consultation).id
        user_id = make_user().id
        db.session.remove()

    def work(_i):
        services.add_support(db.session.get(User, user_id), db.session.get(Idea, idea_id))

    outcomes = _race(app, work)
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == THREADS - 1
    with app.app_context():
        idea = db.session.get(Idea, idea_id)
        rows = db.session.scalar(db.select(db.func.count(Support.id)))
        assert (idea.support_count, rows) == (1, 1)


def test_many_people_at_once_all_count(app, postgres):
    with app.app_context():
        consultation = make_consultation(support_threshold=THREADS)
        idea_id = make_idea(consultation).id
        user_ids = [make_user().id for _ in range(THREADS)]
        db.session.remove()

    def work(i):
        services.toggle_support(db.session.get(User, user_ids[i]), db.session.get(Idea, idea_id))

    assert _race(app, work) == ["ok"] * THREADS
    with app.app_context():
        idea = db.session.get(Idea, idea_id)
        assert idea.support_count == THREADS and idea.is_qualified


def test_limit_holds_when_one_person_supports_many_ideas_at_once(app, postgres):
    with app.app_context():
        consultation = make_consultation(support_limit=2)
        idea_ids = [make_idea(consultation).id for _ in range(THREADS)]
        user_id = make_user().id
        db.session.remove()

    def work(i):
        services.add_support(db.session.get(User, user_id), db.session.get(Idea, idea_ids[i]))

    outcomes = _race(app, work)
    assert outcomes.count("ok") == 2
    assert outcomes.count("support_limit_reached") == THREADS - 2
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Support.id))) == 2
        total = db.session.scalar(db.select(db.func.sum(Idea.support_count)))
        assert total == 2


def test_a_code_works_once_under_concurrency(app, postgres):
    with app.app_context():
        consultation = make_consultation(require_verification=True)
        [code] = consultation_services.generate_codes(consultation, 1)
        db.session.commit()
        consultation_id = consultation.id
        user_ids = [make_user().id for _ in range(THREADS)]
        db.session.remove()

    def work(i):
        consultation_services.redeem_code(
            db.session.get(User, user_ids[i]), db.session.get(Consultation, consultation_id), code
        )

    outcomes = _race(app, work)
    assert outcomes.count("ok") == 1
    assert outcomes.count("validation_failed") == THREADS - 1
