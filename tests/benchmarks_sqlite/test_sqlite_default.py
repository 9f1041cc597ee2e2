"""``make bench`` on the SQLite default: the seed leaves planner statistics, receipts are
checked on either database, and the report sets each SQLite figure against PostgreSQL's."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import text

from benchmarks import run_all
from benchmarks.load import Result
from portal.extensions import db
from portal.ops.seed import seed_large


def quiet(_line: str) -> None:
    """seed_large's echo, silenced."""


def test_seed_on_sqlite_leaves_statistics_and_the_default_page_cache(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's planner statistics")
        seed_large(ideas=40, comments=80, supports=60, voters=12, projects=4, echo=quiet)
        analysed = set(db.session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
        # The seeding connection's large page cache went with it (the engine was disposed).
        cache = db.session.scalar(text("PRAGMA cache_size"))
    assert {"ideas", "comments", "supports", "users"} <= analysed
    assert cache == -2000


def test_lost_ballots_counts_receipts_missing_and_ballots_without_choices(app, tmp_path):
    from portal.budgets.models import Ballot, BallotChoice

    with app.app_context():
        manifest = seed_large(ideas=2, comments=0, supports=0, voters=3, projects=3, echo=quiet)
        budget_id = manifest["budget"]["id"]
        voter = manifest["voters"]["first_id"]
        project = db.session.scalar(
            text("SELECT min(id) FROM budget_projects WHERE budget_id = :b"), {"b": budget_id}
        )
        kept = Ballot(budget_id=budget_id, voter_id=voter, receipt_code="R-KEPT", fingerprint="a")
        empty = Ballot(
            budget_id=budget_id, voter_id=voter + 1, receipt_code="R-EMPTY", fingerprint="b"
        )
        db.session.add_all([kept, empty])
        db.session.flush()
        db.session.add(BallotChoice(ballot_id=kept.id, project_id=project))
        db.session.commit()
    receipts = tmp_path / "receipts.txt"
    receipts.write_text("R-KEPT\nR-EMPTY\nR-NEVER-STORED\n")

    found = run_all.lost_ballots(app, budget_id, str(receipts))

    assert found == {"acknowledged": 3, "lost": 1, "without_choices": 1}
    assert not receipts.exists()


def test_sqlite_state_and_manifest_files_are_named_after_the_file():
    sqlite = argparse.Namespace(database_url="sqlite:////srv/bench/bench.sqlite")
    postgres = argparse.Namespace(
        database_url="postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_ops"
    )
    assert run_all.db_name(sqlite) == "bench"
    assert run_all.db_name(postgres) == "portal_bench_ops"


def lite(name: str, rps: float, statuses: dict[str, int], locked: int = 0) -> Result:
    errors = sum(n for code, n in statuses.items() if code >= "400")
    return Result(
        name,
        rps=rps,
        p99_ms=50.0,
        statuses=statuses,
        errors=errors,
        extra={"database_is_locked": locked},
    )


def test_comparison_gives_ratio_goal_and_locks_per_endpoint():
    postgresql = [
        Result("insert", rps=1000.0, p99_ms=20.0),
        Result("support", rps=200.0, p99_ms=100.0),
        Result("ballot check-out", rps=100.0, p99_ms=200.0),
        Result("simulator submission", rps=100.0, p99_ms=150.0),
        Result("budget page (anonymous)", skipped="no seeded data for it"),
    ]
    sqlite = [
        lite("insert", 500.0, {"201": 900}),
        lite("support", 130.0, {"201": 380, "503": 3}, locked=3),
        lite("ballot check-out", 61.0, {"201": 180}),
        lite("simulator submission", 59.0, {"201": 170}),
        lite("budget page (anonymous)", 400.0, {"200": 1200}),
    ]

    rows = {row["endpoint"]: row for row in run_all.sqlite_comparison(postgresql, sqlite)}

    assert rows["insert"]["baseline"] is True
    assert rows["insert"]["ratio"] == 0.5
    # 65 % is enough, but a "database is locked" fails the goal.
    assert rows["support"]["ratio"] == 0.65
    assert rows["support"]["sqlite_non_2xx"] == 3
    assert rows["support"]["database_is_locked"] == 3
    assert rows["support"]["goal_met"] is False
    assert rows["ballot check-out"]["goal_met"] is True
    assert rows["simulator submission"]["goal_met"] is False  # 59 %
    assert "skipped" in rows["budget page (anonymous)"]

    data = {"ideas": 10, "comments": 20, "supports": 30, "voters": 40, "projects": 5}
    report = {
        "path": "bench.sqlite",
        "size": "small",
        "data": data,
        "seed_seconds": 12.5,
        "seeded_this_run": True,
        "settings": {"journal_mode": "wal", "busy_timeout": 10000},
        "comparison": list(rows.values()),
        "locked_in_log": 3,
        "server_log": "sqlite-server.log",
        "log_warnings": {"WARNING portal.ops.outage": 3},
    }
    markdown = "\n".join(run_all.sqlite_markdown(report, {**data, "ideas": 100}))

    assert (
        "| support | 130.0 | 200.0 | 65% | 50.00 | 100.00 | 3 | 3 | ≥ 60%, none locked: NOT met |"
        in (markdown)
    )
    assert "| ballot check-out | 61.0 | 100.0 | 61% |" in markdown
    assert "| insert | 500.0 | 1000.0 | 50% |" in markdown and "(baseline: context)" in markdown
    assert "1 of 3 endpoints met" in markdown
    assert "PostgreSQL's data set differs" in markdown
    assert "WARNING portal.ops.outage" in markdown


def test_server_log_summary_counts_warnings_by_logger():
    log = (
        "2026-11-22 04:59:40,263 WARNING portal.ops.outage [8caa] database unavailable on POST "
        "/api/v1/ideas/3/support: (sqlite3.OperationalError) database is locked\n"
        "2026-11-22 04:59:41,263 WARNING portal.ops.outage [8cab] database unavailable ...\n"
        "[2026-11-22 04:59:42 +0000] [123] [ERROR] Worker (pid:130) was sent SIGSEGV!\n"
        "[2026-11-22 04:59:42 +0000] [123] [INFO] Booting worker with pid: 131\n"
    )
    assert run_all.log_summary(log) == {"WARNING portal.ops.outage": 2, "ERROR gunicorn": 1}
    assert log.count(run_all.LOCKED) == 1


def test_make_bench_can_skip_the_sqlite_run(capsys):
    with pytest.raises(SystemExit):
        run_all.main(["--help"])
    assert "--no-sqlite" in capsys.readouterr().out
