"""Acceptance and subsidy rules as data (验收与补助规则), evaluated to tables.

A rule is a YAML file with ``kind`` (``acceptance`` or ``subsidy``), ``id``, ``version``,
``source`` and ``confidence``, shipped in ``nqpf/evaluation/data`` (a new version is a
new file, so old results stay reproducible) or given by path.  Numbers come only from a
cited source; a reading of ours is marked ``design`` and said so in ``notes``.

Acceptance targets
    A share of enterprises at a level or above, among a population (e.g. 规上 firms),
    per group (e.g. 细分行业), at T1 — or its change T0 → T1 — against a threshold
    (``null``: reported, not judged).
Subsidy
    ``min(share × eligible spend, cap of the level reached at T1)``, nothing below
    ``min_level``.

Examples
--------
>>> list_rules()
['acceptance-sme-pilot-2023', 'subsidy-longyan-2025']
>>> rule = load_rule("subsidy-longyan-2025")
>>> rule.share, dict(rule.caps), rule.confidence
(0.5, {2: 25.0, 3: 35.0, 4: 45.0}, 'secondary')
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, model_validator

from nqpf._datafile import (
    FileId,
    FrozenModel,
    Identifier,
    LocatedValueError,
    Note,
    Text,
    Version,
    fmt_num,
    parse_yaml_model,
)
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "AcceptanceResult",
    "AcceptanceRule",
    "AcceptanceTarget",
    "SubsidyResult",
    "SubsidyRule",
    "evaluate_acceptance",
    "evaluate_subsidy",
    "list_rules",
    "load_rule",
    "parse_rule",
]

#: ``design`` marks a value or reading that is nqpf's own, not a source's.
RuleConfidence = Literal["official", "secondary", "design", "unverified"]
_LEVEL_ZH = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


class AcceptanceTarget(FrozenModel):
    """One target: a share of a population at ``level`` or above, per group."""

    id: Identifier
    label: Text
    population: dict[Identifier, tuple[str, ...]] = Field(default_factory=dict)
    group_by: Identifier | None = None
    statistic: Literal["share_at_least_level", "change_in_share_at_least_level"]
    level: int = Field(ge=1, le=4)
    wave: Literal["t0", "t1"] = "t1"
    threshold: float | None = Field(default=None, ge=0, le=1)
    note: Note = ""


class AcceptanceRule(FrozenModel):
    """An acceptance rule file (``kind: acceptance``)."""

    kind: Literal["acceptance"]
    id: FileId
    version: Version
    name: Text
    source: Text
    confidence: RuleConfidence
    notes: Note = ""
    targets: tuple[AcceptanceTarget, ...] = Field(min_length=1)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


class SubsidyRule(FrozenModel):
    """A subsidy rule file (``kind: subsidy``): a share of eligible spend, capped by level."""

    kind: Literal["subsidy"]
    id: FileId
    version: Version
    name: Text
    source: Text
    confidence: RuleConfidence
    notes: Note = ""
    unit: Text
    share: float = Field(gt=0, le=1)
    min_level: int = Field(ge=0, le=4)
    caps: dict[int, float]

    @model_validator(mode="after")
    def _check_caps(self) -> SubsidyRule:
        levels = sorted(self.caps)
        for lv in levels:
            if not self.min_level <= lv <= 4:
                raise LocatedValueError(
                    f"cap of level {lv}: levels run from min_level {self.min_level} to 4",
                    ("caps", lv),
                )
            if self.caps[lv] < 0:
                raise LocatedValueError(f"cap of level {lv} must be >= 0", ("caps", lv))
        if levels and levels[0] != self.min_level:
            raise LocatedValueError(
                f"min_level {self.min_level} has no cap; caps start at level {levels[0]}",
                ("min_level",),
            )
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def cap(self, level: int) -> float:
        """The cap of ``level`` (that of the highest capped level at or below it)."""
        known = [lv for lv in self.caps if lv <= level]
        return self.caps[max(known)] if known else 0.0


_MODELS = {"acceptance": AcceptanceRule, "subsidy": SubsidyRule}


def parse_rule(text: str, *, filename: str = "<string>") -> AcceptanceRule | SubsidyRule:
    """A rule from YAML text; errors name the file, line and key."""
    try:
        top = yaml.safe_load(text)
    except yaml.YAMLError:
        top = None  # the loader below reports the syntax error with its line
    kind = top.get("kind") if isinstance(top, dict) else None
    if kind not in _MODELS:
        raise ConfigError(
            f"kind must be 'acceptance' or 'subsidy', got {kind!r}",
            file=filename,
            field="kind",
            zh=f"规则类型 kind 应为 acceptance 或 subsidy，收到 {kind!r}",
        )
    return parse_yaml_model(text, _MODELS[kind], filename=filename, what="a rule")


def list_rules() -> list[str]:
    """The shipped rule files (stems), sorted."""
    root = resources.files(__name__.rpartition(".")[0]).joinpath("data")
    return sorted(Path(e.name).stem for e in root.iterdir() if e.name.endswith(".yaml"))


@functools.cache
def _shipped(stem: str) -> AcceptanceRule | SubsidyRule:
    root = resources.files(__name__.rpartition(".")[0]).joinpath("data")
    return parse_rule(root.joinpath(f"{stem}.yaml").read_text("utf-8"), filename=f"{stem}.yaml")


def load_rule(rule: str | os.PathLike[str]) -> AcceptanceRule | SubsidyRule:
    """A shipped rule by file stem (:func:`list_rules`), or a YAML file by path.

    Raises
    ------
    ConfigError
        An unknown name, a missing file, or a malformed rule (naming the key and line).
    """
    if isinstance(rule, str) and rule in list_rules():
        return _shipped(rule)
    path = Path(rule)
    if not path.is_file():
        shipped = list_rules()
        raise ConfigError(
            f"no shipped rule or file {str(rule)!r}; shipped: {', '.join(shipped)}",
            field="rule",
            zh=f"没有规则 {str(rule)!r}；可选：{'、'.join(shipped)}",
        )
    return parse_rule(path.read_text(encoding="utf-8-sig"), filename=str(path))


# -- evaluation ------------------------------------------------------------------------------


def _column(frame: pd.DataFrame, columns: Mapping[str, str], role: str) -> pd.Series:
    name = columns.get(role, role)
    if name not in frame.columns:
        raise DataValidationError(
            f"missing column {name!r} (the rule's {role!r})",
            column=name,
            zh=f"缺少列 {name!r}（规则需要的 {role}）",
        )
    return frame[name]


def _levels(frame: pd.DataFrame, columns: Mapping[str, str], role: str) -> np.ndarray:
    col = _column(frame, columns, role)
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(x) | (x != np.round(x)) | (x < 0) | (x > 4)
    if bad.any():
        rows = np.flatnonzero(bad)
        name = columns.get(role, role)
        shown = ", ".join(str(frame.index[i]) for i in rows[:5])
        raise DataValidationError(
            f"{rows.size} enterprise(s) have no level 0–4 (rows {shown}); a share with "
            "missing levels would be wrong",
            column=name,
            data_row=int(rows[0]),
            zh=f"{rows.size} 家企业缺少 0–4 的等级（行 {shown}），无法计算占比",
        )
    return x.astype(np.int64)


@dataclass(frozen=True, eq=False)
class AcceptanceResult(Result):
    """An acceptance rule evaluated on a table of enterprises.

    Attributes
    ----------
    rule
        ``id@version`` of the rule; ``confidence`` and ``source`` as the file gives them.
    table
        One row per target and group: ``target``, ``label``, ``group``, ``n`` (firms in
        the population and group), ``n_meeting`` (at the level or above; at T1 for the
        change statistic), ``share_t0``, ``share_t1``, ``value`` (the statistic: the
        share at the target's wave, or T1 − T0), ``threshold`` and ``passed`` (None when
        the target has no threshold).
    """

    rule: str
    name: str
    confidence: str
    source: str
    table: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool | None:
        """All judged rows pass (None when no row is judged)."""
        judged = self.table["passed"].dropna()
        return None if judged.empty else bool(judged.astype(bool).all())

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [("规则", f"{self.name}（{self.rule}）")]
        for r in self.table.itertuples(index=False):
            where = f"{r.target} [{r.group}]" if r.group != "全部" else r.target
            value = (
                f"{100 * r.value:+.1f} 个百分点"
                if r.statistic.startswith("change")
                else (f"{100 * r.value:.1f}%")
            )
            verdict = "—" if r.passed is None else ("达标" if r.passed else "未达标")
            bar = "" if pd.isna(r.threshold) else f"，要求 ≥ {100 * r.threshold:g}%"
            rows.append((where, f"{value}（{r.n_meeting}/{r.n}{bar}）{verdict}"))
        notes = [f"来源：{self.source}（可信度 {self.confidence}）", *self.notes]
        return Summary(title="验收规则评估", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        return self.table


def evaluate_acceptance(
    rule: AcceptanceRule | str,
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
) -> AcceptanceResult:
    """Evaluate an acceptance rule on a table of enterprises (one row each).

    Parameters
    ----------
    rule
        An :class:`AcceptanceRule` or a shipped name / path (:func:`load_rule`).
    frame
        One row per enterprise, with the rule's roles as columns: ``level_t1`` (and
        ``level_t0`` for a change or a T0 target), plus each population and group role
        (``scale`` (规上 / 规下) and ``segment`` (细分行业) in the shipped rule).
    columns
        Role → column name where the table names them otherwise, e.g.
        ``{"scale": "规模", "segment": "细分行业"}``.

    Raises
    ------
    DataValidationError
        A missing column, or a level that is missing or not 0–4 (named by row).

    Notes
    -----
    share = #(population ∩ group with level ≥ L) / #(population ∩ group); a threshold
    is met when share ≥ threshold (the "不低于 90%" of the notice).  The change statistic
    is share_T1 − share_T0 over the same firms.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"scale": ["规上"] * 4 + ["规下"] * 2,
    ...                       "segment": ["A"] * 6,
    ...                       "level_t0": [1, 1, 2, 1, 1, 1], "level_t1": [2, 2, 3, 2, 1, 2]})
    >>> r = evaluate_acceptance("acceptance-sme-pilot-2023", firms)
    >>> r.table[["target", "n", "n_meeting", "value", "passed"]].values.tolist()
    [['guishang_level2_share', 4, 4, 1.0, True], ['guixia_level2_share_change', 2, 1, 0.5, None]]
    """
    rule = load_rule(rule) if isinstance(rule, str | os.PathLike) else rule
    if not isinstance(rule, AcceptanceRule):
        raise DataValidationError(
            f"{rule.key} is a {rule.kind} rule, not an acceptance rule",
            field="rule",
            zh=f"{rule.key} 不是验收规则",
        )
    columns = dict(columns or {})
    rows = []
    for t in rule.targets:
        need_t0 = t.statistic.startswith("change") or t.wave == "t0"
        keep = np.ones(len(frame), dtype=bool)
        for role, accepted in t.population.items():
            keep &= _column(frame, columns, role).astype(str).str.strip().isin(accepted).to_numpy()
        l1 = _levels(frame, columns, "level_t1")[keep] if (t.wave == "t1" or need_t0) else None
        l0 = _levels(frame, columns, "level_t0")[keep] if need_t0 else None
        if t.group_by is not None:
            groups = _column(frame, columns, t.group_by).astype(str).str.strip().to_numpy()[keep]
        else:
            groups = np.full(int(keep.sum()), "全部", dtype=object)
        for g in pd.unique(groups):
            ing = groups == g
            s1 = float((l1[ing] >= t.level).mean()) if l1 is not None else np.nan
            s0 = float((l0[ing] >= t.level).mean()) if l0 is not None else np.nan
            value = s1 - s0 if t.statistic.startswith("change") else (s1 if t.wave == "t1" else s0)
            at = l1 if t.wave == "t1" or t.statistic.startswith("change") else l0
            passed = None if t.threshold is None else bool(value >= t.threshold - 1e-12)
            rows.append(
                {
                    "target": t.id,
                    "label": t.label,
                    "statistic": t.statistic,
                    "group": g,
                    "n": int(ing.sum()),
                    "n_meeting": int((at[ing] >= t.level).sum()),
                    "share_t0": s0,
                    "share_t1": s1,
                    "value": value,
                    "threshold": t.threshold,
                    "passed": passed,
                }
            )
    columns_out = [
        "target", "label", "statistic", "group", "n", "n_meeting",
        "share_t0", "share_t1", "value", "threshold", "passed",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns_out)
    table["passed"] = table["passed"].astype(object)
    notes = (rule.notes,) if rule.notes else ()
    return AcceptanceResult(
        rule=rule.key,
        name=rule.name,
        confidence=rule.confidence,
        source=rule.source,
        table=table,
        notes=notes,
    )


@dataclass(frozen=True, eq=False)
class SubsidyResult(Result):
    """A subsidy rule evaluated per enterprise.

    Attributes
    ----------
    rule, name, confidence, source, unit
        The rule (``id@version``), its name, confidence, source and money unit.
    table
        One row per enterprise: ``enterprise``, ``level``, ``eligible_spend``,
        ``share_amount`` (share × spend), ``cap``, ``subsidy``, ``cap_binding`` and
        ``reason`` (Chinese), money in ``unit``.
    """

    rule: str
    name: str
    confidence: str
    source: str
    unit: str
    table: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return float(self.table["subsidy"].sum())

    def summary(self) -> Summary:
        t = self.table
        rows: list[tuple[str, Any]] = [
            ("规则", f"{self.name}（{self.rule}）"),
            ("企业数", len(t)),
            ("获补企业数", int((t["subsidy"] > 0).sum())),
            ("封顶企业数", int(t["cap_binding"].sum())),
            (f"可补投入合计（{self.unit}）", fmt_num(round(float(t["eligible_spend"].sum()), 6))),
            (f"补助合计（{self.unit}）", fmt_num(round(self.total, 6))),
        ]
        notes = [f"来源：{self.source}（可信度 {self.confidence}）", *self.notes]
        return Summary(title="补助规则测算", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        return self.table


def evaluate_subsidy(
    rule: SubsidyRule | str,
    frame: pd.DataFrame,
    *,
    spend: str = "eligible_spend",
    level: str = "level_t1",
    enterprise: str | None = None,
    spend_unit: str | None = None,
) -> SubsidyResult:
    """The subsidy of each enterprise under a subsidy rule.

    Parameters
    ----------
    rule
        A :class:`SubsidyRule` or a shipped name / path.
    frame
        One row per enterprise.
    spend, level
        Columns of the eligible spend (可补改造投入) and of the level reached at T1.
    enterprise
        Column naming the enterprise (default the row label).
    spend_unit
        Unit of ``spend`` when not the rule's (converted with :func:`nqpf.codes.convert`).

    Raises
    ------
    DataValidationError
        A missing column, a missing or negative spend, a level that is not 0–4.

    Notes
    -----
    subsidy = min(share × spend, cap(level)) when level ≥ min_level, else 0; cap(level)
    is the cap of the highest capped level at or below the level reached.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"eligible_spend": [40, 80, 100, 100], "level_t1": [2, 3, 4, 1]})
    >>> r = evaluate_subsidy("subsidy-longyan-2025", firms)
    >>> r.table["subsidy"].tolist(), r.total
    ([20.0, 35.0, 45.0, 0.0], 100.0)
    """
    rule = load_rule(rule) if isinstance(rule, str | os.PathLike) else rule
    if not isinstance(rule, SubsidyRule):
        raise DataValidationError(
            f"{rule.key} is a {rule.kind} rule, not a subsidy rule",
            field="rule",
            zh=f"{rule.key} 不是补助规则",
        )
    lv = _levels(frame, {}, level)
    raw = _column(frame, {}, spend)
    x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(x) | (x < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{int(bad.sum())} eligible spend value(s) missing or negative, first at row "
            f"{frame.index[i]} ({raw.iloc[i]!r})",
            column=spend,
            data_row=i,
            zh=f"{int(bad.sum())} 家企业的可补投入缺失或为负（首个在行 {frame.index[i]}：{raw.iloc[i]!r}）",
        )
    if spend_unit is not None:
        from nqpf.codes.units import convert

        x = np.asarray(convert(x, spend_unit, rule.unit, field=spend), dtype=float)
    caps = np.array([rule.cap(int(v)) if v >= rule.min_level else 0.0 for v in lv])
    eligible = lv >= rule.min_level
    amount = rule.share * x
    subsidy = np.where(eligible, np.minimum(amount, caps), 0.0)
    binding = eligible & (amount > caps)
    unit = rule.unit
    reasons = []
    for v, a, c, s, ok, b in zip(lv, amount, caps, subsidy, eligible, binding, strict=True):
        if not ok:
            reasons.append(
                f"改造后等级 {_LEVEL_ZH.get(int(v), v)} 低于 {_LEVEL_ZH[rule.min_level]}，不予补助"
            )
        elif b:
            reasons.append(
                f"{fmt_num(100 * rule.share)}% × 投入 = {fmt_num(round(a, 6))}{unit}，"
                f"超过{_LEVEL_ZH[int(v)]}封顶 {fmt_num(c)}{unit}，按封顶"
            )
        else:
            reasons.append(
                f"{fmt_num(100 * rule.share)}% × 投入 = {fmt_num(round(s, 6))}{unit}"
                f"（未超{_LEVEL_ZH[int(v)]}封顶 {fmt_num(c)}{unit}）"
            )
    names = frame[enterprise].to_numpy() if enterprise is not None else frame.index.to_numpy()
    table = pd.DataFrame(
        {
            "enterprise": names,
            "level": lv,
            "eligible_spend": x,
            "share_amount": amount,
            "cap": np.where(eligible, caps, np.nan),
            "subsidy": subsidy,
            "cap_binding": binding,
            "reason": reasons,
        }
    )
    return SubsidyResult(
        rule=rule.key,
        name=rule.name,
        confidence=rule.confidence,
        source=rule.source,
        unit=unit,
        table=table,
        notes=(rule.notes,) if rule.notes else (),
    )
