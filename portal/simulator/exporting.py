"""The aggregate as CSV (stdlib) and XLSX (openpyxl), from :func:`services.aggregate`'s data."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

LINE_COLUMNS = (
    ("id", "line_id"),
    ("group", "group"),
    ("name", "name"),
    ("kind", "kind"),
    ("current", "current"),
    ("count", "responses"),
    ("mean", "mean"),
    ("minimum", "minimum"),
    ("q1", "q1"),
    ("median", "median"),
    ("q3", "q3"),
    ("maximum", "maximum"),
    ("raised", "raised"),
    ("kept", "kept"),
    ("cut", "cut"),
    ("raised_share", "raised_share"),
    ("kept_share", "kept_share"),
    ("cut_share", "cut_share"),
    ("comment_count", "comments"),
)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def line_rows(data: dict[str, Any]) -> list[list[Any]]:
    rows = [[header for _key, header in LINE_COLUMNS]]
    for line in data["lines"]:
        rows.append([_safe(_cell(line[key])) for key, _h in LINE_COLUMNS])
    total = data["total"]
    rows.append(
        [
            "",
            "",
            _("Total"),
            "",
            total["current"],
            data["responses"],
            _cell(total["mean"]),
            _cell(total["minimum"]),
            _cell(total["q1"]),
            _cell(total["median"]),
            _cell(total["q3"]),
            _cell(total["maximum"]),
            total["raised"],
            total["kept"],
            total["cut"],
            "",
            "",
            "",
            data.get("overall_comment_count", 0),
        ]
    )
    return rows


def summary_rows(data: dict[str, Any]) -> list[list[Any]]:
    sim = data["simulator"]
    ttc = data["time_to_complete"]
    rows = [
        ["simulator", _safe(sim["title"])],
        ["consultation", _safe(sim["consultation"]["title"])],
        ["mode", sim["mode"]],
        ["currency", sim["currency"]],
        ["responses", data["responses"]],
        ["drafts", data["drafts"]],
        ["median_seconds_to_complete", _cell(ttc["median_seconds"])],
        ["mean_seconds_to_complete", _cell(ttc["mean_seconds"])],
        ["generated_at_utc", data["generated_at"].isoformat(timespec="seconds")],
    ]
    impact = data.get("household_impact")
    if impact:
        rows += [
            ["household_share", impact["household_share"]],
            ["mean_household_impact", _cell(impact["mean"])],
            ["median_household_impact", _cell(impact["median"])],
        ]
    return rows


def to_csv(data: dict[str, Any]) -> str:
    """One table per line (statistics), then the responses per day."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(line_rows(data))
    writer.writerow([])
    writer.writerow(["date", "responses"])
    writer.writerows([[day["date"], day["count"]] for day in data["per_day"]])
    writer.writerow([])
    writer.writerows(summary_rows(data))
    return buffer.getvalue()


def comments_csv(comments: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["response", "line_id", "line", "comment", "updated_at_utc"])
    for item in comments:
        writer.writerow(
            [
                item["response"],
                _cell(item["line_id"]),
                _safe(item["line"]),
                _safe(item["text"]),
                item["at"].isoformat(timespec="seconds") if item["at"] else "",
            ]
        )
    return buffer.getvalue()


def to_xlsx(data: dict[str, Any], comments: list[dict[str, Any]] | None = None) -> bytes:
    """A workbook: Lines, Per day, Summary and (for planners) Comments."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Lines"
    for row in line_rows(data):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    days = book.create_sheet("Per day")
    days.append(["date", "responses"])
    for day in data["per_day"]:
        days.append([day["date"], day["count"]])
    summary = book.create_sheet("Summary")
    for row in summary_rows(data):
        summary.append(row)
    if comments is not None:
        sheet_c = book.create_sheet("Comments")
        sheet_c.append(["response", "line_id", "line", "comment", "updated_at_utc"])
        for item in comments:
            sheet_c.append(
                [
                    item["response"],
                    _cell(item["line_id"]),
                    _safe(item["line"]),
                    _safe(item["text"]),
                    item["at"],
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
