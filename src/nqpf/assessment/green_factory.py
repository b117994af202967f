"""绿色工厂 scoring on the GB/T 36132-2025 structure.

The structure lives in ``frameworks/green-factory-2025.yaml``: five primary areas (能源低碳化,
资源高效化, 生产洁净化, 产品绿色化, 用地集约化), their secondary indicators and the basic
requirements (基本要求) that act as vetoes.  Benchmark (基准值) and leading (引领值) values are
never shipped: they come from the user, as a mapping or a sector YAML file in the same format
(see :class:`SectorBenchmarks`).  The reference gives no general indicator weights either
(only an illustrative Table C.1 case), so points are required from the user or, explicitly,
``points="table-c1-example"``.

Notes
-----
A quantitative indicator with value x, maximum points P, benchmark b and leading value ℓ
scores

    P · clip((x − b) / (ℓ − b), 0, 1),

i.e. 0 at or below the benchmark, P at or beyond the leading value, linear between; for a
lower-is-better indicator (consumption, intensity) ℓ < b and the same formula applies.
Indicators that are not quantitative (生产工艺和设备先进性 is 定性; the kind of 能碳管理系统平台,
绿色设计 and 产品碳足迹 is not given by the reference) take, when no benchmark is supplied, a
judged share in [0, 1] of their points.  Any unmet basic requirement makes the result
``不达标`` whatever the score.

Examples
--------
>>> from nqpf.assessment.green_factory import score_green_factory
>>> r = score_green_factory(
...     {"能源消耗强度": 0.4},
...     benchmarks={"能源消耗强度": {"benchmark": 0.5, "leading": 0.3}},
...     points={"能源消耗强度": 10},
...     basic={"iso9001": False},
... )
>>> r.total, r.status
(5.0, '不达标')
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from nqpf._datafile import (
    Confidence,
    FrozenModel,
    LocatedValueError,
    Note,
    Number,
    Text,
    Version,
    fmt_num,
)
from nqpf.assessment.schema import Points, confidence_zh, parse_rule_model
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "BasicRequirementResult",
    "GreenFactoryResult",
    "GreenFactoryStructure",
    "IndicatorScore",
    "SectorBenchmarks",
    "linear_score",
    "load_green_factory",
    "load_sector_benchmarks",
    "score_green_factory",
]

EXAMPLE_PRESET = "table-c1-example"
_ROUND = 9


# -- models --------------------------------------------------------------------------------


class Area(FrozenModel):
    name: Text
    example_points: Points | None = None


class ShareRule(FrozenModel):
    areas: tuple[Text, ...]
    percent: Annotated[Number, Field(gt=0, le=100)]
    confidence: Confidence
    text: Note = ""


class TextRule(FrozenModel):
    text: Text
    source: Text
    confidence: Confidence


class ExamplePoints(FrozenModel):
    name: Text
    source: Text
    confidence: Confidence
    note: Note = ""


class IndicatorSpec(FrozenModel):
    id: Text
    name: Text
    area: Text
    kind: Literal["quantitative", "qualitative", "unspecified"]
    direction: Literal["lower", "higher"] | None = None
    unit: Note = ""
    min: Number | None = None
    max: Number | None = None
    standard: Note = ""
    example_points: Points | None = None


class BasicRequirement(FrozenModel):
    id: Text
    text: Text


class GreenFactoryStructure(FrozenModel):
    """The GB/T 36132-2025 structure file."""

    id: Literal["green-factory"]
    version: Version
    name: Text
    standard: Text
    source: Text
    confidence: Confidence
    published: _dt.date | None = None
    replaces: Note = ""
    areas: tuple[Area, ...] = Field(min_length=1)
    share_rule: ShareRule | None = None
    linear_rule: TextRule
    example_points: ExamplePoints | None = None
    indicators: tuple[IndicatorSpec, ...] = Field(min_length=1)
    basic_requirements: tuple[BasicRequirement, ...] = ()
    basic_requirements_source: Note = ""
    basic_requirements_confidence: Confidence | None = None

    @model_validator(mode="after")
    def _check(self) -> GreenFactoryStructure:
        areas = [a.name for a in self.areas]
        seen: dict[str, int] = {}
        for i, ind in enumerate(self.indicators):
            if ind.area not in areas:
                raise LocatedValueError(
                    f"unknown area {ind.area!r}; known: {', '.join(areas)}",
                    ("indicators", i, "area"),
                )
            for k in (ind.id, ind.name):
                if k in seen:
                    raise LocatedValueError(f"duplicate indicator {k!r}", ("indicators", i, "id"))
                seen[k] = i
            if ind.kind == "quantitative" and ind.direction is None:
                raise LocatedValueError(
                    "a quantitative indicator needs a direction", ("indicators", i, "direction")
                )
        if self.share_rule is not None:
            for j, a in enumerate(self.share_rule.areas):
                if a not in areas:
                    raise LocatedValueError(f"unknown area {a!r}", ("share_rule", "areas", j))
        for j, area in enumerate(self.areas):
            if area.example_points is None:
                continue
            got = sum(i.example_points or 0 for i in self.indicators if i.area == area.name)
            if not math.isclose(got, area.example_points):
                raise LocatedValueError(
                    f"example points of area {area.name!r} add up to {fmt_num(got)}, "
                    f"area has {fmt_num(area.example_points)}",
                    ("areas", j, "example_points"),
                )
        return self

    def indicator(self, key: str) -> IndicatorSpec:
        """Indicator by id (``energy_intensity``) or Chinese name (``能源消耗强度``)."""
        for ind in self.indicators:
            if key in (ind.id, ind.name):
                return ind
        raise KeyError(key)

    def requirement(self, key: str) -> BasicRequirement:
        for req in self.basic_requirements:
            if key in (req.id, req.text):
                return req
        raise KeyError(key)


class BenchmarkEntry(FrozenModel):
    """基准值 and 引领值 of one indicator (optionally its points and unit)."""

    benchmark: Number
    leading: Number
    points: Points | None = None
    unit: Note = ""
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> BenchmarkEntry:
        if math.isclose(self.benchmark, self.leading, rel_tol=0, abs_tol=0):
            raise LocatedValueError(
                f"benchmark and leading value are both {fmt_num(self.benchmark)}; they must differ",
                ("leading",),
            )
        return self


class SectorBenchmarks(FrozenModel):
    """A sector file: benchmark and leading values per indicator (id or Chinese name)."""

    id: Text = "user"
    version: Note = ""
    sector: Note = ""
    source: Note = ""
    confidence: Confidence | None = None
    benchmarks: dict[str, BenchmarkEntry] = Field(min_length=1)


# -- loading -----------------------------------------------------------------------------


@functools.cache
def load_green_factory(version: str = "2025") -> GreenFactoryStructure:
    """Load the shipped structure ``green-factory-<version>.yaml``."""
    name = f"green-factory-{version}.yaml"
    root = resources.files("nqpf.assessment").joinpath("frameworks")
    if not root.joinpath(name).is_file():
        raise ConfigError(
            f"no green-factory structure version {version!r}",
            field="version",
            zh=f"没有 {version!r} 版绿色工厂评价结构",
        )
    text = root.joinpath(name).read_text("utf-8")
    return parse_rule_model(text, GreenFactoryStructure, filename=name)


def load_sector_benchmarks(path: str | os.PathLike[str]) -> SectorBenchmarks:
    """Read a sector YAML file (``benchmarks: {indicator: {benchmark, leading}}``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("file not found", file=str(p), zh="找不到该文件")
    text = p.read_text(encoding="utf-8-sig")
    return parse_rule_model(text, SectorBenchmarks, filename=str(p))


def _as_benchmarks(benchmarks: Any) -> SectorBenchmarks:
    if isinstance(benchmarks, SectorBenchmarks):
        return benchmarks
    if isinstance(benchmarks, str | os.PathLike):
        return load_sector_benchmarks(benchmarks)
    if not isinstance(benchmarks, Mapping):
        raise DataValidationError(
            "expected a mapping indicator → {benchmark, leading}, a SectorBenchmarks or a path",
            field="benchmarks",
            zh="基准值应为“指标 → {benchmark, leading}”的映射、SectorBenchmarks 或文件路径",
        )
    data = dict(benchmarks) if "benchmarks" in benchmarks else {"benchmarks": dict(benchmarks)}
    from pydantic import ValidationError

    try:
        return SectorBenchmarks.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p)]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedValueError):
            loc += list(cause.loc)
        msg = str(cause) if cause is not None else err["msg"]
        where = ".".join(str(p) for p in loc)
        raise DataValidationError(
            msg,
            field=where,
            zh=f"基准值 {where} 有误：每个指标应给出不相同的 benchmark（基准值）与 leading（引领值）"
            "两个数值，可选 points（分值）",
        ) from None


# -- scoring -----------------------------------------------------------------------------


def linear_score(x: float, benchmark: float, leading: float, points: float = 1.0) -> float:
    """``points · clip((x − benchmark) / (leading − benchmark), 0, 1)``.

    Examples
    --------
    >>> linear_score(0.4, 0.5, 0.3, 10)     # lower is better: halfway
    5.0
    >>> linear_score(90, 60, 80, 8)         # beyond the leading value: clamped
    8.0
    """
    if benchmark == leading:
        raise DataValidationError(
            "benchmark and leading value must differ", field="leading", zh="基准值与引领值不能相同"
        )
    frac = (x - benchmark) / (leading - benchmark)
    # rounding removes float dust such as 0.49999999999999994 for (0.4 − 0.5)/(0.3 − 0.5)
    return round(float(points * min(1.0, max(0.0, frac))), _ROUND)


@dataclass(frozen=True)
class IndicatorScore:
    id: str
    name: str
    area: str
    value: float | None
    benchmark: float | None
    leading: float | None
    direction: str | None
    method: str  # "linear", "judged" or "missing"
    fraction: float
    points: float
    max_points: float


@dataclass(frozen=True)
class BasicRequirementResult:
    id: str
    text: str
    status: Literal["met", "unmet", "unknown"]


@dataclass(frozen=True, eq=False)
class GreenFactoryResult(Result):
    """Points per indicator and area, vetoes hit and the total.

    ``status`` is ``不达标`` when any basic requirement is unmet (whatever the score),
    ``基本要求已满足`` when all are met, ``基本要求待确认`` when some were not given.  The
    reference gives no pass score for GB/T 36132-2025, so no level is assigned.
    """

    standard: str
    version: str
    indicators: tuple[IndicatorScore, ...]
    area_points: Mapping[str, tuple[float, float]]
    total: float
    max_total: float
    requirements: tuple[BasicRequirementResult, ...]
    vetoes: tuple[str, ...]
    status: str
    missing: tuple[str, ...]
    weights_source: str
    share_check: tuple[float, float] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def complete(self) -> bool:
        return not self.missing and all(r.status != "unknown" for r in self.requirements)

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("标准", f"{self.standard}"),
            ("结论", self.status),
            ("总分", f"{fmt_num(round(self.total, 6))} / {fmt_num(self.max_total)}"),
        ]
        for area, (pts, top) in self.area_points.items():
            rows.append((f"  {area}", f"{fmt_num(round(pts, 6))} / {fmt_num(top)}"))
        for v in self.vetoes:
            rows.append(("否决项", v))
        notes = [f"权重来源：{self.weights_source}", *self.notes]
        notes += [f"未提供：{m}" for m in self.missing]
        return Summary(title="绿色工厂评价", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        """One row per scored indicator."""
        return pd.DataFrame([vars(i) for i in self.indicators])


def _check_number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataValidationError(
            f"expected a finite number, got {value!r}",
            field=key,
            zh=f"“{key}”应为有限数值，收到 {value!r}",
        )
    return float(value)


def score_green_factory(
    indicators: Mapping[str, Any],
    *,
    benchmarks: Mapping[str, Any] | SectorBenchmarks | str | os.PathLike[str],
    points: Mapping[str, float] | str | None = None,
    basic: Mapping[str, bool] | None = None,
    version: str = "2025",
) -> GreenFactoryResult:
    """Score a factory on the GB/T 36132-2025 structure.

    Parameters
    ----------
    indicators
        Indicator (id or Chinese name) → value.  Quantitative indicators take the measured
        value; the others take a judged share in [0, 1] unless a benchmark is supplied.
    benchmarks
        Indicator → ``{"benchmark": b, "leading": ℓ}`` (optionally ``points``), a
        :class:`SectorBenchmarks`, or the path of a sector YAML file in that format.
    points
        Indicator → maximum points.  Required (here or as ``points`` in the benchmarks):
        the reference gives no general weights.  ``"table-c1-example"`` opts into the
        illustrative Table C.1 weights (secondary).  The indicators with points are the
        ones assessed.
    basic
        Basic requirement (id or text) → met.  Any ``False`` is a veto.

    Raises
    ------
    DataValidationError
        Unknown indicator or requirement, a non-numeric or out-of-range value, benchmark
        equal to the leading value or against the indicator's direction, a quantitative
        indicator without benchmark, missing points; each names the key.
    """
    spec = load_green_factory(version)
    b_by_id = _benchmarks_by_id(spec, _as_benchmarks(benchmarks))
    p_by_id, weights_source = _points_by_id(spec, points, b_by_id)
    values = _values_by_id(spec, indicators, p_by_id)
    assessed = [ind for ind in spec.indicators if ind.id in p_by_id]
    scores = [
        _score_indicator(ind, p_by_id[ind.id], b_by_id.get(ind.id), values.get(ind.id))
        for ind in assessed
    ]
    missing = [f"{ind.name} ({ind.id})" for ind in assessed if ind.id not in values]
    area_points = _area_points(spec, scores)
    total = round(sum(p for p, _ in area_points.values()), _ROUND)
    max_total = sum(t for _, t in area_points.values())
    reqs = _requirements(spec, basic)
    vetoes = tuple(r.text for r in reqs if r.status == "unmet")
    share, share_notes = _share_check(spec, area_points, max_total)
    return GreenFactoryResult(
        standard=spec.standard,
        version=spec.version,
        indicators=tuple(scores),
        area_points=area_points,
        total=total,
        max_total=max_total,
        requirements=reqs,
        vetoes=vetoes,
        status=_status(reqs),
        missing=tuple(missing),
        weights_source=weights_source,
        share_check=share,
        notes=("参考资料未给出 GB/T 36132-2025 的达标分数线，故不判定等级", *share_notes),
    )


def _resolve(spec: GreenFactoryStructure, key: str, where: str) -> IndicatorSpec:
    """The indicator ``key`` (id or Chinese name) names in ``where``; unknown keys refused."""
    try:
        return spec.indicator(key)
    except KeyError:
        known = ", ".join(f"{i.id} ({i.name})" for i in spec.indicators)
        known_cn = "、".join(i.name for i in spec.indicators)
        raise DataValidationError(
            f"unknown indicator in {where}; known: {known}",
            field=str(key),
            zh=f"“{key}”不是绿色工厂评价指标；可选：{known_cn}",
        ) from None


def _benchmarks_by_id(
    spec: GreenFactoryStructure, bench: SectorBenchmarks
) -> dict[str, BenchmarkEntry]:
    """Benchmark entries by indicator id, each checked against its indicator's direction."""
    b_by_id: dict[str, BenchmarkEntry] = {}
    for key, entry in bench.benchmarks.items():
        ind = _resolve(spec, key, "benchmarks")
        if ind.direction is not None:
            wrong = (ind.direction == "lower" and entry.leading > entry.benchmark) or (
                ind.direction == "higher" and entry.leading < entry.benchmark
            )
            if wrong:
                better = "lower" if ind.direction == "lower" else "higher"
                better_cn = "低" if ind.direction == "lower" else "高"
                raise DataValidationError(
                    f"{ind.name} is {better}-is-better, so the leading value must be "
                    f"{better} than the benchmark; got benchmark {fmt_num(entry.benchmark)}, "
                    f"leading {fmt_num(entry.leading)}",
                    field=str(key),
                    zh=f"“{ind.name}”越{better_cn}越好，引领值应{better_cn}于基准值；"
                    f"收到基准值 {fmt_num(entry.benchmark)}、引领值 {fmt_num(entry.leading)}",
                )
        b_by_id[ind.id] = entry
    return b_by_id


def _points_by_id(
    spec: GreenFactoryStructure,
    points: Mapping[str, float] | str | None,
    b_by_id: Mapping[str, BenchmarkEntry],
) -> tuple[dict[str, float], str]:
    """Maximum points by indicator id (the indicators assessed) and where they come from."""
    p_by_id: dict[str, float] = {}
    if isinstance(points, str):
        if points != EXAMPLE_PRESET:
            raise DataValidationError(
                f"unknown points preset {points!r}; expected {EXAMPLE_PRESET!r} or a mapping",
                field="points",
                zh=f"没有分值预设 {points!r}；应为 {EXAMPLE_PRESET!r} 或“指标 → 分值”的映射",
            )
        p_by_id = {i.id: float(i.example_points) for i in spec.indicators if i.example_points}
        weights_source = (
            f"{EXAMPLE_PRESET}：{spec.example_points.source}"
            f"（{confidence_zh(spec.example_points.confidence)}；示例）"
            if spec.example_points
            else EXAMPLE_PRESET
        )
    else:
        weights_source = confidence_zh("user")
        for iid, entry in b_by_id.items():
            if entry.points is not None:
                p_by_id[iid] = entry.points
        for key, value in (points or {}).items():
            ind = _resolve(spec, key, "points")
            v = _check_number(str(key), value)
            if v < 0:
                raise DataValidationError(
                    f"points must be ≥ 0, got {fmt_num(v)}",
                    field=key,
                    zh=f"“{ind.name}”的分值应 ≥ 0，收到 {fmt_num(v)}",
                )
            p_by_id[ind.id] = v
    if not p_by_id:
        raise DataValidationError(
            "no indicator points given: the reference gives no general GB/T 36132-2025 "
            "weights; pass points={indicator: points} (or points in the benchmarks), or "
            f"points={EXAMPLE_PRESET!r} for the illustrative Table C.1 case",
            field="points",
            zh="未给出指标分值：参考资料没有 GB/T 36132-2025 的通用权重；请给出各指标的分值"
            f"（或在基准值中给出），或选用示例预设 {EXAMPLE_PRESET!r}（表 C.1 示例）",
        )
    return p_by_id, weights_source


def _values_by_id(
    spec: GreenFactoryStructure, indicators: Mapping[str, Any], p_by_id: Mapping[str, float]
) -> dict[str, float]:
    """The given indicator values by id; a value needs points, ``None`` means not given."""
    values: dict[str, float] = {}
    for key, value in indicators.items():
        ind = _resolve(spec, key, "indicators")
        if value is None:
            continue
        v = _check_number(str(key), value)
        if ind.id not in p_by_id:
            raise DataValidationError(
                "indicator has a value but no points; give its points",
                field=str(key),
                zh=f"“{ind.name}”给出了取值但没有分值；请给出其分值",
            )
        values[ind.id] = v
    return values


def _score_indicator(
    ind: IndicatorSpec, top: float, entry: BenchmarkEntry | None, x: float | None
) -> IndicatorScore:
    """One assessed indicator: linear between benchmark and leading value, or a judged share."""
    bounds = (entry.benchmark, entry.leading) if entry else (None, None)
    if x is None:
        return IndicatorScore(
            ind.id, ind.name, ind.area, None, *bounds, ind.direction, "missing", 0.0, 0.0, top
        )
    if entry is not None:
        if (ind.min is not None and x < ind.min) or (ind.max is not None and x > ind.max):
            lo = "-∞" if ind.min is None else fmt_num(ind.min)
            hi = "+∞" if ind.max is None else fmt_num(ind.max)
            raise DataValidationError(
                f"{fmt_num(x)} is out of range; expected [{lo}, {hi}]{ind.unit}",
                field=ind.name,
                zh=f"“{ind.name}”的数值 {fmt_num(x)} 超出范围 [{lo}, {hi}]{ind.unit}",
            )
        frac = linear_score(x, entry.benchmark, entry.leading)
        method = "linear"
    elif ind.kind == "quantitative":
        raise DataValidationError(
            "quantitative indicator needs a benchmark (基准值) and leading value (引领值); "
            "none ships with nqpf: give them in benchmarks or a sector file",
            field=ind.name,
            zh=f"定量指标“{ind.name}”需要基准值和引领值；nqpf 未内置，请在基准值或行业文件中给出",
        )
    else:
        if not 0 <= x <= 1:
            raise DataValidationError(
                f"without a benchmark, a {ind.kind} indicator takes a judged share in "
                f"[0, 1]; got {fmt_num(x)}",
                field=ind.name,
                zh=f"“{ind.name}”没有基准值时应填 0–1 的评判比例，收到 {fmt_num(x)}",
            )
        frac, method = x, "judged"
    points = round(top * frac, _ROUND)
    return IndicatorScore(
        ind.id, ind.name, ind.area, x, *bounds, ind.direction, method, frac, points, top
    )


def _area_points(
    spec: GreenFactoryStructure, scores: list[IndicatorScore]
) -> dict[str, tuple[float, float]]:
    """Points and maximum per area, for the areas with an assessed indicator, in file order."""
    area_points: dict[str, tuple[float, float]] = {}
    for area in spec.areas:
        mine = [s for s in scores if s.area == area.name]
        if mine:
            area_points[area.name] = (
                round(sum(s.points for s in mine), _ROUND),
                sum(s.max_points for s in mine),
            )
    return area_points


def _requirements(
    spec: GreenFactoryStructure, basic: Mapping[str, bool] | None
) -> tuple[BasicRequirementResult, ...]:
    """Every basic requirement as met, unmet or unknown (not given) from ``basic``."""
    given: dict[str, bool] = {}
    for key, met in (basic or {}).items():
        try:
            req = spec.requirement(key)
        except KeyError:
            known = ", ".join(r.id for r in spec.basic_requirements)
            raise DataValidationError(
                f"unknown basic requirement; known: {known}",
                field=str(key),
                zh=f"“{key}”不是绿色工厂基本要求；可选：{known.replace(', ', '、')}",
            ) from None
        if met is None:
            continue
        if not isinstance(met, bool):
            raise DataValidationError(
                f"expected true/false, got {met!r}",
                field=str(key),
                zh=f"基本要求“{req.text}”应为是或否，收到 {met!r}",
            )
        given[req.id] = met
    return tuple(
        BasicRequirementResult(
            r.id, r.text, "unknown" if r.id not in given else "met" if given[r.id] else "unmet"
        )
        for r in spec.basic_requirements
    )


def _status(reqs: tuple[BasicRequirementResult, ...]) -> str:
    """不达标 on any veto, 基本要求已满足 when every requirement is met, else 基本要求待确认."""
    if any(r.status == "unmet" for r in reqs):
        return "不达标"
    if all(r.status == "met" for r in reqs):
        return "基本要求已满足"
    return "基本要求待确认"


def _share_check(
    spec: GreenFactoryStructure, area_points: Mapping[str, tuple[float, float]], max_total: float
) -> tuple[tuple[float, float] | None, tuple[str, ...]]:
    """The share of the rule's areas in the maximum against the standard's, and a note if off."""
    if spec.share_rule is None or max_total <= 0:
        return None, ()
    got = sum(area_points.get(a, (0.0, 0.0))[1] for a in spec.share_rule.areas)
    share = (100.0 * got / max_total, spec.share_rule.percent)
    if math.isclose(share[0], share[1], abs_tol=1e-9):
        return share, ()
    note = (
        f"{'+'.join(spec.share_rule.areas)} 占总分 {fmt_num(round(share[0], 4))}%，"
        f"标准要求合计 {fmt_num(share[1])}%"
    )
    return share, (note,)
