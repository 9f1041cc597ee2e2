"""HTML: the document as one self-contained page (print CSS and SVG charts inlined), and the
same body inside the portal's layout for the planner's preview."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup

from portal.exports import charts
from portal.exports.documents.model import (
    BulletList,
    Document,
    Figure,
    Figures,
    Heading,
    MarkdownText,
    Paragraph,
    Table,
)


def stylesheet() -> str:
    """The document's CSS (the preview links the same file from /static)."""
    path = Path(current_app.static_folder or "") / "css" / "exports.css"
    return path.read_text(encoding="utf-8")


def chart_svg(chart: charts.Chart) -> Markup:
    # Built by portal.exports.charts from escaped text only: no user markup can get in.
    return Markup(charts.svg(chart))  # noqa: S704


def context(document: Document, *, standalone: bool) -> dict:
    return {
        "doc": document,
        "standalone": standalone,
        "chart_svg": chart_svg,
        "is_heading": lambda b: isinstance(b, Heading),
        "kind": _kind,
    }


def _kind(block) -> str:
    for cls, name in (
        (Heading, "heading"),
        (Paragraph, "paragraph"),
        (BulletList, "list"),
        (Figures, "figures"),
        (Table, "table"),
        (Figure, "figure"),
        (MarkdownText, "markdown"),
    ):
        if isinstance(block, cls):
            return name
    return "unknown"


def render(document: Document) -> str:
    """The standalone HTML file (also what WeasyPrint turns into the PDF)."""
    return render_template(
        "exports/document.html",
        css=Markup(stylesheet()),  # noqa: S704 - our own static file, never user input
        **context(document, standalone=True),
    )
