"""Every format is generated from the same data, re-opens in the usual readers, shows its
charts, links featured ideas to their pages and never shows hidden content."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest

from portal.exports import assemble, documents
from portal.exports.assemble import Settings
from tests.exports.factories import make_world

INTRO = "We asked **everyone**.\n\n## What we heard\n\n- shade\n- [safer streets](https://example.org/streets)"


@pytest.fixture
def world(ctx):
    return make_world()


def _data(world):
    return assemble.assemble(
        world.consultation,
        Settings(
            title="Tualatin Tomorrow: our vision", introduction=INTRO, vision="A *green* city."
        ),
    )


def _check_secrets(world, text: str) -> None:
    for secret in world.secrets:
        assert secret not in text


def test_markdown(world):
    text = documents.render_bytes(_data(world), "md").decode()
    assert text.startswith("# Tualatin Tomorrow: our vision")
    assert "### What we heard" in text  # the planner's headings sit below the chapter
    assert f"(<http://localhost/ideas/{world.ideas[0].id}>)" in text
    assert "data:image/svg+xml;base64," in text
    assert "| Week of | Ideas | Comments | Supports |" in text
    _check_secrets(world, text)


def test_html_is_standalone_with_inline_svg_charts(world):
    text = documents.render_bytes(_data(world), "html").decode()
    assert text.count("<h1") == 1
    assert "<svg" in text and 'role="img"' in text
    assert "<strong>everyone</strong>" in text
    assert f'href="http://localhost/ideas/{world.ideas[0].id}"' in text
    assert "<script" not in text
    _check_secrets(world, text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_has_text_links_and_vector_charts(world, tmp_path):
    from portal.exports.documents import pdf as pdf_writer
    from portal.exports.documents.build import build

    assert documents.render_bytes(_data(world), "pdf").startswith(b"%PDF")
    out = io.BytesIO()
    pdf_writer.write(build(_data(world)), out, compress=False)  # to look inside
    pdf = out.getvalue()
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Tualatin Tomorrow: our vision" in text
    assert "Participation in numbers" in text
    assert "More shade trees on Main Street" in text
    assert "Method of Equal Shares" in text
    _check_secrets(world, text)
    assert f"http://localhost/ideas/{world.ideas[0].id}".encode() in pdf  # link annotation
    # The charts are vector paths, not images.
    assert b"/Subtype /Image" not in pdf
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
            check=True,
        )
        assert list(tmp_path.glob("p*.png"))


def test_docx_reopens_with_headings_links_and_svg_charts(world):
    from docx import Document

    raw = documents.render_bytes(_data(world), "docx")
    doc = Document(io.BytesIO(raw))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Participation in numbers" in headings
    assert "Parks" in headings and "Methodology" in headings
    assert doc.core_properties.title == "Tualatin Tomorrow: our vision"
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "More shade trees on Main Street" in body
    _check_secrets(
        world, body + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    )
    links = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert f"http://localhost/ideas/{world.ideas[0].id}" in links
    assert len(doc.inline_shapes) == 5
    names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    assert sum(n.endswith(".svg") for n in names) == 5
    assert b"svgBlip" in zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml")


def test_odt_reopens_with_svg_pictures(world):
    from odf import draw, teletype, text
    from odf.opendocument import load

    raw = documents.render_bytes(_data(world), "odt")
    doc = load(io.BytesIO(raw))
    headings = [teletype.extractText(h) for h in doc.getElementsByType(text.H)]
    assert "Participation in numbers" in headings
    images = [i.getAttribute("href") for i in doc.getElementsByType(draw.Image)]
    assert sum(h.endswith(".svg") for h in images) == 5
    body = "\n".join(teletype.extractText(p) for p in doc.getElementsByType(text.P))
    assert "More shade trees on Main Street" in body
    _check_secrets(world, body)
    hrefs = [a.getAttribute("href") for a in doc.getElementsByType(text.A)]
    assert f"http://localhost/ideas/{world.ideas[0].id}" in hrefs


def test_control_characters_and_markup_in_user_text_are_harmless(world):
    from portal.extensions import db

    world.ideas[0].title = "Trees\x0b <b>now</b> & =SUM(A1)"
    world.ideas[0].body = "Body with \x01 a control character and <script>alert(1)</script>"
    db.session.commit()
    data = _data(world)
    for fmt in documents.FORMATS:  # DOCX and ODT would raise on characters XML forbids
        raw = documents.render_bytes(data, fmt)
        if fmt in ("html", "md"):
            assert b"\x0b" not in raw and b"<script>alert" not in raw, fmt
    html = documents.render_bytes(data, "html").decode()
    assert "Trees &lt;b&gt;now&lt;/b&gt; &amp; =SUM(A1)" in html


def test_a_consultation_without_content_still_makes_every_format(ctx):
    from portal.consultations.models import Consultation
    from portal.extensions import db

    empty = Consultation(slug="empty", title="Empty", status="published")
    db.session.add(empty)
    db.session.commit()
    data = assemble.assemble(empty)
    for fmt in documents.FORMATS:
        assert documents.render_bytes(data, fmt)
    md = documents.render_bytes(data, "md").decode()
    assert "There is no budget in this consultation." in md
