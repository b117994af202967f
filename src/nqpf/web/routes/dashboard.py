"""The officers' dashboard (点 → 线 → 面): page, JSON and XLSX download.

Everything is computed by :func:`nqpf.web.services.dashboard.dashboard` over the
enterprises the caller may read; the filters only narrow that set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from nqpf.web import charts
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep, SettingsDep
from nqpf.web.errors import FieldError
from nqpf.web.routes._shared import MAX_ID, XLSX, download
from nqpf.web.services import dashboard as svc
from nqpf.web.services.assessments import available_frameworks
from nqpf.web.services.framework_rollups import framework_rollups
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["dashboard"])
pages = APIRouter()

PARK_PAGE_ROWS = 50  # enterprises a page of the park view (the XLSX has them all)


FrameworkQ = Annotated[
    str,
    Query(
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$",
        description="Framework key (id-version), e.g. sme-digital-2024",
    ),
]
RegionQ = Annotated[
    str,
    Query(
        max_length=12,
        pattern=r"^[0-9]*$",
        description="NBS region code prefix (44, 4403, 440305); must lie in the caller's "
        "scope to find anything",
    ),
]
ChainQ = Annotated[str, Query(max_length=50, description="Industry chain name, e.g. 新能源汽车")]
IndustryQ = Annotated[
    str,
    Query(
        max_length=5,
        pattern=r"^([A-Ta-t][0-9]{0,4})?$",
        description="GB/T 4754 code prefix, e.g. C or C34",
    ),
]
Measure = Literal["mean_total", "share_target", "coverage", "carbon_intensity", "enterprises"]
MeasureQ = Annotated[Measure, Query(description="What colours the map")]
ParentQ = Annotated[
    str,
    Query(
        max_length=2,
        pattern=r"^([0-9]{2})?$",
        description="Province code (2 digits): map its regions; '' = the provinces of China; "
        "omitted: the region filter's province, else the caller's one province",
    ),
]
YearQ = Annotated[int | None, Query(ge=1990, le=2100, description="Carbon inventory year")]
Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


# ------------------------------------------------------------------------ JSON models
class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FiltersOut(_Out):
    framework: str = Field(description="Framework key")
    region: str = Field(max_length=12, description="Region code prefix ('' = all)")
    chain: str = Field(max_length=50, description="Industry chain ('' = all)")
    industry: str = Field(max_length=5, description="GB/T 4754 prefix ('' = all)")


class KpisOut(_Out):
    enterprises: Count = Field(description="Enterprises in view")
    assessed: Count = Field(description="Of them, with a submitted assessment")
    assessed_share: Share
    mean_total: float | None = Field(ge=0, description="Mean latest total score")
    max_total: float = Field(ge=0)
    target_level: int = Field(ge=0)
    target_name: str = Field(description="e.g. 二级及以上")
    at_target: Count
    share_target: Share | None = Field(description="Share of the assessed at the target level+")


class LevelOut(_Out):
    level: int = Field(ge=0)
    name: str
    count: Count
    share: Share | None = Field(description="Share of the assessed")


class DimensionOut(_Out):
    name: str
    mean_points: float | None = Field(ge=0)
    max_points: float = Field(ge=0)
    rate: Share | None = Field(description="mean_points / max_points")


class GroupOut(_Out):
    key: str = Field(description="Region code prefix or GB/T 4754 division (C34)")
    label: str
    enterprises: Count
    assessed: Count
    mean_total: float | None = Field(ge=0)
    levels: list[Count] = Field(description="Assessed enterprises per level 0..top")
    share_target: Share | None


class ChainOut(_Out):
    chain: str
    stage: str = Field(description="上游 / 中游 / 下游, or 全链 for the chain's total row")
    is_total: bool
    enterprises: Count
    assessed: Count
    mean_total: float | None = Field(ge=0)
    levels: list[Count]
    share_target: Share | None


class MovementOut(_Out):
    compared: Count = Field(description="Enterprises with two or more submitted assessments")
    up: Count
    same: Count
    down: Count
    mean_delta: float | None = Field(description="Mean change of the total, latest − first")


class GapOut(_Out):
    condition: str = Field(description="Unmet next-level condition, e.g. 二级：总分需≥40")
    enterprises: Count
    share: Share


class RegionOptionOut(_Out):
    code: str
    label: str


class DashboardOut(_Out):
    framework: str
    framework_name: str
    filters: FiltersOut
    scope: list[str] = Field(description="What the caller's view covers")
    level_names: list[str] = Field(description="Level names by level, 0 = 未达一级")
    kpis: KpisOut
    levels: list[LevelOut]
    dimensions: list[DimensionOut]
    chains: list[ChainOut]
    prefectures: list[GroupOut] = Field(description="By 4-digit region prefix (地市)")
    counties: list[GroupOut] = Field(description="By 6-digit region prefix (区县)")
    industries: list[GroupOut] = Field(description="By GB/T 4754 division (C34)")
    movement: MovementOut
    gaps: list[GapOut] = Field(max_length=svc.TOP_GAPS, description="共性短板, most frequent")
    chain_options: list[str]
    region_options: list[RegionOptionOut]
    generated_at: datetime


class MapRegionOut(_Out):
    code: str = Field(description="6-digit GB/T 2260 code (data-region-code)")
    key: str = Field(description="The prefix enterprise codes of the region start with")
    name: str
    row: int
    col: int
    value: float | None
    text: str
    color: str
    href: str | None = Field(description="The filtered enterprise list of the region")
    enterprises: Count
    assessed: Count


class MapLegendOut(_Out):
    label: str
    color: str


class MapUnknownOut(_Out):
    name: str = Field(description="未知地区: codes that match no region of the map")
    enterprises: Count
    assessed: Count
    value: float | None
    text: str


class MapOut(_Out):
    measure: Measure
    label: str
    unit: str
    parent: str = Field(description="'' = provinces of China, else the province")
    title: str
    basemap: Literal["tiles", "geojson"]
    boundary_label: str = Field(description="Boundary source and 审图号 (geojson only)")
    note: str
    regions: list[MapRegionOut]
    legend: list[MapLegendOut]
    unknown: MapUnknownOut | None
    year: int | None = Field(description="Carbon inventory year used")
    years: list[int]
    warning: str
    features: list[dict[str, Any]] = Field(
        description="GeoJSON features (basemap geojson; properties.code = region code)"
    )


# ------------------------------------------------------------------------------- API
@api.get("/dashboard", response_model=DashboardOut)
def dashboard_api(
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    region: RegionQ = "",
    chain: ChainQ = "",
    industry: IndustryQ = "",
) -> DashboardOut:
    """Dashboard over the enterprises the caller may read: KPIs, level distribution,
    dimension score rates, chain × stage, region and industry tables, T0 → latest
    movement and the most frequent unmet next-level conditions (共性短板).

    Each enterprise counts with its latest submitted assessment of ``framework``; drafts
    never count.  A ``region`` outside the caller's scope yields zero enterprises."""
    data = svc.dashboard(
        session, actor, framework=framework, region=region, chain=chain, industry=industry
    )
    return DashboardOut.model_validate(data)


@api.get(
    "/dashboard.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The dashboard tables as XLSX"}},
)
def dashboard_xlsx_api(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    region: RegionQ = "",
    chain: ChainQ = "",
    industry: IndustryQ = "",
) -> Response:
    """The dashboard's tables as an XLSX workbook (first sheet 说明: filters, scope,
    generation time; 示例数据 label for the demo park)."""
    data = svc.dashboard(
        session, actor, framework=framework, region=region, chain=chain, industry=industry
    )
    body = svc.dashboard_xlsx(data, demo=bool(getattr(request.app.state, "demo", False)))
    stamp = data.generated_at.strftime("%Y%m%d")
    name = f"dashboard-{data.framework}-{stamp}.xlsx"
    return download(body, name, label=f"数字化转型监测-{stamp}.xlsx")


def _list_framework(framework: str) -> str:
    """The framework named in list links ("" for the default one)."""
    return "" if framework in ("", svc.DEFAULT_FRAMEWORK) else framework


def _level_links(framework: str, levels: int) -> Any:
    """``links(**filters)`` → the enterprise list URL of each level 0 … top (chart
    segments click through to it)."""

    def links(**filters: str) -> list[str]:
        fw = _list_framework(framework)
        return [
            "/enterprises?" + _query(**filters, level=str(k), framework=fw) for k in range(levels)
        ]

    return links


def _list_href(filters: Any) -> Any:
    """Region key → the enterprise list filtered like the dashboard and by the region."""

    def href(key: str) -> str:
        return "/enterprises?" + _query(
            region=key, industry=filters.industry, chain=filters.chain,
            framework=_list_framework(filters.framework),
        )  # fmt: skip

    return href


def _map_view(
    session: Any, actor: Any, settings: Any, framework: str, region: str, chain: str,
    industry: str, measure: str, parent: str | None, year: int | None,
) -> svc.MapView:  # fmt: skip
    cleaned = svc.Filters(framework=framework, region=region, chain=chain, industry=industry)
    return svc.map_view(
        session, actor, framework=framework, region=region, chain=chain, industry=industry,
        measure=measure, parent=parent, year=year, boundary_path=settings.boundary_geojson,
        href=_list_href(cleaned),
    )  # fmt: skip


def _map_out(view: svc.MapView) -> MapOut:
    body = view.data.to_json()
    body.update(
        year=view.year,
        years=list(view.years),
        warning=view.warning,
        features=[dict(f) for f in view.data.features],
    )
    return MapOut.model_validate(body)


@api.get("/dashboard/map", response_model=MapOut)
def dashboard_map_api(
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    region: RegionQ = "",
    chain: ChainQ = "",
    industry: IndustryQ = "",
    measure: MeasureQ = "mean_total",
    parent: Annotated[str | None, Query(max_length=2, pattern=r"^([0-9]{2})?$")] = None,
    year: YearQ = None,
) -> MapOut:
    """The map (面) of a dashboard measure over the enterprises the caller may read:
    one value, colour and click-through link per region (provinces of China, or the
    regions of one province), the legend, and 未知地区 for codes that match no region.
    The page's ECharts map draws this answer; the PNG/SVG/XLSX downloads the same data."""
    view = _map_view(session, actor, settings, framework, region, chain, industry, measure,
                     parent, year)  # fmt: skip
    return _map_out(view)


def _map_download(request: Request, view: svc.MapView, kind: str) -> Response:
    demo = bool(getattr(request.app.state, "demo", False))
    stamp = view.generated_at.strftime("%Y%m%d")
    m = view.data.measure
    name = f"map-{m.key}-{view.data.parent or 'cn'}-{stamp}.{kind}"
    label = f"地图-{m.label}-{stamp}.{kind}"
    if kind == "png":
        return download(svc.map_png(view, demo=demo), name, "image/png", label)
    if kind == "svg":
        return download(svc.map_svg(view, demo=demo).encode("utf-8"), name, "image/svg+xml", label)
    return download(svc.map_xlsx(view, demo=demo), name, XLSX, label)


def _map_route(kind: str, media: str) -> Any:
    def endpoint(
        request: Request,
        session: SessionDep,
        actor: ActorDep,
        settings: SettingsDep,
        framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
        region: RegionQ = "",
        chain: ChainQ = "",
        industry: IndustryQ = "",
        measure: MeasureQ = "mean_total",
        parent: Annotated[str | None, Query(max_length=2, pattern=r"^([0-9]{2})?$")] = None,
        year: YearQ = None,
    ) -> Response:
        view = _map_view(session, actor, settings, framework, region, chain, industry,
                         measure, parent, year)  # fmt: skip
        return _map_download(request, view, kind)

    endpoint.__doc__ = f"The dashboard map as {kind.upper()} (same data as /dashboard/map)."
    endpoint.__name__ = f"dashboard_map_{kind}"
    api.get(
        f"/dashboard/map.{kind}",
        response_class=Response,
        responses={200: {"content": {media: {}}, "description": f"The map ({kind})"}},
    )(endpoint)
    return endpoint


for _kind, _media in (("png", "image/png"), ("svg", "image/svg+xml"), ("xlsx", XLSX)):
    _map_route(_kind, _media)


# ----------------------------------------------------------------------------- page
def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@pages.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    settings: SettingsDep,
    framework: Annotated[str, Query(max_length=64)] = svc.DEFAULT_FRAMEWORK,
    region: Annotated[str, Query(max_length=12)] = "",
    chain: Annotated[str, Query(max_length=50)] = "",
    industry: Annotated[str, Query(max_length=5)] = "",
    measure: Annotated[str, Query(max_length=20)] = "mean_total",
    parent: Annotated[str | None, Query(max_length=2)] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    """The dashboard page: filters, KPI cards, the map, charts and tables."""
    form = {"framework": framework, "region": region, "chain": chain, "industry": industry}
    frameworks = {key: fw.name for key, fw in available_frameworks().items()}
    if measure not in svc.MEASURES:
        measure = "mean_total"
    try:
        cleaned = svc.Filters(framework=framework, region=region, chain=chain, industry=industry)
        data, map_view = svc.dashboard_with_map(
            session, actor, framework=framework, region=region, chain=chain, industry=industry,
            measure=measure, parent=parent, year=year,
            boundary_path=settings.boundary_geojson, href=_list_href(cleaned),
        )  # fmt: skip
    except FieldError as exc:
        return render(
            request,
            "dashboard/index.html",
            {"data": None, "form": form, "error": exc, "frameworks": frameworks},
            422,
        )
    f = data.filters
    level_labels = list(data.level_names)
    level_bars = charts.bar_svg(
        level_labels,
        [b.count for b in data.levels],
        title="已评测企业的等级分布",
        unit="家",
    )
    radar = (
        charts.radar_svg(
            [d.name for d in data.dimensions],
            [("平均得分率", [d.rate or 0.0 for d in data.dimensions])],
            title="各维度平均得分率",
        )
        if data.kpis.assessed and data.dimensions
        else None
    )
    chain_bars = [
        charts.stacked_bar_svg(
            list(zip(level_labels, row.levels, strict=True)),
            title=f"{row.chain} · {row.stage}：等级分布",
            unit="家",
        )
        for row in data.chains
    ]
    filter_query = _query(
        framework=f.framework, region=f.region, chain=f.chain, industry=f.industry
    )
    return render(
        request,
        "dashboard/index.html",
        {
            "data": data,
            "form": {
                "framework": f.framework,
                "region": f.region,
                "chain": f.chain,
                "industry": f.industry,
            },
            "error": None,
            "frameworks": frameworks,
            "level_bars": level_bars,
            "radar": radar,
            "chain_rows": list(zip(data.chains, chain_bars, strict=True)),
            "level_colors": [charts.level_color(i) for i in range(len(level_labels))],
            "xlsx_url": "/api/v1/dashboard.xlsx" + (f"?{filter_query}" if filter_query else ""),
            "q": _query,
            "map": map_view,
            "map_svg": svc.map_page_svg(map_view),
            # parent always explicit: "" is the national map, absent the default one
            "map_query": _query(
                framework=f.framework,
                region=f.region,
                chain=f.chain,
                industry=f.industry,
                measure=map_view.data.measure.key,
                year=map_view.year,
            )
            + f"&parent={map_view.data.parent}",
            "measures": {k: m.label for k, m in svc.MEASURES.items()},
            "map_parent_name": svc.region_display(map_view.data.parent)
            if map_view.data.parent
            else "",
            "default_parent": svc.default_map_parent(actor, f.region),
            "beijing": svc.beijing_time,
            "list_framework": _list_framework(f.framework),
            "level_links": _level_links(f.framework, len(level_labels)),
            "framework_rollups": framework_rollups(
                session, actor, region=f.region, industry=f.industry
            ),
        },
    )


# ------------------------------------------------------------ views: chain, industry, park
ChainMode = Literal["cluster", "lead", "platform"]


class StageOut(_Out):
    key: str = Field(description="Stage (上游 …), lead, platform, or industry code")
    label: str
    enterprises: Count
    assessed: Count
    levels: list[Count]
    mean_total: float | None
    share_target: Share | None
    weakest: list[tuple[str, float, bool]] = Field(
        description="Weakest scenes: (scene, mean level, 约束性)"
    )
    compared: Count = Field(description="With two or more submitted assessments")
    up: Count
    same: Count
    down: Count
    mean_change: float | None = Field(description="Mean change of the total, T0 → latest")


class GroupViewOut(_Out):
    kind: Literal["chain", "industry"]
    title: str
    subtitle: str
    mode: str
    framework_name: str
    level_names: list[str]
    target_name: str
    rows: list[StageOut]
    options: list[str] = Field(description="Chains in view (chain view)")


def _demo(request: Request) -> bool:
    return bool(getattr(request.app.state, "demo", False))


@api.get("/dashboard/chain", response_model=GroupViewOut)
def chain_api(
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    chain: ChainQ = "",
    mode: ChainMode = "cluster",
    region: RegionQ = "",
) -> GroupViewOut:
    """The chain view (线) of one chain (default: the first in view) in a 链式转型 mode:
    its groups left to right with level distribution, weakest scenes and T0 → latest."""
    view = svc.chain_view(session, actor, framework=framework, chain=chain, mode=mode,
                          region=region)  # fmt: skip
    return GroupViewOut.model_validate(view)


@api.get("/dashboard/industry", response_model=GroupViewOut)
def industry_api(
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    industry: IndustryQ = "",
    region: RegionQ = "",
) -> GroupViewOut:
    """The industry view: the GB/T 4754 classes directly below ``industry``."""
    view = svc.industry_view(session, actor, framework=framework, industry=industry,
                             region=region)  # fmt: skip
    return GroupViewOut.model_validate(view)


@api.get(
    "/dashboard/chain.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The chain view as XLSX"}},
)
def chain_xlsx_api(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    chain: ChainQ = "",
    mode: ChainMode = "cluster",
    region: RegionQ = "",
) -> Response:
    """The chain view's table as XLSX."""
    view = svc.chain_view(session, actor, framework=framework, chain=chain, mode=mode,
                          region=region)  # fmt: skip
    return download(svc.view_xlsx(view, demo=_demo(request)), "chain-view.xlsx",
                    label="产业链视图.xlsx")  # fmt: skip


@api.get(
    "/dashboard/industry.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The industry view as XLSX"}},
)
def industry_xlsx_api(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    framework: FrameworkQ = svc.DEFAULT_FRAMEWORK,
    industry: IndustryQ = "",
    region: RegionQ = "",
) -> Response:
    """The industry view's table as XLSX."""
    view = svc.industry_view(session, actor, framework=framework, industry=industry,
                             region=region)  # fmt: skip
    return download(svc.view_xlsx(view, demo=_demo(request)), "industry-view.xlsx",
                    label="行业视图.xlsx")  # fmt: skip


class CarbonOut(_Out):
    n: Count
    tce: float
    tco2: float
    output: float | None
    co2_intensity: float | None = Field(description="tCO2 per 万元 output (ratio of sums)")
    energy_intensity: float | None = Field(description="tce per 万元 output")


class CarbonGroupOut(CarbonOut):
    key: str
    label: str


class CarbonEnterpriseOut(CarbonOut):
    id: int
    name: str
    industry: str | None
    industry_label: str


class ParkOut(_Out):
    year: int | None
    years: list[int]
    enterprises_in_view: Count
    total: CarbonOut
    industries: list[CarbonGroupOut]
    enterprises: list[CarbonEnterpriseOut]


@api.get("/dashboard/park", response_model=ParkOut)
def park_api(
    session: SessionDep,
    actor: ActorDep,
    region: RegionQ = "",
    year: YearQ = None,
) -> ParkOut:
    """The park view's carbon roll-up (tce, tCO2, intensities) by industry and enterprise,
    over the enterprises the caller may read, for one inventory year."""
    return ParkOut.model_validate(svc.park_view(session, actor, region=region, year=year))


@api.get(
    "/dashboard/park.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The park's carbon roll-up"}},
)
def park_xlsx_api(
    request: Request, session: SessionDep, actor: ActorDep, region: RegionQ = "", year: YearQ = None
) -> Response:
    """The park's carbon roll-up as XLSX."""
    view = svc.park_view(session, actor, region=region, year=year)
    return download(svc.park_xlsx(view, demo=_demo(request)), "park-carbon.xlsx",
                    label="园区碳排放汇总.xlsx")  # fmt: skip


class PeerOut(_Out):
    n: Count
    suppressed: bool = Field(description="Fewer than min_peers peers: only n is given")
    mean: float | None
    p10: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    percentile: float | None = Field(description="Mid-rank percentile of the enterprise")


class BenchmarkRowOut(_Out):
    measure: str
    max_points: float
    own: float | None
    industry: PeerOut
    region: PeerOut


class BenchmarkOut(_Out):
    enterprise_id: int
    name: str
    framework_name: str
    level_name: str | None
    industry_key: str
    industry_label: str
    region_key: str
    region_label: str
    rows: list[BenchmarkRowOut]
    min_peers: int


EnterpriseIdP = Annotated[int, PathParam(ge=1, le=MAX_ID, description="Enterprise id")]


@api.get("/dashboard/benchmark/{enterprise_id}", response_model=BenchmarkOut)
def benchmark_api(
    enterprise_id: EnterpriseIdP, session: SessionDep, actor: ActorDep
) -> BenchmarkOut:
    """Peer benchmark of an enterprise the caller may read (404 otherwise): its latest
    scores (framework of its latest submitted assessment) beside the distributions of its
    industry (大类) and region (prefecture) — aggregates only, each from at least
    ``min_peers`` other assessed enterprises."""
    return BenchmarkOut.model_validate(svc.benchmark(session, actor, enterprise_id))


def _stage_bars(view: svc.GroupView) -> list[tuple[svc.StageRow, str]]:
    return [
        (
            row,
            charts.stacked_bar_svg(
                list(zip(view.level_names, row.levels, strict=True)),
                title=f"{row.label}：等级分布",
                unit="家",
            ),
        )
        for row in view.rows
    ]


def _view_page(request: Request, view: svc.GroupView | None, error: Any, extra: dict) -> Response:
    return render(
        request,
        "dashboard/view.html",
        {
            "view": view,
            "error": error,
            "bars": _stage_bars(view) if view else [],
            "modes": svc.CHAIN_MODES,
            "q": _query,
            "level_links": _level_links(
                view.filters.framework if view else svc.DEFAULT_FRAMEWORK,
                len(view.level_names) if view else 5,
            ),
            "beijing": svc.beijing_time,
            **extra,
        },
        422 if error else 200,
    )


@pages.get("/dashboard/chain")
def chain_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    chain: Annotated[str, Query(max_length=50)] = "",
    mode: Annotated[str, Query(max_length=10)] = "cluster",
    region: Annotated[str, Query(max_length=12)] = "",
    framework: Annotated[str, Query(max_length=64)] = svc.DEFAULT_FRAMEWORK,
) -> Response:
    """The chain view (线) page."""
    form = {"chain": chain, "mode": mode, "region": region, "framework": framework}
    try:
        view = svc.chain_view(session, actor, framework=framework, chain=chain, mode=mode,
                              region=region)  # fmt: skip
    except FieldError as exc:
        return _view_page(request, None, exc, {"form": form, "kind": "chain"})
    f = view.filters
    query = _query(framework=f.framework, chain=f.chain, mode=view.mode, region=f.region)
    return _view_page(
        request,
        view,
        None,
        {"form": form, "kind": "chain", "xlsx_url": f"/api/v1/dashboard/chain.xlsx?{query}"},
    )


@pages.get("/dashboard/industry")
def industry_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    industry: Annotated[str, Query(max_length=5)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    framework: Annotated[str, Query(max_length=64)] = svc.DEFAULT_FRAMEWORK,
) -> Response:
    """The industry view page."""
    form = {"industry": industry, "region": region, "framework": framework}
    try:
        view = svc.industry_view(session, actor, framework=framework, industry=industry,
                                 region=region)  # fmt: skip
    except FieldError as exc:
        return _view_page(request, None, exc, {"form": form, "kind": "industry"})
    f = view.filters
    query = _query(framework=f.framework, industry=f.industry, region=f.region)
    return _view_page(
        request,
        view,
        None,
        {"form": form, "kind": "industry", "xlsx_url": f"/api/v1/dashboard/industry.xlsx?{query}"},
    )


@pages.get("/dashboard/park")
def park_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    region: Annotated[str, Query(max_length=12)] = "",
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The park view page: the carbon roll-up by industry, and the enterprises by emissions
    (largest first) ``PARK_PAGE_ROWS`` a page — a park of 18,000 inventories was a 4 MB
    page; the XLSX has them all."""
    try:
        view = svc.park_view(session, actor, region=region, year=year, limit=PARK_PAGE_ROWS,
                             offset=(page - 1) * PARK_PAGE_ROWS)  # fmt: skip
        pages_total = max(1, -(-view.total["n"] // PARK_PAGE_ROWS))
        if page > pages_total:  # past the end: the last page
            page = pages_total
            view = svc.park_view(session, actor, region=region, year=year,
                                 limit=PARK_PAGE_ROWS, offset=(page - 1) * PARK_PAGE_ROWS)  # fmt: skip
    except FieldError as exc:
        return render(request, "dashboard/park.html",
                      {"view": None, "error": exc, "form": {"region": region}}, 422)  # fmt: skip
    top = list(view.industries[:10])
    chart = (
        charts.bar_svg([g["label"][:6] for g in top], [g["tco2"] for g in top],
                       title=f"{view.year} 年排放总量（tCO2），按行业大类", colors=["#2563eb"],
                       unit=" tCO2", integer=False, width=max(460, 70 * len(top)))
        if top else None
    )  # fmt: skip
    query = _query(region=view.filters.region, year=view.year)
    first = (page - 1) * PARK_PAGE_ROWS
    return render(
        request,
        "dashboard/park.html",
        {"view": view, "error": None, "form": {"region": region}, "chart": chart,
         "xlsx_url": f"/api/v1/dashboard/park.xlsx?{query}", "q": _query, "query": query,
         "page": page, "pages_total": pages_total, "first": first, "rows": view.enterprises},
    )  # fmt: skip


@pages.get("/dashboard/benchmark/{enterprise_id}")
def benchmark_page(
    request: Request,
    enterprise_id: EnterpriseIdP,
    session: SessionDep,
    actor: PageActorDep,
) -> Response:
    """The peer benchmark page of an enterprise."""
    bench = svc.benchmark(session, actor, enterprise_id)
    dims = [r for r in bench.rows[1:] if r.max_points]
    radar = None
    if dims and all(r.own is not None for r in dims):
        series = [("本企业", [r.own / r.max_points for r in dims])]
        for label, part in (("行业中位数", "industry"), ("地区中位数", "region")):
            med = [getattr(r, part)["median"] for r in dims]
            if all(m is not None for m in med):
                series.append((label, [m / r.max_points for m, r in zip(med, dims, strict=True)]))
        radar = charts.radar_svg([r.measure for r in dims], series, title="得分率：本企业与同行")
    return render(request, "dashboard/benchmark.html", {"bench": bench, "radar": radar})
