"""A ballot check-out is the write of closing day: a small, fixed number of SQL statements,
whatever the number of projects chosen or of ballots already cast."""

from __future__ import annotations

from sqlalchemy import event

from portal.extensions import db
from tests.budgets.factories import make_budget, project_ids
from tests.factories import make_user

# the person, the budget with consultation and phases, its projects, the person's row lock
# with the person's ballot (none), INSERT ballot, INSERT choices, DELETE the draft
CHECKOUT_STATEMENTS = 7


def _checkout_statements(app, client, budget_id: int, chosen: list[int], email: str):
    with app.app_context():
        engine = db.engine
    client.login(email)
    token = client.csrf_token()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split())[:100])

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.post(
            f"/api/v1/budgets/{budget_id}/ballot/checkout",
            json={"projects": [{"id": i} for i in chosen]},
            headers={"X-CSRFToken": token},
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 201, answer.get_json()
    client.post("/logout", data={"csrf_token": token})
    return statements


def test_a_check_out_runs_a_fixed_small_number_of_statements(app):
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
        for n in range(3):
            make_user(f"voter{n}@example.org")
    one = _checkout_statements(app, app.test_client(), budget_id, ids[:1], "voter0@example.org")
    three = _checkout_statements(app, app.test_client(), budget_id, ids[2:5], "voter1@example.org")
    again = _checkout_statements(app, app.test_client(), budget_id, ids[:1], "voter2@example.org")
    with app.app_context():
        engine_dialect = db.engine.dialect.name
    assert len(one) == len(again) == CHECKOUT_STATEMENTS, "\n".join(one)
    # PostgreSQL inserts all choices in one statement; SQLite's ORM path one per choice.
    per_choice = 1 if engine_dialect == "sqlite" else 0
    assert len(three) == CHECKOUT_STATEMENTS + 2 * per_choice, "\n".join(three)


def test_with_the_budget_kept_a_check_out_does_not_read_it(app, fragments):
    app.extensions["portal_page_cache"].objects.clear()
    with app.app_context():
        budget = make_budget()
        budget_id, ids = budget.id, project_ids(budget)
        for n in range(2):
            make_user(f"kept{n}@example.org")
    _checkout_statements(app, app.test_client(), budget_id, ids[:1], "kept0@example.org")
    statements = _checkout_statements(
        app, app.test_client(), budget_id, ids[:1], "kept1@example.org"
    )
    assert len(statements) == CHECKOUT_STATEMENTS - 1, "\n".join(statements)
    assert not any("FROM budgets" in statement for statement in statements)
