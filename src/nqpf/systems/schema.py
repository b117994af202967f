"""Pydantic models of an indicator system (指标体系).

An indicator system is a three-level hierarchy, dimension (一级维度) → sub-dimension
(二级维度) → indicator (三级指标), plus the metadata every data file in nqpf carries:
``id``, ``version``, ``source`` and ``confidence``.  The models are frozen so that a loaded
system can be shared and cached safely; sequences are stored as tuples.

The YAML file format mirrors the models one to one::

    id: nqpf-three-factor
    version: "2024.1"
    name: 新质生产力三要素指标体系
    source: "王珏、王荣基 (2024) ..."
    confidence: unverified          # official | secondary | unverified
    verified: false
    subsystems: false               # true: top level = subsystems of a coupling model
    dimensions:
      - name: 劳动者
        sub_dimensions:
          - name: 劳动者技能
            indicators:
              - id: edu_years       # the column name expected in the data
                name: 人均受教育年限
                unit: 年
                direction: "+"      # "+" benefit, "-" cost; +1 / -1 also accepted

Unknown keys are rejected, so a misspelt key is reported instead of silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, model_validator

from nqpf._datafile import (
    Confidence,
    FileId,
    FrozenModel,
    Identifier,
    LocatedValueError,
    Note,
    Text,
    Version,
    format_loc,
    leaves,
)

__all__ = [
    "Confidence",
    "Dimension",
    "Direction",
    "Indicator",
    "IndicatorSystem",
    "LocatedValueError",
    "SubDimension",
    "format_loc",
    "normalise_direction",
    "normalize_direction",
]

#: Spellings accepted for an indicator's direction.  Chinese papers write 正向/负向 and
#: spreadsheets often carry a typographic minus or full-width signs, so accept those too
#: rather than make users hunt for the one ASCII character we want.
_DIRECTION_SPELLINGS: dict[str, str] = {
    "+": "+",
    "+1": "+",
    "1": "+",
    "＋": "+",
    "正": "+",
    "正向": "+",
    "positive": "+",
    "benefit": "+",
    "-": "-",
    "-1": "-",
    "−": "-",  # U+2212 minus sign
    "－": "-",  # full-width hyphen-minus
    "负": "-",
    "负向": "-",
    "逆向": "-",
    "negative": "-",
    "cost": "-",
}


def normalize_direction(value: Any) -> str:
    """Map an accepted spelling of a direction to ``"+"`` or ``"-"``.

    Parameters
    ----------
    value
        ``"+"``/``"-"``, ``+1``/``-1`` (int or string), a typographic or full-width sign,
        ``正向``/``负向`` or ``positive``/``negative``.

    Returns
    -------
    str
        ``"+"`` for a benefit (larger is better) indicator, ``"-"`` for a cost indicator.

    Raises
    ------
    ValueError
        For anything else, including booleans (YAML reads ``yes`` as ``True``, and
        ``True == 1`` in Python, which would otherwise slip through as ``"+"``).

    Examples
    --------
    >>> normalize_direction(-1), normalize_direction("正向"), normalize_direction("−")
    ('-', '+', '-')
    """
    if isinstance(value, bool):
        raise ValueError(f"expected '+' or '-' (or +1 / -1), got {value!r}")
    if isinstance(value, int | float) and value in (1, -1):
        return "+" if value > 0 else "-"
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _DIRECTION_SPELLINGS:
            return _DIRECTION_SPELLINGS[key]
    raise ValueError(f"expected '+' or '-' (or +1 / -1), got {value!r}")


#: The former spelling of :func:`normalize_direction`, kept for existing imports.
normalise_direction = normalize_direction

Direction = Annotated[Literal["+", "-"], BeforeValidator(normalize_direction)]


class Indicator(FrozenModel):
    """One indicator (三级指标).

    Attributes
    ----------
    id
        ASCII identifier; the column name expected in the data.
    name
        Chinese name as used in the literature.
    name_en
        English name, optional.
    unit
        Unit of measurement (``%``, ``元/人``, ``吨标准煤/万元`` …); empty if dimensionless.
    direction
        ``"+"``: larger is better (正向); ``"-"``: smaller is better (负向).
    description
        Definition or formula, and any caveat about where the indicator comes from.
    source
        Citation for this indicator when it differs from the system's ``source``.
    """

    id: Identifier
    name: Text
    name_en: Text | None = None
    unit: Note = ""
    direction: Direction
    description: Note = ""
    source: Text | None = None

    @property
    def sign(self) -> int:
        """``+1`` for a benefit indicator, ``-1`` for a cost indicator."""
        return 1 if self.direction == "+" else -1


class SubDimension(FrozenModel):
    """A sub-dimension (二级维度) holding at least one indicator."""

    name: Text
    name_en: Text | None = None
    description: Note = ""
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Dimension(FrozenModel):
    """A dimension (一级维度), or a subsystem when the system has ``subsystems: true``."""

    name: Text
    name_en: Text | None = None
    description: Note = ""
    sub_dimensions: tuple[SubDimension, ...] = Field(min_length=1)


class IndicatorSystem(FrozenModel):
    """An indicator system: metadata plus the dimension → sub-dimension → indicator tree.

    Attributes
    ----------
    id, version
        Identify the system; a changed list is a new version (a new file), so that old
        results stay reproducible.
    name, name_en, description
        Human-readable titles and notes.
    source
        The publication(s) the system follows, and how far the list was checked.
    references
        Further citations or URLs.
    confidence
        ``official`` (read in the primary source), ``secondary`` (third-party or abstract
        level) or ``unverified`` (recalled; check before relying on it).
    verified
        Whether someone has checked the indicator list against the source.
    subsystems
        ``True`` when the top level are the subsystems of a coupling-coordination model
        (e.g. 数字经济 and 实体经济); at least two are then required.
    dimensions
        The hierarchy.

    Notes
    -----
    Indicator ids are unique in a system, and so are dimension names and sub-dimension
    names (across the whole system), so that :meth:`groups` is unambiguous.

    Examples
    --------
    >>> from nqpf.systems import load_system
    >>> s = load_system("nqpf-three-factor")
    >>> s.dimension_names
    ['劳动者', '劳动资料', '劳动对象']
    >>> s.dimension_of["edu_years"], s.sub_dimension_of["edu_years"]
    ('劳动者', '劳动者技能')
    >>> int(s.directions[s.indicator_ids.index("energy_intensity")])
    -1
    """

    id: FileId
    version: Version
    name: Text
    name_en: Text | None = None
    description: Note = ""
    source: Text
    references: tuple[Text, ...] = ()
    confidence: Confidence
    verified: bool = False
    subsystems: bool = False
    dimensions: tuple[Dimension, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_unique(self) -> IndicatorSystem:
        seen_ids: dict[str, tuple[str | int, ...]] = {}
        seen_dims: dict[str, tuple[str | int, ...]] = {}
        seen_subs: dict[str, tuple[str | int, ...]] = {}
        for i, dim in enumerate(self.dimensions):
            loc_d = ("dimensions", i)
            if dim.name in seen_dims:
                raise LocatedValueError(
                    f"duplicate dimension name {dim.name!r}; names must be unique",
                    (*loc_d, "name"),
                    (*seen_dims[dim.name], "name"),
                )
            seen_dims[dim.name] = loc_d
            for j, sub in enumerate(dim.sub_dimensions):
                loc_s = (*loc_d, "sub_dimensions", j)
                if sub.name in seen_subs:
                    raise LocatedValueError(
                        f"duplicate sub-dimension name {sub.name!r}; sub-dimension names must "
                        "be unique across the whole system",
                        (*loc_s, "name"),
                        (*seen_subs[sub.name], "name"),
                    )
                seen_subs[sub.name] = loc_s
                for k, ind in enumerate(sub.indicators):
                    loc_i = (*loc_s, "indicators", k)
                    if ind.id in seen_ids:
                        raise LocatedValueError(
                            f"duplicate indicator id {ind.id!r}; ids must be unique in a system",
                            (*loc_i, "id"),
                            (*seen_ids[ind.id], "id"),
                        )
                    seen_ids[ind.id] = loc_i
        if self.subsystems and len(self.dimensions) < 2:
            raise LocatedValueError(
                "a system with 'subsystems: true' needs at least two top-level dimensions "
                f"(subsystems), got {len(self.dimensions)}",
                ("dimensions",),
            )
        return self

    # -- flat views ------------------------------------------------------------------
    # Computed on demand: systems are small (tens of indicators), and keeping no cached
    # state keeps the frozen model's equality and hashing purely field-based.

    @property
    def indicators(self) -> list[Indicator]:
        """All indicators, flattened in document order."""
        return [ind for _, _, ind in leaves(self.dimensions)]

    @property
    def indicator_ids(self) -> list[str]:
        """Indicator ids in document order (the data columns, in order)."""
        return [ind.id for ind in self.indicators]

    @property
    def dimension_names(self) -> list[str]:
        """Dimension (or subsystem) names in document order."""
        return [dim.name for dim in self.dimensions]

    @property
    def directions(self) -> np.ndarray:
        """Array of ``+1`` / ``-1`` (int64), one per indicator in :attr:`indicator_ids` order."""
        return np.array([ind.sign for ind in self.indicators], dtype=np.int64)

    @property
    def dimension_of(self) -> dict[str, str]:
        """Mapping indicator id → dimension name."""
        return {ind.id: dim.name for dim, _, ind in leaves(self.dimensions)}

    @property
    def sub_dimension_of(self) -> dict[str, str]:
        """Mapping indicator id → sub-dimension name."""
        return {ind.id: sub.name for _, sub, ind in leaves(self.dimensions)}

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator with this id.

        Raises
        ------
        KeyError
            If the system has no such indicator; the message lists the known ids.
        """
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(
            f"system {self.id!r} has no indicator {indicator_id!r}; "
            f"known ids: {', '.join(self.indicator_ids)}"
        )

    def groups(
        self, level: Literal["dimension", "sub_dimension"] = "dimension"
    ) -> dict[str, list[str]]:
        """Indicator ids grouped by dimension or sub-dimension, both in document order.

        Parameters
        ----------
        level
            ``"dimension"`` (or subsystem) or ``"sub_dimension"``.

        Returns
        -------
        dict[str, list[str]]
            Group name → indicator ids.

        Examples
        --------
        >>> from nqpf.systems import load_system
        >>> g = load_system("digital-real-coupling").groups()
        >>> list(g)
        ['数字经济', '实体经济']
        """
        if level == "dimension":
            return {
                dim.name: [ind.id for sub in dim.sub_dimensions for ind in sub.indicators]
                for dim in self.dimensions
            }
        if level == "sub_dimension":
            return {
                sub.name: [ind.id for ind in sub.indicators]
                for dim in self.dimensions
                for sub in dim.sub_dimensions
            }
        raise ValueError(f"level must be 'dimension' or 'sub_dimension', got {level!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, in document order.

        Returns
        -------
        pandas.DataFrame
            Columns ``dimension, sub_dimension, id, name, unit, direction, description``.
        """
        rows = [
            {
                "dimension": dim.name,
                "sub_dimension": sub.name,
                "id": ind.id,
                "name": ind.name,
                "unit": ind.unit,
                "direction": ind.direction,
                "description": ind.description,
            }
            for dim, sub, ind in leaves(self.dimensions)
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "dimension",
                "sub_dimension",
                "id",
                "name",
                "unit",
                "direction",
                "description",
            ],
        )
