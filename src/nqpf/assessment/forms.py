"""Fillable forms of the rule frameworks, generated from their data files.

The rule frameworks (智能制造能力成熟度 self-check, 智能工厂梯度培育 tiers, 优质中小企业梯度培育
2022/2026 and 绿色工厂 GB/T 36132-2025) take facts, not a questionnaire.  This module
turns each rule file into a form — one :class:`RuleField` per fact, with its kind, unit,
range and options as the file declares them — checks answers one at a time as they are
autosaved, derives what can be derived (a rate from the two amounts entered), refuses
contradictory answers (a part larger than its whole), and hands the answers to the same
engine as the library (:func:`score_form`), whose result it summarises as an
:class:`~nqpf.assessment.outcomes.Outcome`.

Every problem is a :class:`~nqpf.exceptions.DataValidationError` whose ``field`` is the
answer's key, with the reason in English and in Chinese (``reason_zh`` names the field as
the form shows it: ``“营业收入”应为不小于 0 的数值（万元），收到 -5``).

Conventions (each a documented default)
---------------------------------------
* CMMM: the 2020 model gives no weights, so groups without weights are shared equally
  (``fill="equal"`` of :func:`~nqpf.assessment.cmmm.score_cmmm`; the result says so).
* Rates are ``part / whole × 100`` (%), the smart-factory AI-scene share included
  (the engine's fraction is the percentage / 100).
* A green-factory indicator answered 不涉及 is not assessed (it carries no points); with
  the Table C.1 example points the others keep theirs.

Examples
--------
>>> form = rule_forms()["quality-sme-2022"]
>>> derived(form, {"上年度研发费用": 300, "营业收入": 6000})
{'研发费用占比': 5.0}
>>> try:
...     check_answers(form, {"上年度研发费用": 7000, "营业收入": 6000})
... except DataValidationError as exc:
...     print(exc.field, exc.reason_zh)
上年度研发费用 “上年度研发费用总额”（7000万元）不能大于“上年度营业收入”（6000万元）
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from nqpf._suggest import close_matches
from nqpf.assessment.answers import MAX_FORM_NUMBER, _number, _show
from nqpf.assessment.cmmm import CMMMItemSet, load_cmmm, load_cmmm_spec, score_cmmm
from nqpf.assessment.green_factory import EXAMPLE_PRESET, load_green_factory, score_green_factory
from nqpf.assessment.outcomes import (
    Outcome,
    cmmm_outcome,
    green_outcome,
    quality_outcome,
    tiers_outcome,
)
from nqpf.assessment.quality_sme_tiers import (
    assess_innovative,
    assess_little_giant,
    assess_specialized,
    load_quality_sme,
)
from nqpf.assessment.schema import fmt_num
from nqpf.assessment.smart_factory_tiers import assess_tier, load_tiers
from nqpf.exceptions import DataValidationError

__all__ = [
    "NOT_APPLICABLE",
    "Ratio",
    "RuleField",
    "RuleForm",
    "answered",
    "check_answers",
    "derived",
    "effective_answers",
    "engine_input",
    "normalize_form_answer",
    "normalize_form_answers",
    "rule_forms",
    "score_form",
]

FieldKind = Literal["choice", "multi", "bool", "number", "integer"]
#: The answer of a field the framework lets a factory mark as not applying to it.
NOT_APPLICABLE = "不涉及"
_TRUE = ("true", "是", "1", "yes")
_FALSE = ("false", "否", "0", "no")


@dataclass(frozen=True)
class RuleField:
    """One field of a rule framework's form.

    ``options`` are ``(stored value, label)`` pairs of a choice or multi field; ``na``
    the answers meaning "does not apply" that the framework accepts; ``aux`` marks an
    input that only feeds a derivation (not a fact of the engine); ``level`` is a CMMM
    requirement's level (the form fills a whole level at once).
    """

    id: str
    label: str
    section: str
    kind: FieldKind
    unit: str = ""
    min: float | None = None
    max: float | None = None
    options: tuple[tuple[str, str], ...] = ()
    na: tuple[str, ...] = ()
    help: str = ""
    aux: bool = False
    level: int | None = None

    @property
    def range_text(self) -> str:
        lo = "" if self.min is None else fmt_num(self.min)
        hi = "" if self.max is None else fmt_num(self.max)
        if not hi:
            return f"≥ {lo}" if lo else ""
        return f"≤ {hi}" if not lo else f"{lo}–{hi}"


@dataclass(frozen=True)
class Ratio:
    """``target = part / whole × scale``: a rate derived from two amounts entered."""

    target: str
    part: str
    whole: str
    scale: float = 100.0


@dataclass(frozen=True)
class RuleForm:
    """The form of one rule framework (``key`` = ``id-version``, as stored)."""

    id: str
    version: str
    name: str
    kind: Literal["cmmm", "tiers", "quality-sme", "green-factory"]
    source: str
    confidence: str
    fields: tuple[RuleField, ...]
    ratios: tuple[Ratio, ...] = ()
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"

    def field(self, key: str) -> RuleField:
        for f in self.fields:
            if f.id == key:
                return f
        raise KeyError(key)

    @property
    def sections(self) -> list[tuple[str, list[RuleField]]]:
        out: dict[str, list[RuleField]] = {}
        for f in self.fields:
            out.setdefault(f.section, []).append(f)
        return list(out.items())

    @property
    def counted(self) -> tuple[RuleField, ...]:
        """The fields progress counts: every fact (auxiliary amounts are optional)."""
        return tuple(f for f in self.fields if not f.aux)

    def ratio_for(self, target: str) -> Ratio | None:
        return next((r for r in self.ratios if r.target == target), None)


# ----------------------------------------------------------------------------- the forms
@functools.cache
def rule_forms() -> dict[str, RuleForm]:
    """The forms of the shipped rule frameworks, by key (``smart-factory-tiers-2025``)."""
    forms = [_cmmm_form(), _tiers_form(), _quality_form("2022"), _quality_form("2026")]
    forms.append(_green_form())
    return {f.key: f for f in forms}


_SATISFACTION_HELP = "全部满足 1、大部分满足 0.8、部分满足 0.5、不满足 0"


@functools.cache
def _cmmm_items(item_set: str) -> CMMMItemSet:
    """A shipped CMMM item set, parsed once (each score of a form reuses it)."""
    return load_cmmm(item_set)


def _cmmm_form() -> RuleForm:
    items = _cmmm_items("cmmm-selfcheck")
    spec = load_cmmm_spec()
    model = spec.model(items.model.version)
    names = {s.id: (d.name, s.name) for d in model.domains for s in d.sub_domains}
    options = tuple((v.label, v.label) for v in spec.satisfaction.values)
    fields = tuple(
        RuleField(
            id=it.id,
            label=it.text,
            section=_section(*names[it.sub_domain]),
            kind="choice",
            options=options,
            help=f"{it.level}级 · {spec.level_name(it.level)}",
            level=it.level,
        )
        for it in sorted(items.items, key=lambda i: (_order(model, i.sub_domain), i.level))
    )
    return RuleForm(
        id=items.id,
        version=items.version,
        name=f"{items.name}（GB/T 39116/39117）",
        kind="cmmm",
        source=items.source,
        confidence=items.confidence,
        fields=fields,
        note="每项按满足程度作答（" + _SATISFACTION_HELP + "）；参考资料未给出 2020 版权重，"
        "各组按等分计。本要求集非官方，仅供自查。",
    )


def _section(domain: str, sub_domain: str) -> str:
    return sub_domain if sub_domain == domain else f"{domain} · {sub_domain}"


def _order(model: Any, sub_domain: str) -> int:
    return model.sub_domain_ids.index(sub_domain)


def _maturity_options() -> tuple[tuple[str, str], ...]:
    """Levels 0–5 of GB/T 39116 with their names from the CMMM model file."""
    spec = load_cmmm_spec()
    numerals = "一二三四五"
    levels = [(str(lv.level), f"{numerals[lv.level - 1]}级（{lv.name}）") for lv in spec.levels]
    return (("0", "未达一级"), *levels)


def _tiers_form() -> RuleForm:
    rules = load_tiers()
    basics = "梯度条件：成熟度、环节与成效"
    fields = [
        RuleField(
            "maturity_level",
            "智能制造能力成熟度等级（GB/T 39116 评估结果）",
            basics,
            "choice",
            options=_maturity_options(),
        ),
        RuleField(
            "links",
            "已覆盖的建设环节",
            basics,
            "multi",
            options=tuple((x, x) for x in rules.links),
        ),
        RuleField(
            "kpi_position",
            "主要技术经济指标（成效）水平",
            basics,
            "choice",
            options=tuple((p.id, p.name) for p in rules.kpi_positions),
        ),
        RuleField(
            "n_scenes",
            "已建典型场景数",
            basics,
            "integer",
            unit="个",
            min=0,
            max=rules.n_scenes,
            aux=True,
        ),
        RuleField(
            "n_ai_scenes",
            "其中应用人工智能的场景数",
            basics,
            "integer",
            unit="个",
            min=0,
            max=rules.n_scenes,
            aux=True,
        ),
        RuleField(
            "ai_scene_share",
            "人工智能场景占比",
            basics,
            "number",
            unit="%",
            min=0,
            max=100,
            help="由两项场景数自动计算；未填场景数时可直接填写",
        ),
    ]
    fields += [_flag(c.id, c.text, "基本要求（各层级共同）") for c in rules.common]
    for t in rules.tiers:
        section = f"{t.name}要素条件" + (f"（{t.focus}）" if t.focus else "")
        fields += [_flag(c.id, c.text, section) for c in t.conditions if c.kind == "flag"]
    return RuleForm(
        id=rules.id,
        version=rules.version,
        name=rules.name,
        kind="tiers",
        source=rules.source,
        confidence=rules.confidence,
        fields=tuple(fields),
        ratios=(Ratio("ai_scene_share", "n_ai_scenes", "n_scenes"),),
        note="未填写的条件记为“无法判定”，不会被当作满足；层级须逐级满足（基础级 → 领航级）。",
    )


def _flag(id: str, text: str, section: str) -> RuleField:
    return RuleField(id, text, section, "bool")


_TIER_ORDER = ("innovative", "specialized", "little_giant")


def _quality_form(version: str) -> RuleForm:
    rules = load_quality_sme(version)
    section_of: dict[str, str] = {}
    for key in _TIER_ORDER:
        tier = rules.tiers.get(key)
        if tier is None:
            continue
        used = [f for r in tier.conditions for f in _facts_of(r)] + [i.fact for i in tier.items]
        for fact in used:
            section_of.setdefault(fact, tier.name)
    fields = []
    for f in rules.facts:
        fields.append(
            RuleField(
                id=f.key,
                label=f.label or f.key,
                section=section_of.get(f.key, "其他"),
                kind=f.kind,
                unit=f.unit,
                min=f.min,
                max=f.max,
                options=tuple((c, c) for c in f.choices),
            )
        )
    keys = {f.key for f in rules.facts}
    if "上年度研发费用" not in keys:  # 2026 has the rate only: ask the amount to derive it
        section = section_of.get("研发费用占比", "其他")
        at = next(i for i, f in enumerate(fields) if f.id == "研发费用占比")
        fields.insert(
            at,
            RuleField(
                "上年度研发费用", "上年度研发费用总额", section, "number", "万元", 0, aux=True
            ),
        )
    return RuleForm(
        id=rules.id,
        version=rules.version,
        name=rules.name,
        kind="quality-sme",
        source=rules.source,
        confidence=rules.confidence,
        fields=tuple(fields),
        ratios=(Ratio("研发费用占比", "上年度研发费用", "营业收入"),),
        note="各层级分别判定；未填写的事实记为“无法判定”。"
        + (rules.document and f"依据：{rules.document}。"),
    )


def _facts_of(rule: Any) -> list[str]:
    out = [rule.fact] if rule.fact else []
    for sub in (*(rule.all or ()), *(rule.any or ())):
        out += _facts_of(sub)
    return out


#: Rates of the green-factory structure with the two amounts they are computed from:
#: (indicator id, part id, part label, whole id, whole label, unit).
_GREEN_RATES = (
    (
        "renewable_share",
        "renewable_energy",
        "可再生能源消费量",
        "energy_total",
        "综合能源消费量",
        "吨标准煤",
    ),
    (
        "water_reuse_rate",
        "water_reused",
        "重复利用水量",
        "water_used",
        "用水总量（含重复利用）",
        "立方米",
    ),
    (
        "solid_waste_utilization",
        "solid_waste_used",
        "一般工业固废综合利用量",
        "solid_waste_generated",
        "一般工业固废产生量",
        "吨",
    ),
    (
        "green_investment_share",
        "green_investment",
        "绿色低碳改造升级投资",
        "total_investment",
        "固定资产投资总额",
        "万元",
    ),
)
_POINTS_OPTIONS = (
    (EXAMPLE_PRESET, "表 C.1 示例分值（钢铁下游案例，仅供示意）"),
    ("user", "自定各指标分值"),
)


def _green_form() -> RuleForm:
    spec = load_green_factory()
    fields = [
        RuleField(
            "points_preset",
            "指标分值来源",
            "分值",
            "choice",
            options=_POINTS_OPTIONS,
            help="标准未给出通用权重：选用示例分值，或在各指标处填写自定分值",
        )
    ]
    rates = {r[0]: r for r in _GREEN_RATES}
    for area in spec.areas:
        for ind in (i for i in spec.indicators if i.area == area.name):
            if ind.id in rates:
                _, part, plabel, whole, wlabel, unit = rates[ind.id]
                fields += [
                    RuleField(whole, wlabel, area.name, "number", unit, 0, aux=True),
                    RuleField(part, plabel, area.name, "number", unit, 0, aux=True),
                ]
            judged = ind.kind != "quantitative"
            fields.append(
                RuleField(
                    ind.id,
                    ind.name + ("（评判比例）" if judged else ""),
                    area.name,
                    "number",
                    "" if judged else ind.unit,
                    0 if judged else ind.min,
                    1 if judged else ind.max,
                    na=(NOT_APPLICABLE,),
                    help="定性或未定类指标：填 0–1 的评判比例" if judged else _direction(ind),
                )
            )
            if not judged:
                fields += [
                    RuleField(
                        f"{ind.id}.benchmark", f"{ind.name} 基准值", area.name, "number", ind.unit
                    ),
                    RuleField(
                        f"{ind.id}.leading", f"{ind.name} 引领值", area.name, "number", ind.unit
                    ),
                ]
            fields.append(
                RuleField(
                    f"{ind.id}.points",
                    f"{ind.name} 分值",
                    area.name,
                    "number",
                    "分",
                    0,
                    100,
                    aux=True,
                    help="仅在“自定各指标分值”时使用",
                )
            )
    fields += [
        RuleField(r.id, r.text, "基本要求（否决项）", "bool") for r in spec.basic_requirements
    ]
    return RuleForm(
        id=spec.id,
        version=spec.version,
        name=f"{spec.name}（{spec.standard}）",
        kind="green-factory",
        source=spec.source,
        confidence=spec.confidence,
        fields=tuple(fields),
        ratios=tuple(Ratio(r[0], r[1], r[3]) for r in _GREEN_RATES),
        note="基准值与引领值须由企业按行业给出（nqpf 不内置）；得分 = 分值 × (x − 基准值)/(引领值 − 基准值)，"
        "截断于 0–1。标准未给出达标分数线，故只判定基本要求。",
    )


def _direction(ind: Any) -> str:
    return "越低越好" if ind.direction == "lower" else "越高越好"


# ------------------------------------------------------------------------------ answers
def normalize_form_answer(form: RuleForm, key: str, value: Any) -> Any:
    """The stored form of ``value`` answering field ``key`` of ``form``.

    A choice takes one of its option values, a multi a list of them (each once, in the
    form's order), a yes/no field ``True``/``False`` (or ``是``/``否``), a number a finite
    number in the field's range (or a "does not apply" answer where the field allows one),
    an integer a whole number in range.

    Raises
    ------
    DataValidationError
        ``field`` = ``key``: an unknown key or option, or a value that is not one of the
        field's kind or is out of its range.
    """
    try:
        f = form.field(key)
    except KeyError:
        spellings = {f.id: f.id for f in form.fields} | {f.label: f.id for f in form.fields}
        near = close_matches(key, spellings, n=2)
        en = "; did you mean " + " or ".join(map(repr, near)) + "?" if near else ""
        zh = "；是否指" + "或".join(f" {k}（“{form.field(k).label}”）" for k in near) + "？"
        raise DataValidationError(
            f"form {form.key} has no field {_show(key)}{en}",
            field=key,
            zh=f"评测框架 {form.name} 中没有填写项 {_show(key)}{zh if near else ''}",
        ) from None
    if f.na and isinstance(value, str) and value.strip() in f.na:
        return value.strip()
    return _CHECKS[f.kind](f, value)


def normalize_form_answers(form: RuleForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`normalize_form_answer` of every answer; ``None`` (cleared) stays ``None``."""
    return {
        str(k): None if v is None else normalize_form_answer(form, str(k), v)
        for k, v in answers.items()
    }


def _bad(f: RuleField, reason: str, zh: str) -> DataValidationError:
    return DataValidationError(reason, field=f.id, zh=f"“{f.label}”{zh}")


def _choice(f: RuleField, value: Any) -> str:
    values = [v for v, _ in f.options]
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
    )
    if text not in values:
        shown = "、".join(label for _, label in f.options)
        raise _bad(
            f,
            f"expected one of {', '.join(values)}, got {_show(value)}",
            f"应为以下之一：{shown}，收到 {_show(value)}",
        )
    return text


def _multi(f: RuleField, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [p for p in value.split("|") if p.strip()]
    if not isinstance(value, list | tuple):
        raise _bad(f, f"expected a list, got {_show(value)}", f"应为选项列表，收到 {_show(value)}")
    values = [v for v, _ in f.options]
    chosen: list[str] = []
    for v in value:
        text = v.strip() if isinstance(v, str) else None
        if text not in values:
            raise _bad(
                f,
                f"has no option {_show(v)}",
                f"没有选项 {_show(v)}；可选：{'、'.join(values)}",
            )
        if text in chosen:
            raise _bad(f, f"option {text} given twice", f"的选项“{text}”重复")
        chosen.append(text)
    return sorted(chosen, key=values.index)


def _bool(f: RuleField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(f, f"expected yes or no, got {_show(value)}", f"应为“是”或“否”，收到 {_show(value)}")


def _num(f: RuleField, value: Any) -> float:
    x = _number(value)
    unit = f"（{f.unit}）" if f.unit else ""
    na = f"或“{'、'.join(f.na)}”" if f.na else ""
    if x is None:
        raise _bad(
            f,
            f"expected a finite number, got {_show(value)}",
            f"应为有限数值{unit}{na}，收到 {_show(value)}",
        )
    lo = f.min
    hi = f.max if f.max is not None else MAX_FORM_NUMBER
    if (lo is not None and x < lo) or x > hi:
        span = f"[{'-∞' if lo is None else fmt_num(lo)}, {fmt_num(hi)}]{f.unit}"
        if lo == 0 and x < lo and f.max is None:
            zh = f"应为不小于 0 的数值{unit}，收到 {fmt_num(x)}"
        else:
            zh = f"的数值 {fmt_num(x)} 超出范围 {span}"
        raise _bad(f, f"{fmt_num(x)} is outside {span}", zh)
    return x


def _int(f: RuleField, value: Any) -> int:
    x = _num(f, value)
    if x != int(x):
        raise _bad(
            f, f"expected a whole number, got {_show(value)}", f"应为整数，收到 {_show(value)}"
        )
    return int(x)


_CHECKS = {"choice": _choice, "multi": _multi, "bool": _bool, "number": _num, "integer": _int}


# ----------------------------------------------------------------- derived, contradictions
def _amount(answers: Mapping[str, Any], key: str) -> float | None:
    v = answers.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def derived(form: RuleForm, answers: Mapping[str, Any]) -> dict[str, float]:
    """The answers computed from others: ``target = part / whole × scale`` where both
    amounts are given and the whole is positive (they replace a typed value)."""
    out: dict[str, float] = {}
    for r in form.ratios:
        part, whole = _amount(answers, r.part), _amount(answers, r.whole)
        if part is not None and whole is not None and whole > 0:
            out[r.target] = round(part / whole * r.scale, 6)
    return out


def check_answers(form: RuleForm, answers: Mapping[str, Any]) -> None:
    """Refuse answers that contradict each other (checked on the whole draft at each save).

    * a part larger than its whole (a rate above 100 %), or a part given with a whole of 0;
    * a green-factory benchmark equal to its leading value, or a leading value on the wrong
      side of the benchmark for the indicator's direction.

    Raises
    ------
    DataValidationError
        Naming the field to correct (the part; the leading value).
    """
    for r in form.ratios:
        part, whole = _amount(answers, r.part), _amount(answers, r.whole)
        if part is None or whole is None:
            continue
        fp, fw = form.field(r.part), form.field(r.whole)
        if part > whole or (whole == 0 and part > 0):
            raise DataValidationError(
                f"{r.part} ({fmt_num(part)}) cannot exceed {r.whole} ({fmt_num(whole)})",
                field=r.part,
                zh=f"“{fp.label}”（{fmt_num(part)}{fp.unit}）不能大于“{fw.label}”"
                f"（{fmt_num(whole)}{fw.unit}）",
            )
    if form.kind == "green-factory":
        _check_benchmarks(answers)


def _check_benchmarks(answers: Mapping[str, Any]) -> None:
    for ind in load_green_factory().indicators:
        b = _amount(answers, f"{ind.id}.benchmark")
        ell = _amount(answers, f"{ind.id}.leading")
        if b is None or ell is None:
            continue
        wrong = b == ell or (ind.direction == "lower" and ell > b)
        wrong = wrong or (ind.direction == "higher" and ell < b)
        if wrong:
            side = "低" if ind.direction == "lower" else "高"
            raise DataValidationError(
                f"{ind.id}: the leading value must be {'lower' if side == '低' else 'higher'} "
                f"than the benchmark; got benchmark {fmt_num(b)}, leading {fmt_num(ell)}",
                field=f"{ind.id}.leading",
                zh=f"“{ind.name} 引领值”应{side}于基准值（越{side}越好）；"
                f"收到基准值 {fmt_num(b)}、引领值 {fmt_num(ell)}",
            )


def effective_answers(form: RuleForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with the derived ones in place (what the engine is given)."""
    return {**{k: v for k, v in answers.items() if v is not None}, **derived(form, answers)}


# ---------------------------------------------------------------------------- the engine
def engine_input(form: RuleForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the engine call for ``answers`` (derived ones in place).

    CMMM: ``items``, ``answers``, ``fill``; tiers: ``facts``; 优质中小企业: ``facts`` and
    ``version``; green factory: ``indicators``, ``benchmarks``, ``points``, ``basic``.
    """
    a = effective_answers(form, answers)
    if form.kind == "cmmm":
        return {
            "items": _cmmm_items(form.id),
            "answers": {f.id: a[f.id] for f in form.fields if f.id in a},
            "fill": "equal",
        }
    if form.kind == "tiers":
        facts = {f.id: a[f.id] for f in form.counted if f.id in a}
        if "maturity_level" in facts:
            facts["maturity_level"] = int(facts["maturity_level"])
        if "ai_scene_share" in facts:
            facts["ai_scene_share"] = facts["ai_scene_share"] / 100
        return {"facts": facts}
    if form.kind == "quality-sme":
        return {
            "facts": {f.id: a[f.id] for f in form.counted if f.id in a},
            "version": form.version,
        }
    return _green_input(a)


def _green_input(a: Mapping[str, Any]) -> dict[str, Any]:
    spec = load_green_factory()
    skipped = {i.id for i in spec.indicators if a.get(i.id) == NOT_APPLICABLE}
    preset = a.get("points_preset")
    if preset == EXAMPLE_PRESET:
        points: Any = (
            EXAMPLE_PRESET
            if not skipped
            else {
                i.id: float(i.example_points)
                for i in spec.indicators
                if i.example_points and i.id not in skipped
            }
        )
    elif preset == "user":
        points = {
            i.id: a[f"{i.id}.points"]
            for i in spec.indicators
            if f"{i.id}.points" in a and i.id not in skipped
        }
    else:
        points = None
    benchmarks = {
        i.id: {"benchmark": a[f"{i.id}.benchmark"], "leading": a[f"{i.id}.leading"]}
        for i in spec.indicators
        if f"{i.id}.benchmark" in a and f"{i.id}.leading" in a and i.id not in skipped
    }
    indicators = {i.id: a[i.id] for i in spec.indicators if i.id in a and i.id not in skipped}
    basic = {r.id: a[r.id] for r in spec.basic_requirements if r.id in a}
    return {"indicators": indicators, "benchmarks": benchmarks, "points": points, "basic": basic}


def score_form(form: RuleForm, answers: Mapping[str, Any]) -> tuple[Any, Outcome]:
    """Score ``answers`` with the framework's engine: ``(engine result, outcome)``.

    The engine is the library's own (:func:`~nqpf.assessment.cmmm.score_cmmm`,
    :func:`~nqpf.assessment.smart_factory_tiers.assess_tier`, the
    :mod:`~nqpf.assessment.quality_sme_tiers` tiers, :func:`~nqpf.assessment.green_factory.
    score_green_factory`), given :func:`engine_input`.

    Raises
    ------
    DataValidationError
        Nothing answered, or the engine's own refusal (a missing CMMM answer, a
        quantitative indicator without benchmark, no points), naming the form's field.
    """
    normalize_form_answers(form, answers)
    if not any(v is not None for v in answers.values()):
        raise DataValidationError("nothing answered yet", zh="尚未填写任何内容")
    check_answers(form, answers)
    kwargs = engine_input(form, answers)
    try:
        if form.kind == "cmmm":
            result: Any = score_cmmm(**kwargs)
            return result, cmmm_outcome(form.key, form.name, result)
        if form.kind == "tiers":
            result = assess_tier(**kwargs)
            return result, tiers_outcome(form.key, form.name, result)
        if form.kind == "quality-sme":
            result = _quality(**kwargs)
            return result, quality_outcome(form.key, form.name, result, form.version)
        _refuse_green_gaps(kwargs)
        result = score_green_factory(**kwargs)
        return result, _example_points_note(green_outcome(form.key, form.name, result), answers)
    except DataValidationError as exc:
        raise exc.at(field=_form_field(form, exc.field)) from None


def _refuse_green_gaps(kwargs: Mapping[str, Any]) -> None:
    """What the green-factory engine needs before it can score: a points source, and a
    benchmark for every quantitative indicator given a value (at least one in all)."""
    if kwargs["points"] is None:
        raise DataValidationError(
            "choose where the indicator points come from",
            field="points_preset",
            zh="请选择指标分值来源（示例分值或自定分值）",
        )
    if kwargs["benchmarks"]:
        return
    quantitative = [i for i in load_green_factory().indicators if i.kind == "quantitative"]
    given = [i for i in quantitative if i.id in kwargs["indicators"]] or quantitative[:1]
    ind = given[0]
    raise DataValidationError(
        f"{ind.id}: a quantitative indicator needs a benchmark and a leading value",
        field=ind.id,
        zh=f"定量指标“{ind.name}”需要基准值和引领值；nqpf 未内置，请填写"
        + ("" if ind.id in kwargs["indicators"] else "（至少一项定量指标）"),
    )


def _example_points_note(outcome: Outcome, answers: Mapping[str, Any]) -> Outcome:
    """The example points minus the 不涉及 indicators reach the engine as the user's own
    mapping; say where they come from instead of "用户指定"."""
    skipped = [
        i.name for i in load_green_factory().indicators if answers.get(i.id) == NOT_APPLICABLE
    ]
    if answers.get("points_preset") != EXAMPLE_PRESET or not skipped:
        return outcome
    note = (
        f"权重来源：表 C.1 示例分值（二手来源，仅供示意），不含“不涉及”的指标：{'、'.join(skipped)}"
    )
    return replace(outcome, notes=(note, *outcome.notes[1:]))


def _quality(facts: Mapping[str, Any], version: str) -> dict[str, Any]:
    """Every tier the version defines, lowest first: tier key → TierResult."""
    rules = load_quality_sme(version)
    calls = {
        "innovative": assess_innovative,
        "specialized": assess_specialized,
        "little_giant": assess_little_giant,
    }
    return {k: calls[k](facts, version=version) for k in _TIER_ORDER if k in rules.tiers}


def _form_field(form: RuleForm, field: str | None) -> str | None:
    """The form's field id for an engine error's field (an indicator's Chinese name …)."""
    if field is None:
        return None
    if form.kind == "green-factory":
        if field == "points":
            return "points_preset"
        for ind in load_green_factory().indicators:
            if field == ind.name:
                return ind.id
    return field


def answered(form: RuleForm, answers: Mapping[str, Any]) -> int:
    """How many counted fields have an answer (given or derived)."""
    a = effective_answers(form, answers)
    return sum(1 for f in form.counted if a.get(f.id) is not None)
