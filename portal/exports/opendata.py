"""Open data of a consultation: tables described once, written as a ZIP of CSV files with a
Frictionless ``datapackage.json``, as JSON, or as XLSX — row by row.

Rows are read with ``yield_per`` (server-side cursors on PostgreSQL) and written as they
come: memory stays flat however large the consultation. The writers are generators that
yield the number of rows written so far every few thousand rows, so a background job can
report progress and an HTTP response can send what is ready.

What is published: public content only (``visible()``; ideas ``listed()``), authors replaced
by a pseudonym that is stable inside one consultation and cannot be linked across them, no
e-mail address, IP address or verification code anywhere. Vote counts (budget results,
simulator aggregates, the anonymised Pabulib ballots) only once the planner published them;
support counts only when the consultation shows them to the public.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func, select

from portal.consultations.models import Consultation
from portal.core.models import utcnow
from portal.exports import assemble
from portal.extensions import db

YIELD_PER = 1000
TICK = 2000  # rows between progress reports
LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}


@dataclass
class Column:
    name: str
    type: str  # Frictionless types: string, integer, number, boolean, datetime, date
    description: str = ""


@dataclass
class Resource:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: Callable[[], Iterator[tuple]]
    count: Callable[[], int] = lambda: 0


@dataclass
class TextFile:
    """A non-tabular file of the package (a Pabulib ballot file)."""

    path: str
    name: str
    title: str
    media_type: str
    text: Callable[[], str]


@dataclass
class Package:
    consultation: Consultation
    resources: list[Resource]
    files: list[TextFile] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.consultation.slug}-open-data"

    def total_rows(self) -> int:
        return sum(r.count() for r in self.resources)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def pseudonyms(consultation: Consultation) -> Callable[[int | None], str | None]:
    """A function giving each person a stable, anonymous label inside ``consultation``: an
    HMAC of the person's id keyed by the portal's secret, so labels cannot be reversed or
    linked across consultations."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    prefix = f"portal-open-data:{consultation.id}:"
    cache: dict[int, str] = {}

    def pseudonym(user_id: int | None) -> str | None:
        if user_id is None:
            return None
        found = cache.get(user_id)
        if found is None:
            digest = hmac.new(key, f"{prefix}{user_id}".encode(), hashlib.sha256).hexdigest()
            found = cache[user_id] = "p-" + digest[:12]
        return found

    return pseudonym


def _stream(stmt) -> Iterator:
    """Rows of ``stmt`` in batches (a server-side cursor on PostgreSQL), closed even when the
    reader stops early."""
    result = db.session.execute(stmt.execution_options(yield_per=YIELD_PER))
    try:
        yield from result
    finally:
        result.close()


# --- the tables -------------------------------------------------------------------------------


def build_package(consultation: Consultation) -> Package:
    """Describe every table of ``consultation``'s open data (nothing is read yet)."""
    from portal.accountability.models import OfficialResponse
    from portal.comments.models import Comment
    from portal.core.anchors import Anchor
    from portal.ideas.models import Idea, Support

    tables = assemble._Tables()
    pseudonym = pseudonyms(consultation)
    names = {c.id: c.name for c in consultation.categories}
    districts = {d.id: d.name for d in consultation.districts}
    shows_supports = assemble.supports_visible(consultation)
    listed = (Idea.consultation_id == consultation.id) & Idea.listed()
    idea_url = assemble._url("ideas.show", idea_id=0).rsplit("/", 1)[0] + "/"

    def idea_rows():
        stmt = (
            select(
                Idea.id,
                Idea.title,
                Idea.body,
                Idea.category_id,
                Idea.district_id,
                Idea.status,
                Idea.support_count,
                Anchor.comment_count,
                Idea.is_qualified,
                Idea.cost,
                Idea.address,
                Idea.latitude,
                Idea.longitude,
                Idea.created_at,
                Idea.first_answered_at,
                Idea.merged_into_id,
                Idea.author_id,
            )
            .join(Anchor, Anchor.id == Idea.anchor_id)
            .where(listed)
            .order_by(Idea.id)
        )
        for row in _stream(stmt):
            yield (
                row.id,
                f"{idea_url}{row.id}",
                row.title,
                row.body,
                names.get(row.category_id, ""),
                districts.get(row.district_id, ""),
                row.status,
                row.support_count if shows_supports else None,
                row.comment_count,
                row.is_qualified,
                row.cost,
                row.address,
                row.latitude,
                row.longitude,
                _iso(row.created_at),
                _iso(row.first_answered_at),
                row.merged_into_id,
                pseudonym(row.author_id),
            )

    def idea_count():
        return db.session.scalar(select(func.count(Idea.id)).where(listed)) or 0

    sources = assemble.comment_sources(consultation, tables)

    def comment_rows():
        # One statement per kind of content: each joins on that table's unique anchor_id.
        for kind, model, where in sources:
            stmt = (
                select(
                    Comment.id,
                    model.id.label("target_id"),
                    Comment.parent_id,
                    Comment.stance,
                    Comment.body,
                    Comment.up_count,
                    Comment.down_count,
                    Comment.created_at,
                    Comment.edited_at,
                    Comment.author_id,
                )
                .join(model, model.anchor_id == Comment.target_anchor_id)
                .where(where, Comment.visible(), Comment.deleted_at.is_(None))
                .order_by(Comment.id)
            )
            for row in _stream(stmt):
                yield (
                    row.id,
                    kind,
                    row.target_id,
                    row.parent_id,
                    row.stance,
                    row.body,
                    row.up_count,
                    row.down_count,
                    _iso(row.created_at),
                    row.edited_at is not None,
                    pseudonym(row.author_id),
                )

    def comment_count():
        return (
            db.session.scalar(
                select(func.count(Comment.id)).where(
                    assemble.public_comment_filter(consultation, tables)
                )
            )
            or 0
        )

    day = func.date(Support.created_at)

    def support_stmt():
        return (
            select(Support.idea_id, day.label("day"), func.count(Support.id))
            .join(Idea, Idea.id == Support.idea_id)
            .where(listed, Support.consultation_id == consultation.id)
            .group_by(Support.idea_id, day)
            .order_by(Support.idea_id, day)
        )

    def support_rows():
        if not shows_supports:
            return
        for idea_id, when, count in _stream(support_stmt()):
            yield (idea_id, str(when)[:10], count)

    def support_count():
        if not shows_supports:
            return 0
        return db.session.scalar(select(func.count()).select_from(support_stmt().subquery())) or 0

    resources = [
        Resource(
            "ideas",
            "Ideas",
            "Public ideas (hidden, pending and withdrawn ideas are left out).",
            [
                Column("id", "integer", "Idea number, as in its address"),
                Column("url", "string", "Public page of the idea"),
                Column("title", "string"),
                Column("body", "string", "Markdown written by the author"),
                Column("theme", "string"),
                Column("district", "string"),
                Column(
                    "status",
                    "string",
                    "published (waiting for an answer), under_review, "
                    "accepted, rejected, implemented or merged",
                ),
                Column("supports", "integer", "Empty while the consultation hides the counts"),
                Column("comments", "integer", "Visible comments"),
                Column("qualified", "boolean", "Reached the support threshold"),
                Column("estimated_cost", "integer", "Whole currency units"),
                Column("address", "string"),
                Column("latitude", "number"),
                Column("longitude", "number"),
                Column("created_at", "datetime", "UTC"),
                Column("first_answered_at", "datetime", "UTC, first official response"),
                Column("merged_into", "integer", "The idea it was merged into"),
                Column("author", "string", "Pseudonym, stable within this consultation only"),
            ],
            idea_rows,
            idea_count,
        ),
        Resource(
            "comments",
            "Comments",
            "Visible comments on the consultation, its ideas and its budget projects. Authors "
            "are pseudonyms.",
            [
                Column("id", "integer"),
                Column("target_type", "string", "idea, project or consultation"),
                Column("target_id", "integer"),
                Column("parent_id", "integer", "The comment this one answers"),
                Column("stance", "string", "for, against or neutral"),
                Column("body", "string", "Markdown"),
                Column("up_votes", "integer"),
                Column("down_votes", "integer"),
                Column("created_at", "datetime", "UTC"),
                Column("edited", "boolean"),
                Column("author", "string", "Pseudonym, stable within this consultation only"),
            ],
            comment_rows,
            comment_count,
        ),
        Resource(
            "supports_by_day",
            "Supports per idea and day",
            "Aggregated supports (never who supported). Empty while the consultation hides "
            "support counts.",
            [
                Column("idea_id", "integer"),
                Column("date", "date", "UTC day"),
                Column("supports", "integer"),
            ],
            support_rows,
            support_count,
        ),
    ]
    files: list[TextFile] = []
    if "budget_projects" in tables:
        budget_resources, files = _budget_resources(consultation, names, districts)
        resources += budget_resources
    if "simulators" in tables:
        resources.append(_simulator_resource(consultation))
    if "official_responses" in tables:

        def response_stmt(columns):
            return select(*columns).join(Idea, Idea.id == OfficialResponse.idea_id).where(listed)

        def response_rows():
            stmt = response_stmt(
                (
                    OfficialResponse.id,
                    OfficialResponse.idea_id,
                    OfficialResponse.previous_status,
                    OfficialResponse.status,
                    OfficialResponse.reason,
                    OfficialResponse.text,
                    OfficialResponse.merged_into_id,
                    OfficialResponse.created_at,
                )
            ).order_by(OfficialResponse.id)
            for row in _stream(stmt):
                yield (*row[:7], _iso(row[7]))

        resources.append(
            Resource(
                "official_responses",
                "Official responses",
                "Every official answer to a public idea, in order (each one changed its status).",
                [
                    Column("id", "integer"),
                    Column("idea_id", "integer"),
                    Column("previous_status", "string"),
                    Column("status", "string"),
                    Column("reason", "string", "Required when rejecting"),
                    Column("text", "string", "Markdown"),
                    Column("merged_into", "integer"),
                    Column("created_at", "datetime", "UTC"),
                ],
                response_rows,
                lambda: db.session.scalar(response_stmt((func.count(OfficialResponse.id),))) or 0,
            )
        )

    def moderation_rows():
        hidden, pending = assemble.hidden_counts(consultation, tables)
        for reason, kinds in sorted(hidden.items()):
            for kind, count in sorted(kinds.items()):
                yield ("hidden", reason, kind, count)
        if pending:
            yield ("pending", "", "", pending)

    resources.append(
        Resource(
            "moderation",
            "Moderation counts",
            "How many items moderation hid, per reason and type, and how many wait for "
            "review. Their content is never published.",
            [
                Column("state", "string", "hidden or pending"),
                Column("reason", "string"),
                Column("type", "string", "idea, comment or project"),
                Column("items", "integer"),
            ],
            moderation_rows,
            lambda: 0,
        )
    )
    return Package(consultation, resources, files)


def _budget_resources(
    consultation: Consultation, names: dict[int, str], districts: dict[int, str]
) -> tuple[list[Resource], list[TextFile]]:
    from portal.budgets import results as budget_results
    from portal.budgets.models import Budget, Project
    from portal.budgets.services import ballots_by_budget

    budgets = list(
        db.session.scalars(
            select(Budget)
            .where(Budget.consultation_id == consultation.id)
            .order_by(Budget.position, Budget.id)
        )
    )
    published = [b for b in budgets if b.results_published]
    ids = [b.id for b in budgets] or [-1]

    def budget_rows():
        counts = ballots_by_budget(ids)
        for b in budgets:
            yield (
                b.id,
                b.title,
                districts.get(b.district_id, ""),
                Decimal(b.total) / 100,
                b.currency,
                b.ballot_kind,
                b.official_rule,
                b.results_published,
                _iso(b.results_published_at),
                counts.get(b.id, 0),
            )

    project_stmt = (
        select(Project)
        .where(Project.budget_id.in_(ids), Project.visible())
        .order_by(Project.budget_id, Project.position, Project.id)
    )

    def project_rows():
        for p in db.session.scalars(project_stmt.execution_options(yield_per=YIELD_PER)):
            yield (
                p.id,
                p.budget_id,
                p.ref,
                p.title,
                p.description,
                Decimal(p.cost) / 100,
                p.feasibility,
                p.feasibility_explanation,
                names.get(p.category_id, ""),
                districts.get(p.district_id, ""),
                p.address,
                p.latitude,
                p.longitude,
                p.idea_id,
            )

    # Computed now (a few small dicts, cached by portal.budgets), so that streaming the rows
    # afterwards only reads: a job commits this cache before it starts writing.
    summaries = {b.id: budget_results.summary(b) for b in published}

    def result_rows():
        for budget in published:
            summary = summaries[budget.id]
            added = {row["id"] for row in summary["would_add"]}
            removed = {row["id"] for row in summary["would_remove"]}
            for row in summary["projects"]:
                other = (row["funded"] and row["id"] not in removed) or row["id"] in added
                yield (
                    budget.id,
                    row["id"],
                    row["ref"],
                    row["votes"],
                    str(row["score"]) if row["score"] is not None else None,
                    row["funded"],
                    summary["rule"],
                    other,
                    summary["compared_with"],
                )

    resources = [
        Resource(
            "budgets",
            "Budgets",
            "The consultation's participatory budgets and their ballot rules.",
            [
                Column("id", "integer"),
                Column("title", "string"),
                Column("district", "string"),
                Column("total", "number", "In currency units"),
                Column("currency", "string"),
                Column("ballot_kind", "string", "knapsack, approval, cumulative or ranked"),
                Column("rule", "string", "Official counting rule (Pabulib rule name)"),
                Column("results_published", "boolean"),
                Column("results_published_at", "datetime", "UTC"),
                Column("ballots", "integer", "Counted ballots (turnout)"),
            ],
            budget_rows,
            lambda: len(budgets),
        ),
        Resource(
            "budget_projects",
            "Budget projects",
            "Public projects of the budgets.",
            [
                Column("id", "integer"),
                Column("budget_id", "integer"),
                Column("ref", "string", "Reference on paper ballots and in Pabulib files"),
                Column("title", "string"),
                Column("description", "string", "Markdown"),
                Column("cost", "number", "In currency units"),
                Column("feasibility", "string"),
                Column("feasibility_explanation", "string"),
                Column("theme", "string"),
                Column("district", "string"),
                Column("address", "string"),
                Column("latitude", "number"),
                Column("longitude", "number"),
                Column("idea_id", "integer", "The idea it came from"),
            ],
            project_rows,
            lambda: (
                db.session.scalar(
                    select(func.count()).select_from(project_stmt.order_by(None).subquery())
                )
                or 0
            ),
        ),
        Resource(
            "budget_results",
            "Budget results",
            "Votes and outcome per project, only for budgets whose results are published; "
            "the other rule shows what a proportional rule (Method of Equal Shares) or, for "
            "a proportional official rule, the greedy rule would fund.",
            [
                Column("budget_id", "integer"),
                Column("project_id", "integer"),
                Column("ref", "string"),
                Column("votes", "integer"),
                Column("score", "string", "Points or score (exact fraction) where it differs"),
                Column("funded", "boolean", "By the official rule"),
                Column("rule", "string"),
                Column("funded_by_other_rule", "boolean"),
                Column("other_rule", "string"),
            ],
            result_rows,
            lambda: sum(len(s["projects"]) for s in summaries.values()),
        ),
    ]
    files = []
    for budget in published:

        def pabulib(budget=budget) -> str:
            from portal.budgets.pabulib_io import export_pb

            return export_pb(budget)

        files.append(
            TextFile(
                f"ballots/budget-{budget.id}.pb",
                f"ballots-budget-{budget.id}",
                f"Anonymised ballots of {budget.title} (Pabulib)",
                "text/plain",
                pabulib,
            )
        )
    return resources, files


def _simulator_resource(consultation: Consultation) -> Resource:
    from portal.simulator import services as simulator_services

    def rows():
        for simulator in simulator_services.simulators_for(consultation, None):
            if not simulator_services.can_see_results(None, simulator):
                continue
            data = simulator_services.aggregate(simulator, include_comments=False)
            for line in data["lines"]:
                yield (
                    simulator.id,
                    simulator.title,
                    simulator.currency,
                    data["responses"],
                    line["id"],
                    line["name"],
                    line["group"],
                    line["current"],
                    line["mean"],
                    line["median"],
                    line["q1"],
                    line["q3"],
                    line["raised_share"],
                    line["kept_share"],
                    line["cut_share"],
                )

    return Resource(
        "simulator_lines",
        "Budget simulator aggregates",
        "Per simulator line: today's amount and the residents' answers (only simulators "
        "whose results are published). Amounts in currency units.",
        [
            Column("simulator_id", "integer"),
            Column("simulator", "string"),
            Column("currency", "string"),
            Column("responses", "integer"),
            Column("line_id", "integer"),
            Column("line", "string"),
            Column("group", "string"),
            Column("current", "number"),
            Column("mean", "number"),
            Column("median", "number"),
            Column("q1", "number"),
            Column("q3", "number"),
            Column("raised_share", "number", "Share of responses above today's amount"),
            Column("kept_share", "number"),
            Column("cut_share", "number"),
        ],
        rows,
        lambda: 0,
    )


# --- the descriptor ---------------------------------------------------------------------------


def descriptor(package: Package, paths: dict[str, str] | None = None) -> dict[str, Any]:
    """The Frictionless Data Package descriptor (``datapackage.json``)."""
    consultation = package.consultation
    resources: list[dict[str, Any]] = []
    for resource in package.resources:
        entry: dict[str, Any] = {
            "name": resource.name,
            "title": resource.title,
            "description": resource.description,
            "profile": "tabular-data-resource",
            "path": (paths or {}).get(resource.name, f"data/{resource.name}.csv"),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
            "schema": {
                "fields": [
                    {
                        "name": c.name,
                        "type": c.type,
                        **({"description": c.description} if c.description else {}),
                    }
                    for c in resource.columns
                ],
                "missingValues": [""],
            },
        }
        resources.append(entry)
    for text_file in package.files:
        resources.append(
            {
                "name": text_file.name,
                "title": text_file.title,
                "path": text_file.path,
                "format": "pb",
                "mediatype": text_file.media_type,
                "encoding": "utf-8",
                "description": "Pabulib file (https://pabulib.org/format): voters numbered "
                "1..n in no particular order, no personal columns.",
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": package.name,
        "title": consultation.title,
        "description": consultation.summary or consultation.title,
        "homepage": assemble._url("consultations.show", slug=consultation.slug),
        "created": _iso(utcnow()),
        "licenses": [LICENSE],
        "resources": resources,
    }


# --- writers (generators: they yield the rows written so far) ---------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _iso(value)


def write_zip(package: Package, target: BinaryIO) -> Iterator[int]:
    """CSV files, Pabulib files and ``datapackage.json`` in a ZIP written to ``target``
    (which may be unseekable: an HTTP response)."""
    done = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for resource in package.resources:
            with zf.open(f"data/{resource.name}.csv", "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
                writer = csv.writer(text)
                writer.writerow([c.name for c in resource.columns])
                for row in resource.rows():
                    writer.writerow([_csv_cell(v) for v in row])
                    done += 1
                    if done % TICK == 0:
                        text.flush()
                        yield done
                text.flush()
                text.detach()
            yield done
        for text_file in package.files:
            zf.writestr(text_file.path, text_file.text())
            yield done
        zf.writestr(
            "datapackage.json", json.dumps(descriptor(package), indent=2, ensure_ascii=False)
        )
    yield done


def _json_value(value: Any) -> Any:
    value = _iso(value)
    return value


def write_json(package: Package, target: BinaryIO) -> Iterator[int]:
    """One JSON object: the descriptor, then every table as an array of objects."""
    done = 0

    def put(text: str) -> None:
        target.write(text.encode("utf-8"))

    meta = descriptor(package, {r.name: f"#/data/{r.name}" for r in package.resources})
    put("{\n")
    put('"datapackage": ' + json.dumps(meta, ensure_ascii=False) + ",\n")
    put('"data": {\n')
    for index, resource in enumerate(package.resources):
        names = [c.name for c in resource.columns]
        put(("," if index else "") + json.dumps(resource.name) + ": [")
        first = True
        for row in resource.rows():
            item = {n: _json_value(v) for n, v in zip(names, row, strict=True)}
            put(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
            first = False
            done += 1
            if done % TICK == 0:
                yield done
        put("]\n")
        yield done
    put("},\n")
    put('"pabulib": {')
    for index, text_file in enumerate(package.files):
        put(
            ("," if index else "")
            + json.dumps(text_file.name)
            + ": "
            + json.dumps(text_file.text())
        )
        yield done
    put("}\n}\n")
    yield done


def write_xlsx(package: Package, target: BinaryIO | str) -> Iterator[int]:
    """One sheet per table (openpyxl's write-only mode keeps memory flat); an "About" sheet
    describes the columns. Text is always stored as text (no formula can sneak in)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("About")
    about.append([package.consultation.title])
    about.append(["Licence", LICENSE["path"]])
    about.append([])
    about.append(["Sheet", "Column", "Type", "Description"])
    for resource in package.resources:
        for column in resource.columns:
            about.append([resource.name[:31], column.name, column.type, column.description])
    done = 0
    for resource in package.resources:
        sheet = workbook.create_sheet(resource.name[:31])
        sheet.append([c.name for c in resource.columns])
        for row in resource.rows():
            cells = []
            for value in row:
                value = _iso(value) if not isinstance(value, Decimal) else float(value)
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot hold them
                if isinstance(value, str) and value.startswith("="):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # text, never a formula
                    value = cell
                cells.append(value)
            sheet.append(cells)
            done += 1
            if done % TICK == 0:
                yield done
        yield done
    workbook.save(target)
    yield done


WRITERS = {"zip": write_zip, "json": write_json, "xlsx": write_xlsx}
MEDIA_TYPES = {
    "zip": "application/zip",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(WRITERS)


def write(package: Package, fmt: str, target: BinaryIO) -> None:
    for _ in WRITERS[fmt](package, target):
        pass


class ChunkSink:
    """A write-only, unseekable stream that hands its bytes out in chunks (HTTP streaming)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        if data:
            self._chunks.append(bytes(data))
            self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream(package: Package, fmt: str) -> Iterable[bytes]:
    """The file's bytes as they are written (ZIP and JSON)."""
    sink = ChunkSink()
    for _ in WRITERS[fmt](package, sink):  # type: ignore[arg-type]
        data = sink.drain()
        if data:
            yield data
    data = sink.drain()
    if data:
        yield data
