"""The assembly layer: only public content, results only once published, fixed queries."""

from __future__ import annotations

from datetime import timedelta

from portal.core.models import utcnow
from portal.exports import assemble
from portal.exports.assemble import Settings
from portal.extensions import db
from portal.ideas.models import Idea
from tests.exports.factories import make_world


def _all_text(data) -> str:
    return repr(data)


def test_hidden_pending_withdrawn_and_deleted_content_never_appears(ctx):
    world = make_world()
    data = assemble.assemble(world.consultation)
    text = _all_text(data)
    for secret in world.secrets:
        assert secret not in text
    assert "More shade trees on Main Street" in text
    assert data.participation.ideas == 5  # the three others are hidden, pending, withdrawn
    assert data.participation.comments == 4  # hidden, deleted and on-hidden-idea left out
    # Moderation figures count what was hidden, by reason, without showing it.
    assert data.methodology.hidden["offensive"]["idea"] == 1
    assert data.methodology.hidden["spam"]["comment"] == 1
    assert data.methodology.pending == 1


def test_participation_numbers_and_weeks(ctx):
    world = make_world()
    p = assemble.assemble(world.consultation).participation
    assert p.supports == 15
    assert p.ballots == 5
    assert p.simulator_responses == 3
    data = assemble.assemble(world.consultation)
    parks = data.simulators[0].lines[0]
    assert (parks.current, parks.median) == (300_000, 450_000)
    # Six people took part, but the sixth only wrote a comment that moderation hid.
    assert p.participants == 5
    assert sum(w.ideas for w in p.weeks) == 5
    assert sum(w.supports for w in p.weeks) == 15
    weeks = [w.week for w in p.weeks]
    assert all(b - a == timedelta(days=7) for a, b in zip(weeks, weeks[1:], strict=False))
    assert {d.name: d.ideas for d in p.districts} == {"North": 2, "South": 3}


def test_themes_feature_the_most_supported_ideas_and_strongest_arguments(ctx):
    world = make_world()
    data = assemble.assemble(world.consultation, Settings(ideas_per_theme=2))
    parks = next(t for t in data.themes if t.name == "Parks")
    assert [i.title for i in parks.featured] == [
        "More shade trees on Main Street",
        "A riverside walking loop",
    ]
    assert parks.featured[0].url.endswith(f"/ideas/{world.ideas[0].id}")
    assert [a.up for a in parks.arguments["for"]] == [7, 3]
    assert [a.up for a in parks.arguments["against"]] == [5]
    assert "neutral" not in parks.arguments
    assert parks.responses[0].status == "accepted"
    assert parks.statuses == {"published": 2, "accepted": 1}


def test_planner_choices_select_themes_ideas_and_budgets(ctx):
    world = make_world()
    mobility = next(c for c in world.consultation.categories if c.name == "Mobility")
    chosen = world.ideas[3]
    settings = Settings(theme_ids=[mobility.id], idea_ids=[chosen.id], budget_ids=[])
    data = assemble.assemble(world.consultation, settings)
    assert [t.name for t in data.themes] == ["Mobility"]
    assert [i.id for i in data.themes[0].featured] == [chosen.id]
    assert data.budgets == []


def test_budget_votes_only_once_results_are_published(ctx):
    world = make_world(published_results=False, simulator_published=False)
    data = assemble.assemble(world.consultation)
    budget = data.budgets[0]
    assert not budget.published
    assert all(p.votes is None and not p.funded for p in budget.projects)
    assert data.simulators[0].published is False
    assert data.simulators[0].lines == []

    world.budget.results_published_at = utcnow()
    db.session.commit()
    budget = assemble.assemble(world.consultation).budgets[0]
    votes = {p.title: p.votes for p in budget.projects}
    assert votes == {"Shade trees": 3, "Garden": 3, "Bike lanes": 2}
    assert {p.title for p in budget.funded} == {"Shade trees", "Garden"}
    assert budget.spent == 90_000 * 100
    assert all(p.funded_proportional is not None for p in budget.projects)


def test_support_counts_stay_hidden_while_the_consultation_hides_them(ctx):
    world = make_world(hide_support_counts=True, support_phase_open=True)
    data = assemble.assemble(world.consultation)
    assert data.supports_visible is False
    assert data.participation.supports is None
    assert all(i.supports is None for t in data.themes for i in t.featured)
    assert all(w.supports == 0 for w in data.participation.weeks)


def _more_ideas(world, count: int) -> None:
    theme = world.consultation.categories[0]
    for n in range(count):
        db.session.add(
            Idea(
                consultation=world.consultation,
                author=world.users[n % 6],
                title=f"Extra idea {n}",
                body="text",
                category=theme,
                support_count=n,
            )
        )
    db.session.commit()


def test_the_number_of_queries_does_not_grow_with_the_data(ctx, queries):
    world = make_world()
    _more_ideas(world, 2)
    assemble.assemble(world.consultation)  # budget results are computed once, then cached
    db.session.commit()
    db.session.expire_all()
    with queries() as small:
        assemble.assemble(world.consultation)
    db.session.rollback()
    _more_ideas(world, 30)
    db.session.expire_all()
    with queries() as large:
        assemble.assemble(world.consultation)
    db.session.rollback()
    assert len(large) == len(small)
