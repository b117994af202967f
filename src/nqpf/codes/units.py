"""Units of measure as data: 元/千元/万元/亿元, tce/kgce/万tce, kWh/MWh/万kWh, m³/万m³, t/kt …

The table ``nqpf/codes/data/units.yaml`` gives each unit its dimension (money, standard
coal, electricity, volume, mass, CO2), its factor to the dimension's base unit and its
Chinese and English aliases.  :func:`convert` changes a value's unit within a dimension,
:func:`parse_quantity` reads ``"1,234 万元"`` and :func:`parse_number` reads the number
alone; every failure is a :class:`~nqpf.exceptions.DataValidationError` in English and
Chinese naming the value.

Spellings are matched after Unicode NFKC normalisation (full-width ``１２３４`` and ``ｋＷｈ``,
``m³`` → ``m3``), without blanks and ignoring the case of Latin letters, so ``万 元``,
``kwh`` and ``万吨标准煤`` are understood.

>>> convert(1.5, "亿元", "万元")
15000.0
>>> parse_quantity("1,234 万元")
Quantity(value=1234.0, unit='万元')
>>> parse_quantity("１２.５万吨标准煤").to("tce")
125000.0
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple

from nqpf._suggest import did_you_mean
from nqpf.exceptions import DataValidationError

__all__ = [
    "Quantity",
    "Unit",
    "convert",
    "parse_number",
    "parse_quantity",
    "unit_info",
    "units",
]


class Unit(NamedTuple):
    """A unit of the table: its canonical spelling, dimension, factor and aliases."""

    unit: str
    dimension: str
    factor: float
    aliases: tuple[str, ...]
    dimension_zh: str
    base: str


class Quantity(NamedTuple):
    """A number with its canonical unit (from :func:`parse_quantity`)."""

    value: float
    unit: str

    def to(self, unit: str) -> float:
        """The value in ``unit`` (same dimension)."""
        return convert(self.value, self.unit, unit)


class _Table(NamedTuple):
    id: str
    version: str
    source: str
    confidence: str
    units: Mapping[str, Unit]
    lookup: Mapping[str, str]


def _key(text: str) -> str:
    """The matching key of a unit spelling: NFKC, no blanks, Latin letters folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@functools.cache
def _table() -> _Table:
    from nqpf._datafile import Confidence, FileId, FrozenModel, Number, Text, Version
    from nqpf.codes._data import load_model, table_error

    class Dimension(FrozenModel):
        base: Text
        name_zh: Text

    class UnitEntry(FrozenModel):
        unit: Text
        dimension: Text
        factor: Number
        aliases: tuple[Text, ...] = ()

    class UnitFile(FrozenModel):
        id: FileId
        version: Version
        source: Text
        confidence: Confidence
        dimensions: dict[str, Dimension]
        units: list[UnitEntry]

    name = "units.yaml"
    f = load_model(name, UnitFile)
    table: dict[str, Unit] = {}
    lookup: dict[str, str] = {}
    for e in f.units:
        dim = f.dimensions.get(e.dimension)
        if dim is None or e.factor <= 0:
            raise table_error(f"unit {e.unit!r}: unknown dimension or factor ≤ 0", name)
        table[e.unit] = Unit(e.unit, e.dimension, e.factor, tuple(e.aliases), dim.name_zh, dim.base)
        for spelling in (e.unit, *e.aliases):
            k = _key(spelling)
            if lookup.setdefault(k, e.unit) != e.unit:
                raise table_error(f"spelling {spelling!r} names {lookup[k]!r} and {e.unit!r}", name)
    for d, dim in f.dimensions.items():
        if table.get(dim.base) is None or table[dim.base].factor != 1:
            raise table_error(f"dimension {d!r}: base unit {dim.base!r} must have factor 1", name)
    return _Table(f.id, f.version, f.source, f.confidence, table, lookup)


def unit_info(unit: str, *, field: str = "unit") -> Unit:
    """The table entry of a unit spelling (``"万吨标准煤"`` → ``万tce``).

    Examples
    --------
    >>> u = unit_info("万千瓦时")
    >>> u.unit, u.dimension, u.factor, u.base
    ('万kWh', 'electricity', 10000.0, 'kWh')
    """
    t = _table()
    name = t.lookup.get(_key(str(unit)))
    if name is None:
        shown = str(unit).strip()[:30]
        # every spelling (万立方米, 万Nm³ …) is compared; its unit is suggested, units first
        spellings = {u: u for u in t.units} | {
            alias: u for u, entry in t.units.items() for alias in entry.aliases
        }
        en, zh = did_you_mean(unit, spellings)
        hint, hint_zh = (f"; {en}", f"；{zh}") if en else ("", "")
        raise DataValidationError(
            f"unknown unit {shown!r}{hint} (known: {', '.join(t.units)})",
            field=field,
            zh=f"单位 {shown!r} 无法识别{hint_zh}",
        )
    return t.units[name]


def convert(value: Any, from_unit: str, to_unit: str, *, field: str = "unit") -> Any:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (same dimension).

    ``value`` may be a number, a NumPy array or a pandas Series: it is multiplied by the
    ratio of the two factors.

    Examples
    --------
    >>> convert(2500, "kgce", "tce"), convert(3, "万kWh", "MWh"), convert(1, "万Nm³", "立方米")
    (2.5, 30.0, 10000.0)
    >>> convert(1, "万元", "tce")
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'unit': cannot convert 万元 (money) to tce (standard_coal)
    """
    a, b = unit_info(from_unit, field=field), unit_info(to_unit, field=field)
    if a.dimension != b.dimension:
        raise DataValidationError(
            f"cannot convert {a.unit} ({a.dimension}) to {b.unit} ({b.dimension})",
            field=field,
            zh=f"单位 {a.unit}（{a.dimension_zh}）不能换算为 {b.unit}（{b.dimension_zh}）",
        )
    if a.unit == b.unit:
        return value * 1.0
    return value * (a.factor / b.factor)


_NUMBER = re.compile(
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"\s*(?P<rest>.*)",
    re.S,
)


def _split(text: Any, field: str) -> tuple[float, str, str]:
    raw = "" if text is None else str(text)
    norm = unicodedata.normalize("NFKC", raw).strip()
    m = _NUMBER.fullmatch(norm)
    num = m.group("num") if m else ""
    if not num or not re.search(r"\d", num):
        shown = raw.strip()[:30]
        raise DataValidationError(
            f"expected a number with an optional unit, e.g. '1,234 万元', got {shown!r}",
            field=field,
            zh=f"应为数字（可带单位），如 '1,234 万元'，实际为 {shown!r}",
        )
    return float(num.replace(",", "")), m.group("rest").strip(), raw  # type: ignore[union-attr]


def parse_number(text: Any, *, field: str = "value") -> float:
    """A number written as text: thousand separators (groups of 3), full-width digits.

    Examples
    --------
    >>> parse_number("1,234.5"), parse_number("－１２"), parse_number("2e3")
    (1234.5, -12.0, 2000.0)
    >>> parse_number("12,34")
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'value': expected a number such as 1,234.5, got '12,34'
    """
    value, rest, raw = _split(text, field)
    if rest:
        shown = raw.strip()[:30]
        raise DataValidationError(
            f"expected a number such as 1,234.5, got {shown!r}",
            field=field,
            zh=f"应为数字，如 1,234.5，实际为 {shown!r}",
        )
    return value


def parse_quantity(text: Any, default_unit: str | None = None, *, field: str = "value") -> Quantity:
    """A number and its unit from text: ``"1,234 万元"`` → ``Quantity(1234.0, '万元')``.

    Parameters
    ----------
    text
        The number (thousand separators allowed in groups of three, full-width digits),
        then optionally blanks and a unit spelling of the table.
    default_unit
        The unit of a bare number; without it a bare number is refused.

    Examples
    --------
    >>> parse_quantity("3.2 万千瓦时"), parse_quantity("12", default_unit="t")
    (Quantity(value=3.2, unit='万kWh'), Quantity(value=12.0, unit='t'))
    >>> parse_quantity("5 万美元")
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'value': unknown unit '万美元'; did you mean '万元' or '元'? (known: 元, 千元, 万元, 百万元, 亿元, tce, kgce, 万tce, kWh, MWh, GWh, 万kWh, 亿kWh, m³, 万m³, 亿m³, t, kg, kt, 万t, Mt, tCO2, kgCO2, 万tCO2, GJ, MJ, TJ)
    """
    value, unit, raw = _split(text, field)
    if unit[:1] in ",.0123456789":
        parse_number(raw, field=field)  # a malformed number ('12,34 万元'): say so
    if not unit:
        if default_unit is None:
            shown = raw.strip()[:30]
            raise DataValidationError(
                f"{shown!r} has no unit; write it after the number, e.g. '1,234 万元'",
                field=field,
                zh=f"{shown!r} 缺少单位，请写在数字后，如 '1,234 万元'",
            )
        unit = default_unit
    return Quantity(value, unit_info(unit, field=field).unit)


def units(dimension: str | None = None) -> list[Unit]:
    """The units of the table (of one dimension), in file order.

    Examples
    --------
    >>> [u.unit for u in units("money")]
    ['元', '千元', '万元', '百万元', '亿元']
    """
    return [u for u in _table().units.values() if dimension in (None, u.dimension)]
