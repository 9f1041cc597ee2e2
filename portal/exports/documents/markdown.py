"""Markdown (CommonMark with pipe tables): readable as plain text, convertible by any tool.

Charts are embedded as SVG data URIs (vector) and followed by their data as a table.
"""

from __future__ import annotations

import base64
import re
from typing import TextIO

from portal.exports import charts
from portal.exports.documents.model import (
    BulletList,
    Document,
    Figure,
    Figures,
    Heading,
    MarkdownText,
    Paragraph,
    Run,
    Table,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def escape(text: str) -> str:
    """Text that Markdown shows as it is (no emphasis, links or HTML)."""
    text = _SPECIAL.sub(r"\\\1", text.replace("\r", ""))
    return re.sub(r"^(\s*)([-+]|\d+[.)])(\s)", r"\1\\\2\3", text, flags=re.MULTILINE)


def runs(items: list[Run]) -> str:
    out = []
    for run in items:
        text = escape(run.text)
        if not text.strip():
            out.append(text)
            continue
        if run.bold:
            text = f"**{text}**"
        if run.italic:
            text = f"*{text}*"
        if run.href:
            text = f"[{text}](<{run.href.replace('>', '%3E').replace(' ', '%20')}>)"
        out.append(text)
    return "".join(out).replace("\n", "  \n")


def _cell(value) -> str:
    text = runs([value]) if isinstance(value, Run) else escape(str(value))
    return text.replace("\n", " ")


def write(document: Document, out: TextIO) -> None:
    cover = document.cover
    out.write(f"# {escape(cover.title)}\n\n")
    if cover.subtitle:
        out.write(f"**{escape(cover.subtitle)}**\n\n")
    out.write(f"{escape(cover.date)}\n\n")
    if cover.url:
        out.write(f"<{cover.url}>\n\n")
    out.write(f"*{escape(cover.note)}*\n\n")
    out.write(f"## {escape(document.contents_title)}\n\n")
    for number, entry in enumerate(document.contents, 1):
        out.write(f"{number}. [{escape(entry.text)}](#{entry.anchor})\n")
    out.write("\n")
    for block in document.blocks:
        if isinstance(block, Heading):
            anchor = f'<a id="{block.anchor}"></a>\n\n' if block.anchor else ""
            out.write(f"{anchor}{'#' * (block.level + 1)} {escape(block.text)}\n\n")
        elif isinstance(block, Paragraph):
            text = runs(block.runs)
            if block.style == "quote":
                text = "> " + text.replace("\n", "\n> ")
            elif block.style == "note":
                text = f"*{text}*" if text and "*" not in text else text
            out.write(text + "\n\n")
        elif isinstance(block, BulletList):
            for number, item in enumerate(block.items, 1):
                marker = f"{number}." if block.ordered else "-"
                out.write(f"{marker} {runs(item)}\n")
            out.write("\n")
        elif isinstance(block, Figures):
            for label, value in block.items:
                out.write(f"- **{escape(label)}:** {escape(value)}\n")
            out.write("\n")
        elif isinstance(block, Table):
            out.write(f"**{escape(block.caption)}**\n\n")
            out.write("| " + " | ".join(escape(h) for h in block.headers) + " |\n")
            out.write(
                "|"
                + "|".join(
                    " ---: " if i in block.numeric else " --- " for i in range(len(block.headers))
                )
                + "|\n"
            )
            for row in block.rows:
                out.write("| " + " | ".join(_cell(c) for c in row) + " |\n")
            out.write("\n")
        elif isinstance(block, Figure):
            data = base64.b64encode(charts.svg(block.chart).encode("utf-8")).decode("ascii")
            out.write(f"![{escape(block.chart.title)}](data:image/svg+xml;base64,{data})\n\n")
        elif isinstance(block, MarkdownText):
            out.write(shift_headings(block.source.strip().replace("\r\n", "\n")) + "\n\n")


def shift_headings(source: str, by: int = 2) -> str:
    """Planner headings go below the chapter's (``#`` becomes ``###``), code fences untouched."""
    lines, fenced = [], False
    for line in source.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"^ {0,3}#{1,6}(\s|$)", line):
            line = "#" * by + line.lstrip()
        lines.append(line)
    return "\n".join(lines)
