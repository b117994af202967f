"""Map data (面), the same for every door: values per region, classes, legend, renderings.

:func:`map_data` turns enterprise records (region code, latest level and total, carbon
of a year) into one value per region of a base map — the provinces of China, or the
regions directly below one province — for a dashboard measure (:data:`MEASURES`), with
the colour classes and legend.  The page's interactive ECharts map, its static SVG, the
PNG/SVG downloads and PDF figures all draw that one :class:`MapData`
(:func:`map_svg_text`, :func:`map_png`, :func:`map_figure_svg`).

Base maps
---------
* **Tile grid** (always): :mod:`nqpf.reports.maps`, no boundary data.
* **Real boundaries**: a GeoJSON file the deployment provides (setting
  ``NQPF_BOUNDARY_GEOJSON``), read by :func:`load_boundaries`, which refuses a file that
  lacks the 南海诸岛 (islands or the dash-line layer south of 12°N) or its 审图号
  (``review_number`` at the top of the FeatureCollection).  nqpf ships no boundary file:
  see docs/maps.md.

Assignment of enterprises to regions
------------------------------------
An enterprise's 6- or 12-digit code lies in the region whose key it starts with
(province: 2 digits; prefecture-level city: 4; county-level unit directly below a
province: 6).  A code that matches no region of the map is tried again as today's code
(:func:`nqpf.codes.current_code`, for codes retired since); what still matches nothing is
counted under **未知地区** (:attr:`MapData.unknown`) — named, never dropped silently.

Examples
--------
>>> recs = [MapRecord("440305", 2, 55.0), MapRecord("440306", 1, 30.0),
...         MapRecord("320506", None, None), MapRecord("999999", 1, 20.0)]
>>> m = map_data(recs, measure="mean_total")
>>> [(c.code, c.value) for c in m.cells if c.value is not None]
[('440000', 42.5)]
>>> m.unknown.enterprises, m.stats["320000"].enterprises
(1, 1)
>>> map_data(recs, measure="coverage", parent="44").stats["440300"].assessed
2
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nqpf.codes import current_code, industry_name, region_name
from nqpf.exceptions import DataValidationError
from nqpf.reports.maps import (
    NO_DATA_COLOR,
    SEQUENTIAL,
    SOUTH_CHINA_SEA,
    LegendEntry,
    MapCell,
    Tile,
    choropleth_figure,
    figure_png,
    figure_svg,
    geo_choropleth_figure,
    tile_grid,
    tile_map_svg,
)

__all__ = [
    "MEASURES",
    "TILE_NOTE",
    "UNKNOWN_INDUSTRY",
    "UNKNOWN_REGION",
    "Boundaries",
    "MapData",
    "MapRecord",
    "Measure",
    "RegionStats",
    "industry_display",
    "load_boundaries",
    "map_data",
    "map_figure_svg",
    "map_png",
    "map_svg_text",
    "region_display",
    "region_path",
]

UNKNOWN_REGION = "未知地区"
UNKNOWN_INDUSTRY = "未知行业"
TILE_NOTE = "示意图：每个方块代表一个行政区，大小相同，不表示行政区域界线与面积"


@dataclass(frozen=True)
class Measure:
    """A dashboard measure a map can show."""

    key: str
    label: str
    unit: str
    share: bool = False  # a fraction 0–1, shown and classed as per cent
    digits: int = 1


#: The measures a map can be coloured by.
MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("mean_total", "平均总分", "分"),
        Measure("share_target", "二级及以上占比", "%", share=True),
        Measure("coverage", "评测覆盖率", "%", share=True),
        Measure("carbon_intensity", "万元产值碳排放", "tCO2/万元", digits=3),
        Measure("enterprises", "企业数", "家", digits=0),
    )
}


@dataclass(frozen=True)
class MapRecord:
    """One enterprise: its region code, latest level and total (None: not assessed), and
    the tCO₂ and output (万元) of its inventory of the year shown (None: none)."""

    region_code: str | None
    level: int | None = None
    total: float | None = None
    co2: float | None = None
    output: float | None = None


@dataclass(frozen=True)
class RegionStats:
    """Additive sums of one region's enterprises."""

    enterprises: int = 0
    assessed: int = 0
    total_sum: float = 0.0
    at_target: int = 0
    inventories: int = 0
    co2: float = 0.0
    output: float = 0.0  # of the inventories that report an output

    def add(self, r: MapRecord, target_level: int) -> RegionStats:
        assessed = r.level is not None and r.total is not None
        has_carbon = r.co2 is not None
        return RegionStats(
            self.enterprises + 1,
            self.assessed + assessed,
            self.total_sum + (float(r.total) if assessed else 0.0),  # type: ignore[arg-type]
            self.at_target + (assessed and int(r.level) >= target_level),  # type: ignore[arg-type]
            self.inventories + has_carbon,
            self.co2 + (float(r.co2) if has_carbon and r.output else 0.0),  # type: ignore[arg-type]
            self.output + (float(r.output) if has_carbon and r.output else 0.0),
        )

    def __add__(self, other: RegionStats) -> RegionStats:
        return RegionStats(
            self.enterprises + other.enterprises,
            self.assessed + other.assessed,
            self.total_sum + other.total_sum,
            self.at_target + other.at_target,
            self.inventories + other.inventories,
            self.co2 + other.co2,
            self.output + other.output,
        )

    def value(self, measure: str) -> float | None:
        """The measure's value (None when it has no denominator)."""
        if measure == "enterprises":
            return float(self.enterprises)
        if measure == "coverage":
            return self.assessed / self.enterprises if self.enterprises else None
        if measure == "mean_total":
            return self.total_sum / self.assessed if self.assessed else None
        if measure == "share_target":
            return self.at_target / self.assessed if self.assessed else None
        if measure == "carbon_intensity":
            return self.co2 / self.output if self.output > 0 else None
        raise _unknown_measure(measure)


def _unknown_measure(measure: str) -> DataValidationError:
    return DataValidationError(
        f"unknown map measure {measure!r}; use one of {', '.join(MEASURES)}",
        field="measure",
        zh=f"未知的地图指标 {measure!r}；可选：{'、'.join(MEASURES)}",
    )


@dataclass(frozen=True)
class MapData:
    """One map: its regions with values, colours, links, the legend and the unknown bucket.

    ``stats`` maps each region's 6-digit code to its :class:`RegionStats`; ``cells`` are
    the drawn regions (tile positions, value, text, colour, link) in code order.
    """

    measure: Measure
    parent: str  # "" = provinces of China; else the 2-digit province
    title: str
    cells: tuple[MapCell, ...]
    stats: Mapping[str, RegionStats]
    keys: Mapping[str, str]  # region code → the prefix enterprise codes start with
    legend: tuple[LegendEntry, ...]
    unknown: RegionStats | None
    note: str
    basemap: str = "tiles"  # or "geojson"
    boundary_label: str = ""
    features: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)

    def text(self, value: float | None) -> str:
        return _fmt(value, self.measure)

    def to_json(self) -> dict[str, Any]:
        """The JSON the page's ECharts map draws (also the API's answer)."""
        return {
            "measure": self.measure.key,
            "label": self.measure.label,
            "unit": self.measure.unit,
            "parent": self.parent,
            "title": self.title,
            "basemap": self.basemap,
            "boundary_label": self.boundary_label,
            "note": self.note,
            "regions": [
                {
                    "code": c.code,
                    "key": self.keys[c.code],
                    "name": c.name,
                    "row": c.row,
                    "col": c.col,
                    "value": c.value,
                    "text": c.text,
                    "color": c.color,
                    "href": c.href,
                    "enterprises": self.stats[c.code].enterprises,
                    "assessed": self.stats[c.code].assessed,
                }
                for c in self.cells
            ],
            "legend": [{"label": e.label, "color": e.color} for e in self.legend],
            "unknown": None
            if self.unknown is None
            else {
                "name": UNKNOWN_REGION,
                "enterprises": self.unknown.enterprises,
                "assessed": self.unknown.assessed,
                "value": self.unknown.value(self.measure.key),
                "text": self.text(self.unknown.value(self.measure.key)),
            },
        }


def _fmt(value: float | None, m: Measure) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if m.share:
        return f"{100 * value:.1f}%"
    if m.digits == 0:
        return f"{value:.0f}"
    return f"{value:.{m.digits}f}"


@functools.lru_cache(maxsize=8192)
def region_display(code: str | None) -> str:
    """``深圳市`` for a known code (any of 2/4/6/12 digits), else ``未知地区（code）``."""
    text = (code or "").strip()
    try:
        return region_name(text[:6] if len(text) in (9, 12) else text)
    except DataValidationError:
        return f"{UNKNOWN_REGION}（{text}）" if text else UNKNOWN_REGION


@functools.lru_cache(maxsize=8192)
def region_path(code: str | None) -> str:
    """``广东省深圳市南山区`` (the full path of names) for a known code, else
    ``未知地区（code）``."""
    from nqpf.codes import region_label

    text = (code or "").strip()
    known = region_display(text) != (f"{UNKNOWN_REGION}（{text}）" if text else UNKNOWN_REGION)
    label = (
        region_label(text[:6] if len(text) in (9, 12) else text, style="full") if known else text
    )
    text = text[:6] if len(text) in (9, 12) else text
    if label != text and label.endswith(f" {text}"):
        return label[: -len(text) - 1]
    return f"{UNKNOWN_REGION}（{text}）" if text else UNKNOWN_REGION


@functools.lru_cache(maxsize=8192)
def industry_display(code: str | None) -> str:
    """``通用设备制造业`` for a GB/T 4754-2017 code (with or without its letter), else
    ``未知行业（code）``.

    >>> industry_display("C34"), industry_display("C99")
    ('通用设备制造业', '未知行业（C99）')
    """
    text = (code or "").strip()
    try:
        return industry_name(text)
    except DataValidationError:
        return f"{UNKNOWN_INDUSTRY}（{text}）" if text else UNKNOWN_INDUSTRY


def _nice_step(span: float, classes: int) -> float:
    raw = span / classes
    if raw <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(raw))
    return next(s * base for s in (1, 2, 2.5, 5, 10) if s * base >= raw - 1e-12)


def _classes(values: Sequence[float], m: Measure) -> list[tuple[float, float]]:
    """Class bounds: fixed 20-point steps for shares, else equal nice steps over the range."""
    if m.share:
        return [(i / 5, (i + 1) / 5) for i in range(5)]
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi == lo:
        return [(lo, lo)]
    step = _nice_step(hi - lo, 5)
    start = math.floor(lo / step) * step
    bounds = []
    while not bounds or bounds[-1][1] <= hi:
        a = start + len(bounds) * step
        bounds.append((a, a + step))
    return bounds[:5] if len(bounds) > 5 else bounds


def _class_of(value: float, bounds: Sequence[tuple[float, float]]) -> int:
    if len(bounds) == 1:
        return 0
    for i, (_a, b) in enumerate(bounds):
        if value < b:
            return i
    return len(bounds) - 1


def _bound_text(x: float, m: Measure) -> str:
    if m.share:
        return f"{round(100 * x):d}%"
    return f"{x:g}"


def _assign(tiles: Sequence[Tile]) -> Callable[[str], str | None]:
    """Region code → the code of the tile it lies in (None: none)."""
    by_key = {t.key: t.code for t in tiles}
    lengths = sorted({len(k) for k in by_key}, reverse=True)

    @functools.cache
    def tile_of(code: str) -> str | None:
        for n in lengths:
            if code[:n] in by_key:
                return by_key[code[:n]]
        return None

    def assign(code: str) -> str | None:
        found = tile_of(code)
        if found is None and len(code) in (6, 12) and code.isdigit():
            try:
                now = current_code(code)
            except DataValidationError:
                return None
            found = tile_of(now) if now != code[:6] else None
        return found

    return assign


def map_data(
    records: Iterable[MapRecord],
    *,
    measure: str = "mean_total",
    parent: str | None = None,
    target_level: int = 2,
    target_name: str = "二级及以上",
    href: Callable[[str], str] | None = None,
    boundaries: Boundaries | None = None,
    code_stats: Mapping[str, RegionStats] | None = None,
) -> MapData:
    """The map of ``measure`` over ``records``.

    Parameters
    ----------
    records
        One per enterprise (already limited to what the viewer may see).
    measure
        A key of :data:`MEASURES`.
    parent
        None or "": the provinces of China; a 2-digit province code (or a longer code of
        one, cut to 2 digits): the regions directly below it.  Records outside the
        province are left out (they belong to no region of this map).
    target_level, target_name
        The level counted by ``share_target`` and its label (``二级及以上``).
    href
        Region key (``44``, ``4403``, ``429004``) → the link of its region (the filtered
        enterprise list); None: no links.
    boundaries
        A deployment's boundary file: when it has every region of the map, the map is
        drawn on it (``basemap = "geojson"``); else on the tile grid.
    code_stats
        Sums already made per region code (e.g. by SQL ``GROUP BY region_code``): added
        to those of ``records``, so the same assignment and values follow.
    """
    if measure not in MEASURES:
        raise _unknown_measure(measure)
    m = MEASURES[measure]
    if m.key == "share_target":
        m = replace(m, label=f"{target_name}占比")
    province = (parent or "")[:2]
    tiles = tile_grid(province or None)
    if province and not tiles:
        raise DataValidationError(
            f"region {parent!r}: no such province",
            field="parent",
            zh=f"地区代码 {parent!r} 不是现行的省级行政区",
        )
    by_code: dict[str, RegionStats] = {}
    for r in records:
        code = (r.region_code or "").strip()
        by_code[code] = by_code.get(code, RegionStats()).add(r, target_level)
    assign = _assign(tiles)
    stats: dict[str, RegionStats] = {t.code: RegionStats() for t in tiles}
    unknown = RegionStats()
    for code, part in {**by_code, **(code_stats or {})}.items():
        code = code.strip()
        if province and not code.startswith(province):
            continue
        tile = assign(code) if code else None
        if tile is None:
            unknown = unknown + part
        else:
            stats[tile] = stats[tile] + part
    values = {code: s.value(m.key) for code, s in stats.items()}
    present = [v for v in values.values() if v is not None]
    bounds = _classes(present, m)
    colors = SEQUENTIAL[-len(bounds) :] if len(bounds) < len(SEQUENTIAL) else SEQUENTIAL
    cells = []
    for t in tiles:
        v = values[t.code]
        text = _fmt(v, m)
        s = stats[t.code]
        cells.append(
            MapCell(
                code=t.code,
                name=t.name,
                row=t.row,
                col=t.col,
                value=v,
                text=text,
                color=NO_DATA_COLOR if v is None else colors[_class_of(v, bounds)],
                href=href(t.key) if href and s.enterprises else None,
                tooltip=f"{t.full_name}（{t.code}）\n{m.label}：{text}"
                f"\n企业 {s.enterprises} 家，已评测 {s.assessed} 家",
            )
        )
    legend = [
        LegendEntry(_fmt(a, m) if a == b else f"{_bound_text(a, m)}–{_bound_text(b, m)}", colors[i])
        for i, (a, b) in enumerate(bounds)
    ]
    legend.append(LegendEntry("无数据", NO_DATA_COLOR))
    where = region_name(province) if province else "全国各省级行政区"
    basemap, label, features = "tiles", "", ()
    if boundaries is not None:
        wanted = {t.code for t in tiles}
        found = tuple(f for f in boundaries.features if f["properties"]["code"] in wanted)
        if {f["properties"]["code"] for f in found} >= wanted:
            extra = boundaries.extras if not province else ()
            basemap, label, features = "geojson", boundaries.label, found + extra
    note = TILE_NOTE if basemap == "tiles" else label
    return MapData(
        measure=m,
        parent=province,
        title=f"{where}：{m.label}" + (f"（{m.unit}）" if not m.share else ""),
        cells=tuple(cells),
        stats=stats,
        keys={t.code: t.key for t in tiles},
        legend=tuple(legend),
        unknown=unknown if unknown.enterprises else None,
        note=note,
        basemap=basemap,
        boundary_label=label,
        features=features,
    )


# ------------------------------------------------------------------------- renderings


def map_svg_text(data: MapData) -> str:
    """The page's static tile map (SVG text, regions linked and carrying their codes)."""
    return tile_map_svg(data.cells, title=data.title, legend=data.legend, note=data.note)


def _figure(data: MapData, note: str | None) -> Any:
    footer = "；".join(x for x in (data.note, note) if x)
    if data.basemap == "geojson":
        return geo_choropleth_figure(
            data.features,
            data.cells,
            title=data.title,
            legend=data.legend,
            note=footer,
            inset=not data.parent,
        )
    return choropleth_figure(data.cells, title=data.title, legend=data.legend, note=footer)


def map_png(data: MapData, *, note: str | None = None, dpi: int = 150) -> bytes:
    """The map as a PNG (reports, downloads); ``note`` is added to the footnote."""
    return figure_png(_figure(data, note), dpi=dpi)


def map_figure_svg(data: MapData, *, note: str | None = None) -> str:
    """The map as SVG with text as outlines (PDF reports, downloads)."""
    return figure_svg(_figure(data, note))


# ------------------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Boundaries:
    """A deployment's boundary file: region features (``properties.code`` = 6-digit
    code), the other features (南海诸岛, dash lines) and the label with its 审图号."""

    features: tuple[Mapping[str, Any], ...]
    extras: tuple[Mapping[str, Any], ...]
    review_number: str
    source: str

    @property
    def label(self) -> str:
        return f"底图：{self.source}，审图号：{self.review_number}"

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(f["properties"]["code"] for f in self.features)


def _points(geometry: Mapping[str, Any]) -> Iterable[tuple[float, float]]:
    def walk(c: Any) -> Iterable[tuple[float, float]]:
        if (
            isinstance(c, list | tuple)
            and len(c) >= 2
            and all(isinstance(x, int | float) for x in c[:2])
        ):
            yield float(c[0]), float(c[1])
        elif isinstance(c, list | tuple):
            for x in c:
                yield from walk(x)

    if geometry.get("type") == "GeometryCollection":
        for g in geometry.get("geometries") or []:
            yield from _points(g)
    else:
        yield from walk(geometry.get("coordinates"))


def _in_south_china_sea(features: Iterable[Mapping[str, Any]]) -> bool:
    lon0, lon1, _lat0, _lat1 = SOUTH_CHINA_SEA
    return any(
        lon0 <= x <= lon1 and y < 12.0
        for f in features
        for x, y in _points(f.get("geometry") or {})
    )


def _boundary_error(message: str, zh: str, path: str) -> DataValidationError:
    return DataValidationError(message, file=path, field="boundary_geojson", zh=zh)


def load_boundaries(path: str | os.PathLike[str]) -> Boundaries:
    """Read and check a boundary GeoJSON (a FeatureCollection in lon/lat, WGS84).

    Each region feature names its 6-digit code in ``properties`` as ``adcode``, ``code``
    or ``gb`` (``156440000`` style codes are cut to their last 6 digits); features
    without a region code (南海诸岛, the dash lines) are kept as extras and drawn on
    national maps.  The collection must carry ``review_number`` (审图号) and may carry
    ``source``.  Cached per path and modification time.

    Raises
    ------
    DataValidationError
        The file cannot be read, is not a FeatureCollection, has no region features,
        lacks its 审图号, or lacks the 南海诸岛 (no geometry south of 12°N between 105°E
        and 123°E): a map of China with real boundaries must show them.
    """
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError as exc:
        raise _boundary_error(
            f"cannot read the boundary file: {exc.strerror}",
            f"无法读取边界文件：{exc.strerror}",
            str(p),
        ) from None
    return _load(str(p), stamp)


@functools.lru_cache(maxsize=4)
def _load(path: str, _stamp: int) -> Boundaries:
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise _boundary_error(
            f"cannot read the boundary file as JSON: {exc}", f"边界文件不是有效的 JSON：{exc}", path
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _boundary_error(
            "the boundary file must be a GeoJSON FeatureCollection",
            "边界文件应为 GeoJSON FeatureCollection",
            path,
        )
    regions: list[dict[str, Any]] = []
    extras: list[dict[str, Any]] = []
    for f in data.get("features") or []:
        if not isinstance(f, dict) or not isinstance(f.get("geometry"), dict):
            continue
        props = f.get("properties") or {}
        raw = next((props.get(k) for k in ("adcode", "code", "gb") if props.get(k)), "")
        code = str(raw).strip()
        code = code[-6:] if code.isdigit() and len(code) >= 6 else ""
        try:
            name = region_name(code) if code else ""
        except DataValidationError:
            code, name = "", ""
        item = {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {"code": code, "name": name},
        }
        (regions if code else extras).append(item)
    if not regions:
        raise _boundary_error(
            "the boundary file has no feature with a region code (adcode, code or gb)",
            "边界文件中没有带行政区划代码（adcode、code 或 gb）的要素",
            path,
        )
    review = str(data.get("review_number") or data.get("审图号") or "").strip()
    if not review:
        raise _boundary_error(
            "the boundary file has no review_number (审图号): a published map of China "
            "needs its map review number",
            "边界文件缺少审图号（review_number）：公开使用的中国地图须标注审图号",
            path,
        )
    if not _in_south_china_sea([*regions, *extras]):
        raise _boundary_error(
            "the boundary file does not include the South China Sea islands (南海诸岛): no "
            "geometry south of 12°N between 105°E and 123°E; a map of China must show them "
            "(as an inset or the standard map's layer)",
            "边界文件不含南海诸岛（北纬 12° 以南、东经 105°–123° 之间没有任何要素）：中国地图"
            "必须表示南海诸岛（附图或标准地图图层）",
            path,
        )
    source = str(data.get("source") or Path(path).name)
    return Boundaries(tuple(regions), tuple(extras), review, source)
