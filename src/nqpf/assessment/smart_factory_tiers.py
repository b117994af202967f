"""智能工厂梯度培育 tiers (2025): which of 基础级 / 先进级 / 卓越级 / 领航级 the facts reach.

The conditions are data (``frameworks/smart-factory-tiers-2025.yaml``, frameworks.md §2.2,
[secondary]): the 基础要求 shared by all tiers, the GB/T 39116 maturity gate (基础/先进
≥ 二级, 卓越 ≥ 三级, 领航 ≥ 四级), the 环节 to cover, the content highlights, the 成效
position (基础 above the provincial average … 领航 global leading) and the AI-scene share
(卓越 ≥ 20 %, 领航 ≥ 60 %).

Every condition is ``met``, ``unmet`` or ``unknown``; a fact not given is ``unknown``, never
silently met.  A tier is reached when its conditions and those of every lower tier are met.

Examples
--------
>>> from nqpf.assessment.smart_factory_tiers import assess_tier, load_tiers
>>> rules = load_tiers()
>>> facts = {"maturity_level": 2, "links": ["生产作业"], "kpi_position": "above_provincial_average"}
>>> facts.update({c.id: True for c in rules.common})
>>> facts.update({c.id: True for c in rules.tier("基础级").conditions if c.kind == "flag"})
>>> res = assess_tier(facts)
>>> res.tier, res.statuses["先进级"]
('基础级', 'unmet')
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from nqpf._datafile import (
    FileId,
    FrozenModel,
    Identifier,
    LocatedValueError,
    Note,
    Number,
    Text,
    Version,
)
from nqpf._suggest import did_you_mean
from nqpf.assessment.cmmm import CMMMResult
from nqpf.assessment.schema import confidence_zh, parse_rule_model, read_rule_file
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "ConditionResult",
    "SmartFactoryTierResult",
    "TierCondition",
    "TierResult",
    "TierRules",
    "assess_tier",
    "load_tiers",
]

Status = Literal["met", "unmet", "unknown"]
_STATUS_CN = {"met": "满足", "unmet": "不满足", "unknown": "无法判定"}
_LEVEL_NAMES = {
    "一级": 1,
    "二级": 2,
    "三级": 3,
    "四级": 4,
    "五级": 5,
    "规划级": 1,
    "规范级": 2,
    "集成级": 3,
    "优化级": 4,
    "引领级": 5,
}
#: The named facts and what a Chinese reader calls them (error messages name the fact).
_FACT_CN = {
    "maturity_level": "智能制造能力成熟度等级",
    "links": "覆盖的环节",
    "scenes": "已建典型场景",
    "ai_scenes": "人工智能场景",
    "ai_scene_share": "人工智能场景占比",
    "kpis": "成效指标",
    "kpi_position": "成效水平",
}
_FACT_KEYS = tuple(_FACT_CN)
_KPI_SHAPE_CN = "应为“指标名 → {value, provincial_average, higher_is_better}”的映射"


class TierCondition(FrozenModel):
    """One condition: ``flag`` (a yes/no fact), ``min_maturity``, ``links``, ``kpi`` or
    ``min_ai_share``."""

    id: Identifier
    kind: Literal["flag", "min_maturity", "links", "kpi", "min_ai_share"]
    text: Text
    min: Number | str | None = None
    required: tuple[Text, ...] = ()
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> TierCondition:
        if self.kind == "min_maturity" and not (
            isinstance(self.min, float) and self.min == int(self.min) and 1 <= self.min <= 5
        ):
            raise LocatedValueError("min_maturity needs min: a level 1–5", ("min",))
        if self.kind == "min_ai_share" and not (isinstance(self.min, float) and 0 <= self.min <= 1):
            raise LocatedValueError("min_ai_share needs min: a fraction 0–1", ("min",))
        if self.kind == "kpi" and not isinstance(self.min, str):
            raise LocatedValueError("kpi needs min: a kpi_positions id", ("min",))
        if self.kind == "links" and not self.required:
            raise LocatedValueError("links needs required: the 环节 to cover", ("required",))
        return self


class Tier(FrozenModel):
    name: Text
    focus: Note = ""
    conditions: tuple[TierCondition, ...] = Field(min_length=1)


class SceneGroup(FrozenModel):
    name: Text
    first: Annotated[int, Field(ge=1)]
    last: Annotated[int, Field(ge=1)]


class KpiPosition(FrozenModel):
    id: Identifier
    name: Text


class TierRules(FrozenModel):
    """The tier file: 环节, scene groups, 成效 positions, common and per-tier conditions."""

    id: FileId
    version: Version
    name: Text
    document: Note = ""
    source: Text
    confidence: Literal["official", "secondary", "unverified"]
    links: tuple[Text, ...] = Field(min_length=1)
    scene_groups: tuple[SceneGroup, ...] = Field(min_length=1)
    kpi_positions: tuple[KpiPosition, ...] = Field(min_length=2)
    cumulative: bool = True
    common: tuple[TierCondition, ...] = ()
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> TierRules:
        positions = [p.id for p in self.kpi_positions]
        expected = 1
        for i, g in enumerate(self.scene_groups):
            if g.first != expected or g.last < g.first:
                raise LocatedValueError(
                    f"scene groups must number the scenes consecutively; expected first: {expected}",
                    ("scene_groups", i, "first"),
                )
            expected = g.last + 1
        ids = {c.id for c in self.common}
        for i, t in enumerate(self.tiers):
            seen = set(ids)
            for j, c in enumerate(t.conditions):
                loc = ("tiers", i, "conditions", j)
                if c.id in seen:
                    raise LocatedValueError(f"duplicate condition id {c.id!r}", (*loc, "id"))
                seen.add(c.id)
                if c.kind == "kpi" and c.min not in positions:
                    raise LocatedValueError(
                        f"unknown kpi position {c.min!r}; known: {', '.join(positions)}",
                        (*loc, "min"),
                    )
                for r in c.required:
                    if r not in self.links:
                        raise LocatedValueError(
                            f"unknown 环节 {r!r}; known: {', '.join(self.links)}",
                            (*loc, "required"),
                        )
        return self

    @property
    def n_scenes(self) -> int:
        return self.scene_groups[-1].last

    @property
    def flag_ids(self) -> list[str]:
        out = [c.id for c in self.common]
        out += [c.id for t in self.tiers for c in t.conditions if c.kind == "flag"]
        return out

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(f"no tier {name!r}; known: {', '.join(t.name for t in self.tiers)}")

    def position_rank(self, position: str) -> int:
        return [p.id for p in self.kpi_positions].index(position)


@functools.cache
def _shipped() -> TierRules:
    text, name = read_rule_file("smart-factory-tiers-2025", ("smart-factory-tiers-2025",))
    return parse_rule_model(text, TierRules, filename=name)


def load_tiers(path_or_id: str | os.PathLike[str] = "smart-factory-tiers-2025") -> TierRules:
    """Load the shipped tier rules or a file in the same format (errors name key and line)."""
    if path_or_id == "smart-factory-tiers-2025":
        return _shipped()
    text, name = read_rule_file(path_or_id, ("smart-factory-tiers-2025",))
    return parse_rule_model(text, TierRules, filename=name)


# -- result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    """One condition of one tier, with what the facts show and what is required."""

    tier: str
    id: str
    kind: str
    text: str
    status: Status
    current: Any
    required: Any
    note: str = ""


@dataclass(frozen=True)
class SmartFactoryTierResult(Result):
    """Outcome of :func:`assess_tier`.

    Attributes
    ----------
    tier
        The highest tier reached (its conditions and every lower tier's all met), or None.
    possible
        The highest tier not ruled out (no condition of it or below is unmet; unknowns may
        still turn out met), or None.
    statuses
        Tier → ``met`` / ``unmet`` / ``unknown`` (any unmet → unmet; else any unknown →
        unknown).
    conditions
        Every condition of every tier (the common 基础要求 repeated under each tier).
    scenes_by_group
        Scenes built per 环节 of the 40-scene guide.
    notes
        Caveats (sources, derived values).
    """

    rules: str
    tier: str | None
    possible: str | None
    statuses: dict[str, Status]
    conditions: tuple[ConditionResult, ...]
    scenes_by_group: dict[str, tuple[int, ...]]
    notes: tuple[str, ...]

    def unmet(self, tier: str | None = None) -> list[ConditionResult]:
        """Unmet conditions (of one tier, or all)."""
        return [
            c for c in self.conditions if c.status == "unmet" and (tier is None or c.tier == tier)
        ]

    def unknown(self, tier: str | None = None) -> list[ConditionResult]:
        """Conditions whose facts were not given (of one tier, or all)."""
        return [
            c for c in self.conditions if c.status == "unknown" and (tier is None or c.tier == tier)
        ]

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("规则", self.rules),
            ("达到层级", self.tier or "未达基础级"),
            ("可能层级（未知条件成立时）", self.possible or "—"),
        ]
        for t, s in self.statuses.items():
            n_un = len(self.unmet(t))
            n_uk = len(self.unknown(t))
            rows.append((t, f"{_STATUS_CN[s]}（未满足 {n_un}，未知 {n_uk}）"))
        rows.append(("已建场景数", sum(len(v) for v in self.scenes_by_group.values())))
        return Summary("智能工厂梯度培育 层级判定", tuple(rows), self.notes)

    def to_frame(self) -> pd.DataFrame:
        """One row per tier and condition: status, current value and requirement."""
        cols = ["tier", "id", "kind", "text", "status", "current", "required", "note"]
        return pd.DataFrame([c.__dict__ for c in self.conditions], columns=cols)


# -- facts -------------------------------------------------------------------------------


def _bad(field: str, message: str, zh: str, name: str = "") -> DataValidationError:
    """``message`` about fact ``field``; ``zh`` follows its Chinese ``name`` (default: ours)."""
    name = name or _FACT_CN.get(field.split("[")[0], field)
    return DataValidationError(message, field=field, zh=f"“{name}”{zh}")


def _conditions(rules: TierRules) -> Iterable[TierCondition]:
    """Every condition of the rules: the common ones, then each tier's."""
    yield from rules.common
    for t in rules.tiers:
        yield from t.conditions


def _maturity(value: Any, notes: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, CMMMResult):
        if not value.official:
            notes.append(
                f"成熟度等级 {value.level} 来自非官方要求集（{value.item_set}），"
                "门槛须以正式的成熟度评估结果为准"
            )
        return value.level
    if isinstance(value, str):
        key = value.strip()
        if key in _LEVEL_NAMES:
            return _LEVEL_NAMES[key]
        if key.isdigit():
            value = int(key)
        else:
            raise _bad(
                "maturity_level",
                f"expected a level 0–5, a name ({', '.join(_LEVEL_NAMES)}) or a CMMMResult, "
                f"got {value!r}",
                f"应为 0–5 级或等级名称（{'、'.join(_LEVEL_NAMES)}），收到 {value!r}",
            )
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise _bad(
            "maturity_level",
            f"expected a whole level 0–5, got {value!r}",
            f"应为 0–5 的整数，收到 {value!r}",
        )
    if not 0 <= value <= 5:
        raise _bad(
            "maturity_level", f"expected a level 0–5, got {value!r}", f"应为 0–5 级，收到 {value!r}"
        )
    return int(value)


def _scene_list(field: str, value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise _bad(
            field,
            f"expected a list of scene numbers 1–{n}, got {value!r}",
            f"应为场景编号（1–{n}）的列表，收到 {value!r}",
        )
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= n:
            raise _bad(
                field,
                f"expected scene numbers 1–{n}, got {v!r}",
                f"的场景编号应为 1–{n}，收到 {v!r}",
            )
        out.append(v)
    if len(set(out)) != len(out):
        dup = sorted({v for v in out if out.count(v) > 1})
        raise _bad(field, f"scene(s) listed twice: {dup}", f"中场景重复列出：{dup}")
    return tuple(sorted(out))


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(
            "ai_scene_share",
            f"expected a fraction 0–1, got {value!r}",
            f"应为 0–1 的小数，收到 {value!r}",
        )
    if not 0 <= value <= 1:
        raise _bad(
            "ai_scene_share",
            f"expected a fraction 0–1 (20 % is 0.2), got {value!r}",
            f"应为 0–1 的小数（20% 填 0.2），收到 {value!r}",
        )
    return float(value)


def _kpis(value: Any) -> dict[str, bool]:
    """KPI name → better than the provincial average (strictly)."""
    if not isinstance(value, Mapping):
        raise _bad(
            "kpis",
            "expected a mapping KPI name → {value, provincial_average, higher_is_better}",
            _KPI_SHAPE_CN,
        )
    out = {}
    for name, row in value.items():
        field = f"kpis[{name!r}]"
        if not isinstance(row, Mapping):
            raise _bad(
                field, "expected {value, provincial_average, higher_is_better}", _KPI_SHAPE_CN
            )
        shape = ("value", "provincial_average", "higher_is_better")
        extra = sorted(set(row) - set(shape))
        if extra:
            en, zh = did_you_mean(extra[0], shape)
            hint, hint_cn = (f" ({en})", f"（{zh}）") if en else ("", "")
            raise _bad(field, f"unknown key(s) {extra}{hint}", f"中有未知的键 {extra}{hint_cn}")
        try:
            v, avg = row["value"], row["provincial_average"]
            hib = row["higher_is_better"]
        except KeyError as exc:
            key = exc.args[0]
            raise _bad(field, f"missing {key!r}", f"中“{name}”缺少 {key!r}") from None
        for k, x in (("value", v), ("provincial_average", avg)):
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise _bad(
                    f"{field}.{k}",
                    f"expected a number, got {x!r}",
                    f"中“{name}”的 {k} 应为数值，收到 {x!r}",
                )
        if not isinstance(hib, bool):
            raise _bad(
                f"{field}.higher_is_better",
                f"expected true or false, got {hib!r}",
                f"中“{name}”的 higher_is_better 应为 true 或 false，收到 {hib!r}",
            )
        out[str(name)] = v > avg if hib else v < avg
    if not out:
        raise _bad("kpis", "no KPI given", "未给出任何指标")
    return out


def assess_tier(
    facts: Mapping[str, Any], rules: TierRules | str | os.PathLike[str] | None = None
) -> SmartFactoryTierResult:
    """Check the facts of one enterprise against every tier.

    Parameters
    ----------
    facts
        ``maturity_level``: 0–5, ``"二级"`` / ``"规范级"`` or a
        :class:`~nqpf.assessment.cmmm.CMMMResult`;
        ``links``: the 环节 covered (工厂建设, 研发设计, 生产作业, 生产管理, 运营管理);
        ``scenes``: 典型场景 built (numbers 1–40);
        ``ai_scenes`` (numbers among ``scenes``) or ``ai_scene_share`` (fraction 0–1);
        ``kpi_position`` (an id of the file's ``kpi_positions``) and/or ``kpis``
        (name → ``{value, provincial_average, higher_is_better}``);
        and every yes/no condition by its id (``above_scale``, ``b_planning`` …, see
        :attr:`TierRules.flag_ids`).  A fact left out makes its conditions ``unknown``.
    rules
        The tier rules (default: the shipped 2025 file).

    Raises
    ------
    DataValidationError
        An unknown fact key or a malformed value, naming the key.
    """
    if rules is None:
        rules = _shipped()
    elif not isinstance(rules, TierRules):
        rules = load_tiers(rules)
    if not isinstance(facts, Mapping):
        raise DataValidationError(
            f"facts must be a mapping, got {type(facts).__name__}",
            zh=f"事实应为“名称 → 取值”的映射，收到 {type(facts).__name__}",
        )
    flags = rules.flag_ids
    allowed = (*_FACT_KEYS, *flags)
    for key in facts:
        if key not in allowed:
            en, zh = did_you_mean(key, allowed)
            hint, hint_cn = (f"; {en}", f"；{zh}") if en else ("", "")
            raise _bad(str(key), f"unknown fact{hint}", f"不是已知的事实{hint_cn}")
    notes: list[str] = [f"条件来源：{rules.source}（{confidence_zh(rules.confidence)}）"]

    level = _maturity(facts.get("maturity_level"), notes)
    links: set[str] | None = None
    if facts.get("links") is not None:
        raw = facts["links"]
        if isinstance(raw, str) or not isinstance(raw, Iterable):
            raise _bad(
                "links", f"expected a list of 环节, got {raw!r}", f"应为环节列表，收到 {raw!r}"
            )
        links = set()
        for v in raw:
            if v not in rules.links:
                en, zh = did_you_mean(v, rules.links)
                hint, hint_cn = (f" ({en})", f"（{zh}）") if en else ("", "")
                raise _bad(
                    "links",
                    f"unknown 环节 {v!r}{hint}; known: {', '.join(rules.links)}",
                    f"中没有环节 {v!r}{hint_cn}；可选：{'、'.join(rules.links)}",
                )
            links.add(v)
    scenes = None
    if facts.get("scenes") is not None:
        scenes = _scene_list("scenes", facts["scenes"], rules.n_scenes)
    share: float | None = None
    if facts.get("ai_scene_share") is not None:
        share = _share(facts["ai_scene_share"])
        if facts.get("ai_scenes") is not None:
            raise _bad(
                "ai_scenes",
                "give ai_scenes or ai_scene_share, not both",
                "与“人工智能场景占比”只能给出其一",
            )
    elif facts.get("ai_scenes") is not None:
        ai = _scene_list("ai_scenes", facts["ai_scenes"], rules.n_scenes)
        if scenes is None:
            raise _bad(
                "ai_scenes",
                "ai_scenes needs scenes (the scenes built)",
                "需同时给出“已建典型场景”",
            )
        stray = sorted(set(ai) - set(scenes))
        if stray:
            raise _bad(
                "ai_scenes",
                f"scene(s) {stray} are not among the scenes built",
                f"中的场景 {stray} 不在已建典型场景中",
            )
        if not scenes:
            raise _bad(
                "ai_scenes",
                "no scenes built, so no AI-scene share",
                "无从计算占比：未建任何典型场景",
            )
        share = len(ai) / len(scenes)
        notes.append(
            f"人工智能场景占比 = {len(ai)}/{len(scenes)}（以已建典型场景数为分母，未经核实）"
        )
    position = facts.get("kpi_position")
    positions = [p.id for p in rules.kpi_positions]
    if position is not None and position not in positions:
        names = "、".join(f"{p.id}（{p.name}）" for p in rules.kpi_positions)
        spellings = {p.id: p.id for p in rules.kpi_positions}  # ids, and their Chinese names
        en, zh = did_you_mean(position, spellings | {p.name: p.id for p in rules.kpi_positions})
        hint, hint_cn = (f" ({en})", f"（{zh}）") if en else ("", "")
        raise _bad(
            "kpi_position",
            f"expected one of {', '.join(positions)}, got {position!r}{hint}",
            f"应为以下之一：{names}，收到 {position!r}{hint_cn}",
        )
    kpis = _kpis(facts["kpis"]) if facts.get("kpis") is not None else None
    flag_values: dict[str, bool] = {}
    for fid in flags:
        v = facts.get(fid)
        if v is None:
            continue
        if not isinstance(v, bool):
            text = next(c.text for c in _conditions(rules) if c.id == fid)
            raise _bad(fid, f"expected true or false, got {v!r}", f"应为是或否，收到 {v!r}", text)
        flag_values[fid] = v

    def check(tier: str, c: TierCondition) -> ConditionResult:
        def res(status: Status, current: Any, required: Any, note: str = "") -> ConditionResult:
            return ConditionResult(
                tier, c.id, c.kind, c.text, status, current, required, note or c.note
            )

        if c.kind == "flag":
            v = flag_values.get(c.id)
            if v is None:
                return res("unknown", None, True)
            return res("met" if v else "unmet", v, True)
        if c.kind == "min_maturity":
            need = int(c.min)  # type: ignore[arg-type]
            if level is None:
                return res("unknown", None, f"≥ {need}")
            return res("met" if level >= need else "unmet", level, f"≥ {need}")
        if c.kind == "links":
            need = list(c.required)
            if links is None:
                return res("unknown", None, need)
            missing = [x for x in need if x not in links]
            cur = [x for x in rules.links if x in links]
            note = f"未覆盖：{'、'.join(missing)}" if missing else ""
            return res("unmet" if missing else "met", cur, need, note)
        if c.kind == "min_ai_share":
            need_s = float(c.min)  # type: ignore[arg-type]
            if share is None:
                return res("unknown", None, f"≥ {need_s:g}")
            ok = share >= need_s - 1e-12
            return res("met" if ok else "unmet", share, f"≥ {need_s:g}")
        # kpi
        need_p = str(c.min)
        need_rank = rules.position_rank(need_p)
        if position is not None:
            ok = rules.position_rank(position) >= need_rank
            return res("met" if ok else "unmet", position, f"≥ {need_p}")
        if kpis is not None:
            worse = [k for k, better in kpis.items() if not better]
            if worse:
                return res(
                    "unmet",
                    "below_provincial_average",
                    f"≥ {need_p}",
                    f"未高于省同行业平均：{'、'.join(worse)}",
                )
            if need_rank <= rules.position_rank("above_provincial_average"):
                return res("met", "above_provincial_average", f"≥ {need_p}", "各项指标均高于平均")
            return res(
                "unknown",
                "above_provincial_average",
                f"≥ {need_p}",
                "与平均值的比较无法说明领先位置；请给出成效水平（kpi_position）",
            )
        return res("unknown", None, f"≥ {need_p}")

    results: list[ConditionResult] = []
    statuses: dict[str, Status] = {}
    for t in rules.tiers:
        rows = [check(t.name, c) for c in (*rules.common, *t.conditions)]
        results.extend(rows)
        got = {r.status for r in rows}
        statuses[t.name] = "unmet" if "unmet" in got else "unknown" if "unknown" in got else "met"

    reached = possible = None
    for t in rules.tiers:  # cumulative: stop at the first tier not met / ruled out
        s = statuses[t.name]
        if s == "met" and (not rules.cumulative or reached == possible):
            reached = t.name
        if s != "unmet":
            possible = t.name
        elif rules.cumulative:
            break

    by_group = {
        g.name: tuple(s for s in (scenes or ()) if g.first <= s <= g.last)
        for g in rules.scene_groups
    }
    if scenes is None:
        notes.append("未给出已建典型场景；参考资料未规定各层级的最少场景数")
    return SmartFactoryTierResult(
        rules=f"{rules.id}-{rules.version}",
        tier=reached,
        possible=possible,
        statuses=statuses,
        conditions=tuple(results),
        scenes_by_group=by_group,
        notes=tuple(notes),
    )


TierResult = SmartFactoryTierResult
"""Old name of :class:`SmartFactoryTierResult`, kept for existing imports (renamed because
``quality_sme_tiers`` had a result class of the same name)."""
