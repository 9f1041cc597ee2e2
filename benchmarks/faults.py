"""Fault scripts: what happens to voters when parts of the system fail under load.

    python benchmarks/faults.py [--only worker-kill redis-loss postgres-restart] [--seconds 20]

Every scenario runs against a PRIVATE PostgreSQL cluster (initdb in a temporary folder, on a
free loopback port, run as the ``postgres`` user) and, where Redis matters, a PRIVATE
redis-server on a free port: the shared services that other people's tests use are never
stopped or restarted. The load is a bounded pool of Python threads on 127.0.0.1.

1. worker-kill: check-outs by distinct voters while gunicorn workers are killed with SIGKILL
   every few seconds. Passes when every acknowledged ballot (201 + receipt) is in the
   database with its choices, and no ballot is stored without choices.
2. redis-loss: pages, supports and check-outs while the private Redis is killed and, later,
   started again. Passes when nothing gives a 500, no acknowledged ballot is lost, and pages
   are served during the outage.
3. postgres-restart: pages and check-outs while PostgreSQL is stopped (immediate mode, like a
   crash) and started again. Passes when the outage answers are 503 with Retry-After (never
   500), the site answers 200 again by itself within 30 s of the restart, and no
   acknowledged ballot is lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import (  # noqa: E402
    SECRET_KEY,
    Minter,
    Server,
    free_port,
    portal_env,
)

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


# --------------------------------------------------------------------------- private services


class PrivatePostgres:
    """A throw-away PostgreSQL cluster of our own (never the shared server)."""

    def __init__(self) -> None:
        if not PG_BIN:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = PG_BIN[-1]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.dir / "data"
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"],
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, command: list[str], check: bool = True) -> None:
        runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(runner + command, check=check, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=on -c max_connections=200"
        )
        self._as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-w",
                "-l",
                str(self.dir / "log"),
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
            check=False,
        )

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                import redis

                redis.Redis.from_url(self.url).ping()
                return
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=5)


# --------------------------------------------------------------------------- load


class Load:
    """Threads sending prepared requests until told to stop; every answer is recorded."""

    def __init__(self, base_url: str, requests: list[tuple[str, str, str, str, str]]) -> None:
        self.base_url = base_url
        self.requests = requests
        self.next = 0
        self.lock = threading.Lock()
        self.records: list[dict[str, Any]] = []
        self.stop_event = threading.Event()

    def _take(self):
        with self.lock:
            if self.next >= len(self.requests):
                return None
            request = self.requests[self.next]
            self.next += 1
            return request

    def _send(self, method, path, cookie, csrf, body) -> dict[str, Any]:
        headers = {"Cookie": cookie} if cookie else {}
        if csrf:
            headers["X-CSRFToken"] = csrf
        data = body.encode() if body else None
        if data:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        record: dict[str, Any] = {"t": time.monotonic(), "path": path, "method": method}
        try:
            with urllib.request.urlopen(req, timeout=15) as answer:  # noqa: S310 - loopback
                record["status"] = answer.status
                text = answer.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            record["status"] = error.code
            record["retry_after"] = error.headers.get("Retry-After")
            text = error.read().decode(errors="replace")
        except OSError as error:
            record["status"] = "connection error"
            record["error"] = type(error).__name__
            text = ""
        if record["status"] == 201 and '"receipt_code"' in text:
            record["receipt"] = json.loads(text)["receipt_code"]
        return record

    def _worker(self) -> None:
        while not self.stop_event.is_set():
            request = self._take()
            if request is None:
                return
            record = self._send(*request)
            with self.lock:
                self.records.append(record)

    def run(self, seconds: float, threads: int, during=None) -> list[dict[str, Any]]:
        workers = [threading.Thread(target=self._worker, daemon=True) for _ in range(threads)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        if during:
            during(started)
        while time.monotonic() - started < seconds and any(w.is_alive() for w in workers):
            time.sleep(0.2)
        self.stop_event.set()
        for worker in workers:
            worker.join(timeout=20)
        for record in self.records:
            record["t"] -= started
        return self.records


# --------------------------------------------------------------------------- data


def prepare(pg: PrivatePostgres, redis_url: str = "") -> tuple[Any, dict[str, Any]]:
    """Migrate and seed the private database; return (app, manifest)."""
    os.environ.update(
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis_url,
            "RATELIMIT_ENABLED": "0",
        }
    )
    from portal import create_app
    from portal.migrate import upgrade
    from portal.ops.seed import seed_large

    app = create_app()
    with app.app_context():
        upgrade()
        manifest = seed_large(
            ideas=500,
            comments=2000,
            supports=5000,
            voters=6000,
            projects=20,
            echo=lambda line: None,
        )
    return app, manifest


def voters(app, manifest, start: int, count: int) -> list[tuple[int, str]]:
    from sqlalchemy import text

    from portal.extensions import db

    first = manifest["voters"]["first_id"] + start
    with app.app_context():
        rows = db.session.execute(
            text("SELECT id, session_token FROM users WHERE id >= :a AND id < :b ORDER BY id"),
            {"a": first, "b": first + count},
        ).all()
        db.session.remove()
    return [(r[0], r[1]) for r in rows]


def checkout_requests(app, manifest, start: int, count: int) -> list[tuple[str, ...]]:
    from sqlalchemy import text

    from portal.extensions import db

    budget_id = manifest["budget"]["id"]
    with app.app_context():
        projects = [
            r[0]
            for r in db.session.execute(
                text("SELECT id FROM budget_projects WHERE budget_id = :b ORDER BY cost LIMIT 3"),
                {"b": budget_id},
            )
        ]
        db.session.remove()
    minter = Minter(app)
    body = json.dumps({"projects": projects})
    result = []
    for _, token in voters(app, manifest, start, count):
        cookie, csrf = minter.session(token)
        result.append(("POST", f"/api/v1/budgets/{budget_id}/ballot/checkout", cookie, csrf, body))
    return result


def page_requests(app, manifest, count: int) -> list[tuple[str, ...]]:
    minter = Minter(app)
    slug = manifest["consultation"]["slug"]
    first_idea = manifest["ideas"]["first_id"]
    cookie, _ = minter.session()
    paths = ["/", f"/consultations/{slug}/ideas", f"/budgets/{manifest['budget']['id']}"]
    return [
        ("GET", random.Random(i).choice(paths + [f"/ideas/{first_idea + i % 50}"]), cookie, "", "")
        for i in range(count)
    ]


def ballot_check(app, manifest, records) -> dict[str, int]:
    from sqlalchemy import text

    from portal.extensions import db

    receipts = [r["receipt"] for r in records if r.get("receipt")]
    with app.app_context():
        found = db.session.scalar(
            text("SELECT count(*) FROM ballots WHERE receipt_code = ANY(:c)"), {"c": receipts}
        )
        stored = db.session.scalar(
            text("SELECT count(*) FROM ballots WHERE budget_id = :b"),
            {"b": manifest["budget"]["id"]},
        )
        empty = db.session.scalar(
            text(
                "SELECT count(*) FROM ballots b WHERE NOT EXISTS "
                "(SELECT 1 FROM ballot_choices c WHERE c.ballot_id = b.id)"
            )
        )
        db.session.remove()
    return {
        "acknowledged": len(receipts),
        "lost": len(receipts) - (found or 0),
        "stored_in_all": stored or 0,
        "without_choices": empty or 0,
    }


def server_errors(log: str) -> list[str]:
    """The tracebacks of requests that ended in a server error (gunicorn's or the portal's)."""
    lines = log.splitlines()
    starts = [
        i
        for i, line in enumerate(lines)
        if "Unhandled error" in line or "Error handling request" in line
    ]
    return ["\n".join(lines[i : i + 150]) for i in starts[:4]]


def summary(records) -> dict[str, int]:
    return dict(Counter(str(r["status"]) for r in records))


# --------------------------------------------------------------------------- scenarios


def worker_kill(pg: PrivatePostgres, app, manifest, seconds: float) -> dict[str, Any]:
    env = portal_env(pg.url, "", PAGE_CACHE_ENABLED="0", GUNICORN_TIMEOUT="10")
    server = Server("wsgi:app", env, workers=2, threads=4)
    kills: list[int] = []
    try:
        server.wait_ready()
        load = Load(server.url, checkout_requests(app, manifest, 0, 2500))

        def killer(started: float) -> None:
            def loop() -> None:
                while time.monotonic() - started < seconds - 2:
                    time.sleep(2.5)
                    pids = server.worker_pids()
                    if pids:
                        victim = random.choice(pids)
                        os.kill(victim, signal.SIGKILL)
                        kills.append(victim)

            threading.Thread(target=loop, daemon=True).start()

        records = load.run(seconds, threads=12, during=killer)
    finally:
        server.stop()
    ballots = ballot_check(app, manifest, records)
    ok = ballots["lost"] == 0 and ballots["without_choices"] == 0 and ballots["acknowledged"] > 0
    return {
        "scenario": "worker-kill",
        "passed": ok,
        "workers_killed": len(kills),
        "requests": len(records),
        "statuses": summary(records),
        "ballots": ballots,
        "note": "answers cut by a kill show as connection errors; those voters may retry "
        "(an already stored ballot then answers 409 already_voted, never a second ballot)",
    }


def redis_loss(pg: PrivatePostgres, app, manifest, seconds: float) -> dict[str, Any]:
    redis = PrivateRedis()
    redis.start()
    env = portal_env(
        pg.url, redis.url, RATELIMIT_ENABLED="1", RATELIMIT_POSTING="100000 per minute"
    )
    server = Server("wsgi:app", env, workers=2, threads=4)
    events: dict[str, float] = {}
    try:
        server.wait_ready()
        requests = page_requests(app, manifest, 6000)
        checkouts = checkout_requests(app, manifest, 2500, 1500)
        mixed = []
        for i, request in enumerate(requests):
            mixed.append(request)
            if i % 4 == 0 and checkouts:
                mixed.append(checkouts.pop())
        load = Load(server.url, mixed)

        def chaos(started: float) -> None:
            def loop() -> None:
                time.sleep(seconds / 4)
                redis.kill()
                events["redis_killed"] = time.monotonic() - started
                time.sleep(seconds / 3)
                redis.start()
                events["redis_started"] = time.monotonic() - started

            threading.Thread(target=loop, daemon=True).start()

        records = load.run(seconds, threads=8, during=chaos)
        health_after = urllib.request.urlopen(server.url + "/healthz", timeout=5).status  # noqa: S310
        log = server.output()
    finally:
        server.stop()
        redis.kill()
    during = [
        r
        for r in records
        if events.get("redis_killed", 1e9) <= r["t"] <= events.get("redis_started", -1)
    ]
    ballots = ballot_check(app, manifest, records)
    errors_500 = sum(1 for r in records if r["status"] == 500)
    pages_ok_during = sum(1 for r in during if r["method"] == "GET" and r["status"] == 200)
    ok = errors_500 == 0 and ballots["lost"] == 0 and pages_ok_during > 0 and health_after == 200
    return {
        "scenario": "redis-loss",
        "passed": ok,
        "events": {k: round(v, 1) for k, v in events.items()},
        "statuses": summary(records),
        "statuses_during_outage": summary(during),
        "health_after_restart": health_after,
        "ballots": ballots,
        "paths_with_500": sorted({r["path"] for r in records if r["status"] == 500}),
        "server_errors_logged": server_errors(log) if errors_500 else [],
    }


def postgres_restart(pg: PrivatePostgres, app, manifest, seconds: float) -> dict[str, Any]:
    env = portal_env(pg.url, "", PAGE_CACHE_ENABLED="0")
    server = Server("wsgi:app", env, workers=2, threads=4)
    events: dict[str, float] = {}
    try:
        server.wait_ready()
        requests = page_requests(app, manifest, 6000)
        checkouts = checkout_requests(app, manifest, 4000, 1500)
        mixed = []
        for i, request in enumerate(requests):
            mixed.append(request)
            if i % 4 == 0 and checkouts:
                mixed.append(checkouts.pop())
        load = Load(server.url, mixed)

        def chaos(started: float) -> None:
            def loop() -> None:
                time.sleep(seconds / 4)
                pg.stop("immediate")
                events["postgres_stopped"] = time.monotonic() - started
                time.sleep(4)
                pg.start()
                events["postgres_started"] = time.monotonic() - started

            threading.Thread(target=loop, daemon=True).start()

        records = load.run(seconds, threads=8, during=chaos)
        log = server.output()
    finally:
        server.stop()
    errors_logged = server_errors(log)
    stopped = events.get("postgres_stopped", 1e9)
    started_again = events.get("postgres_started", 1e9)
    outage = [r for r in records if stopped <= r["t"] <= started_again]
    after = sorted((r for r in records if r["t"] > started_again), key=lambda r: r["t"])
    first_ok = next((r["t"] for r in after if r["status"] == 200), None)
    recovered_in = round(first_ok - started_again, 2) if first_ok is not None else None
    bad_outage = [
        r
        for r in outage
        if r["status"] not in (200, 201, 503, 409)
        or (r["status"] == 503 and not r.get("retry_after"))
    ]
    ballots = ballot_check(app, manifest, records)
    errors_500 = sum(1 for r in records if r["status"] == 500)
    ok = (
        errors_500 == 0
        and ballots["lost"] == 0
        and recovered_in is not None
        and recovered_in <= 30
        and not bad_outage
    )
    return {
        "scenario": "postgres-restart",
        "passed": ok,
        "events": {k: round(v, 1) for k, v in events.items()},
        "statuses": summary(records),
        "statuses_during_outage": summary(outage),
        "unclear_outage_answers": summary(bad_outage),
        "recovered_seconds_after_restart": recovered_in,
        "ballots": ballots,
        "paths_with_500": sorted({r["path"] for r in records if r["status"] == 500}),
        "server_errors_logged": errors_logged if errors_500 else [],
    }


SCENARIOS = {
    "worker-kill": worker_kill,
    "redis-loss": redis_loss,
    "postgres-restart": postgres_restart,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=20, help="Load time per scenario.")
    parser.add_argument("--out", help="Write the results as JSON here.")
    # Accepted for run_all.py's call; the scenarios always use private services.
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if os.geteuid() != 0 and not shutil.which("initdb"):
        print("faults.py needs to run initdb as the postgres user (root here): skipped")
        return 0
    pg = PrivatePostgres()
    results = []
    try:
        pg.start()
        app, manifest = prepare(pg)
        for name in args.only or list(SCENARIOS):
            print(f"== {name} ({args.seconds:.0f} s of load)", flush=True)
            result = SCENARIOS[name](pg, app, manifest, args.seconds)
            print(json.dumps(result, indent=2), flush=True)
            results.append(result)
        from portal.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        pg.destroy()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    failed = [r["scenario"] for r in results if not r["passed"]]
    print("faults:", "all passed" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
