"""PDF: the standalone HTML laid out by WeasyPrint (charts stay vector: SVG is drawn as PDF
paths; fonts are embedded; links and the contents' page numbers work)."""

from __future__ import annotations

from typing import BinaryIO

from portal.exports.documents import html
from portal.exports.documents.model import Document


def write(document: Document, target: BinaryIO, *, compress: bool = True) -> None:
    from weasyprint import HTML

    markup = html.render(document)
    HTML(string=markup, base_url=".").write_pdf(
        target, pdf_tags=True, uncompressed_pdf=not compress
    )
