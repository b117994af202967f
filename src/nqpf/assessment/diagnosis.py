"""Gap diagnosis and the cheapest roadmap to the next level.

:func:`diagnose` lays a scored response beside its framework: for each scene the current
and next level texts and the gap to the scene level the next overall level asks for; for
each question the points lost against its maximum.

:func:`roadmap` finds the **exact minimum-cost** set of answer changes after which every
condition of the target level's row of the level rule holds (score threshold, scene count,
约束性 count), with a cost per step from an editable table
(``data/step_costs.yaml``: nqpf's illustrative default, confidence ``design``, in
relative effort units, not money).

Notes
-----
The level rule reads only the total score (a function of the question answers) and the
scene levels (which score no points: 数字化经营 is unscored in SME-2024), so the problem
separates into two independent parts whose optima add up:

1. **Score.**  A multiple-choice knapsack, solved by dynamic programming over integer
   points (each point value × a common scale, ×40 for SME-2024's multiples of 0.025).
   Every single-choice or rate question is one group (keep the answer, or switch to one
   better option / band, each with its points gain and cost); every option a multi-select
   may still add is a group of its own, since its cost and points add up.  With
   ``dp[t]`` = least cost of gaining at least ``t`` scaled points (``t`` capped at the
   deficit ``D``), each group updates
   ``dp'[t] = min(dp[t], min_a dp[max(t - w_a, 0)] + c_a)``; ``dp[D]`` is the optimum and
   the stored choices give the answers.
2. **Scenes.**  Lift scenes below the row's scene level to exactly that level (higher never
   helps, costs are ≥ 0).  With ``b`` more 约束性 scenes and ``n`` more scenes in all
   needed, the cheapest ``b`` 约束性 candidates plus the cheapest ``max(n - b, 0)`` of the
   remaining candidates is optimal (exchange argument: any feasible set holds at least
   ``b`` 约束性 scenes, each no cheaper than the chosen ones, and its other members no
   cheaper than the rest).

The tests check both parts against brute-force enumeration and against an independent
integer programme.

The steps are ordered 约束性 scene steps first, then by points per cost (descending).
Every scene step carries the 智能制造典型场景（2025年版） it is crosswalked to
(``data/sme16_crosswalk.yaml``, confidence ``design``; numbers 9–40 are nqpf's
provisional numbering, ``data/typical_scenes_2025.yaml``).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nqpf._datafile import find_entry, fmt_num
from nqpf.assessment.schema import Framework, LevelRow, Question, confidence_zh
from nqpf.assessment.scoring import (
    Condition,
    QuestionPoints,
    ScoreResult,
    records_frame,
    score,
)
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "Diagnosis",
    "QuestionDiagnosis",
    "Roadmap",
    "SceneDiagnosis",
    "Step",
    "StepCosts",
    "TypicalScene",
    "diagnose",
    "load_crosswalk",
    "load_step_costs",
    "load_typical_scenes",
    "responses_of",
    "roadmap",
]

_TOL = 1e-9
_LEVEL_CN = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
_SCALES = (1, 2, 4, 5, 8, 10, 20, 40, 50, 80, 100, 200, 400, 1000, 10_000)


# -- data: typical scenes, crosswalk, step costs ----------------------------------------


def _read_data(name: str) -> Any:
    text = resources.files("nqpf.assessment").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True)
class TypicalScene:
    """One of the 40 典型场景 of 智能制造典型场景参考指引（2025年版）.

    ``number_confidence`` is ``design`` for numbers 9–40 (assigned by nqpf).
    """

    number: int
    name: str
    stage: str
    number_confidence: str
    description: str = ""

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


@functools.cache
def load_typical_scenes() -> tuple[TypicalScene, ...]:
    """The 40 typical scenes (``data/typical_scenes_2025.yaml``), in number order.

    Examples
    --------
    >>> scenes = load_typical_scenes()
    >>> len(scenes), str(scenes[0]), scenes[39].number_confidence
    (40, '1 工厂数字化规划设计', 'design')
    """
    data = _read_data("typical_scenes_2025.yaml")
    out = [
        TypicalScene(
            int(s["number"]),
            str(s["name"]),
            str(stage["name"]),
            str(s["number_confidence"]),
            str(s.get("description") or ""),
        )
        for stage in data["stages"]
        for s in stage["scenes"]
    ]
    if [s.number for s in out] != list(range(1, len(out) + 1)):  # pragma: no cover - data
        raise ConfigError(
            "scenes must be numbered 1, 2, … in order", file="typical_scenes_2025.yaml"
        )
    return tuple(out)


@dataclass(frozen=True)
class Crosswalk:
    """SME scene id → typical scenes; area name → (question ids, typical scenes)."""

    framework: str
    confidence: str
    scenes: Mapping[str, tuple[TypicalScene, ...]]
    areas: Mapping[str, tuple[tuple[str, ...], tuple[TypicalScene, ...]]]

    def for_question(self, question_id: str) -> tuple[TypicalScene, ...]:
        out: list[TypicalScene] = []
        for qids, ts in self.areas.values():
            if question_id in qids:
                out += [t for t in ts if t not in out]
        return tuple(out)


@functools.cache
def load_crosswalk() -> Crosswalk:
    """The SME-16 → 40-scene crosswalk (``data/sme16_crosswalk.yaml``, confidence ``design``).

    Each target is given by number *and* name; both are checked against the catalogue.

    Examples
    --------
    >>> cw = load_crosswalk()
    >>> [str(t) for t in cw.scenes["scene_quality"]]
    ['24 在线智能检测', '25 质量精准追溯', '26 质量分析与改进']
    """
    file = "sme16_crosswalk.yaml"
    data = _read_data(file)
    by_number = {t.number: t for t in load_typical_scenes()}

    def targets(items: list[dict[str, Any]], where: str) -> tuple[TypicalScene, ...]:
        out = []
        for item in items:
            t = by_number.get(int(item["number"]))
            if t is None or t.name != item["name"]:
                raise ConfigError(
                    f"typical scene {item['number']} {item['name']!r} does not match the "
                    "catalogue typical_scenes_2025.yaml",
                    file=file,
                    field=where,
                )
            out.append(t)
        return tuple(out)

    scenes = {s["sme_id"]: targets(s["typical"], s["sme_id"]) for s in data["scenes"]}
    areas = {
        a["area"]: (tuple(a.get("questions") or ()), targets(a["typical"], a["area"]))
        for a in data.get("areas") or ()
    }
    return Crosswalk(
        str(data["framework"]),
        str(data["confidence"]),
        MappingProxyType(scenes),
        MappingProxyType(areas),
    )


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _SceneCosts(_Model):
    to_level: dict[int, float]
    binding_factor: float = Field(default=1.0, ge=0, allow_inf_nan=False)


class _Linear(_Model):
    base: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    per_point: float = Field(default=0.0, ge=0, allow_inf_nan=False)


class _Bands(_Model):
    per_band: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    per_point: float = Field(default=0.0, ge=0, allow_inf_nan=False)


class _Override(_Model):
    base: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    per_point: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    per_band: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class StepCosts(_Model):
    """A cost table for :func:`roadmap` (see ``data/step_costs.yaml``).

    Costs are in relative effort units (not money) and must be ≥ 0.
    """

    id: str = "custom"
    version: str = ""
    confidence: str = "design"
    units: str = "相对工作量单位"
    source: str = ""
    scene_level: _SceneCosts
    single_option: _Linear
    multi_option: _Linear
    rate_band: _Bands
    questions: dict[str, _Override] = Field(default_factory=dict)

    def scene_cost(self, binding: bool, frm: int, to: int) -> float:
        """Cost of lifting a scene from level ``frm`` to ``to``."""
        total = 0.0
        for k in range(frm + 1, to + 1):
            if k not in self.scene_level.to_level:
                raise ConfigError(
                    f"no cost for reaching scene level {k}; give scene_level.to_level.{k}",
                    field=f"scene_level.to_level.{k}",
                )
            total += self.scene_level.to_level[k]
        return total * (self.scene_level.binding_factor if binding else 1.0)

    def _linear(self, q: Question) -> tuple[float, float]:
        lin = self.single_option if q.kind == "single" else self.multi_option
        o = self.questions.get(q.id)
        base = o.base if o is not None and o.base is not None else lin.base
        per = o.per_point if o is not None and o.per_point is not None else lin.per_point
        return base, per

    def _bands(self, q: Question) -> tuple[float, float]:
        o = self.questions.get(q.id)
        per_band = (
            o.per_band if o is not None and o.per_band is not None else self.rate_band.per_band
        )
        per = o.per_point if o is not None and o.per_point is not None else self.rate_band.per_point
        return per_band, per


def load_step_costs(
    costs: StepCosts | Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> StepCosts:
    """The cost table: the shipped default (``None``), a mapping, or a YAML file path.

    Examples
    --------
    >>> c = load_step_costs()
    >>> c.confidence, c.units
    ('design', '相对工作量单位（非金额）')
    """
    if isinstance(costs, StepCosts):
        return costs
    file = "step_costs.yaml"
    if costs is None:
        data = _read_data(file)
    elif isinstance(costs, Mapping):
        data, file = dict(costs), "<costs mapping>"
    else:
        path = Path(costs)
        if not path.is_file():
            raise ConfigError("cost table not found", file=str(path), zh="找不到成本表文件")
        data, file = yaml.safe_load(path.read_text(encoding="utf-8-sig")), str(path)
    try:
        return StepCosts.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise ConfigError(f"{e['msg']} (got {e.get('input')!r})", file=file, field=where) from None


# -- shared helpers ----------------------------------------------------------------------


def _framework_for(result: ScoreResult, framework: Framework | None) -> Framework:
    if not isinstance(result, ScoreResult):
        raise DataValidationError(
            f"expected a ScoreResult from nqpf.assessment.score, got {type(result).__name__}"
        )
    if framework is None:
        from nqpf.assessment import load_framework

        return load_framework(result.framework)
    if framework.key != result.framework:
        raise DataValidationError(
            f"the result was scored with {result.framework!r}, not {framework.key!r}",
            field="framework",
            zh=f"该结果按评测框架 {result.framework} 评分，不是 {framework.key}",
        )
    return framework


def responses_of(result: ScoreResult) -> dict[str, Any]:
    """The responses a :class:`ScoreResult` was scored from (question → answer, scene → level)."""
    out: dict[str, Any] = {}
    for q in result.questions:
        out[q.id] = list(q.answer) if q.kind == "multi" else q.answer
    out.update(result.scenes)
    return out


def _crosswalk_for(fw: Framework) -> Crosswalk | None:
    cw = load_crosswalk()
    return cw if cw.framework == fw.key else None


def _next_row(fw: Framework, level: int) -> LevelRow | None:
    above = [r for r in fw.level_rule.rows if r.level > level]
    return above[0] if above else None


# -- diagnosis ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneDiagnosis:
    """One scene: its level, the texts of this and the next level, and the gap.

    ``required_level`` is the scene level the next overall level's row asks for (``None``
    when there is no next level or it has no scene condition); ``gap`` =
    ``max(required_level - level, 0)``.
    """

    id: str
    name: str
    group: str
    binding: bool
    level: int
    current_text: str
    next_text: str | None
    required_level: int | None
    gap: int
    typical_scenes: tuple[TypicalScene, ...]


@dataclass(frozen=True)
class QuestionDiagnosis(QuestionPoints):
    """One question: points scored, the maximum and the points lost."""

    lost: float


@dataclass(frozen=True, eq=False)
class Diagnosis(Result):
    """Gap diagnosis of one scored response (see :func:`diagnose`)."""

    framework: str
    total: float
    level: int
    level_name: str
    next_level: int | None
    scenes: tuple[SceneDiagnosis, ...]
    questions: tuple[QuestionDiagnosis, ...]
    unmet: tuple[Condition, ...]

    def scene(self, scene_id: str) -> SceneDiagnosis:
        return find_entry(self.scenes, scene_id)

    def question(self, question_id: str) -> QuestionDiagnosis:
        return find_entry(self.questions, question_id)

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("框架", self.framework),
            ("总分", fmt_num(self.total)),
            ("等级", self.level_name),
        ]
        for s in self.scenes:
            nxt = f"；下一级：{s.next_text}" if s.next_text else "（已达最高级）"
            tag = "★" if s.binding else ""
            rows.append((f"{tag}{s.name}", f"{_LEVEL_CN[s.level]}：{s.current_text}{nxt}"))
        for q in self.questions:
            if q.lost > _TOL:
                rows.append(
                    (f"{q.id} {q.title}", f"失分 {fmt_num(q.lost)} / {fmt_num(q.max_points)}")
                )
        notes = tuple(f"下一等级未满足条件：{c.message}" for c in self.unmet)
        return Summary(title=f"差距诊断 {self.framework}", rows=tuple(rows), notes=notes)

    def to_frame(self) -> pd.DataFrame:
        """One row per scene: level, texts, required level, gap, typical scenes."""
        return pd.DataFrame(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "group": s.group,
                    "binding": s.binding,
                    "level": s.level,
                    "current_text": s.current_text,
                    "next_text": s.next_text,
                    "required_level": s.required_level,
                    "gap": s.gap,
                    "typical_scenes": "；".join(map(str, s.typical_scenes)),
                }
                for s in self.scenes
            ]
        )

    def questions_frame(self) -> pd.DataFrame:
        """One row per question: points, maximum and points lost."""
        columns = ("id", "title", "dimension", "points", "max_points", "lost")
        return records_frame(self.questions, columns)


def diagnose(result: ScoreResult, *, framework: Framework | None = None) -> Diagnosis:
    """Per-scene and per-question gaps of a scored response.

    Parameters
    ----------
    result
        From :func:`nqpf.assessment.score`.
    framework
        The framework it was scored with; ``None`` loads the shipped one named by
        ``result.framework``.

    Examples
    --------
    >>> from nqpf.assessment import load_framework, score
    >>> fw = load_framework("sme-digital", "2024")
    >>> answers = {q.id: (35 if q.kind == "number" else [] if q.kind == "multi" else "A")
    ...            for q in fw.questions}
    >>> answers.update({s.id: 2 for s in fw.scenes})
    >>> d = diagnose(score(fw, answers))
    >>> eq = d.scene("scene_equipment")
    >>> eq.current_text, eq.gap
    ('信息化维护计划、点巡检、保养', 0)
    >>> d.question("network").lost
    8.0
    """
    fw = _framework_for(result, framework)
    nxt = _next_row(fw, result.level)
    required = nxt.scene_level if nxt is not None and nxt.has_scene_condition else None
    cw = _crosswalk_for(fw)
    scenes = []
    for s in fw.scenes:
        lv = int(result.scenes[s.id])
        scenes.append(
            SceneDiagnosis(
                s.id,
                s.name,
                s.group,
                s.binding,
                lv,
                s.levels[lv - 1],
                s.levels[lv] if lv < len(s.levels) else None,
                required,
                max((required or 0) - lv, 0),
                cw.scenes.get(s.id, ()) if cw else (),
            )
        )
    questions = tuple(
        QuestionDiagnosis(
            q.id,
            q.title,
            q.dimension,
            q.kind,
            q.answer,
            q.points,
            q.max_points,
            round(q.max_points - q.points, 6),
        )
        for q in result.questions
    )
    return Diagnosis(
        result.framework,
        result.total,
        result.level,
        result.level_name,
        nxt.level if nxt is not None else None,
        tuple(scenes),
        questions,
        result.next_level,
    )


# -- roadmap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One change of the roadmap.

    Attributes
    ----------
    kind
        ``single`` / ``multi`` / ``number`` (a question's answer) or ``scene``.
    id, title
        Question or scene id and its wording / name.
    from_, to
        The answer before and after (option id, tuple of option ids, a number inside the
        new band, or a scene level).
    points_gain, cost
        Points the change adds to the total, and its cost (relative effort units).
    binding
        ``True`` for a 约束性 scene.
    typical_scenes
        The crosswalked 智能制造典型场景 (scene steps and 数字化基础 questions).
    detail
        The change in words.
    """

    kind: str
    id: str
    title: str
    from_: Any
    to: Any
    points_gain: float
    cost: float
    binding: bool = False
    typical_scenes: tuple[TypicalScene, ...] = ()
    detail: str = ""


@dataclass(frozen=True, eq=False)
class Roadmap(Result):
    """The cheapest set of changes that reaches ``target_level`` (see :func:`roadmap`).

    Attributes
    ----------
    framework, current_level, target_level
        Framework key, level now and level aimed at.
    reachable
        ``False`` when no set of answers reaches the target (``message`` says why).
    steps
        The changes, ordered: 约束性 scene steps, then by points per cost (descending).
    total_cost
        Sum of the step costs (the minimum), in ``cost_units``.
    projected
        The response re-scored after applying every step (``None`` when unreachable).
    responses
        The responses after applying every step.
    """

    framework: str
    current_level: int
    target_level: int
    reachable: bool
    steps: tuple[Step, ...]
    total_cost: float
    projected: ScoreResult | None
    responses: Mapping[str, Any] = field(repr=False)
    message: str = ""
    cost_units: str = "相对工作量单位"
    cost_confidence: str = "design"

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("框架", self.framework),
            ("当前等级", _LEVEL_CN.get(self.current_level, str(self.current_level))),
            ("目标等级", _LEVEL_CN.get(self.target_level, str(self.target_level))),
            ("可达", "是" if self.reachable else "否"),
            ("总成本", f"{fmt_num(round(self.total_cost, 6))}（{self.cost_units}）"),
        ]
        for i, s in enumerate(self.steps, 1):
            gain = f"，+{fmt_num(s.points_gain)}分" if s.points_gain else ""
            ts = f"；典型场景 {'、'.join(map(str, s.typical_scenes))}" if s.typical_scenes else ""
            rows.append(
                (f"{i}. {s.title}", f"{s.detail}（成本 {fmt_num(round(s.cost, 6))}{gain}）{ts}")
            )
        if self.projected is not None:
            rows.append(
                ("实施后", f"{fmt_num(self.projected.total)}分，{self.projected.level_name}")
            )
        notes = [self.message] if self.message else []
        notes.append(
            f"成本表可信度：{confidence_zh(self.cost_confidence)}；成本为相对工作量，"
            "非官方报价，请按实际情况替换。"
        )
        return Summary(title=f"提升路线图 {self.framework}", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        """One row per step, in roadmap order."""
        cols = [
            "order", "kind", "id", "title", "from", "to", "points_gain", "cost",
            "binding", "typical_scenes", "detail",
        ]  # fmt: skip
        return pd.DataFrame(
            [
                {
                    "order": i,
                    "kind": s.kind,
                    "id": s.id,
                    "title": s.title,
                    "from": s.from_,
                    "to": s.to,
                    "points_gain": s.points_gain,
                    "cost": s.cost,
                    "binding": s.binding,
                    "typical_scenes": "；".join(map(str, s.typical_scenes)),
                    "detail": s.detail,
                }
                for i, s in enumerate(self.steps, 1)
            ],
            columns=cols,
        )


def _scale(values: list[float]) -> int:
    for s in _SCALES:
        if all(abs(v * s - round(v * s)) < 1e-6 for v in values):
            return s
    raise DataValidationError(  # pragma: no cover - frameworks use short decimals
        "point values need more than 4 decimals; cannot build the exact integer search"
    )


@dataclass(frozen=True)
class _Alt:
    gain: int
    points: float
    cost: float
    step: Step


def _option_move(q: Question, current: str, target: Any) -> str:
    """``选项B→D（…）``, or by labels where option ids are keys, not letters."""
    if len(target.id) == 1:
        return f"选项{current}→{target.id}（{target.label}）"
    now = next((o.label for o in q.options if o.id == current), current)
    return f"选项“{now}”→“{target.label}”"


def _band_value(b: Any) -> float:
    return b.lower if b.lower_closed else (b.lower + b.upper) / 2


def _question_groups(
    fw: Framework, result: ScoreResult, costs: StepCosts, cw: Crosswalk | None
) -> tuple[list[list[_Alt]], int]:
    """Groups of mutually exclusive alternatives, each better than the current answer."""
    pts = [o.points for q in fw.questions for o in q.options]
    pts += [b.points for q in fw.questions for b in q.bands]
    scale = _scale(pts)
    groups: list[list[_Alt]] = []
    for q in fw.questions:
        qs = result.question(q.id)
        ts = cw.for_question(q.id) if cw else ()
        cur = qs.points
        if q.kind == "single":
            base, per = costs._linear(q)
            alts = []
            for o in q.options:
                gain = o.points - cur
                if gain > _TOL:
                    step = Step(
                        "single", q.id, q.title, qs.answer, o.id, round(gain, 6),
                        base + per * gain, False, ts,
                        _option_move(q, qs.answer, o),
                    )  # fmt: skip
                    alts.append(_Alt(round(gain * scale), gain, step.cost, step))
            if alts:
                groups.append(alts)
        elif q.kind == "multi":
            base, per = costs._linear(q)
            chosen = set(qs.answer)
            for o in q.options:
                if o.exclusive or o.id in chosen or o.points <= _TOL:
                    continue
                step = Step(
                    "multi", q.id, q.title, tuple(qs.answer), (o.id,), o.points,
                    base + per * o.points, False, ts, f"增选{o.id}（{o.label}）",
                )  # fmt: skip
                groups.append([_Alt(round(o.points * scale), o.points, step.cost, step)])
        else:
            per_band, per = costs._bands(q)
            i = next(k for k, b in enumerate(q.bands) if b.contains(float(qs.answer)))
            alts = []
            for j, b in enumerate(q.bands):
                gain = b.points - cur
                if gain > _TOL:
                    step = Step(
                        "number", q.id, q.title, qs.answer, _band_value(b), round(gain, 6),
                        per_band * max(j - i, 0) + per * gain, False, ts,
                        f"由{fmt_num(float(qs.answer))}{q.unit}提升到{b.interval(q.unit)}区间",
                    )  # fmt: skip
                    alts.append(_Alt(round(gain * scale), gain, step.cost, step))
            if alts:
                groups.append(alts)
    return groups, scale


def _min_cost_score(groups: list[list[_Alt]], need: int) -> tuple[float, list[_Alt]]:
    """Exact multiple-choice knapsack: least cost of gaining at least ``need`` scaled points."""
    if need <= 0:
        return 0.0, []
    t = np.arange(need + 1)
    dp = np.full(need + 1, np.inf)
    dp[0] = 0.0
    choices = []
    for alts in groups:
        best = dp.copy()
        pick = np.full(need + 1, -1, dtype=np.int16)
        for a_i, a in enumerate(alts):
            cand = dp[np.maximum(t - a.gain, 0)] + a.cost
            better = cand < best - 1e-12
            best = np.where(better, cand, best)
            pick[better] = a_i
        dp = best
        choices.append(pick)
    if not np.isfinite(dp[need]):
        return math.inf, []
    chosen = []
    cur = need
    for alts, pick in zip(reversed(groups), reversed(choices), strict=True):
        a_i = int(pick[cur])
        if a_i >= 0:
            chosen.append(alts[a_i])
            cur = max(cur - alts[a_i].gain, 0)
    return float(dp[need]), chosen


def _min_cost_scenes(
    fw: Framework, result: ScoreResult, row: LevelRow, costs: StepCosts, cw: Crosswalk | None
) -> tuple[float, list[Step], str]:
    if not row.has_scene_condition:
        return 0.0, [], ""
    assert row.scene_level is not None and row.min_scenes is not None
    L = row.scene_level
    levels = {s.id: int(result.scenes[s.id]) for s in fw.scenes}
    at = [s for s in fw.scenes if levels[s.id] >= L]
    n_need = max(row.min_scenes - len(at), 0)
    b_need = max((row.min_binding or 0) - sum(s.binding for s in at), 0)
    cand = [s for s in fw.scenes if levels[s.id] < L]
    n_bind = sum(s.binding for s in cand)
    if n_need > len(cand) or b_need > n_bind:
        return (
            math.inf,
            [],
            f"{row.name}需{row.min_scenes}个场景（其中{row.min_binding or 0}个约束性）达到"
            f"{_LEVEL_CN.get(L, L)}，但框架只有{len(fw.scenes)}个场景",
        )

    def step(s: Any) -> Step:
        lv = levels[s.id]
        return Step(
            "scene", s.id, s.name, lv, L, 0.0, costs.scene_cost(s.binding, lv, L), s.binding,
            cw.scenes.get(s.id, ()) if cw else (),
            f"{_LEVEL_CN[lv]}→{_LEVEL_CN.get(L, L)}：{s.levels[L - 1]}",
        )  # fmt: skip

    steps = [step(s) for s in cand]
    order = sorted(range(len(steps)), key=lambda k: steps[k].cost)  # stable: framework order
    picked = [k for k in order if steps[k].binding][:b_need]
    rest = [k for k in order if k not in picked][: max(n_need - b_need, 0)]
    chosen = [steps[k] for k in picked + rest]
    return sum(s.cost for s in chosen), chosen, ""


def _need_points(fw: Framework, row: LevelRow, total: float, scale: int) -> int:
    diff = row.min_score * scale - round(total * scale)
    if fw.level_rule.score_bound == "min_inclusive":
        return max(math.ceil(diff - 1e-6), 0)
    return max(math.floor(diff + 1e-6) + 1, 0)


def _order_key(s: Step) -> tuple[int, float, float, str]:
    ratio = s.points_gain / s.cost if s.cost > 0 else (math.inf if s.points_gain > 0 else 0.0)
    return (0 if s.kind == "scene" and s.binding else 1, -ratio, s.cost, s.id)


def roadmap(
    result: ScoreResult,
    target_level: int | None = None,
    *,
    costs: StepCosts | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    framework: Framework | None = None,
) -> Roadmap:
    """The exact minimum-cost set of answer changes that reaches ``target_level``.

    Parameters
    ----------
    result
        A scored response (:func:`nqpf.assessment.score`).
    target_level
        The level to reach; ``None`` = the next level.  A target at or below the current
        level gives an empty roadmap.
    costs
        Cost table: ``None`` for nqpf's illustrative default (``data/step_costs.yaml``,
        confidence ``design``), a mapping with the same keys, a YAML path or a
        :class:`StepCosts`.
    framework
        The framework of ``result``; ``None`` loads the shipped one.

    Returns
    -------
    Roadmap
        ``reachable = False`` with a ``message`` when no answers can reach the target.

    Raises
    ------
    DataValidationError
        A target level the rule does not have.
    ConfigError
        A malformed cost table.

    Notes
    -----
    See the module docstring: the score part is an exact multiple-choice knapsack over
    integer points, the scene part an exact greedy choice; the two separate because scene
    levels score no points.

    Examples
    --------
    >>> from nqpf.assessment import load_framework, score
    >>> fw = load_framework("sme-digital", "2024")
    >>> answers = {q.id: (35 if q.kind == "number" else [] if q.kind == "multi" else "A")
    ...            for q in fw.questions}
    >>> answers.update({s.id: 1 for s in fw.scenes})
    >>> r = roadmap(score(fw, answers))
    >>> r.target_level, r.reachable, r.projected.level >= 1
    (1, True, True)
    >>> r.steps[0].kind
    'single'
    """
    fw = _framework_for(result, framework)
    table = load_step_costs(costs)
    rule = fw.level_rule
    responses = responses_of(result)
    current = result.level

    def empty(target: int, message: str) -> Roadmap:
        return Roadmap(
            result.framework, current, target, True, (), 0.0, result,
            MappingProxyType(responses), message, table.units, table.confidence,
        )  # fmt: skip

    if target_level is None:
        nxt = _next_row(fw, current)
        if nxt is None:
            return empty(current, f"已达最高等级（{result.level_name}），无需提升。")
        target_level = nxt.level
    levels = [r.level for r in rule.rows]
    if isinstance(target_level, bool) or not isinstance(target_level, int | np.integer):
        raise DataValidationError(
            f"target_level must be an integer level, got {target_level!r}",
            field="target_level",
            zh=f"目标等级应为整数，收到 {target_level!r}",
        )
    target_level = int(target_level)
    if target_level <= current:
        return empty(target_level, f"当前等级（{result.level_name}）已达到目标等级。")
    if target_level not in levels:
        raise DataValidationError(
            f"the level rule of {fw.key!r} has no level {target_level}; levels: "
            f"{', '.join(map(str, levels))}",
            field="target_level",
            zh=f"评测框架 {fw.key} 的等级规则中没有 {target_level} 级；可选："
            f"{'、'.join(map(str, levels))}",
        )
    row = rule.row(target_level)
    cw = _crosswalk_for(fw)

    groups, scale = _question_groups(fw, result, table, cw)
    need = _need_points(fw, row, result.total, scale)
    q_cost, alts = _min_cost_score(groups, need)
    s_cost, s_steps, s_msg = _min_cost_scenes(fw, result, row, table, cw)
    messages = []
    if not math.isfinite(q_cost):
        op = "≥" if rule.score_bound == "min_inclusive" else ">"
        messages.append(
            f"{row.name}需总分{op}{fmt_num(row.min_score)}，但满分仅{fmt_num(fw.max_total)}"
        )
    if s_msg:
        messages.append(s_msg)
    if messages:
        return Roadmap(
            result.framework, current, target_level, False, (), math.inf, None,
            MappingProxyType(responses), "无法达到目标等级：" + "；".join(messages) + "。",
            table.units, table.confidence,
        )  # fmt: skip

    # merge the options added to one multi-select into one step
    q_steps: dict[str, Step] = {}
    for a in reversed(alts):  # framework order
        s = a.step
        if s.kind == "multi" and s.id in q_steps:
            prev = q_steps[s.id]
            s = Step(
                "multi", s.id, s.title, prev.from_, prev.to + s.to,
                round(prev.points_gain + s.points_gain, 6), prev.cost + s.cost, False,
                s.typical_scenes, f"{prev.detail}；{s.detail}",
            )  # fmt: skip
        q_steps[s.id] = s
    steps = []
    for s in q_steps.values():
        if s.kind == "multi":
            q = fw.question(s.id)
            keep = tuple(o for o in s.from_ if not q.option(o).exclusive)
            to = keep + tuple(sorted(s.to, key=[o.id for o in q.options].index))
            s = Step(
                s.kind, s.id, s.title, s.from_, to, s.points_gain, s.cost, s.binding,
                s.typical_scenes, s.detail,
            )  # fmt: skip
        steps.append(s)
    steps += s_steps
    steps.sort(key=_order_key)
    new = dict(responses)
    for s in steps:
        new[s.id] = list(s.to) if s.kind == "multi" else s.to
    projected = score(fw, new)
    return Roadmap(
        result.framework, current, target_level, True, tuple(steps), q_cost + s_cost,
        projected, MappingProxyType(new), "", table.units, table.confidence,
    )  # fmt: skip
