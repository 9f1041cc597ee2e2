"""DOCX (Word, and what LibreOffice and Google Docs open) with python-docx.

Charts: python-docx can only place bitmaps, so each chart is placed as a PNG drawn by
:func:`portal.exports.charts.png` (Pillow, already a dependency: no SVG renderer is needed)
and the SVG is attached to the same picture with Office's ``svgBlip`` extension. Word 2016+
and current LibreOffice show the vector SVG; older readers fall back to the PNG. The chart's
numbers follow it as a table either way.
"""

from __future__ import annotations

import io
import itertools
from typing import BinaryIO

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

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

SVG_EXT_URI = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
LINK_COLOUR = RGBColor(0x10, 0x36, 0x5F)
NOTE_COLOUR = RGBColor(0x4A, 0x4A, 0x4A)


class _Writer:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.docx = new_docx()
        self.bookmarks = itertools.count(1)
        self.charts = itertools.count(1)

    # --- inline pieces ---

    def _run_props(self, run, item: Run) -> None:
        run.bold = item.bold or None
        run.italic = item.italic or None

    def _link(self, paragraph, item: Run, internal: bool = False) -> None:
        link = OxmlElement("w:hyperlink")
        if internal:
            link.set(qn("w:anchor"), item.href or "")
        else:
            r_id = paragraph.part.relate_to(item.href, RT.HYPERLINK, is_external=True)
            link.set(qn("r:id"), r_id)
        run = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        colour = OxmlElement("w:color")
        colour.set(qn("w:val"), str(LINK_COLOUR))
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        if item.bold:
            props.append(OxmlElement("w:b"))
        if item.italic:
            props.append(OxmlElement("w:i"))
        props.append(colour)
        props.append(underline)
        run.append(props)
        text = OxmlElement("w:t")
        text.text = item.text
        text.set(qn("xml:space"), "preserve")
        run.append(text)
        link.append(run)
        paragraph._p.append(link)

    def runs(self, paragraph, items: list[Run]) -> None:
        for item in items:
            if item.href:
                self._link(paragraph, item)
            else:
                run = paragraph.add_run(item.text)
                self._run_props(run, item)

    def _bookmark(self, paragraph, name: str) -> None:
        number = str(next(self.bookmarks))
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), number)
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), number)
        paragraph._p.insert(1, start)
        paragraph._p.append(end)

    # --- blocks ---

    def heading(self, block: Heading) -> None:
        paragraph = self.docx.add_heading(block.text, level=block.level)
        if block.new_page:
            paragraph.paragraph_format.page_break_before = True
        if block.anchor:
            self._bookmark(paragraph, block.anchor)

    def paragraph(self, block: Paragraph) -> None:
        style = "Quote" if block.style == "quote" else None
        paragraph = self.docx.add_paragraph(style=style)
        self.runs(paragraph, block.runs)
        if block.style == "lead":
            for run in paragraph.runs:
                run.font.size = Pt(12.5)
        if block.style == "note":
            for run in paragraph.runs:
                run.italic = True
                run.font.color.rgb = NOTE_COLOUR

    def bullets(self, block: BulletList) -> None:
        style = "List Number" if block.ordered else "List Bullet"
        for item in block.items:
            self.runs(self.docx.add_paragraph(style=style), item)

    def _header_row(self, row) -> None:
        props = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        props.append(header)

    def table(self, block: Table) -> None:
        caption = self.docx.add_paragraph(block.caption, style="Caption")
        caption.paragraph_format.keep_with_next = True
        table = self.docx.add_table(rows=1, cols=len(block.headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        self._header_row(table.rows[0])
        for index, (cell, text) in enumerate(zip(table.rows[0].cells, block.headers, strict=True)):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            run.bold = True
            if index in block.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for values in block.rows:
            cells = table.add_row().cells
            for index, (cell, value) in enumerate(zip(cells, values, strict=False)):
                paragraph = cell.paragraphs[0]
                item = value if isinstance(value, Run) else Run(str(value))
                self.runs(paragraph, [item])
                if index in block.numeric:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.docx.add_paragraph()

    def figures(self, block: Figures) -> None:
        per_row = 3
        rows = [block.items[i : i + per_row] for i in range(0, len(block.items), per_row)]
        table = self.docx.add_table(rows=0, cols=per_row)
        table.style = "Table Grid"
        for group in rows:
            cells = table.add_row().cells
            for cell, (label, value) in zip(cells, group, strict=False):
                value_run = cell.paragraphs[0].add_run(value)
                value_run.bold = True
                value_run.font.size = Pt(18)
                label_run = cell.add_paragraph().add_run(label)
                label_run.font.size = Pt(9)
        self.docx.add_paragraph()

    def figure(self, block: Figure) -> None:
        chart = block.chart
        paragraph = self.docx.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        shape = paragraph.add_run().add_picture(io.BytesIO(charts.png(chart)), width=Cm(16))
        shape._inline.docPr.set("descr", f"{chart.title}. {chart.description}")
        shape._inline.docPr.set("title", chart.title)
        # Attach the vector version (Office 2016 svgBlip extension; the PNG is the fallback).
        part = self.docx.part
        svg_part = Part(
            PackURI(f"/word/media/chart{next(self.charts)}.svg"),
            "image/svg+xml",
            charts.svg(chart).encode("utf-8"),
            part.package,
        )
        r_id = part.relate_to(svg_part, RT.IMAGE)
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        blip.append(
            parse_xml(
                f'<a:extLst {nsdecls("a", "r")}><a:ext uri="{SVG_EXT_URI}">'
                f'<asvg:svgBlip xmlns:asvg="{SVG_NS}" r:embed="{r_id}"/></a:ext></a:extLst>'
            )
        )

    def block(self, block) -> None:
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Paragraph):
            self.paragraph(block)
        elif isinstance(block, BulletList):
            self.bullets(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Figures):
            self.figures(block)
        elif isinstance(block, Figure):
            self.figure(block)
        elif isinstance(block, MarkdownText):
            for inner in block.blocks:
                self.block(inner)

    # --- the whole document ---

    def _footer(self) -> None:
        section = self.docx.sections[0]
        section.different_first_page_header_footer = True
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)

    def write(self, target: BinaryIO) -> None:
        document, docx = self.document, self.docx
        section = docx.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2)
        docx.styles["Normal"].font.name = "DejaVu Serif"
        docx.styles["Normal"].font.size = Pt(10.5)
        props = docx.core_properties
        props.title = document.title
        props.language = document.language
        props.author = ""
        props.comments = document.cover.note
        self._footer()

        cover = document.cover
        for _ in range(6):
            docx.add_paragraph()
        docx.add_heading(cover.title, level=0)
        if cover.subtitle:
            docx.add_paragraph(cover.subtitle, style="Subtitle")
        docx.add_paragraph(cover.date)
        if cover.url:
            paragraph = docx.add_paragraph()
            self._link(paragraph, Run(cover.url, href=cover.url))
        note = docx.add_paragraph()
        note.add_run(cover.note).italic = True
        note.add_run().add_break(WD_BREAK.PAGE)

        docx.add_heading(document.contents_title, level=1)
        for entry in document.contents:
            paragraph = docx.add_paragraph(style="List Number")
            self._link(paragraph, Run(entry.text, href=entry.anchor), internal=True)
        for block in document.blocks:
            self.block(block)
        docx.save(target)


def write(document: Document, target: BinaryIO) -> None:
    _Writer(document).write(target)
