"""Enterprise energy use (综合能耗) and CO2 accounting (GB/T 32150 / GB/T 2589).

Numbers in, a frozen :class:`CarbonResult` out.  Every factor comes from one of three
versioned YAML tables shipped in ``nqpf/assessment/data`` (折标煤 coefficients, default
fuel parameters, grid and heat emission factors), each entry tagged with the confidence
printed in the reference (``official`` / ``secondary`` / ``unverified``).  A factor the
reference does not give is absent, and the accounting asks for it through ``overrides``
instead of guessing.

Formulas (GB/T 32150-2015 and the 核算指南 family, frameworks.md §4.2)::

    E      = E燃烧 + E过程 + E购入电 + E购入热 − E输出电 − E输出热
    E燃烧  = Σ_i AD_i × EF_i,   AD_i = 消耗量_i × NCV_i (GJ),
             EF_i = 单位热值含碳量_i (tC/GJ) × 碳氧化率_i × 44/12 (tCO2/GJ)
    E电    = 电量 (MWh) × EF_grid (tCO2/MWh)
    E热    = 热量 (GJ) × EF_heat (tCO2/GJ)

Biomass CO2 is reported separately and excluded from E (GB/T 32150).  综合能耗 is
Σ 消耗量_i × 折标煤系数_i in tce (GB/T 2589-2020).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from numbers import Real
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "CarbonResult",
    "CarrierLine",
    "FactorUsed",
    "account",
    "carriers",
    "energy_coefficients",
    "fuel_parameters",
    "grid_factors",
]

C_TO_CO2 = 44.0 / 12.0
"""Mass ratio of CO2 to C (44/12)."""

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


# ---------------------------------------------------------------------------------------
# Carriers, units and factors
# ---------------------------------------------------------------------------------------

ELECTRICITY = "电力"
HEAT = "热力"

# Activity units each canonical unit accepts, with the multiplier to the canonical unit.
_UNITS: dict[str, dict[str, float]] = {
    "t": {"t": 1.0, "吨": 1.0, "kg": 1e-3, "千克": 1e-3, "万t": 1e4, "万吨": 1e4},
    "万Nm³": {
        "万Nm³": 1.0,
        "万Nm3": 1.0,
        "万m³": 1.0,
        "万m3": 1.0,
        "10^4Nm3": 1.0,
        "Nm³": 1e-4,
        "Nm3": 1e-4,
        "m³": 1e-4,
        "m3": 1e-4,
    },
    "MWh": {"MWh": 1.0, "kWh": 1e-3, "千瓦时": 1e-3, "万kWh": 10.0, "万千瓦时": 10.0},
    "GJ": {"GJ": 1.0, "MJ": 1e-3},
}

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
                "accepted_units": ", ".join(_UNITS[c.unit]),
                "factors_given": ", ".join(k for k, f in c.factors.items() if f.value is not None),
                "factors_missing": ", ".join(k for k, f in c.factors.items() if f.value is None),
            }
        )
    return pd.DataFrame(rows).set_index("carrier")


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
            ("电网排放因子", self.grid_factor_kind),
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
        return Summary(title="温室气体排放与综合能耗核算", rows=tuple(rows), notes=self.notes)


# ---------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------


def _number(value, field: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise DataValidationError(f"expected a number, got {value!r}", field=field)
    v = float(value)
    if math.isnan(v):
        raise DataValidationError("is NaN; give a number (0 if none)", field=field)
    if math.isinf(v):
        raise DataValidationError(f"must be finite, got {v}", field=field)
    if v < 0 or (v == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise DataValidationError(f"must be {bound}, got {v}", field=field)
    return v


def _entries(inventory, what: str) -> list[tuple[str, Any, str | None, str, str]]:
    """(carrier, quantity, unit, field, quantity field) from a mapping, a list of dicts or a DataFrame."""
    if inventory is None:
        return []
    if isinstance(inventory, pd.DataFrame):
        inventory = inventory.to_dict("records")
    if isinstance(inventory, Mapping):
        return [(str(k), v, None, f"{what}[{k}]", f"{what}[{k}]") for k, v in inventory.items()]
    out = []
    for i, item in enumerate(inventory):
        if not isinstance(item, Mapping) or "carrier" not in item or "quantity" not in item:
            raise DataValidationError(
                f"entry {i} must be a mapping with keys 'carrier', 'quantity' (and optional "
                f"'unit'), got {item!r}",
                field=f"{what}[{i}]",
            )
        unit = item.get("unit")
        if unit is not None and isinstance(unit, float) and math.isnan(unit):
            unit = None
        f = f"{what}[{i}]"
        out.append((str(item["carrier"]), item["quantity"], unit, f, f"{f}.quantity"))
    return out


def _carrier(name: str, field: str, allowed: Mapping[str, _Carrier]) -> _Carrier:
    if name not in allowed:
        raise DataValidationError(
            f"unknown carrier {name!r}; known carriers: {', '.join(allowed)}", field=field
        )
    return allowed[name]


def _to_canonical(q: float, unit: str | None, carrier: _Carrier, field: str) -> float:
    if unit is None:
        return q
    table = _UNITS[carrier.unit]
    key = str(unit).strip()
    if key not in table:
        raise DataValidationError(
            f"unit {unit!r} does not fit {carrier.name} (table unit {carrier.unit}); "
            f"accepted units: {', '.join(table)}",
            field=f"{field}.unit",
        )
    return q * table[key]


def _region(region) -> tuple[str, str] | None:
    if region is None:
        return None
    prov = grid_factors().provincial.regions
    key = str(region).strip()
    for p in prov:
        if key in (p.code, p.name, p.full_name, p.code + "0000"):
            return p.code, p.name
    known = ", ".join(f"{p.code} {p.name}" for p in prov)
    raise DataValidationError(
        f"unknown region {region!r}; expected an NBS 2-digit code or province name with a "
        f"provincial factor ({known}; 西藏 54 has none)",
        field="region",
    )


# ---------------------------------------------------------------------------------------
# Accounting
# ---------------------------------------------------------------------------------------


def account(
    inventory,
    *,
    year: int,
    region=None,
    grid_factor: str | float | None = None,
    electricity_convention: str = "当量值",
    overrides: Mapping[str, float] | None = None,
    exported=None,
    process_emissions: float = 0.0,
    biomass_co2: float = 0.0,
    output: float | None = None,
    revenue: float | None = None,
    product_output: float | None = None,
    product_unit: str | None = None,
) -> CarbonResult:
    """Energy use (tce) and CO2 emissions of an enterprise's annual energy inventory.

    Parameters
    ----------
    inventory : mapping, list of dicts or DataFrame
        Energy consumed: ``{carrier: quantity}`` in the carrier's table unit (see
        :func:`carriers`), or records ``{"carrier", "quantity", "unit"}`` whose unit is
        converted when it is an obvious variant (t ↔ kg ↔ 万t, 万Nm³ ↔ m³, MWh ↔ kWh ↔
        万kWh, GJ ↔ MJ).  Repeated carriers are added up.
    year : int
        Accounting year; selects the grid factor.  Years are never mixed: a year without
        a factor in the table is an error naming the years that exist.
    region : str or int, optional
        Province as NBS 2-digit code (``"44"``, ``44``, ``"440000"``) or Chinese name
        (``"广东"``, ``"广东省"``).
    grid_factor : {"national", "provincial"} or float, optional
        Grid emission factor of purchased and exported electricity: the 全国电力平均 of
        ``year``, the provincial average of ``region`` and ``year`` (2021, 2022 only), or
        a value in tCO2/MWh given by the user.  Default: ``"provincial"`` when ``region``
        is given, else ``"national"``.  A missing provincial year raises (no silent
        fallback to the national factor); pass ``"national"`` explicitly instead.
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
        Unknown carrier, region or override key; negative, NaN or non-numeric quantity;
        unit that does not fit the carrier; year without a grid factor; a factor the
        tables do not give and the user did not supply.

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
    if electricity_convention not in ("当量值", "等价值"):
        raise DataValidationError(
            f"expected '当量值' or '等价值', got {electricity_convention!r}",
            field="electricity_convention",
        )
    year_i = int(year) if isinstance(year, Real) and not isinstance(year, bool) else None
    if year_i is None or year_i != year:
        raise DataValidationError(f"expected an integer year, got {year!r}", field="year")
    reg = _region(region)
    known = _carriers()
    notes: list[str] = []

    # -- overrides ---------------------------------------------------------------------
    user: dict[tuple[str, str], float] = {}
    for key, value in (overrides or {}).items():
        field = f"overrides[{key}]"
        carrier_name, _, factor = str(key).partition(".")
        if carrier_name not in known:
            raise DataValidationError(
                f"override for unknown carrier {carrier_name!r}; keys are 'carrier.factor', "
                f"known carriers: {', '.join(known)}",
                field=field,
            )
        allowed = known[carrier_name].factors
        if factor not in allowed:
            hint = " (set grid factors with grid_factor=…)" if carrier_name == ELECTRICITY else ""
            raise DataValidationError(
                f"unknown factor {factor!r} for {carrier_name}; overridable factors: "
                f"{', '.join(f'{carrier_name}.{f}' for f in allowed)}{hint}",
                field=field,
            )
        v = _number(value, field, allow_zero=factor != "ncv")
        if factor == "oxidation_rate" and v > 100:
            raise DataValidationError(f"oxidation rate is in %, got {v} > 100", field=field)
        user[(carrier_name, factor)] = v

    # -- quantities --------------------------------------------------------------------
    def collect(entries, allowed) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, qty, unit, field, qfield in entries:
            c = _carrier(name, field, allowed)
            q = _number(qty, qfield)
            out[name] = out.get(name, 0.0) + _to_canonical(q, unit, c, field)
        return out

    consumed = collect(_entries(inventory, "inventory"), known)
    exportable = {k: known[k] for k in (ELECTRICITY, HEAT)}
    exports = collect(_entries(exported, "exported"), exportable)
    process = _number(process_emissions, "process_emissions")
    biomass = _number(biomass_co2, "biomass_co2")

    used: dict[str, FactorUsed] = {}

    def factor(c: _Carrier, name: str, *, why: str) -> float:
        key = f"{c.name}.{name}"
        f = c.factors[name]
        if (c.name, name) in user:
            v = user[(c.name, name)]
            unit = f.unit
            if key not in used:
                was = "not in the tables" if f.value is None else f"table value {f.value:g}"
                notes.append(f"factor {key} overridden by user: {v:g} {unit} ({was})")
            used[key] = FactorUsed(key, c.name, name, v, unit, "user", "user", True)
            return v
        if f.value is None:
            raise DataValidationError(
                f"the factor tables give no {name} for {c.name} (needed for {why}); supply "
                f"it as overrides={{{key!r}: value}} in {f.unit}",
                field=f"overrides[{key}]",
            )
        used[key] = FactorUsed(key, c.name, name, f.value, f.unit, f.source, f.confidence, False)
        return f.value

    def tce_per_unit(c: _Carrier) -> float:
        key = f"{c.name}.tce"
        if (
            c.kind == "electricity"
            and electricity_convention == "等价值"
            and (c.name, "tce") not in user
        ):
            raise DataValidationError(
                "electricity_convention='等价值' needs the year's 供电煤耗, which the "
                "tables do not hold; supply overrides={'电力.tce': kgce_per_kWh}",
                field="electricity_convention",
            )
        if c.factors["tce"].value is not None or (c.name, "tce") in user:
            v = factor(c, "tce", why="综合能耗")
            unit = used[key].unit
            return v if unit == f"tce/{c.unit}" else v * _TCE_PER_UNIT[(unit, c.unit)]
        # calorific-value method
        ncv = factor(c, "ncv", why="综合能耗 (no 折标煤 coefficient in the table)")
        kg = energy_coefficients().kgce
        ec = energy_coefficients()
        used.setdefault(
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
        notes.append(
            f"tce of {c.name} derived from NCV ({ncv:g} GJ/{c.unit} ÷ {kg.value:g} GJ/tce): "
            "the table gives no 折标煤 coefficient"
        )
        return ncv / kg.value

    # -- grid factor -------------------------------------------------------------------
    needs_grid = ELECTRICITY in consumed or ELECTRICITY in exports
    gf = grid_factors()
    kind = grid_factor if grid_factor is not None else ("provincial" if reg else "national")
    grid_value = math.nan
    if isinstance(kind, str):
        if kind not in ("national", "provincial"):
            raise DataValidationError(
                f"expected 'national', 'provincial' or a number (tCO2/MWh), got {kind!r}",
                field="grid_factor",
            )
        if kind == "provincial" and reg is None:
            raise DataValidationError(
                "grid_factor='provincial' needs region=…", field="grid_factor"
            )
        if kind == "national" and reg is not None and grid_factor is not None:
            notes.append(f"region {reg[1]} given, but the national grid factor is used")
    else:
        grid_value = _number(kind, "grid_factor", allow_zero=True)
        kind = "user"
    if needs_grid:
        src = f"{gf.id} v{gf.version}"
        if kind == "national":
            years = gf.national.values
            if year_i not in years:
                raise DataValidationError(
                    f"no national grid factor for {year_i}; years with a factor: "
                    f"{', '.join(map(str, sorted(years)))} (or pass grid_factor=<tCO2/MWh>)",
                    field="year",
                )
            y = years[year_i]
            grid_value = y.value
            used["电力.ef"] = FactorUsed(
                "电力.ef",
                ELECTRICITY,
                "ef",
                y.value,
                gf.unit,
                f"{src}: {gf.national.variant} {year_i} ({y.notice})",
                y.confidence,
                False,
            )
        elif kind == "provincial":
            p = next(p for p in gf.provincial.regions if p.code == reg[0])
            if year_i not in p.values:
                raise DataValidationError(
                    f"no provincial grid factor for {p.name} in {year_i}; years with a "
                    f"factor: {', '.join(map(str, sorted(p.values)))}. Pass "
                    "grid_factor='national' or a number (tCO2/MWh); years are never mixed",
                    field="year",
                )
            grid_value = p.values[year_i]
            notice = gf.provincial.notices.get(year_i, "")
            used["电力.ef"] = FactorUsed(
                "电力.ef",
                ELECTRICITY,
                "ef",
                grid_value,
                gf.unit,
                f"{src}: {gf.provincial.variant} {p.name} {year_i} ({notice})",
                gf.provincial.confidence,
                False,
            )
        else:
            used["电力.ef"] = FactorUsed(
                "电力.ef",
                ELECTRICITY,
                "ef",
                grid_value,
                gf.unit,
                "user (grid_factor)",
                "user",
                True,
            )
            notes.append(f"grid factor set by user: {grid_value:g} tCO2/MWh")

    # -- lines -------------------------------------------------------------------------
    lines: list[CarrierLine] = []

    def emission(c: _Carrier, q: float) -> tuple[float, str, float, str, str]:
        """AD, AD unit, EF, EF unit, sources."""
        if c.kind == "electricity":
            return q, "MWh", grid_value, "tCO2/MWh", used["电力.ef"].source
        if c.kind == "heat":
            ncv = 1.0 if c.name == HEAT else factor(c, "ncv", why="CO2 (GJ per t of steam)")
            ef = factor(c, "ef", why="CO2")
            return q * ncv, "GJ", ef, "tCO2/GJ", used[f"{c.name}.ef"].source
        ncv = factor(c, "ncv", why="CO2")
        cc = factor(c, "carbon_content", why="CO2")
        ox = factor(c, "oxidation_rate", why="CO2")
        srcs = sorted(
            {used[f"{c.name}.{k}"].source for k in ("ncv", "carbon_content", "oxidation_rate")}
        )
        return q * ncv, "GJ", cc * ox / 100.0 * C_TO_CO2, "tCO2/GJ", "; ".join(srcs)

    category = {"fuel": "燃料燃烧", "electricity": "购入电力", "heat": "购入热力"}
    for name, q in consumed.items():
        c = known[name]
        k = tce_per_unit(c)
        ad, ad_unit, ef, ef_unit, srcs = emission(c, q)
        tsrc = used[f"{name}.tce"].source if f"{name}.tce" in used else "derived from NCV"
        lines.append(
            CarrierLine(
                name,
                category[c.kind],
                q,
                c.unit,
                q * k,
                ad,
                ad_unit,
                ef,
                ef_unit,
                ad * ef,
                f"tce: {tsrc}; EF: {srcs}",
            )
        )
    for name, q in exports.items():
        c = known[name]
        ad, ad_unit, ef, ef_unit, srcs = emission(c, q)
        cat = "输出电力" if c.kind == "electricity" else "输出热力"
        lines.append(
            CarrierLine(
                name, cat, q, c.unit, math.nan, ad, ad_unit, ef, ef_unit, -ad * ef, f"EF: {srcs}"
            )
        )
    if exports:
        notes.append("exported energy is subtracted from emissions, not from 综合能耗")
    for key, _ in user.items():
        k = f"{key[0]}.{key[1]}"
        if k not in used:
            notes.append(f"override {k} not used (carrier not in the inventory)")

    def total(cat: str) -> float:
        return float(sum(abs(r.tco2) for r in lines if r.category == cat))

    e_comb, e_el, e_ht = total("燃料燃烧"), total("购入电力"), total("购入热力")
    x_el, x_ht = total("输出电力"), total("输出热力")
    e_total = e_comb + process + e_el + e_ht - x_el - x_ht
    energy = float(sum(r.tce for r in lines if not math.isnan(r.tce)))
    if biomass:
        notes.append("biomass CO2 reported separately and excluded from E (GB/T 32150)")
    unverified = sorted(f.key for f in used.values() if f.confidence == "unverified")
    if unverified:
        notes.append(f"factors tagged unverified used: {', '.join(unverified)}")

    # -- intensities -------------------------------------------------------------------
    intens: list[tuple[str, float, str]] = []
    if output is not None:
        o = _number(output, "output", allow_zero=False)
        intens += [
            ("万元产值综合能耗", energy / o, "tce/万元"),
            ("万元产值碳排放", e_total / o, "tCO2/万元"),
        ]
    if revenue is not None:
        r = _number(revenue, "revenue", allow_zero=False) * 100.0
        intens += [
            ("每百元营业收入综合能源消费量", energy / r, "tce/百元"),
            ("每百元营业收入碳排放", e_total / r, "tCO2/百元"),
        ]
    if product_output is not None:
        p = _number(product_output, "product_output", allow_zero=False)
        pu = product_unit or "单位产品"
        intens += [
            ("单位产品综合能耗", energy / p, f"tce/{pu}"),
            ("单位产品碳排放", e_total / p, f"tCO2/{pu}"),
        ]
    elif product_unit is not None:
        raise DataValidationError(
            "product_unit given without product_output", field="product_output"
        )

    tables = tuple(
        f"{t.id} v{t.version}" for t in (energy_coefficients(), fuel_parameters(), grid_factors())
    )
    return CarbonResult(
        year=year_i,
        region=None if reg is None else reg[1],
        region_code=None if reg is None else reg[0],
        grid_factor_kind=kind,
        electricity_convention=electricity_convention,
        lines=tuple(lines),
        energy_tce=energy,
        e_combustion=e_comb,
        e_process=process,
        e_purchased_electricity=e_el,
        e_purchased_heat=e_ht,
        e_exported_electricity=x_el,
        e_exported_heat=x_ht,
        e_total=e_total,
        biomass_co2=biomass,
        intensities=tuple(intens),
        factors_used=tuple(used.values()),
        notes=tuple(notes),
        tables=tables,
    )
