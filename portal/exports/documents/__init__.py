"""Vision documents: the assembled data laid out once (:mod:`.build`), drawn by one writer
module per format (:mod:`.html`, :mod:`.pdf`, :mod:`.docx`, :mod:`.odt`, :mod:`.markdown`)."""

from __future__ import annotations

import io
from typing import BinaryIO

from portal.exports.assemble import VisionData

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
FORMATS = tuple(MEDIA_TYPES)


def write(data: VisionData, fmt: str, target: BinaryIO) -> None:
    """Write the vision document of ``data`` in ``fmt`` to the binary stream ``target``."""
    from portal.exports.documents.build import build

    document = build(data)
    if fmt == "pdf":
        from portal.exports.documents import pdf

        pdf.write(document, target)
    elif fmt == "docx":
        from portal.exports.documents import docx

        docx.write(document, target)
    elif fmt == "odt":
        from portal.exports.documents import odt

        odt.write(document, target)
    elif fmt == "html":
        from portal.exports.documents import html

        target.write(html.render(document).encode("utf-8"))
    elif fmt == "md":
        from portal.exports.documents import markdown

        text = io.StringIO()
        markdown.write(document, text)
        target.write(text.getvalue().encode("utf-8"))
    else:
        raise ValueError(f"unknown document format {fmt!r}")


def render_bytes(data: VisionData, fmt: str) -> bytes:
    out = io.BytesIO()
    write(data, fmt, out)
    return out.getvalue()
