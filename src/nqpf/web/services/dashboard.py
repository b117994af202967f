"""The officers' dashboard (点 → 线 → 面): enterprise → industry chain → region.

:func:`dashboard` aggregates, for one framework (default ``sme-digital-2024``), the
latest submitted assessment of every enterprise the actor may read
(:func:`nqpf.web.authz.visible_enterprises`: an authority its region scope, a provider
what was shared with it, a platform admin everything, an enterprise user its own).

Rules
-----
* "Latest" is the submitted assessment with the highest ``seq`` of the framework (id and
  version).  Drafts never count.
* Filters only narrow the visible set: a ``region`` code prefix outside the actor's scope
  yields zero enterprises, never another region's data.  ``industry`` is a GB/T 4754
  prefix (``C``, ``C34``, ``C3484``), ``chain`` an industry-chain name.
* The database adds up the latest results' summary (``assessment_latest``: level,
  total, dimension points, scene levels, unmet conditions, the first result's level and
  total — :mod:`nqpf.web.services.latest_results`) in one statement grouped four ways
  (by region code, industry code, chain list, unmet-condition list); the roll-up's
  statistics (:mod:`nqpf.assessment.rollup`, the same as ``nqpf assess batch --by``:
  counts, level distribution, means, shares, T0 → latest movement, common gaps, weakest
  scenes) are computed from those sums, so no result JSON is decoded.  A second, small
  query lists the region codes present (filter options).  The chain, industry and map
  views group the same sums their way (``benchmarks/bench_views.py``: 100,000
  enterprises on PostgreSQL).
* Shares (``assessed_share``, ``share_target``, level shares, gap shares) are fractions
  0–1; a share of the assessed is ``None`` when nothing is assessed.

:func:`dashboard_xlsx` writes the tables as an XLSX workbook (first sheet 说明: filters,
scope, generation time and, for the demo park, the 示例数据 label).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from nqpf.assessment import Framework
from nqpf.assessment.rollup import STAGE_ORDER, level_names
from nqpf.assessment.rollup import condition_key as gap_key  # the web's names, kept
from nqpf.codes import (
    province_names,
    region_key,
    region_label,
    validate_industry_prefix,
    validate_region_prefix,
)
from nqpf.datasets.synthetic import SYNTHETIC_LABEL
from nqpf.exceptions import DataValidationError
from nqpf.services import maps as map_service
from nqpf.services.assess_rollup import (
    carbon_from_sums,
    peer_distribution,
    rollup_xlsx,
    summary_fits,
)
from nqpf.services.maps import MEASURES, MapData, industry_display, region_display
from nqpf.web.authz import Actor, visible_enterprises
from nqpf.web.errors import FieldError, field_error
from nqpf.web.models import (
    Assessment,
    AssessmentLatest,
    CarbonSummary,
    EnterpriseProfile,
    Organization,
)
from nqpf.web.services.assessments import framework_for
from nqpf.web.services.carbon_summary import carbon_group, carbon_sum_columns
from nqpf.web.services.latest_results import Sums, sum_columns

__all__ = [
    "CHAIN_MODES",
    "DEFAULT_FRAMEWORK",
    "MEASURES",
    "TARGET_LEVEL",
    "Benchmark",
    "BenchmarkRow",
    "ChainRow",
    "DashboardData",
    "DimensionRate",
    "Filters",
    "Gap",
    "GroupRow",
    "GroupView",
    "Kpis",
    "LevelBucket",
    "MapView",
    "Movement",
    "ParkView",
    "RegionOption",
    "StageRow",
    "beijing_time",
    "benchmark",
    "chain_view",
    "dashboard",
    "dashboard_with_map",
    "dashboard_xlsx",
    "default_map_parent",
    "gap_key",
    "industry_view",
    "level_names",
    "map_page_svg",
    "map_png",
    "map_svg",
    "map_view",
    "map_xlsx",
    "park_view",
    "park_xlsx",
    "region_display",
    "scope_labels",
    "view_xlsx",
]

DEFAULT_FRAMEWORK = "sme-digital-2024"
TARGET_LEVEL = 2  # 二级及以上
WHOLE_CHAIN = "全链"
UNNAMED_STAGE = "未标注环节"  # a chain membership without a stage
TOP_GAPS = 10
CHAIN_MAX = 50
BEIJING = timezone(timedelta(hours=8), "北京时间")


# ------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class Filters:
    """The applied filters (normalised; empty string = not filtered)."""

    framework: str = DEFAULT_FRAMEWORK
    region: str = ""
    chain: str = ""
    industry: str = ""


@dataclass(frozen=True)
class Kpis:
    enterprises: int
    assessed: int
    assessed_share: float  # assessed / enterprises (0 without enterprises)
    mean_total: float | None  # mean latest total of the assessed
    max_total: float
    target_level: int
    target_name: str  # e.g. 二级及以上
    at_target: int  # assessed enterprises at the target level or above
    share_target: float | None  # at_target / assessed


@dataclass(frozen=True)
class LevelBucket:
    level: int
    name: str
    count: int
    share: float | None  # of the assessed


@dataclass(frozen=True)
class DimensionRate:
    name: str
    mean_points: float | None
    max_points: float
    rate: float | None  # mean_points / max_points, 0–1


@dataclass(frozen=True)
class GroupRow:
    """One group (a region, an industry division): counts and level distribution."""

    key: str
    label: str
    enterprises: int
    assessed: int
    mean_total: float | None
    levels: tuple[int, ...]  # count per level 0..top
    share_target: float | None


@dataclass(frozen=True)
class ChainRow:
    """One stage of an industry chain, or the whole chain (``stage`` = 全链)."""

    chain: str
    stage: str
    is_total: bool
    enterprises: int
    assessed: int
    mean_total: float | None
    levels: tuple[int, ...]
    share_target: float | None


@dataclass(frozen=True)
class Movement:
    """Enterprises with ≥ 2 submitted assessments: first (T0) vs latest level."""

    compared: int
    up: int
    same: int
    down: int
    mean_delta: float | None  # mean change of the total (latest − first)


@dataclass(frozen=True)
class Gap:
    """An unmet next-level condition (共性短板) and how many enterprises miss it."""

    condition: str
    enterprises: int
    share: float  # of the assessed


@dataclass(frozen=True)
class RegionOption:
    code: str
    label: str


@dataclass(frozen=True)
class DashboardData:
    framework: str
    framework_name: str
    filters: Filters
    scope: tuple[str, ...]
    level_names: tuple[str, ...]  # index = level
    kpis: Kpis
    levels: tuple[LevelBucket, ...]
    dimensions: tuple[DimensionRate, ...]
    chains: tuple[ChainRow, ...]
    prefectures: tuple[GroupRow, ...]
    counties: tuple[GroupRow, ...]
    industries: tuple[GroupRow, ...]
    movement: Movement
    gaps: tuple[Gap, ...]
    chain_options: tuple[str, ...]
    region_options: tuple[RegionOption, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


# --------------------------------------------------------------------------- helpers
def beijing_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time shown to users: Beijing time (UTC+8), ``—`` for none; a naive time
    (SQLite) is taken as UTC."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime(fmt)


def scope_labels(actor: Actor) -> tuple[str, ...]:
    """What the actor's dashboard covers, in words."""
    if actor.is_platform_admin:
        return ("全平台（平台管理员）",)
    names = province_names()
    parts = [
        f"辖区 {names.get(s[:2], '')} {s}".replace("  ", " ")
        for s in sorted(set(actor.region_scopes()))
    ]
    if actor.provider_ids:
        parts.append("向本服务商共享的企业")
    if actor.enterprise_ids:
        parts.append("本企业")
    return tuple(parts) or ("无可查看的企业",)


def _clean_filters(
    framework: str, region: str | None, chain: str | None, industry: str | None
) -> tuple[Framework, Filters]:
    fw = framework_for(framework or DEFAULT_FRAMEWORK)
    try:
        region = validate_region_prefix(region, field="region", lengths=None, required=False)
    except DataValidationError as exc:
        raise field_error(exc, label="地区代码前缀（region）") from None
    try:
        industry = validate_industry_prefix(industry, field="industry")
    except DataValidationError as exc:
        raise field_error(exc, label="行业代码前缀（industry）") from None
    chain = (chain or "").strip()
    if len(chain) > CHAIN_MAX:
        raise FieldError(f"产业链（chain）最长 {CHAIN_MAX} 个字符", field="chain")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in chain):
        raise FieldError("产业链（chain）不能包含控制字符", field="chain")
    return fw, Filters(framework=fw.key, region=region, chain=chain, industry=industry)


def _optional(x: Any) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


# --------------------------------------------------------------------------- queries
#: What each branch of the dashboard's one statement groups by (see :func:`_aggregates`).
_BRANCHES = ("region", "industry", "chains", "gaps")


def _visible(actor: Actor, fw: Framework, filters: Filters, *columns: Any) -> Any:
    """SELECT ``columns`` FROM the enterprises ``actor`` may read (region / industry
    filters applied) outer-joined to their profile and their ``fw`` summary row."""
    clauses: list[Any] = [visible_enterprises(actor, action="read")]
    if filters.region:
        clauses.append(EnterpriseProfile.region_code.startswith(filters.region, autoescape=True))
    if filters.industry:
        clauses.append(EnterpriseProfile.industry.startswith(filters.industry, autoescape=True))
    return _visible_query(fw, clauses, *columns)


def _visible_query(fw: Framework, clauses: list[Any], *columns: Any) -> Any:
    """SELECT ``columns`` FROM organizations matching ``clauses`` outer-joined to their
    profile and their ``fw`` summary row."""
    return (
        select(*columns)
        .select_from(Organization)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .outerjoin(
            AssessmentLatest,
            and_(
                AssessmentLatest.enterprise_id == Organization.id,
                AssessmentLatest.framework_id == fw.id,
                AssessmentLatest.framework_version == fw.version,
            ),
        )
        .where(*clauses)
    )


def _chains_text() -> Any:
    # as text: a few distinct lists, each decoded once
    return cast(EnterpriseProfile.chains, Text)


def _in_chain(chains_text: Any, chain: str) -> Any:
    """Membership of ``chain`` as a match on the stored JSON text (SQLAlchemy writes
    ``json.dumps``; the value's closing quote keeps 新能源 from matching 新能源汽车)."""
    return chains_text.contains(json.dumps({"chain": chain})[1:-1], autoescape=True)


def _aggregates(
    session: Session, actor: Actor, fw: Framework, filters: Filters
) -> dict[str, list[dict[str, Any]]]:
    """Sums (:func:`~nqpf.web.services.latest_results.sum_columns`) over the visible
    enterprises grouped four ways in one statement (:data:`_BRANCHES`), each also by
    level: by region code (with the dimension points and the movement), by industry code
    and by unmet-condition list (chain filter applied), and by chain list (not filtered:
    the chain options).  Branch → rows (``key``, ``level`` and the sums)."""
    L = AssessmentLatest
    slots = [getattr(L, f"dim_{i}") for i in range(1, len(fw.scored_dimensions) + 1)]
    ents = _visible(
        actor, fw, filters,
        func.coalesce(EnterpriseProfile.region_code, "").label("region"),
        func.coalesce(EnterpriseProfile.industry, "").label("industry"),
        func.coalesce(_chains_text(), "[]").label("chains"),
        L.gaps, L.level, L.total, L.first_level, L.first_total,
        *(slots if summary_fits(fw) else []),
    ).cte("ents")  # fmt: skip
    full = sum_columns(fw, dims=True, movement=True)
    basic = {c.name for c in sum_columns(fw)}

    def branch(kind: str, key: Any, *where: Any, more: bool = False) -> Any:
        # the sums read the CTE's columns (rebound by name); a branch without the
        # dimensions and movement fills them with NULL (one column list for the union)
        sums = [_rebind(c, ents) if more or c.name in basic else null().label(c.name) for c in full]
        keys = [key.label("key"), ents.c.level.label("level")]
        return (
            select(literal(kind).label("kind"), *keys, *sums)
            .where(*where)
            .group_by(key, ents.c.level)
        )

    chain = [_in_chain(ents.c.chains, filters.chain)] if filters.chain else []
    statement = union_all(
        branch("region", ents.c.region, *chain, more=True),
        branch("industry", ents.c.industry, *chain),
        branch("chains", ents.c.chains),
        branch("gaps", ents.c.gaps, ents.c.level.is_not(None), *chain),
    )
    out: dict[str, list[dict[str, Any]]] = {b: [] for b in _BRANCHES}
    for row in session.execute(statement).mappings():
        out[row["kind"]].append(dict(row))
    return out


def _rebind(column: Any, cte: Any) -> Any:
    """``column`` (an expression over ``assessment_latest``) over the same-named columns
    of ``cte``."""

    def swap(element: Any) -> Any:
        if getattr(element, "table", None) is AssessmentLatest.__table__:
            return cte.c[element.name]
        return None

    return visitors.replacement_traverse(column, {}, swap)


def _region_options(
    session: Session, actor: Actor, codes: set[str] | None = None
) -> tuple[RegionOption, ...]:
    """The region filter's options: the actor's scopes and the province, prefecture and
    county of each region code of the enterprises ``actor`` may read (``codes``, read
    when None)."""
    if codes is None:
        codes = set(
            session.scalars(
                select(EnterpriseProfile.region_code)
                .join(Organization, Organization.id == EnterpriseProfile.organization_id)
                .where(visible_enterprises(actor, action="read"))
                .distinct()
            )
        )
    prefixes: set[str] = set(actor.region_scopes())
    for code in codes:
        if code:
            prefixes.update({code[:2], code[:4], code[:6]})
    return tuple(RegionOption(p, region_label(p, style="full")) for p in sorted(prefixes))


# --------------------------------------------------------------------------- roll-up
Record = Mapping[str, Any]


def _missing(code: str | None) -> bool:
    return code is None or not code.strip()


def _grouped(
    rows: list[dict[str, Any]], fw: Framework, key: Callable[[str], str | None]
) -> dict[str, Sums]:
    """The rows' sums added up per ``key`` of their code (None: left out), by key."""
    out: dict[str, Sums] = {}
    for row in rows:
        k = key(row["key"])
        if k is not None:
            out.setdefault(k, Sums(fw)).add(row)
    return dict(sorted(out.items()))


def _counts(row: Record, names: tuple[str, ...], target: int) -> dict[str, Any]:
    """The counts of one roll-up group as the fields :class:`GroupRow` and
    :class:`ChainRow` share."""
    return {
        "enterprises": int(row["n"]),
        "assessed": int(row["n_valid"]),
        "mean_total": _optional(row["mean_total"]),
        "levels": tuple(int(row[f"n_{name}"]) for name in names),
        "share_target": _optional(row[f"share_ge_{names[target]}"]),
    }


def _group_rows(
    groups: Mapping[str, Sums], names: tuple[str, ...], target: int, label: Callable[[str], str]
) -> tuple[GroupRow, ...]:
    return tuple(
        GroupRow(key=key, label=label(key), **_counts(g.record(target), names, target))
        for key, g in groups.items()
    )


def _chain_pairs(text: str, decoded: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (chain, stage) pairs of a stored chain list, each once (decoded once per text)."""
    if text not in decoded:
        items = json.loads(text)
        pairs = {
            (str(c["chain"]), str(c.get("stage") or "")): None
            for c in (items if isinstance(items, list) else [])
            if isinstance(c, dict) and c.get("chain")
        }
        decoded[text] = tuple(pairs)
    return decoded[text]  # type: ignore[no-any-return]


def _chain_rows(
    rows: list[dict[str, Any]], fw: Framework, chain: str, target: int
) -> tuple[tuple[ChainRow, ...], tuple[str, ...]]:
    """Each chain's stages (上游, 中游, 下游, then others by name; a blank stage is
    未标注环节) and then the whole chain (an enterprise in two stages counts once), as
    :func:`~nqpf.assessment.rollup.chain_rollup` of the profiles' memberships; and the
    chains the rows name (before the ``chain`` filter)."""
    names = level_names(fw)
    decoded: dict[str, Any] = {}
    options: set[str] = set()
    whole: dict[str, Sums] = {}
    stages: dict[str, dict[str, Sums]] = {}
    for row in rows:
        pairs = _chain_pairs(row["key"], decoded)
        options.update(c for c, _s in pairs)
        for c in dict.fromkeys(c for c, _s in pairs):
            if not chain or c == chain:
                whole.setdefault(c, Sums(fw)).add(row)
        for c, s in pairs:
            if not chain or c == chain:
                stages.setdefault(c, {}).setdefault(s, Sums(fw)).add(row)
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    out: list[ChainRow] = []
    for c in sorted(whole):
        for s in sorted(stages[c], key=lambda s: (rank.get(s, len(rank)), s)):
            counts = _counts(stages[c][s].record(target), names, target)
            out.append(ChainRow(c, s or UNNAMED_STAGE, False, **counts))
        counts = _counts(whole[c].record(target), names, target)
        out.append(ChainRow(c, WHOLE_CHAIN, True, **counts))
    return tuple(out), tuple(sorted(options))


def _gaps(rows: list[dict[str, Any]], n_valid: int) -> tuple[Gap, ...]:
    """The most frequent unmet next-level conditions (共性短板) of the valid results, as
    :func:`~nqpf.assessment.rollup.common_gaps` counts them (once per enterprise)."""
    counts: Counter[str] = Counter()
    for row in rows:
        for condition in json.loads(row["key"] or "[]"):
            counts[condition] += int(row["n"])
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_GAPS]
    return tuple(Gap(c, n, n / n_valid) for c, n in ranked)


def _kpis(overall: Record, fw: Framework, names: tuple[str, ...], target: int) -> Kpis:
    counts = _counts(overall, names, target)
    n, assessed = counts["enterprises"], counts["assessed"]
    return Kpis(
        enterprises=n,
        assessed=assessed,
        assessed_share=assessed / n if n else 0.0,
        mean_total=counts["mean_total"],
        max_total=float(fw.total_points),
        target_level=target,
        target_name=f"{names[target]}及以上",
        at_target=sum(counts["levels"][target:]),
        share_target=counts["share_target"],
    )


def _levels(overall: Record, names: tuple[str, ...]) -> tuple[LevelBucket, ...]:
    assessed = int(overall["n_valid"])
    counts = [int(overall[f"n_{name}"]) for name in names]
    return tuple(
        LevelBucket(k, name, n, n / assessed if assessed else None)
        for k, (name, n) in enumerate(zip(names, counts, strict=True))
    )


def _dimensions(overall: Record, fw: Framework) -> tuple[DimensionRate, ...]:
    """Mean points of each scored dimension and their rate of the maximum (radar)."""
    rates = []
    for dim in fw.scored_dimensions:
        mean = _optional(overall[f"mean_{dim.name}"])
        rate = min(max(mean / dim.points, 0.0), 1.0) if mean is not None and dim.points else None
        rates.append(DimensionRate(dim.name, mean, float(dim.points), rate))
    return tuple(rates)


def _movement(overall: Record) -> Movement:
    return Movement(
        compared=int(overall["n_compared"]),
        up=int(overall["n_up"]),
        same=int(overall["n_same"]),
        down=int(overall["n_down"]),
        mean_delta=_optional(overall["mean_change_total"]),
    )


# --------------------------------------------------------------------------- service
def dashboard(
    session: Session,
    actor: Actor,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    region: str | None = None,
    chain: str | None = None,
    industry: str | None = None,
) -> DashboardData:
    """The dashboard of ``framework`` over the enterprises ``actor`` may read.

    The numbers are the roll-up's (:mod:`nqpf.assessment.rollup`) computed from sums
    the database adds up over the latest results' summary (:func:`_aggregates`).

    Raises
    ------
    FieldError
        Unknown framework, or a malformed ``region`` / ``industry`` / ``chain`` filter.
    """
    fw, filters = _clean_filters(framework, region, chain, industry)
    return _dashboard(session, actor, fw, filters, _aggregates(session, actor, fw, filters))


def _division(code: str) -> str | None:
    code = code.upper()
    return code[:3] if len(code) >= 3 else None


def _region_at(level: str) -> Callable[[str], str | None]:
    def key(code: str) -> str | None:
        return None if _missing(code) else region_key(code, level)

    return key


def _dashboard(
    session: Session,
    actor: Actor,
    fw: Framework,
    filters: Filters,
    sums: dict[str, list[dict[str, Any]]],
) -> DashboardData:
    target = min(TARGET_LEVEL, fw.level_rule.top_level)
    names = level_names(fw)
    total = Sums(fw)
    for row in sums["region"]:
        total.add(row)
    overall = total.record(target)
    chains, chain_options = _chain_rows(sums["chains"], fw, filters.chain, target)
    return DashboardData(
        framework=fw.key,
        framework_name=fw.name,
        filters=filters,
        scope=scope_labels(actor),
        level_names=names,
        kpis=_kpis(overall, fw, names, target),
        levels=_levels(overall, names),
        dimensions=_dimensions(overall, fw),
        chains=chains,
        prefectures=_group_rows(
            _grouped(sums["region"], fw, _region_at("city")), names, target, region_display
        ),
        counties=_group_rows(
            _grouped(sums["region"], fw, _region_at("county")), names, target, region_display
        ),
        industries=_group_rows(
            _grouped(sums["industry"], fw, _division), names, target, industry_display
        ),
        movement=_movement(overall),
        gaps=_gaps(sums["gaps"], overall["n_valid"]),
        chain_options=chain_options,
        # unfiltered, the sums by region code have every visible enterprise's code
        region_options=_region_options(
            session,
            actor,
            {r["key"] for r in sums["region"]}
            if not (filters.region or filters.industry or filters.chain)
            else None,
        ),
    )


# ----------------------------------------------------------------------------- XLSX
def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


Sheet = tuple[list[str], list[list[Any]]]


def dashboard_xlsx(data: DashboardData, *, demo: bool = False) -> bytes:
    """The dashboard's tables as an XLSX workbook (in memory).

    Sheets: 说明 (filters, scope, generation time, the 示例数据 label for the demo park),
    概览, 等级分布, 维度得分率, 产业链环节, 地市, 区县, 行业, T0→最新, 共性短板, written by
    :func:`nqpf.services.assess_rollup.rollup_xlsx` (text cells stay text: a chain named
    ``=1+1`` never becomes a formula).
    """
    names = list(data.level_names)
    f = data.filters
    k = data.kpis
    m = data.movement
    generated = data.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    about: list[list[Any]] = [["标题", "数字化转型监测看板（点 → 线 → 面）"]]
    if demo:
        about.append(["数据性质", f"{SYNTHETIC_LABEL}：演示园区的企业与评测均为生成数据"])
    about += [
        ["评测框架", f"{data.framework_name}（{data.framework}）"],
        ["口径", "每家企业取该框架已提交的最新一次评测（序号最大）；草稿不计"],
        ["地区筛选", f"{map_service.region_path(f.region)}（{f.region}）" if f.region else "全部"],
        ["产业链筛选", f.chain or "全部"],
        ["行业筛选", f"{industry_display(f.industry)}（{f.industry}）" if f.industry else "全部"],
        ["可见范围", "；".join(data.scope)],
        ["生成时间", f"{generated}（北京时间）"],
    ]
    group_head = ["企业数", "已评测", "平均总分", *names, f"{k.target_name}占比（%）"]

    def group_values(r: GroupRow | ChainRow) -> list[Any]:
        return [r.enterprises, r.assessed, _round(r.mean_total), *r.levels, _pct(r.share_target)]

    def regions(rows: tuple[GroupRow, ...]) -> Sheet:
        return ["地区代码", "地区", *group_head], [[r.key, r.label, *group_values(r)] for r in rows]

    sheets: dict[str, Sheet] = {
        "说明": (["项目", "内容"], about),
        "概览": (
            ["指标", "数值"],
            [
                ["企业数", k.enterprises],
                ["已评测企业数", k.assessed],
                ["评测覆盖率（%）", _pct(k.assessed_share)],
                ["平均总分", _round(k.mean_total)],
                ["满分", k.max_total],
                [f"{k.target_name}企业数", k.at_target],
                [f"{k.target_name}占比（%）", _pct(k.share_target)],
            ],
        ),
        "等级分布": (
            ["等级", "等级名称", "企业数", "占已评测（%）"],
            [[b.level, b.name, b.count, _pct(b.share)] for b in data.levels],
        ),
        "维度得分率": (
            ["维度", "平均得分", "满分", "平均得分率（%）"],
            [[d.name, _round(d.mean_points), d.max_points, _pct(d.rate)] for d in data.dimensions],
        ),
        "产业链环节": (
            ["产业链", "环节", *group_head],
            [[r.chain, r.stage, *group_values(r)] for r in data.chains],
        ),
        "地市": regions(data.prefectures),
        "区县": regions(data.counties),
        "行业": (
            ["行业大类代码", "行业大类（GB/T 4754-2017）", *group_head],
            [[r.key, r.label, *group_values(r)] for r in data.industries],
        ),
        "T0→最新": (
            ["指标", "数值"],
            [
                ["有两次及以上评测的企业", m.compared],
                ["等级上升", m.up],
                ["等级持平", m.same],
                ["等级下降", m.down],
                ["总分平均变化", _round(m.mean_delta)],
            ],
        ),
        "共性短板": (
            ["排名", "未满足的升级条件", "企业数", "占已评测（%）"],
            [[i, g.condition, g.enterprises, _pct(g.share)] for i, g in enumerate(data.gaps, 1)],
        ),
    }
    return rollup_xlsx(sheets)


# ----------------------------------------------------------------------------- maps
@dataclass(frozen=True)
class MapView:
    """A dashboard map: the map data (:class:`nqpf.services.maps.MapData`), the filters,
    the carbon year shown, the years with inventories and a warning about the boundary
    file (empty when none)."""

    data: MapData
    filters: Filters
    framework_name: str
    year: int | None
    years: tuple[int, ...]
    warning: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _carbon_years(
    session: Session, actor: Actor, year: int | None
) -> tuple[int | None, tuple[int, ...]]:
    """The carbon year shown (``year``, else the latest) and the years with inventories
    of the enterprises ``actor`` may read."""
    years = _inventory_years(session, [visible_enterprises(actor, action="read")])
    if year is None:
        year = years[0] if years else None
    return year, years


def _inventory_years(session: Session, clauses: list[Any]) -> tuple[int, ...]:
    """The years, latest first, with an inventory of an enterprise matching ``clauses``
    (on ``Organization`` outer-joined to ``EnterpriseProfile``): each year of the table
    that has one, by a probe that stops at the first (grouping the matching inventories
    by year would read them all)."""

    def probe(y: int) -> Any:
        return select(
            select(CarbonSummary.inventory_id)
            .join(Organization, Organization.id == CarbonSummary.enterprise_id)
            .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(CarbonSummary.year == y, *clauses)
            .exists()
        )

    every = session.scalars(
        select(CarbonSummary.year).distinct().order_by(CarbonSummary.year.desc())
    ).all()
    return tuple(y for y in every if session.scalar(probe(y)))


def default_map_parent(actor: Actor, region: str) -> str:
    """The province a map opens on: the region filter's, else the one province all the
    actor's scopes lie in, else "" (China)."""
    if region:
        return region[:2]
    provinces = {s[:2] for s in actor.region_scopes()}
    return provinces.pop() if len(provinces) == 1 and not actor.is_platform_admin else ""


def map_view(
    session: Session,
    actor: Actor,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    region: str | None = None,
    chain: str | None = None,
    industry: str | None = None,
    measure: str = "mean_total",
    parent: str | None = None,
    year: int | None = None,
    boundary_path: Any = None,
    href: Callable[[str], str] | None = None,
    _given: tuple[Framework, Filters, list[dict[str, Any]]] | None = None,
) -> MapView:
    """The map of ``measure`` over the enterprises ``actor`` may read (filters as
    :func:`dashboard`): the provinces of China (``parent`` "") or the regions of one
    province (``parent`` = its code; None: :func:`default_map_parent`).

    ``href`` turns a region key into its click-through link.  A boundary file that does
    not pass :func:`nqpf.services.maps.load_boundaries` is reported in ``warning`` and
    the tile grid is used.  ``_given``: the framework, filters and the dashboard's sums
    by region code (the page reads them once).
    """
    if _given is None:
        fw, filters = _clean_filters(framework, region, chain, industry)
    else:
        fw, filters, region_sums = _given
    if measure not in MEASURES:
        raise FieldError(f"地图指标（measure）应为 {'、'.join(MEASURES)} 之一", field="measure")
    try:
        parent = validate_region_prefix(
            default_map_parent(actor, filters.region) if parent is None else parent,
            field="parent",
            lengths=None,
            required=False,
        )
    except DataValidationError as exc:
        raise field_error(exc, label="地图范围（parent）") from None
    target = min(TARGET_LEVEL, fw.level_rule.top_level)
    names = level_names(fw)
    year, years = _carbon_years(session, actor, year)
    if _given is None:
        region_sums = _assessed_by_code(session, actor, fw, filters)
    # the carbon sums only feed the carbon measure
    carbon_year = year if measure == "carbon_intensity" else None
    code_stats = _map_stats(session, actor, fw, filters, region_sums, target, carbon_year)
    boundaries, warning = None, ""
    if boundary_path:
        try:
            boundaries = map_service.load_boundaries(boundary_path)
        except DataValidationError as exc:
            warning = f"边界文件不可用（{exc.reason_zh}），已改用方格示意图"
    try:
        data = map_service.map_data(
            [],
            measure=measure,
            parent=parent,
            target_level=target,
            target_name=f"{names[target]}及以上",
            href=href,
            boundaries=boundaries,
            code_stats=code_stats,
        )
    except DataValidationError as exc:
        raise field_error(exc, label="地图范围（parent）") from None
    return MapView(data, filters, fw.name, year, years, warning)


def _assessed_by_code(
    session: Session, actor: Actor, fw: Framework, filters: Filters
) -> list[dict[str, Any]]:
    """The sums of the visible enterprises (all filters) by region code (``key``) and
    level, grouped in the database over the latest results' summary."""
    code = func.coalesce(EnterpriseProfile.region_code, "")
    level = AssessmentLatest.level
    query = _visible(actor, fw, filters, code.label("key"), level, *sum_columns(fw))
    if filters.chain:
        query = query.where(_in_chain(_chains_text(), filters.chain))
    return [dict(row) for row in session.execute(query.group_by(code, level)).mappings()]


def _map_stats(
    session: Session,
    actor: Actor,
    fw: Framework,
    filters: Filters,
    region_sums: list[dict[str, Any]],
    target: int,
    year: int | None,
) -> dict[str, map_service.RegionStats]:
    """Per region code, the sums a map needs (enterprises, assessed, sum of latest totals,
    at the target level from ``region_sums``, rows of :func:`_assessed_by_code`; carbon
    of ``year`` grouped in the database)."""
    stats = {
        code: map_service.RegionStats(
            int(g.values["n"]),
            sum(g.levels),
            g.values.get("sum_total", 0.0),
            sum(g.levels[target:]),
        )
        for code, g in _grouped(region_sums, fw, lambda code: code).items()
    }
    if year is None:
        return stats
    clauses: list[Any] = [visible_enterprises(actor, action="read")]
    if filters.region:
        clauses.append(EnterpriseProfile.region_code.startswith(filters.region, autoescape=True))
    if filters.industry:
        clauses.append(EnterpriseProfile.industry.startswith(filters.industry, autoescape=True))
    if filters.chain:
        clauses.append(_in_chain(_chains_text(), filters.chain))
    region = func.coalesce(EnterpriseProfile.region_code, "")
    S = CarbonSummary
    has_output = and_(S.output.is_not(None), S.output > 0)
    carbon = (
        select(
            region.label("code"),
            func.count().label("n"),
            func.sum(case((has_output, S.tco2), else_=0.0)),
            func.sum(case((has_output, S.output), else_=0.0)),
        )
        .select_from(Organization)
        .join(S, S.enterprise_id == Organization.id)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .where(*clauses, S.year == year)
        .group_by(region)
    )
    for code, n, c, o in session.execute(carbon):
        s0 = stats.get(code, map_service.RegionStats())
        stats[code] = replace(s0, inventories=int(n), co2=float(c or 0.0), output=float(o or 0.0))
    return stats


def _map_note(view: MapView, demo: bool) -> str:
    parts = [f"口径：{view.framework_name}，每家企业取已提交的最新一次评测"]
    if view.data.measure.key == "carbon_intensity":
        parts.append(f"碳排放为 {view.year or '—'} 年盘查")
    if demo:
        parts.append(SYNTHETIC_LABEL)
    return "；".join(parts)


def map_page_svg(view: MapView) -> str:
    """The page's static tile map (linked regions with ``data-region-code``)."""
    return map_service.map_svg_text(view.data)


def map_png(view: MapView, *, demo: bool = False) -> bytes:
    """The map as PNG (report rendering, CJK font)."""
    return map_service.map_png(view.data, note=_map_note(view, demo))


def map_svg(view: MapView, *, demo: bool = False) -> str:
    """The map as SVG (text as outlines)."""
    return map_service.map_figure_svg(view.data, note=_map_note(view, demo))


def map_xlsx(view: MapView, *, demo: bool = False) -> bytes:
    """The map's values as XLSX: one row per region (code, name, counts, value) and the
    未知地区 row; the first sheet 说明 names the measure, filters and time."""
    d = view.data
    m = d.measure
    unit = "%" if m.share else m.unit

    def shown(v: float | None) -> float | None:
        if v is None:
            return None
        return round(100 * v, 1) if m.share else round(v, max(m.digits, 0) + 1)

    head = ["地区代码", "地区", "企业数", "已评测", f"{m.label}（{unit}）"]
    rows: list[list[Any]] = [
        [c.code, map_service.region_path(c.code), d.stats[c.code].enterprises,
         d.stats[c.code].assessed, shown(c.value)]
        for c in d.cells
    ]  # fmt: skip
    if d.unknown is not None:
        rows.append(
            ["", map_service.UNKNOWN_REGION, d.unknown.enterprises, d.unknown.assessed,
             shown(d.unknown.value(m.key))]
        )  # fmt: skip
    generated = view.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    f = view.filters
    about: list[list[Any]] = [["标题", d.title]]
    if demo:
        about.append(["数据性质", SYNTHETIC_LABEL])
    about += [
        ["评测框架", f"{view.framework_name}（{f.framework}）"],
        ["地区筛选", f.region or "全部"],
        ["产业链筛选", f.chain or "全部"],
        ["行业筛选", f.industry or "全部"],
        ["底图", d.note],
        ["生成时间", f"{generated}（北京时间）"],
    ]
    return rollup_xlsx({"说明": (["项目", "内容"], about), "地图数据": (head, rows)})


def dashboard_with_map(
    session: Session,
    actor: Actor,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    region: str | None = None,
    chain: str | None = None,
    industry: str | None = None,
    **map_options: Any,
) -> tuple[DashboardData, MapView]:
    """:func:`dashboard` and :func:`map_view` from one read of the rows (the page)."""
    fw, filters = _clean_filters(framework, region, chain, industry)
    sums = _aggregates(session, actor, fw, filters)
    data = _dashboard(session, actor, fw, filters, sums)
    return data, map_view(session, actor, _given=(fw, filters, sums["region"]), **map_options)


# ------------------------------------------------------------ views (线): chain, industry
#: The three modes of 链式转型 and how the chain's members are grouped (from the profiles:
#: each enterprise's chain/stage list, size class and industry).
CHAIN_MODES = {
    "cluster": "集群/园区：按环节（上游 → 中游 → 下游）",
    "lead": "龙头企业 + 配套：链内大型企业为龙头，其余按环节为配套",
    "platform": "平台 + 用户：链内信息技术服务企业（GB/T 4754 门类 I）为平台，其余按环节为用户",
}
MIN_PEERS = 5


def _latest_rows(session: Session, fw: Framework, clauses: list[Any]) -> list[dict[str, Any]]:
    """One dict per enterprise matching ``clauses`` (on Organization outer-joined to
    EnterpriseProfile): id, region, industry and its latest submitted result's level,
    total and dimension points (from the summary: None when not assessed)."""
    dims = list(fw.scored_dimensions) if summary_fits(fw) else []
    slots = [getattr(AssessmentLatest, f"dim_{i}") for i in range(1, len(dims) + 1)]
    query = _visible_query(
        fw,
        [Organization.kind == "enterprise", *clauses],
        Organization.id,
        EnterpriseProfile.region_code,
        EnterpriseProfile.industry,
        AssessmentLatest.level,
        AssessmentLatest.total,
        *slots,
    )
    return [
        {
            "id": r[0], "region": r[1] or "", "industry": (r[2] or "").upper(),
            "level": r[3], "total": r[4],
            "dimensions": {d.name: v for d, v in zip(dims, r[5:], strict=True) if v is not None},
        }
        for r in session.execute(query)
    ]  # fmt: skip


@dataclass(frozen=True)
class StageRow:
    """One group of a view (a chain stage, an industry class): its counts, level
    distribution, weakest scenes and T0 → latest movement."""

    key: str
    label: str
    enterprises: int
    assessed: int
    levels: tuple[int, ...]
    mean_total: float | None
    share_target: float | None
    weakest: tuple[tuple[str, float, bool], ...]  # (scene, mean level, 约束性)
    compared: int
    up: int
    same: int
    down: int
    mean_change: float | None
    href: str = ""


@dataclass(frozen=True)
class GroupView:
    """A chain view (stages left to right) or an industry view (classes)."""

    kind: str  # "chain" | "industry"
    title: str
    subtitle: str
    filters: Filters
    mode: str
    framework_name: str
    level_names: tuple[str, ...]
    target_name: str
    rows: tuple[StageRow, ...]
    options: tuple[str, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _stage_rows(
    groups: Mapping[str, Sums], fw: Framework, order: list[tuple[str, str]], target: int
) -> tuple[StageRow, ...]:
    """The view's rows in ``order`` (key, label); a key without sums (or the blank key,
    which the roll-up leaves out) has zero counts."""
    names = level_names(fw)
    out = []
    for key, label in order:
        sums = groups.get(key) if key else None
        g = (sums or Sums(fw)).record(target)
        out.append(
            StageRow(
                key=key, label=label, enterprises=int(g["n"]), assessed=int(g["n_valid"]),
                levels=tuple(int(g[f"n_{n}"]) for n in names),
                mean_total=_optional(g["mean_total"]),
                share_target=_optional(g[f"share_ge_{names[target]}"]),
                weakest=tuple((w["scene"], float(w["mean_level"]), bool(w["binding"]))
                              for w in (sums.weakest() if sums else [])),
                compared=g["n_compared"], up=g["n_up"], same=g["n_same"], down=g["n_down"],
                mean_change=_optional(g["mean_change_total"]),
            )
        )  # fmt: skip
    return tuple(out)


def _view_sums(
    session: Session, actor: Actor, fw: Framework, filters: Filters, *keys: Any, where: Any = ()
) -> list[dict[str, Any]]:
    """The sums (with the scenes and the movement) of the visible enterprises matching
    ``where``, grouped by ``keys`` and level."""
    level = AssessmentLatest.level
    sums = sum_columns(fw, scenes=True, movement=True)
    query = _visible(actor, fw, filters, *keys, level, *sums)
    query = query.where(Organization.kind == "enterprise", *where).group_by(*keys, level)
    return [dict(r) for r in session.execute(query).mappings()]


def chain_view(
    session: Session,
    actor: Actor,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    chain: str | None = None,
    mode: str = "cluster",
    region: str | None = None,
) -> GroupView:
    """The chain view (线) of ``chain`` over the enterprises ``actor`` may read, in one of
    the three 链式转型 modes (:data:`CHAIN_MODES`): the chain's groups left to right, each
    with its level distribution, weakest scenes and T0 → latest movement.

    Groups, from the profiles (no other data exists): ``cluster`` — the stages 上游, 中游,
    下游 (then any other stage, by name); ``lead`` — 上游配套, 中游配套, 龙头企业 (the
    chain's large enterprises, size class ``large``), 下游配套; ``platform`` — 平台企业
    (GB/T 4754 门类 I, 信息传输、软件和信息技术服务业), then 用户 by stage.  An
    enterprise listed in two stages of the chain counts in each.  The database adds up
    the sums per chain list, size class and 门类 letter; the groups are made from those.
    """
    if mode not in CHAIN_MODES:
        raise FieldError(f"模式（mode）应为 {'、'.join(CHAIN_MODES)} 之一", field="mode")
    fw, filters = _clean_filters(framework, region, chain, None)
    target = min(TARGET_LEVEL, fw.level_rule.top_level)
    chains = func.coalesce(_chains_text(), "[]").label("chains")
    texts = _visible(actor, fw, filters, chains).where(Organization.kind == "enterprise")
    decoded: dict[str, Any] = {}
    lists = {t: _stage_lists(t, decoded) for t in session.scalars(texts.distinct())}
    options = tuple(sorted({c for stages in lists.values() for c in stages}))
    chosen = filters.chain or (options[0] if options else "")
    filters = replace(filters, chain=chosen)
    size = func.coalesce(EnterpriseProfile.size_class, "").label("size")
    letter = func.upper(func.substr(func.coalesce(EnterpriseProfile.industry, ""), 1, 1))
    rows = (
        _view_sums(session, actor, fw, filters, chains, size, letter.label("letter"),
                   where=[_in_chain(_chains_text(), chosen)])
        if chosen else []
    )  # fmt: skip
    groups: dict[str, Sums] = {}
    stages_seen: set[str] = set()
    for r in rows:
        for stage in _stage_lists(r["chains"], decoded).get(chosen, ()):
            stages_seen.add(stage)
            if mode == "lead" and r["size"] == "large":
                group = "lead"
            elif mode == "platform" and r["letter"] == "I":
                group = "platform"
            else:
                group = stage
            groups.setdefault(group, Sums(fw)).add(r)
            if group in ("lead", "platform"):
                break  # the lead firm / platform counts once
    stage_order = ["上游", "中游", "下游"]  # always shown, left to right
    stage_order += sorted(stages_seen - set(stage_order))
    prefix = {"lead": "配套·", "platform": "用户·"}.get(mode, "")
    order = [(s, f"{prefix}{s}" if prefix else s) for s in stage_order]
    if mode == "lead":
        order.insert(2, ("lead", "龙头企业"))
    elif mode == "platform":
        order.insert(0, ("platform", "平台企业"))
    names = level_names(fw)
    return GroupView(
        kind="chain",
        title=f"产业链视图（线）：{chosen or '—'}",
        subtitle=CHAIN_MODES[mode],
        filters=filters,
        mode=mode,
        framework_name=fw.name,
        level_names=names,
        target_name=f"{names[target]}及以上",
        rows=_stage_rows(groups, fw, order, target) if chosen else (),
        options=options,
    )


def _stage_lists(text: str, decoded: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """chain → its stages (each once, in order) of a stored chain list."""
    if text not in decoded:
        items = json.loads(text)
        out: dict[str, dict[str, None]] = {}
        for c in items if isinstance(items, list) else []:
            if isinstance(c, dict) and c.get("chain") is not None:
                out.setdefault(c["chain"], {})[str(c.get("stage") or "")] = None
        decoded[text] = {k: tuple(v) for k, v in out.items()}
    return decoded[text]  # type: ignore[no-any-return]


def _next_industry_level(prefix: str) -> int:
    """The code length of the classes below an industry prefix (门类 → 大类 …)."""
    return {0: 1, 1: 3, 3: 4, 4: 5}.get(len(prefix), 5)


def industry_view(
    session: Session,
    actor: Actor,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    industry: str | None = None,
    region: str | None = None,
) -> GroupView:
    """The industry view over the enterprises ``actor`` may read: the classes directly
    below ``industry`` (门类 → 大类 → 中类 → 小类; all 门类 when empty), each named by
    GB/T 4754-2017 (未知行业 when the code is not in the table), with the level
    distribution, weakest scenes and T0 → latest movement (sums added up per class in
    the database)."""
    fw, filters = _clean_filters(framework, region, None, industry)
    target = min(TARGET_LEVEL, fw.level_rule.top_level)
    n = _next_industry_level(filters.industry)
    key = func.upper(func.substr(func.coalesce(EnterpriseProfile.industry, ""), 1, n))
    groups = _grouped(_view_sums(session, actor, fw, filters, key.label("key")), fw, str)
    order = [
        (k, industry_display(k) if k else map_service.UNKNOWN_INDUSTRY) for k in sorted(groups)
    ]
    names = level_names(fw)
    where = industry_display(filters.industry) if filters.industry else "全部行业"
    return GroupView(
        kind="industry",
        title=f"行业视图：{where}",
        subtitle="GB/T 4754-2017 国民经济行业分类，按下一级分类汇总",
        filters=filters,
        mode="",
        framework_name=fw.name,
        level_names=names,
        target_name=f"{names[target]}及以上",
        rows=_stage_rows(groups, fw, order, target),
        options=(),
    )


def view_xlsx(view: GroupView, *, demo: bool = False) -> bytes:
    """A chain or industry view as XLSX (说明 + one row per group)."""
    names = list(view.level_names)
    head = ["分组", "分组代码", "企业数", "已评测", "平均总分", *names, f"{view.target_name}占比（%）",
            "最薄弱场景", "有两次评测", "等级上升", "等级持平", "等级下降", "总分平均变化"]  # fmt: skip
    rows = [
        [r.label, r.key, r.enterprises, r.assessed, _round(r.mean_total), *r.levels,
         _pct(r.share_target), "；".join(f"{s} {m:.2f}" for s, m, _b in r.weakest),
         r.compared, r.up, r.same, r.down, _round(r.mean_change)]
        for r in view.rows
    ]  # fmt: skip
    generated = view.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    about: list[list[Any]] = [["标题", view.title], ["口径", view.subtitle]]
    if demo:
        about.append(["数据性质", SYNTHETIC_LABEL])
    about += [
        ["评测框架", view.framework_name],
        ["地区筛选", view.filters.region or "全部"],
        ["生成时间", f"{generated}（北京时间）"],
    ]
    return rollup_xlsx({"说明": (["项目", "内容"], about), "视图": (head, rows)})


# ------------------------------------------------------------------ park view (carbon)
@dataclass(frozen=True)
class ParkView:
    """A park's (the region's) carbon roll-up of one year, from the stored inventories."""

    filters: Filters
    year: int | None
    years: tuple[int, ...]
    total: dict[str, Any]
    industries: tuple[dict[str, Any], ...]
    enterprises: tuple[dict[str, Any], ...]
    enterprises_in_view: int
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def park_view(
    session: Session,
    actor: Actor,
    *,
    region: str | None = None,
    year: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> ParkView:
    """The park view: the carbon roll-up (综合能耗 tce, 排放 tCO₂, intensities per 万元
    output) of the enterprises ``actor`` may read in ``region``, by enterprise and by
    GB/T 4754 大类, for ``year`` (default: the latest year with inventories): the figures
    of :func:`nqpf.services.assess_rollup.carbon_rollup`, added up in the database over
    the inventories' summary (``carbon_summary``).  The enterprises come largest
    emitter first (then by name, in code-point order); ``limit``/``offset`` take a page
    of them (None: all) — the totals and industries always cover every inventory."""
    _fw, filters = _clean_filters(DEFAULT_FRAMEWORK, region, None, None)
    clauses: list[Any] = [visible_enterprises(actor, action="read")]
    if filters.region:
        clauses.append(EnterpriseProfile.region_code.startswith(filters.region, autoescape=True))

    years = _inventory_years(session, clauses)
    year = year if year is not None else (years[0] if years else None)
    n_view = session.scalar(
        select(func.count())
        .select_from(Organization)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .where(*clauses)
    )
    groups: list[dict[str, Any]] = []
    enterprises: list[dict[str, Any]] = []
    if year is not None:
        # the year's visible inventories: their sums by GB/T 4754 大类 (keyed as the
        # roll-up keys it: the first three characters, upper case), then the enterprises
        major = func.upper(func.substr(func.coalesce(EnterpriseProfile.industry, ""), 1, 3))
        S = CarbonSummary
        inv = (
            select(Organization.id, Organization.name, EnterpriseProfile.industry,
                   major.label("key"), S.inventory_id, S.tce, S.tco2, S.output)
            .select_from(Organization)
            .join(S, and_(S.enterprise_id == Organization.id, S.year == year))
            .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(*clauses)
            .cte("inventories")
        )  # fmt: skip
        sums = carbon_sum_columns(inv.c)
        names = ["key", *(c.name for c in sums)]
        by_key = select(inv.c.key, *sums).group_by(inv.c.key)
        groups = [dict(zip(names, row, strict=True)) for row in session.execute(by_key)]
        # the page's enterprises sorted and cut in the database (18,000 inventories of a
        # park were 18,000 dicts built for the 50 a page shows); names in Python's
        # code-point order: PostgreSQL's "C" collation, SQLite's BINARY
        binary = "C" if session.get_bind().dialect.name == "postgresql" else "BINARY"
        page = (
            select(inv.c.id, inv.c.name, inv.c.industry, inv.c.tce, inv.c.tco2, inv.c.output)
            .order_by(func.coalesce(inv.c.tco2, 0.0).desc(), inv.c.name.collate(binary),
                      inv.c.inventory_id)
            .limit(limit)
            .offset(offset)
        )  # fmt: skip
        for eid, name, industry, tce, tco2, output in session.execute(page):
            t, c, o = tce or 0.0, tco2 or 0.0, 1.0 if output else 0.0
            one = carbon_from_sums(n=1, tce=t, tco2=c, n_output=int(o), output=o * (output or 0.0),
                                   tco2_output=o * c, tce_output=o * t)  # fmt: skip
            enterprises.append({"id": eid, "name": name, "industry": industry, **one})
    industries = sorted(
        ({"key": g["key"], **carbon_group([g])} for g in groups),
        key=lambda d: (-d["tco2"], d["key"]),
    )
    for g in industries:
        g["label"] = industry_display(g["key"]) if g["key"] else map_service.UNKNOWN_INDUSTRY
    for e in enterprises:
        e["industry_label"] = industry_display(e["industry"])
    return ParkView(
        filters=filters,
        year=year,
        years=years,
        total=carbon_group(groups),
        industries=tuple(industries),
        enterprises=tuple(enterprises),
        enterprises_in_view=n_view or 0,
    )


def park_xlsx(view: ParkView, *, demo: bool = False) -> bytes:
    """The park's carbon roll-up as XLSX (说明, 合计, 按行业, 按企业)."""
    head = ["企业数", "综合能耗（tce）", "排放总量（tCO2）", "工业总产值（万元）",
            "万元产值碳排放（tCO2/万元）", "万元产值综合能耗（tce/万元）"]  # fmt: skip

    def nums(d: Mapping[str, Any]) -> list[Any]:
        return [d["n"], _round(d["tce"], 3), _round(d["tco2"], 3), _round(d["output"], 2),
                _round(d["co2_intensity"], 4), _round(d["energy_intensity"], 4)]  # fmt: skip

    generated = view.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    about: list[list[Any]] = [["标题", "园区碳排放汇总"], ["盘查年份", view.year or "暂无盘查"]]
    if demo:
        about.append(["数据性质", SYNTHETIC_LABEL])
    about += [
        ["地区筛选", view.filters.region or "全部"],
        ["口径", "强度 = 排放（能耗）合计 ÷ 产值合计，只计填报了产值的盘查"],
        ["生成时间", f"{generated}（北京时间）"],
    ]
    return rollup_xlsx(
        {
            "说明": (["项目", "内容"], about),
            "合计": (head, [nums(view.total)]),
            "按行业": (["行业", "行业大类代码", *head],
                       [[g["label"], g["key"], *nums(g)] for g in view.industries]),
            "按企业": (["企业", "行业", *head[1:]],
                       [[e["name"], e["industry_label"], *nums(e)[1:]] for e in view.enterprises]),
        }
    )  # fmt: skip


# ------------------------------------------------------------------- peer benchmark
@dataclass(frozen=True)
class BenchmarkRow:
    measure: str  # 总分 or a dimension name
    max_points: float
    own: float | None
    industry: dict[str, Any]
    region: dict[str, Any]


@dataclass(frozen=True)
class Benchmark:
    """An enterprise's latest scores beside the distributions of its peers."""

    enterprise_id: int
    name: str
    framework_name: str
    level_name: str | None
    industry_key: str
    industry_label: str
    region_key: str
    region_label: str
    rows: tuple[BenchmarkRow, ...]
    min_peers: int = MIN_PEERS


def benchmark(
    session: Session, actor: Actor, enterprise_id: int, *, framework: str | None = None
) -> Benchmark:
    """The peer benchmark of an enterprise the actor may read (``framework`` None: the one
    of its latest submitted assessment, else the default): its latest total and
    dimension points beside the distribution of the latest results of its **industry**
    (same GB/T 4754 大类, platform-wide) and its **region** (same prefecture, any
    industry), each without the enterprise itself.

    Only aggregates are shown (quantiles, mean, the enterprise's percentile by
    :func:`nqpf.services.assess_rollup.peer_distribution`), and only for at least
    :data:`MIN_PEERS` assessed peers, so no single other enterprise can be read off.
    """
    from nqpf.web.authz import enterprise_for

    org = enterprise_for(session, actor, enterprise_id, "read")
    if framework is None:  # the framework of the enterprise's latest submitted assessment
        latest = session.execute(
            select(Assessment.framework_id, Assessment.framework_version)
            .where(Assessment.enterprise_id == org.id, Assessment.status == "submitted")
            .order_by(Assessment.submitted_at.desc(), Assessment.id.desc())
            .limit(1)
        ).first()
        framework = f"{latest[0]}-{latest[1]}" if latest else DEFAULT_FRAMEWORK
    try:
        fw = framework_for(framework)
    except FieldError:
        fw = framework_for(DEFAULT_FRAMEWORK)
    p = org.profile
    industry = (p.industry if p else "").upper()[:3]
    region = (p.region_code if p else "")[:4]
    own = _latest_rows(session, fw, [Organization.id == org.id])
    mine = own[0] if own else {"total": None, "dimensions": {}, "level": None}
    peers = _latest_rows(
        session, fw, [Organization.id != org.id,
                      or_(EnterpriseProfile.industry.startswith(industry, autoescape=True),
                          EnterpriseProfile.region_code.startswith(region, autoescape=True))]
    ) if industry or region else []  # fmt: skip
    groups = {
        "industry": [r for r in peers if industry and r["industry"].startswith(industry)
                     and r["total"] is not None],
        "region": [r for r in peers if region and r["region"].startswith(region)
                   and r["total"] is not None],
    }  # fmt: skip
    measures = [("总分", float(fw.total_points), "total")] + [
        (d.name, float(d.points), d.name) for d in fw.scored_dimensions
    ]

    def value(r: Mapping[str, Any], key: str) -> float | None:
        v = r.get("total") if key == "total" else (r.get("dimensions") or {}).get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    rows = tuple(
        BenchmarkRow(
            measure=label,
            max_points=points,
            own=value(mine, key),
            industry=peer_distribution(
                [value(r, key) for r in groups["industry"]], value(mine, key)
            ),
            region=peer_distribution([value(r, key) for r in groups["region"]], value(mine, key)),
        )
        for label, points, key in measures
    )
    names = level_names(fw)
    level = mine.get("level")
    return Benchmark(
        enterprise_id=org.id,
        name=org.name,
        framework_name=fw.name,
        level_name=names[level] if isinstance(level, int) and 0 <= level < len(names) else None,
        industry_key=industry,
        industry_label=industry_display(industry) if industry else map_service.UNKNOWN_INDUSTRY,
        region_key=region,
        region_label=map_service.region_path(region) if region else map_service.UNKNOWN_REGION,
        rows=rows,
    )
