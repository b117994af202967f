"""Facts about an enterprise, read from its assessment, and conditions on them.

A *fact* is one thing a solution's prerequisites may name: an answer of the SME-2024
questionnaire (设备联网率 25 %), a scene level, a dimension's points, the total or the
level, or a derived yes/no such as ``has_erp``.  The names, their Chinese labels and where
each comes from are data (``data/facts-sme-digital-2024.yaml``); :func:`load_facts` reads
them, :func:`facts_from_assessment` turns a scored assessment into a facts mapping and
:class:`Condition` (``{fact, op, value, unit}``) is one prerequisite.

Every fact is compared on one numeric scale (:meth:`FactSpec.encode`): numbers as given,
single-choice answers by their option's position (A < B < …), multi-choice answers by the
count of options chosen, yes/no as 1/0, scene levels 1–4.

>>> from nqpf.assessment import load_framework, score
>>> fw = load_framework("sme-digital", "2024")
>>> answers = {q.id: (25 if q.kind == "number" else [] if q.kind == "multi" else "A")
...            for q in fw.questions}
>>> answers.update({s.id: 2 for s in fw.scenes})
>>> facts = facts_from_assessment(score(fw, answers))
>>> facts["equipment_network_rate"], facts["scene_equipment"], facts["has_erp"]
(25.0, 2, True)
>>> c = Condition(fact="equipment_network_rate", op=">=", value=40, unit="%")
>>> c.text_zh(), c.check(facts).met, c.missing_zh(facts)
('设备联网率 ≥ 40 %', False, '需设备联网率 ≥ 40 %，当前 25 %')
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from nqpf._datafile import fmt_num
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.matching._validation import Invalid
from nqpf.matching.scenes import FRAMEWORK, LEVEL_NAMES

__all__ = [
    "OPS",
    "Condition",
    "ConditionCheck",
    "FactCatalogue",
    "FactSpec",
    "check_facts",
    "facts_from_assessment",
    "find_contradiction",
    "load_facts",
]

#: Comparison operators and their aliases (≥ ≤ = ≠).
OPS = MappingProxyType(
    {">=": ">=", "≥": ">=", ">": ">", "<=": "<=", "≤": "<=", "<": "<",
     "==": "==", "=": "==", "!=": "!=", "≠": "!="}
)  # fmt: skip
_OP_SHOWN = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
_UNIT_ALIASES = {"％": "%", "percent": "%", "pct": "%"}
Kind = Literal["number", "option", "count", "flag", "level", "points"]
_DISCRETE = ("option", "count", "flag", "level")


@dataclass(frozen=True)
class FactSpec:
    """One fact: id, Chinese label, kind, unit, range and where it comes from.

    Attributes
    ----------
    kind
        ``number`` (a rate in its unit), ``option`` (a single-choice answer, ordered by the
        framework's options), ``count`` (options chosen in a multi-choice question),
        ``flag`` (yes/no), ``level`` (a scene level or the overall level) or ``points``.
    lo, hi
        The range of the encoded value (for margins and impossible conditions).
    options, option_labels
        Option ids in order and their labels (``option`` facts).
    source
        ``question:<id>``, ``option:<question>.<option>``, ``scene:<id>``,
        ``dimension:<name>``, ``result:total|level`` or ``derived``.
    """

    id: str
    label: str
    kind: Kind
    unit: str
    lo: float
    hi: float
    source: str
    options: tuple[str, ...] = ()
    option_labels: tuple[str, ...] = ()

    def encode(self, value: Any, *, field: str = "value") -> float:
        """``value`` on the fact's numeric scale; :class:`Invalid` when it does not fit."""
        if self.kind == "flag":
            if isinstance(value, bool):
                return float(value)
            raise Invalid(
                f"{self.id} is yes/no: expected true or false, got {value!r}",
                f"{self.label}为是/否，应填 true 或 false，实际为 {value!r}",
            )
        if self.kind == "option":
            text = str(value).strip().upper()
            if isinstance(value, str) and text in self.options:
                return float(self.options.index(text))
            raise Invalid(
                f"{self.id} is a choice: expected one of {', '.join(self.options)}, got {value!r}",
                f"{self.label}应为选项 {'、'.join(self.options)} 之一，实际为 {value!r}",
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise Invalid(
                f"{self.id} is a number, got {value!r}", f"{self.label}应为数字，实际为 {value!r}"
            )
        return float(value)

    def show(self, x: float) -> str:
        """An encoded value in words: ``25 %``, ``三级``, ``C（多个（≥2）业务环节）``, ``是``."""
        if self.kind == "flag":
            return "是" if x >= 0.5 else "否"
        if self.kind == "option":
            i = round(x)
            return f"{self.options[i]}（{self.option_labels[i]}）"
        if self.kind == "level":
            return LEVEL_NAMES.get(int(x), "未达一级")
        return f"{fmt_num(round(x, 4))} {self.unit}".strip()


class FactCatalogue:
    """The facts of one framework: look-ups by id with a "did you mean" on a miss."""

    def __init__(
        self, specs: Sequence[FactSpec], derived: Mapping[str, tuple[Condition, ...]],
        *, id: str, version: str, framework: str, confidence: str,
    ) -> None:  # fmt: skip
        self.specs = MappingProxyType({s.id: s for s in specs})
        self.derived = MappingProxyType(dict(derived))
        self.id, self.version, self.framework, self.confidence = id, version, framework, confidence

    def __contains__(self, fact: object) -> bool:
        return fact in self.specs

    def __iter__(self):
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def spec(self, fact: str) -> FactSpec:
        """The spec of ``fact``; :class:`Invalid` naming the closest fact id otherwise."""
        try:
            return self.specs[fact]
        except KeyError:
            near = difflib.get_close_matches(str(fact), list(self.specs), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            hint_zh = f"；是否为 {near[0]}？" if near else ""
            raise Invalid(
                f"unknown fact {fact!r}{hint} (facts: docs/matching-guide.md)",
                f"未知的评测事实 {fact!r}{hint_zh}",
            ) from None


# -- conditions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionCheck:
    """A condition against the facts: ``met`` (``None`` when the fact is unknown), the
    current encoded value (``nan`` when unknown) and the margin in [0, 1]."""

    met: bool | None
    current: float
    margin: float


class Condition(BaseModel):
    """``{fact, op, value, unit}``: one prerequisite, e.g. 设备联网率 ≥ 40 %.

    ``op`` is one of ``>= > <= < == !=`` (or ≥ ≤ = ≠); ``value`` is a number, an option id
    (single-choice facts, compared by option order) or true/false (yes/no facts, ``==`` and
    ``!=`` only); ``unit``, when given, must be the fact's unit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    fact: str
    op: str
    value: float | bool | str
    unit: str | None = None

    @field_validator("op", mode="before")
    @classmethod
    def _op(cls, op: Any) -> str:
        text = str(op).strip()
        if text not in OPS:
            raise Invalid(
                f"unknown operator {text!r}: expected one of >=, >, <=, <, ==, !=",
                f"未知的比较符 {text!r}：应为 >=、>、<=、<、==、!= 之一",
            )
        return OPS[text]

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, unit: Any) -> str | None:
        if unit is None or not str(unit).strip():
            return None
        text = str(unit).strip()
        return _UNIT_ALIASES.get(text.lower(), text)

    @field_validator("fact")
    @classmethod
    def _fact(cls, fact: str) -> str:
        load_facts().spec(fact)
        return fact

    @model_validator(mode="after")
    def _fits_fact(self) -> Condition:
        spec = load_facts().spec(self.fact)
        try:
            spec.encode(self.value)
        except Invalid as exc:
            raise Invalid(str(exc), exc.zh, ("value",)) from None
        if spec.kind == "flag" and self.op not in ("==", "!="):
            raise Invalid(
                f"{self.fact} is yes/no: use == or !=, not {self.op}",
                f"{spec.label}为是/否，只能用 == 或 !=，不能用 {self.op}",
                ("op",),
            )
        if self.unit is not None and self.unit != spec.unit:
            expected = f"{spec.unit!r}" if spec.unit else "no unit"
            raise Invalid(
                f"{self.fact} is in {expected}, not {self.unit!r}",
                f"{spec.label}的单位应为{spec.unit or '空'}，不是 {self.unit}",
                ("unit",),
            )
        return self

    @property
    def spec(self) -> FactSpec:
        return load_facts().spec(self.fact)

    @property
    def encoded(self) -> float:
        """The condition's value on the fact's numeric scale."""
        return self.spec.encode(self.value)

    def holds(self, x: float) -> bool:
        """Whether an encoded fact value meets the condition."""
        v = self.encoded
        return {
            ">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v, "==": x == v, "!=": x != v,
        }[self.op]  # fmt: skip

    def margin(self, x: float) -> float:
        """How far ``x`` is inside the condition, as a share of the fact's range (0 if not)."""
        if not self.holds(x):
            return 0.0
        if self.op in ("==", "!="):
            return 1.0
        spec = self.spec
        span = max(spec.hi - spec.lo, 1e-12)
        gap = (x - self.encoded) if self.op in (">=", ">") else (self.encoded - x)
        return min(max(gap / span, 0.0), 1.0)

    def check(self, facts: Mapping[str, Any] | None) -> ConditionCheck:
        """The condition against a facts mapping (``None`` or a missing fact: unknown)."""
        if facts is None or facts.get(self.fact) is None:
            return ConditionCheck(None, math.nan, 0.0)
        x = self.spec.encode(facts[self.fact])
        return ConditionCheck(self.holds(x), x, self.margin(x))

    def text_zh(self) -> str:
        """``设备联网率 ≥ 40 %``; ``已应用 ERP 类经营管理系统`` for ``has_erp == true``."""
        spec = self.spec
        if spec.kind == "flag":
            yes = (self.op == "==") == bool(self.value)
            return spec.label if yes else f"未{spec.label}"
        return f"{spec.label} {_OP_SHOWN[self.op]} {spec.show(self.encoded)}"

    def missing_zh(self, facts: Mapping[str, Any] | None) -> str:
        """What is missing: ``需设备联网率 ≥ 40 %，当前 25 %`` (or ``当前未知``)."""
        check = self.check(facts)
        current = "未知" if check.met is None else self.spec.show(check.current)
        return f"需{self.text_zh()}，当前 {current}"

    def used_zh(self, facts: Mapping[str, Any] | None) -> str:
        """The fact used: ``设备联网率 52 %（需 ≥ 40 %）``."""
        check = self.check(facts)
        spec = self.spec
        if check.met is None:
            return f"{self.text_zh()}（未核验）"
        if spec.kind == "flag":
            return self.text_zh()
        # an option's label is already shown with the current answer: the threshold needs
        # only its id
        threshold = str(self.value) if spec.kind == "option" else spec.show(self.encoded)
        return f"{spec.label} {spec.show(check.current)}（需 {_OP_SHOWN[self.op]} {threshold}）"


def _bounds(conds: Sequence[Condition], spec: FactSpec) -> bool:
    """Whether some value of the fact's range meets every one of ``conds``."""
    lo, lo_open, hi, hi_open = spec.lo, False, spec.hi, False
    equal: set[float] = set()
    unequal: set[float] = set()
    for c in conds:
        v = c.encoded
        if c.op in (">=", ">") and (v > lo or (v == lo and c.op == ">")):
            lo, lo_open = v, c.op == ">"
        elif c.op in ("<=", "<") and (v < hi or (v == hi and c.op == "<")):
            hi, hi_open = v, c.op == "<"
        elif c.op == "==":
            equal.add(v)
        elif c.op == "!=":
            unequal.add(v)

    def inside(x: float) -> bool:
        above = x > lo if lo_open else x >= lo
        below = x < hi if hi_open else x <= hi
        return above and below and x not in unequal

    if equal:
        return len(equal) == 1 and inside(next(iter(equal)))
    if spec.kind in _DISCRETE:
        return any(inside(float(k)) for k in range(math.ceil(lo), math.floor(hi) + 1))
    if lo < hi:
        return True
    return lo == hi and inside(lo)


def find_contradiction(conditions: Sequence[Condition]) -> tuple[int, int] | None:
    """Positions ``(i, j)`` of two conditions no fact value meets together (``i == j`` when
    one alone is impossible, e.g. 设备联网率 > 100 %), or ``None`` when they can all hold.

    >>> a = Condition(fact="equipment_network_rate", op=">=", value=40)
    >>> b = Condition(fact="equipment_network_rate", op="<", value=30)
    >>> find_contradiction([a, b]), find_contradiction([a])
    ((0, 1), None)
    """
    by_fact: dict[str, list[int]] = {}
    for j, c in enumerate(conditions):
        earlier = by_fact.setdefault(c.fact, [])
        spec = c.spec
        if not _bounds([c], spec):
            return j, j
        if not _bounds([conditions[i] for i in earlier] + [c], spec):
            pair = next((i for i in earlier if not _bounds([conditions[i], c], spec)), earlier[0])
            return pair, j
        earlier.append(j)
    return None


# -- the catalogue of facts ----------------------------------------------------------------


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    question: str | None = None
    scene: str | None = None
    dimension: str | None = None
    result: Literal["total", "level"] | None = None
    all: tuple[dict[str, Any], ...] | None = None


class _FactsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    framework: str
    source: str
    confidence: str
    facts: tuple[_Entry, ...]


@functools.cache
def _framework():
    from nqpf.assessment import load_framework

    framework_id, version = FRAMEWORK.rsplit("-", 1)
    return load_framework(framework_id, version)


def _specs_of(entry: _Entry) -> list[FactSpec]:
    fw = _framework()
    if entry.question is not None:
        q = fw.question(entry.question)
        src = f"question:{q.id}"
        if q.kind == "number":
            return [FactSpec(entry.id, entry.label, "number", q.unit or "", q.min_value or 0.0,
                             q.max_value if q.max_value is not None else 100.0, src)]  # fmt: skip
        if q.kind == "single":
            ids = tuple(o.id for o in q.options)
            labels = tuple(o.label for o in q.options)
            return [
                FactSpec(entry.id, entry.label, "option", "", 0, len(ids) - 1, src, ids, labels)
            ]
        out = [FactSpec(entry.id, entry.label, "count", "项", 0, len(q.options), src)]
        out += [
            FactSpec(f"{entry.id}.{o.id}", f"{q.title}：{o.label}", "flag", "", 0, 1,
                     f"option:{q.id}.{o.id}")
            for o in q.options
        ]  # fmt: skip
        return out
    if entry.scene is not None:
        s = next(s for s in fw.scenes if s.id == entry.scene)
        return [FactSpec(entry.id, entry.label, "level", "", 1, 4, f"scene:{s.id}")]
    if entry.dimension is not None:
        d = next(d for d in fw.scored_dimensions if d.name == entry.dimension)
        return [FactSpec(entry.id, entry.label, "points", "分", 0, d.points, f"dimension:{d.name}")]
    if entry.result == "total":
        return [FactSpec(entry.id, entry.label, "points", "分", 0, fw.total_points, "result:total")]
    if entry.result == "level":
        return [FactSpec(entry.id, entry.label, "level", "", 0, 4, "result:level")]
    return [FactSpec(entry.id, entry.label, "flag", "", 0, 1, "derived")]


@functools.cache
def load_facts() -> FactCatalogue:
    """The facts of ``sme-digital-2024`` (``data/facts-sme-digital-2024.yaml``).

    >>> cat = load_facts()
    >>> cat.spec("equipment_network_rate").unit, cat.spec("data_collection.equipment").kind
    ('%', 'flag')
    """
    import yaml

    name = "facts-sme-digital-2024.yaml"
    text = resources.files("nqpf.matching").joinpath("data", name).read_text("utf-8")
    try:
        doc = _FactsFile.model_validate(yaml.safe_load(text))
        specs = [spec for entry in doc.facts for spec in _specs_of(entry)]
    except (ValueError, KeyError, StopIteration) as exc:  # pragma: no cover - shipped data
        raise ConfigError(f"bad facts file: {exc}", file=name) from None
    specs_by_id = {s.id: s for s in specs}
    derived: dict[str, tuple[Condition, ...]] = {}
    for entry in (e for e in doc.facts if e.all is not None):
        conditions = []
        for raw in entry.all or ():
            # Condition's validators look facts up through load_facts(), which is being
            # built here: construct it unvalidated and check it against the specs instead
            c = Condition.model_construct(
                fact=str(raw["fact"]), op=OPS[str(raw["op"])], value=raw["value"], unit=None
            )
            spec = specs_by_id.get(c.fact)
            if spec is None or spec.source == "derived":  # pragma: no cover - shipped data
                raise ConfigError(f"{entry.id}: {c.fact!r} is not a base fact", file=name)
            spec.encode(c.value)
            conditions.append(c)
        derived[entry.id] = tuple(conditions)
    return FactCatalogue(specs, derived, id=doc.id, version=doc.version,
                         framework=doc.framework, confidence=doc.confidence)  # fmt: skip


# -- facts of an enterprise ----------------------------------------------------------------


def _with_derived(facts: dict[str, Any]) -> MappingProxyType[str, Any]:
    """``facts`` plus every derived fact whose inputs are all known (given ones kept)."""
    for fact, conditions in load_facts().derived.items():
        if fact in facts:
            continue
        checks = [c.check(facts) for c in conditions]
        if all(ch.met is not None for ch in checks):
            facts[fact] = all(ch.met for ch in checks)
    return MappingProxyType(facts)


def facts_from_assessment(result: Any) -> MappingProxyType[str, Any]:
    """The facts of a scored SME-2024 assessment (a :class:`~nqpf.assessment.ScoreResult`).

    Returns
    -------
    mapping
        Fact id → value: numbers for rates and points, the option id for a single-choice
        answer, the count of options and one true/false per option for a multi-choice
        answer, 1–4 for scene levels, 0–4 for the level, true/false for derived facts.

    Raises
    ------
    DataValidationError
        When the result was scored with another framework.
    """
    from nqpf.assessment import ScoreResult

    if not isinstance(result, ScoreResult):
        raise DataValidationError(
            f"expected a ScoreResult of nqpf.assessment.score, got {type(result).__name__}",
            field="assessment",
            zh="应为评测结果（ScoreResult）",
        )
    if result.framework != FRAMEWORK:
        raise DataValidationError(
            f"matching reads {FRAMEWORK} assessments; this one was scored with {result.framework}",
            field="assessment",
            zh=f"技术匹配只读取 {FRAMEWORK} 的评测结果，该结果按 {result.framework} 评分",
        )
    facts: dict[str, Any] = {}
    for spec in load_facts():
        kind, _, ref = spec.source.partition(":")
        if kind == "question":
            answer = result.question(ref).answer
            if spec.kind == "number":
                facts[spec.id] = float(answer)
            elif spec.kind == "option":
                facts[spec.id] = str(answer)
            else:
                facts[spec.id] = len(tuple(answer))
        elif kind == "option":
            question, _, option = ref.partition(".")
            facts[spec.id] = option in tuple(result.question(question).answer)
        elif kind == "scene":
            facts[spec.id] = int(result.scenes[ref])
        elif kind == "dimension":
            facts[spec.id] = float(result.dimensions[ref])
        elif spec.source == "result:total":
            facts[spec.id] = float(result.total)
        elif spec.source == "result:level":
            facts[spec.id] = int(result.level)
    return _with_derived(facts)


def check_facts(facts: Mapping[str, Any]) -> MappingProxyType[str, Any]:
    """A facts mapping written by hand, checked fact by fact, with derived facts added.

    Raises
    ------
    DataValidationError
        Naming the fact (``field='facts.<id>'``): an unknown fact id or a value that does
        not fit it.
    """
    catalogue = load_facts()
    out: dict[str, Any] = {}
    for fact, value in facts.items():
        try:
            catalogue.spec(str(fact)).encode(value)
        except Invalid as exc:
            raise DataValidationError(str(exc), field=f"facts.{fact}", zh=exc.zh) from None
        out[str(fact)] = value
    return _with_derived(out)
