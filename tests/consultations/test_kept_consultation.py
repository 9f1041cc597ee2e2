"""A consultation with its phases, themes and districts is kept in the process under the
content generation: later requests get it into their own session without SQL, any public
write makes them read it again, and drafts stay hidden from those who may not see them."""

from __future__ import annotations

import pytest

from portal.consultations import services
from portal.consultations.models import Category
from portal.core.errors import NotFound
from portal.extensions import db
from tests.factories import make_user
from tests.ideas.factories import make_consultation


@pytest.fixture
def kept(app):
    app.config["FRAGMENT_CACHE_ENABLED"] = True
    cache = app.extensions["portal_page_cache"]
    cache.objects.clear()
    yield cache
    app.config["FRAGMENT_CACHE_ENABLED"] = False
    cache.objects.clear()


def test_a_kept_consultation_comes_without_sql_and_belongs_to_the_request(app, kept, queries):
    with app.app_context():
        slug = make_consultation(categories=("Parks", "Roads"), districts=("East",)).slug
    with app.app_context():
        services.get_by_slug(slug)  # read and kept
    with app.app_context(), queries() as statements:
        consultation = services.get_by_slug(slug)
        names = [c.name for c in consultation.categories]
        districts = [d.name for d in consultation.districts]
        phases = {p.kind for p in consultation.phases}
    assert statements == []
    assert names == ["Parks", "Roads"] and districts == ["East"]
    assert {"ideas", "discussion", "support"} <= phases
    with app.app_context():
        consultation = services.get_by_slug(slug)
        assert consultation in db.session  # a copy of the request's own: it can be changed
        consultation.summary = "Changed in this request only"
        assert services.get_by_slug(slug).summary == "Changed in this request only"
        db.session.rollback()


def test_a_public_write_makes_the_next_request_read_it_again(app, kept):
    with app.app_context():
        consultation = make_consultation(categories=("Parks",))
        slug, consultation_id = consultation.slug, consultation.id
        services.get_by_slug(slug)
    with app.app_context():
        category = db.session.query(Category).filter_by(consultation_id=consultation_id).one()
        category.name = "Parks and gardens"
        db.session.commit()
    with app.app_context():
        assert [c.name for c in services.get_by_slug(slug).categories] == ["Parks and gardens"]


def test_a_kept_draft_is_still_hidden_from_residents(app, kept):
    with app.app_context():
        slug = make_consultation(status="draft").slug
        planner = make_user(roles=("planner",))
        resident = make_user()
        assert services.get_by_slug(slug, planner).status == "draft"  # kept now
        with pytest.raises(NotFound):
            services.get_by_slug(slug, resident)
        with pytest.raises(NotFound):
            services.get_by_slug("no-such-consultation")


def test_without_the_cache_every_request_reads_the_database(app, queries):
    with app.app_context():
        slug = make_consultation().slug
        services.get_by_slug(slug)
    with app.app_context(), queries() as statements:
        services.get_by_slug(slug)
    assert len(statements) == 1
