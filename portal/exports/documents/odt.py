"""ODT (OpenDocument Text, what many councils edit in) with odfpy.

Charts are vector: each frame holds the SVG file (``Pictures/chartN.svg``) and, as the
standard allows, a PNG alternative for readers that cannot draw SVG.
"""

from __future__ import annotations

import itertools
from typing import BinaryIO

from odf import dc, teletype
from odf.draw import Frame, Image
from odf.opendocument import OpenDocumentText
from odf.style import (
    Footer,
    GraphicProperties,
    ListLevelProperties,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableCellProperties,
    TableColumnProperties,
    TableProperties,
    TextProperties,
)
from odf.svg import Desc
from odf.svg import Title as SvgTitle
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import (
    A,
    Bookmark,
    H,
    List,
    ListItem,
    ListLevelStyleBullet,
    ListLevelStyleNumber,
    ListStyle,
    P,
    PageNumber,
    Span,
)

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

SANS = "DejaVu Sans"
SERIF = "DejaVu Serif"
PX_TO_CM = 16 / charts.WIDTH  # charts are 16 cm wide


def _style(name: str, family: str, parent: str | None = None, **kwargs) -> Style:
    args = {"name": name, "family": family, **kwargs}
    if parent:
        args["parentstylename"] = parent
    return Style(**args)


class _Writer:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.odt = OpenDocumentText()
        self.tables = itertools.count(1)
        self.charts = itertools.count(1)
        self._styles()

    def _styles(self) -> None:
        styles, auto = self.odt.styles, self.odt.automaticstyles
        s = {}

        def add(target, style, *props):
            for prop in props:
                style.addElement(prop)
            target.addElement(style)
            return style

        s["body"] = add(
            styles,
            _style("Text_20_body", "paragraph", displayname="Text body"),
            TextProperties(fontname=SERIF, fontfamily=SERIF, fontsize="10.5pt"),
            ParagraphProperties(marginbottom="0.2cm", lineheight="130%"),
        )
        s["title"] = add(
            styles,
            _style("Title", "paragraph", "Text_20_body", displayname="Title"),
            TextProperties(fontfamily=SANS, fontsize="26pt", fontweight="bold", color="#10365f"),
            ParagraphProperties(margintop="6cm", marginbottom="0.4cm"),
        )
        s["subtitle"] = add(
            styles,
            _style("Subtitle", "paragraph", "Text_20_body", displayname="Subtitle"),
            TextProperties(fontfamily=SANS, fontsize="15pt"),
        )
        sizes = {1: "18pt", 2: "14pt", 3: "12pt"}
        for level, size in sizes.items():
            props = ParagraphProperties(
                margintop="0.5cm", marginbottom="0.2cm", keepwithnext="always"
            )
            s[f"h{level}"] = add(
                styles,
                _style(
                    f"Heading_20_{level}",
                    "paragraph",
                    "Text_20_body",
                    displayname=f"Heading {level}",
                    defaultoutlinelevel=str(level),
                ),
                TextProperties(fontfamily=SANS, fontsize=size, fontweight="bold", color="#10365f"),
                props,
            )
        s["chapter"] = add(
            auto,
            _style("Chapter", "paragraph", "Heading_20_1"),
            ParagraphProperties(breakbefore="page"),
        )
        s["lead"] = add(
            auto, _style("Lead", "paragraph", "Text_20_body"), TextProperties(fontsize="12pt")
        )
        s["note"] = add(
            auto,
            _style("Note", "paragraph", "Text_20_body"),
            TextProperties(fontstyle="italic", color="#4a4a4a"),
        )
        s["quote"] = add(
            auto,
            _style("QuoteText", "paragraph", "Text_20_body"),
            ParagraphProperties(
                marginleft="0.8cm", borderleft="2pt solid #c8c8c8", padding="0.2cm"
            ),
        )
        s["caption"] = add(
            auto,
            _style("Caption", "paragraph", "Text_20_body"),
            TextProperties(fontfamily=SANS, fontweight="bold", fontsize="9.5pt"),
            ParagraphProperties(keepwithnext="always"),
        )
        s["cell_text"] = add(
            auto,
            _style("CellText", "paragraph", "Text_20_body"),
            TextProperties(fontfamily=SANS, fontsize="9pt"),
            ParagraphProperties(marginbottom="0cm"),
        )
        s["cell_num"] = add(
            auto,
            _style("CellNumber", "paragraph", "CellText"),
            ParagraphProperties(textalign="end"),
        )
        s["cell_head"] = add(
            auto,
            _style("CellHead", "paragraph", "CellText"),
            TextProperties(fontweight="bold"),
        )
        s["figure_value"] = add(
            auto,
            _style("FigureValue", "paragraph", "CellText"),
            TextProperties(fontsize="18pt", fontweight="bold"),
        )
        s["cell"] = add(
            auto,
            _style("Cell", "table-cell"),
            TableCellProperties(border="0.5pt solid #c8c8c8", padding="0.08cm"),
        )
        s["head_cell"] = add(
            auto,
            _style("HeadCell", "table-cell"),
            TableCellProperties(
                border="0.5pt solid #c8c8c8", padding="0.08cm", backgroundcolor="#e8eef6"
            ),
        )
        s["table"] = add(
            auto,
            _style("DocTable", "table"),
            TableProperties(width="17cm", align="left", marginbottom="0.4cm"),
        )
        s["column"] = add(auto, _style("DocColumn", "table-column"), TableColumnProperties())
        s["bold"] = add(auto, _style("Bold", "text"), TextProperties(fontweight="bold"))
        s["italic"] = add(auto, _style("Italic", "text"), TextProperties(fontstyle="italic"))
        s["bold_italic"] = add(
            auto,
            _style("BoldItalic", "text"),
            TextProperties(fontweight="bold", fontstyle="italic"),
        )
        s["link"] = add(
            auto,
            _style("Link", "text"),
            TextProperties(color="#10365f", textunderlinestyle="solid", textunderlinewidth="auto"),
        )
        s["frame"] = add(
            auto,
            _style("ChartFrame", "graphic"),
            GraphicProperties(wrap="none", verticalpos="top", horizontalpos="center"),
        )
        s["footer"] = add(
            auto,
            _style("FooterText", "paragraph"),
            TextProperties(fontfamily=SANS, fontsize="9pt"),
            ParagraphProperties(textalign="center"),
        )
        bullets = ListStyle(name="Bullets")
        level = ListLevelStyleBullet(level=1, bulletchar="•")
        level.addElement(ListLevelProperties(spacebefore="0.4cm", minlabelwidth="0.5cm"))
        bullets.addElement(level)
        auto.addElement(bullets)
        numbers = ListStyle(name="Numbers")
        level = ListLevelStyleNumber(level=1, numformat="1", numsuffix=".")
        level.addElement(ListLevelProperties(spacebefore="0.4cm", minlabelwidth="0.6cm"))
        numbers.addElement(level)
        auto.addElement(numbers)
        s["bullets"], s["numbers"] = bullets, numbers

        layout = PageLayout(name="A4")
        layout.addElement(
            PageLayoutProperties(
                pagewidth="21cm",
                pageheight="29.7cm",
                margintop="2cm",
                marginbottom="1.5cm",
                marginleft="2cm",
                marginright="2cm",
                printorientation="portrait",
            )
        )
        auto.addElement(layout)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        footer = Footer()
        page = P(stylename=s["footer"])
        page.addElement(PageNumber(selectpage="current"))
        footer.addElement(page)
        master.addElement(footer)
        self.odt.masterstyles.addElement(master)
        self.s = s

    # --- inline pieces ---

    def runs(self, element, items: list[Run]) -> None:
        for item in items:
            style = None
            if item.bold and item.italic:
                style = self.s["bold_italic"]
            elif item.bold:
                style = self.s["bold"]
            elif item.italic:
                style = self.s["italic"]
            target = element
            if item.href:
                target = A(type="simple", href=item.href)
                element.addElement(target)
                span = Span(stylename=self.s["link"])
                target.addElement(span)
                target = span
            if style is not None:
                span = Span(stylename=style)
                target.addElement(span)
                target = span
            teletype.addTextToElement(target, item.text)

    def para(self, items: list[Run], style: str = "body") -> P:
        paragraph = P(stylename=self.s[style])
        self.runs(paragraph, items)
        self.odt.text.addElement(paragraph)
        return paragraph

    # --- blocks ---

    def heading(self, block: Heading) -> None:
        style = self.s["chapter"] if block.new_page else self.s[f"h{block.level}"]
        heading = H(outlinelevel=block.level, stylename=style)
        if block.anchor:
            heading.addElement(Bookmark(name=block.anchor))
        teletype.addTextToElement(heading, block.text)
        self.odt.text.addElement(heading)

    def bullets(self, block: BulletList) -> None:
        listing = List(stylename=self.s["numbers" if block.ordered else "bullets"])
        for item in block.items:
            entry = ListItem()
            paragraph = P(stylename=self.s["body"])
            self.runs(paragraph, item)
            entry.addElement(paragraph)
            listing.addElement(entry)
        self.odt.text.addElement(listing)

    def _table(self, columns: int) -> OdfTable:
        table = OdfTable(name=f"Table{next(self.tables)}", stylename=self.s["table"])
        table.addElement(TableColumn(numbercolumnsrepeated=columns, stylename=self.s["column"]))
        return table

    def table(self, block: Table) -> None:
        self.para([Run(block.caption)], "caption")
        table = self._table(len(block.headers))
        head = TableHeaderRows()
        row = TableRow()
        for header in block.headers:
            cell = TableCell(valuetype="string", stylename=self.s["head_cell"])
            paragraph = P(stylename=self.s["cell_head"])
            teletype.addTextToElement(paragraph, header)
            cell.addElement(paragraph)
            row.addElement(cell)
        head.addElement(row)
        table.addElement(head)
        for values in block.rows:
            row = TableRow()
            for index in range(len(block.headers)):
                value = values[index] if index < len(values) else ""
                cell = TableCell(valuetype="string", stylename=self.s["cell"])
                style = "cell_num" if index in block.numeric else "cell_text"
                paragraph = P(stylename=self.s[style])
                self.runs(paragraph, [value if isinstance(value, Run) else Run(str(value))])
                cell.addElement(paragraph)
                row.addElement(cell)
            table.addElement(row)
        self.odt.text.addElement(table)

    def figures(self, block: Figures) -> None:
        per_row = 3
        table = self._table(per_row)
        for start in range(0, len(block.items), per_row):
            row = TableRow()
            group = block.items[start : start + per_row]
            for index in range(per_row):
                cell = TableCell(valuetype="string", stylename=self.s["cell"])
                if index < len(group):
                    label, value = group[index]
                    value_p = P(stylename=self.s["figure_value"])
                    teletype.addTextToElement(value_p, value)
                    label_p = P(stylename=self.s["cell_text"])
                    teletype.addTextToElement(label_p, label)
                    cell.addElement(value_p)
                    cell.addElement(label_p)
                else:
                    cell.addElement(P(stylename=self.s["cell_text"]))
                row.addElement(cell)
            table.addElement(row)
        self.odt.text.addElement(table)

    def figure(self, block: Figure) -> None:
        chart = block.chart
        number = next(self.charts)
        svg_href = self.odt.addPicture(
            f"Pictures/chart{number}.svg", "image/svg+xml", charts.svg(chart).encode("utf-8")
        )
        png_href = self.odt.addPicture(
            f"Pictures/chart{number}.png", "image/png", charts.png(chart)
        )
        width = charts.WIDTH * PX_TO_CM
        height = chart.height * PX_TO_CM
        frame = Frame(
            name=f"Chart{number}",
            stylename=self.s["frame"],
            anchortype="as-char",
            width=f"{width:.2f}cm",
            height=f"{height:.2f}cm",
        )
        frame.addElement(Image(href=svg_href))
        frame.addElement(Image(href=png_href))
        title = SvgTitle()
        teletype.addTextToElement(title, chart.title)
        frame.addElement(title)
        desc = Desc()
        teletype.addTextToElement(desc, chart.description)
        frame.addElement(desc)
        paragraph = P(stylename=self.s["body"])
        paragraph.addElement(frame)
        self.odt.text.addElement(paragraph)

    def block(self, block) -> None:
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Paragraph):
            style = {"lead": "lead", "note": "note", "quote": "quote"}.get(block.style, "body")
            self.para(block.runs, style)
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

    def write(self, target: BinaryIO) -> None:
        document = self.document
        self.odt.meta.addElement(dc.Title(text=document.title))
        self.odt.meta.addElement(dc.Language(text=document.language))
        cover = document.cover
        self.para([Run(cover.title)], "title")
        if cover.subtitle:
            self.para([Run(cover.subtitle)], "subtitle")
        self.para([Run(cover.date)])
        if cover.url:
            self.para([Run(cover.url, href=cover.url)])
        self.para([Run(cover.note)], "note")
        self.block(Heading(1, document.contents_title, new_page=True))
        self.bullets(
            BulletList(
                [[Run(entry.text, href=f"#{entry.anchor}")] for entry in document.contents],
                ordered=True,
            )
        )
        for block in document.blocks:
            self.block(block)
        self.odt.write(target)


def write(document: Document, target: BinaryIO) -> None:
    _Writer(document).write(target)
