"""A support is the most frequent write of a busy consultation: it runs a small, fixed number
of SQL statements whatever the data size, with no reload after the commit."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.extensions import db
from tests.factories import make_user
from tests.ideas.factories import make_consultation, make_idea

# the person with roles, the idea with consultation and phases, INSERT, UPDATE … RETURNING
# (which also counts the person's own supports); on PostgreSQL the INSERT is a WITH of the
# UPDATE, one statement
WITHOUT_LIMIT = {"sqlite": 4, "postgresql": 3}
# a limit adds the row lock that keeps the count right under concurrent requests, and the
# count under that lock (before the INSERT, to refuse a support beyond the limit)
WITH_LIMIT = 6


@pytest.mark.parametrize("limit, expected", [(None, WITHOUT_LIMIT), (3, WITH_LIMIT)])
def test_a_support_through_the_api_runs_a_fixed_small_number_of_statements(
    app, client, limit, expected
):
    with app.app_context():
        consultation = make_consultation(support_limit=limit)
        ideas = [make_idea(consultation).id for _ in range(3)]
        make_user("supporter@example.org")
        engine = db.engine
    if isinstance(expected, dict):
        expected = expected[engine.dialect.name]
    client.login("supporter@example.org")
    token = client.csrf_token()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        counts = []
        first: list[str] = []
        for idea_id in ideas:
            statements.clear()
            answer = client.post(f"/api/v1/ideas/{idea_id}/support", headers={"X-CSRFToken": token})
            assert answer.status_code == 201, answer.get_json()
            counts.append(len(statements))
            first = first if counts[1:] else list(statements)
        statements.clear()
        again = client.post(f"/api/v1/ideas/{ideas[0]}/support", headers={"X-CSRFToken": token})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert counts == [expected] * 3, "\n".join(" ".join(s.split())[:80] for s in first)
    assert answer.get_json()["supports_used"] == 3
    assert answer.get_json()["support_count"] == 1
    # Supporting twice is refused by the UNIQUE constraint in the same single INSERT.
    assert again.status_code == 409


def test_the_one_statement_support_counts_like_the_two(app, ctx):
    """Whatever the database: the count, "qualified", the person's supports (earlier ones in
    the consultation included, other consultations' not) and a refused second support."""
    from portal.core.errors import Conflict
    from portal.ideas import services

    consultation = make_consultation(support_threshold=2)
    first, second = make_idea(consultation), make_idea(consultation)
    elsewhere = make_idea(make_consultation())
    person, other = make_user(), make_user()
    services.add_support(person, elsewhere)
    services.add_support(other, second)
    assert services.add_support(person, first).supports_used == 1
    state = services.add_support(person, second)
    assert (state.support_count, state.is_qualified, state.supports_used) == (2, True, 2)
    db.session.commit()
    before = second.updated_at
    with pytest.raises(Conflict):
        services.add_support(person, second)
    db.session.rollback()
    db.session.refresh(second)
    assert (second.support_count, second.is_qualified, second.updated_at) == (2, True, before)
