"""The signed-in idea page reads the idea, the viewer's support and the supports they have
used in one statement, and shows the same as when each was read on its own."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.ideas import services
from tests.conftest import count_queries
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea


def _statements(app, client, url: str) -> tuple[list[str], str]:
    with app.app_context(), count_queries() as seen:
        response = client.get(url)
    assert response.status_code == 200
    return [" ".join(statement.split()) for statement in seen], response.get_data(as_text=True)


@pytest.mark.parametrize("limit", [None, 3])
def test_support_marks_come_with_the_idea(app, client, limit):
    with app.app_context():
        consultation = make_consultation(support_limit=limit)
        supported, other = make_idea(consultation), make_idea(consultation)
        voter = make_user("marks@example.org")
        services.add_support(voter, supported)
        services.add_support(voter, make_idea(consultation))
        db.session.commit()
        ids = supported.id, other.id
    client.login("marks@example.org")
    for idea_id, pressed in zip(ids, (True, False), strict=True):
        seen, html = _statements(app, client, f"/ideas/{idea_id}")
        reading = [s for s in seen if "supports" in s]
        # one statement reads the idea with the viewer's marks; none reads supports alone
        assert len(reading) == 1, reading
        assert "FROM ideas" in reading[0]
        assert ('aria-pressed="true"' in html) is pressed
        assert ('aria-pressed="false"' in html) is not pressed
        used = "You have used 2 of your 3 supports."
        assert (used in html) is (limit is not None)


def test_marks_are_the_viewers_own(app, ctx):
    consultation = make_consultation(support_limit=5)
    idea = make_idea(consultation)
    elsewhere = make_idea(make_consultation())
    fan, other = make_user(), make_user()
    services.add_support(fan, idea)
    services.add_support(other, elsewhere)  # another consultation's supports do not count
    db.session.commit()
    idea_id = idea.id
    for viewer, expected in ((fan, (True, 1)), (other, (False, 0))):
        found, supported, used = services.get_idea_with_marks(idea_id, viewer)
        assert found.id == idea_id
        assert (supported, used) == expected
        assert (supported, used) == (
            services.has_supported(viewer, found),
            services.supports_used(viewer, found.consultation),
        )


def test_marks_keep_the_visibility_rules(app, ctx):
    from portal.core.errors import NotFound

    consultation = make_consultation()
    idea = make_idea(consultation)
    consultation.status = "draft"  # its ideas are for staff only
    db.session.commit()
    with pytest.raises(NotFound):
        services.get_idea_with_marks(idea.id, make_user())
    with pytest.raises(NotFound):
        services.get_idea_with_marks(10**9, make_user())
    planner = make_user(roles=("planner",))
    assert services.get_idea_with_marks(idea.id, planner)[1:] == (False, 0)
