"""Choropleth maps of China's regions: the tile-grid layout and the static renderings.

Two kinds of base map, one set of values:

* the **tile grid** (always available, no boundary data): one equal square per province
  (:func:`province_tiles`, positions from ``reports/data/china_tile_grid.yaml``) or, inside
  a province, one per region directly below it (:func:`child_tiles`);
* **real boundaries** from a GeoJSON the deployment provides (read and checked by
  :mod:`nqpf.services.maps`; drawn here by :func:`geo_choropleth_figure`, with the
  南海诸岛 inset a map of China must show).

Renderings (the values, colours and legend come in as :class:`MapCell` and
:class:`LegendEntry`, computed once by :mod:`nqpf.services.maps`):

* :func:`tile_map_svg` — light SVG text for web pages: real ``<text>`` (the browser's
  CJK fonts), a tooltip and a link per region;
* :func:`choropleth_figure` / :func:`geo_choropleth_figure` — matplotlib figures built
  with the figure kit (Agg canvas, the OFL CJK font), exported by :func:`figure_png` and
  :func:`figure_svg` (text as outlines, so PDFs and viewers without Chinese fonts show
  the right glyphs).

Every region of every SVG carries ``data-region-code="440000"`` (its 6-digit code).

Prefecture layout (documented algorithm)
----------------------------------------
nqpf ships no coordinates below province level, so the regions inside a province are
laid out **by code order**, row by row, in ``ceil(sqrt(n))`` columns: 广东's 21
prefecture-level cities become a 5 × 5 grid starting with 广州市 (440100).  The children
are the regions whose parent in the GB/T 2260 table is the province: prefecture-level
cities, leagues and autonomous prefectures, plus the 省直辖县级 units (仙桃市 429004);
for the 直辖市 they are the districts.

Examples
--------
>>> tiles = province_tiles()
>>> len(tiles), tiles[0].code, tiles[0].name
(34, '110000', '北京')
>>> [t.key for t in child_tiles("44")][:3]
['4401', '4402', '4403']
>>> cells = [MapCell(t.code, t.name, t.row, t.col, None, "—", NO_DATA_COLOR) for t in tiles]
>>> svg = tile_map_svg(cells, title="示意", legend=[])
>>> svg.count("data-region-code=")
34
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

__all__ = [
    "NO_DATA_COLOR",
    "SEQUENTIAL",
    "SOUTH_CHINA_SEA",
    "LegendEntry",
    "MapCell",
    "Tile",
    "child_tiles",
    "choropleth_figure",
    "figure_png",
    "figure_svg",
    "geo_choropleth_figure",
    "province_tiles",
    "tile_grid",
    "tile_map_svg",
]

#: Five sequential classes, light to dark (ColorBrewer Blues, 5 classes).
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
#: Regions without a value.
NO_DATA_COLOR = "#e4e7eb"
#: The 南海诸岛 window (lon_min, lon_max, lat_min, lat_max) of the inset.
SOUTH_CHINA_SEA = (105.0, 123.0, 2.0, 24.0)
_MAIN_EXTENT = (73.0, 136.0, 16.0, 54.0)


# ------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Tile:
    """One region of the tile grid.

    ``code`` is the 6-digit GB/T 2260 code, ``key`` the prefix an enterprise's region
    code starts with when it lies in the region (2 digits for a province, 4 for a
    prefecture-level city, 6 for a county-level unit).
    """

    code: str
    name: str
    full_name: str
    level: str
    row: int
    col: int

    @property
    def key(self) -> str:
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


@functools.cache
def province_tiles() -> tuple[Tile, ...]:
    """The 34 provincial-level divisions on the conventional tile grid, in code order."""
    import yaml

    from nqpf.codes import region_name

    text = resources.files("nqpf.reports").joinpath("data", "china_tile_grid.yaml")
    data = yaml.safe_load(text.read_text("utf-8"))
    tiles = []
    for line in str(data["tiles"]).splitlines():
        if not line.strip():
            continue
        code, row, col = line.split("\t")
        tiles.append(
            Tile(
                code,
                region_name(code, short=True),
                region_name(code),
                "province",
                int(row),
                int(col),
            )
        )
    return tuple(sorted(tiles, key=lambda t: t.code))


@functools.cache
def child_tiles(parent: str) -> tuple[Tile, ...]:
    """The regions directly below province ``parent`` (2 or 6 digits), by code order in
    ``ceil(sqrt(n))`` columns (see the module notes)."""
    from nqpf.codes import regions

    table = regions(parent=str(parent)[:2])
    n = len(table)
    cols = max(1, math.ceil(math.sqrt(n)))
    return tuple(
        Tile(r.code, r.short_name, r.name, r.level, i // cols, i % cols)
        for i, r in enumerate(table.itertuples(index=False))
    )


def tile_grid(parent: str | None = None) -> tuple[Tile, ...]:
    """:func:`province_tiles` (``parent`` None) or :func:`child_tiles` of a province."""
    return province_tiles() if not parent else child_tiles(parent)


# ----------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class MapCell:
    """A region as drawn: where (tile position), its value, text, colour and link."""

    code: str
    name: str
    row: int
    col: int
    value: float | None
    text: str
    color: str
    href: str | None = None
    tooltip: str = ""


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _ink(color: str) -> str:
    """Dark or light text on a fill colour (relative luminance)."""
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#1f2933"


def tile_map_svg(
    cells: Sequence[MapCell],
    *,
    title: str,
    legend: Sequence[LegendEntry],
    note: str = "",
    size: int = 58,
    gap: int = 4,
) -> str:
    """The tile map as SVG text for a page: one ``<g class="region">`` per cell carrying
    ``data-region-code``, a ``<title>`` tooltip and, when the cell has ``href``, a link.

    All text is XML-escaped (names and tooltips may come from data).
    """
    rows = max((c.row for c in cells), default=0) + 1
    cols = max((c.col for c in cells), default=0) + 1
    legend_h = 26 if legend else 0
    note_h = 20 if note else 0
    width = max(cols * (size + gap) + gap, 320)
    height = rows * (size + gap) + gap + legend_h + note_h + 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart tile-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{_e(title)}</title>",
        f'<text class="map-title" x="{gap}" y="18" font-size="14" font-weight="600" '
        f'fill="#1f2933">{_e(title)}</text>',
    ]
    top = 28
    for c in cells:
        x = gap + c.col * (size + gap)
        y = top + c.row * (size + gap)
        ink = _ink(c.color)
        body = (
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{_e(c.color)}" '
            f'stroke="#ffffff" stroke-width="1"/>'
            f'<text x="{x + size / 2:.1f}" y="{y + size / 2 - 3:.1f}" text-anchor="middle" '
            f'font-size="{12 if len(c.name) <= 4 else 10}" fill="{ink}">{_e(c.name[:6])}</text>'
            f'<text x="{x + size / 2:.1f}" y="{y + size / 2 + 13:.1f}" text-anchor="middle" '
            f'font-size="11" fill="{ink}">{_e(c.text)}</text>'
        )
        tip = f"<title>{_e(c.tooltip or f'{c.name}：{c.text}')}</title>"
        attrs = f'class="region" data-region-code="{_e(c.code)}"'
        if c.href:
            parts.append(f'<a href="{_e(c.href)}" {attrs}>{tip}{body}</a>')
        else:
            parts.append(f"<g {attrs}>{tip}{body}</g>")
    y = top + rows * (size + gap) + 6
    x = gap
    for entry in legend:
        parts.append(
            f'<rect class="legend-swatch" x="{x}" y="{y}" width="14" height="14" '
            f'fill="{_e(entry.color)}" stroke="#9aa5b1" stroke-width="0.5"/>'
            f'<text x="{x + 18}" y="{y + 12}" font-size="11" fill="#1f2933">{_e(entry.label)}</text>'
        )
        x += 26 + 7 * len(entry.label) + 6 * sum(ord(ch) > 0x2E80 for ch in entry.label)
    if note:
        parts.append(
            f'<text class="map-note" x="{gap}" y="{height - 6}" font-size="11" '
            f'fill="#616e7c">{_e(note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _wrap(text: str, width: int = 46) -> str:
    """Wrap a note of mostly CJK text at ``width`` characters a line."""
    lines = []
    for part in text.split("\n"):
        while len(part) > width:
            lines.append(part[:width])
            part = part[width:]
        lines.append(part)
    return "\n".join(lines)


def _titles(fig: Any, ax: Any, title: str, note: str | None) -> None:
    """The title above and the (wrapped) note under it, both inside the layout."""
    from nqpf.reports._figure import NOTE_COLOR

    fig.suptitle(title, fontsize=12)
    if note:
        ax.set_title(_wrap(note), fontsize=7.5, color=NOTE_COLOR, loc="left")


def _legend_handles(legend: Sequence[LegendEntry]) -> list[Any]:
    from matplotlib.patches import Patch

    return [Patch(facecolor=e.color, edgecolor="#9aa5b1", label=e.label) for e in legend]


def choropleth_figure(
    cells: Sequence[MapCell],
    *,
    title: str,
    legend: Sequence[LegendEntry],
    note: str | None = None,
    width: float = 7.5,
) -> Any:
    """The tile map as a matplotlib figure (report/PDF rendering).

    Each square is a patch whose ``gid`` is ``region-<code>`` (:func:`figure_svg` turns
    it into ``data-region-code``).
    """
    from matplotlib.patches import FancyBboxPatch

    from nqpf.reports._figure import hide_spines, new_figure

    rows = max((c.row for c in cells), default=0) + 1
    cols = max((c.col for c in cells), default=0) + 1
    height = max(3.0, width * rows / max(cols, 1) * 0.95 + 1.4)
    fig, ax = new_figure(width, height, None)
    for c in cells:
        x, y = c.col, rows - 1 - c.row
        patch = FancyBboxPatch(
            (x + 0.04, y + 0.04),
            0.92,
            0.92,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=c.color,
            edgecolor="white",
            linewidth=1,
        )
        patch.set_gid(f"region-{c.code}")
        ax.add_patch(patch)
        ink = _ink(c.color)
        ax.text(x + 0.5, y + 0.6, c.name[:6], ha="center", va="center", fontsize=9, color=ink)
        ax.text(x + 0.5, y + 0.3, c.text, ha="center", va="center", fontsize=7.5, color=ink)
    ax.set_xlim(0, cols)
    ax.set_ylim(0, rows)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    hide_spines(ax)
    _titles(fig, ax, title, note)
    if legend:
        ax.legend(
            handles=_legend_handles(legend),
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncol=min(len(legend), 6),
            frameon=False,
            fontsize=8,
        )
    return fig


def _rings(geometry: Mapping[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    """The exterior rings of a (Multi)Polygon, and the lines of a (Multi)LineString."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords[:1]
    elif kind == "MultiPolygon":
        for poly in coords:
            yield from poly[:1]
    elif kind == "LineString":
        yield coords
    elif kind == "MultiLineString":
        yield from coords
    elif kind == "GeometryCollection":
        for g in geometry.get("geometries") or []:
            yield from _rings(g)


def _draw_features(
    ax: Any, features: Sequence[Mapping[str, Any]], colors: Mapping[str, str], line_color: str
) -> None:
    from matplotlib.patches import Polygon

    for f in features:
        code = str((f.get("properties") or {}).get("code") or "")
        geometry = f.get("geometry") or {}
        is_line = str(geometry.get("type", "")).endswith("LineString")
        for ring in _rings(geometry):
            if len(ring) < 2:
                continue
            xy = [(float(p[0]), float(p[1])) for p in ring]
            if is_line:
                ax.plot(*zip(*xy, strict=True), color=line_color, linewidth=0.8)
                continue
            patch = Polygon(
                xy,
                closed=True,
                facecolor=colors.get(code, NO_DATA_COLOR),
                edgecolor="white",
                linewidth=0.4,
            )
            if code:
                patch.set_gid(f"region-{code}")
            ax.add_patch(patch)


def geo_choropleth_figure(
    features: Sequence[Mapping[str, Any]],
    cells: Sequence[MapCell],
    *,
    title: str,
    legend: Sequence[LegendEntry],
    note: str | None = None,
    inset: bool = True,
    width: float = 7.5,
) -> Any:
    """A choropleth of real boundaries (GeoJSON features, lon/lat, ``properties.code``
    = the 6-digit region code) with the 南海诸岛 inset (``inset``: national maps).

    The main map shows China north of 16°N; the inset (lower right) shows the South
    China Sea window :data:`SOUTH_CHINA_SEA` with the same features, as the standard map
    of China does.
    """
    from nqpf.reports._figure import new_figure

    colors = {c.code: c.color for c in cells}
    fig, ax = new_figure(width, width * 0.8, None)
    _draw_features(ax, features, colors, "#5a6b7b")
    if inset:
        ax.set_xlim(*_MAIN_EXTENT[:2])
        ax.set_ylim(*_MAIN_EXTENT[2:])
    else:
        ax.autoscale_view()
    ax.set_aspect(1.2)
    ax.set_xticks([])
    ax.set_yticks([])
    _titles(fig, ax, title, note)
    if inset:
        sub = ax.inset_axes((0.80, 0.0, 0.2, 0.3))
        _draw_features(sub, features, colors, "#5a6b7b")
        sub.set_xlim(*SOUTH_CHINA_SEA[:2])
        sub.set_ylim(*SOUTH_CHINA_SEA[2:])
        sub.set_aspect(1.2)
        sub.set_xticks([])
        sub.set_yticks([])
        sub.set_facecolor("white")
        sub.text(0.5, 0.03, "南海诸岛", transform=sub.transAxes, ha="center", fontsize=7)
    if legend:
        ax.legend(handles=_legend_handles(legend), loc="lower left", frameon=False, fontsize=8)
    return fig


def figure_png(fig: Any, dpi: int = 150) -> bytes:
    """PNG bytes of a figure (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    from nqpf.reports._figure import _close

    _close(fig)
    return buf.getvalue()


_GID = re.compile(r'<g id="region-([0-9]{6})"')


def figure_svg(fig: Any) -> str:
    """SVG text of a figure (text as outlines: CJK glyphs without fonts), each region's
    group carrying ``data-region-code``."""
    from nqpf.reports._figure import figure_to_svg

    return _GID.sub(r'<g id="region-\1" data-region-code="\1"', figure_to_svg(fig))
