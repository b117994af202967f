"""Enterprise energy use (综合能耗) and CO2 accounting (GB/T 32150 / GB/T 2589).

Numbers in, a frozen :class:`CarbonResult` out.  Every factor comes from one of three
versioned YAML tables shipped in ``nqpf/assessment/data`` (折标煤 coefficients, default
fuel parameters, grid and heat emission factors), each entry tagged with the confidence
printed in the reference (``official`` / ``secondary`` / ``unverified``).  A factor the
reference does not give is absent, and the accounting asks for it through ``overrides``
instead of guessing.  A fourth file, ``carrier_aliases.yaml`` (confidence ``design``),
holds other names of the carriers (``diesel``, ``natural gas``, ``电``, ``天燃气``): an
alias resolves to its carrier and the result's notes say so; an unknown name is refused
with the closest names suggested (:func:`carrier_aliases`).

Formulas (GB/T 32150-2015 and the 核算指南 family, frameworks.md §4.2)::

    E      = E燃烧 + E过程 + E购入电 + E购入热 − E输出电 − E输出热
    E燃烧  = Σ_i AD_i × EF_i,   AD_i = 消耗量_i × NCV_i (GJ),
             EF_i = 单位热值含碳量_i (tC/GJ) × 碳氧化率_i × 44/12 (tCO2/GJ)
    E电    = 电量 (MWh) × EF_grid (tCO2/MWh)
    E热    = 热量 (GJ) × EF_heat (tCO2/GJ)

Biomass CO2 is reported separately and excluded from E (GB/T 32150).  综合能耗 is
Σ 消耗量_i × 折标煤系数_i in tce (GB/T 2589-2020).

Every input rule lives here once, for every door: :func:`check_inputs` raises a
:class:`~nqpf.exceptions.DataValidationError` naming the field (``year``, ``region``,
``grid_factor``, ``inventory[i].carrier`` / ``.quantity`` / ``.unit``, ``output``,
``revenue``, ``process_emissions``, ``overrides[carrier.factor]`` …) with its reason in
English and in Chinese (``reason_zh``), and the notes of a result come in both languages
(``notes``, ``notes_zh``).  :func:`account` is :func:`check_inputs` followed by
:func:`account_inputs`, which resolves the factors, computes the lines, totals and
intensities, and writes the notes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from numbers import Real
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from nqpf._datafile import FileId, FrozenModel, LocatedValueError, Text, Version, parse_yaml_model
from nqpf._suggest import did_you_mean, normal_form
from nqpf.codes.units import convert, unit_info, units
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "FACTOR_NAMES_ZH",
    "GRID_KIND_LABELS",
    "MAX_GRID_FACTOR",
    "MAX_NUMBER",
    "MAX_RECORDS",
    "CarbonInputs",
    "CarbonResult",
    "CarrierInfo",
    "CarrierLine",
    "FactorUsed",
    "InventoryEntry",
    "account",
    "account_inputs",
    "carrier_aliases",
    "carrier_infos",
    "carriers",
    "check_inputs",
    "check_year",
    "current_year",
    "energy_coefficients",
    "factor_years",
    "fuel_parameters",
    "grid_factors",
    "inventory_years",
    "parse_grid_factor",
    "provinces",
    "provincial_years",
]

C_TO_CO2 = 44.0 / 12.0
"""Mass ratio of CO2 to C (44/12)."""

# Bounds of the inputs.  They are part of the rules so that a file the CLI accounts is
# accepted by the web form and the other way round.
MAX_NUMBER = 1e12
"""Largest quantity, denominator or factor accepted: a larger number is a typo (an
enterprise's annual diesel in kg is about 1e9 at the very most)."""
MAX_GRID_FACTOR = 10.0
"""Largest grid factor accepted, tCO2/MWh: real grids are below 1.2, so this catches a
value typed in gCO2/kWh (about 570) without refusing any real one."""
MAX_RECORDS = 100
"""Most inventory entries accepted: entries are per carrier (repeats add up), and the
tables know about 30 carriers; more is a pasted table, not an inventory."""

FACTOR_NAMES_ZH = {
    "ncv": "低位发热量",
    "carbon_content": "单位热值含碳量",
    "oxidation_rate": "碳氧化率",
    "tce": "折标煤系数",
    "ef": "排放因子",
    "kgce": "千克标准煤热值",
}
"""Chinese names of the factors (the keys of ``FactorUsed.factor``)."""
GRID_KIND_LABELS = {
    "national": "全国电力平均",
    "provincial": "省级电力平均",
    "user": "用户指定数值",
}
"""Chinese names of the grid factor kinds (``CarbonResult.grid_factor_kind``)."""
GRID_KINDS = ("national", "provincial")
CONVENTIONS = ("当量值", "等价值")

Confidence = Literal["official", "secondary", "unverified"]

# ---------------------------------------------------------------------------------------
# Factor tables (YAML, validated by pydantic)
# ---------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Coefficient(_Strict):
    """One 折标煤 coefficient: ``value`` in ``unit`` as printed in the source."""

    value: float
    unit: str
    confidence: Confidence
    note: str | None = None


class EnergyCoefficientTable(_Strict):
    """GB/T 2589-2020 折标煤 coefficients (``data/energy_coefficients.yaml``)."""

    id: str
    version: str
    source: str
    kgce: Coefficient
    electricity: dict[str, Coefficient]
    coefficients: dict[str, Coefficient]


class FuelParameters(_Strict):
    """Default parameters of one fuel: NCV (GJ/unit), 含碳量 (tC/GJ), 氧化率 (%)."""

    unit: str
    ncv: float | None
    carbon_content: float | None
    oxidation_rate: float | None
    confidence: Confidence
    note: str | None = None


class FuelParameterTable(_Strict):
    """Default fuel parameters (``data/fuel_parameters.yaml``)."""

    id: str
    version: str
    source: str
    units: dict[str, str]
    fuels: dict[str, FuelParameters]


class YearFactor(_Strict):
    value: float
    confidence: Confidence
    notice: str


class NationalFactors(_Strict):
    variant: str
    values: dict[int, YearFactor]


class ProvinceFactors(_Strict):
    code: str
    name: str
    full_name: str
    values: dict[int, float]


class ProvincialFactors(_Strict):
    variant: str
    confidence: Confidence
    source: str
    notices: dict[int, str]
    regions: list[ProvinceFactors]


class HeatFactor(_Strict):
    value: float
    unit: str
    confidence: Confidence
    source: str


class GridFactorTable(_Strict):
    """Grid (national, provincial) and heat emission factors (``data/grid_factors.yaml``)."""

    id: str
    version: str
    unit: str
    source: str
    national: NationalFactors
    provincial: ProvincialFactors
    heat: HeatFactor


def _load(name: str, model: type[BaseModel]) -> Any:
    path = f"data/{name}"
    text = resources.files("nqpf.assessment").joinpath(path).read_text("utf-8")
    try:
        return model.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(err["msg"], file=path, field=key) from exc


@cache
def energy_coefficients() -> EnergyCoefficientTable:
    """折标煤 coefficients of GB/T 2589-2020 (``data/energy_coefficients.yaml``)."""
    return _load("energy_coefficients.yaml", EnergyCoefficientTable)


@cache
def fuel_parameters() -> FuelParameterTable:
    """Default fuel parameters of the 核算指南 (``data/fuel_parameters.yaml``)."""
    return _load("fuel_parameters.yaml", FuelParameterTable)


@cache
def grid_factors() -> GridFactorTable:
    """Grid and heat CO2 emission factors (``data/grid_factors.yaml``)."""
    return _load("grid_factors.yaml", GridFactorTable)


class CarrierAliases(FrozenModel):
    """Other names of one carrier: its English name and aliases (Chinese, misspellings)."""

    en: Text
    aliases: tuple[Text, ...] = ()


class CarrierAliasTable(FrozenModel):
    """Other names of the carriers (``data/carrier_aliases.yaml``), keyed by table name.

    Every name (compared in :func:`nqpf._suggest.normal_form`) points at one carrier of
    the factor tables, and no name is another carrier's table name.
    """

    id: FileId
    version: Version
    source: Text
    confidence: Literal["official", "secondary", "unverified", "design"]
    carriers: dict[str, CarrierAliases]

    @model_validator(mode="after")
    def _one_carrier_per_name(self) -> CarrierAliasTable:
        known = _carriers()
        tables = {normal_form(name): name for name in known}
        seen: dict[str, tuple[str | int, ...]] = {}
        for carrier, entry in self.carriers.items():
            if carrier not in known:
                raise LocatedValueError(
                    f"{carrier!r} is not a carrier of the factor tables; known: "
                    + ", ".join(known),
                    ("carriers", carrier),
                )
            names = [(("carriers", carrier, "en"), entry.en)]
            names += [(("carriers", carrier, "aliases", i), a) for i, a in enumerate(entry.aliases)]
            for loc, name in names:
                key = normal_form(name)
                if key in tables and tables[key] != carrier:
                    raise LocatedValueError(
                        f"alias {name!r} is the table name of {tables[key]}", loc
                    )
                if key in seen:
                    raise LocatedValueError(f"duplicate alias {name!r}", loc, seen[key])
                seen[key] = loc
        return self


_ALIAS_FILE = "carrier_aliases.yaml"


@cache
def carrier_aliases() -> CarrierAliasTable:
    """Other names of the energy carriers (``data/carrier_aliases.yaml``, confidence design).

    An inventory may name a carrier by its table name (``柴油``) or by one of these
    (``diesel``, ``Diesel Oil``, ``轻柴油``): names are compared case-blind, with blanks,
    ``_`` and ``-`` alike and full-width characters as half-width.

    Examples
    --------
    >>> t = carrier_aliases()
    >>> t.confidence, t.carriers["柴油"].en, t.carriers["天然气"].en
    ('design', 'diesel', 'natural gas')
    """
    text = resources.files("nqpf.assessment").joinpath("data", _ALIAS_FILE).read_text("utf-8")
    return parse_yaml_model(text, CarrierAliasTable, filename=f"data/{_ALIAS_FILE}")


@cache
def _spellings() -> dict[str, str]:
    """Every spelling of a carrier (table name, English name, alias) → the table name."""
    out = {name: name for name in _carriers()}
    for carrier, entry in carrier_aliases().carriers.items():
        out.update(dict.fromkeys((entry.en, *entry.aliases), carrier))
    return out


@cache
def _by_normal_form() -> dict[str, str]:
    return {normal_form(spelling): carrier for spelling, carrier in _spellings().items()}


# ---------------------------------------------------------------------------------------
# Carriers, units and factors
# ---------------------------------------------------------------------------------------

ELECTRICITY = "电力"
HEAT = "热力"


# Activity units: every spelling of ``nqpf/codes/data/units.yaml`` (万立方米, 立方米, 万千瓦时,
# 千瓦时, 吨, 千克, 吉焦 …) whose dimension is the carrier's table unit's, converted by that
# file's factors; the carbon engine keeps no unit table of its own.
def _unit_names(table_unit: str) -> tuple[str, ...]:
    """Units of the table unit's dimension, each with its first Chinese spelling."""
    dim = unit_info(table_unit).dimension
    out: list[str] = []
    for u in units(dim):
        out.append(u.unit)
        out += [a for a in u.aliases if not a.isascii()][:1]
    return tuple(out)


# Coefficient unit (as printed) → tce per canonical activity unit.
_TCE_PER_UNIT: dict[tuple[str, str], float] = {
    ("kgce/kg", "t"): 1.0,
    ("tce/t", "t"): 1.0,
    ("kgce/m³", "万Nm³"): 10.0,
    ("kgce/kWh", "MWh"): 1.0,
    ("kgce/MJ", "GJ"): 1.0,
}


@dataclass(frozen=True)
class _Factor:
    value: float | None
    unit: str
    source: str
    confidence: str


@dataclass(frozen=True)
class _Carrier:
    name: str
    kind: str  # "fuel", "electricity", "heat"
    unit: str  # canonical activity unit
    factors: dict[str, _Factor]


def _coef_factor(c: Coefficient, table: EnergyCoefficientTable) -> _Factor:
    return _Factor(c.value, c.unit, f"{table.id} v{table.version}", c.confidence)


@cache
def _carriers() -> dict[str, _Carrier]:
    ec, fp, gf = energy_coefficients(), fuel_parameters(), grid_factors()
    fsrc = f"{fp.id} v{fp.version}"
    heat_ef = _Factor(gf.heat.value, gf.heat.unit, f"{gf.id} v{gf.version}", gf.heat.confidence)
    out: dict[str, _Carrier] = {}
    for name, p in fp.fuels.items():
        factors = {
            "ncv": _Factor(p.ncv, f"GJ/{p.unit}", fsrc, p.confidence),
            "carbon_content": _Factor(p.carbon_content, "tC/GJ", fsrc, p.confidence),
            "oxidation_rate": _Factor(p.oxidation_rate, "%", fsrc, p.confidence),
        }
        if name in ec.coefficients:
            factors["tce"] = _coef_factor(ec.coefficients[name], ec)
        else:  # derived from NCV unless the user gives one
            factors["tce"] = _Factor(None, f"tce/{p.unit}", "-", "-")
        out[name] = _Carrier(name, "fuel", p.unit, factors)
    for name, c in ec.coefficients.items():
        if name in out or name == HEAT:
            continue
        canonical = next(u for (cu, u) in _TCE_PER_UNIT if cu == c.unit)
        if name == "外购蒸汽":
            factors = {
                "tce": _coef_factor(c, ec),
                "ncv": _Factor(None, "GJ/t", "-", "-"),
                "ef": heat_ef,
            }
            out[name] = _Carrier(name, "heat", canonical, factors)
        else:
            factors = {
                "tce": _coef_factor(c, ec),
                "ncv": _Factor(None, f"GJ/{canonical}", "-", "-"),
                "carbon_content": _Factor(None, "tC/GJ", "-", "-"),
                "oxidation_rate": _Factor(None, "%", "-", "-"),
            }
            out[name] = _Carrier(name, "fuel", canonical, factors)
    out[ELECTRICITY] = _Carrier(
        ELECTRICITY, "electricity", "MWh", {"tce": _coef_factor(ec.electricity["当量值"], ec)}
    )
    out[HEAT] = _Carrier(
        HEAT, "heat", "GJ", {"tce": _coef_factor(ec.coefficients[HEAT], ec), "ef": heat_ef}
    )
    return out


@dataclass(frozen=True)
class CarrierInfo:
    """One energy carrier of the tables: kind, table unit, accepted units, missing factors.

    A carrier with ``factors_missing`` can be accounted only with those factors given as
    ``overrides`` (the tables do not guess them).
    """

    name: str
    kind: str  # "fuel", "electricity", "heat"
    unit: str  # the table (canonical) activity unit
    accepted_units: tuple[str, ...]
    factors_missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when the tables give every factor the carrier needs."""
        return not self.factors_missing


def _missing_factors(c: _Carrier) -> tuple[str, ...]:
    """Factors ``c`` lacks for an accounting: a 折标煤 coefficient is not lacking when the
    NCV is given (it is derived from it)."""
    missing = tuple(k for k, f in c.factors.items() if f.value is None)
    if "tce" in missing and "ncv" not in missing:
        missing = tuple(k for k in missing if k != "tce")
    return missing


@cache
def carrier_infos() -> tuple[CarrierInfo, ...]:
    """The known energy carriers in the tables' order.

    Examples
    --------
    >>> [c.name for c in carrier_infos() if c.kind != "fuel"]
    ['外购蒸汽', '电力', '热力']
    """
    return tuple(
        CarrierInfo(
            c.name,
            c.kind,
            c.unit,
            _unit_names(c.unit),
            _missing_factors(c),
        )
        for c in _carriers().values()
    )


def carriers() -> pd.DataFrame:
    """Known energy carriers, their activity unit and which factors the tables give.

    Examples
    --------
    >>> t = carriers()
    >>> t.loc["柴油", "unit"], t.loc["天然气", "unit"], t.loc["电力", "unit"]
    ('t', '万Nm³', 'MWh')
    """
    rows = []
    for c in _carriers().values():
        rows.append(
            {
                "carrier": c.name,
                "kind": c.kind,
                "unit": c.unit,
                "accepted_units": ", ".join(_unit_names(c.unit)),
                "factors_given": ", ".join(k for k, f in c.factors.items() if f.value is not None),
                "factors_missing": ", ".join(_missing_factors(c)),
            }
        )
    return pd.DataFrame(rows).set_index("carrier")


@cache
def provinces() -> tuple[tuple[str, str, str], ...]:
    """(NBS 2-digit code, short name, full name) of the provinces with a provincial factor.

    >>> provinces()[0]
    ('11', '北京', '北京市')
    """
    return tuple((p.code, p.name, p.full_name) for p in grid_factors().provincial.regions)


@cache
def factor_years() -> tuple[int, ...]:
    """Years with a grid factor (national or provincial) in the table.

    >>> factor_years()
    (2021, 2022, 2023)
    """
    gf = grid_factors()
    years = set(gf.national.values)
    for p in gf.provincial.regions:
        years |= set(p.values)
    return tuple(sorted(years))


def provincial_years(code: str | None) -> tuple[int, ...]:
    """Years with a provincial grid factor for the province ``code`` (none if unknown).

    >>> provincial_years("44")
    (2021, 2022)
    """
    for p in grid_factors().provincial.regions:
        if p.code == code:
            return tuple(sorted(p.values))
    return ()


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarrierLine:
    """One energy carrier of the inventory (or one exported carrier).

    ``quantity`` is in the carrier's table ``unit``; ``activity`` is AD (GJ for fuels and
    heat, MWh for electricity); ``ef`` is in tCO2 per activity unit; ``tco2`` is negative
    for exported energy, so that the column sums to E − E过程.
    """

    carrier: str
    category: str
    quantity: float
    unit: str
    tce: float
    activity: float
    activity_unit: str
    ef: float
    ef_unit: str
    tco2: float
    sources: str


@dataclass(frozen=True)
class FactorUsed:
    """A factor used in the accounting, where it came from and whether the user set it."""

    key: str
    carrier: str
    factor: str
    value: float
    unit: str
    source: str
    confidence: str
    overridden: bool


@dataclass(frozen=True, eq=False)
class CarbonResult(Result):
    """Energy use (tce) and CO2 emissions (tCO2) of one reporting entity and year.

    Attributes
    ----------
    year, region, region_code
        Accounting year; province (Chinese name and NBS 2-digit code) or None.
    grid_factor_kind : str
        ``"national"``, ``"provincial"`` or ``"user"``.
    electricity_convention : str
        ``"当量值"`` or ``"等价值"``.
    lines : tuple of CarrierLine
        Per-carrier rows (consumed, then exported).
    energy_tce : float
        综合能耗 of the consumed carriers, tce (exports are not deducted).
    e_combustion, e_process, e_purchased_electricity, e_purchased_heat : float
        Emission components, tCO2.
    e_exported_electricity, e_exported_heat : float
        Emissions of exported energy, tCO2 (positive; subtracted in ``e_total``).
    e_total : float
        E = E燃烧 + E过程 + E购入电 + E购入热 − E输出电 − E输出热, tCO2.
    biomass_co2 : float
        Biomass CO2, reported separately and not in ``e_total``.
    intensities : tuple of (name, value, unit)
        Energy and carbon intensities for the denominators given.
    factors_used : tuple of FactorUsed
        Every factor used; see :meth:`factors_frame`.
    notes : tuple of str
        Overrides, derived values, conventions and fallbacks applied.
    tables : tuple of str
        ``id vversion`` of the factor tables read.
    notes_zh : tuple of str
        ``notes`` in Chinese, one for one.
    grid_factor_year : int or None
        Year of the table's grid factor used: ``year``, or the latest published year when
        ``year``'s factor is not published yet (its confidence is then ``provisional``);
        None when no electricity is accounted or the user gave the factor.
    """

    year: int
    region: str | None
    region_code: str | None
    grid_factor_kind: str
    electricity_convention: str
    lines: tuple[CarrierLine, ...]
    energy_tce: float
    e_combustion: float
    e_process: float
    e_purchased_electricity: float
    e_purchased_heat: float
    e_exported_electricity: float
    e_exported_heat: float
    e_total: float
    biomass_co2: float
    intensities: tuple[tuple[str, float, str], ...]
    factors_used: tuple[FactorUsed, ...]
    notes: tuple[str, ...]
    tables: tuple[str, ...]
    notes_zh: tuple[str, ...] = ()
    grid_factor_year: int | None = None

    @property
    def grid_factor_label(self) -> str:
        """The grid factor's kind in Chinese, with the year it is from when that is an
        earlier year standing in for an unpublished one."""
        label = GRID_KIND_LABELS.get(self.grid_factor_kind, self.grid_factor_kind)
        if self.grid_factor_year is not None and self.grid_factor_year != self.year:
            label += f"（{self.year} 年因子尚未发布，暂沿用 {self.grid_factor_year} 年）"
        return label

    def intensity(self, name: str) -> float:
        """Value of one intensity by name (e.g. ``"tCO2/万元产值"``)."""
        for n, v, _ in self.intensities:
            if n == name:
                return v
        known = ", ".join(n for n, _, _ in self.intensities) or "none (no denominator given)"
        raise KeyError(f"no intensity {name!r}; computed: {known}")

    def to_frame(self) -> pd.DataFrame:
        """Per-carrier rows: quantity, unit, tce, AD, EF, tCO2 and factor sources."""
        cols = list(CarrierLine.__dataclass_fields__)
        return pd.DataFrame([[getattr(r, c) for c in cols] for r in self.lines], columns=cols)

    def factors_frame(self) -> pd.DataFrame:
        """The ``factors_used`` table as a DataFrame."""
        cols = list(FactorUsed.__dataclass_fields__)
        return pd.DataFrame(
            [[getattr(f, c) for c in cols] for f in self.factors_used], columns=cols
        )

    def summary(self) -> Summary:
        region = "—" if self.region is None else f"{self.region} ({self.region_code})"
        rows: list[tuple[str, Any]] = [
            ("核算年份", self.year),
            ("地区", region),
            ("电网排放因子", self.grid_factor_label),
            ("电力折标煤口径", self.electricity_convention),
            ("综合能耗 (tce)", self.energy_tce),
            ("化石燃料燃烧排放 E燃烧 (tCO2)", self.e_combustion),
            ("过程排放 E过程 (tCO2)", self.e_process),
            ("购入电力排放 E购入电 (tCO2)", self.e_purchased_electricity),
            ("购入热力排放 E购入热 (tCO2)", self.e_purchased_heat),
            ("输出电力排放 E输出电 (tCO2)", self.e_exported_electricity),
            ("输出热力排放 E输出热 (tCO2)", self.e_exported_heat),
            ("排放总量 E (tCO2)", self.e_total),
            ("生物质燃烧CO2 (单独报告, 不计入总量) (tCO2)", self.biomass_co2),
        ]
        rows += [(f"{n} ({u})", v) for n, v, u in self.intensities]
        notes = self.notes_zh or self.notes
        return Summary(title="温室气体排放与综合能耗核算", rows=tuple(rows), notes=notes)


# ---------------------------------------------------------------------------------------
# Input checks: each rule once, its reason in English and in Chinese (``zh``)
# ---------------------------------------------------------------------------------------


def _quote(value: Any) -> str:
    """A value as a message quotes it: its repr, text cut to 40 characters."""
    return repr(value[:40]) if isinstance(value, str) else repr(value)[:40]


def _empty(value: Any) -> bool:
    """Not given: None or blank text (an empty form field)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _missing_cell(value: Any) -> bool:
    """Not given in a table: also a missing cell (NaN, ``pd.NA``)."""
    return _empty(value) or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _not_a_number(value: Any, field: str, expected: tuple[str, str]) -> DataValidationError:
    return DataValidationError(
        f"expected {expected[0]}, got {_quote(value)}",
        field=field,
        zh=f"应为{expected[1]}，收到 {_quote(value)}",
    )


def _too_large(value: Any, field: str) -> DataValidationError:
    return DataValidationError(
        f"must be ≤ {MAX_NUMBER:g} (a larger number is a typo), got {value}",
        field=field,
        zh=f"超出范围（≤ {MAX_NUMBER:g}）",
    )


def _number(
    value: Any,
    field: str,
    *,
    positive: bool = False,
    expected: tuple[str, str] = ("a number", "数字"),
) -> float:
    """A finite number in [0, MAX_NUMBER] (> 0 with ``positive``).

    Numeric text as a form field or a CSV cell holds it (``" 1,200.5 "``) is read as a
    number, so the CLI and the web accept the same values.  ``expected`` names what is
    expected (English, Chinese) when the value is not a number.
    """
    if _empty(value):
        raise DataValidationError("is empty; give a number (0 if none)", field=field, zh="不能为空")
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            if len(text) > 40:  # no number is written that long
                raise ValueError(text)
            v = float(text)
        except ValueError:
            raise _not_a_number(value, field, expected) from None
    elif isinstance(value, bool) or not isinstance(value, Real):
        raise _not_a_number(value, field, expected)
    else:
        try:
            v = float(value)
        except OverflowError:  # an int beyond float
            raise _too_large(value, field) from None
    if math.isnan(v):
        raise DataValidationError(
            "is NaN; give a number (0 if none)", field=field, zh="应为有限数值（没有时填 0）"
        )
    if math.isinf(v):
        raise DataValidationError(f"must be finite, got {v}", field=field, zh="应为有限数值")
    if v < 0 or (positive and v == 0):
        raise DataValidationError(
            f"must be {'> 0' if positive else '≥ 0'}, got {v}",
            field=field,
            zh="应大于 0（收到 0）" if v == 0 else f"不能为负数（收到 {v:g}）",
        )
    if v > MAX_NUMBER:
        raise _too_large(v, field)
    return v


def _optional(value: Any, field: str, *, positive: bool = False) -> float | None:
    """None when not given (None or blank text), else as :func:`_number`."""
    return None if _empty(value) else _number(value, field, positive=positive)


def _year(value: Any) -> int:
    """An integer year: ``2022``, ``2022.0`` or the text ``"2022"``."""
    year = None
    if isinstance(value, str):
        text = value.strip()
        year = int(text) if text.isdecimal() and len(text) <= 4 else None
    elif isinstance(value, Real) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError, ValueError):
            year = int(value) if value == int(value) else None
    if year is None:
        raise DataValidationError(
            f"expected an integer year, got {_quote(value)}",
            field="year",
            zh=f"应为整数，收到 {_quote(value)}",
        )
    return year


def current_year() -> int:
    """This year in Beijing time (the default last year of an inventory)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def inventory_years(today: int | None = None) -> tuple[int, ...]:
    """Years an inventory can be kept for: the first year with a grid factor up to this
    year (``today``, default :func:`current_year`).

    A year after the latest published factor is accounted with that latest factor, flagged
    (see :func:`account`), or with the user's own.

    >>> inventory_years(2025)
    (2021, 2022, 2023, 2024, 2025)
    """
    last = current_year() if today is None else today
    return tuple(range(factor_years()[0], max(last, factor_years()[-1]) + 1))


def check_year(year: Any, *, today: int | None = None) -> int:
    """The year of an inventory: an integer in :func:`inventory_years`.

    :func:`account` needs a grid factor only when electricity is accounted; an inventory
    that will collect a year's records (the web's) is kept to the years from the first
    factor up to this year (``today``, default :func:`current_year`).

    >>> check_year("2022")
    2022
    """
    y = _year(year)
    years = inventory_years(today)
    if y not in years:
        first, last = years[0], years[-1]
        raise DataValidationError(
            f"no grid factor for {y}; inventories are kept for {first}–{last}",
            field="year",
            zh=f"为 {y} 年，没有电网排放因子，无法核算；可选年份：{first}—{last} 年",
        )
    return y


def _region(region: Any) -> tuple[str, str] | None:
    """(NBS code, short name) of a province given by code or name; None when not given."""
    if _empty(region):
        return None
    key = str(region).strip()
    for code, name, full in provinces():
        if key in (code, name, full, code + "0000"):
            return code, name
    raise DataValidationError(
        f"unknown region {_quote(region)}; expected an NBS 2-digit code or province name "
        f"with a provincial factor ({', '.join(f'{c} {n}' for c, n, _ in provinces())}; "
        "西藏 54 has none)",
        field="region",
        zh=f"“{key[:40]}”不在电网因子表中（须为国家统计局 2 位代码或省份名称："
        f"{'、'.join(f'{c} {n}' for c, n, _ in provinces())}；西藏无省级因子）",
    )


def parse_grid_factor(value: Any) -> str | float | None:
    """The grid factor chosen: ``"national"``, ``"provincial"``, tCO2/MWh, or None.

    Numeric text is a value (``"0.5"`` → 0.5).  None leaves the choice to
    :func:`check_inputs`: provincial when a region is given, else national.

    >>> parse_grid_factor(" provincial "), parse_grid_factor("0.5")
    ('provincial', 0.5)
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in GRID_KINDS:
        return value.strip()
    expected = (
        "'national', 'provincial' or a number (tCO2/MWh)",
        "数值（tCO2/MWh）或 national、provincial",
    )
    v = _number(value, "grid_factor", expected=expected)
    if v > MAX_GRID_FACTOR:
        raise DataValidationError(
            f"{v:g} tCO2/MWh is implausible (real grids are below 1.2; at most "
            f"{MAX_GRID_FACTOR:g})",
            field="grid_factor",
            zh=f"为 {v:g} tCO2/MWh，不合理（应 ≤ {MAX_GRID_FACTOR:g}）",
        )
    return v


def _convention(value: Any) -> str:
    if value in CONVENTIONS:
        return value
    raise DataValidationError(
        f"expected '当量值' or '等价值', got {_quote(value)}",
        field="electricity_convention",
        zh=f"应为当量值或等价值，收到 {_quote(value)}",
    )


def _overrides(
    overrides: Mapping[str, Any] | None, aliases: list[tuple[str, str]]
) -> dict[str, float]:
    """``{"carrier.factor": value}`` checked against the factors each carrier has; the
    carrier may be named by an alias (appended to ``aliases``)."""
    known = _carriers()
    out: dict[str, float] = {}
    for key, value in (overrides or {}).items():
        field = f"overrides[{key}]"
        carrier_name, _, factor = str(key).partition(".")
        resolved = _by_normal_form().get(normal_form(carrier_name))
        if carrier_name not in known and resolved in known:
            aliases.append((carrier_name.strip(), resolved))
            carrier_name = resolved
        if carrier_name not in known:
            en, zh = _near_carriers(carrier_name, known)
            raise DataValidationError(
                f"override for unknown carrier {carrier_name!r}{en}; keys are "
                f"'carrier.factor', known carriers: {', '.join(known)}",
                field=field,
                zh=f"“{carrier_name[:40]}”不是已知的能源品种{zh}（键为“品种.因子”）；可选："
                f"{'、'.join(known)}",
            )
        allowed = [f"{carrier_name}.{f}" for f in known[carrier_name].factors]
        if factor not in known[carrier_name].factors:
            grid = carrier_name == ELECTRICITY
            raise DataValidationError(
                f"unknown factor {factor!r} for {carrier_name}; overridable factors: "
                f"{', '.join(allowed)}{' (the grid factor is set by the grid_factor key)' if grid else ''}",
                field=field,
                zh=f"“{factor[:40]}”不是{carrier_name}可指定的因子；可指定：{'、'.join(allowed)}"
                f"{'（电网排放因子由 grid_factor 指定）' if grid else ''}",
            )
        v = _number(value, field, positive=factor == "ncv")
        if factor == "oxidation_rate" and v > 100:
            raise DataValidationError(
                f"oxidation rate is in %, got {v} > 100",
                field=field,
                zh=f"碳氧化率以 % 计，应 ≤ 100（收到 {v:g}）",
            )
        out[f"{carrier_name}.{factor}"] = v
    return out


@dataclass(frozen=True)
class InventoryEntry:
    """One checked inventory entry.

    ``quantity`` and ``unit`` are as given (``unit`` is the carrier's table unit when none
    was given); ``table_quantity`` is the quantity in the table unit.
    """

    carrier: str
    quantity: float
    unit: str
    table_quantity: float


def _carrier(
    value: Any, field: str, allowed: Mapping[str, _Carrier], aliases: list[tuple[str, str]]
) -> _Carrier:
    """The carrier named ``value``: a table name, or an alias (appended to ``aliases`` as
    ``(name given, table name)``) of :func:`carrier_aliases`."""
    name = "" if _missing_cell(value) else str(value).strip()
    if name in allowed:
        return allowed[name]
    table_name = _by_normal_form().get(normal_form(name)) if name else None
    if table_name in allowed:
        aliases.append((name, table_name))
        return allowed[table_name]
    choices = ", ".join(allowed), "、".join(allowed)
    if not name:
        raise DataValidationError(
            f"no carrier given; known carriers: {choices[0]}",
            field=field,
            zh=f"能源品种为空；可选：{choices[1]}",
        )
    en, zh = _near_carriers(name, allowed)
    raise DataValidationError(
        f"unknown carrier {_quote(name)}{en}; known carriers: {choices[0]}",
        field=field,
        zh=f"能源品种“{name[:40]}”不在因子表中{zh}；可选：{choices[1]}",
    )


def _near_carriers(name: str, allowed: Mapping[str, Any]) -> tuple[str, str]:
    """`` (did you mean '柴油' (diesel)?)`` and its Chinese, or blanks when nothing is near."""
    english = {c: e.en for c, e in carrier_aliases().carriers.items()}
    spellings = {s: c for s, c in _spellings().items() if c in allowed}
    en, zh = did_you_mean(
        name,
        spellings,
        show=lambda c: f"{c!r} ({english[c]})" if c in english else repr(c),
    )
    return (f" ({en})", f"（{zh}）") if en else ("", "")


def _unit(value: Any, carrier: _Carrier, field: str) -> tuple[str, float]:
    """The unit as given (the table unit when blank) and its multiplier to the table unit.

    Any spelling of the units table fits when its dimension is the table unit's (``万立方米``,
    ``立方米`` and ``万Nm³`` for gases; ``千瓦时`` and ``万千瓦时`` for electricity).
    """
    if _missing_cell(value):
        return carrier.unit, 1.0
    key = str(value).strip()
    accepted = _unit_names(carrier.unit)
    try:
        given = unit_info(key, field=field)  # an unknown spelling: its did-you-mean
    except DataValidationError as e:
        raise DataValidationError(
            f"{e.reason}; accepted for {carrier.name}: {', '.join(accepted)}",
            field=field,
            zh=f"{e.reason_zh}；{carrier.name}可用：{'、'.join(accepted)}",
        ) from e
    if given.dimension != unit_info(carrier.unit).dimension:
        raise DataValidationError(
            f"unit {_quote(value)} does not fit {carrier.name} (table unit {carrier.unit}); "
            f"accepted units: {', '.join(accepted)}",
            field=field,
            zh=f"单位“{key[:40]}”不适用于{carrier.name}（表内单位 {carrier.unit}；"
            f"可用：{'、'.join(accepted)}）",
        )
    return key, float(convert(1.0, key, carrier.unit, field=field))


def _entry(
    where: str,
    item: Any,
    allowed: Mapping[str, _Carrier],
    listed: bool,
    aliases: list[tuple[str, str]],
) -> InventoryEntry:
    """One entry: ``{carrier, quantity, unit}`` of a list (fields ``where.carrier`` …) or a
    ``carrier: quantity`` pair of a mapping (every field ``where``)."""
    if not isinstance(item, Mapping):
        raise DataValidationError(
            f"expected a mapping with keys 'carrier', 'quantity' (and optional 'unit'), "
            f"got {_quote(item)}",
            field=where,
            zh="应为含 carrier、quantity（及可选 unit）的记录",
        )

    def field(part: str) -> str:
        return f"{where}.{part}" if listed else where

    carrier = _carrier(item.get("carrier"), field("carrier"), allowed, aliases)
    quantity = _number(item.get("quantity"), field("quantity"))
    unit, to_table = _unit(item.get("unit"), carrier, field("unit"))
    return InventoryEntry(carrier.name, quantity, unit, quantity * to_table)


def _entries(
    inventory: Any, what: str, allowed: Mapping[str, _Carrier], aliases: list[tuple[str, str]]
) -> tuple[InventoryEntry, ...]:
    """Entries of a mapping ``{carrier: quantity}``, a list of dicts or a DataFrame; the
    aliases used are appended to ``aliases``."""
    if inventory is None:
        return ()
    if isinstance(inventory, pd.DataFrame):
        inventory = inventory.to_dict("records")
    if isinstance(inventory, Mapping):
        items = [(f"{what}[{k}]", {"carrier": k, "quantity": v}) for k, v in inventory.items()]
    else:
        items = [(f"{what}[{i}]", item) for i, item in enumerate(inventory)]
    if len(items) > MAX_RECORDS:
        raise DataValidationError(
            f"at most {MAX_RECORDS} entries, got {len(items)}",
            field=what,
            zh=f"最多 {MAX_RECORDS} 行（收到 {len(items)} 行）",
        )
    listed = not isinstance(inventory, Mapping)
    return tuple(_entry(where, item, allowed, listed, aliases) for where, item in items)


@dataclass(frozen=True)
class CarbonInputs:
    """The inputs of an accounting, checked by :func:`check_inputs`.

    ``grid_factor`` is the choice in force (``"national"``, ``"provincial"`` or tCO2/MWh),
    ``grid_factor_given`` whether the caller chose it; ``overrides`` maps
    ``"carrier.factor"`` to a value; denominators not given are None.
    """

    year: int
    region_code: str | None
    region: str | None
    grid_factor: str | float
    grid_factor_given: bool
    electricity_convention: str
    inventory: tuple[InventoryEntry, ...]
    exported: tuple[InventoryEntry, ...]
    overrides: Mapping[str, float]
    process_emissions: float
    biomass_co2: float
    output: float | None
    revenue: float | None
    product_output: float | None
    product_unit: str | None
    aliases: tuple[tuple[str, str], ...] = ()
    """``(name given, table name)`` of each carrier named by an alias, in order of first use."""


def check_inputs(
    inventory: Any,
    *,
    year: Any,
    region: Any = None,
    grid_factor: Any = None,
    electricity_convention: str = "当量值",
    overrides: Mapping[str, Any] | None = None,
    exported: Any = None,
    process_emissions: Any = 0.0,
    biomass_co2: Any = 0.0,
    output: Any = None,
    revenue: Any = None,
    product_output: Any = None,
    product_unit: str | None = None,
) -> CarbonInputs:
    """Check and normalise the inputs of :func:`account` (same parameters).

    Numbers may be numeric text (a form field, a CSV cell); ``process_emissions`` and
    ``biomass_co2`` not given are 0, denominators not given are None; a blank region or
    unit is none (the unit is then the carrier's table unit).

    Raises
    ------
    DataValidationError
        Naming the field (``year``, ``region``, ``grid_factor``,
        ``inventory[i].carrier`` / ``.quantity`` / ``.unit`` or ``inventory[carrier]``,
        ``exported[…]``, ``overrides[carrier.factor]``, ``output``, ``revenue``,
        ``process_emissions`` …), with the reason in English and Chinese.

    Examples
    --------
    >>> x = check_inputs([{"carrier": "电力", "quantity": "500,000", "unit": "kWh"}],
    ...                  year="2022", region="广东省")
    >>> x.year, x.region_code, x.grid_factor, x.inventory[0].table_quantity
    (2022, '44', 'provincial', 500.0)
    """
    convention = _convention(electricity_convention)
    year_i = _year(year)
    reg = _region(region)
    grid = parse_grid_factor(grid_factor)
    if grid == "provincial" and reg is None:
        raise DataValidationError(
            "grid_factor: provincial needs a region (province name or code)",
            field="grid_factor",
            zh="选择省级平均时须指定省份",
        )
    aliases: list[tuple[str, str]] = []
    user = _overrides(overrides, aliases)
    known = _carriers()
    consumed = _entries(inventory, "inventory", known, aliases)
    exports = _entries(exported, "exported", {k: known[k] for k in (ELECTRICITY, HEAT)}, aliases)
    process = _optional(process_emissions, "process_emissions") or 0.0
    biomass = _optional(biomass_co2, "biomass_co2") or 0.0
    out = _optional(output, "output", positive=True)
    rev = _optional(revenue, "revenue", positive=True)
    product = _optional(product_output, "product_output", positive=True)
    if product is None and product_unit is not None:
        raise DataValidationError(
            "product_unit given without product_output",
            field="product_output",
            zh="给出了产品单位，但没有产品产量",
        )
    return CarbonInputs(
        year=year_i,
        region_code=None if reg is None else reg[0],
        region=None if reg is None else reg[1],
        grid_factor=grid if grid is not None else ("provincial" if reg else "national"),
        grid_factor_given=grid is not None,
        electricity_convention=convention,
        inventory=consumed,
        exported=exports,
        overrides=user,
        process_emissions=process,
        biomass_co2=biomass,
        output=out,
        revenue=rev,
        product_output=product,
        product_unit=product_unit,
        aliases=_first_spellings(aliases),
    )


def _first_spellings(aliases: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``aliases`` without repeats: ``Diesel`` after ``diesel`` is the same name."""
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for given, name in aliases:
        first.setdefault((normal_form(given), name), (given, name))
    return tuple(first.values())


# ---------------------------------------------------------------------------------------
# Accounting steps: factors, lines, totals, intensities, notes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Note:
    """A note of the accounting, written in both languages where its rule applies."""

    en: str
    zh: str


class _FactorBook:
    """The factors one accounting uses: the user's override, else the table's.

    Keeps each factor used in order of first use (``factors_used``) and notes where an
    override or a derived value stands in for the table.
    """

    def __init__(self, inputs: CarbonInputs, notes: list[_Note]) -> None:
        self.overrides = inputs.overrides
        self.convention = inputs.electricity_convention
        self.used: dict[str, FactorUsed] = {}
        self.notes = notes
        self.grid_year: int | None = None  # year of the table's grid factor used

    def value(self, c: _Carrier, name: str, *, why: str) -> float:
        """Factor ``name`` of carrier ``c``; ``why`` says what needs it (for the error)."""
        key = f"{c.name}.{name}"
        f = c.factors[name]
        if key in self.overrides:
            v = self.overrides[key]
            if key not in self.used:
                was = "not in the tables" if f.value is None else f"table value {f.value:g}"
                was_zh = "因子表未给出" if f.value is None else f"表内值 {f.value:g}"
                self.notes.append(
                    _Note(
                        f"factor {key} overridden by user: {v:g} {f.unit} ({was})",
                        f"因子 {key}（{FACTOR_NAMES_ZH[name]}）由用户指定：{v:g} {f.unit}（{was_zh}）",
                    )
                )
            self.used[key] = FactorUsed(key, c.name, name, v, f.unit, "用户指定", "user", True)
            return v
        if f.value is None:
            raise DataValidationError(
                f"the factor tables give no {name} for {c.name} (needed for {why}); supply "
                f"it in the overrides key, e.g. overrides: {{{key}: <value in {f.unit}>}}",
                field=f"overrides[{key}]",
                zh=f"能源品种“{c.name}”缺少{FACTOR_NAMES_ZH[name]}（{name}）：因子表未给出该值，"
                "不作猜测，暂不能核算此品种",
            )
        self.used[key] = FactorUsed(
            key, c.name, name, f.value, f.unit, f.source, f.confidence, False
        )
        return f.value

    def tce_per_unit(self, c: _Carrier) -> float:
        """折标煤 of one table unit of ``c``: the coefficient, else NCV ÷ 29.3076 GJ/tce."""
        key = f"{c.name}.tce"
        overridden = key in self.overrides
        if c.kind == "electricity" and self.convention == "等价值" and not overridden:
            raise DataValidationError(
                "electricity_convention='等价值' needs the year's 供电煤耗, which the "
                "tables do not hold; give it as overrides: {电力.tce: <kgce/kWh>}",
                field="electricity_convention",
                zh="为等价值时须给出当年供电煤耗（电力.tce，kgce/kWh）：因子表未收录",
            )
        if c.factors["tce"].value is not None or overridden:
            v = self.value(c, "tce", why="综合能耗")
            unit = self.used[key].unit
            return v if unit == f"tce/{c.unit}" else v * _TCE_PER_UNIT[(unit, c.unit)]
        ncv = self.value(c, "ncv", why="综合能耗 (no 折标煤 coefficient in the table)")
        ec = energy_coefficients()
        kg = ec.kgce
        self.used.setdefault(
            "kgce",
            FactorUsed(
                "kgce",
                "-",
                "kgce",
                kg.value,
                kg.unit,
                f"{ec.id} v{ec.version}",
                kg.confidence,
                False,
            ),
        )
        ratio = f"{ncv:g} GJ/{c.unit} ÷ {kg.value:g} GJ/tce"
        self.notes.append(
            _Note(
                f"tce of {c.name} derived from NCV ({ratio}): the table gives no 折标煤 coefficient",
                f"{c.name} 的折标煤系数表中未给出，按低位发热量折算（{ratio}）",
            )
        )
        return ncv / kg.value


def _fallback_year(year: int, published: Any, today: int) -> int | None:
    """The latest published year standing in for ``year``: only for a year after every
    published one and not after ``today`` (a year not yet published, never an old gap)."""
    latest = max(published)
    return latest if latest < year <= max(today, latest) else None


def _fallback_note(year: int, used: int, what: str) -> str:
    return f"沿用 {used} 年{what}（{year} 年因子尚未发布）"


def _grid_factor(inputs: CarbonInputs, today: int | None = None) -> tuple[FactorUsed, int | None]:
    """The grid factor in force (the year's national or provincial value, or the user's)
    and the year it is from (None for the user's).

    A year after the latest published factor and not after this year (``today``) takes
    the latest published factor, with confidence ``provisional`` and the year it is from
    in its source.
    """
    gf = grid_factors()
    src = f"{gf.id} v{gf.version}"
    year = inputs.year
    today = current_year() if today is None else today
    if inputs.grid_factor == "national":
        years = gf.national.values
        used = year if year in years else _fallback_year(year, years, today)
        if used is None:
            listed = sorted(years)
            raise DataValidationError(
                f"no national grid factor for {year}; years with a factor: "
                f"{', '.join(map(str, listed))} (or give grid_factor: <tCO2/MWh>)",
                field="year",
                zh=f"为 {year} 年，没有全国电网排放因子；可选年份：{'、'.join(map(str, listed))}"
                "（或直接给出电网排放因子数值）",
            )
        y = years[used]
        if used == year:
            source, confidence = f"{src}: {gf.national.variant} {year} ({y.notice})", y.confidence
        else:
            what = f"{gf.national.variant}因子 {y.value:g}（{y.notice}）"
            source, confidence = f"{src}: {_fallback_note(year, used, what)}", "provisional"
        factor = FactorUsed(
            "电力.ef", ELECTRICITY, "ef", y.value, gf.unit, source, confidence, False
        )
        return factor, used
    if inputs.grid_factor == "provincial":
        p = next(p for p in gf.provincial.regions if p.code == inputs.region_code)
        used = year if year in p.values else _fallback_year(year, p.values, today)
        if used is None:
            listed = sorted(p.values)
            en, zh = ", ".join(map(str, listed)), "、".join(map(str, listed))
            explain = f"表内仅有 {zh} 年；{year} 年请选择全国电网平均因子或填写数值（不同年份的因子不混用）"
            raise DataValidationError(
                f"no provincial grid factor for {p.name} in {year}; years with a factor: "
                f"{en}. Pass grid_factor='national' or a number (tCO2/MWh); years are never "
                "mixed",
                # the choice is at fault when the caller made it, else the year
                field="grid_factor" if inputs.grid_factor_given else "year",
                zh=f"不能取{p.name}省级平均：{explain}"
                if inputs.grid_factor_given
                else f"为 {year} 年，没有{p.name}省级电网因子：{explain}",
            )
        notice = gf.provincial.notices.get(used, "")
        if used == year:
            source = f"{src}: {gf.provincial.variant} {p.name} {year} ({notice})"
            confidence = gf.provincial.confidence
        else:
            what = f"{p.name}{gf.provincial.variant}因子 {p.values[used]:g}（{notice}）"
            source, confidence = f"{src}: {_fallback_note(year, used, what)}", "provisional"
        factor = FactorUsed(
            "电力.ef", ELECTRICITY, "ef", p.values[used], gf.unit, source, confidence, False,
        )  # fmt: skip
        return factor, used
    value = float(inputs.grid_factor)
    factor = FactorUsed("电力.ef", ELECTRICITY, "ef", value, gf.unit, "用户指定", "user", True)
    return factor, None


def _resolve_grid(inputs: CarbonInputs, needed: bool, book: _FactorBook) -> float:
    """The grid factor in tCO2/MWh (NaN when no electricity is accounted).

    A national or provincial factor the caller chose must exist for the year even when no
    electricity is accounted, so that a choice that cannot be honoured is refused when it
    is made rather than when electricity is added.
    """
    kind = inputs.grid_factor
    if kind == "national" and inputs.grid_factor_given and inputs.region is not None:
        book.notes.append(
            _Note(
                f"region {inputs.region} given, but the national grid factor is used",
                f"已选择省份 {inputs.region}，但按全国电力平均因子核算",
            )
        )
    chosen_table = inputs.grid_factor_given and isinstance(kind, str)
    if not (needed or chosen_table):
        return math.nan
    factor, used = _grid_factor(inputs)
    if not needed:
        return math.nan
    book.used[factor.key] = factor
    book.grid_year = used
    if factor.overridden:
        book.notes.append(
            _Note(
                f"grid factor set by user: {factor.value:g} tCO2/MWh",
                f"电网排放因子由用户指定：{factor.value:g} tCO2/MWh",
            )
        )
    if factor.confidence == "provisional":
        book.notes.append(
            _Note(
                f"the {inputs.year} grid factor is not published yet: the latest published "
                f"one ({used}, {factor.value:g} tCO2/MWh) is used; give grid_factor: "
                "<tCO2/MWh> to use your own",
                f"{inputs.year} 年电网排放因子尚未发布，暂沿用最新已发布的 {used} 年因子"
                f"（{factor.value:g} tCO2/MWh）；也可填写自有数值",
            )
        )
    return factor.value


_CATEGORY = {"fuel": "燃料燃烧", "electricity": "购入电力", "heat": "购入热力"}
_EXPORT_CATEGORY = {"electricity": "输出电力", "heat": "输出热力"}


def _by_carrier(entries: tuple[InventoryEntry, ...]) -> dict[str, float]:
    """Quantity in the table unit per carrier (repeated carriers add up), in first order."""
    out: dict[str, float] = {}
    for e in entries:
        out[e.carrier] = out.get(e.carrier, 0.0) + e.table_quantity
    return out


def _emission(
    c: _Carrier, q: float, book: _FactorBook, grid: float
) -> tuple[float, str, float, str, str]:
    """AD, AD unit, EF, EF unit and the factors' sources of ``q`` table units of ``c``."""
    if c.kind == "electricity":
        return q, "MWh", grid, "tCO2/MWh", book.used["电力.ef"].source
    if c.kind == "heat":
        ncv = 1.0 if c.name == HEAT else book.value(c, "ncv", why="CO2 (GJ per t of steam)")
        ef = book.value(c, "ef", why="CO2")
        return q * ncv, "GJ", ef, "tCO2/GJ", book.used[f"{c.name}.ef"].source
    ncv = book.value(c, "ncv", why="CO2")
    cc = book.value(c, "carbon_content", why="CO2")
    ox = book.value(c, "oxidation_rate", why="CO2")
    keys = ("ncv", "carbon_content", "oxidation_rate")
    sources = sorted({book.used[f"{c.name}.{k}"].source for k in keys})
    return q * ncv, "GJ", cc * ox / 100.0 * C_TO_CO2, "tCO2/GJ", "; ".join(sources)


def _lines(
    consumed: dict[str, float], exports: dict[str, float], book: _FactorBook, grid: float
) -> list[CarrierLine]:
    """Consumed carriers (tce, AD, EF, tCO2), then exported ones (tCO2 negative, no tce)."""
    known = _carriers()
    lines = []
    for name, q in consumed.items():
        c = known[name]
        k = book.tce_per_unit(c)
        ad, ad_unit, ef, ef_unit, srcs = _emission(c, q, book, grid)
        tce_key = f"{name}.tce"
        tsrc = book.used[tce_key].source if tce_key in book.used else "derived from NCV"
        lines.append(
            CarrierLine(
                name, _CATEGORY[c.kind], q, c.unit, q * k, ad, ad_unit, ef, ef_unit, ad * ef,
                f"tce: {tsrc}; EF: {srcs}",
            )
        )  # fmt: skip
    for name, q in exports.items():
        c = known[name]
        ad, ad_unit, ef, ef_unit, srcs = _emission(c, q, book, grid)
        lines.append(
            CarrierLine(
                name, _EXPORT_CATEGORY[c.kind], q, c.unit, math.nan, ad, ad_unit, ef, ef_unit,
                -ad * ef, f"EF: {srcs}",
            )
        )  # fmt: skip
    return lines


def _category_totals(lines: list[CarrierLine]) -> dict[str, float]:
    """tCO2 of each category (exports as positive numbers)."""
    categories = (*_CATEGORY.values(), *_EXPORT_CATEGORY.values())
    return {cat: float(sum(abs(r.tco2) for r in lines if r.category == cat)) for cat in categories}


def _intensities(
    inputs: CarbonInputs, energy: float, e_total: float
) -> tuple[tuple[str, float, str], ...]:
    """Energy and carbon intensities for the denominators given."""
    out: list[tuple[str, float, str]] = []
    if inputs.output is not None:
        o = inputs.output
        out += [
            ("万元产值综合能耗", energy / o, "tce/万元"),
            ("万元产值碳排放", e_total / o, "tCO2/万元"),
        ]
    if inputs.revenue is not None:
        r = inputs.revenue * 100.0  # 1 万元 = 100 百元
        out += [
            ("每百元营业收入综合能源消费量", energy / r, "tce/百元"),
            ("每百元营业收入碳排放", e_total / r, "tCO2/百元"),
        ]
    if inputs.product_output is not None:
        p = inputs.product_output
        pu = inputs.product_unit or "单位产品"
        out += [
            ("单位产品综合能耗", energy / p, f"tce/{pu}"),
            ("单位产品碳排放", e_total / p, f"tCO2/{pu}"),
        ]
    return tuple(out)


def _alias_notes(aliases: tuple[tuple[str, str], ...]) -> list[_Note]:
    """One note per carrier named by an alias: the name given and the table name read."""
    if not aliases:
        return []
    t = carrier_aliases()
    table = f"{t.id} v{t.version}, confidence {t.confidence}"
    return [
        _Note(
            f"carrier {given!r} read as {name} (alias in {table})",
            f"能源品种“{given}”按别名视为“{name}”（{t.id} v{t.version}，nqpf 设计值）",
        )
        for given, name in aliases
    ]


def _closing_notes(inputs: CarbonInputs, book: _FactorBook, *, exported: bool) -> list[_Note]:
    """Notes on the whole accounting: exports, unused overrides, biomass, unverified factors."""
    notes = []
    if exported:
        notes.append(
            _Note(
                "exported energy is subtracted from emissions, not from 综合能耗",
                "输出能源从排放量中扣减，不从综合能耗中扣减",
            )
        )
    for key in inputs.overrides:
        if key not in book.used:
            notes.append(
                _Note(
                    f"override {key} not used (carrier not in the inventory)",
                    f"指定的因子 {key} 未使用（清单中没有该能源品种）",
                )
            )
    if inputs.biomass_co2:
        notes.append(
            _Note(
                "biomass CO2 reported separately and excluded from E (GB/T 32150)",
                "生物质燃烧 CO2 单独报告，不计入排放总量 E（GB/T 32150）",
            )
        )
    unverified = ", ".join(
        sorted(f.key for f in book.used.values() if f.confidence == "unverified")
    )
    if unverified:
        notes.append(
            _Note(
                f"factors tagged unverified used: {unverified}",
                f"使用了标注为“未核实”的因子：{unverified}（使用前请核对标准原文）",
            )
        )
    return notes


def account_inputs(inputs: CarbonInputs) -> CarbonResult:
    """Energy use and CO2 of checked inputs (see :func:`check_inputs` and :func:`account`).

    Resolves the grid factor, then each carrier's factors (overrides first), computes the
    per-carrier lines, the totals and the intensities, and writes the notes.

    Raises
    ------
    DataValidationError
        A factor the tables do not give and the user did not supply
        (``overrides[carrier.factor]``), a year or province without the grid factor
        chosen (``year`` / ``grid_factor``), ``等价值`` without 电力.tce.
    """
    notes = _alias_notes(inputs.aliases)
    book = _FactorBook(inputs, notes)
    consumed, exports = _by_carrier(inputs.inventory), _by_carrier(inputs.exported)
    grid = _resolve_grid(inputs, ELECTRICITY in consumed or ELECTRICITY in exports, book)
    lines = _lines(consumed, exports, book, grid)
    by_cat = _category_totals(lines)
    e_comb, e_el, e_ht = by_cat["燃料燃烧"], by_cat["购入电力"], by_cat["购入热力"]
    x_el, x_ht = by_cat["输出电力"], by_cat["输出热力"]
    e_total = e_comb + inputs.process_emissions + e_el + e_ht - x_el - x_ht
    energy = float(sum(r.tce for r in lines if not math.isnan(r.tce)))
    notes += _closing_notes(inputs, book, exported=bool(exports))
    tables = tuple(
        f"{t.id} v{t.version}" for t in (energy_coefficients(), fuel_parameters(), grid_factors())
    )
    return CarbonResult(
        year=inputs.year,
        region=inputs.region,
        region_code=inputs.region_code,
        grid_factor_kind=inputs.grid_factor if isinstance(inputs.grid_factor, str) else "user",
        electricity_convention=inputs.electricity_convention,
        lines=tuple(lines),
        energy_tce=energy,
        e_combustion=e_comb,
        e_process=inputs.process_emissions,
        e_purchased_electricity=e_el,
        e_purchased_heat=e_ht,
        e_exported_electricity=x_el,
        e_exported_heat=x_ht,
        e_total=e_total,
        biomass_co2=inputs.biomass_co2,
        intensities=_intensities(inputs, energy, e_total),
        factors_used=tuple(book.used.values()),
        notes=tuple(n.en for n in notes),
        tables=tables,
        notes_zh=tuple(n.zh for n in notes),
        grid_factor_year=book.grid_year,
    )


def account(
    inventory: Any,
    *,
    year: Any,
    region: Any = None,
    grid_factor: Any = None,
    electricity_convention: str = "当量值",
    overrides: Mapping[str, Any] | None = None,
    exported: Any = None,
    process_emissions: Any = 0.0,
    biomass_co2: Any = 0.0,
    output: Any = None,
    revenue: Any = None,
    product_output: Any = None,
    product_unit: str | None = None,
) -> CarbonResult:
    """Energy use (tce) and CO2 emissions of an enterprise's annual energy inventory.

    Parameters
    ----------
    inventory : mapping, list of dicts or DataFrame
        Energy consumed: ``{carrier: quantity}`` in the carrier's table unit (see
        :func:`carriers`), or records ``{"carrier", "quantity", "unit"}`` whose unit is
        any spelling of ``nqpf/codes/data/units.yaml`` of the table unit's dimension,
        converted by that file's factors (吨 ↔ 千克 ↔ 万吨, 万立方米 ↔ 立方米 ↔ 万Nm³,
        万千瓦时 ↔ 千瓦时 ↔ MWh, 吉焦 ↔ 兆焦); a blank unit is the table unit.  Repeated carriers
        are added up; at most :data:`MAX_RECORDS` entries.  Quantities are numbers or
        numeric text (``"1,200.5"``), ≥ 0 and ≤ :data:`MAX_NUMBER`.  A carrier may be
        named by an alias of :func:`carrier_aliases` (``"diesel"`` → 柴油), here and in
        ``exported`` and ``overrides``; the notes say which.
    year : int
        Accounting year; selects the grid factor.  A year after the latest published
        factor (up to this year, Beijing time) takes that latest factor, flagged: its
        confidence is ``provisional``, ``grid_factor_year`` names the year it is from and a
        note says so.  An earlier year without a factor is an error naming the years
        that exist.
    region : str or int, optional
        Province as NBS 2-digit code (``"44"``, ``44``, ``"440000"``) or Chinese name
        (``"广东"``, ``"广东省"``).
    grid_factor : {"national", "provincial"} or float, optional
        Grid emission factor of purchased and exported electricity: the 全国电力平均 of
        ``year``, the provincial average of ``region`` and ``year`` (2021, 2022 only), or
        a value in tCO2/MWh given by the user (≤ :data:`MAX_GRID_FACTOR`).  Default: ``"provincial"`` when ``region``
        is given, else ``"national"``.  A provincial year before the province's first
        raises (no silent fallback to the national factor); pass ``"national"``
        explicitly instead.  A national or provincial factor chosen explicitly must
        exist for ``year`` (or stand in for it) even when no electricity is accounted.
    electricity_convention : {"当量值", "等价值"}
        折标煤 of electricity.  ``"当量值"`` (default, 0.1229 kgce/kWh, GB/T 2589-2020 as
        quoted in frameworks.md §4.5) or ``"等价值"``, the year's 供电煤耗, which the
        tables do not hold: give it as ``overrides={"电力.tce": kgce_per_kWh}``.
    overrides : mapping, optional
        ``{"carrier.factor": value}`` in the unit listed by ``factors_frame()``.  Factors:
        ``ncv`` (GJ/unit), ``carbon_content`` (tC/GJ), ``oxidation_rate`` (%), ``tce``
        (折标煤 coefficient; tce per table unit where the table gives none) for fuels;
        ``tce`` for 电力; ``ef`` (tCO2/GJ) and ``tce`` for 热力; ``ncv`` (GJ/t) and ``tce``
        for 外购蒸汽.  Grid factors are set through ``grid_factor``.
    exported : mapping or list of dicts, optional
        Exported 电力 and 热力 (same form as ``inventory``); their emissions are
        subtracted from E.  They are not deducted from 综合能耗.
    process_emissions : float
        E过程 in tCO2, computed by the user (industrial processes).
    biomass_co2 : float
        CO2 from biomass combustion in tCO2: reported, not counted in E (GB/T 32150).
    output : float, optional
        工业总产值 in 万元 → tce/万元产值 and tCO2/万元产值.
    revenue : float, optional
        营业收入 in 万元 → tce/百元营业收入 and tCO2/百元营业收入 (1 万元 = 100 百元).
    product_output : float, optional
        Product output in ``product_unit`` → tce and tCO2 per unit of product.

    Returns
    -------
    CarbonResult

    Raises
    ------
    DataValidationError
        Unknown carrier, region or override key; negative, NaN, non-numeric or too large
        quantity; unit that does not fit the carrier; year without a grid factor; a
        factor the tables do not give and the user did not supply.  The error names the
        field (see :func:`check_inputs`) and gives its reason in Chinese too
        (``reason_zh``).

    Notes
    -----
    E燃烧 = Σ 消耗量 × NCV × 单位热值含碳量 × 碳氧化率 × 44/12 with NCV in GJ/t (GJ/10⁴Nm³
    for gases), 含碳量 in tC/GJ and 氧化率 in % / 100; E电 = MWh × EF_grid; E热 = GJ ×
    EF_heat (default 0.11 tCO2/GJ).  Fuels without a 折标煤 coefficient in the table get
    tce = 消耗量 × NCV / 29.3076 GJ/tce (calorific-value method; 1 kgce = 29.3076 MJ,
    tagged unverified), and a note says so.

    References
    ----------
    GB/T 32150-2015 工业企业温室气体排放核算和报告通则; GB/T 2589-2020 综合能耗计算通则;
    MEE/NBS 公告2024年第12号 and 第33号 (grid factors); frameworks.md §4.2–4.5.

    Examples
    --------
    >>> r = account({"柴油": 100, "电力": 500}, year=2022, region="广东")
    >>> round(r.e_combustion, 2), round(r.e_purchased_electricity, 2)
    (314.51, 220.15)
    >>> round(r.energy_tce, 3)
    207.16
    """
    inputs = check_inputs(
        inventory,
        year=year,
        region=region,
        grid_factor=grid_factor,
        electricity_convention=electricity_convention,
        overrides=overrides,
        exported=exported,
        process_emissions=process_emissions,
        biomass_co2=biomass_co2,
        output=output,
        revenue=revenue,
        product_output=product_output,
        product_unit=product_unit,
    )
    return account_inputs(inputs)
