"""One enterprise's T1 re-assessment against its T0 (点): paired deltas and closed conditions.

:func:`compare` takes two :class:`~nqpf.assessment.ScoreResult` of one framework (the
baseline T0 and the re-assessment T1) and returns the change per dimension, question and
scene, the level change, and which of the conditions that kept the enterprise below the
next level at T0 are met at T1.  Nothing is estimated here: every number is a difference
of two scores the framework's rule gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf._datafile import fmt_num
from nqpf.assessment.schema import Framework
from nqpf.assessment.scoring import Condition, ScoreResult
from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.results import Result, Summary, pick_table

__all__ = ["ComparisonResult", "compare"]

_LEVELS = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def _signed(x: float) -> str:
    return f"+{fmt_num(x)}" if x > 0 else fmt_num(x)


def _change_zh(delta: float) -> str:
    return "提升" if delta > 1e-9 else "下降" if delta < -1e-9 else "不变"


def _answer_text(answer: Any, question: Any = None) -> Any:
    """An answer as a reader names it: official option letters as they are, options whose
    id is a key by their label (as the scoring reasons name them), several joined by |."""
    if answer is None or (question is not None and question.kind == "number"):
        return answer
    labels = {o.id: o.label for o in question.options} if question is not None else {}
    chosen = answer if isinstance(answer, tuple | list) else [answer]
    names = [str(a) if len(str(a)) == 1 else labels.get(a, str(a)) for a in chosen]
    return "|".join(names) if isinstance(answer, tuple | list) else names[0]


@dataclass(frozen=True, eq=False)
class ComparisonResult(Result):
    """T0 → T1 comparison of one enterprise's assessments (framework rule, same version).

    Attributes
    ----------
    framework
        ``id-version`` of the framework both results were scored with.
    total_t0, total_t1, max_total
        Total points at T0 and T1 and the maximum.
    level_t0, level_t1, level_name_t0, level_name_t1
        Level reached (0 = 未达一级) and its name at each wave.
    dimensions
        One row per scored dimension: ``dimension``, ``max_points``, ``t0``, ``t1``,
        ``delta`` and ``delta_pct_of_max`` (the change as a share of the dimension's
        maximum, in percent).
    questions
        One row per question: ``id``, ``number`` (the framework's 题号, None when it has
        none), ``title``, ``dimension``, ``answer_t0``, ``answer_t1`` (options whose id is
        a key by their label), ``points_t0``, ``points_t1``, ``delta``, ``max_points``,
        ``change`` (提升 / 下降 / 不变).
    scenes
        One row per scene: ``id``, ``name``, ``binding``, ``level_t0``, ``level_t1``,
        ``delta``.
    conditions
        The conditions of the next level that were unmet at T0, one row each:
        ``level``, ``level_name``, ``kind``, ``label``, ``required``, ``current_t0``,
        ``current_t1``, ``closed`` (met at T1) and ``message`` (as it reads at T1).
    remaining
        The unmet conditions of the next level at T1 (empty at the top level).
    """

    framework: str
    total_t0: float
    total_t1: float
    max_total: float
    level_t0: int
    level_t1: int
    level_name_t0: str
    level_name_t1: str
    dimensions: pd.DataFrame = field(repr=False)
    questions: pd.DataFrame = field(repr=False)
    scenes: pd.DataFrame = field(repr=False)
    conditions: pd.DataFrame = field(repr=False)
    remaining: tuple[Condition, ...] = ()

    @property
    def delta_total(self) -> float:
        """Total points T1 − T0."""
        return round(self.total_t1 - self.total_t0, 6)

    @property
    def level_change(self) -> int:
        """Levels gained (negative when the enterprise fell back)."""
        return self.level_t1 - self.level_t0

    @property
    def closed(self) -> tuple[str, ...]:
        """Messages (at T1) of the T0 next-level conditions that T1 meets."""
        rows = self.conditions[self.conditions["closed"]]
        return tuple(rows["message"])

    def summary(self) -> Summary:
        change = self.level_change
        level_text = (
            f"{self.level_name_t0} → {self.level_name_t1}"
            f"（{'提升' if change > 0 else '下降' if change < 0 else '不变'}"
            f"{abs(change) if change else ''}{'级' if change else ''}）"
        )
        rows: list[tuple[str, Any]] = [
            ("框架", self.framework),
            (
                "总分 T0 → T1",
                f"{fmt_num(self.total_t0)} → {fmt_num(self.total_t1)}（{_signed(self.delta_total)}）",
            ),
            ("等级 T0 → T1", level_text),
        ]
        for r in self.dimensions.itertuples(index=False):
            rows.append(
                (
                    f"维度 {r.dimension}",
                    f"{fmt_num(r.t0)} → {fmt_num(r.t1)}（{_signed(r.delta)}）",
                )
            )
        q = self.questions["change"].value_counts()
        rows.append(
            ("题目 提升/下降/不变", f"{q.get('提升', 0)}/{q.get('下降', 0)}/{q.get('不变', 0)}")
        )
        if len(self.scenes):
            d = self.scenes["delta"]
            rows.append(
                (
                    "场景等级 提升/下降/不变",
                    f"{int((d > 0).sum())}/{int((d < 0).sum())}/{int((d == 0).sum())}",
                )
            )
        notes = [f"T0 时的未满足条件，T1 已达成：{m}" for m in self.closed]
        still = self.conditions[~self.conditions["closed"]]
        notes += [f"T0 时的未满足条件，T1 仍未达成：{m}" for m in still["message"]]
        if self.level_t1 > self.level_t0 or not len(self.conditions):
            notes += [f"T1 下一等级未满足条件：{c.message}" for c in self.remaining]
        return Summary(title=f"评测前后对比 {self.framework}", rows=tuple(rows), notes=tuple(notes))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The named tables: ``dimensions``, ``questions``, ``scenes``, ``conditions``."""
        return {
            "dimensions": self.dimensions,
            "questions": self.questions,
            "scenes": self.scenes,
            "conditions": self.conditions,
        }

    def to_frame(self, table: str = "dimensions") -> pd.DataFrame:
        """One of :meth:`tables` (default ``dimensions``), or ``"all"`` stacked."""
        return pick_table(self.tables(), table)


def _framework_of(key: str) -> Framework | None:
    """The shipped framework of a result (for scene names and dimension maxima), or None."""
    from nqpf.assessment import load_framework

    try:
        return load_framework(key)
    except NqpfError:
        return None


def _check(result: Any, name: str) -> ScoreResult:
    if not isinstance(result, ScoreResult):
        raise DataValidationError(
            f"{name} must be a ScoreResult (nqpf.assessment.score), got {type(result).__name__}",
            field=name,
            zh=f"{name} 应为评测结果（ScoreResult），收到 {type(result).__name__}",
        )
    return result


def compare(
    t0: ScoreResult, t1: ScoreResult, *, framework: Framework | None = None
) -> ComparisonResult:
    """Paired comparison of an enterprise's T1 re-assessment with its T0 baseline.

    Parameters
    ----------
    t0, t1
        Scores of the two waves (:func:`nqpf.assessment.score`), of the same framework
        id and version so that every question and scene is paired.
    framework
        The framework (for scene names and dimension maxima); default the shipped
        framework named by the results (question maxima are summed when none is found).

    Returns
    -------
    ComparisonResult

    Raises
    ------
    DataValidationError
        A result that is not a ScoreResult, or two results of different frameworks or
        versions (their questions cannot be paired).

    Notes
    -----
    ``delta = T1 − T0`` for every total, dimension, question and scene level.  A T0
    condition is *closed* when the same condition (same level and kind: score, scene
    count or 约束性 scene count) is met at T1; when T1 reached a higher level, every
    condition of the level passed is met.  Differences of self-assessed scores carry
    regression to the mean and self-report inflation (loop.md §6): the programme-level
    estimate of :func:`nqpf.evaluation.did` compares with enterprises not (yet) served.

    Examples
    --------
    >>> from nqpf.assessment import load_framework, score
    >>> fw = load_framework("sme-digital", "2024")
    >>> def answers(number, choice, scene):
    ...     a = {q.id: (number if q.kind == "number" else [] if q.kind == "multi" else choice)
    ...          for q in fw.questions}
    ...     a.update({s.id: scene for s in fw.scenes})
    ...     return a
    >>> r = compare(score(fw, answers(35, "A", 1)), score(fw, answers(65, "B", 2)))
    >>> r.total_t0, r.total_t1, r.delta_total
    (9.75, 33.5, 23.75)
    >>> r.level_name_t0, r.level_name_t1, r.closed
    ('未达一级', '一级', ('一级：总分需≥20，当前33.5（已满足）',))
    >>> r.to_frame()[["dimension", "t0", "t1", "delta"]].values.tolist()[0]
    ['数字化基础', 6.0, 14.5, 8.5]
    """
    t0, t1 = _check(t0, "t0"), _check(t1, "t1")
    if t0.framework != t1.framework:
        raise DataValidationError(
            f"T0 was scored with {t0.framework!r} and T1 with {t1.framework!r}; "
            "only results of one framework version can be paired question by question",
            field="t1",
            zh=f"T0 使用评测框架 {t0.framework}、T1 使用 {t1.framework}：只能逐题对比同一框架同一版本的两次评测",
        )
    fw = framework if framework is not None else _framework_of(t0.framework)
    questions = _questions(t0, t1, fw)
    return ComparisonResult(
        framework=t0.framework,
        total_t0=t0.total,
        total_t1=t1.total,
        max_total=t0.max_total,
        level_t0=t0.level,
        level_t1=t1.level,
        level_name_t0=t0.level_name,
        level_name_t1=t1.level_name,
        dimensions=_dimensions(t0, t1, fw, questions),
        questions=questions,
        scenes=_scenes(t0, t1, fw),
        conditions=_conditions(t0, t1),
        remaining=tuple(t1.next_level),
    )


def _questions(t0: ScoreResult, t1: ScoreResult, fw: Framework | None) -> pd.DataFrame:
    after = {q.id: q for q in t1.questions}
    asked = {q.id: q for q in fw.questions} if fw is not None else {}
    rows = []
    for q in t0.questions:
        q1 = after.get(q.id)
        if q1 is None:  # pragma: no cover - same framework key → same questions
            raise DataValidationError(f"question {q.id!r} is missing at T1", field=q.id)
        delta = round(q1.points - q.points, 6)
        rows.append(
            {
                "id": q.id,
                "title": q.title,
                "dimension": q.dimension,
                "number": getattr(asked.get(q.id), "number", None),
                "answer_t0": _answer_text(q.answer, asked.get(q.id)),
                "answer_t1": _answer_text(q1.answer, asked.get(q.id)),
                "points_t0": q.points,
                "points_t1": q1.points,
                "delta": delta,
                "max_points": q.max_points,
                "change": _change_zh(delta),
            }
        )
    columns = [
        "id", "number", "title", "dimension", "answer_t0", "answer_t1",
        "points_t0", "points_t1", "delta", "max_points", "change",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _dimensions(
    t0: ScoreResult, t1: ScoreResult, fw: Framework | None, questions: pd.DataFrame
) -> pd.DataFrame:
    maxima = questions.groupby("dimension", sort=False)["max_points"].sum().to_dict()
    if fw is not None:
        maxima.update({d.name: d.points for d in fw.scored_dimensions if d.points is not None})
    rows = []
    for name, p0 in t0.dimensions.items():
        p1 = t1.dimensions.get(name, np.nan)
        top = maxima.get(name, np.nan)
        delta = round(p1 - p0, 6)
        rows.append(
            {
                "dimension": name,
                "max_points": top,
                "t0": p0,
                "t1": p1,
                "delta": delta,
                "delta_pct_of_max": round(100 * delta / top, 6) if top else np.nan,
            }
        )
    columns = ["dimension", "max_points", "t0", "t1", "delta", "delta_pct_of_max"]
    return pd.DataFrame(rows, columns=columns)


def _scenes(t0: ScoreResult, t1: ScoreResult, fw: Framework | None) -> pd.DataFrame:
    meta = {s.id: s for s in fw.scenes} if fw is not None else {}
    rows = []
    for sid, lv0 in t0.scenes.items():
        lv1 = t1.scenes.get(sid)
        s = meta.get(sid)
        rows.append(
            {
                "id": sid,
                "name": s.name if s is not None else sid,
                "binding": bool(s.binding) if s is not None else None,
                "level_t0": int(lv0),
                "level_t1": None if lv1 is None else int(lv1),
                "delta": None if lv1 is None else int(lv1) - int(lv0),
            }
        )
    return pd.DataFrame(rows, columns=["id", "name", "binding", "level_t0", "level_t1", "delta"])


def _conditions(t0: ScoreResult, t1: ScoreResult) -> pd.DataFrame:
    at_t1 = {(c.level, c.kind): c for c in t1.conditions}
    rows = []
    for c in t0.next_level:
        c1 = at_t1.get((c.level, c.kind))
        rows.append(
            {
                "level": c.level,
                "level_name": c.level_name,
                "kind": c.kind,
                "label": c.label,
                "required": c.required,
                "current_t0": c.current,
                "current_t1": None if c1 is None else c1.current,
                "closed": bool(c1 is not None and c1.met),
                "message": c.message if c1 is None else c1.message,
            }
        )
    columns = [
        "level", "level_name", "kind", "label", "required",
        "current_t0", "current_t1", "closed", "message",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["closed"] = frame["closed"].astype(bool)
    return frame
