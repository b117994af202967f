"""智能制造能力成熟度 (GB/T 39116 model, GB/T 39117 scoring): item sets and scoring.

The model (``frameworks/cmmm-2020.yaml``) holds the capability structure of the 2020
standard (4 能力要素 / 12 能力域 / 20 能力子域) and of the 2024 revision drafts (5 能力域 /
25 子域, 流程型 and 离散型 domain weights), the satisfaction values, the overall-score rule
and the level bands.  An *item set* holds the requirements to answer: nqpf ships a
non-official self-check set (``cmmm-selfcheck``, written from the published level
descriptions); an assessment body loads the official requirements from its own file in the
same format.

Scoring (frameworks.md §2.5)
----------------------------
* requirement satisfaction X: 全部满足 1, 大部分满足 0.8, 部分满足 0.5, 不满足 0 [secondary];
* 子域 score for level k: C = (1/n) Σ X over that 子域's requirements at level k;
* 能力域 score: B = Σ C·γ (γ the 子域 weights, as fractions of their domain);
* level score: A_k = Σ B·α (α the domain weights; in 2020 the 要素 weight × the domain's
  weight within its 要素) [secondary];
* overall score S on 0–5: S = A_1 + … + A_m, m the first level with A_m < 0.8 (or 5)
  [unverified: the reference does not say how S is formed, §7 item 4];
* level: the band holding S (一级 0.8 ≤ S < 1.8 … 五级 4.8 ≤ S ≤ 5) [secondary, 2024 draft;
  reused for 2020 as unverified].

Weights the reference does not give (all 2020 weights; the draft's 离散型 子域 weights,
组织战略's 子域 weights and 产品设计's weight) are inputs: pass ``weights=`` or choose
``fill="equal"`` (equal shares where a whole group has no weight), and the result says so.

Examples
--------
>>> from nqpf.assessment.cmmm import load_cmmm, score_cmmm
>>> items = load_cmmm("cmmm-selfcheck")
>>> items.official, len(items.items)
(False, 200)
>>> answers = {i.id: "全部满足" for i in items.items if i.level <= 2}
>>> answers.update({i.id: "不满足" for i in items.items if i.level > 2})
>>> res = score_cmmm(items, answers, fill="equal")
>>> res.maturity_score, res.level, res.level_name
(2.0, 2, '规范级')
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BeforeValidator, Field, model_validator

from nqpf._datafile import (
    FrozenModel,
    Identifier,
    LocatedValueError,
    Note,
    Number,
    Text,
    Version,
    compose_yaml,
    find_entry,
    key_line,
    located_error,
    refuse_duplicates,
    require_number,
)
from nqpf._suggest import did_you_mean
from nqpf.assessment.schema import confidence_zh, parse_rule_model, read_rule_file
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "CMMMItem",
    "CMMMItemSet",
    "CMMMModel",
    "CMMMResult",
    "CMMMSpec",
    "UnmetRequirement",
    "band_level",
    "load_cmmm",
    "load_cmmm_spec",
    "score_cmmm",
]

ItemConfidence = Literal["official", "secondary", "unverified", "design"]
#: A weight in percent of its parent: a number, ``null`` (not given) or per variant.
Weight = float | None | dict[str, float | None]

_VARIANT_CN = {"process": "流程型", "discrete": "离散型"}
_TOL = 1e-9
_ROUND = 9  # S is rounded to this many decimals before banding (1 + 0.8 must be 1.8)


def _check_weight(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: None if v is None else _pct(v) for k, v in value.items()}
    return _pct(value)


def _pct(value: Any) -> float:
    x = require_number(value)
    if not 0 <= x <= 100:
        raise ValueError(f"expected a weight in percent (0–100), got {value!r}")
    return x


WeightField = Annotated[Weight, BeforeValidator(_check_weight)]


# -- the model ---------------------------------------------------------------------------


class LevelDef(FrozenModel):
    level: Annotated[int, Field(ge=1, le=5)]
    name: Text
    gist: Text


class SatisfactionValue(FrozenModel):
    label: Text
    value: Annotated[Number, Field(ge=0, le=1)]


class Satisfaction(FrozenModel):
    confidence: ItemConfidence
    source: Text
    values: tuple[SatisfactionValue, ...] = Field(min_length=1)


class Provenance(FrozenModel):
    confidence: ItemConfidence
    source: Text


class MaturityScoreRule(FrozenModel):
    rule: Literal["cumulative"]
    threshold: Annotated[Number, Field(ge=0, le=1)]
    confidence: ItemConfidence
    note: Note = ""


class SubDomain(FrozenModel):
    id: Identifier
    name: Text
    weight: WeightField = None
    new: bool = False


class Domain(FrozenModel):
    id: Identifier
    name: Text
    element: Text | None = None
    weight: WeightField = None
    sub_domains: tuple[SubDomain, ...] = Field(min_length=1)


class Element(FrozenModel):
    name: Text
    weight: WeightField = None


class LevelBand(FrozenModel):
    level: Annotated[int, Field(ge=1, le=5)]
    lower: Number
    upper: Number
    upper_closed: bool = False

    def contains(self, s: float) -> bool:
        return self.lower <= s and (s <= self.upper if self.upper_closed else s < self.upper)


class CMMMModel(FrozenModel):
    """One version of the capability structure, with weights and level bands.

    Attributes
    ----------
    version
        ``"2020"`` or ``"2024-draft"``.
    variants
        Weight variants (``process`` 流程型, ``discrete`` 离散型); empty when weights do not
        depend on the industry type.
    elements
        能力要素 (2020 only; the drafts drop this layer).
    domains
        能力域 with their 能力子域.  Weights are percentages of the parent; ``None`` where the
        reference gives none.
    bands
        Score bands of levels 1–5.
    """

    version: Version
    document: Text
    confidence: ItemConfidence
    source: Text
    variants: tuple[Identifier, ...] = ()
    weights_note: Note = ""
    bands_confidence: ItemConfidence
    bands_note: Note = ""
    elements: tuple[Element, ...] = ()
    domains: tuple[Domain, ...] = Field(min_length=1)
    bands: tuple[LevelBand, ...] = Field(min_length=5, max_length=5)

    @model_validator(mode="after")
    def _check(self) -> CMMMModel:
        elements = [e.name for e in self.elements]
        seen_d: dict[str, int] = {}
        seen_s: dict[str, tuple[int, int]] = {}
        for i, d in enumerate(self.domains):
            if d.id in seen_d:
                raise LocatedValueError(
                    f"duplicate domain id {d.id!r}",
                    ("domains", i, "id"),
                    ("domains", seen_d[d.id], "id"),
                )
            seen_d[d.id] = i
            if self.elements and d.element not in elements:
                raise LocatedValueError(
                    f"unknown element {d.element!r}; known: {', '.join(elements)}",
                    ("domains", i, "element"),
                )
            if not self.elements and d.element is not None:
                raise LocatedValueError(
                    "this model has no elements; drop 'element'", ("domains", i, "element")
                )
            self._check_variants(d.weight, ("domains", i, "weight"))
            for j, s in enumerate(d.sub_domains):
                if s.id in seen_s:
                    a, b = seen_s[s.id]
                    raise LocatedValueError(
                        f"duplicate sub-domain id {s.id!r}",
                        ("domains", i, "sub_domains", j, "id"),
                        ("domains", a, "sub_domains", b, "id"),
                    )
                seen_s[s.id] = (i, j)
                self._check_variants(s.weight, ("domains", i, "sub_domains", j, "weight"))
        for i, e in enumerate(self.elements):
            self._check_variants(e.weight, ("elements", i, "weight"))
        for i, b in enumerate(self.bands):
            if b.level != i + 1:
                raise LocatedValueError(
                    f"bands must list levels 1–5 in order; expected level {i + 1}",
                    ("bands", i, "level"),
                )
            if b.lower >= b.upper:
                raise LocatedValueError("expected lower < upper", ("bands", i, "upper"))
            if i and not math.isclose(self.bands[i - 1].upper, b.lower):
                raise LocatedValueError(
                    "bands must be contiguous (lower = the previous band's upper)",
                    ("bands", i, "lower"),
                )
        return self

    def _check_variants(self, weight: Weight, loc: tuple[str | int, ...]) -> None:
        if isinstance(weight, dict):
            extra = set(weight) - set(self.variants)
            if extra:
                raise LocatedValueError(
                    f"unknown variant(s) {sorted(extra)}; the model's variants: "
                    f"{list(self.variants) or 'none'}",
                    loc,
                )

    @property
    def sub_domain_ids(self) -> list[str]:
        return [s.id for d in self.domains for s in d.sub_domains]

    def domain_of(self, sub_domain_id: str) -> Domain:
        for d in self.domains:
            if any(s.id == sub_domain_id for s in d.sub_domains):
                return d
        raise KeyError(sub_domain_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per 子域: element, domain, sub-domain and the weights per variant."""
        variants = self.variants or ("all",)
        rows = []
        for d in self.domains:
            for s in d.sub_domains:
                row: dict[str, Any] = {
                    "element": d.element,
                    "domain": d.name,
                    "sub_domain": s.name,
                    "sub_domain_id": s.id,
                    "new": s.new,
                }
                for v in variants:
                    key = None if v == "all" else v
                    suffix = "" if key is None else f"_{v}"
                    row[f"domain_weight{suffix}"] = _weight_for(d.weight, key)
                    row[f"sub_domain_weight{suffix}"] = _weight_for(s.weight, key)
                rows.append(row)
        return pd.DataFrame(rows)


class CMMMSpec(FrozenModel):
    """The whole ``cmmm-2020.yaml``: shared level texts and scoring rules, and the models."""

    id: Identifier
    name: Text
    document: Text
    source: Text
    levels: tuple[LevelDef, ...] = Field(min_length=5, max_length=5)
    satisfaction: Satisfaction
    aggregation: Provenance
    maturity_score: MaturityScoreRule
    models: tuple[CMMMModel, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> CMMMSpec:
        for i, lv in enumerate(self.levels):
            if lv.level != i + 1:
                raise LocatedValueError(
                    f"levels must be 1–5 in order; expected {i + 1}", ("levels", i, "level")
                )
        refuse_duplicates(
            (m.version for m in self.models), "model version", lambda i: ("models", i, "version")
        )
        return self

    def model(self, version: str) -> CMMMModel:
        for m in self.models:
            if m.version == str(version):
                return m
        raise ConfigError(
            f"no CMMM model version {version!r}; available: "
            f"{', '.join(m.version for m in self.models)}",
            field="version",
        )

    def level_name(self, level: int) -> str:
        return self.levels[level - 1].name if level >= 1 else "未达一级"

    @property
    def satisfaction_map(self) -> dict[str, float]:
        return {v.label: v.value for v in self.satisfaction.values}


# -- item sets ---------------------------------------------------------------------------


class ModelRef(FrozenModel):
    id: Identifier
    version: Version


class CMMMItem(FrozenModel):
    """One requirement (评估要求): its level, 子域 and text."""

    id: Identifier
    level: Annotated[int, Field(ge=1, le=5)]
    sub_domain: Identifier
    text: Text
    basis: Note = ""


class CMMMItemSet(FrozenModel):
    """Requirements to answer, for one model version.

    ``official: false`` marks nqpf's self-check set; an assessment body's own file with the
    standard's requirement texts sets ``official: true`` and ``confidence: official``.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    version: Version
    name: Text
    official: bool
    confidence: ItemConfidence
    source: Text
    model: ModelRef
    items: tuple[CMMMItem, ...]

    @model_validator(mode="after")
    def _check(self) -> CMMMItemSet:
        if not self.items:
            raise LocatedValueError("an item set needs at least one item", ("items",))
        refuse_duplicates((it.id for it in self.items), "item id", lambda i: ("items", i, "id"))
        if self.official and self.confidence != "official":
            raise LocatedValueError("official: true needs confidence: official", ("confidence",))
        if not self.official and self.confidence == "official":
            raise LocatedValueError(
                "a non-official item set cannot have confidence: official", ("confidence",)
            )
        return self

    def item(self, item_id: str) -> CMMMItem:
        return find_entry(self.items, item_id)


# -- loading -----------------------------------------------------------------------------


@functools.cache
def _shipped_spec() -> CMMMSpec:
    text, name = read_rule_file("cmmm-2020", ("cmmm-2020",))
    return parse_rule_model(text, CMMMSpec, filename=name)


def load_cmmm_spec(path: str | os.PathLike[str] | None = None) -> CMMMSpec:
    """The CMMM model file: the shipped ``cmmm-2020.yaml`` or one given by path.

    Examples
    --------
    >>> spec = load_cmmm_spec()
    >>> [m.version for m in spec.models], spec.satisfaction_map["大部分满足"]
    (['2020', '2024-draft'], 0.8)
    >>> m = spec.model("2020")
    >>> len(m.elements), len(m.domains), len(m.sub_domain_ids)
    (4, 12, 20)
    """
    if path is None or path == "cmmm-2020":
        return _shipped_spec()
    text, name = read_rule_file(path, ("cmmm-2020",))
    return parse_rule_model(text, CMMMSpec, filename=name)


def load_cmmm(
    path_or_id: str | os.PathLike[str] = "cmmm-selfcheck", *, spec: CMMMSpec | None = None
) -> CMMMItemSet:
    """Load a requirement (item) set: the shipped ``cmmm-selfcheck`` or a YAML file.

    The items' ``sub_domain`` ids are checked against the model version the set names.

    Parameters
    ----------
    path_or_id
        ``"cmmm-selfcheck"`` (shipped, non-official) or the path of a YAML item set.
    spec
        The model file to check the items against (default: the shipped one).

    Raises
    ------
    ConfigError
        Unknown id, missing file, or a malformed file (naming the line and key), including
        an item whose 子域 is not in the model.
    """
    text, name = read_rule_file(path_or_id, ("cmmm-selfcheck",))
    items = parse_rule_model(text, CMMMItemSet, filename=name)
    spec = spec or load_cmmm_spec()
    if items.model.id != spec.id:
        raise ConfigError(
            f"model id {items.model.id!r} is not {spec.id!r}", file=name, field="model.id"
        )
    try:
        model = spec.model(items.model.version)
    except ConfigError as exc:
        raise ConfigError(exc.reason, file=name, field="model.version") from None
    known = set(model.sub_domain_ids)
    root, _ = compose_yaml(text, name)
    for i, it in enumerate(items.items):
        if it.sub_domain not in known:
            en, _ = did_you_mean(it.sub_domain, sorted(known))
            hint = f"; {en}" if en else ""
            line = key_line(root, ("items", i, "sub_domain"))
            raise located_error(
                f"item {it.id!r}: unknown sub_domain {it.sub_domain!r} for model "
                f"{model.version}{hint}",
                name,
                line,
                f"items[{i}].sub_domain",
            )
    return items


# -- weights -----------------------------------------------------------------------------


def _weight_for(weight: Weight, variant: str | None) -> float | None:
    if isinstance(weight, dict):
        return None if variant is None else weight.get(variant)
    return weight


def _resolve_weights(
    model: CMMMModel,
    variant: str | None,
    overrides: Mapping[str, float],
    fill: Literal["equal"] | None,
) -> tuple[dict[str, float], dict[str, float], dict[str, float], list[str]]:
    """Fractions: element, domain (within element or level), sub-domain (within domain)."""
    notes: list[str] = []
    filled: list[str] = []
    known_keys = {e.name for e in model.elements}
    known_keys |= {d.name for d in model.domains}
    known_keys |= {f"{d.name}/{s.name}" for d in model.domains for s in d.sub_domains}
    for key, value in overrides.items():
        if key not in known_keys:
            en, zh = did_you_mean(key, sorted(known_keys))
            hint, hint_cn = (f"; {en}", f"；{zh}") if en else ("", "")
            raise DataValidationError(
                f"unknown weight key {key!r}{hint} (use an element, a domain or "
                "'domain/sub-domain' name)",
                field=f"weights[{key!r}]",
                zh=f"权重键 {key!r} 不是能力要素、能力域或“能力域/能力子域”的名称{hint_cn}",
            )
        try:
            _pct(value)
        except ValueError as exc:
            raise DataValidationError(
                str(exc),
                field=f"weights[{key!r}]",
                zh=f"“{key}”的权重应为 0–100 的百分数，收到 {value!r}",
            ) from None

    def group(label: str, entries: list[tuple[str, str, Weight]]) -> dict[str, float]:
        # entries: (result key, override key, weight spec)
        raw: dict[str, float | None] = {}
        for rkey, okey, spec in entries:
            raw[rkey] = float(overrides[okey]) if okey in overrides else _weight_for(spec, variant)
        missing = [k for k, v in raw.items() if v is None]
        names = {rkey: okey for rkey, okey, _ in entries}
        if len(raw) == 1 and missing:
            return dict.fromkeys(raw, 1.0)  # a lone child carries its parent's whole weight
        if missing and len(missing) == len(raw) and fill == "equal":
            filled.append(label)
            return {k: 1 / len(raw) for k in raw}
        if missing:
            how = (
                "give them with weights={...}"
                if fill == "equal"
                else "give them with weights={...} or pass fill='equal'"
            )
            how_cn = "请给出" if fill == "equal" else "请给出，或选择等分（fill='equal'）"
            raise DataValidationError(
                f"{label}: weight(s) of {', '.join(names[k] for k in missing)} not given in the reference "
                f"(model {model.version}{', variant ' + variant if variant else ''}); {how}",
                field="weights",
                zh=f"{label}：参考资料未给出 {'、'.join(names[k] for k in missing)} 的权重"
                f"（模型 {model.version}{'，' + variant if variant else ''}）；{how_cn}",
            )
        total = sum(v for v in raw.values() if v is not None)
        if not math.isclose(total, 100, abs_tol=1e-6):
            raise DataValidationError(
                f"{label}: weights add up to {total:g}, expected 100",
                field="weights",
                zh=f"{label}：权重合计为 {total:g}，应为 100",
            )
        return {k: float(v) / 100 for k, v in raw.items() if v is not None}

    elem_w: dict[str, float] = {}
    if model.elements:
        elem_w = group("能力要素", [(e.name, e.name, e.weight) for e in model.elements])
        dom_w: dict[str, float] = {}
        for e in model.elements:
            doms = [d for d in model.domains if d.element == e.name]
            dom_w.update(group(f"要素 {e.name} 的能力域", [(d.id, d.name, d.weight) for d in doms]))
    else:
        dom_w = group("能力域", [(d.id, d.name, d.weight) for d in model.domains])
    sub_w: dict[str, float] = {}
    for d in model.domains:
        sub_w.update(
            group(
                f"能力域 {d.name} 的子域",
                [(s.id, f"{d.name}/{s.name}", s.weight) for s in d.sub_domains],
            )
        )
    if filled:
        notes.append("参考资料未给出权重，以下各组按等分计（fill='equal'）：" + "；".join(filled))
    if overrides:
        notes.append(f"用户指定权重：{dict(overrides)}")
    return elem_w, dom_w, sub_w, notes


def _variants_cn(variants: tuple[str, ...]) -> str:
    """``process（流程型）、discrete（离散型）``: each variant id with its Chinese name."""
    return "、".join(f"{v}（{_VARIANT_CN[v]}）" if v in _VARIANT_CN else v for v in variants)


# -- answers -----------------------------------------------------------------------------


def _satisfaction(item_id: str, value: Any, table: Mapping[str, float]) -> float:
    numbers = " / ".join(f"{v:g}" for v in table.values())
    en, zh = did_you_mean(value, list(table)) if isinstance(value, str) else ("", "")
    hint, hint_cn = (f" ({en})", f"（{zh}）") if en else ("", "")
    bad = DataValidationError(
        f"expected one of {' / '.join(table)} (or {numbers}), got {value!r}{hint}",
        field=item_id,
        zh=f"要求 {item_id} 的满足程度应为 {'、'.join(table)} 之一（或 {numbers}），"
        f"收到 {value!r}{hint_cn}",
    )
    if isinstance(value, str):
        v = value.strip()
        if v in table:
            return table[v]
        try:
            value = float(v)
        except ValueError:
            raise bad from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad
    for x in table.values():
        if math.isclose(float(value), x, abs_tol=1e-9):
            return x
    raise bad


# -- result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmetRequirement:
    """A requirement of the next level that is not fully met (X < 1)."""

    id: str
    level: int
    domain: str
    sub_domain: str
    text: str
    x: float


@dataclass(frozen=True)
class CMMMResult(Result):
    """Outcome of :func:`score_cmmm`.

    Attributes
    ----------
    item_set, official
        The item set's ``id-version`` and whether it holds the official requirements.
    model_version, variant
        The model version scored and the weight variant (``process`` / ``discrete``).
    level_scores
        A_k for levels 1–5 (NaN for a level without items).
    domain_scores, sub_domain_scores
        ``{(level, domain name): B}`` and ``{(level, sub-domain id): C}``.
    domain_of
        Sub-domain id → domain name.
    maturity_score
        S on 0–5 (rule ``cumulative``, [unverified]).
    level, level_name
        The band holding S (0 / ``未达一级`` below the lowest band).
    gate_level
        The highest level k with A_1 … A_k all ≥ the threshold (the [unverified] practice
        rule of §2.5); may differ from ``level``.
    next_level, unmet
        The next level and its requirements with X < 1.
    answers
        Item id → X.
    notes
        Assumptions made (filled weights, unverified rules).
    """

    item_set: str
    official: bool
    model_version: str
    variant: str | None
    level_scores: tuple[float, ...]
    domain_scores: dict[tuple[int, str], float]
    sub_domain_scores: dict[tuple[int, str], float]
    maturity_score: float
    level: int
    level_name: str
    gate_level: int
    next_level: int | None
    unmet: tuple[UnmetRequirement, ...]
    answers: dict[str, float]
    notes: tuple[str, ...]
    domain_of: dict[str, str]

    def summary(self) -> Summary:
        title = "智能制造能力成熟度" + ("" if self.official else "（自评，非官方）")
        rows: list[tuple[str, Any]] = [
            ("项集", self.item_set),
            (
                "模型",
                self.model_version
                + (f"（{_VARIANT_CN.get(self.variant, self.variant)}）" if self.variant else ""),
            ),
        ]
        rows += [(f"A{k + 1}", a) for k, a in enumerate(self.level_scores)]
        rows += [
            ("成熟度得分 S", self.maturity_score),
            ("等级", f"{self.level} {self.level_name}"),
            ("逐级门槛等级", self.gate_level),
        ]
        if self.next_level is not None:
            rows.append((f"{self.next_level}级未全部满足的要求", len(self.unmet)))
        return Summary(title, tuple(rows), self.notes)

    def to_frame(self) -> pd.DataFrame:
        """Per level and 子域: C, the domain's B and the level's A."""
        rows = []
        for (lv, sid), c in self.sub_domain_scores.items():
            dom = self.domain_of[sid]
            rows.append(
                {
                    "level": lv,
                    "domain": dom,
                    "sub_domain": sid,
                    "sub_domain_score": c,
                    "domain_score": self.domain_scores[(lv, dom)],
                    "level_score": self.level_scores[lv - 1],
                }
            )
        return pd.DataFrame(rows)

    def unmet_frame(self) -> pd.DataFrame:
        """The next level's requirements not fully met."""
        cols = ["id", "level", "domain", "sub_domain", "text", "x"]
        return pd.DataFrame([u.__dict__ for u in self.unmet], columns=cols)


def band_level(score: float, version: str = "2020", *, spec: CMMMSpec | None = None) -> int:
    """The level (0–5) whose band holds an overall score S (0 below the lowest band).

    Examples
    --------
    >>> [band_level(s) for s in (0.79, 0.8, 1.79, 1.8, 4.79, 4.8, 5.0)]
    [0, 1, 1, 2, 4, 5, 5]
    """
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 5:
        raise DataValidationError(
            f"expected a score 0–5, got {score!r}",
            field="score",
            zh=f"成熟度得分应为 0–5，收到 {score!r}",
        )
    model = (spec or load_cmmm_spec()).model(version)
    s = round(float(score), _ROUND)
    for band in model.bands:
        if band.contains(s):
            return band.level
    return 0


def score_cmmm(
    items: CMMMItemSet | str | os.PathLike[str],
    answers: Mapping[str, Any],
    *,
    variant: str | None = None,
    weights: Mapping[str, float] | None = None,
    fill: Literal["equal"] | None = None,
    spec: CMMMSpec | None = None,
) -> CMMMResult:
    """Score answers to a CMMM item set.

    Parameters
    ----------
    items
        An item set (:func:`load_cmmm`) or its id / path.
    answers
        Item id → 全部满足 / 大部分满足 / 部分满足 / 不满足 (or 1 / 0.8 / 0.5 / 0).  Every
        item must be answered.
    variant
        ``process`` (流程型) or ``discrete`` (离散型) for a model whose weights depend on
        it (the 2024 draft).
    weights
        Percent weights overriding or supplying the model's, keyed by element name
        (``人员``), domain name (``生产作业``) or ``"domain/sub-domain"``
        (``"研发设计/产品设计"``).  Each group must add up to 100.
    fill
        ``"equal"``: where a whole group has no weight in the reference, use equal shares
        (recorded in ``notes``).  ``None`` (default): a missing weight is an error.
    spec
        The model file (default: the shipped ``cmmm-2020.yaml``).

    Raises
    ------
    DataValidationError
        An unknown, missing or badly answered item (naming it), a missing weight or variant.
    """
    if not isinstance(items, CMMMItemSet):
        items = load_cmmm(items, spec=spec)
    spec = spec or load_cmmm_spec()
    model = spec.model(items.model.version)
    if model.variants:
        if variant not in model.variants:
            raise DataValidationError(
                f"model {model.version} needs variant= one of {list(model.variants)}, "
                f"got {variant!r}",
                field="variant",
                zh=f"模型 {model.version} 需选择行业类型（{_variants_cn(model.variants)}），"
                f"收到 {variant!r}",
            )
    elif variant is not None:
        raise DataValidationError(
            f"model {model.version} has no weight variants; drop variant={variant!r}",
            field="variant",
            zh=f"模型 {model.version} 不区分行业类型，不应给出 {variant!r}",
        )
    if not isinstance(answers, Mapping):
        raise DataValidationError(
            f"answers must be a mapping item id → satisfaction, got {type(answers).__name__}",
            zh=f"答案应为“要求编号 → 满足程度”的映射，收到 {type(answers).__name__}",
        )
    ids = [it.id for it in items.items]
    known = set(ids)
    for key in answers:
        if key not in known:
            en, zh = did_you_mean(key, ids)
            hint, hint_cn = (f"; {en}", f"；{zh}") if en else ("", "")
            raise DataValidationError(
                f"unknown item {key!r} in item set {items.id}-{items.version}{hint}",
                field=str(key),
                zh=f"要求集 {items.id}-{items.version} 中没有要求 {key!r}{hint_cn}",
            )
    missing = [i for i in ids if i not in answers]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise DataValidationError(
            f"{len(missing)} item(s) not answered: {', '.join(missing[:5])}{more}",
            field=missing[0],
            zh=f"{len(missing)} 项要求缺少答案：{'、'.join(missing[:5])}"
            + (" 等" if len(missing) > 5 else ""),
        )
    table = spec.satisfaction_map
    xs = {i: _satisfaction(i, answers[i], table) for i in ids}

    elem_w, dom_w, sub_w, notes = _resolve_weights(model, variant, weights or {}, fill)

    # C: mean X per (level, sub-domain)
    by_cell: dict[tuple[int, str], list[float]] = {}
    for it in items.items:
        by_cell.setdefault((it.level, it.sub_domain), []).append(xs[it.id])
    sub_scores: dict[tuple[int, str], float] = {}
    dom_scores: dict[tuple[int, str], float] = {}
    level_scores: list[float] = []
    renormalized = False
    for lv in range(1, 6):
        contrib: list[tuple[float, float]] = []  # (alpha, B)
        for d in model.domains:
            subs = [s for s in d.sub_domains if (lv, s.id) in by_cell]
            if not subs:
                continue
            gam = sum(sub_w[s.id] for s in subs)
            if len(subs) < len(d.sub_domains):
                renormalized = True
            b = 0.0
            for s in subs:
                cell = by_cell[(lv, s.id)]
                c = sum(cell) / len(cell)
                sub_scores[(lv, s.id)] = c
                b += c * (sub_w[s.id] / gam if gam > 0 else 1 / len(subs))
            dom_scores[(lv, d.name)] = b
            alpha = dom_w[d.id] * (elem_w[d.element] if model.elements and d.element else 1)
            contrib.append((alpha, b))
        if not contrib:
            level_scores.append(math.nan)
            continue
        total_alpha = sum(a for a, _ in contrib)
        if not math.isclose(total_alpha, 1.0, abs_tol=1e-9):
            renormalized = True
        a_k = (
            sum(a * b for a, b in contrib) / total_alpha
            if total_alpha > 0
            else sum(b for _, b in contrib) / len(contrib)
        )
        level_scores.append(a_k)
    if renormalized:
        notes.append(
            "部分等级缺少某些子域/域的要求：其权重已在现有子域/域间重新归一"
            f"（{confidence_zh('design')}）"
        )

    rule = spec.maturity_score
    s = 0.0
    gate = 0
    for k, a in enumerate(level_scores):
        if math.isnan(a):
            break
        s += a
        if a < rule.threshold - _TOL:
            break
        gate = k + 1
    s = round(s, _ROUND)
    level = band_level(s, model.version, spec=spec)
    next_level = level + 1 if level < 5 else None
    unmet = ()
    if next_level is not None:
        unmet = tuple(
            UnmetRequirement(
                it.id,
                it.level,
                model.domain_of(it.sub_domain).name,
                it.sub_domain,
                it.text,
                xs[it.id],
            )
            for it in items.items
            if it.level == next_level and xs[it.id] < 1 - _TOL
        )
    notes.append(
        f"成熟度得分 S 按“{rule.rule}”规则合成（门槛 {rule.threshold:g}；"
        f"{confidence_zh(rule.confidence)}）：参考资料未说明 S 如何合成（frameworks.md §7 第 4 项）"
    )
    bands_note = f"；{model.bands_note}" if model.bands_note else ""
    notes.append(f"等级区间：{confidence_zh(model.bands_confidence)}{bands_note}")
    if not items.official:
        notes.append(f"要求集 {items.id} 非官方（{confidence_zh(items.confidence)}），仅供自查筛查")
    return CMMMResult(
        item_set=f"{items.id}-{items.version}",
        official=items.official,
        model_version=model.version,
        variant=variant,
        level_scores=tuple(level_scores),
        domain_scores=dom_scores,
        sub_domain_scores=sub_scores,
        maturity_score=s,
        level=level,
        level_name=spec.level_name(level),
        gate_level=gate,
        next_level=next_level,
        unmet=unmet,
        answers=xs,
        notes=tuple(notes),
        domain_of={sid: model.domain_of(sid).name for sid in model.sub_domain_ids},
    )
