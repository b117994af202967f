"""Energy and carbon accounting use case (能源与碳排放核算), shared by the CLI and the web.

* :func:`load_inventory` — an inventory file's keyword arguments for
  :func:`~nqpf.assessment.carbon.account`;
* :func:`account_file` — energy use and CO2 of an inventory file, with its tables.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nqpf.assessment.carbon import CarbonResult, account
from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.io.tables import read_table

__all__ = ["CARBON_TABLES", "AccountOutcome", "account_file", "load_inventory", "parse_grid_factor"]

CARBON_TABLES = ("totals", "carriers", "factors")


@dataclass(frozen=True)
class AccountOutcome:
    source: Path
    result: CarbonResult
    tables: dict[str, pd.DataFrame] = field(repr=False)


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


def load_inventory(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an inventory file into keyword arguments of :func:`~nqpf.assessment.carbon.account`.

    YAML/JSON: ``{carrier: quantity}``, or a mapping with ``inventory`` (mapping or list of
    ``{carrier, quantity, unit}``) and optionally ``exported``, ``overrides``,
    ``process_emissions``, ``biomass_co2``, ``output``, ``revenue``, ``product_output``,
    ``product_unit``, ``electricity_convention``, ``year``, ``region``, ``grid_factor``.
    CSV/XLSX: columns ``carrier``, ``quantity`` and optionally ``unit``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError("file not found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        table = read_table(path)
        missing = [c for c in ("carrier", "quantity") if c not in table.columns]
        if missing:
            raise DataValidationError(
                f"missing column(s) {', '.join(missing)}; expected carrier, quantity[, unit]",
                file=path.name,
                column=missing[0],
            )
        keep = [c for c in ("carrier", "quantity", "unit") if c in table.columns]
        records = table[keep].dropna(how="all").to_dict("records")
        for r in records:
            q = r["quantity"]
            if isinstance(q, str):
                with contextlib.suppress(ValueError):
                    r["quantity"] = float(q.replace(",", "").strip())
        return {"inventory": records}
    if suffix not in (".yaml", ".yml", ".json"):
        raise DataValidationError(
            f"cannot read {path.suffix or 'files without a suffix'!r}; use .yaml, .json, "
            ".csv or .xlsx",
            file=path.name,
        )
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            f"not readable ({exc})".replace("\n", " "), file=path.name
        ) from None
    if not isinstance(data, Mapping) or not data:
        raise DataValidationError(
            "expected a mapping {carrier: quantity} or {inventory: …}", file=path.name
        )
    if "inventory" not in data:
        return {"inventory": dict(data)}
    unknown = set(data) - _INVENTORY_KEYS
    if unknown:
        raise DataValidationError(
            f"unknown key(s) {sorted(unknown)}; expected {', '.join(sorted(_INVENTORY_KEYS))}",
            file=path.name,
            field=sorted(unknown)[0],
        )
    return dict(data)


def parse_grid_factor(value: str | float | None) -> str | float | None:
    """``provincial``/``national`` or a number in tCO2/MWh (``"0.5"`` → 0.5)."""
    if value is None or isinstance(value, float):
        return value
    text = str(value).strip()
    if text in ("provincial", "national"):
        return text
    try:
        return float(text)
    except ValueError:
        raise DataValidationError(
            f"expected provincial, national or a number in tCO2/MWh, got {value!r}",
            field="grid_factor",
        ) from None


def account_file(
    path: str | os.PathLike[str],
    *,
    year: int | None = None,
    region: str | None = None,
    grid_factor: str | float | None = None,
    **kwargs: Any,
) -> AccountOutcome:
    """Account energy use and CO2 of an inventory file; options override the file's keys."""
    path = Path(path)
    args = load_inventory(path)
    if year is not None:
        args["year"] = year
    if region is not None:
        args["region"] = region
    if grid_factor is not None:
        args["grid_factor"] = grid_factor
    if "grid_factor" in args:
        args["grid_factor"] = parse_grid_factor(args["grid_factor"])
    args.update({k: v for k, v in kwargs.items() if v is not None})
    if "year" not in args:
        raise DataValidationError(
            "no accounting year: give --year or a 'year' key", file=path.name, field="year"
        )
    inventory = args.pop("inventory")
    try:
        result = account(inventory, **args)
    except NqpfError as exc:
        reason = getattr(exc, "reason", str(exc))
        field_ = getattr(exc, "field", None)
        raise DataValidationError(reason, file=path.name, field=field_) from None
    totals = pd.DataFrame(
        [{"item": k, "value": v} for k, v in result.summary().rows],
    )
    totals["value"] = totals["value"].map(str)
    tables = {
        "totals": totals,
        "carriers": result.to_frame(),
        "factors": result.factors_frame(),
    }
    return AccountOutcome(path, result, tables)
