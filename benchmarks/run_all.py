"""``make bench``: the portal's load benchmarks on PostgreSQL, against baselines measured in
the same run, plus the other engineers' benchmark scripts.

    python benchmarks/run_all.py [--duration 10] [--scenario-duration 60] [--size city|small]
                                 [--database-url URL] [--only NAME ...] [--faults]
                                 [--no-sqlite] [--sqlite-path FILE] [--sqlite-size city|small]

What it does, all on 127.0.0.1 and bounded in time:

1. creates (if missing) and migrates the benchmark database (default ``portal_bench_ops``),
   and fills it with ``portal seed-large`` when it holds no seeded consultation yet
   (``--size city``: 100k ideas, 1M comments, 2M supports, 200k voters, 200 projects; a few
   minutes. ``--size small`` for a quick look);
2. starts two gunicorns with the same settings (gunicorn.conf.py; workers and threads from
   ``--workers``/``--threads``): the bare baseline app (benchmarks/baseline_app.py) and the
   portal (rate limits off: every request comes from one address);
3. measures with wrk (benchmarks/replay.lua): requests per second and p50/p99 latency of the
   baselines (hello, one INSERT, a 20-row SELECT) and of the portal's endpoints, each as a
   ratio to its baseline; endpoints whose capability is missing are skipped with a line;
4. runs the closing-day scenario (voters logging in, browsing, saving and checking out
   ballots at ``--rate`` requests per second for ``--scenario-duration`` seconds) and counts
   errors and lost ballots (acknowledged receipts missing from the database);
5. measures the same endpoints on the SQLite default (unless ``--no-sqlite``): the same data
   set seeded into a SQLite file (``--sqlite-path``, default benchmarks/results/bench.sqlite;
   about 2 to 3 minutes at city size), the portal under the same gunicorn settings with
   ``DATABASE_URL=sqlite:///…`` (so with the app's own SQLite settings: WAL, busy_timeout),
   and reports each endpoint's SQLite figure as a ratio to the PostgreSQL one (goal ≥ 60 %)
   with the "database is locked" lines of the SQLite server's log and its non-2xx answers;
6. runs benchmarks/bench_*.py of other capabilities when present, and with ``--faults`` the
   fault scripts that do not disturb others (benchmarks/faults.py);
7. writes benchmarks/results/run-<time>.json and .md and prints the table.

Each benchmark uses voters that no earlier run used (kept in results/state-<db>.json): one
person supports or votes once, as in real life. When they run out, re-seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from benchmarks.load import (  # noqa: E402
    RESULTS,
    ROOT,
    SECRET_KEY,
    CpuMeter,
    Minter,
    Result,
    Server,
    ensure_wrk,
    portal_env,
    run_wrk,
    shuffled,
    voter_tokens,
)
from portal.ops.serving import default_threads  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_ops"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
SIZES = {
    "city": {"ideas": 100_000, "comments": 1_000_000, "supports": 2_000_000, "voters": 200_000},
    "small": {"ideas": 10_000, "comments": 100_000, "supports": 200_000, "voters": 60_000},
}
BASELINES = ("hello", "insert", "select20")
GOALS = {  # endpoint: (baseline, minimum ratio)
    "home (anonymous)": ("hello", 0.5),
    "idea list (anonymous)": ("hello", 0.5),
    "idea list (signed in)": ("select20", 0.35),
    "support": ("insert", 0.4),
    "ballot check-out": ("insert", 0.3),
}
P99_GOALS_MS = {"support": 150, "ballot check-out": 250}
MAX_STATEMENTS = {"idea list (signed in)": 6}


# --------------------------------------------------------------------------- database


def prepare_database(url: str, recreate: bool = False) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if recreate:
            print(f"Dropping database {target.database}")
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            print(f"Creating database {target.database}")
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def build_app(url: str, redis_url: str):
    os.environ.update(
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "BASE_URL": "http://127.0.0.1",
            "RATELIMIT_ENABLED": "0",
        }
    )
    from portal import create_app
    from portal.migrate import upgrade

    app = create_app()
    with app.app_context():
        upgrade()
        schema_drift(app)
    return app


def schema_drift(app) -> None:
    """Warn when the database differs from the models (a migration edited after it ran)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.extensions import db

    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    tables = [d for d in diffs if d and d[0] in ("add_column", "add_table", "remove_column")]
    if tables:
        print(
            "WARNING: the benchmark database differs from the models "
            f"({len(tables)} differences, e.g. {tables[0][:3]}); run with --recreate.",
            flush=True,
        )


def seeded_manifest(app, args) -> dict[str, Any]:
    """The manifest of the newest seeded consultation, seeding one when there is none."""
    from portal.ops.seed import seed_large

    path = Path(args.manifest) if args.manifest else RESULTS / f"seed-{db_name(args)}.json"
    if path.exists() and not args.reseed:
        manifest = json.loads(path.read_text())
        from sqlalchemy import text

        from portal.extensions import db

        with app.app_context():
            slug = manifest.get("consultation", {}).get("slug")
            found = db.session.scalar(
                text("SELECT id FROM consultations WHERE slug = :s"), {"s": slug}
            )
        if found:
            refresh_voter_passwords(app, manifest)
            return manifest
    size = SIZES[args.size]
    print(f"Seeding a '{args.size}' data set: {size} ...", flush=True)
    with app.app_context():
        manifest = seed_large(projects=200, echo=lambda line: print(line, flush=True), **size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2))
    state_path(args).unlink(missing_ok=True)
    return manifest


def refresh_voter_passwords(app, manifest: dict[str, Any]) -> None:
    """Seeded voters share one password hash; when the portal's hash parameters changed since
    the seed, make it again, or every benchmark log-in would pay for the old parameters and a
    re-hash (what a real voter pays once)."""
    from sqlalchemy import text

    from portal.accounts.services import _hasher, hash_password
    from portal.extensions import db

    voters = manifest.get("voters") or {}
    first, count = voters.get("first_id"), voters.get("count")
    if not first or not count or not manifest.get("password"):
        return
    with app.app_context():
        stored = db.session.scalar(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": first}
        )
        if not stored or not _hasher.check_needs_rehash(stored):
            return
        print("Re-making the seeded voters' password hash with the current parameters", flush=True)
        db.session.execute(
            text("UPDATE users SET password_hash = :new WHERE id >= :a AND id < :b"),
            {"new": hash_password(manifest["password"]), "a": first, "b": first + count},
        )
        db.session.commit()


def db_name(args) -> str:
    """The PostgreSQL database's name, or the SQLite file's stem (bench.sqlite: "bench")."""
    from sqlalchemy.engine import make_url

    url = make_url(args.database_url)
    if url.get_backend_name() == "sqlite":
        return Path(url.database or "sqlite").stem
    return url.database or "db"


def state_path(args) -> Path:
    return RESULTS / f"state-{db_name(args)}.json"


class VoterPool:
    """Hands out seeded voters that no earlier benchmark run used."""

    def __init__(self, app, manifest: dict[str, Any], args) -> None:
        self.app = app
        self.first = manifest["voters"]["first_id"]
        self.count = manifest["voters"]["count"]
        self.path = state_path(args)
        state = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.used = state.get("used", 0) if state.get("tag") == manifest["tag"] else 0
        self.tag = manifest["tag"]

    def take(self, count: int) -> list[tuple[int, str, str]]:
        available = self.count - self.used
        if available <= 0:
            return []
        count = min(count, available)
        voters = voter_tokens(self.app, self.first + self.used, count)
        self.used += count
        self.path.write_text(json.dumps({"tag": self.tag, "used": self.used}))
        return voters


# --------------------------------------------------------------------------- benchmarks


def capability(app, endpoint: str) -> bool:
    return endpoint in app.view_functions


def project_choice(app, budget_id: int) -> list[int]:
    """Three cheap projects: a ballot that passes the knapsack rules."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT id FROM budget_projects WHERE budget_id = :b AND feasibility = 'feasible' "
                "ORDER BY cost, id LIMIT 3"
            ),
            {"b": budget_id},
        ).all()
    return [r[0] for r in rows]


def simulator_body(app, simulator_id: int) -> str:
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        rows = db.session.execute(
            text("SELECT id, current_amount FROM simulator_lines WHERE simulator_id = :s"),
            {"s": simulator_id},
        ).all()
    lines = {str(r[0]): r[1] // 100 for r in rows}
    return json.dumps({"lines": lines, "submit": True}, separators=(",", ":"))


def settle(url: str, limit: float = 60) -> None:
    """Wait until the server has finished what earlier runs left queued (wrk stops sending,
    the server does not stop working): one run must not slow the next."""
    from benchmarks.load import http

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            http(url + "/healthz", timeout=limit)
        if time.monotonic() - started < 0.3:
            return
        time.sleep(0.5)


LOCKED = "database is locked"


def measure(name, url, lines, args, baseline="", warm=True, server=None, **kwargs) -> Result:
    """One endpoint under wrk (after a 2 s warm-up). With ``server``, the lines of its log
    that say "database is locked" while it ran (warm-up included) go into ``extra``."""
    logged_before = server.output().count(LOCKED) if server else 0
    settle(url)
    if warm:
        run_wrk(name, url, lines, duration=2, connections=args.connections)
        settle(url)
    meter = CpuMeter(server) if server is not None else None
    result = run_wrk(
        name, url, lines, duration=args.duration, connections=args.connections, **kwargs
    )
    result.baseline = baseline
    if meter is not None:
        result.extra["cpu_ms_per_request"] = meter.per_request_ms(result.requests)
    if server is not None:
        result.extra["database_is_locked"] = server.output().count(LOCKED) - logged_before
    print(
        f"  {name:<34} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:8.2f} ms  errors {result.errors}  {result.statuses}"
        + (f"  '{LOCKED}': {result.extra['database_is_locked']}" if server else ""),
        flush=True,
    )
    return result


def skipped(name: str, why: str) -> Result:
    print(f"  {name:<34} skipped: {why}", flush=True)
    return Result(name, skipped=why)


def statements_per_request(app, path: str, cookie: str) -> dict[str, int]:
    """SQL statements of two in-process requests of ``path`` with the session ``cookie``:
    the first may fill caches, the repeat is what most readers get."""
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    seen = [0]

    def count(*_args, **_kwargs) -> None:
        seen[0] += 1

    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    counts = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for label in ("first", "repeat"):
            seen[0] = 0
            status = client.get(path).status_code
            counts[label] = seen[0] if status == 200 else -status
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


def run_endpoints(
    app,
    manifest,
    args,
    portal_url,
    baseline_url,
    baselines=("hello", "insert", "select20"),
    server=None,
    baseline_server=None,
) -> list[Result]:
    """The baselines named in ``baselines``, then every portal endpoint; ``server`` (the
    portal's Server) and ``baseline_server`` make each result count the "database is locked"
    lines of that server's log."""
    minter = Minter(app)
    pool = VoterPool(app, manifest, args)
    results: list[Result] = []
    only = set(args.only or [])

    def wanted(name: str) -> bool:
        return not only or any(word in name for word in only)

    print("Baselines (benchmarks/baseline_app.py, same gunicorn settings):", flush=True)
    for name, method, path, warm in (
        ("hello", "GET", "/hello", True),
        ("insert", "POST", "/insert", False),
        ("select20", "GET", "/select20", True),
    ):
        if name in baselines:
            request = [(method, path, "", "", "")]
            results.append(
                measure(name, baseline_url, request, args, warm=warm, server=baseline_server)
            )

    anonymous = [minter.session() for _ in range(300)]
    slug = manifest.get("consultation", {}).get("slug")
    first_idea = manifest.get("ideas", {}).get("first_id")
    budget_id = manifest.get("budget", {}).get("id")
    simulator_id = manifest.get("simulator", {}).get("id")
    signed_in = [minter.session(token) for _, _, token in pool.take(300)]

    # Well-discussed ideas, but not the very top ones (see the report for those).
    popular = min(1000, manifest.get("ideas", {}).get("count", 0) // 10)

    def pages(path_of, cookies, count=2000):
        return [("GET", path_of(i), cookies[i % len(cookies)][0], "", "") for i in range(count)]

    print("Portal:", flush=True)
    plan = [
        ("home (anonymous)", "main.home", lambda i: "/", anonymous, "hello"),
        (
            "idea list (anonymous)",
            "ideas.index",
            lambda i: f"/consultations/{slug}/ideas",
            anonymous,
            "hello",
        ),
        (
            "idea list (signed in)",
            "ideas.index",
            lambda i: f"/consultations/{slug}/ideas",
            signed_in,
            "select20",
        ),
        (
            "idea list page 5, by support (anon.)",
            "ideas.index",
            lambda i: f"/consultations/{slug}/ideas?sort=supported&page=5",
            anonymous,
            "hello",
        ),
        (
            "idea page + comments (anonymous)",
            "ideas.show",
            lambda i: f"/ideas/{first_idea + popular + (i * 7) % 200}",
            anonymous,
            "hello",
        ),
        (
            "idea page + comments (signed in)",
            "ideas.show",
            lambda i: f"/ideas/{first_idea + popular + (i * 7) % 200}",
            signed_in,
            "select20",
        ),
        (
            "budget page (anonymous)",
            "budgets.show",
            lambda i: f"/budgets/{budget_id}",
            anonymous,
            "hello",
        ),
        (
            "budget page (signed in)",
            "budgets.show",
            lambda i: f"/budgets/{budget_id}",
            signed_in,
            "select20",
        ),
    ]
    for name, endpoint, path_of, cookies, baseline in plan:
        if not wanted(name):
            continue
        if not capability(app, endpoint):
            results.append(skipped(name, f"endpoint {endpoint} does not exist yet"))
        elif ("idea" in name and not first_idea) or ("budget" in name and not budget_id):
            results.append(skipped(name, "no seeded data for it"))
        else:
            lines = pages(path_of, cookies)
            result = measure(name, portal_url, lines, args, baseline, server=server)
            if name in MAX_STATEMENTS:
                result.extra["statements"] = statements_per_request(app, path_of(0), cookies[0][0])
            results.append(result)

    writes_needed = max(3000, int(args.duration * 800))
    if wanted("support"):
        if not capability(app, "api.add_support") or not first_idea:
            results.append(skipped("support", "the support API or seeded ideas are missing"))
        else:
            voters = pool.take(writes_needed)
            rng_ideas = shuffled(range(manifest["ideas"]["count"]), seed=pool.used)
            lines = []
            for k, (_, _, token) in enumerate(voters):
                cookie, csrf = minter.session(token)
                idea = first_idea + rng_ideas[k % len(rng_ideas)]
                lines.append(("POST", f"/api/v1/ideas/{idea}/support", cookie, csrf, "{}"))
            results.append(
                measure("support", portal_url, lines, args, "insert", warm=False, server=server)
            )
    if wanted("check-out"):
        projects = project_choice(app, budget_id) if budget_id else []
        if not capability(app, "api.ballot_checkout") or not projects:
            results.append(
                skipped("ballot check-out", "the ballot API or a seeded budget is missing")
            )
        else:
            body = json.dumps({"projects": projects}, separators=(",", ":"))
            lines = []
            for _, _, token in pool.take(writes_needed):
                cookie, csrf = minter.session(token)
                lines.append(
                    ("POST", f"/api/v1/budgets/{budget_id}/ballot/checkout", cookie, csrf, body)
                )
            receipts = str(RESULTS / "receipts-checkout.txt")
            result = measure(
                "ballot check-out",
                portal_url,
                lines,
                args,
                "insert",
                warm=False,
                server=server,
                receipts_file=receipts,
            )
            result.extra.update(lost_ballots(app, budget_id, receipts))
            results.append(result)
    if wanted("simulator"):
        if not capability(app, "api.simulator_save_response") or not simulator_id:
            results.append(skipped("simulator submission", "the simulator API or data is missing"))
        else:
            body = simulator_body(app, simulator_id)
            lines = []
            for _, _, token in pool.take(writes_needed):
                cookie, csrf = minter.session(token)
                lines.append(
                    ("PUT", f"/api/v1/simulators/{simulator_id}/response", cookie, csrf, body)
                )
            results.append(
                measure(
                    "simulator submission",
                    portal_url,
                    lines,
                    args,
                    "insert",
                    warm=False,
                    server=server,
                )
            )
    return results


def lost_ballots(app, budget_id: int, receipts_file: str) -> dict[str, int]:
    """Acknowledged receipts missing from the database, and ballots stored without choices."""
    from sqlalchemy import bindparam, text

    from portal.extensions import db

    codes = [c for c in Path(receipts_file).read_text().split() if c]
    Path(receipts_file).unlink(missing_ok=True)
    # IN with an expanding parameter works on PostgreSQL and SQLite (ANY() is PostgreSQL's);
    # chunks of 5,000 stay under SQLite's limit on bound variables.
    found_query = text("SELECT count(*) FROM ballots WHERE receipt_code IN :c").bindparams(
        bindparam("c", expanding=True)
    )
    with app.app_context():
        found = 0
        for start in range(0, len(codes), 5000):
            chunk = codes[start : start + 5000]
            found += db.session.scalar(found_query, {"c": chunk}) or 0
        empty = db.session.scalar(
            text(
                "SELECT count(*) FROM ballots b WHERE b.budget_id = :b AND NOT EXISTS "
                "(SELECT 1 FROM ballot_choices c WHERE c.ballot_id = b.id)"
            ),
            {"b": budget_id},
        )
    return {"acknowledged": len(codes), "lost": len(codes) - found, "without_choices": empty or 0}


def closing_day(
    app,
    manifest,
    args,
    portal_url,
    rate: float = 0,
    duration: float = 0,
    label: str = "",
    server=None,
) -> Result:
    """Many voters at once: logging in, browsing, saving and checking out ballots."""
    from urllib.parse import urlencode

    rate = rate or args.rate
    duration = duration or args.scenario_duration
    name = f"{label or 'closing day'} (aim {rate:.0f} req/s, {duration:.0f} s)"
    budget_id = manifest.get("budget", {}).get("id")
    projects = project_choice(app, budget_id) if budget_id else []
    if not (capability(app, "api.ballot_checkout") and projects):
        return skipped(name, "needs the ballot API and a seeded budget")
    minter = Minter(app)
    pool = VoterPool(app, manifest, args)
    total = int(rate * duration * 1.2) + 100
    voters = pool.take(total // 4 + 50)
    if len(voters) < 50:
        return skipped(name, "no unused seeded voters left: re-seed (--reseed)")
    slug = manifest["consultation"]["slug"]
    first_idea = manifest.get("ideas", {}).get("first_id") or 0
    body = json.dumps({"projects": projects}, separators=(",", ":"))
    password = manifest["password"]
    lines: list[tuple[str, ...]] = []
    anonymous = [minter.session() for _ in range(200)]
    for k, (voter_id, email, token) in enumerate(voters, start=1):
        cookie, csrf = minter.session(token)
        anon_cookie, anon_csrf = anonymous[k % len(anonymous)]
        visit = [
            ("GET", "/", anon_cookie, "", ""),
            ("GET", f"/consultations/{slug}/ideas", anon_cookie, "", ""),
            ("GET", f"/budgets/{budget_id}", cookie, "", ""),
            ("GET", f"/ideas/{first_idea + (voter_id * 13) % 500}", cookie, "", ""),
            # wrk spreads one voter's requests over several connections, so a draft saved
            # "before" the check-out may arrive after it (a correct 409): read the ballot
            # page instead.
            ("GET", f"/budgets/{budget_id}/ballot", cookie, "", ""),
            ("POST", f"/api/v1/budgets/{budget_id}/ballot/checkout", cookie, csrf, body),
        ]
        if k % 6 == 0:  # one voter in six logs in for real (Argon2 and all)
            form = urlencode({"email": email, "password": password, "csrf_token": anon_csrf})
            visit.insert(0, ("FORM", "/login", anon_cookie, "", form))
        lines.extend(visit)
    receipts = str(RESULTS / "receipts-closing-day.txt")
    connections = max(args.connections, 32)
    settle(portal_url)
    meter = CpuMeter(server) if server is not None else None
    result = run_wrk(
        name,
        portal_url,
        lines[:total],
        duration=duration,
        connections=connections,
        rate=rate,
        receipts_file=receipts,
        timeout_s=20,
    )
    if meter is not None:
        result.extra["cpu_ms_per_request"] = meter.per_request_ms(result.requests)
    result.extra.update(lost_ballots(app, budget_id, receipts))
    result.note = (
        f"{connections} connections; each checkout is a different voter; "
        f"lost = acknowledged receipts not in the database"
    )
    print(
        f"  {name}: {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms,"
        f" errors {result.errors}, statuses {result.statuses}, ballots {result.extra}",
        flush=True,
    )
    return result


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_memory(app, manifest, args, env) -> Result:
    """One worker (recycling off) serves ``--memory-requests`` requests of the reading mix
    (pages for visitors and signed-in voters across many ideas): its resident memory after a
    warm-up is compared with the end. Goal: less than 10 % growth."""
    name = f"worker memory over {args.memory_requests:,} requests"
    if args.memory_requests <= 0:
        return skipped(name, "--memory-requests 0")
    minter = Minter(app)
    voters = VoterPool(app, manifest, args).take(100)
    if not voters:
        return skipped(name, "no unused seeded voters left: re-seed (--reseed)")
    slug = manifest["consultation"]["slug"]
    first_idea = manifest.get("ideas", {}).get("first_id") or 0
    budget_id = manifest.get("budget", {}).get("id")
    # 20,000 different ideas, or all but the last of a smaller data set (idea + 1 is read too):
    # an idea that does not exist would be a 404, not a page.
    spread = max(1, min(20000, (manifest.get("ideas", {}).get("count") or 1) - 1))
    anonymous = minter.session()[0]
    lines = []
    for k, (_voter_id, _email, token) in enumerate(voters):
        cookie = minter.session(token)[0]
        for j in range(20):
            idea = first_idea + (k * 997 + j * 7919) % spread
            lines += [
                ("GET", "/", anonymous, "", ""),
                ("GET", f"/consultations/{slug}/ideas?page={1 + j % 50}", cookie, "", ""),
                ("GET", f"/ideas/{idea}", cookie, "", ""),
                ("GET", f"/ideas/{idea + 1}", anonymous, "", ""),
            ]
            if budget_id:
                lines.append(("GET", f"/budgets/{budget_id}", cookie, "", ""))
    server = Server("wsgi:app", {**env, "GUNICORN_MAX_REQUESTS": "0"}, 1, args.threads)
    try:
        server.wait_ready("/healthz")
        [pid] = server.worker_pids()
        warm = run_wrk(name + " (warm-up)", server.url, lines, duration=20, connections=8)
        before = rss_kib(pid)
        served = warm.requests
        rounds = []
        started = time.monotonic()
        replaced = ""
        while served < args.memory_requests + warm.requests:
            result = run_wrk(name, server.url, lines, duration=30, connections=8)
            served += result.requests
            rounds.append(result)
            if server.worker_pids() != [pid]:
                # The worker died (a time-out or a crash): memory growth cannot be judged.
                replaced = server.output()[-6000:]
                break
            if result.requests == 0 or time.monotonic() - started > args.memory_timeout:
                break
        after = rss_kib(pid)
    finally:
        server.stop()
    total = Result(name)
    total.requests = served - warm.requests
    total.errors = sum(r.errors for r in rounds)
    for result in rounds:  # which answers the errors were (503 from shedding, 500, ...)
        for code, count in result.statuses.items():
            total.statuses[code] = total.statuses.get(code, 0) + count
    total.rps = total.requests / max(sum(30 for _ in rounds), 1)
    growth = (after - before) / before if before else 0.0
    total.extra = {
        "rss_after_warmup_mib": round(before / 1024, 1),
        "rss_end_mib": round(after / 1024, 1),
        "growth": f"{growth:.1%}",
        "goal": "< 10 %: " + ("met" if growth < 0.10 else "NOT met"),
    }
    if replaced:
        total.extra["goal"] = "not judged: the worker was replaced"
        total.note = f"the worker was replaced after {total.requests:,} requests: {replaced}"
    elif total.requests < args.memory_requests:
        total.note = f"stopped after {args.memory_timeout} s with {total.requests:,} requests"
    print(f"  {name}: {total.extra}, {total.requests:,} requests, {total.note}", flush=True)
    return total


# --------------------------------------------------------------------------- SQLite default

SQLITE_GOAL = 0.6  # each SQLite figure at least 60 % of PostgreSQL's, none "database is locked"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def restored_environment():
    """build_app() writes the app's settings into os.environ; put the old ones back, so that
    what runs later (the other benchmarks, the faults) still sees PostgreSQL's URL."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def sqlite_settings(app) -> dict[str, Any]:
    """The pragmas a connection of the app's own engine has (what a SQLite deployment gets)."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        settings = {
            name: connection.scalar(text(f"PRAGMA {name}"))
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
        }
        # Planner statistics: the seed runs ANALYZE; a SQLite deployment has none unless
        # something runs ANALYZE or PRAGMA optimize (the report says which it measured).
        settings["planner_statistics"] = bool(
            connection.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
        )
        return settings


def prepare_sqlite_baseline(path: Path, env: dict[str, str]) -> None:
    """A fresh baseline file in WAL mode (the mode is stored in the file, so the baseline app's
    connections use it too), its table made once here rather than by five workers at once."""
    import sqlite3

    remove_sqlite(path)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    subprocess.run(
        [sys.executable, "-c", "import benchmarks.baseline_app"],
        env={**env, "DATABASE_URL": sqlite_url(path)},
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )


def data_counts(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "ideas": (manifest.get("ideas") or {}).get("count"),
        "comments": manifest.get("comments"),
        "supports": manifest.get("supports"),
        "voters": (manifest.get("voters") or {}).get("count"),
        "projects": (manifest.get("budget") or {}).get("projects"),
    }


def sqlite_default(args) -> dict[str, Any]:
    """The same endpoints on the SQLite default: same data shape, same gunicorn settings."""
    path = Path(args.sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sargs = argparse.Namespace(**vars(args))
    sargs.database_url = sqlite_url(path)
    sargs.size = args.sqlite_size or args.size
    sargs.manifest = None
    if args.recreate:
        print(f"Removing {path}", flush=True)
        remove_sqlite(path)
    with restored_environment():
        app = build_app(sargs.database_url, args.redis_url)
    manifest_path = RESULTS / f"seed-{db_name(sargs)}.json"
    earlier = json.loads(manifest_path.read_text()).get("tag") if manifest_path.exists() else None
    manifest = seeded_manifest(app, sargs)
    seeded_now = manifest.get("tag") != earlier
    data = data_counts(manifest)
    report: dict[str, Any] = {
        "path": str(path),
        # What the file holds (an earlier run may have seeded another size than asked now).
        "size": next(
            (name for name, size in SIZES.items() if all(data[k] == n for k, n in size.items())),
            "other",
        ),
        "data": data,
        "seed_seconds": manifest.get("seconds"),
        "seeded_this_run": seeded_now,
        "settings": sqlite_settings(app),
    }
    print(
        f"  SQLite file {path} ({path.stat().st_size / 1e6:,.0f} MB), data {report['data']}, "
        f"seeded in {manifest.get('seconds')} s{' (this run)' if seeded_now else ''}; "
        f"settings {report['settings']}",
        flush=True,
    )
    from redis import Redis

    redis = Redis.from_url(args.redis_url)
    redis.flushdb()  # no page cached from PostgreSQL's data
    env = portal_env(sargs.database_url, args.redis_url)
    baseline_path = path.with_name(f"{path.stem}-baseline.sqlite")
    prepare_sqlite_baseline(baseline_path, env)
    baseline = Server(
        "benchmarks.baseline_app:app",
        {**env, "DATABASE_URL": sqlite_url(baseline_path)},
        args.workers,
        args.threads,
    )
    portal = Server("wsgi:app", env, args.workers, args.threads)
    log_text = ""
    try:
        baseline.wait_ready("/healthz")
        portal.wait_ready("/healthz")
        # "hello" touches no database: PostgreSQL's run measured it already.
        results = run_endpoints(
            app,
            manifest,
            sargs,
            portal.url,
            baseline.url,
            baselines=("insert", "select20"),
            server=portal,
            baseline_server=baseline,
        )
        log_text = portal.output()
    finally:
        portal.stop()
        baseline.stop()
        redis.flushdb()  # nor from SQLite's for what runs next
    log_path = RESULTS / f"sqlite-server-{args.stamp}.log"
    log_path.write_text(log_text)
    report["results"] = results
    report["server_log"] = str(log_path)
    report["locked_in_log"] = log_text.count(LOCKED)
    report["log_warnings"] = log_summary(log_text)
    return report


def log_summary(log_text: str) -> dict[str, int]:
    """Warning and error lines of a server log by level and logger (e.g. "WARNING
    portal.ops.outage": the 503 answers given when the database said it was locked)."""
    import re
    from collections import Counter

    found = re.findall(r" (WARNING|ERROR|CRITICAL) (\S+) \[", log_text)  # the app's format
    found += [
        (level, "gunicorn") for level in re.findall(r"\] \[(WARNING|ERROR|CRITICAL)\] ", log_text)
    ]
    return dict(Counter(f"{level} {logger}" for level, logger in found))


def sqlite_comparison(postgresql: list[Result], sqlite: list[Result]) -> list[dict[str, Any]]:
    """Per endpoint: SQLite's and PostgreSQL's req/s and p99, their ratio and the goal."""
    by_name = {r.name: r for r in postgresql}
    rows = []
    for lite in sqlite:
        pg = by_name.get(lite.name)
        row: dict[str, Any] = {"endpoint": lite.name, "baseline": lite.name in BASELINES}
        if lite.skipped or pg is None or pg.skipped or not pg.rps:
            row["skipped"] = lite.skipped or (pg.skipped if pg else "") or "no PostgreSQL figure"
            rows.append(row)
            continue
        locked = lite.extra.get("database_is_locked", 0)
        non_2xx = sum(n for code, n in lite.statuses.items() if not code.startswith("2"))
        ratio = lite.rps / pg.rps
        row.update(
            {
                "sqlite_rps": lite.rps,
                "postgresql_rps": pg.rps,
                "ratio": round(ratio, 3),
                "sqlite_p99_ms": lite.p99_ms,
                "postgresql_p99_ms": pg.p99_ms,
                "sqlite_non_2xx": non_2xx,
                "sqlite_errors": lite.errors,  # wrk's: socket errors, time-outs, 4xx/5xx
                "database_is_locked": locked,
                "goal_met": ratio >= SQLITE_GOAL and locked == 0,
            }
        )
        rows.append(row)
    return rows


def sqlite_markdown(report: dict[str, Any], postgresql_data: dict[str, Any]) -> list[str]:
    out = ["", "## SQLite default vs PostgreSQL", ""]
    if report.get("error"):
        return out + [f"Not measured: {report['error']}"]
    out.append(
        f"SQLite file {report['path']} (size '{report['size']}': {report['data']}), seeded by "
        f"`portal seed-large` in {report['seed_seconds']} s"
        f"{' in this run' if report['seeded_this_run'] else ' (an earlier run)'}; "
        f"the app's own SQLite settings: {report['settings']}; same gunicorn settings and wrk "
        "load as PostgreSQL; Redis page cache on for both (flushed before and after)."
    )
    if report["data"] != postgresql_data:
        out += [
            "",
            f"Warning: PostgreSQL's data set differs ({postgresql_data}): the ratios compare "
            "different sizes.",
        ]
    out += [
        "",
        "| endpoint | SQLite req/s | PostgreSQL req/s | SQLite/PostgreSQL | SQLite p99 ms "
        '| PostgreSQL p99 ms | non-2xx (SQLite) | "database is locked" | goal |',
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["comparison"]:
        if "skipped" in row:
            out.append(f"| {row['endpoint']} | skipped: {row['skipped']} | | | | | | | |")
            continue
        goal = (
            "(baseline: context)"
            if row["baseline"]
            else f"≥ {SQLITE_GOAL:.0%}, none locked: {'met' if row['goal_met'] else 'NOT met'}"
        )
        out.append(
            f"| {row['endpoint']} | {row['sqlite_rps']:.1f} | {row['postgresql_rps']:.1f} "
            f"| {row['ratio']:.0%} | {row['sqlite_p99_ms']:.2f} | {row['postgresql_p99_ms']:.2f} "
            f"| {row['sqlite_non_2xx']} | {row['database_is_locked']} | {goal} |"
        )
    endpoints = [r for r in report["comparison"] if "skipped" not in r and not r["baseline"]]
    met = sum(1 for r in endpoints if r["goal_met"])
    out += [
        "",
        f'Goal (every endpoint ≥ {SQLITE_GOAL:.0%} of PostgreSQL, no "database is locked"): '
        f"{met} of {len(endpoints)} endpoints met; "
        f'"database is locked" in the SQLite server\'s log: {report["locked_in_log"]} lines '
        f"({report['server_log']}); its warnings and errors: "
        f"{report.get('log_warnings') or 'none'}.",
    ]
    return out


def other_benchmarks(args) -> list[dict[str, Any]]:
    found = []
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        print(f"Running {script.name} ...", flush=True)
        out = RESULTS / f"{script.stem}-{args.stamp}.json"
        help_text = subprocess.run(
            [sys.executable, str(script), "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        ).stdout
        command = [sys.executable, str(script)]
        if "--out" in help_text:
            command += ["--out", str(out)]
        timeout = args.other_timeout
        if "--synthetic-budget" in help_text:
            # bench_pb.py bounds its 200,000-voter election itself (a line per rule that times
            # out or is not run); give it that budget plus the Pabulib files and start-up.
            command += ["--synthetic-budget", str(args.pb_budget)]
            timeout = max(timeout, args.pb_budget + 600)
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=timeout,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            status = done.returncode
            tail = (done.stdout + done.stderr)[-8000:]
        except subprocess.TimeoutExpired:
            status, tail = "timeout", f"stopped after {timeout} s"
        print(tail, flush=True)
        found.append(
            {
                "script": script.name,
                "exit": status,
                "seconds": round(time.monotonic() - started, 1),
                "output_tail": tail,
                "out": str(out) if out.exists() else None,
            }
        )
    return found


# --------------------------------------------------------------------------- report


def add_ratios(results: list[Result]) -> None:
    by_name = {r.name: r for r in results if not r.skipped}
    for result in results:
        base = by_name.get(result.baseline)
        if base and base.rps and not result.skipped:
            result.ratio = result.rps / base.rps
            # The same comparison by CPU cost (server, PostgreSQL and Redis per request):
            # what share of the baseline's rate the CPU would allow, however busy the
            # machine was while each ran.
            mine = result.extra.get("cpu_ms_per_request", {}).get("total")
            theirs = base.extra.get("cpu_ms_per_request", {}).get("total")
            if mine and theirs:
                result.extra["cpu_ratio"] = round(theirs / mine, 3)


def scenario_line(scenario: Result) -> str:
    if scenario.skipped:
        return f"{scenario.name}: skipped: {scenario.skipped}"
    return (
        f"{scenario.name}: {scenario.rps:.1f} req/s reached, p50 {scenario.p50_ms:.1f} ms,"
        f" p99 {scenario.p99_ms:.1f} ms, {scenario.requests} requests, errors "
        f"{scenario.errors}, statuses {scenario.statuses}; ballots: {scenario.extra}. "
        f"{scenario.note}"
    )


def only_ok_or_503(result: Result) -> bool:
    """2xx (and the redirects of the log-in form) or 503 — the portal's 503 always carries
    Retry-After (tests/ops/test_outage.py) — and no socket errors or time-outs."""
    return result.errors == 0 and all(
        code.startswith(("2", "3")) or code == "503" for code in result.statuses
    )


def markdown(results: list[Result], meta: dict[str, Any], scenario: Result | None) -> str:
    out = [f"# Benchmarks {meta['stamp']}", ""]
    out.append(
        f"Machine: {meta['cores']} cores; gunicorn {meta['workers']} workers x {meta['threads']}"
        f" threads; wrk {meta['connections']} connections, {meta['duration']} s per endpoint;"
        f" data: {meta['data']}"
    )
    out += [
        "",
        "| endpoint | req/s | p50 ms | p99 ms | errors | vs baseline | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.skipped:
            out.append(f"| {r.name} | skipped: {r.skipped} | | | | | |")
            continue
        ratio = f"{r.ratio:.0%} of {r.baseline}" if r.ratio is not None else ""
        if "cpu_ratio" in r.extra:
            ratio += f" (by CPU cost: {r.extra['cpu_ratio']:.0%})"
        goal = ""
        if r.name in GOALS:
            base, minimum = GOALS[r.name]
            met = r.ratio is not None and r.ratio >= minimum
            goal = f"≥ {minimum:.0%} of {base}: {'met' if met else 'NOT met'}"
        if r.name in P99_GOALS_MS:
            fast = r.p99_ms < P99_GOALS_MS[r.name]
            goal += f"; p99 < {P99_GOALS_MS[r.name]} ms: {'met' if fast else 'NOT met'}"
        if r.name in MAX_STATEMENTS and "statements" in r.extra:
            worst = max(r.extra["statements"].values())
            ok = 0 <= worst <= MAX_STATEMENTS[r.name]
            goal += f"; ≤ {MAX_STATEMENTS[r.name]} SQL statements: {'met' if ok else 'NOT met'}"
        extra = f" {r.extra}" if r.extra else ""
        out.append(
            f"| {r.name} | {r.rps:.1f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors}{extra} |"
            f" {ratio} | {goal} |"
        )
    if scenario is not None:
        out += ["", "## Closing day", "", scenario_line(scenario)]
        if not scenario.skipped:
            held = (
                scenario.rps >= 0.95 * meta["rate"]
                and scenario.p99_ms < 500
                and scenario.errors == 0
                and scenario.extra.get("lost", 0) == 0
            )
            out.append(
                f"Goal ({meta['rate']:.0f} req/s held, p99 < 500 ms, no error, no lost ballot): "
                + ("met" if held else "NOT met")
                + f" for {meta['scenario_duration']:.0f} s (the goal asks for 600 s)."
            )
    for title, result in meta.get("phases", []):
        out += ["", f"## {title}", "", scenario_line(result)]
        if title.startswith("Twice") and not result.skipped:
            out.append(
                "Only 2xx or 503 with Retry-After: "
                + ("met" if only_ok_or_503(result) else "NOT met")
            )
        if title.startswith("Recovery") and not result.skipped:
            back = result.errors == 0 and result.p99_ms < 500
            out.append("Back to p99 < 500 ms with no error: " + ("met" if back else "NOT met"))
    if meta.get("memory") is not None:
        memory = meta["memory"]
        out += ["", "## Worker memory", ""]
        out.append(
            f"{memory.name}: skipped: {memory.skipped}"
            if memory.skipped
            else f"{memory.name}: {memory.requests:,} requests, {memory.errors} errors "
            f"(answers {memory.statuses}), {memory.extra} {memory.note}"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--reseed", action="store_true", help="Seed a new data set first.")
    parser.add_argument(
        "--recreate", action="store_true", help="Drop and re-create the benchmark database."
    )
    parser.add_argument("--manifest", help="Seed manifest to use (default results/seed-DB.json).")
    parser.add_argument("--duration", type=float, default=10, help="Seconds per endpoint.")
    parser.add_argument("--scenario-duration", "--closing-day-duration", type=float, default=60)
    parser.add_argument("--rate", type=float, default=250, help="Closing-day target req/s.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 5)))
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("GUNICORN_THREADS") or default_threads()),
        help="Threads per worker (default as gunicorn.conf.py: 4 on Python 3.12+, 1 on 3.11).",
    )
    parser.add_argument("--only", nargs="*", help="Only endpoints whose name contains one.")
    parser.add_argument("--no-scenario", action="store_true")
    parser.add_argument("--no-others", action="store_true", help="Skip benchmarks/bench_*.py.")
    parser.add_argument("--other-timeout", type=int, default=900)
    parser.add_argument(
        "--pb-budget",
        type=int,
        default=1800,
        help="Seconds bench_pb.py may spend on its 200,000-voter election (all rules).",
    )
    parser.add_argument("--faults", action="store_true", help="Run benchmarks/faults.py too.")
    parser.add_argument(
        "--overload-duration", type=float, default=60, help="Seconds at twice --rate (0: skip)."
    )
    parser.add_argument("--memory-requests", type=int, default=200_000)
    parser.add_argument("--no-memory", action="store_true", help="Skip the worker memory run.")
    parser.add_argument("--memory-timeout", type=int, default=900, help="Seconds at most.")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="Skip the same endpoints on the SQLite default."
    )
    parser.add_argument(
        "--sqlite-path",
        default=str(RESULTS / "bench.sqlite"),
        help="SQLite file for that run (seeded when it holds no seeded consultation yet).",
    )
    parser.add_argument(
        "--sqlite-size",
        choices=sorted(SIZES),
        help="Data set seeded into the SQLite file (default: --size).",
    )
    args = parser.parse_args(argv)
    args.stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)

    if not args.database_url.startswith("postgresql"):
        # The SQLite default is measured too, as a ratio to PostgreSQL (see --sqlite-path).
        print("The benchmarks run on PostgreSQL (--database-url postgresql+psycopg://...).")
        return 2
    ensure_wrk()
    prepare_database(args.database_url, args.recreate)
    if args.recreate:
        args.reseed = True
    app = build_app(args.database_url, args.redis_url)
    manifest = seeded_manifest(app, args)
    from redis import Redis

    Redis.from_url(args.redis_url).flushdb()  # the benchmark's own Redis database

    env = portal_env(args.database_url, args.redis_url)
    baseline = Server("benchmarks.baseline_app:app", env, args.workers, args.threads)
    portal = Server("wsgi:app", env, args.workers, args.threads)
    results: list[Result] = []
    scenario = None
    phases: list[tuple[str, Result]] = []
    try:
        baseline.wait_ready("/healthz")
        portal.wait_ready("/healthz")
        results = run_endpoints(
            app,
            manifest,
            args,
            portal.url,
            baseline.url,
            server=portal,
            baseline_server=baseline,
        )
        if not args.no_scenario:
            print("Closing-day scenario:", flush=True)
            scenario = closing_day(app, manifest, args, portal.url, server=portal)
            if args.overload_duration > 0:
                print("Twice the design load, then the design load again:", flush=True)
                twice = closing_day(
                    app,
                    manifest,
                    args,
                    portal.url,
                    rate=2 * args.rate,
                    duration=args.overload_duration,
                    label="twice the design load",
                    server=portal,
                )
                phases.append(("Twice the design load", twice))
                recovery = closing_day(
                    app,
                    manifest,
                    args,
                    portal.url,
                    duration=30,
                    label="the 30 s after",
                    server=portal,
                )
                phases.append(("Recovery within 30 s", recovery))
    finally:
        portal.stop()
        baseline.stop()
    sqlite: dict[str, Any] | None = None
    if not args.no_sqlite:
        print("SQLite default, same endpoints:", flush=True)
        try:
            sqlite = sqlite_default(args)
            sqlite["comparison"] = sqlite_comparison(results, sqlite["results"])
        except Exception as error:  # noqa: BLE001 - PostgreSQL's figures must still be written
            print(f"  SQLite run failed: {error!r}", flush=True)
            sqlite = {"error": repr(error)[:2000]}
    memory = None
    if not args.no_memory:
        print("Worker memory:", flush=True)
        memory = worker_memory(app, manifest, args, env)
    add_ratios(results)
    others = [] if args.no_others else other_benchmarks(args)
    faults = None
    if args.faults:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "faults.py"),
                "--database-url",
                args.database_url,
                "--manifest",
                str(RESULTS / f"seed-{db_name(args)}.json"),
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=ROOT,
        )
        faults = {"exit": done.returncode, "output": (done.stdout + done.stderr)[-6000:]}
        print(faults["output"])

    meta = {
        "stamp": args.stamp,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "workers": args.workers,
        "threads": args.threads,
        "connections": args.connections,
        "duration": args.duration,
        "data": {k: manifest.get(k) for k in ("ideas", "comments", "supports", "voters", "budget")},
        "rate": args.rate,
        "scenario_duration": args.scenario_duration,
    }
    report = {
        "meta": meta,
        "results": [r.as_dict() for r in results],
        "closing_day": scenario.as_dict() if scenario else None,
        "phases": [(title, r.as_dict()) for title, r in phases],
        "worker_memory": memory.as_dict() if memory else None,
        "sqlite": (
            {
                **sqlite,
                "results": [r.as_dict() for r in sqlite.get("results", [])],
            }
            if sqlite
            else None
        ),
        "other_benchmarks": others,
        "faults": faults,
    }
    (RESULTS / f"run-{args.stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    text = markdown(results, {**meta, "phases": phases, "memory": memory}, scenario)
    if sqlite is not None:
        text += "\n".join(sqlite_markdown(sqlite, data_counts(manifest))) + "\n"
    (RESULTS / f"run-{args.stamp}.md").write_text(text)
    print()
    print(text)
    print(f"Written: {RESULTS / f'run-{args.stamp}.md'} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
