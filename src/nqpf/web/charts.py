"""Inline SVG charts for the pages: pure functions returning SVG text, no JS library.

A radar of dimension shares (assessment result, T0/T1 comparison, dashboard), vertical
bars and one-line stacked bars of level counts (dashboard).  Every text put into the SVG
(axis labels, series names, titles, tooltips) is XML-escaped, so the result can be
embedded in a page with ``|safe`` even when labels come from user data (chain names).

Examples
--------
>>> svg = radar_svg(["基础", "管理", "成效"], [("T0", [0.5, 0.4, 0.9])])
>>> svg.startswith("<svg") and svg.count("<polygon") == 1
True
>>> svg = bar_svg(["一级", "二级"], [3, 5], title="等级分布")
>>> svg.startswith("<svg") and svg.count('class="bar"') == 2
True
>>> stacked_bar_svg([("一级", 1), ("二级", 3)]).count('class="segment"')
2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = [
    "LEVEL_COLORS",
    "PALETTE",
    "bar_svg",
    "level_color",
    "radar_svg",
    "share",
    "stacked_bar_svg",
]

#: Colours of the radar's series, in order.
PALETTE = ("#1d4ed8", "#ea580c", "#15803d", "#9333ea")
#: Colours of levels 0 (未达一级) … 4 (四级): grey, then a blue ramp.
LEVEL_COLORS = ("#cbd2d9", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a")

_SVG_NS = "http://www.w3.org/2000/svg"
_INK = "#1f2933"  # labels and values


# --------------------------------------------------------------------------- helpers


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _f(x: float) -> str:
    return f"{x:.1f}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _title(text: object) -> str:
    """A ``<title>`` element: the chart's accessible name, or a shape's tooltip."""
    return f"<title>{_e(text)}</title>"


def _tooltip(label: str, value: float, unit: str) -> str:
    """A bar's tooltip ``label：value unit``."""
    return _title(f"{label}：{_num(value)}{unit}")


def _svg_start(kind: str, width: float, height: float, title: str | None) -> list[str]:
    """The opening ``<svg>`` tag (classes ``chart <kind>``) and its title, as parts to join."""
    parts = [
        f'<svg xmlns="{_SVG_NS}" class="chart {kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    if title:
        parts.append(_title(title))
    return parts


def _text(
    cls: str, x: object, y: object, body: object, *, size: int, fill: str, anchor: str = ""
) -> str:
    """A ``<text>`` element showing ``body`` (escaped); ``x`` and ``y`` as written."""
    align = f' text-anchor="{anchor}"' if anchor else ""
    return (
        f'<text class="{cls}" x="{x}" y="{y}"{align} font-size="{size}" fill="{fill}">'
        f"{_e(body)}</text>"
    )


def _line(cls: str, x1: object, y1: object, x2: object, y2: object, stroke: str) -> str:
    """A 1 px ``<line>`` element; coordinates as written."""
    return (
        f'<line class="{cls}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _bar_value(value: float | None) -> float:
    """A value drawn as a bar: ``None``, negative and non-finite values count as 0."""
    if value is None:
        return 0.0
    x = float(value)
    return x if math.isfinite(x) and x > 0 else 0.0


def share(points: float | None, max_points: float | None) -> float:
    """``points / max_points`` clamped to 0–1 (0 when either is missing or the max is 0)."""
    if points is None or not max_points:
        return 0.0
    value = float(points) / float(max_points)
    if not math.isfinite(value):
        return 0.0
    return min(max(value, 0.0), 1.0)


def level_color(level: int) -> str:
    """The colour of ``level`` (levels beyond the palette take its last colour)."""
    return LEVEL_COLORS[min(max(level, 0), len(LEVEL_COLORS) - 1)]


def _bar_color(i: int, colors: Sequence[str] | None) -> str:
    """The ``i``-th bar's colour: from ``colors`` in turn, else the colour of level ``i``."""
    return colors[i % len(colors)] if colors else level_color(i)


def _nice_max(value: float, ticks: int = 4, *, integer: bool = True) -> float:
    """Axis top: ``ticks`` × the smallest tick of 1, 2, 2.5 or 5 × 10^k with room for
    ``value``; with ``integer`` every tick is a whole number (27 → 40, 100 → 100, 1 → 4)."""
    need = max(value, 0.0) / ticks
    if need <= 0:
        return float(ticks)
    base = 10 ** math.floor(math.log10(need))
    steps = [s * base for s in (1, 2, 2.5, 5, 10)]
    if integer:
        steps = [s for s in steps if float(s).is_integer()] or [1.0]
    for step in steps:
        if step >= need - 1e-9:
            return ticks * step
    return ticks * 10 * base  # pragma: no cover - the loop always returns


# ----------------------------------------------------------------------------- radar


def radar_svg(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str | None = None,
    size: int = 380,
    rings: int = 4,
) -> str:
    """A radar (spider) chart of values in 0–1 (shares of the maximum), one polygon per series.

    Parameters
    ----------
    axes
        Axis labels (at least one; one or two axes still draw, as a line or a segment).
    series
        ``(name, values)`` per series, ``values`` in axis order (clamped to 0–1).
    title
        Accessible title (``<title>``) and caption.
    size
        Width and height of the drawing area in px (the legend adds height).
    rings
        Number of grid rings (25 %, 50 %, … with the default 4).
    """
    n = len(axes)
    if n == 0:
        raise ValueError("a radar chart needs at least one axis")
    for name, values in series:
        if len(values) != n:
            raise ValueError(f"series {name!r} has {len(values)} values for {n} axes")
    cx = cy = size / 2
    radius = size / 2 - 70
    legend_h = 22 * len(series) + 8 if series else 0

    def point(i: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = _svg_start("radar", size, size + legend_h, title)
    # grid rings as paths (polygons are reserved for the series)
    for k in range(1, rings + 1):
        r = radius * k / rings
        pts = [point(i, r) for i in range(n)]
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in pts) + " Z"
        parts.append(f'<path class="grid" d="{d}" fill="none" stroke="#d9e2ec" stroke-width="1"/>')
        x, y = point(0, r)
        pct = f"{round(100 * k / rings)}%"
        parts.append(_text("tick", _f(x + 4), _f(y + 4), pct, size=10, fill="#9aa5b1"))
    for i, label in enumerate(axes):
        x, y = point(i, radius)
        parts.append(_line("axis", _f(cx), _f(cy), _f(x), _f(y), "#bcccdc"))
        lx, ly = point(i, radius + 18)
        anchor = "middle" if abs(lx - cx) < 1 else ("start" if lx > cx else "end")
        parts.append(_text("label", _f(lx), _f(ly + 4), label, size=13, fill=_INK, anchor=anchor))
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        pts = [point(i, radius * share(v, 1.0)) for i, v in enumerate(values)]
        coords = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        parts.append(
            f'<polygon class="series" data-series="{s}" points="{coords}" fill="{color}" '
            f'fill-opacity="0.18" stroke="{color}" stroke-width="2">{_title(name)}</polygon>'
        )
        for x, y in pts:
            parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{color}"/>')
    for s, (name, _values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        y = size + 6 + 22 * s
        parts.append(f'<rect x="16" y="{y}" width="14" height="14" fill="{color}"/>')
        parts.append(_text("legend", 36, y + 12, name, size=13, fill=_INK))
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------ bars


def bar_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str | None = None,
    colors: Sequence[str] | None = None,
    width: int = 460,
    height: int = 260,
    unit: str = "",
    integer: bool = True,
) -> str:
    """A vertical bar chart: one bar per label with its value on top, a light y grid.

    Parameters
    ----------
    labels, values
        Category labels and their values (``None``, negative or non-finite values draw
        as 0).
    title
        Accessible title (``<title>``).
    colors
        One colour per bar (default: :data:`LEVEL_COLORS` by position).
    unit
        Appended to the value labels and tooltips (e.g. ``家``).
    integer
        Whole-number axis ticks (counts).
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    n = max(len(labels), 1)
    clean = [_bar_value(v) for v in values]
    ticks = 4
    top = _nice_max(max(clean, default=0.0), ticks, integer=integer)
    left, right, upper, lower = 40, 12, 24, 40
    plot_w = width - left - right
    plot_h = height - upper - lower
    slot = plot_w / n
    bar_w = max(4.0, min(64.0, slot * 0.62))
    parts = _svg_start("bars", width, height, title)
    for k in range(ticks + 1):
        y = upper + plot_h - plot_h * k / ticks
        parts.append(_line("grid", left, _f(y), width - right, _f(y), "#e4e7eb"))
        tick = _num(top * k / ticks)
        parts.append(
            _text("tick", left - 6, _f(y + 4), tick, size=11, fill="#7b8794", anchor="end")
        )
    for i, (label, value) in enumerate(zip(labels, clean, strict=True)):
        h = plot_h * value / top
        x = left + slot * i + (slot - bar_w) / 2
        y = upper + plot_h - h
        parts.append(
            f'<rect class="bar" x="{_f(x)}" y="{_f(y)}" width="{_f(bar_w)}" height="{_f(h)}" '
            f'fill="{_e(_bar_color(i, colors))}" rx="2">'
            f"{_tooltip(label, value, unit)}</rect>"
        )
        mid = _f(x + bar_w / 2)
        parts.append(
            _text("value", mid, _f(y - 5), _num(value), size=12, fill=_INK, anchor="middle")
        )
        parts.append(
            _text("label", mid, height - lower + 18, label, size=12, fill=_INK, anchor="middle")
        )
    parts.append(_line("axis", left, upper + plot_h, width - right, upper + plot_h, "#9aa5b1"))
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_svg(
    segments: Sequence[tuple[str, float | None]],
    *,
    title: str | None = None,
    colors: Sequence[str] | None = None,
    width: int = 180,
    height: int = 16,
    unit: str = "",
) -> str:
    """One horizontal bar split into ``segments`` ``(label, value)`` in proportion.

    Each segment carries a tooltip ``label：value``; a bar without any value is drawn
    empty with the tooltip 暂无数据.
    """
    clean = [(label, _bar_value(v)) for label, v in segments]
    total = sum(v for _l, v in clean)
    parts = _svg_start("stacked", width, height, title)
    track = (
        f'<rect class="track" x="0" y="0" width="{width}" height="{height}" fill="#f0f4f8" rx="3"'
    )
    parts.append(f"{track}>{_title('暂无数据')}</rect>" if total <= 0 else f"{track}/>")
    x = 0.0
    for i, (label, value) in enumerate(clean):
        if value <= 0:
            continue
        w = width * value / total
        parts.append(
            f'<rect class="segment" data-index="{i}" x="{_f(x)}" y="0" width="{_f(w)}" '
            f'height="{height}" fill="{_e(_bar_color(i, colors))}">'
            f"{_tooltip(label, value, unit)}</rect>"
        )
        x += w
    parts.append("</svg>")
    return "".join(parts)
