"""``portal seed-large``: a city-sized data set for benchmarks, in minutes.

Rows are written with COPY on PostgreSQL and with Core ``insert(table)`` executemany batches
elsewhere, with explicit ids (sequences are moved past them afterwards). Both end with
``ANALYZE``, as a bulk load should: on SQLite (which never gathers statistics by itself) the
planner would otherwise read, say, every published comment to count one page's replies.
Counters that the portal keeps denormalised (``ideas.support_count``, ``anchors.comment_count``,
``ideas.is_qualified``) are computed while generating, so the data is consistent. Tables that
do not exist yet (a capability not built) are skipped with a message.

Every run adds a new consultation and new voters (tagged, so runs never collide) and writes a
manifest (``instance/seed-large.json`` unless ``--manifest``) telling benchmarks what exists:
the consultation slug, id ranges, the voters' e-mail pattern and password.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, Table, func, insert, inspect, select, text

from portal.core.models import utcnow
from portal.extensions import db

SEED_PASSWORD = "seed-password-2026"  # noqa: S105 - benchmark accounts, printed on purpose
CHUNK = 20_000
# SQLite's page cache while seeding (KiB, as PRAGMA cache_size takes it when negative): the
# default 2 MB makes every insert into a large index read and spill pages.
SQLITE_SEED_CACHE_KIB = 256 * 1024
_WORDS_TEXT = (
    "park bench tree school library bike lane playground lights crossing market garden "
    "square fountain bus stop river path sports field skate shade water toilets wall art "
    "repair clean safe quiet green wide new old community centre music youth elderly dogs "
    "parking trees flowers solar roof bridge ramp access"
)
WORDS = _WORDS_TEXT.split()


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()


class Writer:
    """Writes many rows into one table: COPY on PostgreSQL, executemany batches elsewhere."""

    def __init__(self, conn: Connection, echo: Callable[[str], None]) -> None:
        self.conn = conn
        self.echo = echo
        self.postgres = conn.dialect.name == "postgresql"
        self.inspector = inspect(conn)
        self.existing = set(self.inspector.get_table_names())

    def has(self, *names: str) -> bool:
        missing = [name for name in names if name not in self.existing]
        return not missing

    def skip(self, what: str, *names: str) -> bool:
        """True (after saying so) when one of ``names`` is not in the database yet."""
        missing = [name for name in names if name not in self.existing]
        if missing:
            self.echo(f"  skipped {what}: table(s) {', '.join(missing)} not present yet")
            return True
        return False

    def next_id(self, name: str) -> int:
        query = text(f'SELECT max(id) FROM "{name}"')  # noqa: S608 - our own table names
        return (self.conn.scalar(query) or 0) + 1

    def _fillers(self, table: Table, columns: Sequence[str]) -> tuple[list[str], list[Any]]:
        """Values for NOT NULL columns the generator does not know (added by later work)."""
        db_columns = {col["name"]: col for col in self.inspector.get_columns(table.name)}
        names: list[str] = []
        values: list[Any] = []
        for name, info in db_columns.items():
            if name in columns or info["nullable"] or info.get("default") is not None:
                continue
            if info.get("autoincrement") is True and name == "id":
                continue
            column = table.c.get(name)
            value: Any = None
            if column is not None and column.default is not None and column.default.is_scalar:
                value = column.default.arg
            elif column is not None and column.default is not None and column.default.is_callable:
                value = column.default.arg(None) if name != "id" else None
            if value is None:
                python_type = None
                try:
                    python_type = (column.type if column is not None else info["type"]).python_type
                except NotImplementedError:
                    python_type = None
                value = {
                    int: 0,
                    float: 0.0,
                    bool: False,
                    str: "",
                    datetime: utcnow(),
                    dict: {},
                    list: [],
                }.get(python_type, "")
            if isinstance(value, dict | list):
                value = json.dumps(value)
            names.append(name)
            values.append(value)
        return names, values

    def write(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table = db.metadata.tables.get(name)
        if table is None:
            table = Table(name, db.metadata, autoload_with=self.conn)
        extra_names, extra_values = self._fillers(table, columns)
        all_columns = list(columns) + extra_names
        started = time.monotonic()
        count = 0
        if self.postgres:
            raw = self.conn.connection.driver_connection
            quoted = ", ".join(f'"{c}"' for c in all_columns)
            skip_checks = self._skip_foreign_key_checks(name)
            with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row((*row, *extra_values) if extra_values else row)
                    count += 1
            if skip_checks:
                self.conn.execute(text("SET LOCAL session_replication_role = DEFAULT"))
        else:
            batch: list[dict[str, Any]] = []
            statement = insert(table)
            for row in rows:
                batch.append(dict(zip(all_columns, (*row, *extra_values), strict=True)))
                if len(batch) >= CHUNK:
                    self.conn.execute(statement, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self.conn.execute(statement, batch)
                count += len(batch)
        seconds = time.monotonic() - started
        rate = count / seconds if seconds > 0 else 0
        self.echo(f"  {name}: {count:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s)")
        return count

    def _skip_foreign_key_checks(self, name: str) -> bool:
        """Rows we generate reference only rows we created: on a table with no triggers of its
        own, skip the per-row foreign-key checks (needs a superuser; else they run)."""
        own_triggers = self.conn.scalar(
            text(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                "AND NOT tgisinternal"
            ),
            {"t": f'"{name}"'},
        )
        if own_triggers:
            return False
        is_superuser = self.conn.scalar(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
        if not is_superuser:
            return False
        self.conn.execute(text("SET LOCAL session_replication_role = replica"))
        return True

    def fix_sequences(self, *names: str) -> None:
        if not self.postgres:
            return
        for name in names:
            if name in self.existing:
                sql = (
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                    f'(SELECT coalesce(max(id), 1) FROM "{name}"))'
                )
                self.conn.execute(text(sql))


def _skewed(rng: random.Random, n: int, power: float = 2.5) -> int:
    """An index in [0, n): a few items get most of the attention, as in real portals (with
    the default power, the first of 100,000 ideas gets 1 % of the draws)."""
    return min(n - 1, int(n * rng.random() ** power))


def seed_large(
    ideas: int,
    comments: int,
    supports: int,
    voters: int,
    projects: int,
    seed: int = 1,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fill the database; return the manifest (what was created)."""
    rng = random.Random(seed)
    tag = secrets.token_hex(3)
    now = utcnow()
    manifest: dict[str, Any] = {"tag": tag, "password": SEED_PASSWORD, "created_at": str(now)}
    started = time.monotonic()

    connection = db.session.connection()
    writer = Writer(connection, echo)
    if writer.skip("everything", "users", "user_roles", "anchors"):
        return manifest
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_SEED_CACHE_KIB}")

    from portal.accounts.services import hash_password

    # ---- voters ------------------------------------------------------------------------
    password_hash = hash_password(SEED_PASSWORD)
    first_user = writer.next_id("users")
    email_pattern = f"seed-{tag}-{{n}}@example.org"

    def user_rows() -> Iterator[tuple]:
        for n in range(voters):
            created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            yield (
                first_user + n,
                email_pattern.format(n=n),
                password_hash,
                f"Voter {tag} {n}",
                secrets.token_urlsafe(24),
                created,
                created,
                created,
            )

    echo(f"Seeding (tag {tag}) ...")
    writer.write(
        "users",
        (
            "id",
            "email",
            "password_hash",
            "display_name",
            "session_token",
            "email_confirmed_at",
            "created_at",
            "updated_at",
        ),
        user_rows(),
    )
    writer.write(
        "user_roles",
        ("user_id", "role", "granted_at"),
        ((first_user + n, "resident", now) for n in range(voters)),
    )
    manifest["voters"] = {
        "count": voters,
        "first_id": first_user,
        "email_pattern": email_pattern,
    }
    writer.fix_sequences("users")

    # ---- the consultation, themes, districts, phases (through the ORM: a handful of rows)
    if writer.skip("consultation, ideas, comments, budgets", "consultations", "phases"):
        db.session.commit()
        return manifest
    from portal.consultations.models import Category, Consultation, District, Phase

    consultation = Consultation(
        slug=f"seed-{tag}",
        title=f"City budget {now.year} (benchmark data {tag})",
        summary="A large generated consultation for benchmarks.",
        description="Generated by `portal seed-large`.",
        status="published",
        support_threshold=100,
    )
    for kind in ("ideas", "discussion", "support", "ballot"):
        consultation.phases.append(
            Phase(kind=kind, starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=60))
        )
    if writer.has("categories"):
        consultation.categories.extend(
            Category(name=f"Theme {i + 1}", position=i) for i in range(10)
        )
    if writer.has("districts"):
        consultation.districts.extend(
            District(name=f"District {i + 1}", position=i) for i in range(8)
        )
    db.session.add(consultation)
    db.session.flush()
    category_ids = [c.id for c in consultation.categories]
    district_ids = [d.id for d in consultation.districts]
    manifest["consultation"] = {"id": consultation.id, "slug": consultation.slug}

    # ---- ideas, supports, comments -----------------------------------------------------
    if ideas and not writer.skip("ideas and supports", "ideas"):
        # Draw supports and comments first: their counters go into the idea rows.
        support_idea = array("i")
        support_user = array("i")
        counts = array("i", bytes(4 * ideas))
        if voters:
            per_voter, extra = divmod(supports, voters)
            for voter in range(voters):
                wanted = min(ideas, per_voter + (1 if voter < extra else 0))
                chosen: set[int] = set()
                while len(chosen) < wanted:
                    chosen.add(_skewed(rng, ideas))
                for idea_index in chosen:
                    support_idea.append(idea_index)
                    support_user.append(voter)
                    counts[idea_index] += 1
        comment_idea = array("i")
        comment_parent = array("i")
        comment_counts = array("i", bytes(4 * ideas))
        last_top: dict[int, int] = {}
        for index in range(comments):
            idea_index = _skewed(rng, ideas, 1.5)  # the busiest of 100k ideas: ~500 comments
            parent = last_top.get(idea_index, -1) if rng.random() < 0.3 else -1
            comment_idea.append(idea_index)
            comment_parent.append(parent)
            if parent < 0:
                last_top[idea_index] = index
            comment_counts[idea_index] += 1

        first_anchor = writer.next_id("anchors")
        first_idea = writer.next_id("ideas")
        threshold = consultation.support_threshold or 0
        writer.write(
            "anchors",
            ("id", "kind", "comment_count"),
            ((first_anchor + i, "idea", comment_counts[i]) for i in range(ideas)),
        )

        def idea_rows() -> Iterator[tuple]:
            span = 60 * 24 * 28
            for i in range(ideas):
                created = now - timedelta(minutes=span - (span * i) // max(ideas, 1))
                yield (
                    first_idea + i,
                    first_anchor + i,
                    consultation.id,
                    first_user + rng.randrange(voters) if voters else None,
                    f"{_sentence(rng, 3, 8)} #{i}",
                    _sentence(rng, 30, 120) + ".",
                    rng.choice(category_ids) if category_ids else None,
                    rng.choice(district_ids) if district_ids else None,
                    "published",
                    counts[i],
                    bool(threshold and counts[i] >= threshold),
                    "published",
                    created,
                    created,
                )

        writer.write(
            "ideas",
            (
                "id",
                "anchor_id",
                "consultation_id",
                "author_id",
                "title",
                "body",
                "category_id",
                "district_id",
                "status",
                "support_count",
                "is_qualified",
                "moderation_state",
                "created_at",
                "updated_at",
            ),
            idea_rows(),
        )
        manifest["ideas"] = {"count": ideas, "first_id": first_idea}
        writer.fix_sequences("anchors", "ideas")

        if supports and voters and not writer.skip("supports", "supports"):
            first_support = writer.next_id("supports")
            writer.write(
                "supports",
                ("id", "idea_id", "user_id", "consultation_id", "created_at"),
                (
                    (
                        first_support + k,
                        first_idea + support_idea[k],
                        first_user + support_user[k],
                        consultation.id,
                        now - timedelta(minutes=k % 20000),
                    )
                    for k in range(len(support_idea))
                ),
            )
            writer.fix_sequences("supports")
            manifest["supports"] = len(support_idea)
        del support_idea, support_user

        if comments and not writer.skip("comments", "comments"):
            first_comment_anchor = writer.next_id("anchors")
            first_comment = writer.next_id("comments")
            writer.write(
                "anchors",
                ("id", "kind", "comment_count"),
                ((first_comment_anchor + k, "comment", 0) for k in range(comments)),
            )

            def comment_rows() -> Iterator[tuple]:
                for k in range(comments):
                    parent = comment_parent[k]
                    created = now - timedelta(seconds=(comments - k) * 2)
                    comment_id = first_comment + k
                    yield (
                        comment_id,
                        first_comment_anchor + k,
                        first_anchor + comment_idea[k],
                        first_comment + parent if parent >= 0 else None,
                        first_comment + parent if parent >= 0 else comment_id,
                        1 if parent >= 0 else 0,
                        first_user + rng.randrange(voters) if voters else None,
                        _sentence(rng, 8, 40) + ".",
                        rng.choice(("for", "against", "neutral")),
                        created,
                        "published",
                    )

            writer.write(
                "comments",
                (
                    "id",
                    "anchor_id",
                    "target_anchor_id",
                    "parent_id",
                    "root_id",
                    "depth",
                    "author_id",
                    "body",
                    "stance",
                    "created_at",
                    "moderation_state",
                ),
                comment_rows(),
            )
            writer.fix_sequences("anchors", "comments")
            manifest["comments"] = comments
        del comment_idea, comment_parent

    # ---- a budget with its projects (ORM: a few hundred rows) ---------------------------
    if projects and not writer.skip("budget and projects", "budgets", "budget_projects"):
        from portal.budgets.models import Budget, Project

        budget = Budget(
            consultation_id=consultation.id,
            title=f"City budget {tag}",
            total=5_000_000_00,
            ballot_kind="knapsack",
        )
        db.session.add(budget)
        db.session.flush()
        for i in range(projects):
            db.session.add(
                Project(
                    budget_id=budget.id,
                    ref=f"P{i + 1:04d}",
                    position=i,
                    title=f"{_sentence(rng, 3, 7)} (project {i + 1})",
                    description=_sentence(rng, 20, 80) + ".",
                    cost=rng.randint(5, 120) * 10_000_00,
                    feasibility="feasible",
                    category_id=rng.choice(category_ids) if category_ids else None,
                    district_id=rng.choice(district_ids) if district_ids else None,
                )
            )
        db.session.flush()
        manifest["budget"] = {"id": budget.id, "projects": projects}
        echo(f"  budget {budget.id} with {projects} projects")

    # ---- an open budget simulator -------------------------------------------------------
    if not writer.skip("simulator", "simulators", "simulator_lines"):
        from portal.simulator.models import Simulator, SimulatorLine

        simulator = Simulator(
            consultation_id=consultation.id,
            title=f"Balance the budget {tag}",
            status="open",
            mode="balance",
            tolerance=0,
        )
        for i in range(8):
            amount = (i + 1) * 1_000_000_00
            simulator.lines.append(
                SimulatorLine(
                    position=i,
                    name=f"Service {i + 1}",
                    group_name=f"Group {i % 3 + 1}",
                    current_amount=amount,
                    minimum=amount // 2,
                    maximum=amount * 2,
                    step=1_000_00,
                )
            )
        db.session.add(simulator)
        db.session.flush()
        manifest["simulator"] = {"id": simulator.id}
        echo(f"  simulator {simulator.id}")

    db.session.commit()
    analyze_started = time.monotonic()
    if connection.dialect.name == "postgresql":
        with db.engine.connect() as analyze:
            analyze.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    elif connection.dialect.name == "sqlite":
        # Close the pooled connections: the one that seeded holds its large page cache (an
        # in-memory database would vanish with its connection: leave that one be).
        if db.engine.url.database not in (None, "", ":memory:"):
            db.session.close()
            db.engine.dispose()
        with db.engine.connect() as analyze:
            analyze.exec_driver_sql("ANALYZE")
            analyze.commit()
    echo(f"  ANALYZE in {time.monotonic() - analyze_started:.1f} s")
    manifest["seconds"] = round(time.monotonic() - started, 1)
    echo(f"Done in {manifest['seconds']} s.")
    return manifest


def count_rows(names: Sequence[str]) -> dict[str, int]:
    """Row counts of the tables that exist (for reports)."""
    existing = set(inspect(db.engine).get_table_names())
    result = {}
    for name in names:
        if name in existing:
            table = Table(name, db.metadata, autoload_with=db.engine)
            result[name] = db.session.scalar(select(func.count()).select_from(table)) or 0
    return result


@click.command("seed-large")
@click.option("--ideas", default=100_000, show_default=True, help="Ideas to create.")
@click.option("--comments", default=1_000_000, show_default=True, help="Comments on them.")
@click.option("--supports", default=2_000_000, show_default=True, help="Supports in all.")
@click.option("--voters", default=200_000, show_default=True, help="Voter accounts.")
@click.option("--projects", default=200, show_default=True, help="Budget projects.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same data shape).")
@click.option("--manifest", type=click.Path(dir_okay=False), help="Where to write the manifest.")
@with_appcontext
def seed_large_command(
    ideas: int,
    comments: int,
    supports: int,
    voters: int,
    projects: int,
    seed: int,
    manifest: str | None,
) -> None:
    """Fill the database with a large data set for benchmarks (bulk inserts; adds, never
    deletes). Voters log in with the password printed at the end."""
    if min(ideas, comments, supports, voters, projects) < 0:
        raise click.BadParameter("counts must not be negative")
    result = seed_large(ideas, comments, supports, voters, projects, seed, echo=click.echo)
    path = Path(manifest or Path(current_app.instance_path) / "seed-large.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    click.echo(f"Manifest: {path}")
    if "voters" in result:
        example = result["voters"]["email_pattern"].format(n=0)
        click.echo(f"Voters log in as {example} ... with the password {SEED_PASSWORD}")
