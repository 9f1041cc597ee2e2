"""`portal demo` makes a believable consultation, and running it twice adds nothing."""

from __future__ import annotations

from portal.accountability import demo as accountability_demo
from portal.accountability import services as accountability
from portal.accountability.models import OfficialResponse
from portal.accounts import demo as accounts_demo
from portal.consultations import demo as consultations_demo
from portal.extensions import db
from portal.ideas import demo as ideas_demo
from portal.ideas.models import Idea, Support


def _load() -> list[str]:
    lines = []
    for module in (accounts_demo, consultations_demo, ideas_demo, accountability_demo):
        lines += module.load()
        db.session.commit()
    return lines


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(db.select(db.func.count(model.id)))
        for model in (Idea, Support, OfficialResponse)
    )


def test_demo_is_believable_and_idempotent(client, ctx):
    lines = _load()
    assert any("verification codes" in line for line in lines)
    ideas, supports, answers = _counts()
    assert ideas >= 30 and supports > 50 and answers >= 15
    _load()
    assert _counts() == (ideas, supports, answers)
    consultation = consultations_demo.demo_consultation()
    times = accountability.response_times(consultation)
    assert times.overall.answered >= 15 and times.waiting
    assert times.overall.median_days and times.overall.median_days > 3
    assert 0 < times.overall.share(7) < 1
    # counters agree with the rows
    for idea in db.session.scalars(db.select(Idea)):
        rows = db.session.scalar(
            db.select(db.func.count(Support.id)).where(Support.idea_id == idea.id)
        )
        assert idea.support_count == rows
    # a new resident can take part right away
    client.login("resident@example.org", "demo-password")
    page = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "Propose an idea" in page
    target = db.session.scalar(db.select(Idea).where(Idea.status == "published"))
    response = client.api("POST", f"/api/v1/ideas/{target.id}/support")
    assert response.status_code == 201, response.json
    assert client.get(f"/consultations/{consultation.slug}/response-times").status_code == 200
    assert client.get(f"/consultations/{consultation.slug}/feed.atom").status_code == 200
