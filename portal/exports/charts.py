"""Simple, accessible charts for documents: one chart model, drawn as SVG (vector) and, for
formats whose readers need a bitmap fallback, as PNG with Pillow.

Every chart carries a title and a description (SVG ``<title>``/``<desc>``, ``role="img"``)
and the documents print its data as a table next to it, so nothing is told by colour
alone. Series are told apart by colour *and* by a hatch pattern, with a text legend.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from html import escape as _escape

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    """Text for SVG: XML-escaped, without the control characters XML cannot hold."""
    return _escape(_NOT_XML.sub("", text))


PALETTE = ("#1f5fa8", "#c4541a", "#2f7d32", "#6a3d9a")  # contrast >= 4.5:1 on white
INK = "#1d1d1d"
GRID = "#c8c8c8"
WIDTH = 640
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    """``columns``: vertical grouped columns over ``labels`` (a time axis);
    ``bars``: horizontal bars, one row per label (long names fit)."""

    key: str  # a stable id: used for SVG ids and file names
    kind: str
    title: str
    description: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for s in self.series for v in s.values)

    @property
    def height(self) -> int:
        if self.kind == "bars":
            rows = len(self.labels) * max(1, len(self.series))
            return 60 + rows * 22 + len(self.labels) * 8 + 30
        return 300


# --- geometry shared by both renderers ---------------------------------------------------------


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f")


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass
class _Rect:
    x: float
    y: float
    w: float
    h: float
    series: int


@dataclass
class _Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start, middle, end
    size: int = 11


@dataclass
class _Layout:
    width: int
    height: int
    rects: list[_Rect]
    texts: list[_Text]
    lines: list[tuple[float, float, float, float, str]]  # x1, y1, x2, y2, colour
    legend: list[tuple[float, float, int, str]]  # x, y, series, name


def _layout(chart: Chart) -> _Layout:
    if chart.kind == "bars":
        return _layout_bars(chart)
    return _layout_columns(chart)


def _legend(chart: Chart, y: float) -> list[tuple[float, float, int, str]]:
    if len(chart.series) < 2:
        return []
    items, x = [], 60.0
    for index, series in enumerate(chart.series):
        items.append((x, y, index, series.name))
        x += 40 + 7 * len(series.name)
    return items


def _layout_columns(chart: Chart) -> _Layout:
    width, height = WIDTH, chart.height
    left, right, top, bottom = 56, 16, 40, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for s in chart.series for v in s.values), default=0))
    rects, texts, lines = [], [], []
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        lines.append((left, y, width - right, y, GRID))
        texts.append(_Text(left - 6, y + 4, _fmt(value), "end", 10))
    lines.append((left, top + plot_h, width - right, top + plot_h, INK))
    count = max(1, len(chart.labels))
    slot = plot_w / count
    group = slot * 0.8
    bar = group / max(1, len(chart.series))
    every = max(1, math.ceil(count / 12))  # at most ~12 axis labels
    for i, label in enumerate(chart.labels):
        x0 = left + i * slot + (slot - group) / 2
        for s_index, series in enumerate(chart.series):
            value = series.values[i] if i < len(series.values) else 0
            h = plot_h * value / top_value if top_value else 0
            rects.append(_Rect(x0 + s_index * bar, top + plot_h - h, max(bar - 1, 1), h, s_index))
        if i % every == 0:
            texts.append(_Text(left + i * slot + slot / 2, top + plot_h + 16, label, "middle", 10))
    legend = _legend(chart, height - 14)
    return _Layout(width, height, rects, texts, lines, legend)


def _layout_bars(chart: Chart) -> _Layout:
    width, height = WIDTH, chart.height
    left, right, top = 190, 70, 40
    plot_w = width - left - right
    top_value = _nice_max(max((v for s in chart.series for v in s.values), default=0))
    rects, texts, lines = [], [], []
    per = max(1, len(chart.series))
    y = top
    for i, label in enumerate(chart.labels):
        texts.append(_Text(left - 8, y + 11 * per + 4, _clip(label, 28), "end", 11))
        for s_index, series in enumerate(chart.series):
            value = series.values[i] if i < len(series.values) else 0
            w = plot_w * value / top_value if top_value else 0
            rects.append(_Rect(left, y, max(w, 0.5 if value else 0), 18, s_index))
            texts.append(_Text(left + w + 6, y + 13, _fmt(value), "start", 10))
            y += 22
        y += 8
    lines.append((left, top - 4, left, y, INK))
    legend = _legend(chart, height - 14)
    return _Layout(width, height, rects, texts, lines, legend)


# --- SVG -------------------------------------------------------------------------------------


def _hatch(key: str, index: int) -> str:
    """A pattern per series (after the first): diagonal lines, dots, cross-hatch."""
    colour = PALETTE[index % len(PALETTE)]
    pid = f"{key}-p{index}"
    if index % 4 == 0:
        return ""
    shapes = {
        1: '<path d="M0,6 l6,-6" stroke="#fff" stroke-width="1.5"/>',
        2: '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
        3: '<path d="M0,0 l6,6 M6,0 l-6,6" stroke="#fff" stroke-width="1.2"/>',
    }[index % 4]
    return (
        f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{colour}"/>{shapes}</pattern>'
    )


def _fill(key: str, index: int) -> str:
    if index % 4 == 0:
        return PALETTE[0]
    return f"url(#{key}-p{index})"


def svg(chart: Chart) -> str:
    """The chart as a standalone SVG document (no scripts, no style attributes)."""
    layout = _layout(chart)
    key = escape(chart.key)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width} {layout.height}" '
        f'width="{layout.width}" height="{layout.height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" font-family="{FONT}" class="chart">',
        f'<title id="{key}-title">{escape(chart.title)}</title>',
        f'<desc id="{key}-desc">{escape(chart.description)}</desc>',
        "<defs>" + "".join(_hatch(key, i) for i in range(len(chart.series))) + "</defs>",
        f'<rect width="{layout.width}" height="{layout.height}" fill="#ffffff"/>',
        f'<text x="8" y="22" font-size="14" font-weight="bold" fill="{INK}">'
        f"{escape(chart.title)}</text>",
    ]
    for x1, y1, x2, y2, colour in layout.lines:
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"/>'
        )
    for rect in layout.rects:
        if rect.h <= 0 or rect.w <= 0:
            continue
        parts.append(
            f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{rect.w:.1f}" height="{rect.h:.1f}" '
            f'fill="{_fill(key, rect.series)}"/>'
        )
    for text in layout.texts:
        parts.append(
            f'<text x="{text.x:.1f}" y="{text.y:.1f}" font-size="{text.size}" '
            f'text-anchor="{text.anchor}" fill="{INK}">{escape(text.text)}</text>'
        )
    for x, y, index, name in layout.legend:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" '
            f'fill="{_fill(key, index)}"/>'
            f'<text x="{x + 20:.1f}" y="{y:.1f}" font-size="11" fill="{INK}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --- PNG (a bitmap fallback for readers without SVG support) -----------------------------------


def _font(size: int):
    from PIL import ImageFont

    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def _hatched(image, box: tuple[float, float, float, float], index: int, scale: int) -> None:
    """Fill ``box`` with the series' colour and pattern, clipped to the box."""
    from PIL import Image, ImageDraw

    x0, y0, x1, y1 = (round(v) for v in box)
    w, h = max(x1 - x0, 1), max(y1 - y0, 1)
    tile = Image.new("RGB", (w, h), _hex(PALETTE[index % len(PALETTE)]))
    draw = ImageDraw.Draw(tile)
    step, kind = 6 * scale, index % 4
    if kind in (1, 3):
        offset = -h
        while offset < w:
            draw.line([(offset, h), (offset + h, 0)], fill="white", width=scale)
            if kind == 3:
                draw.line([(offset, 0), (offset + h, h)], fill="white", width=scale)
            offset += step
    elif kind == 2:
        y = step / 2
        while y < h:
            x = step / 2
            while x < w:
                draw.ellipse([x - scale, y - scale, x + scale, y + scale], fill="white")
                x += step
            y += step
    image.paste(tile, (x0, y0))


def png(chart: Chart, scale: int = 2) -> bytes:
    """The same chart drawn with Pillow (``scale`` times the SVG's size, for print)."""
    from PIL import Image, ImageDraw

    layout = _layout(chart)
    s = scale
    image = Image.new("RGB", (layout.width * s, layout.height * s), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8 * s, 8 * s), chart.title, fill=_hex(INK), font=_font(14 * s))
    for x1, y1, x2, y2, colour in layout.lines:
        draw.line([(x1 * s, y1 * s), (x2 * s, y2 * s)], fill=_hex(colour), width=s)
    for rect in layout.rects:
        if rect.h > 0 and rect.w > 0:
            box = (rect.x * s, rect.y * s, (rect.x + rect.w) * s, (rect.y + rect.h) * s)
            _hatched(image, box, rect.series, s)
    for text in layout.texts:
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[text.anchor]
        draw.text(
            (text.x * s, text.y * s),
            text.text,
            fill=_hex(INK),
            font=_font(text.size * s),
            anchor=anchor,
        )
    for x, y, index, name in layout.legend:
        _hatched(image, (x * s, (y - 10) * s, (x + 14) * s, (y + 2) * s), index, s)
        draw.text((x * s + 20 * s, y * s), name, fill=_hex(INK), font=_font(11 * s), anchor="ls")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
