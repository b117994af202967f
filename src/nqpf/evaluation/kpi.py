"""KPI before/after of one project: baseline, target, achieved, % of target, units checked.

A project KPI (the platform's ``Project.kpis``: name, baseline, target, actual, unit) is
read by :func:`kpi_effects`.  Each value may carry its own unit (``"1,250 万元"`` or a
``baseline_unit`` key); it is converted to the KPI's unit through the unit table of
:mod:`nqpf.codes.units`, and a unit the table does not know must be spelt the same on
every value (a ratio such as ``tce/万元`` is checked part by part).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf._datafile import fmt_num
from nqpf.codes.units import convert, parse_number, unit_info
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = ["KpiResult", "kpi_effects"]

_VALUES = ("baseline", "target", "achieved")
_ALIASES = {"actual": "achieved", "achieved_value": "achieved", "基线": "baseline",
            "目标": "target", "实际": "achieved", "名称": "name", "单位": "unit"}  # fmt: skip
_KEYS = {"name", "unit", "direction", *_VALUES, *(f"{v}_unit" for v in _VALUES)}
_NUMBER_UNIT = re.compile(
    r"^\s*(?P<num>[+-]?[0-9０-９,，.．eE+-]*[0-9０-９])\s*(?P<unit>.*?)\s*$", re.S
)
_PERCENT = {"%", "％", "percent", "百分比"}
_LABEL = {"baseline": "基线值", "target": "目标值", "achieved": "实际值"}


def _known(unit: str) -> bool:
    """Whether the unit table knows ``unit`` (every part of a ratio ``a/b``)."""
    if unit.strip() in _PERCENT:
        return True
    parts = unit.split("/", 1) if "/" in unit else [unit]
    try:
        for p in parts:
            unit_info(p)
    except DataValidationError:
        return False
    return True


def _factor(src: str, dst: str, where: str) -> float:
    """Multiplier taking a value in ``src`` to ``dst``; refused unless the table links them."""
    if src.strip() == dst.strip():
        return 1.0
    if "/" in src and "/" in dst:
        (a, b), (c, d) = src.split("/", 1), dst.split("/", 1)
        return _factor(a, c, where) / _factor(b, d, where)
    try:
        return float(convert(1.0, src, dst, field=where))
    except DataValidationError as exc:
        raise DataValidationError(
            f"cannot convert {src!r} to the KPI's unit {dst!r}: {exc.reason}",
            field=where,
            zh=f"单位 {src!r} 无法换算为指标单位 {dst!r}：{exc.reason_zh}",
        ) from None


def _value(raw: Any, unit_key: str | None, unit: str, where: str) -> float:
    """A KPI value in the KPI's unit (NaN when missing)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return math.nan
    if isinstance(raw, bool):
        raise DataValidationError(
            f"expected a number, got {raw!r}", field=where, zh=f"应为数字，收到 {raw!r}"
        )
    if isinstance(raw, int | float | np.integer | np.floating):
        number, own = float(raw), ""
    elif isinstance(raw, str):
        m = _NUMBER_UNIT.match(raw)
        if m is None:
            raise DataValidationError(
                f"expected a number with an optional unit, got {raw[:30]!r}",
                field=where,
                zh=f"应为数字（可带单位），收到 {raw[:30]!r}",
            )
        number, own = parse_number(m["num"], field=where), m["unit"]
    else:
        raise DataValidationError(
            f"expected a number, got {type(raw).__name__}",
            field=where,
            zh=f"应为数字，收到 {type(raw).__name__}",
        )
    if own and unit_key and own.strip() != unit_key.strip():
        raise DataValidationError(
            f"the value says {own!r} but its unit key says {unit_key!r}",
            field=where,
            zh=f"数值写的单位 {own!r} 与单位栏 {unit_key!r} 不一致",
        )
    src = own or unit_key or unit
    if not unit and src:
        raise DataValidationError(
            f"the value has unit {src!r} but the KPI has none; give the KPI's unit",
            field=where,
            zh=f"数值带单位 {src!r}，但指标未给出单位",
        )
    return number * _factor(src, unit, where) if src else number


def _direction(given: Any, baseline: float, target: float, where: str) -> str:
    if given in ("+", "-"):
        return str(given)
    if given not in (None, ""):
        raise DataValidationError(
            f"direction must be '+' (higher is better) or '-' (lower is better), got {given!r}",
            field=where,
            zh=f"方向应为 '+'（越高越好）或 '-'（越低越好），收到 {given!r}",
        )
    if math.isnan(baseline) or math.isnan(target) or target == baseline:
        return "+"
    return "+" if target > baseline else "-"


def _kpi_row(i: int, kpi: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(kpi, Mapping):
        raise DataValidationError(
            f"KPI {i + 1} must be a mapping (name, baseline, target, achieved, unit)",
            field=f"kpis[{i}]",
            zh=f"第 {i + 1} 个指标应为“名称、基线、目标、实际、单位”的映射",
        )
    k = {_ALIASES.get(str(key), str(key)): v for key, v in kpi.items()}
    unknown = sorted(set(k) - _KEYS)
    if unknown:
        raise DataValidationError(
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_KEYS))}",
            field=f"kpis[{i}].{unknown[0]}",
            zh=f"第 {i + 1} 个指标有无法识别的字段 {'、'.join(unknown)}",
        )
    name = str(k.get("name") or "").strip()
    if not name:
        raise DataValidationError(
            f"KPI {i + 1} has no name", field=f"kpis[{i}].name", zh=f"第 {i + 1} 个指标缺少名称"
        )
    unit = str(k.get("unit") or "").strip()
    values = {}
    for v in _VALUES:
        where = f"kpis[{i}].{v}"
        try:
            values[v] = _value(k.get(v), k.get(f"{v}_unit"), unit, where)
        except DataValidationError as exc:
            raise DataValidationError(
                f"KPI {name!r}, {v}: {exc.reason}",
                field=where,
                zh=f"指标“{name}”的{_LABEL[v]}：{exc.reason_zh}",
            ) from None
    for v in ("baseline", "target"):
        if math.isnan(values[v]):
            raise DataValidationError(
                f"KPI {name!r} has no {v}",
                field=f"kpis[{i}].{v}",
                zh=f"指标“{name}”缺少{_LABEL[v]}",
            )
    b, t, a = values["baseline"], values["target"], values["achieved"]
    direction = _direction(k.get("direction"), b, t, f"kpis[{i}].direction")
    planned = t - b
    change = a - b
    pct = 100.0 * change / planned if planned != 0 and not math.isnan(a) else math.nan
    if math.isnan(a):
        met, status = None, "未填报"
    else:
        met = bool(a >= t) if direction == "+" else bool(a <= t)
        status = "已达成" if met else "未达成"
    check = (
        ("百分比" if unit in _PERCENT else "已核对（单位表）")
        if unit and _known(unit)
        else ("无单位" if not unit else "未在单位表中（仅核对写法一致）")
    )
    return {
        "name": name,
        "unit": unit,
        "direction": direction,
        "baseline": b,
        "target": t,
        "achieved": a,
        "planned_change": planned,
        "change": change,
        "pct_of_target": pct,
        "met": met,
        "status": status,
        "unit_check": check,
    }


@dataclass(frozen=True, eq=False)
class KpiResult(Result):
    """Before/after of a project's KPIs.

    Attributes
    ----------
    table
        One row per KPI: ``name``, ``unit``, ``direction`` (``+`` higher is better, ``-``
        lower is better), ``baseline``, ``target``, ``achieved`` (all in ``unit``),
        ``planned_change`` (target − baseline), ``change`` (achieved − baseline),
        ``pct_of_target`` (change / planned change × 100), ``met`` (achieved at or
        beyond the target in the KPI's direction; None when not reported), ``status``
        (已达成 / 未达成 / 未填报) and ``unit_check``.
    notes
        Chinese notes (KPIs whose unit the table does not know, targets equal to the
        baseline).
    """

    table: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def n_met(self) -> int:
        """KPIs that reached their target."""
        return int((self.table["met"] == True).sum())  # noqa: E712 - object column

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [("指标数", len(self.table)), ("已达成", self.n_met)]
        for r in self.table.itertuples(index=False):
            unit = f" {r.unit}" if r.unit else ""
            done = "" if math.isnan(r.pct_of_target) else f"，完成目标增量的 {r.pct_of_target:.1f}%"
            achieved = "未填报" if math.isnan(r.achieved) else fmt_num(round(r.achieved, 6))
            rows.append(
                (
                    r.name,
                    f"基线 {fmt_num(round(r.baseline, 6))} → 实际 {achieved}{unit}"
                    f"（目标 {fmt_num(round(r.target, 6))}{done}；{r.status}）",
                )
            )
        return Summary(title="项目指标前后对比", rows=tuple(rows), notes=self.notes)

    def to_frame(self) -> pd.DataFrame:
        return self.table


def kpi_effects(kpis: Sequence[Mapping[str, Any]]) -> KpiResult:
    """Baseline, target and achieved value of each project KPI, and how far it got.

    Parameters
    ----------
    kpis
        One mapping per KPI with ``name``, ``baseline``, ``target``, ``achieved`` (or
        ``actual``, the platform's key) and ``unit``; optional ``direction`` (``"+"``
        higher is better, ``"-"`` lower is better; default the sign of target −
        baseline) and ``baseline_unit`` / ``target_unit`` / ``achieved_unit``.  A value
        may be a number or text with its unit (``"1,250 万元"``); ``achieved`` may be
        missing (not yet reported).

    Returns
    -------
    KpiResult

    Raises
    ------
    DataValidationError
        A KPI without name, baseline or target; a value that is not a number; a unit
        that cannot be converted to the KPI's unit (different dimensions, or a spelling
        the unit table does not know that differs from the KPI's).  ``field`` names the
        KPI and key (``kpis[2].achieved``).

    Notes
    -----
    ``pct_of_target = (achieved − baseline) / (target − baseline) × 100``: the share of
    the planned change delivered, so 100 % means the target was reached whatever the
    direction; it is undefined (NaN) when the target equals the baseline.  Values are
    converted with :func:`nqpf.codes.units.convert` (a ratio ``a/b`` as
    factor(a) / factor(b)).

    Examples
    --------
    >>> r = kpi_effects([
    ...     {"name": "单位产值能耗", "baseline": 0.52, "target": 0.45, "actual": 0.47,
    ...      "unit": "tce/万元"},
    ...     {"name": "营业收入", "baseline": "1,200 万元", "target": "1,500 万元",
    ...      "achieved": "0.162 亿元", "unit": "万元"},
    ... ])
    >>> r.table[["name", "direction", "achieved", "pct_of_target", "met"]].round(2).values.tolist()
    [['单位产值能耗', '-', 0.47, 71.43, False], ['营业收入', '+', 1620.0, 140.0, True]]
    """
    if isinstance(kpis, Mapping | str) or not isinstance(kpis, Sequence):
        raise DataValidationError(
            "kpis must be a list of mappings", field="kpis", zh="指标应为列表，每项一个指标"
        )
    rows = [_kpi_row(i, k) for i, k in enumerate(kpis)]
    columns = [
        "name", "unit", "direction", "baseline", "target", "achieved", "planned_change",
        "change", "pct_of_target", "met", "status", "unit_check",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["met"] = table["met"].astype(object)
    notes = []
    for r in rows:
        if r["unit_check"].startswith("未在单位表"):
            notes.append(
                f"指标“{r['name']}”的单位 {r['unit']!r} 不在单位表中，未做换算（各值须用同一写法）。"
            )
        if r["planned_change"] == 0:
            notes.append(f"指标“{r['name']}”的目标等于基线，无法计算完成比例。")
    return KpiResult(table=table, notes=tuple(notes))
