"""Exports at scale: time and peak memory of the open data (ZIP, JSON, XLSX) and the vision
document, against a bare baseline measured in the same run.

    python benchmarks/bench_exports.py [--ideas 10000] [--comments 100000] [--small 0.1]
                                       [--database-url URL] [--out results.json]

1. Builds two scratch databases with the migrations (SQLite files under a temporary folder,
   or PostgreSQL databases ``<name>_small``/``<name>_large`` from ``--database-url``) and fills
   them with bulk INSERTs: the large one with ``--ideas`` ideas and ``--comments`` comments
   (plus supports and official responses), the small one with ``--small`` of that.
2. Runs every task in a fresh process (so peak RSS belongs to that task alone), twice: once for
   the wall time and peak RSS, once under tracemalloc for the peak of Python allocations.
   Tasks: ``baseline`` (the same idea and comment rows streamed with plain ``csv.writer`` to a
   file: the floor any CSV export pays), ``zip``, ``json``, ``xlsx``, ``pdf`` (the vision
   document) — on both databases — and ``pdf`` with 5 and 50 featured ideas per theme on the
   large one (content grows tenfold: time should not grow faster).
3. Prints a table and writes ``--out`` (JSON).

Memory is flat when the large database's peak equals the small one's although it holds ten
times the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THEMES = 10
DISTRICTS = 6
BATCH = 5000


# --- data -------------------------------------------------------------------------------------


def _app(url: str):
    os.environ.setdefault("PORTAL_ENV", "testing")
    from portal import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "https://portal.example.org", "TESTING": True}
    )


def _insert(table, rows: list[dict]) -> None:
    from portal.extensions import db

    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), rows[start : start + BATCH])


def build(url: str, ideas: int, comments: int) -> dict:
    """A migrated database with one published consultation of ``ideas`` and ``comments``."""
    from sqlalchemy import insert

    from portal.accountability.models import OfficialResponse
    from portal.comments.models import Comment
    from portal.consultations.models import Category, Consultation, District, Phase
    from portal.core.anchors import Anchor
    from portal.extensions import db
    from portal.ideas.models import Idea, Support
    from portal.migrate import upgrade

    app = _app(url)
    rng = random.Random(7)
    with app.app_context():
        upgrade()
        now = datetime(2026, 6, 1)
        start = now - timedelta(days=120)
        consultation = Consultation(
            slug="tualatin-tomorrow",
            title="Tualatin Tomorrow",
            summary="A community vision built from residents' ideas.",
            status="published",
        )
        for i in range(THEMES):
            consultation.categories.append(Category(name=f"Theme {i + 1}", position=i))
        for i in range(DISTRICTS):
            consultation.districts.append(District(name=f"District {i + 1}", position=i))
        consultation.phases.append(Phase(kind="ideas", starts_at=start, ends_at=now))
        db.session.add(consultation)
        db.session.flush()
        themes = [c.id for c in consultation.categories]
        districts = [d.id for d in consultation.districts]
        people = max(100, ideas // 5)
        db.session.execute(
            insert(db.metadata.tables["users"]),
            [
                {
                    "email": f"person{n}@example.org",
                    "display_name": f"Person {n}",
                    "session_token": f"token-{n:08d}",
                    "created_at": start,
                    "updated_at": start,
                }
                for n in range(people)
            ],
        )
        first_user = db.session.execute(db.text("SELECT min(id) FROM users")).scalar()
        users = list(range(first_user, first_user + people))
        first_anchor = (
            db.session.execute(db.text("SELECT max(id) FROM anchors")).scalar() or 0
        ) + 1
        idea_anchor = first_anchor
        comment_anchor = idea_anchor + ideas
        _insert(
            Anchor.__table__,
            [{"id": idea_anchor + n, "kind": "idea", "comment_count": 0} for n in range(ideas)],
        )
        per_idea = [0] * ideas
        targets = [rng.randrange(ideas) for _ in range(comments)]
        for t in targets:
            per_idea[t] += 1
        db.session.execute(
            db.text("UPDATE anchors SET comment_count = :c WHERE id = :id"),
            [{"c": per_idea[n], "id": idea_anchor + n} for n in range(ideas) if per_idea[n]],
        )
        idea_rows = []
        supports = []
        for n in range(ideas):
            created = start + timedelta(minutes=rng.randrange(120 * 24 * 60))
            count = min(int(rng.paretovariate(1.3)), len(users))
            idea_rows.append(
                {
                    "anchor_id": idea_anchor + n,
                    "consultation_id": consultation.id,
                    "author_id": users[n % people],
                    "title": f"Idea {n}: more trees, safer crossings and a better library",
                    "body": "A longer description of the idea, written by a resident. " * 8,
                    "category_id": themes[n % THEMES],
                    "district_id": districts[n % DISTRICTS],
                    "status": "published",
                    "support_count": count,
                    "is_qualified": count >= 10,
                    "moderation_state": "hidden" if n % 97 == 0 else "published",
                    "hidden_reason": "spam" if n % 97 == 0 else None,
                    "address": "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            supports.append((n, count, created))
        _insert(Idea.__table__, idea_rows)
        first_idea = db.session.execute(db.text("SELECT min(id) FROM ideas")).scalar()
        support_rows = []
        for n, count, created in supports:
            for k in range(count):
                support_rows.append(
                    {
                        "idea_id": first_idea + n,
                        "user_id": users[(n + k * 7) % people],
                        "consultation_id": consultation.id,
                        "created_at": created + timedelta(hours=k),
                    }
                )
        seen = set()
        support_rows = [
            r
            for r in support_rows
            if (r["idea_id"], r["user_id"]) not in seen
            and not seen.add((r["idea_id"], r["user_id"]))
        ]
        _insert(Support.__table__, support_rows)
        _insert(
            Anchor.__table__,
            [
                {"id": comment_anchor + n, "kind": "comment", "comment_count": 0}
                for n in range(comments)
            ],
        )
        comment_rows = []
        for n, target in enumerate(targets):
            comment_rows.append(
                {
                    "anchor_id": comment_anchor + n,
                    "target_anchor_id": idea_anchor + target,
                    "author_id": users[(n * 13) % people],
                    "body": "I think this is a good idea because it helps the neighbourhood. " * 3,
                    "stance": ("for", "against", "neutral")[n % 3],
                    "depth": 0,
                    "up_count": rng.randrange(20),
                    "down_count": rng.randrange(5),
                    "moderation_state": "hidden" if n % 211 == 0 else "published",
                    "hidden_reason": "offensive" if n % 211 == 0 else None,
                    "created_at": start + timedelta(minutes=rng.randrange(120 * 24 * 60)),
                }
            )
        _insert(Comment.__table__, comment_rows)
        _insert(
            OfficialResponse.__table__,
            [
                {
                    "idea_id": first_idea + n,
                    "status": "accepted" if n % 3 else "under_review",
                    "previous_status": "published",
                    "text": "Thank you: the council will study this in the next budget.",
                    "reason": "",
                    "created_at": now,
                }
                for n in range(0, ideas, 10)
            ],
        )
        db.session.execute(
            db.text(
                "UPDATE ideas SET first_answered_at = :t "
                "WHERE id IN (SELECT idea_id FROM official_responses)"
            ),
            {"t": now},
        )
        db.session.commit()
        return {
            "ideas": ideas,
            "comments": comments,
            "supports": len(support_rows),
            "users": people,
        }


# --- tasks (each in its own process) ----------------------------------------------------------


def _baseline(consultation, target: str) -> None:
    """The floor: the same idea and comment rows, plain csv.writer, no anonymising."""
    import csv

    from sqlalchemy import select

    from portal.comments.models import Comment
    from portal.extensions import db
    from portal.ideas.models import Idea

    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        ideas = select(Idea.id, Idea.title, Idea.body, Idea.support_count, Idea.created_at).where(
            Idea.consultation_id == consultation.id, Idea.listed()
        )
        for row in db.session.execute(ideas.execution_options(yield_per=1000)):
            writer.writerow(row)
        comments = (
            select(
                Comment.id,
                Comment.target_anchor_id,
                Comment.body,
                Comment.up_count,
                Comment.created_at,
            )
            .join(Idea, Idea.anchor_id == Comment.target_anchor_id)
            .where(Idea.consultation_id == consultation.id, Comment.visible())
        )
        for row in db.session.execute(comments.execution_options(yield_per=1000)):
            writer.writerow(row)


class _RssSampler:
    """Samples this process's resident memory every 20 ms (Linux /proc), for the peak during
    the task itself (ru_maxrss also counts the imports before it)."""

    def __init__(self) -> None:
        import threading

        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self.current()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self.page

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.current())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.current())


def run_task(url: str, task: str, per_theme: int, trace: bool) -> dict:
    app = _app(url)
    with app.app_context(), app.test_request_context(base_url="https://portal.example.org"):
        from sqlalchemy import select

        from portal.consultations.models import Consultation
        from portal.exports import services
        from portal.exports.assemble import Settings
        from portal.extensions import db

        consultation = db.session.scalar(
            select(Consultation).where(Consultation.slug == "tualatin-tomorrow")
        )
        # Warm up imports outside the measurement (WeasyPrint, openpyxl, python-docx).
        import openpyxl  # noqa: F401
        import weasyprint  # noqa: F401

        handle, target = tempfile.mkstemp(prefix="bench-exports-", suffix=f".{task}")
        os.close(handle)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        pages = None
        with _RssSampler() as rss:
            if task == "baseline":
                _baseline(consultation, target)
            elif task in ("zip", "json", "xlsx"):
                with open(target, "wb") as out:
                    services.write_data(consultation, task, out)
            else:
                from portal.exports import documents

                settings = Settings(ideas_per_theme=per_theme)
                data = services.assemble.assemble(consultation, settings)
                with open(target, "wb") as out:
                    documents.write(data, task, out)
        seconds = time.perf_counter() - started
        peak_python = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = os.path.getsize(target)
        if task == "pdf":
            try:
                info = subprocess.run(["pdfinfo", target], capture_output=True, text=True).stdout
                pages = int(
                    next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages"))
                )
            except (OSError, StopIteration, ValueError):
                pages = None
        os.unlink(target)
        return {
            "seconds": round(seconds, 2),
            "rss_before_mb": round(before / 1024, 1),
            "rss_peak_mb": round(max(after * 1024, rss.peak) / 2**20, 1),
            "rss_growth_mb": round((rss.peak - rss.start) / 2**20, 1),
            "python_peak_mb": round(peak_python / 2**20, 1) if peak_python is not None else None,
            "bytes": size,
            "pages": pages,
        }


def _spawn(url: str, task: str, per_theme: int, trace: bool) -> dict:
    command = [
        sys.executable,
        __file__,
        "--task",
        task,
        "--database-url",
        url,
        "--per-theme",
        str(per_theme),
    ]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"task {task} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(url: str, task: str, per_theme: int = 5) -> dict:
    timed = _spawn(url, task, per_theme, trace=False)
    traced = _spawn(url, task, per_theme, trace=True)
    timed["python_peak_mb"] = traced["python_peak_mb"]
    return timed


# --- main -------------------------------------------------------------------------------------


def _databases(args) -> tuple[str, str, tempfile.TemporaryDirectory | None]:
    if args.database_url:
        from sqlalchemy import create_engine, text

        base = args.database_url.rsplit("/", 1)
        admin = create_engine(base[0] + "/postgres", isolation_level="AUTOCOMMIT")
        urls = []
        with admin.connect() as connection:
            for suffix in ("small", "large"):
                name = f"{base[1]}_{suffix}"
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
                urls.append(f"{base[0]}/{name}")
        admin.dispose()
        return urls[0], urls[1], None
    folder = tempfile.TemporaryDirectory(prefix="bench-exports-")
    return f"sqlite:///{folder.name}/small.db", f"sqlite:///{folder.name}/large.db", folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--small", type=float, default=0.1, help="Size of the small database.")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL server URL (default: SQLite)."
    )
    parser.add_argument("--out", default="", help="Write the results as JSON here.")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--per-theme", type=int, default=5, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(run_task(args.database_url, args.task, args.per_theme, args.trace)))
        return

    small_url, large_url, folder = _databases(args)
    results: dict = {
        "started": datetime.now().isoformat(timespec="seconds"),
        "sizes": {},
        "tasks": [],
    }
    for label, url, factor in (("small", small_url, args.small), ("large", large_url, 1.0)):
        started = time.perf_counter()
        sizes = build(url, int(args.ideas * factor), int(args.comments * factor))
        sizes["build_seconds"] = round(time.perf_counter() - started, 1)
        results["sizes"][label] = sizes
        print(f"{label}: {sizes}", flush=True)
    plan = [
        (label, url, task, 5)
        for label, url in (("small", small_url), ("large", large_url))
        for task in ("baseline", "zip", "json", "xlsx", "pdf")
    ]
    plan.append(("large", large_url, "pdf", 50))
    for label, url, task, per_theme in plan:
        row = {"db": label, "task": task, "ideas_per_theme": per_theme if task == "pdf" else None}
        row.update(measure(url, task, per_theme))
        results["tasks"].append(row)
        print(json.dumps(row), flush=True)

    header = (
        f"{'db':6} {'task':9} {'per theme':>9} {'seconds':>8} {'RSS +MB':>8} "
        f"{'py peak MB':>10} {'MB out':>8} {'pages':>6}"
    )
    print("\n" + header)
    for row in results["tasks"]:
        print(
            f"{row['db']:6} {row['task']:9} {row['ideas_per_theme'] or '':>9} {row['seconds']:>8} "
            f"{row['rss_growth_mb']:>8} {row['python_peak_mb']:>10} "
            f"{row['bytes'] / 2**20:>8.2f} {row['pages'] or '':>6}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
