"""Inline SVG charts for the pages: pure functions returning SVG text, no JS library.

Every text put into the SVG (axis labels, series names, titles) is XML-escaped, so the
result can be embedded in a page with ``|safe`` even when labels come from user data.

Examples
--------
>>> svg = radar_svg(["基础", "管理", "成效"], [("T0", [0.5, 0.4, 0.9])])
>>> svg.startswith("<svg") and svg.count("<polygon") == 1
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "radar_svg", "share"]

PALETTE = ("#1d4ed8", "#ea580c", "#15803d", "#9333ea")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _f(x: float) -> str:
    return f"{x:.1f}"


def share(points: float | None, max_points: float | None) -> float:
    """``points / max_points`` clamped to 0–1 (0 when either is missing or the max is 0)."""
    if points is None or not max_points:
        return 0.0
    value = float(points) / float(max_points)
    if not math.isfinite(value):
        return 0.0
    return min(max(value, 0.0), 1.0)


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
    height = size + legend_h

    def point(i: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart radar" role="img" '
        f'viewBox="0 0 {size} {height}" width="{size}" height="{height}">'
    ]
    if title:
        parts.append(f"<title>{_e(title)}</title>")
    # grid rings as paths (polygons are reserved for the series)
    for k in range(1, rings + 1):
        r = radius * k / rings
        pts = [point(i, r) for i in range(n)]
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in pts) + " Z"
        parts.append(f'<path class="grid" d="{d}" fill="none" stroke="#d9e2ec" stroke-width="1"/>')
        x, y = point(0, r)
        parts.append(
            f'<text class="tick" x="{_f(x + 4)}" y="{_f(y + 4)}" font-size="10" '
            f'fill="#9aa5b1">{round(100 * k / rings)}%</text>'
        )
    for i, label in enumerate(axes):
        x, y = point(i, radius)
        parts.append(
            f'<line class="axis" x1="{_f(cx)}" y1="{_f(cy)}" x2="{_f(x)}" y2="{_f(y)}" '
            'stroke="#bcccdc" stroke-width="1"/>'
        )
        lx, ly = point(i, radius + 18)
        anchor = "middle" if abs(lx - cx) < 1 else ("start" if lx > cx else "end")
        parts.append(
            f'<text class="label" x="{_f(lx)}" y="{_f(ly + 4)}" text-anchor="{anchor}" '
            f'font-size="13" fill="#1f2933">{_e(label)}</text>'
        )
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        pts = [point(i, radius * share(v, 1.0)) for i, v in enumerate(values)]
        coords = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        parts.append(
            f'<polygon class="series" data-series="{s}" points="{coords}" fill="{color}" '
            f'fill-opacity="0.18" stroke="{color}" stroke-width="2">'
            f"<title>{_e(name)}</title></polygon>"
        )
        for x, y in pts:
            parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{color}"/>')
    for s, (name, _values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        y = size + 6 + 22 * s
        parts.append(f'<rect x="16" y="{y}" width="14" height="14" fill="{color}"/>')
        parts.append(
            f'<text class="legend" x="36" y="{y + 12}" font-size="13" fill="#1f2933">'
            f"{_e(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
