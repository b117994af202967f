"""优质中小企业梯度培育: 创新型、专精特新、专精特新"小巨人" as versioned rule files.

The rules live in ``frameworks/quality-sme-<version>.yaml`` (data, never code):

``quality-sme-2022``
    《优质中小企业梯度培育管理暂行办法》 (工信部企业〔2022〕63号): 附件1 创新型 (60-point
    scoring with 直通条件 and part sub-thresholds), 附件2 专精特新 (four conditions; the
    100-point score only partly known) and 附件3 "小巨人" (six groups).
``quality-sme-2026``
    《优质中小企业梯度培育管理办法》 (工信部企业〔2026〕2号, from 2026-04-01), confidence
    ``secondary``: the new 专精特新 conditions; 科技和创新型 keeps the 63号 附件1 criteria
    (2号文 第三十条); no 小巨人 conditions are in the reference.

Facts are a mapping of named quantities (keys and units are declared in the file's
``facts`` table, e.g. ``营业收入`` in 万元, ``研发费用占比`` in %).  Unknown keys, wrong types
and out-of-range values raise :class:`~nqpf.exceptions.DataValidationError` naming the key;
a fact that is absent (or ``None``) makes the conditions that need it ``unknown``.

Conditions are evaluated with three-valued logic (``met`` / ``unmet`` / ``unknown``): an
``all`` group fails as soon as one part fails, an ``any`` group passes as soon as one part
passes.  A score whose items are not all known is an interval [lower, upper]; a score
threshold is ``met`` when the lower bound reaches it, ``unmet`` when the upper bound
cannot, else ``unknown``.

Examples
--------
>>> from nqpf.assessment.quality_sme_tiers import assess_innovative
>>> r = assess_innovative({"近三年新增股权融资": 600})
>>> r.passed, r.status
(True, 'met')
>>> r = assess_innovative({"主导产品有效知识产权": "Ⅰ类", "研发费用占比": 3, "主营业务收入增长率": 10,
...     "资产负债率": 50, "主导产品属战略性新兴产业": True, "主营收入占比": 60,
...     "近三年国家级或省级科技奖励": False, "有效高新技术企业等资质": False,
...     "省部级以上研发机构": False, "近三年新增股权融资": 0})
>>> r.score, r.passed
(75.0, True)
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BeforeValidator, Field, model_validator

from nqpf._datafile import (
    Confidence,
    FrozenModel,
    LocatedValueError,
    Note,
    Number,
    Text,
    Version,
    find_entry,
    fmt_num,
    numbers_agree,
    refuse_duplicates,
)
from nqpf.assessment.schema import Points, confidence_zh, parse_rule_model
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "ConditionResult",
    "ItemScore",
    "QualitySmeRules",
    "QualitySmeTierResult",
    "TierResult",
    "assess_innovative",
    "assess_little_giant",
    "assess_specialized",
    "load_quality_sme",
    "rule_version_for",
]

Status = Literal["met", "unmet", "unknown"]
_STATUS_CN = {"met": "满足", "unmet": "不满足", "unknown": "无法判定"}
_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
_OP_CN = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
_TIER_CN = {
    "innovative": "创新型中小企业",
    "specialized": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
}


# -- rule-file models ------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    return _require_num(value)


def _require_num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


Scalar = Annotated[bool | float | str, BeforeValidator(_scalar)]


class FactSpec(FrozenModel):
    """A named quantity the rules read: its kind, unit and admissible range."""

    key: Text
    label: Note = ""
    kind: Literal["number", "integer", "bool", "choice"]
    unit: Note = ""
    min: Number | None = None
    max: Number | None = None
    choices: tuple[Text, ...] = ()
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> FactSpec:
        if self.kind == "choice" and not self.choices:
            raise LocatedValueError("a choice fact needs choices", ("choices",))
        if self.kind != "choice" and self.choices:
            raise LocatedValueError(f"a {self.kind} fact takes no choices", ("choices",))
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise LocatedValueError("expected min < max", ("max",))
        return self

    def describe_range(self) -> str:
        lo = "-∞" if self.min is None else fmt_num(self.min)
        hi = "+∞" if self.max is None else fmt_num(self.max)
        return f"[{lo}, {hi}]{self.unit}"


class Rule(FrozenModel):
    """A condition: a leaf (``fact`` or ``score`` compared with ``value``) or a group.

    ``score`` names a part (``创新能力``) or ``total``; with ``fact`` as well, the fact
    (a score supplied by the user) is used when given, else the computed score.
    """

    id: Note = ""
    group: Note = ""
    text: Note = ""
    fact: Text | None = None
    score: Text | None = None
    op: Literal[">=", ">", "<=", "<", "=="] | None = None
    value: Scalar | None = None
    all: tuple[Rule, ...] | None = None
    any: tuple[Rule, ...] | None = None
    confidence: Confidence | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> Rule:
        kinds = [self.all is not None, self.any is not None, (self.fact or self.score) is not None]
        if sum(kinds) != 1:
            raise LocatedValueError(
                "a condition is exactly one of: a fact/score comparison, 'all' or 'any'",
                ("text",),
            )
        if self.all is not None or self.any is not None:
            if self.op is not None or self.value is not None:
                raise LocatedValueError("a group takes no op/value", ("op",))
            if not (self.all or self.any):
                raise LocatedValueError("a group needs at least one condition", ("all",))
        elif self.op is None or self.value is None:
            raise LocatedValueError("a comparison needs op and value", ("op",))
        return self


class BandSpec(FrozenModel):
    """``ge`` (x ≥ ge) or ``le`` (x ≤ le) or neither (the catch-all last band)."""

    ge: Number | None = None
    le: Number | None = None
    points: Points
    confidence: Confidence | None = None


class ItemSpec(FrozenModel):
    """A scored item: bands over a number, points per choice/bool, or points per counted item."""

    id: Text
    part: Text
    title: Text
    fact: Text
    max_points: Points
    bands: tuple[BandSpec, ...] = ()
    choices: dict[str, Points] | None = None
    per_item: Points | None = None
    confidence: Confidence | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> ItemSpec:
        ways = [bool(self.bands), self.choices is not None, self.per_item is not None]
        if sum(ways) != 1:
            raise LocatedValueError("an item has exactly one of bands, choices, per_item", ("id",))
        if self.bands:
            last = self.bands[-1]
            if last.ge is not None or last.le is not None:
                raise LocatedValueError(
                    "the last band is the catch-all: no ge/le", ("bands", len(self.bands) - 1)
                )
            for i, b in enumerate(self.bands[:-1]):
                if (b.ge is None) == (b.le is None):
                    raise LocatedValueError("a band has exactly one of ge, le", ("bands", i))
            best = max(b.points for b in self.bands)
        elif self.choices is not None:
            best = max(self.choices.values())
        else:
            best = self.max_points
        if not numbers_agree(best, self.max_points):
            raise LocatedValueError(
                f"the best band/choice scores {fmt_num(best)} but max_points is "
                f"{fmt_num(self.max_points)}",
                ("max_points",),
            )
        return self


class MissingItem(FrozenModel):
    """A scored item the reference names without its bands: it cannot be evaluated."""

    part: Text
    title: Text
    max_points: Points
    note: Note = ""


class Part(FrozenModel):
    name: Text
    points: Points


class TierSpec(FrozenModel):
    """One tier: its conditions (combined by ``pass_rule``) and its score table."""

    name: Text
    document: Note = ""
    source: Text
    confidence: Confidence
    pass_rule: Literal["all", "any"]
    conditions: tuple[Rule, ...] = Field(min_length=1)
    total_points: Points | None = None
    parts: tuple[Part, ...] = ()
    items: tuple[ItemSpec, ...] = ()
    missing_items: tuple[MissingItem, ...] = ()
    missing: tuple[Text, ...] = ()
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> TierSpec:
        parts = {p.name: p.points for p in self.parts}
        if self.parts and self.total_points is not None:
            total = sum(parts.values())
            if not numbers_agree(total, self.total_points):
                raise LocatedValueError(
                    f"parts add up to {fmt_num(total)}, total_points is "
                    f"{fmt_num(self.total_points)}",
                    ("total_points",),
                )
        for key, seq in (("items", self.items), ("missing_items", self.missing_items)):
            for i, it in enumerate(seq):
                if it.part not in parts:
                    raise LocatedValueError(
                        f"unknown part {it.part!r}; known: {', '.join(parts)}", (key, i, "part")
                    )
        for j, (name, pts) in enumerate(parts.items()):
            got = sum(it.max_points for it in (*self.items, *self.missing_items) if it.part == name)
            if not numbers_agree(got, pts):
                raise LocatedValueError(
                    f"items of part {name!r} add up to {fmt_num(got)}, part has {fmt_num(pts)}",
                    ("parts", j, "points"),
                )
        return self


class QualitySmeRules(FrozenModel):
    """A versioned 优质中小企业梯度培育 rule file."""

    id: Literal["quality-sme"]
    version: Version
    name: Text
    document: Note = ""
    source: Text
    confidence: Confidence
    effective_from: _dt.date | None = None
    effective_until: _dt.date | None = None
    facts: tuple[FactSpec, ...] = Field(min_length=1)
    tiers: dict[Literal["innovative", "specialized", "little_giant"], TierSpec]
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> QualitySmeRules:
        refuse_duplicates((f.key for f in self.facts), "fact", lambda i: ("facts", i, "key"))
        keys = {f.key: i for i, f in enumerate(self.facts)}
        for tname, tier in self.tiers.items():
            parts = {p.name for p in tier.parts} | {"total"}

            def walk(rule: Rule, loc: tuple[str | int, ...], parts: set[str] = parts) -> None:
                if rule.fact is not None and rule.fact not in keys:
                    raise LocatedValueError(f"unknown fact {rule.fact!r}", (*loc, "fact"))
                if rule.fact is not None and rule.value is not None:
                    kind = self.facts[keys[rule.fact]].kind
                    want = {"bool": bool, "choice": str}.get(kind, float)
                    if type(rule.value) is not want:
                        raise LocatedValueError(
                            f"fact {rule.fact!r} is a {kind}; got value {rule.value!r}",
                            (*loc, "value"),
                        )
                if rule.score is not None and rule.score not in parts:
                    raise LocatedValueError(f"unknown score part {rule.score!r}", (*loc, "score"))
                for k in ("all", "any"):
                    for i, sub in enumerate(getattr(rule, k) or ()):
                        walk(sub, (*loc, k, i))

            for i, rule in enumerate(tier.conditions):
                walk(rule, ("tiers", tname, "conditions", i))
            for i, it in enumerate(tier.items):
                loc = ("tiers", tname, "items", i)
                if it.fact not in keys:
                    raise LocatedValueError(f"unknown fact {it.fact!r}", (*loc, "fact"))
                spec = self.facts[keys[it.fact]]
                if it.choices is not None:
                    want = {"true", "false"} if spec.kind == "bool" else set(spec.choices)
                    if set(it.choices) != want:
                        raise LocatedValueError(
                            f"choices must give points for exactly {sorted(want)} "
                            f"(the values of fact {it.fact!r})",
                            (*loc, "choices"),
                        )
                elif spec.kind not in ("number", "integer"):
                    raise LocatedValueError(
                        f"bands and per_item need a number fact; {it.fact!r} is a {spec.kind}",
                        (*loc, "fact"),
                    )
        return self

    def fact(self, key: str) -> FactSpec:
        return find_entry(self.facts, key, by="key")

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"


_VERSIONS = ("2022", "2026")


@functools.cache
def load_quality_sme(version: str = "2022") -> QualitySmeRules:
    """Load the shipped rule file ``quality-sme-<version>.yaml`` (``"2022"`` or ``"2026"``)."""
    version = str(version)
    if version not in _VERSIONS:
        raise ConfigError(
            f"no quality-sme rules version {version!r}; available: {', '.join(_VERSIONS)}",
            field="version",
            zh=f"没有 {version!r} 版优质中小企业梯度培育规则；可选版本：{'、'.join(_VERSIONS)}",
        )
    name = f"quality-sme-{version}.yaml"
    text = resources.files("nqpf.assessment").joinpath("frameworks", name).read_text("utf-8")
    rules = parse_rule_model(text, QualitySmeRules, filename=name)
    if rules.version != version:
        raise ConfigError(f"file {name} declares version {rules.version!r}", file=name)
    return rules


def rule_version_for(date: _dt.date) -> str:
    """The rule version in force on ``date`` (by each file's ``effective_from``).

    The 2022 file has no start date (the reference gives none), so every date before
    2026-04-01 maps to ``"2022"``.
    """
    chosen = None
    for v in _VERSIONS:
        start = load_quality_sme(v).effective_from
        if start is None or start <= date:
            chosen = v
    if chosen is None:
        raise DataValidationError(
            f"no rules in force on {date.isoformat()}",
            field="date",
            zh=f"{date.isoformat()} 没有生效的规则",
        )
    return chosen


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    """One condition: what it asks, the current value, the requirement and its status."""

    id: str
    group: str
    text: str
    status: Status
    current: str
    required: str
    confidence: str | None = None
    children: tuple[ConditionResult, ...] = ()

    @property
    def met(self) -> bool | None:
        return {"met": True, "unmet": False}.get(self.status)

    def __str__(self) -> str:
        return (
            f"{self.text}：当前 {self.current}，要求 {self.required}（{_STATUS_CN[self.status]}）"
        )

    def walk(self, depth: int = 0):
        yield depth, self
        for c in self.children:
            yield from c.walk(depth + 1)


@dataclass(frozen=True)
class ItemScore:
    """Points of one scored item (``points`` is ``None`` when its fact was not given)."""

    id: str
    part: str
    title: str
    value: Any
    points: float | None
    max_points: float
    evaluable: bool = True
    confidence: str | None = None


@dataclass(frozen=True, eq=False)
class QualitySmeTierResult(Result):
    """Outcome of one tier's assessment.

    Attributes
    ----------
    tier, name, version, confidence
        Which tier (``innovative`` / ``specialized`` / ``little_giant``), its Chinese name,
        the rule version and the confidence of the rules.
    status, passed
        ``met`` / ``unmet`` / ``unknown``; ``passed`` is ``True`` / ``False`` / ``None``.
    conditions
        Every condition (tree) with current value, requirement and status.
    items
        Points per scored item; ``score`` / ``score_max`` the bounds of the total when
        items are unknown (equal when all are known); ``part_scores`` per part.
    complete
        ``False`` when the outcome is undetermined or the tier's score table is only partly
        known; ``not_evaluated`` lists every item and condition that could not be evaluated.
    reasons
        Human-readable reasons for the outcome.
    """

    tier: str
    name: str
    version: str
    confidence: str
    status: Status
    conditions: tuple[ConditionResult, ...]
    items: tuple[ItemScore, ...]
    score: float | None
    score_max: float | None
    part_scores: Mapping[str, tuple[float, float]]
    complete: bool
    not_evaluated: tuple[str, ...]
    reasons: tuple[str, ...]
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool | None:
        return {"met": True, "unmet": False}.get(self.status)

    def summary(self) -> Summary:
        verdict = {"met": "通过", "unmet": "未通过", "unknown": "无法判定"}[self.status]
        rows: list[tuple[str, Any]] = [
            ("层级", self.name),
            ("规则版本", f"{self.version}（{confidence_zh(self.confidence)}）"),
            ("结论", verdict),
        ]
        if self.items:
            total = fmt_num(self.score or 0)
            if self.score_max is not None and not numbers_agree(self.score_max, self.score or 0):
                total += f" – {fmt_num(self.score_max)}"
            rows.append(("得分", total))
            for part, (lo, hi) in self.part_scores.items():
                rows.append(
                    (
                        f"  {part}",
                        fmt_num(lo) if numbers_agree(lo, hi) else f"{fmt_num(lo)} – {fmt_num(hi)}",
                    )
                )
        for depth, c in (p for top in self.conditions for p in top.walk()):
            rows.append(
                (
                    "  " * depth + (c.text or c.id),
                    f"{_STATUS_CN[c.status]}（{c.current} / {c.required}）",
                )
            )
        notes = tuple(self.reasons) + tuple(f"未能评估：{x}" for x in self.not_evaluated)
        return Summary(title=f"{self.name}评价 ({self.version})", rows=tuple(rows), notes=notes)

    def to_frame(self) -> pd.DataFrame:
        """One row per condition (flattened tree) then one row per scored item."""
        rows = []
        for top in self.conditions:
            for depth, c in top.walk():
                rows.append(
                    {
                        "kind": "condition",
                        "id": c.id,
                        "group": c.group,
                        "depth": depth,
                        "text": c.text,
                        "status": c.status,
                        "current": c.current,
                        "required": c.required,
                        "points": None,
                        "max_points": None,
                        "confidence": c.confidence,
                    }
                )
        for it in self.items:
            rows.append(
                {
                    "kind": "item",
                    "id": it.id,
                    "group": it.part,
                    "depth": 0,
                    "text": it.title,
                    "status": "met" if it.points is not None else "unknown",
                    "current": "" if it.value is None else str(it.value),
                    "required": "",
                    "points": it.points,
                    "max_points": it.max_points,
                    "confidence": it.confidence,
                }
            )
        return pd.DataFrame(rows)


# -- evaluation --------------------------------------------------------------------------


def _check_facts(rules: QualitySmeRules, facts: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(facts, Mapping):
        raise DataValidationError(
            f"expected a mapping of facts, got {type(facts).__name__}",
            zh=f"事实应为“名称 → 取值”的映射，收到 {type(facts).__name__}",
        )
    known = {f.key: f for f in rules.facts}
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            hint_cn = f"；是否应为 {close[0]!r}？" if close else ""
            raise DataValidationError(
                f"unknown fact{hint} (rules {rules.key} know: {', '.join(known)})",
                field=str(key),
                zh=f"“{key}”不是规则 {rules.key} 中的事实{hint_cn}",
            )
        if value is not None:
            out[key] = _check_fact(known[key], value)
    return out


def _check_fact(spec: FactSpec, value: Any) -> Any:
    """``value`` of fact ``spec`` (a number as float), or the reason in both languages."""
    key = spec.key

    def bad(message: str, zh: str) -> DataValidationError:
        return DataValidationError(message, field=key, zh=f"“{key}”{zh}")

    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise bad(f"expected true/false, got {value!r}", f"应为是或否，收到 {value!r}")
        return value
    if spec.kind == "choice":
        if value not in spec.choices:
            raise bad(
                f"expected one of {', '.join(spec.choices)}, got {value!r}",
                f"应为以下之一：{'、'.join(spec.choices)}，收到 {value!r}",
            )
        return value
    unit = f"（{spec.unit}）" if spec.unit else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(
            f"expected a number ({spec.unit or 'no unit'}), got {value!r}",
            f"应为数值{unit}，收到 {value!r}",
        )
    value = float(value)
    if not math.isfinite(value):
        raise bad(f"expected a finite number, got {value!r}", f"应为有限数值，收到 {value!r}")
    if spec.kind == "integer" and value != int(value):
        raise bad(f"expected a whole number, got {value!r}", f"应为整数，收到 {value!r}")
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise bad(
            f"{fmt_num(value)} is out of range; expected {spec.describe_range()}",
            f"的数值 {fmt_num(value)} 超出范围 {spec.describe_range()}",
        )
    return value


def _show(value: Any, unit: str = "") -> str:
    if value is None:
        return "未提供"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{fmt_num(value)}{unit}"
    return str(value)


def _score_item(it: ItemSpec, facts: dict[str, Any]) -> ItemScore:
    value = facts.get(it.fact)
    points: float | None = None
    conf = it.confidence
    if value is not None:
        if it.choices is not None:
            key = ("true" if value else "false") if isinstance(value, bool) else str(value)
            points = it.choices.get(key, 0.0)
        elif it.per_item is not None:
            points = min(it.per_item * value, it.max_points)
        else:
            for band in it.bands:
                if (
                    (band.ge is None and band.le is None)
                    or (band.ge is not None and value >= band.ge)
                    or (band.le is not None and value <= band.le)
                ):
                    points = band.points
                    conf = band.confidence or it.confidence
                    break
    return ItemScore(it.id, it.part, it.title, value, points, it.max_points, True, conf)


def _eval(
    rule: Rule,
    rules: QualitySmeRules,
    facts: dict[str, Any],
    bounds: Mapping[str, tuple[float, float]],
) -> ConditionResult:
    conf = rule.confidence
    if rule.all is not None or rule.any is not None:
        subs = tuple(_eval(r, rules, facts, bounds) for r in (rule.all or rule.any or ()))
        states = {c.status for c in subs}
        if rule.all is not None:
            status: Status = (
                "unmet" if "unmet" in states else "unknown" if "unknown" in states else "met"
            )
            joiner = "且"
        else:
            status = "met" if "met" in states else "unknown" if "unknown" in states else "unmet"
            joiner = "或"
        text = rule.text or joiner.join(c.text for c in subs)
        required = "全部满足" if rule.all is not None else "满足其一"
        current = f"{sum(c.status == 'met' for c in subs)}/{len(subs)} 项满足"
        return ConditionResult(rule.id, rule.group, text, status, current, required, conf, subs)
    op, target = rule.op, rule.value
    assert op is not None and target is not None
    unit = ""
    value: Any = None
    if rule.fact is not None:
        spec = rules.fact(rule.fact)
        unit = spec.unit
        value = facts.get(rule.fact)
    if value is not None:
        status = "met" if _OPS[op](value, target) else "unmet"
        current = _show(value, unit)
    elif rule.score is not None:
        lo, hi = bounds[rule.score]
        ok_lo, ok_hi = _OPS[op](lo, target), _OPS[op](hi, target)
        status = "met" if ok_lo and ok_hi else "unmet" if not (ok_lo or ok_hi) else "unknown"
        current = f"{fmt_num(lo)}分" if numbers_agree(lo, hi) else f"{fmt_num(lo)}–{fmt_num(hi)}分"
        unit = "分"
    else:
        status, current = "unknown", "未提供"
    if isinstance(target, bool):
        required = "是" if target else "否"
        text = rule.text or f"{rule.fact}"
    else:
        required = f"{_OP_CN[op]} {_show(target, unit)}"
        name = rule.fact or ("总分" if rule.score == "total" else rule.score)
        text = rule.text or f"{name} {required}"
    return ConditionResult(
        rule.id or (rule.fact or rule.score or ""),
        rule.group,
        text,
        status,
        current,
        required,
        conf,
    )


def _assess(tier_key: str, facts: Mapping[str, Any], version: str) -> QualitySmeTierResult:
    rules = load_quality_sme(version)
    if tier_key not in rules.tiers:
        raise ConfigError(
            f"rules {rules.key} have no {tier_key!r} tier "
            "(the reference does not give its conditions for this version)",
            field=f"tiers.{tier_key}",
            zh=f"规则 {rules.key} 中没有{_TIER_CN.get(tier_key, tier_key)}层级"
            "（参考资料未给出该版本的条件）",
        )
    tier = rules.tiers[tier_key]
    clean = _check_facts(rules, facts)
    items = [_score_item(it, clean) for it in tier.items]
    items += [
        ItemScore(f"missing:{m.title}", m.part, m.title, None, None, m.max_points, False)
        for m in tier.missing_items
    ]
    bounds: dict[str, tuple[float, float]] = {}
    for part in tier.parts:
        lo = sum(i.points or 0.0 for i in items if i.part == part.name)
        hi = sum(
            i.max_points if i.points is None else i.points for i in items if i.part == part.name
        )
        bounds[part.name] = (lo, hi)
    tot = (sum(b[0] for b in bounds.values()), sum(b[1] for b in bounds.values()))
    bounds["total"] = tot
    conds = tuple(_eval(r, rules, clean, bounds) for r in tier.conditions)
    states = {c.status for c in conds}
    if tier.pass_rule == "all":
        status: Status = (
            "unmet" if "unmet" in states else "unknown" if "unknown" in states else "met"
        )
    else:
        status = "met" if "met" in states else "unknown" if "unknown" in states else "unmet"
    not_eval: list[str] = []
    for m in tier.missing_items:
        not_eval.append(
            f"评分项「{m.part}·{m.title}」({fmt_num(m.max_points)}分): {m.note or '参考资料未给出分档'}"
        )
    not_eval += [str(x) for x in tier.missing]
    needed = sorted({i.title for i in items if i.evaluable and i.points is None})
    not_eval += [f"评分项「{t}」: 未提供事实" for t in needed]
    for top in conds:
        for _, c in top.walk():
            if c.status == "unknown" and not c.children:
                not_eval.append(f"条件「{c.text}」: 无法判定（{c.current}）")
    reasons: list[str] = []
    if tier.pass_rule == "any":
        hit = [c for c in conds if c.status == "met"]
        if hit:
            reasons.append("满足：" + "；".join(c.text for c in hit))
        else:
            reasons += [f"未满足：{c.text}" for c in conds if c.status == "unmet"]
            reasons += [f"无法判定：{c.text}" for c in conds if c.status == "unknown"]
    else:
        for c in conds:
            if c.status != "met":
                word = "未满足" if c.status == "unmet" else "无法判定"
                reasons.append(f"{word}：{c.text}（当前 {c.current}，要求 {c.required}）")
        if status == "met":
            reasons.append("全部条件满足")
    has_score = bool(tier.items or tier.missing_items)
    return QualitySmeTierResult(
        tier=tier_key,
        name=tier.name,
        version=rules.version,
        confidence=tier.confidence,
        status=status,
        conditions=conds,
        items=tuple(items),
        score=tot[0] if has_score else None,
        score_max=tot[1] if has_score else None,
        part_scores={p.name: bounds[p.name] for p in tier.parts},
        complete=status != "unknown" and not tier.missing_items and not tier.missing,
        not_evaluated=tuple(not_eval),
        reasons=tuple(reasons),
        source=tier.source,
        notes=(tier.note,) if tier.note else (),
    )


def assess_innovative(facts: Mapping[str, Any], *, version: str = "2022") -> QualitySmeTierResult:
    """创新型中小企业 (63号 附件1; in 2026 科技和创新型, same criteria).

    Passes on any 直通条件, or on a score ≥ 60 with 创新能力 ≥ 20, 成长性 ≥ 15 and
    专业化 ≥ 15 (a value on a band boundary takes the higher band).
    """
    return _assess("innovative", facts, str(version))


def assess_specialized(facts: Mapping[str, Any], *, version: str = "2022") -> QualitySmeTierResult:
    """专精特新中小企业 (2022: 63号 附件2; 2026: 2号文).

    The published score tables are only partly in the reference, so the result is
    ``complete=False`` and ``not_evaluated`` lists the missing items; supply the official
    score as the fact ``专精特新评价得分`` (2022) / ``专精特新发展评价得分`` (2026).
    """
    return _assess("specialized", facts, str(version))


def assess_little_giant(facts: Mapping[str, Any], *, version: str = "2022") -> QualitySmeTierResult:
    """专精特新"小巨人" (63号 附件3): the prerequisite and the six groups 专精特新链品.

    Only ``version="2022"`` has these conditions; 2026 raises :class:`ConfigError`.
    """
    return _assess("little_giant", facts, str(version))


TierResult = QualitySmeTierResult
"""Old name of :class:`QualitySmeTierResult`, kept for existing imports (renamed because
``smart_factory_tiers`` had a result class of the same name)."""
