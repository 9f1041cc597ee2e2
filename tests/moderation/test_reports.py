"""Reports: one per person and item, clear answers, automatic hiding, snapshots, flooding."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.moderation import services
from portal.moderation.models import ModerationAction, ModerationCase, Report
from tests.factories import make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea, people


@pytest.fixture
def content(app):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("writer@example.org")
        idea = make_idea(consultation, author, body="Original text of the idea.")
        comment = make_comment(idea, author, body="Buy cheap watches at spam.example")
        make_user("reporter@example.org")
        return {"idea": idea.id, "comment": comment.id, "author": author.id}


def _api(client, payload):
    return client.api("POST", "/api/v1/reports", json=payload)


def test_api_report_is_received_once(app, client, content):
    client.login("reporter@example.org")
    response = _api(client, {"target": "comment", "id": content["comment"], "reason": "spam"})
    assert response.status_code == 201
    assert response.get_json()["status"] == "open"
    again = _api(client, {"target": "comment", "id": content["comment"], "reason": "offensive"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_reported"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
        assert db.session.scalar(select(ModerationCase.report_count)) == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"target": "planet", "id": 1, "reason": "spam"}, 422, "target"),
        ({"target": "comment", "id": "abc", "reason": "spam"}, 422, "id"),
        ({"target": "comment", "id": 999999, "reason": "spam"}, 404, None),
        ({"target": "comment", "id": None, "reason": "spam"}, 422, "id"),
        ({"target": "comment", "id": "COMMENT", "reason": "rude"}, 422, None),
    ],
)
def test_api_bad_reports_get_clear_answers(app, client, content, payload, status, field):
    client.login("reporter@example.org")
    if payload["id"] == "COMMENT":
        payload = dict(payload, id=content["comment"])
    response = _api(client, payload)
    assert response.status_code == status
    error = response.get_json()["error"]
    if field:
        assert field in error["fields"]


def test_reason_and_detail_are_checked(app, client, content):
    client.login("reporter@example.org")
    response = _api(client, {"target": "idea", "id": content["idea"], "reason": "rude"})
    assert response.status_code == 422 and "reason" in response.get_json()["error"]["fields"]
    long = _api(
        client, {"target": "idea", "id": content["idea"], "reason": "spam", "detail": "x" * 1001}
    )
    assert long.status_code == 422 and "detail" in long.get_json()["error"]["fields"]


def test_anonymous_cannot_report(app, client, content):
    response = client.api("POST", "/api/v1/reports", json={"target": "idea", "id": 1})
    assert response.status_code == 401


def test_own_content_and_yourself_cannot_be_reported(app, client, content):
    client.login("writer@example.org")
    own = _api(client, {"target": "idea", "id": content["idea"], "reason": "spam"})
    assert own.status_code == 403
    myself = _api(client, {"target": "user", "id": content["author"], "reason": "spam"})
    assert myself.status_code == 403


def test_threshold_hides_pending_review_without_double_counting(app, content):
    with app.app_context():
        comment_cls = services.moderated_classes()["comment"]
        comment = db.session.get(comment_cls, content["comment"])
        idea = db.session.get(services.moderated_classes()["idea"], content["idea"])
        assert idea.anchor.comment_count == 1
        for person in people(3):
            services.report(person, comment, "spam", "")
            db.session.commit()
        db.session.refresh(comment)
        assert comment.moderation_state == "pending"
        assert comment.hidden_reason == "reports"
        db.session.refresh(idea.anchor)
        assert idea.anchor.comment_count == 0  # counts only visible comments
        case = services.find_case(comment)
        assert case.report_count == 3 and case.status == "open"
        autos = db.session.scalars(
            select(ModerationAction).where(ModerationAction.action == "auto_hide")
        ).all()
        assert len(autos) == 1 and autos[0].moderator_id is None


def test_reporting_hidden_content_is_answered_clearly(app, client, content):
    with app.app_context():
        comment = db.session.get(services.moderated_classes()["comment"], content["comment"])
        for person in people(3):
            services.report(person, comment, "spam")
            db.session.commit()
    client.login("reporter@example.org")
    response = _api(client, {"target": "comment", "id": content["comment"], "reason": "spam"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_hidden"
    page = client.get(f"/report/comment/{content['comment']}").get_data(as_text=True)
    assert "already been hidden" in page
    with app.app_context():
        assert db.session.scalar(select(ModerationCase.report_count)) == 3


def test_threshold_is_an_admin_setting(app, client, content):
    with app.app_context():
        make_user("admin@example.org", roles=("admin",))
    admin = app.test_client()
    admin.login("admin@example.org")
    response = admin.form(
        "/moderation/settings",
        {
            "settings-report_threshold": "1",
            "settings-new_account_days": "2",
            "settings-new_account_links": "2",
        },
    )
    assert response.status_code == 303
    client.login("reporter@example.org")
    assert (
        _api(client, {"target": "idea", "id": content["idea"], "reason": "spam"}).status_code == 201
    )
    with app.app_context():
        idea = db.session.get(services.moderated_classes()["idea"], content["idea"])
        assert idea.moderation_state == "pending"


def test_snapshot_keeps_the_reported_text_after_an_edit(app, content):
    with app.app_context():
        idea = db.session.get(services.moderated_classes()["idea"], content["idea"])
        reporter = services.load_target("user", make_user().id)
        services.report(reporter, idea, "offensive", "look at the text")
        db.session.commit()
        idea.body = "Harmless now."
        db.session.commit()
        view = services.case_view(services.find_case(idea))
        assert view.snapshots == [(idea.title, "Original text of the idea.")]
        assert view.edited_since_report
        assert view.current_text == "Harmless now."


def test_profile_report(app, client, content):
    client.login("reporter@example.org")
    page = client.get(f"/report/user/{content['author']}")
    assert page.status_code == 200
    response = client.form(f"/report/user/{content['author']}", {"reason": "spam"})
    assert response.status_code == 302
    again = client.form(f"/report/user/{content['author']}", {"reason": "spam"})
    assert again.status_code == 409
    with app.app_context():
        case = db.session.scalar(select(ModerationCase))
        assert case.kind == "user" and case.reported_user_id == content["author"]
        assert case.anchor_id is None and case.report_count == 1


def test_unknown_kind_page_is_not_found(app, client, content):
    client.login("reporter@example.org")
    assert client.get("/report/planet/1").status_code == 404
    assert client.get("/report/idea/999999").status_code == 404


def test_flooding_reports_is_rate_limited(app, client, content):
    app.config["RATELIMIT_REPORTS"] = "3 per minute"
    try:
        client.login("reporter@example.org")
        with app.app_context():
            ideas = [
                make_idea(db.session.get(type(c), c.id), w).id
                for c, w in [
                    (
                        services.load_target("idea", content["idea"]).consultation,
                        services.load_target("user", content["author"]),
                    )
                ]
                * 5
            ]
        answers = [
            _api(client, {"target": "idea", "id": i, "reason": "spam"}).status_code for i in ideas
        ]
        assert answers[:3] == [201, 201, 201]
        assert answers[3:] == [429, 429]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Report)) == 3
        # The limit is per person too: another address does not help.
        other = _api(
            client,
            {"target": "idea", "id": ideas[4], "reason": "spam"},
        )
        assert other.status_code == 429
        assert other.get_json()["error"]["code"] == "rate_limited"
    finally:
        app.config["RATELIMIT_REPORTS"] = "10 per minute;100 per day"


def test_concurrent_reports_count_each_person_once(app, content):
    """Many people report at once, some twice: the count equals the distinct reporters and
    the item is hidden exactly once."""
    with app.app_context():
        reporters = [u.id for u in people(6)]
    results: list[str] = []
    lock = threading.Lock()

    def run(user_id: int) -> None:
        with app.app_context():
            try:
                user = services.load_target("user", user_id)
                target = services.load_target("comment", content["comment"])
                services.report(user, target, "spam")
                db.session.commit()
                outcome = "ok"
            except services.PortalError as exc:
                db.session.rollback()
                outcome = exc.code
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(uid,)) for uid in reporters + reporters[:3]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        reports = db.session.scalar(select(func.count()).select_from(Report))
        case = db.session.scalar(select(ModerationCase))
        autos = db.session.scalar(
            select(func.count()).where(ModerationAction.action == "auto_hide")
        )
        ok = results.count("ok")
        assert reports == ok
        assert case.report_count == ok
        assert autos == 1
        assert set(results) <= {"ok", "already_reported", "already_hidden"}
        assert ok >= 3
