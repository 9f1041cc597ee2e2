"""Moderators' decisions: who may take them, blocking and unblocking, dismissing, bulk
actions, notes, appeals through the API, and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.moderation import services
from portal.moderation.models import Appeal, BlockedContent, ModerationAction, ModerationCase
from tests.factories import PASSWORD, make_user
from tests.moderation.factories import make_comment, make_consultation, make_idea, people


def _load(kind, id_):
    return services.load_target(kind, id_)


@pytest.fixture
def world(app):
    with app.app_context():
        consultation = make_consultation()
        author = make_user("author@example.org", name="Author")
        idea = make_idea(consultation, author, title="Idea to moderate here")
        comment = make_comment(idea, author, body="A comment by the author.")
        other = make_comment(idea, make_user("other@example.org"), body="Unrelated comment.")
        reporter = make_user("reporter@example.org")
        services.report(reporter, comment, "spam", "")
        db.session.commit()
        mod1 = make_user("mod1@example.org", roles=("moderator",), name="Moderator Uno")
        mod2 = make_user("mod2@example.org", roles=("moderator",))
        make_user("planner@example.org", roles=("planner",))
        make_user("admin@example.org", roles=("admin",))
        return {
            "consultation": consultation.id,
            "slug": consultation.slug,
            "idea": idea.id,
            "comment": comment.id,
            "other": other.id,
            "author": author.id,
            "case": services.find_case(comment).id,
            "mod1": mod1.id,
            "mod2": mod2.id,
        }


def _as(app, email):
    client = app.test_client()
    client.login(email)
    return client


MOD_POSTS = [
    ("/moderation/cases/{case}/hide", {"hide-reason": "spam"}),
    ("/moderation/cases/{case}/restore", {}),
    ("/moderation/cases/{case}/dismiss", {}),
    ("/moderation/cases/{case}/notes", {"note-text": "hm"}),
    ("/moderation/cases/{case}/block", {"block-reason": "spam"}),
    ("/moderation/users/{author}/block", {"block-reason": "spam"}),
    ("/moderation/users/{author}/unblock", {}),
    ("/moderation/bulk", {"action": "hide", "reason": "spam", "case_ids": "{case}"}),
]
API_POSTS = [
    ("/api/v1/moderation/cases/{case}/hide", {"reason": "spam"}),
    ("/api/v1/moderation/cases/{case}/restore", {}),
    ("/api/v1/moderation/cases/{case}/dismiss", {}),
    ("/api/v1/moderation/cases/{case}/notes", {"text": "hm"}),
    ("/api/v1/moderation/users/{author}/block", {"reason": "spam"}),
    ("/api/v1/moderation/users/{author}/unblock", {}),
    ("/api/v1/moderation/bulk", {"action": "hide", "reason": "spam", "case_ids": ["{case}"]}),
]


@pytest.mark.parametrize("email", ["reporter@example.org", "planner@example.org"])
def test_residents_and_planners_cannot_reach_moderator_actions(app, world, email):
    client = _as(app, email)
    for path in ("/moderation", f"/moderation/cases/{world['case']}", "/moderation/appeals"):
        assert client.get(path).status_code == 403, path
    for path, data in MOD_POSTS:
        data = {k: v.format(**world) for k, v in data.items()}
        assert client.form(path.format(**world), data).status_code == 403, path
    assert client.get("/api/v1/moderation/queue").status_code == 403
    for path, body in API_POSTS:
        assert client.api("POST", path.format(**world), json=body).status_code == 403, path
    assert client.get("/moderation/blocklist").status_code == 403
    assert client.get("/moderation/audit").status_code == 403
    with app.app_context():
        comment = _load("comment", world["comment"])
        assert comment.moderation_state == "published"
        assert _load("user", world["author"]).blocked_at is None
        assert db.session.scalars(select(ModerationAction.action)).all() == []


def test_moderators_cannot_reach_admin_screens(app, world):
    client = _as(app, "mod1@example.org")
    assert client.get("/moderation").status_code == 200
    assert client.get("/moderation/blocklist").status_code == 403
    assert client.get("/moderation/audit").status_code == 403
    admin = _as(app, "admin@example.org")
    assert admin.get("/moderation/audit").status_code == 200
    assert admin.get("/moderation/blocklist").status_code == 200


def test_moderators_cannot_act_on_their_own_appeal_or_content(app, world):
    with app.app_context():
        mod1 = _load("user", world["mod1"])
        mod2 = _load("user", world["mod2"])
        idea = _load("idea", world["idea"])
        own = make_comment(idea, mod2, body="A moderator's own comment.")
        with pytest.raises(services.Forbidden):
            services.hide(mod2, own, "spam")
        db.session.rollback()
        action = services.hide(mod1, own, "spam", "not here")
        db.session.commit()
        appeal = services.appeal(mod2, action, "I disagree with this decision.")
        db.session.commit()
        appeal_id = appeal.id
    # mod2 cannot decide their own appeal; mod1 cannot decide against their own hiding.
    for email in ("mod2@example.org", "mod1@example.org"):
        client = _as(app, email)
        response = client.api(
            "POST", f"/api/v1/moderation/appeals/{appeal_id}/decide", json={"outcome": "upheld"}
        )
        assert response.status_code == 403
    admin = _as(app, "admin@example.org")
    response = admin.api(
        "POST", f"/api/v1/moderation/appeals/{appeal_id}/decide", json={"outcome": "upheld"}
    )
    assert response.status_code == 200
    assert response.get_json()["appeal"]["status"] == "upheld"
    again = admin.api(
        "POST", f"/api/v1/moderation/appeals/{appeal_id}/decide", json={"outcome": "rejected"}
    )
    assert again.status_code == 409
    with app.app_context():
        assert db.session.get(Appeal, appeal_id).status == "upheld"
        restored = db.session.scalar(
            select(ModerationAction).where(ModerationAction.action == "appeal_upheld")
        )
        assert _load("comment", restored.anchor.target().id).moderation_state == "published"


def test_api_queue_and_hide_with_statement(app, world, mail_sink):
    client = _as(app, "mod1@example.org")
    queue = client.get("/api/v1/moderation/queue").get_json()
    assert queue["total"] == 1
    item = queue["items"][0]
    assert item["kind"] == "comment" and item["reasons"] == {"spam": 1}
    assert item["snapshots"][0]["text"] == "A comment by the author."
    bad = client.api("POST", f"/api/v1/moderation/cases/{world['case']}/hide", json={})
    assert bad.status_code == 422 and "reason" in bad.get_json()["error"]["fields"]
    ok = client.api(
        "POST",
        f"/api/v1/moderation/cases/{world['case']}/hide",
        json={"reason": "spam", "note": "Advertising."},
    )
    assert ok.status_code == 200 and ok.get_json()["action"] == "hide"
    twice = client.api(
        "POST", f"/api/v1/moderation/cases/{world['case']}/hide", json={"reason": "spam"}
    )
    assert twice.status_code == 409
    body = mail_sink.body(mail_sink.to("author@example.org")[0])
    assert "Spam or advertising" in body and "Advertising." in body
    assert client.get("/api/v1/moderation/queue").get_json()["total"] == 0
    author = _as(app, "author@example.org")
    decisions = author.get("/api/v1/moderation/decisions").get_json()["items"]
    assert decisions[0]["can_appeal"] is True
    appeal = author.api(
        "POST",
        f"/api/v1/moderation/decisions/{decisions[0]['id']}/appeal",
        json={"text": "short"},
    )
    assert appeal.status_code == 422
    appeal = author.api(
        "POST",
        f"/api/v1/moderation/decisions/{decisions[0]['id']}/appeal",
        json={"text": "This is not advertising at all."},
    )
    assert appeal.status_code == 201
    twice = author.api(
        "POST",
        f"/api/v1/moderation/decisions/{decisions[0]['id']}/appeal",
        json={"text": "This is not advertising at all."},
    )
    assert twice.status_code == 409
    stranger = _as(app, "reporter@example.org")
    assert (
        stranger.get(f"/moderation/decisions/{decisions[0]['id']}").status_code == 404
    )  # someone else's statement
    appeals = _as(app, "mod2@example.org").get("/api/v1/moderation/appeals").get_json()
    assert appeals["total"] == 1 and appeals["items"][0]["hidden_by"] == world["mod1"]


def test_block_hides_everything_and_unblock_restores_exactly_that(app, world, mail_sink):
    with app.app_context():
        mod1 = _load("user", world["mod1"])
        author = _load("user", world["author"])
        idea = _load("idea", world["idea"])
        hidden_before = make_comment(idea, author, body="Already hidden before the block.")
        services.hide(mod1, hidden_before, "off_topic")
        db.session.commit()
        hidden_before_id = hidden_before.id
        assert idea.anchor.comment_count == 2
    author_client = _as(app, "author@example.org")
    client = _as(app, "mod1@example.org")
    missing = client.form(f"/moderation/users/{world['author']}/block", {"block-reason": ""})
    assert missing.status_code == 422
    response = client.form(
        f"/moderation/users/{world['author']}/block", {"block-reason": "Repeated spam."}
    )
    assert response.status_code == 303
    with app.app_context():
        author = _load("user", world["author"])
        assert author.blocked_at is not None and author.blocked_reason == "Repeated spam."
        for kind, id_ in (("idea", world["idea"]), ("comment", world["comment"])):
            assert _load(kind, id_).moderation_state == "hidden"
        assert _load("comment", world["other"]).moderation_state == "published"
        assert (
            db.session.scalar(
                select(BlockedContent.id).where(
                    BlockedContent.anchor_id == _load("comment", hidden_before_id).anchor_id
                )
            )
            is None
        )
        assert _load("idea", world["idea"]).anchor.comment_count == 1
    # Their session ended, and they cannot log in again.
    assert author_client.get("/moderation/decisions").status_code == 302
    login = app.test_client().form("/login", {"email": "author@example.org", "password": PASSWORD})
    assert login.status_code != 302
    assert "Repeated spam." in mail_sink.body(mail_sink.to("author@example.org")[-1])

    again = client.form(f"/moderation/users/{world['author']}/block", {"block-reason": "x"})
    assert again.status_code == 409
    response = client.form(f"/moderation/users/{world['author']}/unblock", {})
    assert response.status_code == 303
    with app.app_context():
        assert _load("user", world["author"]).blocked_at is None
        assert _load("idea", world["idea"]).moderation_state == "published"
        assert _load("comment", world["comment"]).moderation_state == "published"
        assert _load("comment", hidden_before_id).moderation_state == "hidden"  # untouched
        assert db.session.scalars(select(BlockedContent)).all() == []
        assert _load("idea", world["idea"]).anchor.comment_count == 2
    app.test_client().login("author@example.org")


def test_only_admins_block_moderators(app, world):
    client = _as(app, "mod1@example.org")
    response = client.form(f"/moderation/users/{world['mod2']}/block", {"block-reason": "x"})
    assert response.status_code == 403
    itself = client.form(f"/moderation/users/{world['mod1']}/block", {"block-reason": "x"})
    assert itself.status_code == 403
    admin = _as(app, "admin@example.org")
    ok = admin.form(f"/moderation/users/{world['mod2']}/block", {"block-reason": "abuse"})
    assert ok.status_code == 303


def test_dismiss_brings_back_auto_hidden_content(app, world):
    with app.app_context():
        comment = _load("comment", world["comment"])
        for person in people(2):
            services.report(person, comment, "offensive")
            db.session.commit()
        assert comment.moderation_state == "pending"
    client = _as(app, "mod1@example.org")
    response = client.form(f"/moderation/cases/{world['case']}/dismiss", {"dismiss-note": "fine"})
    assert response.status_code == 303
    with app.app_context():
        comment = _load("comment", world["comment"])
        assert comment.moderation_state == "published"
        case = db.session.get(ModerationCase, world["case"])
        assert case.report_count == 0 and case.status == "closed"
    nothing = client.form(f"/moderation/cases/{world['case']}/dismiss", {})
    assert nothing.status_code == 409


def test_bulk_hide_and_block(app, world):
    with app.app_context():
        idea = _load("idea", world["idea"])
        spammer = make_user("spammer@example.org")
        spam = [make_comment(idea, spammer, body=f"spam {i}") for i in range(3)]
        reporter = _load("user", make_user().id)
        cases = []
        for item in spam:
            services.report(reporter, item, "spam")
            db.session.commit()
            cases.append(services.find_case(item).id)
        spammer_id = spammer.id
        spam_ids = [c.id for c in spam]
    client = _as(app, "mod1@example.org")
    response = client.form(
        "/moderation/bulk",
        {"action": "hide", "reason": "spam", "case_ids": [str(cases[0]), str(cases[1])]},
    )
    assert response.status_code == 303
    response = client.api(
        "POST",
        "/api/v1/moderation/bulk",
        json={"action": "block", "reason": "Spam wave.", "case_ids": [cases[2], cases[0], 999]},
    )
    data = response.get_json()
    assert response.status_code == 200
    assert [a["action"] for a in data["done"]] == ["block"]
    assert {s["case_id"] for s in data["skipped"]} == {999}
    with app.app_context():
        assert _load("user", spammer_id).blocked_at is not None
        assert all(_load("comment", c).moderation_state == "hidden" for c in spam_ids)
    bad = client.api("POST", "/api/v1/moderation/bulk", json={"action": "block", "case_ids": [1]})
    assert bad.status_code == 422


def test_notes_are_private_and_everything_is_audited(app, world):
    client = _as(app, "mod1@example.org")
    empty = client.form(f"/moderation/cases/{world['case']}/notes", {"note-text": ""})
    assert empty.status_code == 422
    client.form(f"/moderation/cases/{world['case']}/notes", {"note-text": "Known spammer."})
    assert "Known spammer." in client.get(f"/moderation/cases/{world['case']}").get_data(
        as_text=True
    )
    client.form(f"/moderation/cases/{world['case']}/hide", {"hide-reason": "spam"})
    slug = world["slug"]
    public = app.test_client().get(f"/consultations/{slug}/moderation").get_data(as_text=True)
    assert "Known spammer." not in public
    author = _as(app, "author@example.org")
    with app.app_context():
        action_id = db.session.scalar(
            select(ModerationAction.id).where(ModerationAction.action == "hide")
        )
    assert "Known spammer." not in author.get(f"/moderation/decisions/{action_id}").get_data(
        as_text=True
    )
    audit = _as(app, "admin@example.org").get("/moderation/audit").get_data(as_text=True)
    assert "Hidden by a moderator" in audit
    with app.app_context():
        assert _load("user", world["mod1"]).display_name in audit
    with app.app_context():
        row = db.session.get(ModerationAction, action_id)
        assert row.moderator_id == world["mod1"] and row.reason == "spam"
        assert row.created_at is not None and row.kind == "comment"


def test_restore_refuses_while_an_appeal_waits(app, world):
    with app.app_context():
        mod1 = _load("user", world["mod1"])
        mod2 = _load("user", world["mod2"])
        comment = _load("comment", world["comment"])
        action = services.hide(mod1, comment, "spam")
        services.appeal(_load("user", world["author"]), action, "Please reconsider this one.")
        db.session.commit()
        with pytest.raises(services.Conflict):
            services.restore(mod2, comment)
