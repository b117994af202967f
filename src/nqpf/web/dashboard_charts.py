"""Inline SVG bar charts of the dashboard: pure functions returning SVG text, no JS.

Every text put into the SVG (labels, titles, tooltips) is XML-escaped, so the result can
be embedded in a page with ``|safe`` even when labels come from user data (chain names).

Examples
--------
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

__all__ = ["LEVEL_COLORS", "bar_svg", "level_color", "stacked_bar_svg"]

#: Colours of levels 0 (未达一级) … 4 (四级): grey, then a blue ramp.
LEVEL_COLORS = ("#cbd2d9", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a")
SVG_NS = "http://www.w3.org/2000/svg"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _f(x: float) -> str:
    return f"{x:.1f}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _clean(value: float | None) -> float:
    if value is None:
        return 0.0
    x = float(value)
    return x if math.isfinite(x) and x > 0 else 0.0


def level_color(level: int) -> str:
    """The colour of ``level`` (levels beyond the palette take its last colour)."""
    return LEVEL_COLORS[min(max(level, 0), len(LEVEL_COLORS) - 1)]


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
    clean = [_clean(v) for v in values]
    ticks = 4
    top = _nice_max(max(clean, default=0.0), ticks, integer=integer)
    left, right, upper, lower = 40, 12, 24, 40
    plot_w = width - left - right
    plot_h = height - upper - lower
    slot = plot_w / n
    bar_w = max(4.0, min(64.0, slot * 0.62))
    parts = [
        f'<svg xmlns="{SVG_NS}" class="chart bars" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    if title:
        parts.append(f"<title>{_e(title)}</title>")
    for k in range(ticks + 1):
        y = upper + plot_h - plot_h * k / ticks
        parts.append(
            f'<line class="grid" x1="{left}" y1="{_f(y)}" x2="{width - right}" y2="{_f(y)}" '
            'stroke="#e4e7eb" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{_f(y + 4)}" text-anchor="end" '
            f'font-size="11" fill="#7b8794">{_e(_num(top * k / ticks))}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, clean, strict=True)):
        color = colors[i % len(colors)] if colors else level_color(i)
        h = plot_h * value / top
        x = left + slot * i + (slot - bar_w) / 2
        y = upper + plot_h - h
        parts.append(
            f'<rect class="bar" x="{_f(x)}" y="{_f(y)}" width="{_f(bar_w)}" height="{_f(h)}" '
            f'fill="{_e(color)}" rx="2"><title>{_e(label)}：{_e(_num(value))}{_e(unit)}'
            "</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{_f(x + bar_w / 2)}" y="{_f(y - 5)}" text-anchor="middle" '
            f'font-size="12" fill="#1f2933">{_e(_num(value))}</text>'
        )
        parts.append(
            f'<text class="label" x="{_f(x + bar_w / 2)}" y="{height - lower + 18}" '
            f'text-anchor="middle" font-size="12" fill="#1f2933">{_e(label)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{upper + plot_h}" x2="{width - right}" '
        f'y2="{upper + plot_h}" stroke="#9aa5b1" stroke-width="1"/>'
    )
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
    clean = [(label, _clean(v)) for label, v in segments]
    total = sum(v for _l, v in clean)
    parts = [
        f'<svg xmlns="{SVG_NS}" class="chart stacked" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    if title:
        parts.append(f"<title>{_e(title)}</title>")
    parts.append(
        f'<rect class="track" x="0" y="0" width="{width}" height="{height}" fill="#f0f4f8" rx="3">'
        "<title>暂无数据</title></rect>"
        if total <= 0
        else f'<rect class="track" x="0" y="0" width="{width}" height="{height}" '
        'fill="#f0f4f8" rx="3"/>'
    )
    x = 0.0
    for i, (label, value) in enumerate(clean):
        if value <= 0:
            continue
        w = width * value / total
        color = colors[i % len(colors)] if colors else level_color(i)
        parts.append(
            f'<rect class="segment" data-index="{i}" x="{_f(x)}" y="0" width="{_f(w)}" '
            f'height="{height}" fill="{_e(color)}"><title>{_e(label)}：{_e(_num(value))}'
            f"{_e(unit)}</title></rect>"
        )
        x += w
    parts.append("</svg>")
    return "".join(parts)
