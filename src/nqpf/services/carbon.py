"""Energy and carbon accounting use case (能源与碳排放核算), shared by the CLI and the web.

Objects or bytes in, results and tables out.  The rules are those of
:mod:`nqpf.assessment.carbon`: they raise :class:`~nqpf.exceptions.DataValidationError`
naming the field, with the reason in English and Chinese, and each door says it in its
own language.

Inventory files (the CLI)
    :func:`load_inventory` reads an inventory file's bytes into keyword arguments of
    :func:`~nqpf.assessment.carbon.account`, :func:`account_inventory` accounts such a
    mapping, :func:`result_tables` gives the result's tables, and :func:`account_file` is
    the path wrapper (through :func:`nqpf.services.files.read_input`).
Stored inventories (the web)
    :func:`inventory_inputs` checks a year's inputs and gives them in the shape the
    platform stores; :func:`inventory_summary` accounts them into the JSON summary it
    stores (:func:`summary_dict`); :func:`default_inputs`, :func:`year_over_year` and
    :func:`carbon_tables` / :func:`carbon_xlsx` (the download, headers in Chinese).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pandas as pd
import yaml

from nqpf.assessment.carbon import (
    FACTOR_NAMES_ZH,
    GRID_KIND_LABELS,
    CarbonResult,
    account,
    check_inputs,
    check_year,
    parse_grid_factor,
    provinces,
    provincial_years,
)
from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import xlsx_bytes
from nqpf.io.tables import read_table
from nqpf.reports.labels import CARBON_LINE_COLUMNS, CONFIDENCE_LABELS, confidence_label
from nqpf.services.files import read_input

__all__ = [
    "CARBON_TABLES",
    "CONFIDENCE_LABELS",  # the factors' confidence in Chinese, for the doors' pages
    "AccountOutcome",
    "account_file",
    "account_inventory",
    "carbon_tables",
    "carbon_xlsx",
    "default_inputs",
    "inventory_inputs",
    "inventory_summary",
    "load_inventory",
    "parse_grid_factor",
    "result_tables",
    "summary_dict",
    "year_over_year",
]

CARBON_TABLES = ("totals", "carriers", "factors")


@dataclass(frozen=True)
class AccountOutcome:
    source: Path
    result: CarbonResult
    tables: dict[str, pd.DataFrame] = field(repr=False)


# ------------------------------------------------------------------------ inventory files
_INVENTORY_KEYS = {
    "inventory",
    "exported",
    "overrides",
    "process_emissions",
    "biomass_co2",
    "output",
    "revenue",
    "product_output",
    "product_unit",
    "electricity_convention",
    "year",
    "region",
    "grid_factor",
}


def load_inventory(data: bytes, *, name: str) -> dict[str, Any]:
    """Read an inventory file's bytes into keyword arguments of :func:`account`.

    YAML/JSON: ``{carrier: quantity}``, or a mapping with ``inventory`` (mapping or list of
    ``{carrier, quantity, unit}``) and optionally ``exported``, ``overrides``,
    ``process_emissions``, ``biomass_co2``, ``output``, ``revenue``, ``product_output``,
    ``product_unit``, ``electricity_convention``, ``year``, ``region``, ``grid_factor``.
    CSV/XLSX: columns ``carrier``, ``quantity`` and optionally ``unit``.  ``name`` is the
    file name: its suffix chooses the reader and messages name it.  The values are checked
    by :func:`account`.

    >>> load_inventory("柴油: 100\\n".encode(), name="inv.yaml")
    {'inventory': {'柴油': 100}}
    """
    suffix = PurePath(name).suffix.lower()
    if suffix in (".csv", ".xlsx"):
        table = read_table(data, name=name)
        missing = [c for c in ("carrier", "quantity") if c not in table.columns]
        if missing:
            raise DataValidationError(
                f"missing column(s) {', '.join(missing)}; expected carrier, quantity[, unit]",
                file=name,
                column=missing[0],
            )
        keep = [c for c in ("carrier", "quantity", "unit") if c in table.columns]
        return {"inventory": table[keep].dropna(how="all").to_dict("records")}
    if suffix not in (".yaml", ".yml", ".json"):
        raise DataValidationError(
            f"cannot read {suffix or 'files without a suffix'!r}; use .yaml, .json, .csv or .xlsx",
            file=name,
        )
    try:
        text = data.decode("utf-8-sig")
        parsed = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(f"not readable ({exc})".replace("\n", " "), file=name) from None
    if not isinstance(parsed, Mapping) or not parsed:
        raise DataValidationError(
            "expected a mapping {carrier: quantity} or {inventory: …}", file=name
        )
    if "inventory" not in parsed:
        return {"inventory": dict(parsed)}
    unknown = set(parsed) - _INVENTORY_KEYS
    if unknown:
        raise DataValidationError(
            f"unknown key(s) {sorted(unknown)}; expected {', '.join(sorted(_INVENTORY_KEYS))}",
            file=name,
            field=sorted(unknown)[0],
        )
    return dict(parsed)


def account_inventory(args: Mapping[str, Any], **options: Any) -> CarbonResult:
    """Account an inventory mapping (as :func:`load_inventory` gives); ``options`` that
    are not None (``year``, ``region``, ``grid_factor``, ``output`` …) override its keys."""
    merged = {**args, **{k: v for k, v in options.items() if v is not None}}
    if "year" not in merged:
        raise DataValidationError(
            "no accounting year: give --year or a 'year' key", field="year", zh="缺少核算年份"
        )
    return account(merged.pop("inventory", None), **merged)


def result_tables(result: CarbonResult) -> dict[str, pd.DataFrame]:
    """The result's tables (:data:`CARBON_TABLES`): totals, per carrier, factors used."""
    totals = pd.DataFrame([{"item": k, "value": str(v)} for k, v in result.summary().rows])
    return {"totals": totals, "carriers": result.to_frame(), "factors": result.factors_frame()}


def account_file(
    path: str | os.PathLike[str],
    *,
    year: int | None = None,
    region: str | None = None,
    grid_factor: str | float | None = None,
    **kwargs: Any,
) -> AccountOutcome:
    """Account energy use and CO2 of an inventory file; options override the file's keys."""
    file = read_input(path)
    try:
        args = load_inventory(file.data, name=file.name)
        result = account_inventory(
            args, year=year, region=region, grid_factor=grid_factor, **kwargs
        )
    except DataValidationError as exc:
        raise exc.at(file=file.name) from None
    return AccountOutcome(Path(path), result, result_tables(result))


# ---------------------------------------------------------------------- stored inventories
def inventory_inputs(
    *,
    year: Any,
    region: Any,
    grid_factor: Any,
    records: Sequence[Mapping[str, Any]],
    output: Any = None,
    revenue: Any = None,
    process_emissions: Any = None,
) -> tuple[int, dict[str, Any]]:
    """A year's inventory inputs, checked, in the shape the platform stores them.

    The year must have a grid factor (:func:`~nqpf.assessment.carbon.check_year`); the
    other inputs follow :func:`~nqpf.assessment.carbon.check_inputs` (errors name
    ``records`` entries as ``inventory[i].carrier`` / ``.quantity`` / ``.unit``).

    Returns
    -------
    (year, inputs)
        ``inputs`` holds ``region`` (NBS code or None), ``grid_factor``, ``records``
        (``carrier``, ``quantity`` and ``unit`` as given; the table unit when blank),
        ``output`` and ``revenue`` (None when not given) and ``process_emissions``.
    """
    y = check_year(year)
    checked = check_inputs(
        list(records),
        year=y,
        region=region,
        grid_factor=grid_factor,
        output=output,
        revenue=revenue,
        process_emissions=process_emissions,
    )
    return y, {
        "region": checked.region_code,
        "grid_factor": checked.grid_factor,
        "records": [
            {"carrier": e.carrier, "quantity": e.quantity, "unit": e.unit}
            for e in checked.inventory
        ],
        "output": checked.output,
        "revenue": checked.revenue,
        "process_emissions": checked.process_emissions,
    }


def inventory_summary(year: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Account stored inputs (:func:`inventory_inputs`) into :func:`summary_dict`."""
    result = account(
        list(inputs.get("records") or []),
        year=year,
        region=inputs.get("region"),
        grid_factor=inputs.get("grid_factor"),
        process_emissions=inputs.get("process_emissions"),
        output=inputs.get("output"),
        revenue=inputs.get("revenue"),
    )
    return summary_dict(result)


def default_inputs(region_code: str | None, year: int) -> dict[str, Any]:
    """Inputs of a new inventory: the province of ``region_code`` (when the table has it),
    its provincial grid factor when the table has one for ``year``, else the national one,
    and no records."""
    code = (region_code or "")[:2]
    region = code if any(c == code for c, _, _ in provinces()) else None
    grid = "provincial" if region and year in provincial_years(region) else "national"
    return {
        "region": region,
        "grid_factor": grid,
        "records": [],
        "output": None,
        "revenue": None,
        "process_emissions": 0.0,
    }


def _grid_label(result: CarbonResult) -> str:
    year = result.grid_factor_year or result.year
    stand_in = f"；{result.year} 年因子尚未发布，暂沿用 {year} 年" if year != result.year else ""
    if result.grid_factor_kind == "provincial":
        years = "/".join(map(str, provincial_years(result.region_code)))
        return (
            f"区域电网因子为 {year} 年{result.region}省级电力平均（表内仅有 {years} 年"
            f"省级平均；来源为公开实现转录，待与生态环境部/国家统计局公告核对{stand_in}）"
        )
    if result.grid_factor_kind == "national":
        return f"全国电力平均排放因子（{year} 年{stand_in}）"
    return "电网排放因子由用户指定"


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def summary_dict(result: CarbonResult) -> dict[str, Any]:
    """The result as JSON-ready data: totals, intensities, grid factor, lines, factors,
    and the notes in Chinese."""
    grid = next((f for f in result.factors_used if f.key == "电力.ef"), None)
    return {
        "year": result.year,
        "region": result.region,
        "region_code": result.region_code,
        "electricity_convention": result.electricity_convention,
        "energy_tce": result.energy_tce,
        "e_total": result.e_total,
        "e_combustion": result.e_combustion,
        "e_process": result.e_process,
        "e_purchased_electricity": result.e_purchased_electricity,
        "e_purchased_heat": result.e_purchased_heat,
        "e_exported_electricity": result.e_exported_electricity,
        "e_exported_heat": result.e_exported_heat,
        "biomass_co2": result.biomass_co2,
        "intensities": [{"name": n, "value": v, "unit": u} for n, v, u in result.intensities],
        "grid_factor": {
            "kind": result.grid_factor_kind,
            "label": _grid_label(result),
            "value": grid.value if grid is not None else None,
            "unit": grid.unit if grid is not None else "tCO2/MWh",
            "source": grid.source if grid is not None else None,
            "confidence": grid.confidence if grid is not None else None,
            "used": grid is not None,
        },
        "tables": list(result.tables),
        "notes": list(result.notes_zh),
        "lines": [
            {
                "carrier": r.carrier,
                "category": r.category,
                "quantity": r.quantity,
                "unit": r.unit,
                "tce": _num(r.tce),
                "activity": _num(r.activity),
                "activity_unit": r.activity_unit,
                "ef": _num(r.ef),
                "ef_unit": r.ef_unit,
                "tco2": _num(r.tco2),
                "sources": r.sources,
            }
            for r in result.lines
        ],
        "factors": [
            {
                "key": f.key,
                "carrier": f.carrier,
                "factor": f.factor,
                "value": f.value,
                "unit": f.unit,
                "source": f.source,
                "confidence": f.confidence,
                "overridden": f.overridden,
            }
            for f in result.factors_used
        ],
    }


# -------------------------------------------------------------------------- year over year
YOY_METRICS = (
    ("energy_tce", "综合能耗", "tce"),
    ("e_total", "排放总量", "tCO2"),
    ("万元产值综合能耗", "万元产值综合能耗", "tce/万元"),
    ("万元产值碳排放", "万元产值碳排放", "tCO2/万元"),
    ("每百元营业收入综合能源消费量", "每百元营业收入综合能源消费量", "tce/百元"),
    ("每百元营业收入碳排放", "每百元营业收入碳排放", "tCO2/百元"),
)
"""(key, label, unit): the totals and intensities compared year over year."""


def _metric(summary: Mapping[str, Any], key: str) -> float | None:
    if key in ("energy_tce", "e_total"):
        return summary.get(key)
    return next(
        (i.get("value") for i in summary.get("intensities") or [] if i.get("name") == key), None
    )


def _change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0:
        return None
    return (b - a) / abs(a) * 100.0


def year_over_year(summaries: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each year's summary (oldest first) against the previous one: values and change %.

    >>> rows = year_over_year({2022: {"e_total": 90.0}, 2021: {"e_total": 100.0}})
    >>> [(r["year"], r["previous_year"], r["metrics"][1]["change_pct"]) for r in rows]
    [(2021, None, None), (2022, 2021, -10.0)]
    """
    out: list[dict[str, Any]] = []
    prev: int | None = None
    for year in sorted(summaries):
        metrics = []
        for key, label, unit in YOY_METRICS:
            value = _metric(summaries[year], key)
            before = None if prev is None else _metric(summaries[prev], key)
            metrics.append(
                {
                    "key": key,
                    "label": label,
                    "unit": unit,
                    "value": value,
                    "previous": before,
                    "change_pct": _change(before, value),
                }
            )
        out.append({"year": year, "previous_year": prev, "metrics": metrics})
        prev = year
    return out


# --------------------------------------------------------------------------- the download
_FACTOR_COLUMNS = ["能源品种", "因子", "数值", "单位", "来源", "可信度", "用户指定"]


def carbon_tables(
    result: CarbonResult | Mapping[str, Any],
    *,
    enterprise: str | None = None,
    revision: int | None = None,
) -> dict[str, pd.DataFrame]:
    """The sheets of an inventory's download: 汇总, 分品种, 因子, 说明 (Chinese headers).

    Parameters
    ----------
    result
        A result, or its :func:`summary_dict` (as the platform stores it).
    enterprise, revision
        Shown in 汇总 when given.
    """
    r = summary_dict(result) if isinstance(result, CarbonResult) else result
    grid = r.get("grid_factor") or {}
    totals: list[tuple[str, Any]] = [("企业", enterprise)] if enterprise is not None else []
    totals += [
        ("核算年份", r.get("year")),
        ("地区", r.get("region") or "全国"),
        ("电网排放因子", GRID_KIND_LABELS.get(grid.get("kind"), grid.get("kind"))),
        (
            "电网排放因子可信度",
            confidence_label(grid["confidence"]) if grid.get("confidence") else None,
        ),
        ("电网排放因子取值 (tCO2/MWh)", grid.get("value")),
        ("电网排放因子说明", grid.get("label")),
        ("电力折标煤口径", r.get("electricity_convention")),
        ("综合能耗 (tce)", r.get("energy_tce")),
        ("化石燃料燃烧排放 E燃烧 (tCO2)", r.get("e_combustion")),
        ("过程排放 E过程 (tCO2)", r.get("e_process")),
        ("购入电力排放 E购入电 (tCO2)", r.get("e_purchased_electricity")),
        ("购入热力排放 E购入热 (tCO2)", r.get("e_purchased_heat")),
        ("输出电力排放 E输出电 (tCO2)", r.get("e_exported_electricity")),
        ("输出热力排放 E输出热 (tCO2)", r.get("e_exported_heat")),
        ("排放总量 E (tCO2)", r.get("e_total")),
    ]
    if revision is not None:
        totals.append(("版本", revision))
    totals += [(f"{i['name']} ({i['unit']})", i["value"]) for i in r.get("intensities") or []]
    lines = pd.DataFrame(
        [
            {label: ln[key] for key, label in CARBON_LINE_COLUMNS.items()}
            for ln in r.get("lines") or []
        ],
        columns=list(CARBON_LINE_COLUMNS.values()),
    )
    factors = pd.DataFrame(
        [
            [
                f["carrier"],
                FACTOR_NAMES_ZH.get(f["factor"], f["factor"]),
                f["value"],
                f["unit"],
                f["source"],
                confidence_label(f["confidence"]),
                "是" if f["overridden"] else "否",
            ]
            for f in r.get("factors") or []
        ],
        columns=_FACTOR_COLUMNS,
    )
    notes = [("说明", n) for n in r.get("notes") or []]
    notes += [("因子表", t) for t in r.get("tables") or []]
    return {
        "汇总": pd.DataFrame(totals, columns=["项目", "数值"]),
        "分品种": lines,
        "因子": factors,
        "说明": pd.DataFrame(notes, columns=["类别", "内容"]),
    }


def carbon_xlsx(
    result: CarbonResult | Mapping[str, Any],
    *,
    enterprise: str | None = None,
    revision: int | None = None,
) -> bytes:
    """:func:`carbon_tables` as an ``.xlsx`` workbook (user text is never a formula)."""
    return xlsx_bytes(carbon_tables(result, enterprise=enterprise, revision=revision))
