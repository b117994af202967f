"""One shape for the results of the rule frameworks: what was reached, and why not more.

The engines of :mod:`~nqpf.assessment.cmmm`, :mod:`~nqpf.assessment.smart_factory_tiers`,
:mod:`~nqpf.assessment.quality_sme_tiers` and :mod:`~nqpf.assessment.green_factory` each
return their own result.  A result page, a report, a T0/T1 comparison and a roll-up need
the same few things of all of them, in Chinese: the rank reached on the framework's ladder
(level, tier, eligibility, veto status), each condition with its status, the unmet ones
named, and the steps to the next rank.  :class:`Outcome` holds them; the ``*_outcome``
functions build it from an engine result without changing any number the engine gave.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from nqpf.assessment.cmmm import CMMMResult, load_cmmm_spec
from nqpf.assessment.green_factory import GreenFactoryResult
from nqpf.assessment.quality_sme_tiers import TierResult as QualityResult
from nqpf.assessment.quality_sme_tiers import load_quality_sme
from nqpf.assessment.schema import confidence_zh, fmt_num
from nqpf.assessment.smart_factory_tiers import TierResult, load_tiers

__all__ = [
    "Check",
    "Outcome",
    "OutcomeDelta",
    "cmmm_outcome",
    "compare_outcomes",
    "green_outcome",
    "quality_outcome",
    "tiers_outcome",
]

Status = Literal["met", "unmet", "unknown"]
STATUS_ZH = {"met": "满足", "unmet": "不满足", "unknown": "无法判定"}


@dataclass(frozen=True)
class Check:
    """One condition: its group (tier, level, area), text, status, current and required."""

    group: str
    text: str
    status: Status
    current: str = ""
    required: str = ""

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


@dataclass(frozen=True)
class Outcome:
    """What a rule framework's engine concluded, in one shape.

    Attributes
    ----------
    framework, name
        The framework key (``smart-factory-tiers-2025``) and its Chinese name.
    kind
        ``cmmm``, ``tiers``, ``quality-sme`` or ``green-factory``.
    headline
        The conclusion as a reader says it (``二级 规范级``, ``先进级``, ``专精特新中小企业``,
        ``基本要求已满足``).
    rank, ranks
        The position reached on the ladder ``ranks`` (lowest first); roll-ups count it.
    score, max_score
        The engine's score and its maximum where it has one (CMMM's S on 0–5, the
        创新型 60-point score, the green-factory points), else None.
    parts
        ``(name, value, maximum)`` per part (CMMM level scores, tier conditions met,
        score parts, area points): the radar and the comparison.
    checks
        Every condition with its status.
    unmet, unknown
        The unmet conditions, each named in Chinese; the ones that could not be judged.
    roadmap
        Steps to the next rank (empty at the top).
    notes
        Caveats (sources, assumptions) from the engine.
    """

    framework: str
    name: str
    kind: str
    headline: str
    rank: int
    ranks: tuple[str, ...]
    score: float | None
    max_score: float | None
    parts: tuple[tuple[str, float, float], ...]
    checks: tuple[Check, ...]
    unmet: tuple[str, ...]
    unknown: tuple[str, ...]
    roadmap: tuple[str, ...]
    confidence: str
    notes: tuple[str, ...] = field(default=())

    @property
    def next_rank(self) -> str | None:
        return self.ranks[self.rank + 1] if self.rank + 1 < len(self.ranks) else None

    def summary_json(self) -> dict[str, Any]:
        """The JSON stored with a submitted assessment (lists, roll-ups, comparisons)."""
        return {
            "kind": self.kind,
            "framework": self.framework,
            "outcome": self.headline,
            "rank": self.rank,
            "ranks": list(self.ranks),
            "score": self.score,
            "max_score": self.max_score,
            "parts": [list(p) for p in self.parts],
            "unmet": list(self.unmet),
            "confidence": self.confidence,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(x: float | None, digits: int = 3) -> str:
    return (
        "—" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt_num(round(x, digits))
    )


# ------------------------------------------------------------------------------------ CMMM
def cmmm_outcome(framework: str, name: str, r: CMMMResult) -> Outcome:
    """智能制造能力成熟度: the level of S, the level scores, the next level's unmet items."""
    spec = load_cmmm_spec()
    labels = {v.value: v.label for v in spec.satisfaction.values}
    model = spec.model(r.model_version)
    sub_names = {s.id: s.name for d in model.domains for s in d.sub_domains}
    ranks = tuple(
        "未达一级" if k == 0 else f"{_LEVEL_ZH[k]} {spec.level_name(k)}" for k in range(6)
    )
    threshold = spec.maturity_score.threshold
    checks = [
        Check(
            "等级得分",
            f"{_LEVEL_ZH[k]}得分 A{k} ≥ {fmt_num(threshold)}",
            "unknown" if math.isnan(a) else "met" if a >= threshold - 1e-9 else "unmet",
            _num(a),
            f"≥ {fmt_num(threshold)}",
        )
        for k, a in enumerate(r.level_scores, 1)
    ]
    unmet = []
    steps: dict[str, int] = {}
    for u in r.unmet:
        group = f"{_LEVEL_ZH[u.level]} · {u.domain}/{sub_names.get(u.sub_domain, u.sub_domain)}"
        current = labels.get(u.x, _num(u.x))
        checks.append(Check(group, u.text, "unmet", current, "全部满足"))
        unmet.append(f"{group}：{u.text}（当前 {current}）")
        steps[u.domain] = steps.get(u.domain, 0) + 1
    roadmap = []
    if r.next_level is not None:
        lower = model.bands[r.next_level - 1].lower
        roadmap.append(
            f"成熟度得分 S 由 {_num(r.maturity_score)} 提升到 {fmt_num(lower)} 以上，"
            f"达到{ranks[r.next_level]}"
        )
        roadmap += [
            f"{domain}：将 {n} 项{_LEVEL_ZH[r.next_level]}要求提升到“全部满足”"
            for domain, n in sorted(steps.items(), key=lambda kv: -kv[1])
        ]
    return Outcome(
        framework=framework,
        name=name,
        kind="cmmm",
        headline=ranks[r.level],
        rank=r.level,
        ranks=ranks,
        score=r.maturity_score,
        max_score=5.0,
        parts=tuple(
            (f"{_LEVEL_ZH[k]}", 0.0 if math.isnan(a) else float(a), 1.0)
            for k, a in enumerate(r.level_scores, 1)
        ),
        checks=tuple(checks),
        unmet=tuple(unmet),
        unknown=(),
        roadmap=tuple(roadmap),
        confidence="design" if not r.official else "official",
        notes=r.notes,
    )


_LEVEL_ZH = {0: "零级", 1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


# --------------------------------------------------------------------------------- tiers
def tiers_outcome(framework: str, name: str, r: TierResult) -> Outcome:
    """智能工厂梯度培育: the tier reached, every condition, each unmet one named."""
    rules = load_tiers()
    positions = {p.id: p.name for p in rules.kpi_positions}
    common = {c.id for c in rules.common}
    ranks = ("未达基础级", *(t.name for t in rules.tiers))
    rank = 0 if r.tier is None else ranks.index(r.tier)

    def show(v: Any) -> str:
        if v is None:
            return "未填写"
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, list | tuple):
            return "、".join(map(str, v)) or "无"
        if isinstance(v, float) and 0 <= v <= 1:
            return f"{fmt_num(round(100 * v, 1))}%"
        text = str(v)
        for pid, pname in positions.items():
            text = text.replace(pid, pname)
        return text

    checks, unmet, unknown = [], [], []
    seen: set[str] = set()
    for c in r.conditions:
        group = "基本要求" if c.id in common else c.tier
        if c.id in common and c.id in seen:
            continue
        seen.add(c.id)
        required = show(c.required)
        if c.kind == "min_ai_share":  # the engine's "≥ 0.2" as the form's percentage
            required = f"≥ {fmt_num(100 * float(str(c.required).split()[-1]))}%"
        check = Check(group, c.text, c.status, show(c.current), required)
        checks.append(check)
        line = f"{group}：{c.text}（当前 {check.current}，要求 {check.required}）"
        if c.note and c.status == "unmet":
            line += f"；{c.note}"
        if c.status == "unmet":
            unmet.append(line)
        elif c.status == "unknown":
            unknown.append(f"{group}：{c.text}")
    target = ranks[rank + 1] if rank + 1 < len(ranks) else None
    roadmap = []
    if target is not None:
        todo = [c for c in checks if c.group in (target, "基本要求") and c.status != "met"]
        roadmap = [
            f"{'补齐' if c.status == 'unmet' else '确认'}：{c.text}"
            + (f"（当前 {c.current}，要求 {c.required}）" if c.status == "unmet" else "")
            for c in todo
        ]
    parts = []
    for t in rules.tiers:
        mine = [c for c in r.conditions if c.tier == t.name]
        parts.append((t.name, float(sum(c.status == "met" for c in mine)), float(len(mine))))
    return Outcome(
        framework=framework,
        name=name,
        kind="tiers",
        headline=ranks[rank],
        rank=rank,
        ranks=ranks,
        score=None,
        max_score=None,
        parts=tuple(parts),
        checks=tuple(checks),
        unmet=tuple(unmet),
        unknown=tuple(unknown),
        roadmap=tuple(roadmap),
        confidence=rules.confidence,
        notes=r.notes,
    )


# ---------------------------------------------------------------------------- quality SME
def quality_outcome(
    framework: str, name: str, results: Mapping[str, QualityResult], version: str
) -> Outcome:
    """优质中小企业梯度培育: each tier judged; the highest passed is the headline."""
    rules = load_quality_sme(version)
    tiers = list(results.values())
    passed = [i for i, t in enumerate(tiers) if t.status == "met"]
    rank = passed[-1] + 1 if passed else 0
    ranks = ("均未通过", *(t.name for t in tiers))
    checks, unmet, unknown, parts = [], [], [], []
    for key, t in results.items():
        for top in t.conditions:
            for depth, c in top.walk():
                checks.append(Check(t.name, "　" * depth + (c.text or c.id), c.status,
                                    c.current, c.required))  # fmt: skip
        if t.status != "met":
            unmet += [f"{t.name}：{x.removeprefix('未满足：')}" for x in t.reasons
                      if x.startswith("未满足")]  # fmt: skip
            unknown += [f"{t.name}：{x}" for x in t.not_evaluated]
        maxima = {p.name: p.points for p in rules.tiers[key].parts}  # type: ignore[index]
        parts += [(f"{t.name}·{p}", lo, maxima[p]) for p, (lo, _hi) in t.part_scores.items()]
    target = tiers[rank] if rank < len(tiers) else None
    roadmap = () if target is None else tuple(f"{target.name}：{x}" for x in target.reasons)
    first = tiers[0]
    notes = [f"{t.name}：{confidence_zh(t.confidence)}；来源 {t.source}" for t in tiers]
    notes += [n for t in tiers for n in t.notes]
    return Outcome(
        framework=framework,
        name=name,
        kind="quality-sme",
        headline=ranks[rank],
        rank=rank,
        ranks=ranks,
        score=first.score,
        max_score=float(rules.tiers["innovative"].total_points or 0) or None,
        parts=tuple(parts),
        checks=tuple(checks),
        unmet=tuple(unmet),
        unknown=tuple(unknown),
        roadmap=roadmap,
        confidence=rules.confidence,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------- green factory
GREEN_RANKS = ("不达标", "基本要求待确认", "基本要求已满足")


def green_outcome(framework: str, name: str, r: GreenFactoryResult) -> Outcome:
    """绿色工厂: the veto status, points per indicator and area, where points are lost."""
    checks = [Check("基本要求", q.text, q.status, _yes(q.status), "是") for q in r.requirements]
    lost = []
    for s in r.indicators:
        if s.method == "missing":
            status: Status = "unknown"
            current = "未填写"
        else:
            status = "met" if s.fraction >= 1 - 1e-9 else "unmet"
            current = f"{_num(s.value)}（{_num(s.points)} / {_num(s.max_points)} 分）"
        if s.leading is not None:
            required = f"引领值 {_num(s.leading)}"
        else:  # judged indicators (no benchmark) aim at a share of 1
            required = "评判比例 1" if s.direction is None else "引领值（待填写）"
        checks.append(Check(s.area, s.name, status, current, required))
        if s.method != "missing" and s.points < s.max_points - 1e-9:
            lost.append((s.max_points - s.points, s, required))
    lost.sort(key=lambda t: -t[0])
    unmet = [f"否决项：{v}" for v in r.vetoes]
    unmet += [f"{s.area}：{s.name} 未达{req}（得 {_num(s.points)} / {_num(s.max_points)} 分）"
              for _, s, req in lost]  # fmt: skip
    unknown = [f"基本要求：{q.text}" for q in r.requirements if q.status == "unknown"]
    unknown += [f"未填写：{s.area} · {s.name}" for s in r.indicators if s.method == "missing"]
    roadmap = [f"消除否决项：{v}" for v in r.vetoes]
    roadmap += [f"{s.name}：提升到{req}（可增 {_num(gain)} 分）" for gain, s, req in lost]
    return Outcome(
        framework=framework,
        name=name,
        kind="green-factory",
        headline=r.status,
        rank=GREEN_RANKS.index(r.status),
        ranks=GREEN_RANKS,
        score=r.total,
        max_score=r.max_total,
        parts=tuple((a, p, m) for a, (p, m) in r.area_points.items()),
        checks=tuple(checks),
        unmet=tuple(unmet),
        unknown=tuple(unknown),
        roadmap=tuple(roadmap),
        confidence="secondary",
        notes=(f"权重来源：{r.weights_source}", *r.notes),
    )


def _yes(status: str) -> str:
    return {"met": "是", "unmet": "否"}.get(status, "未填写")


def rank_counts(summaries: Sequence[Mapping[str, Any]], ranks: Sequence[str]) -> list[int]:
    """How many stored summaries reached each rank (a roll-up's distribution)."""
    counts = [0] * len(ranks)
    for s in summaries:
        k = s.get("rank")
        if isinstance(k, int) and 0 <= k < len(ranks):
            counts[k] += 1
    return counts


@dataclass(frozen=True)
class OutcomeDelta:
    """Two outcomes of one framework side by side (T0 → T1).

    ``parts`` pairs the parts both have: ``(name, a, b, maximum of b)``; ``changes`` lists
    the conditions whose status differs: ``(group, text, status in a, status in b)``
    (``未列出`` where one outcome does not list the condition, e.g. a CMMM requirement of a
    level that is no longer the next one).
    """

    rank_change: int
    score_change: float | None
    parts: tuple[tuple[str, float, float, float], ...]
    changes: tuple[tuple[str, str, str, str], ...]


def compare_outcomes(a: Outcome, b: Outcome) -> OutcomeDelta:
    """What changed from outcome ``a`` to outcome ``b`` (b − a)."""
    by_name = {name: (value, top) for name, value, top in b.parts}
    parts = tuple((n, x, *by_name[n]) for n, x, _ in a.parts if n in by_name)
    status_a = {(c.group, c.text): c.status_zh for c in a.checks}
    status_b = {(c.group, c.text): c.status_zh for c in b.checks}
    changes = tuple(
        (group, text, status_a.get((group, text), "未列出"), status_b.get((group, text), "未列出"))
        for group, text in dict.fromkeys([*status_a, *status_b])
        if status_a.get((group, text)) != status_b.get((group, text))
    )
    both = a.score is not None and b.score is not None
    return OutcomeDelta(
        rank_change=b.rank - a.rank,
        score_change=round(b.score - a.score, 9) if both else None,  # type: ignore[operator]
        parts=parts,
        changes=changes,
    )
