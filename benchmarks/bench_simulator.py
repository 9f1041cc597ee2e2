"""Benchmark the budget simulator's aggregate against a bare ``SELECT count(*)``.

    python benchmarks/bench_simulator.py [--responses 100000] [--lines 10] [--repeat 3]
                                         [--out FILE] [--database-url URL]

Builds a scratch SQLite database with the migrations (and, with ``--database-url``, a scratch
PostgreSQL database too: its public schema is DROPPED and rebuilt, so the database name must
contain "scratch" or "bench"), bulk-inserts N submitted responses to one simulator of L lines
(amounts on each line's step grid, deterministic seed), then times, in the same run:

- the baselines: ``SELECT count(*)`` over the response table and over the response-lines table
  (the rows the aggregate reads);
- ``portal.simulator.services.aggregate(simulator)`` in a fresh session (the simulator and its
  lines loaded first, as the results page does), counting its SQL statements.

Prints the figures and the ratio aggregate / baseline; ``--out`` writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "testing")

CHUNK = 20_000


def _timed(func, repeat: int) -> tuple[float, Any]:
    """Median wall time in milliseconds over ``repeat`` runs, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if "scratch" not in name and "bench" not in name:
        raise SystemExit(
            f"Refusing to empty database {name!r}: its name must contain 'scratch' or 'bench'."
        )
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _fill(n: int, line_count: int, seed: int) -> int:
    """Insert one consultation, a simulator of ``line_count`` lines and ``n`` responses."""
    from sqlalchemy import insert

    from portal.accounts.models import User
    from portal.consultations.models import Consultation
    from portal.core.models import utcnow
    from portal.extensions import db
    from portal.simulator.models import (
        Simulator,
        SimulatorLine,
        SimulatorResponse,
        SimulatorResponseLine,
    )

    generator = random.Random(seed)
    consultation = Consultation(slug="bench", title="Benchmark", status="published")
    simulator = Simulator(
        consultation=consultation, title="Benchmark simulator", status="open", tolerance=0
    )
    for position in range(line_count):
        step = generator.choice((5_000_000, 10_000_000, 20_000_000))
        current = step * generator.randint(10, 40)
        simulator.lines.append(
            SimulatorLine(
                position=position,
                name=f"Line {position + 1}",
                group_name="Services" if position % 2 else "Capital",
                current_amount=current,
                minimum=current - 8 * step,
                maximum=current + 12 * step,
                step=step,
            )
        )
    db.session.add(simulator)
    db.session.commit()
    lines = [(line.id, line.current_amount, line.step) for line in simulator.lines]
    now = utcnow()
    user_cols = db.session.execute(
        insert(User)
        .values(
            email="bench-0@example.org",
            display_name="Bench 0",
            session_token="bench-0",
            created_at=now,
            updated_at=now,
        )
        .returning(User.id)
    ).scalar_one()
    first_user = user_cols
    for start in range(1, n, CHUNK):
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"bench-{i}@example.org",
                    "display_name": f"Bench {i}",
                    "session_token": f"bench-{i}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, min(n, start + CHUNK))
            ],
        )
    db.session.commit()
    for start in range(0, n, CHUNK):
        responses, amounts = [], []
        for i in range(start, min(n, start + CHUNK)):
            total = 0
            for line_id, current, step in lines:
                amount = current + step * generator.choice((-2, -1, 0, 0, 0, 1, 1, 2, 3))
                total += amount
                amounts.append(
                    {
                        "response_id": i + 1,
                        "line_id": line_id,
                        "amount": amount,
                        "comment": "Because" if i % 25 == 0 else "",
                        "counted": True,
                    }
                )
            submitted = now - timedelta(minutes=i % (60 * 24 * 20))
            responses.append(
                {
                    "id": i + 1,
                    "simulator_id": simulator.id,
                    "user_id": first_user + i,
                    "comment": "",
                    "total": total,
                    "started_at": submitted - timedelta(seconds=60 + i % 600),
                    "submitted_at": submitted,
                    "completion_seconds": 60 + i % 600,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(SimulatorResponse), responses)
        db.session.execute(insert(SimulatorResponseLine), amounts)
        db.session.commit()
    return simulator.id


def run_one(url: str, n: int, line_count: int, repeat: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import event, text

    from portal import create_app
    from portal.extensions import db
    from portal.migrate import upgrade
    from portal.simulator import services
    from portal.simulator.models import Simulator

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark-only",
            "RATELIMIT_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    figures: dict[str, Any] = {"responses": n, "lines": line_count}
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        simulator_id = _fill(n, line_count, seed)
        figures["insert_seconds"] = round(time.perf_counter() - start, 2)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        figures["database"] = db.engine.dialect.name

        def count(table: str):
            def query():
                with db.engine.connect() as connection:
                    return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()

            return query

        count("simulator_response_lines")()  # warm the cache like the aggregate below
        figures["baseline_count_responses_ms"], rows = _timed(count("simulator_responses"), repeat)
        assert rows == n
        figures["baseline_count_lines_ms"], rows = _timed(count("simulator_response_lines"), repeat)
        assert rows == n * line_count

        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        def aggregate():
            db.session.remove()
            simulator = db.session.get(Simulator, simulator_id)
            simulator.lines  # noqa: B018 - loaded as the results page has them
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                return services.aggregate(simulator)
            finally:
                event.remove(db.engine, "before_cursor_execute", record)

        aggregate()  # warm-up
        figures["aggregate_ms"], data = _timed(aggregate, repeat)
        figures["aggregate_queries"] = len(statements)
        assert data["responses"] == n
        assert all(line["count"] == n for line in data["lines"])
        figures["ratio_to_count_lines"] = round(
            figures["aggregate_ms"] / max(figures["baseline_count_lines_ms"], 0.001), 2
        )
        figures["ratio_to_count_responses"] = round(
            figures["aggregate_ms"] / max(figures["baseline_count_responses_ms"], 0.001), 2
        )
        for key in ("baseline_count_responses_ms", "baseline_count_lines_ms", "aggregate_ms"):
            figures[key] = round(figures[key], 1)
        db.session.remove()
        db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", help="write the figures as JSON to this file")
    parser.add_argument(
        "--database-url",
        help="also run on this scratch PostgreSQL database (its public schema is dropped)",
    )
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        runs.append(
            run_one(
                f"sqlite:///{folder}/bench.db", args.responses, args.lines, args.repeat, args.seed
            )
        )
    if args.database_url:
        url = args.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        _reset_postgres(url)
        runs.append(run_one(url, args.responses, args.lines, args.repeat, args.seed))
    for figures in runs:
        print(
            f"{figures['database']}: {figures['responses']:,} responses × {figures['lines']} "
            f"lines (inserted in {figures['insert_seconds']} s)\n"
            f"  baseline SELECT count(*) responses: {figures['baseline_count_responses_ms']} ms\n"
            f"  baseline SELECT count(*) response lines: {figures['baseline_count_lines_ms']} ms\n"
            f"  aggregate: {figures['aggregate_ms']} ms in {figures['aggregate_queries']} SQL "
            f"queries = {figures['ratio_to_count_lines']}× the count over response lines "
            f"({figures['ratio_to_count_responses']}× the count over responses)"
        )
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "benchmark": "simulator aggregate",
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "runs": runs,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
