"""The neutral document every writer renders: a list of simple blocks.

:func:`portal.exports.documents.build.build` lays the assembled data out once; the HTML,
PDF, DOCX, ODT and Markdown writers only know how to draw each kind of block, so every
format carries the same content in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.exports.charts import Chart

# Characters XML (DOCX, ODT, HTML) cannot carry; a resident may still have typed them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text or "")


@dataclass
class Run:
    """A piece of text with its emphasis; ``href`` makes it a link."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None

    def __post_init__(self) -> None:
        self.text = clean(self.text)


@dataclass
class Heading:
    level: int  # 1 chapter, 2 section, 3 sub-section
    text: str
    anchor: str = ""
    new_page: bool = False

    def __post_init__(self) -> None:
        self.text = clean(self.text)


@dataclass
class Paragraph:
    runs: list[Run]
    style: str = "normal"  # normal, lead, note, quote

    @classmethod
    def of(cls, text: str, style: str = "normal") -> Paragraph:
        return cls([Run(text)], style)


@dataclass
class BulletList:
    items: list[list[Run]]
    ordered: bool = False


@dataclass
class Figures:
    """Key figures shown as tiles (a two-column table where tiles are not possible)."""

    items: list[tuple[str, str]]  # (label, value)


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Run | str]]
    numeric: set[int] = field(default_factory=set)  # right-aligned columns

    def __post_init__(self) -> None:
        self.rows = [[c if isinstance(c, Run) else clean(str(c)) for c in r] for r in self.rows]


@dataclass
class Figure:
    chart: Chart


@dataclass
class MarkdownText:
    """Text a planner wrote in Markdown: ``source`` for HTML and Markdown, ``blocks`` (parsed
    once) for DOCX and ODT."""

    source: str
    blocks: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = clean(self.source)


@dataclass
class ContentsEntry:
    level: int
    text: str
    anchor: str


@dataclass
class Cover:
    title: str
    subtitle: str
    date: str
    url: str
    note: str

    def __post_init__(self) -> None:
        self.title, self.subtitle = clean(self.title), clean(self.subtitle)


@dataclass
class Document:
    title: str
    language: str
    cover: Cover
    contents_title: str
    contents: list[ContentsEntry]
    blocks: list
    labels: dict[str, str]
