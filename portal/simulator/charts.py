"""Server-rendered SVG charts: no script, no third-party request, no style attributes.

Every chart is ``role="img"`` with a ``<title>`` and ``<desc>``; the page shows the same
numbers in a table next to it. Meaning never rests on colour alone: "current" bars are
outlined and "chosen" bars filled, and raised/kept/cut segments carry ▲ = ▼ marks.
Geometry uses floats (pixels); the amounts themselves stay exact in the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 640
LABEL_W = 200
BAR_AREA = WIDTH - LABEL_W - 20


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    head = (
        f'<svg class="sim-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {_fmt(height)}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every value escaped above


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}"'
        f"{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}>{escape(text)}</text>"
    )


def _clip(label: str, size: int = 28) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def comparison(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[int, str, Decimal | float, Decimal | float, str, str]],
    first_label: str,
    second_label: str,
) -> Markup:
    """Two horizontal bars per row: ``(line id, label, first, second, first text, second
    text)``. The first is outlined (current), the second filled (chosen / mean). The filled
    bar of line N is ``rect[data-line=N]`` so the page script can move it."""
    scale_max = max([float(r[2]) for r in rows] + [float(r[3]) for r in rows] + [1.0])
    row_h = 46
    top = 34
    body = [
        f'<rect x="{LABEL_W}" y="6" width="14" height="12" class="bar-current"/>',
        _text(LABEL_W + 20, 17, first_label, "legend"),
        f'<rect x="{LABEL_W + 190}" y="6" width="14" height="12" class="bar-chosen"/>',
        _text(LABEL_W + 210, 17, second_label, "legend"),
    ]
    for index, (line_id, label, first, second, first_text, second_text) in enumerate(rows):
        y = top + index * row_h
        w1 = BAR_AREA * float(first) / scale_max
        w2 = BAR_AREA * float(second) / scale_max
        body.append(_text(LABEL_W - 8, y + 19, _clip(label), "label", "end"))
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{_fmt(max(w1, 0.5))}" height="16" '
            f'class="bar-current"><title>{escape(first_label)}: {escape(first_text)}</title></rect>'
        )
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 21}" width="{_fmt(max(w2, 0.5))}" height="16" '
            f'class="bar-chosen" data-line="{line_id}" data-scale="{_fmt(scale_max)}">'
            f"<title>{escape(second_label)}: {escape(second_text)}</title></rect>"
        )
    return _svg(chart_id, title, desc, top + len(rows) * row_h + 4, body)


def movement(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, Decimal, Decimal, Decimal]],
    labels: tuple[str, str, str],
) -> Markup:
    """100 % stacked bars per row: ``(label, raised share, kept share, cut share)``."""
    row_h = 30
    top = 34
    marks = ("▲", "=", "▼")
    classes = ("seg-raised", "seg-kept", "seg-cut")
    body = []
    x = LABEL_W
    for mark, label, cls in zip(marks, labels, classes, strict=True):
        body.append(f'<rect x="{x}" y="6" width="14" height="12" class="{cls}"/>')
        body.append(_text(x + 18, 17, f"{mark} {label}", "legend"))
        x += 130
    for index, (label, *shares) in enumerate(rows):
        y = top + index * row_h
        body.append(_text(LABEL_W - 8, y + 16, _clip(label), "label", "end"))
        x = float(LABEL_W)
        for share, mark, cls in zip(shares, marks, classes, strict=True):
            width = BAR_AREA * float(share)
            if width <= 0:
                continue
            percent = f"{float(share) * 100:.0f}%"
            body.append(
                f'<rect x="{_fmt(x)}" y="{y + 2}" width="{_fmt(width)}" height="20" '
                f'class="{cls}"><title>{escape(mark)} {escape(percent)}</title></rect>'
            )
            if width >= 44:
                body.append(_text(x + width / 2, y + 17, f"{mark} {percent}", "seg-text", "middle"))
            x += width
    return _svg(chart_id, title, desc, top + len(rows) * row_h + 4, body)


def columns(
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[tuple[str, int]],
    marker: int | None = None,
    height: int = 180,
) -> Markup:
    """Vertical columns (``(label, count)``), labels under the first, middle and last column;
    ``marker`` outlines one column (the current amount) with a ◆ above it."""
    chart_h = height - 40
    peak = max([count for _l, count in bars] + [1])
    n = max(len(bars), 1)
    left = 40
    slot = (WIDTH - left - 10) / n
    body = [
        f'<line x1="{left}" y1="{chart_h + 10}" x2="{WIDTH - 10}" y2="{chart_h + 10}" '
        'class="axis"/>',
        _text(left - 6, 20, str(peak), "tick", "end"),
        _text(left - 6, chart_h + 10, "0", "tick", "end"),
    ]
    show = {0, n // 2, n - 1}
    for index, (label, count) in enumerate(bars):
        h = chart_h * count / peak
        x = left + index * slot
        cls = "col col-marked" if index == marker else "col"
        body.append(
            f'<rect x="{_fmt(x + 1)}" y="{_fmt(chart_h + 10 - h)}" width="{_fmt(max(slot - 2, 1))}"'
            f' height="{_fmt(h)}" class="{cls}"><title>{escape(label)}: {count}</title></rect>'
        )
        if index == marker:
            body.append(_text(x + slot / 2, chart_h + 6 - h, "◆", "marker", "middle"))
        if index in show:
            body.append(_text(x + slot / 2, chart_h + 28, _clip(label, 16), "tick", "middle"))
    return _svg(chart_id, title, desc, height, body)


def bin_amounts(
    amounts: Sequence[tuple[Decimal, int]], current: Decimal, max_bins: int = 24
) -> tuple[list[tuple[Decimal, Decimal, int]], int | None]:
    """Group ``(amount, count)`` pairs (sorted) into at most ``max_bins`` ranges of equal
    numbers of distinct amounts. Returns ``[(low, high, count)]`` and the bin of ``current``."""
    if not amounts:
        return [], None
    per_bin = -(-len(amounts) // max_bins)
    bins = []
    marker = None
    for start in range(0, len(amounts), per_bin):
        chunk = amounts[start : start + per_bin]
        low, high = chunk[0][0], chunk[-1][0]
        if low <= current <= high:
            marker = len(bins)
        bins.append((low, high, sum(count for _a, count in chunk)))
    return bins, marker
