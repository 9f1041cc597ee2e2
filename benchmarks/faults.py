"""Fault scripts: what happens to voters when parts of the system fail under load.

    python benchmarks/faults.py [--only worker-kill redis-loss postgres-restart disk-full]
                                [--seconds 20]

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
4. disk-full: a copy of the seeded database in a tablespace on a small tmpfs (the cluster's
   data directory, and so its WAL, stay on the normal disk), under pages, supports and
   check-outs; a filler file then takes every free byte of the tmpfs, so that PostgreSQL's
   table and index files cannot grow ("No space left on device", SQLSTATE 53100, an ERROR,
   not a PANIC), and is removed later. Passes when nothing gives a 500, refused writes are
   503 with Retry-After or another 4xx/5xx with a message (the statuses, the message seen
   and a sample body are reported), pages are served (200) while the disk is full, no
   acknowledged ballot is lost nor stored without choices, and writes succeed again by
   themselves within 30 s of the space being freed. Needs root (mount -t tmpfs); otherwise
   it prints a SKIPPED line with the reason.
"""

from __future__ import annotations

import argparse
import errno
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


class SmallTablespace:
    """A small tmpfs mounted in a temporary folder, for a PostgreSQL tablespace to fill.

    A filler file at the tmpfs's root (outside PostgreSQL's folder) takes its free space, so
    the database's table and index files cannot grow while the WAL, on the normal disk, can.
    """

    def __init__(self, size_bytes: int) -> None:
        self.size_mb = max(16, size_bytes // 2**20 + 1)
        self.dir = Path(tempfile.mkdtemp(prefix="faults-disk-"))
        self.dir.chmod(0o755)  # the postgres user must reach the tablespace below it
        self.mount_point = self.dir / "mnt"
        self.mount_point.mkdir()
        self.location = self.mount_point / "pg"
        self.filler = self.mount_point / "filler"
        self.mounted = False

    def mount(self) -> str:
        """Mount the tmpfs; return why it could not be done ("" when it was)."""
        if os.geteuid() != 0:
            return f"mounting a tmpfs needs root (this runs as uid {os.geteuid()})"
        if not shutil.which("mount"):
            return "no mount command"
        done = subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={self.size_mb}m,mode=0755",
                "tmpfs",
                str(self.mount_point),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"mount -t tmpfs refused: {(done.stderr or done.stdout).strip()[:300]}"
        self.mounted = True
        self.location.mkdir(mode=0o700)
        shutil.chown(self.location, "postgres", "postgres")
        return ""

    def free_bytes(self) -> int:
        stat = os.statvfs(self.mount_point)
        return stat.f_bavail * stat.f_frsize

    def fill(self) -> int:
        """Write the filler until the tmpfs says ENOSPC; return the bytes written."""
        written = 0
        with open(self.filler, "ab", buffering=0) as handle:
            for chunk in (2**20, 2**16, 4096):
                block = b"\0" * chunk
                while True:
                    try:
                        written += handle.write(block) or 0
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def cleanup(self) -> str:
        """Unmount (lazily if PostgreSQL still holds files there) and remove the folder."""
        note = ""
        if self.mounted:
            self.free()
            for _ in range(5):
                if (
                    subprocess.run(
                        ["umount", str(self.mount_point)], capture_output=True
                    ).returncode
                    == 0
                ):
                    self.mounted = False
                    break
                time.sleep(1)
            if self.mounted:
                subprocess.run(["umount", "-l", str(self.mount_point)], capture_output=True)
                self.mounted = False
                note = "unmounted lazily (files were still open)"
        shutil.rmtree(self.dir, ignore_errors=True)
        return note


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
        self.started = 0.0

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
        if isinstance(record["status"], int) and record["status"] >= 400:
            record["body"] = text[:600]
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
        started = self.started = time.monotonic()
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
            voters=8000,
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


def support_requests(app, manifest, start: int, count: int) -> list[tuple[str, ...]]:
    """Supports by distinct voters, each on a random idea (a repeat answers 409)."""
    minter = Minter(app)
    first_idea = manifest["ideas"]["first_id"]
    rng = random.Random(start)
    result = []
    for _, token in voters(app, manifest, start, count):
        cookie, csrf = minter.session(token)
        idea = first_idea + rng.randrange(manifest["ideas"]["count"])
        result.append(("POST", f"/api/v1/ideas/{idea}/support", cookie, csrf, "{}"))
    return result


def ballot_counts(connection, budget_id: int, receipts: list[str]) -> dict[str, int]:
    """Acknowledged ballots missing from the database, and ballots stored without choices."""
    from sqlalchemy import text

    found = connection.scalar(
        text("SELECT count(*) FROM ballots WHERE receipt_code = ANY(:c)"), {"c": receipts}
    )
    stored = connection.scalar(
        text("SELECT count(*) FROM ballots WHERE budget_id = :b"), {"b": budget_id}
    )
    empty = connection.scalar(
        text(
            "SELECT count(*) FROM ballots b WHERE NOT EXISTS "
            "(SELECT 1 FROM ballot_choices c WHERE c.ballot_id = b.id)"
        )
    )
    return {
        "acknowledged": len(receipts),
        "lost": len(receipts) - (found or 0),
        "stored_in_all": stored or 0,
        "without_choices": empty or 0,
    }


def ballot_check(app, manifest, records) -> dict[str, int]:
    from portal.extensions import db

    receipts = [r["receipt"] for r in records if r.get("receipt")]
    with app.app_context():
        counts = ballot_counts(db.session, manifest["budget"]["id"], receipts)
        db.session.remove()
    return counts


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


DISK_FULL_DATABASE = "portal_diskfull"
DISK_FULL_MESSAGES = {
    "cannot save anything": "disk-full message",
    "cannot reach its database": "database-unreachable message",
}


def _message_kind(body: str) -> str:
    for words, kind in DISK_FULL_MESSAGES.items():
        if words in body:
            return kind
    try:
        return "other: " + json.loads(body)["error"]["message"][:120]
    except (ValueError, KeyError, TypeError):
        return "other (no JSON message)" if body.strip() else "empty body"


def _error_code(body: str) -> str:
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "(none)"


def _postgres_log(pg: PrivatePostgres, offset: int) -> str:
    try:
        with open(pg.dir / "log", "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def disk_full(pg: PrivatePostgres, app, manifest, seconds: float) -> dict[str, Any]:
    import psycopg
    from sqlalchemy import create_engine, text

    from portal.extensions import db

    # Requests are made from the seeded database, which is then copied into the tablespace.
    pages = page_requests(app, manifest, 8000)
    checkouts = checkout_requests(app, manifest, 5500, 2500)
    supports = support_requests(app, manifest, 0, 2500)
    probes = checkouts[-200:]
    checkouts = checkouts[:-200]
    with app.app_context():
        size = db.session.scalar(text("SELECT pg_database_size(current_database())")) or 0
        db.session.remove()
        db.engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template left alone
    space = SmallTablespace(int(size * 1.3) + 24 * 2**20)
    skipped = space.mount()
    if skipped:
        space.cleanup()
        print(f"SKIPPED disk-full: {skipped}", flush=True)
        return {"scenario": "disk-full", "passed": True, "skipped": skipped}

    url = pg.url.rsplit("/", 1)[0] + "/" + DISK_FULL_DATABASE
    log_offset = (pg.dir / "log").stat().st_size if (pg.dir / "log").exists() else 0
    admin = None
    server = None
    checker = None
    events: dict[str, float] = {}
    filled: dict[str, int] = {}
    cleanup_note = ""
    try:
        admin = psycopg.connect(
            host="127.0.0.1", port=pg.port, user="postgres", dbname="template1", autocommit=True
        )
        admin.execute(f"CREATE TABLESPACE small LOCATION '{space.location}'")
        for attempt in range(20):
            try:
                admin.execute(
                    f"CREATE DATABASE {DISK_FULL_DATABASE} TEMPLATE postgres TABLESPACE small"
                )
                break
            except psycopg.errors.ObjectInUse:  # a last connection to the template closing
                if attempt == 19:
                    raise
                time.sleep(0.5)
        filled["tmpfs_mb"] = space.size_mb
        filled["free_before_load_bytes"] = space.free_bytes()

        env = portal_env(url, "", PAGE_CACHE_ENABLED="0")
        server = Server("wsgi:app", env, workers=2, threads=4)
        server.wait_ready()
        mixed = []
        for i, request in enumerate(pages):
            mixed.append(request)
            if i % 3 == 0 and checkouts:
                mixed.append(checkouts.pop())
            if i % 3 == 1 and supports:
                mixed.append(supports.pop())
        load = Load(server.url, mixed)
        chaos_thread: list[threading.Thread] = []

        def chaos(started: float) -> None:
            def loop() -> None:
                time.sleep(seconds / 4)
                events["filling"] = time.monotonic() - started
                filled["filler_bytes"] = space.fill()
                filled["free_after_fill_bytes"] = space.free_bytes()
                events["disk_full"] = time.monotonic() - started
                time.sleep(max(0.0, seconds * 0.6 - (time.monotonic() - started)))
                space.free()
                events["space_freed"] = time.monotonic() - started

            thread = threading.Thread(target=loop, daemon=True)
            chaos_thread.append(thread)
            thread.start()

        records = load.run(seconds, threads=8, during=chaos)
        for thread in chaos_thread:
            thread.join(timeout=seconds + 30)
        space.free()  # whatever happened, the space is back before checking and probing
        events.setdefault("space_freed", time.monotonic() - load.started)

        # Writes after the space came back: from the load, or else from probes, for 30 s.
        freed = events["space_freed"]

        def recovered_at(records: list[dict[str, Any]]) -> float | None:
            """When the first successful write after the last refused one started."""
            writes = sorted(
                (r for r in records if r["method"] == "POST" and r["t"] > freed),
                key=lambda r: r["t"],
            )
            last_refused = max((i for i, r in enumerate(writes) if r["status"] == 503), default=-1)
            return next(
                (r["t"] for r in writes[last_refused + 1 :] if r["status"] in (200, 201)), None
            )

        first_write_ok = recovered_at(records)
        probe = Load(server.url, [])
        while first_write_ok is None and probes:
            now = time.monotonic() - load.started
            if now > freed + 30:
                break
            record = probe._send(*probes.pop())
            record["t"] -= load.started
            record["probe"] = True
            records.append(record)
            first_write_ok = recovered_at(records)
            if first_write_ok is None:
                time.sleep(0.5)
        log = server.output()
        server.stop()
        server = None

        checker = create_engine(url)
        receipts = [r["receipt"] for r in records if r.get("receipt")]
        with checker.connect() as connection:
            ballots = ballot_counts(connection, manifest["budget"]["id"], receipts)
    finally:
        if server:
            server.stop()
        if checker is not None:
            checker.dispose()
        if admin is not None:
            for statement in (
                f"DROP DATABASE IF EXISTS {DISK_FULL_DATABASE} WITH (FORCE)",
                "DROP TABLESPACE IF EXISTS small",
            ):
                try:
                    admin.execute(statement)
                except psycopg.Error as error:
                    cleanup_note += f"{statement}: {error}; "
            admin.close()
        cleanup_note += space.cleanup()

    pg_log = _postgres_log(pg, log_offset)
    no_space = [line for line in pg_log.splitlines() if "No space left on device" in line]
    panics = [line for line in pg_log.splitlines() if "PANIC" in line]
    full_from = events.get("disk_full", events.get("filling", 1e9))
    during = [r for r in records if full_from <= r["t"] <= freed]
    writes_during = [r for r in during if r["method"] == "POST"]
    reads_during = [r for r in during if r["method"] == "GET"]
    refused = [r for r in writes_during if r["status"] not in (200, 201)]

    def clear(r: dict[str, Any]) -> bool:
        status = r["status"]
        if not isinstance(status, int) or status == 500:
            return False
        if status == 503:
            return bool(r.get("retry_after")) and _message_kind(r.get("body", "")) != "empty body"
        return 400 <= status < 600 and not _message_kind(r.get("body", "")).startswith(
            ("other (no JSON", "empty")
        )

    unclear = [r for r in refused if not clear(r)]
    samples: dict[str, str] = {}
    for r in refused:
        samples.setdefault(f"{r['status']} {r['path'].rsplit('/', 1)[-1]}", r.get("body", ""))
    recovered_in = round(first_write_ok - freed, 2) if first_write_ok is not None else None
    errors_500 = sum(1 for r in records if r["status"] == 500)
    disk_full_seen = any(r["status"] == 503 for r in writes_during) and bool(no_space)
    reads_not_ok = [r for r in reads_during if r["status"] != 200]
    ok = (
        errors_500 == 0
        and disk_full_seen
        and not unclear
        and bool(reads_during)
        and not reads_not_ok
        and not panics
        and ballots["lost"] == 0
        and ballots["without_choices"] == 0
        and recovered_in is not None
        and recovered_in <= 30
    )
    return {
        "scenario": "disk-full",
        "passed": ok,
        "events": {k: round(v, 1) for k, v in events.items()},
        "space": filled,
        "postgres_no_space_errors": len(no_space),
        "postgres_no_space_sample": no_space[0][:300] if no_space else None,
        "postgres_panics": panics[:3],
        "statuses": summary(records),
        "writes_while_full": summary(writes_during),
        "reads_while_full": summary(reads_during),
        "refused_write_messages": dict(Counter(_message_kind(r.get("body", "")) for r in refused)),
        "refused_write_codes": dict(Counter(_error_code(r.get("body", "")) for r in refused)),
        "refused_503_without_retry_after": sum(
            1 for r in refused if r["status"] == 503 and not r.get("retry_after")
        ),
        "unclear_refusals": summary(unclear),
        "sample_bodies": {k: v[:300] for k, v in list(samples.items())[:4]},
        "writes_after_space_freed": summary(
            [r for r in records if r["method"] == "POST" and r["t"] > freed]
        ),
        "recovered_seconds_after_space_freed": recovered_in,
        "recovery_probes": sum(1 for r in records if r.get("probe")),
        "ballots": ballots,
        "paths_with_500": sorted({r["path"] for r in records if r["status"] == 500}),
        "server_errors_logged": server_errors(log) if errors_500 else [],
        "cleanup": cleanup_note or "tmpfs unmounted, database and tablespace dropped",
    }


SCENARIOS = {
    "worker-kill": worker_kill,
    "redis-loss": redis_loss,
    "postgres-restart": postgres_restart,
    "disk-full": disk_full,
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
    for r in results:  # one line each, so that a caller keeping the tail still sees them
        state = (
            f"SKIPPED ({r['skipped']})"
            if r.get("skipped")
            else ("passed" if r["passed"] else "FAILED")
        )
        print(f"faults: {r['scenario']}: {state}")
    failed = [r["scenario"] for r in results if not r["passed"]]
    print("faults:", "all passed" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
