"""Entity × period panels: any dataframe in, numpy arrays for the maths, labels back out.

:class:`Panel` is the only dataframe-aware object of nqpf's core.  It accepts pandas,
Polars (eager or lazy), PyArrow and DuckDB tables through narwhals, validates them with
messages that name the file, row and column at fault, and keeps the numbers as one
``float64`` matrix whose rows are sorted by (period, entity) so that every period is a
contiguous block.  :meth:`Panel.frame` puts labels back on result columns and returns
them in the kind of table the caller passed in.

Row numbers in messages follow the spreadsheet convention: the header is row 1, so the
first data row is row 2 and a message points at the line a user sees in Excel or WPS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from types import ModuleType
from typing import Any, Literal

import narwhals as nw
import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.panel.memory import release_freed_memory

__all__ = ["Panel"]

Missing = Literal["error", "interpolate", "fill"]

# A clean number written as text: optional sign, digits with or without thousands
# separators in groups of three, optional decimals and exponent.  "12,5" is rejected on
# purpose: it is a decimal comma in some locales and 125 in others.  [0-9] rather than \d
# because Python, Rust (Polars) and RE2 (PyArrow) disagree on what \d matches.
_NUMBER = (
    r"^[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
)
_FILLED_COLUMNS = ("indicator", "value", "how")


@dataclass(frozen=True, eq=False, repr=False)
class Panel:
    """Indicator values of several entities over one or more periods.

    Build one with :meth:`from_frame` or :meth:`from_arrays`; the constructor expects
    rows already sorted by (period, entity) with no duplicates and does not re-check.

    Attributes
    ----------
    values : numpy.ndarray
        ``float64`` array of shape (n_obs, m), read-only, rows sorted by (period, entity).
    entities, periods : numpy.ndarray
        Entity and period label of each row, shape (n_obs,).
    indicators : tuple of str
        Column names of ``values``.
    entity_col, period_col : str
        Names of the entity and period columns, used for every table the panel returns.
    extra : pandas.DataFrame or None
        Carried id columns (the ``keep`` of :meth:`from_frame`), aligned to rows.
    filled : pandas.DataFrame
        Every cell the missing-value policy filled: columns ``entity_col``,
        ``period_col``, ``indicator``, ``value``, ``how`` (``"interpolate"``,
        ``"nearest"`` for a leading or trailing gap, or ``"fill"``).  Empty when none.
    native_namespace : module or None
        Library of the caller's table (pandas, polars, pyarrow); :meth:`frame` returns
        results in it.  None means pandas.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"省份": ["甲", "乙", "甲", "乙"], "年份": [2021, 2021, 2022, 2022],
    ...                    "x": [1.0, 2.0, 3.0, 4.0]})
    >>> p = Panel.from_frame(df, entity="省份", period="年份")
    >>> p.n_entities, p.n_periods, p.indicators, p.is_balanced
    (2, 2, ('x',), True)
    >>> p.frame({"score": p.values[:, 0] * 10})
      省份    年份  score
    0  乙  2021   20.0
    1  甲  2021   10.0
    2  乙  2022   40.0
    3  甲  2022   30.0
    """

    values: np.ndarray
    entities: np.ndarray
    periods: np.ndarray
    indicators: tuple[str, ...]
    entity_col: str = "entity"
    period_col: str = "period"
    extra: pd.DataFrame | None = None
    filled: pd.DataFrame | None = None
    native_namespace: ModuleType | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        n = len(self.entities)
        if values.ndim != 2 or values.shape[0] != n or len(self.periods) != n:
            raise DataValidationError(
                f"values must be (n_obs, m) with one entity and period per row; got values "
                f"{values.shape}, {n} entities, {len(self.periods)} periods"
            )
        if values.shape[1] != len(self.indicators):
            raise DataValidationError(
                f"{values.shape[1]} value columns but {len(self.indicators)} indicator names"
            )
        if self.extra is not None and len(self.extra) != n:
            raise DataValidationError(f"extra has {len(self.extra)} rows, expected {n}")
        # A read-only view: the panel is frozen, and a view leaves the caller's array alone.
        values = values.view()
        values.flags.writeable = False
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "indicators", tuple(self.indicators))
        if self.filled is None:
            empty = {
                self.entity_col: [],
                self.period_col: [],
                "indicator": [],
                "value": np.array([], dtype=np.float64),
                "how": [],
            }
            object.__setattr__(self, "filled", pd.DataFrame(empty))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        df: Any,
        *,
        entity: str,
        period: str,
        indicators: Sequence[str] | None = None,
        layout: Literal["wide", "long"] = "wide",
        indicator_col: str = "indicator",
        value_col: str = "value",
        missing: Missing = "error",
        fill_value: float | None = None,
        keep: Sequence[str] = (),
        source: str | None = None,
        first_row: int = 2,
        matrix: np.ndarray | None = None,
    ) -> Panel:
        """Validate a table and build a panel from it.

        Parameters
        ----------
        df
            pandas or Polars DataFrame, Polars LazyFrame, PyArrow Table or DuckDB relation
            (lazy ones are collected).
        entity, period
            Columns holding the entity (province, city, firm) and period (year) labels.
            Float labels that are whole numbers (2015.0, read that way when a column has
            blanks) become integers; a column mixing numbers and text becomes text.
        indicators
            Indicator columns (``layout="wide"``) or indicator names (``"long"``), in the
            order wanted.  None takes, in a wide table, every column other than entity,
            period and ``keep`` that holds at least one number (numeric columns, and text
            columns with clean numbers, whose other text is then an error); in a long
            table, every indicator name in order of first appearance.
        layout
            ``"wide"``: one row per entity-period, one column per indicator.
            ``"long"``: one row per entity-period-indicator, with the name in
            ``indicator_col`` and the number in ``value_col``.
        missing
            ``"error"`` (default) rejects missing cells, naming the first and the count;
            ``"interpolate"`` fills them linearly within each entity over time and
            carries the nearest value into leading and trailing gaps; ``"fill"`` puts
            ``fill_value`` in every missing cell.  Filled cells are listed in ``filled``.
        fill_value
            Number used by ``missing="fill"``.
        keep
            Id columns carried along unchanged (province name, region); in a long table
            the first row of each entity-period supplies them.
        source
            File name put in every message.
        first_row
            Spreadsheet row number of the table's first data row, for messages: 2 when
            the header is on row 1, the convention for every kind of input.
        matrix
            The ``indicators`` of a wide table already read as one C-ordered ``float64``
            array of shape (rows of ``df``, len(``indicators``)), rows in the table's
            order (a reader that streamed a file into it).  The panel takes it over: its
            rows are sorted in place and it becomes :attr:`values`, so the numbers are
            held once; the table's own indicator columns are not read.  Checked as the
            columns would be (finite numbers, missing cells).

        Returns
        -------
        Panel

        Raises
        ------
        DataValidationError
            Empty table; missing column; a non-numeric or infinite cell (naming its row,
            column and value); a missing entity or period label; duplicate entity-period
            rows (naming both rows); fewer than 2 entities; a missing cell under
            ``missing="error"``; an entity with no value at all for an indicator under
            ``missing="interpolate"``.

        Notes
        -----
        Text cells are read as numbers when they are clean: surrounding spaces and
        thousands separators (``" 1,234.5 "``) are accepted; empty text is a missing
        cell; anything else (``"n/a"``, ``"12%"``, ``"12,5"``) is an error.  Rows that
        are empty in every used column (blank spreadsheet rows) are ignored.  An entity
        absent for a whole period is not a missing cell: the panel is then unbalanced
        (see :attr:`is_balanced`).  Interpolation runs in the period value when periods
        are numbers (2011 lies halfway between 2010 and 2012) and in period order
        otherwise.
        """
        _check_policy(missing, fill_value)
        frame, namespace = _eager(df)
        where = _Where(source, first_row)
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise DataValidationError("the table has no data rows", file=source)
        dupes = sorted({c for c in frame.columns if frame.columns.count(c) > 1})
        if dupes:
            raise DataValidationError(f"column names appear more than once: {dupes}", file=source)
        keep = (keep,) if isinstance(keep, str) else tuple(keep)
        if matrix is not None and (layout != "wide" or indicators is None):
            raise TypeError("matrix= takes the named indicators of a wide table")
        if layout not in ("wide", "long"):
            raise DataValidationError(
                f"layout must be 'wide' or 'long', got {layout!r}", field="layout"
            )
        # handed over unnamed: _assemble lets the input-order codes go once sorted
        return _assemble(
            _wide(frame, entity, period, indicators, keep, where, df, matrix)
            if layout == "wide"
            else _long(
                frame, entity, period, indicators, indicator_col, value_col, keep, where, df
            ),
            entity,
            period,
            missing,
            fill_value,
            where,
            namespace,
        )

    @classmethod
    def from_arrays(
        cls,
        values: np.ndarray,
        entities: Sequence[Any] | np.ndarray,
        periods: Sequence[Any] | np.ndarray,
        indicators: Sequence[str],
        *,
        entity_col: str = "entity",
        period_col: str = "period",
        missing: Missing = "error",
        fill_value: float | None = None,
    ) -> Panel:
        """Build a panel from a value matrix and one entity and period label per row.

        Rows may come in any order; they are sorted by (period, entity).  Validation
        and the missing-value policy are those of :meth:`from_frame`, except that
        messages give 0-based array positions as row numbers.

        Examples
        --------
        >>> p = Panel.from_arrays([[1.0], [2.0], [3.0]], ["a", "b", "c"], [1, 1, 1], ["x"])
        >>> p.entity_labels.tolist(), p.period_labels.tolist()
        (['a', 'b', 'c'], [1])
        """
        where = _Where(None, 0)
        _check_policy(missing, fill_value)
        X = np.asarray(values, dtype=np.float64)
        indicators = tuple(indicators)
        if X.ndim != 2 or X.shape[1] != len(indicators):
            raise DataValidationError(
                f"values must be (n_obs, {len(indicators)}) for indicators {list(indicators)}, "
                f"got shape {X.shape}"
            )
        if X.shape[0] == 0:
            raise DataValidationError("no rows")
        inf = np.isinf(X)
        if inf.any():
            i, j = np.argwhere(inf)[0]
            raise DataValidationError(
                f"expected a finite number, got {X[i, j]}", **where.at(i, indicators[j])
            )
        labels = []
        for name, raw in ((entity_col, entities), (period_col, periods)):
            raw = np.asarray(raw)
            if raw.shape != (X.shape[0],):
                raise DataValidationError(
                    f"{name}: expected {X.shape[0]} labels, got shape {raw.shape}"
                )
            labels.append(_factorize(raw))
        rows = np.arange(X.shape[0])
        _require_labels(labels, rows, entity_col, period_col, where)
        parts = _Parts(labels[0], labels[1], X, rows, None, indicators, False)
        return _assemble(parts, entity_col, period_col, missing, fill_value, where, None)

    # ------------------------------------------------------------------ labels
    @cached_property
    def _entity_coding(self) -> tuple[np.ndarray, np.ndarray]:
        codes, labels = _factorize(self.entities)
        return labels, codes

    @cached_property
    def _period_coding(self) -> tuple[np.ndarray, np.ndarray]:
        codes, labels = _factorize(self.periods)
        return labels, codes

    @property
    def entity_labels(self) -> np.ndarray:
        """Sorted unique entity labels."""
        return self._entity_coding[0]

    @property
    def period_labels(self) -> np.ndarray:
        """Sorted unique period labels (time order when periods are numbers or ISO text)."""
        return self._period_coding[0]

    @property
    def entity_index(self) -> np.ndarray:
        """Position of each row's entity in :attr:`entity_labels` (ints 0..n_entities-1)."""
        return self._entity_coding[1]

    @property
    def period_index(self) -> np.ndarray:
        """Position of each row's period in :attr:`period_labels` (ints 0..n_periods-1)."""
        return self._period_coding[1]

    @property
    def n_obs(self) -> int:
        """Number of rows (entity-periods)."""
        return self.values.shape[0]

    @property
    def n_entities(self) -> int:
        """Number of distinct entities."""
        return len(self.entity_labels)

    @property
    def n_periods(self) -> int:
        """Number of distinct periods."""
        return len(self.period_labels)

    @property
    def is_balanced(self) -> bool:
        """True when every entity has a row in every period."""
        return self.n_obs == self.n_entities * self.n_periods

    def __repr__(self) -> str:
        return (
            f"Panel(n_entities={self.n_entities}, n_periods={self.n_periods}, "
            f"indicators={list(self.indicators)}, balanced={self.is_balanced}, "
            f"filled={len(self.filled)})"
        )

    # ------------------------------------------------------------------ subsets
    def without_values(self) -> Panel:
        """The panel without indicator columns: the same units, periods, ids and label
        codes (not factorized again), for a caller done with the values."""
        slim = replace(self, values=np.empty((self.n_obs, 0)), indicators=())
        for coding in ("_entity_coding", "_period_coding"):
            if coding in vars(self):
                vars(slim)[coding] = vars(self)[coding]
        return slim

    def select(self, indicators: str | Sequence[str]) -> Panel:
        """Return a panel with only the named indicators, in the order given."""
        names = [indicators] if isinstance(indicators, str) else list(indicators)
        unknown = [c for c in names if c not in self.indicators]
        if unknown or not names:
            raise DataValidationError(
                f"unknown indicators {unknown}; available: {list(self.indicators)}",
                field="indicators",
            )
        cols = [self.indicators.index(c) for c in names]
        filled = self.filled[self.filled["indicator"].isin(names)].reset_index(drop=True)
        panel = self._replace(np.arange(self.n_obs), cols, filled)
        vars(panel)["_entity_coding"] = self._entity_coding  # same rows, same labels
        vars(panel)["_period_coding"] = self._period_coding
        return panel

    def subset_periods(self, periods: Iterable[Any]) -> Panel:
        """Return a panel with only the rows of the given periods."""
        wanted = list(periods)
        code = {label: k for k, label in enumerate(self.period_labels.tolist())}
        unknown = [p for p in wanted if p not in code]
        if unknown or not wanted:
            raise DataValidationError(
                f"unknown periods {unknown}; available: {list(code)}", field="periods"
            )
        rows = np.flatnonzero(np.isin(self.period_index, [code[p] for p in wanted]))
        filled = self.filled[self.filled[self.period_col].isin(wanted)].reset_index(drop=True)
        return self._replace(rows, list(range(len(self.indicators))), filled)

    def subset_entities(self, entities: Iterable[Any]) -> Panel:
        """Return a panel with only the rows of the given entities.

        >>> p = Panel.from_arrays([[1.0], [2.0], [3.0]], ["a", "b", "c"], [1, 1, 1], ["x"])
        >>> p.subset_entities(["a", "c"]).entity_labels.tolist()
        ['a', 'c']
        """
        wanted = list(entities)
        code = {label: k for k, label in enumerate(self.entity_labels.tolist())}
        unknown = [e for e in wanted if e not in code]
        if unknown or not wanted:
            raise DataValidationError(
                f"unknown entities {unknown[:10]}; the panel has {len(code)}", field="entities"
            )
        rows = np.flatnonzero(np.isin(self.entity_index, [code[e] for e in wanted]))
        filled = self.filled[self.filled[self.entity_col].isin(wanted)].reset_index(drop=True)
        return self._replace(rows, list(range(len(self.indicators))), filled)

    def _replace(self, rows: np.ndarray, cols: list[int], filled: pd.DataFrame) -> Panel:
        extra = None if self.extra is None else self.extra.iloc[rows].reset_index(drop=True)
        return Panel(
            self.values[np.ix_(rows, cols)],
            self.entities[rows],
            self.periods[rows],
            tuple(self.indicators[j] for j in cols),
            self.entity_col,
            self.period_col,
            extra,
            filled,
            self.native_namespace,
        )

    # ------------------------------------------------------------------ output
    def frame(
        self,
        columns: Mapping[str, Any],
        *,
        level: Literal["row", "period", "entity"] = "row",
        kind: Literal["native", "pandas"] = "native",
    ) -> Any:
        """Put labels on result columns and return a table of the caller's kind.

        Parameters
        ----------
        columns
            Result name → 1-D array with one value per row (``level="row"``), per
            period label or per entity label.
        level
            ``"row"``: entity, period and ``extra`` columns come first; ``"period"`` or
            ``"entity"``: only the period or entity column, sorted labels.
        kind
            ``"native"`` returns the kind the panel was built from: pandas → pandas,
            Polars (eager or lazy) → Polars DataFrame, PyArrow → PyArrow Table, DuckDB
            → PyArrow Table (DuckDB relations are collected to Arrow), arrays → pandas.
            ``"pandas"`` always returns pandas.
        """
        if level == "row":
            data: dict[str, Any] = {self.entity_col: self.entities, self.period_col: self.periods}
            if self.extra is not None:
                data.update({c: self.extra[c].to_numpy() for c in self.extra.columns})
            n = self.n_obs
        elif level == "period":
            data, n = {self.period_col: self.period_labels}, self.n_periods
        elif level == "entity":
            data, n = {self.entity_col: self.entity_labels}, self.n_entities
        else:
            raise DataValidationError(
                f"level must be 'row', 'period' or 'entity', got {level!r}", field="level"
            )
        for name, col in columns.items():
            arr = np.asarray(col)
            if name in data:
                raise DataValidationError(
                    f"result column {name!r} clashes with a label column", field=name
                )
            if arr.shape != (n,):
                raise DataValidationError(
                    f"result column {name!r} has shape {arr.shape}, expected ({n},) "
                    f"(one value per {level})",
                    field=name,
                )
            data[name] = arr
        backend = pd if kind == "pandas" or self.native_namespace is None else self.native_namespace
        return nw.from_dict(data, backend=backend).to_native()

    def to_pandas(self) -> pd.DataFrame:
        """Wide pandas table: entity, period, ``extra`` and one column per indicator."""
        return self.frame(dict(zip(self.indicators, self.values.T, strict=True)), kind="pandas")

    def to_long(self) -> pd.DataFrame:
        """Long pandas table: entity, period, ``indicator``, ``value``, row-major."""
        m = len(self.indicators)
        return pd.DataFrame(
            {
                self.entity_col: np.repeat(self.entities, m),
                self.period_col: np.repeat(self.periods, m),
                "indicator": np.tile(np.asarray(self.indicators, dtype=object), self.n_obs),
                "value": self.values.ravel(),
            }
        )


# ---------------------------------------------------------------------- internals
@dataclass(frozen=True)
class _Where:
    """Turns a 0-based input position into the file/row keywords of an error."""

    source: str | None
    first_row: int

    def at(self, i: int | None = None, column: str | None = None) -> dict[str, Any]:
        row = None if i is None else int(i) + self.first_row
        return {"file": self.source, "row": row, "column": column}


@dataclass(frozen=True)
class _Parts:
    """What the layout readers hand to :func:`_assemble`, rows in input order."""

    entity: tuple[np.ndarray, np.ndarray]  # (codes, sorted labels); codes -1 = missing
    period: tuple[np.ndarray, np.ndarray]
    values: Any  # (n_obs, m) array, or the _Columns of a wide table
    rows: np.ndarray  # input position of each obs (n_obs,), or of each cell (n_obs, m)
    extra: pd.DataFrame | None
    indicators: tuple[str, ...]
    checked_duplicates: bool  # the long layout checks its own, per cell


def _check_policy(missing: str, fill_value: Any) -> None:
    if missing not in ("error", "interpolate", "fill"):
        raise DataValidationError(
            f"missing must be 'error', 'interpolate' or 'fill', got {missing!r}", field="missing"
        )
    if missing == "fill":
        ok = isinstance(fill_value, int | float | np.number) and np.isfinite(fill_value)
        if not ok or isinstance(fill_value, bool):
            raise DataValidationError(
                f"missing='fill' needs a finite number as fill_value, got {fill_value!r}",
                field="fill_value",
            )


def _eager(df: Any) -> tuple[nw.DataFrame, ModuleType]:
    try:
        frame = nw.from_native(df)
    except TypeError:
        raise TypeError(
            f"expected a pandas, Polars, PyArrow or DuckDB table, got {type(df).__name__}"
        ) from None
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()  # DuckDB collects to PyArrow, Polars lazy to Polars eager
    return frame, nw.get_native_namespace(frame)


def _require(frame: nw.DataFrame, names: Iterable[str], where: _Where, native: Any) -> None:
    for name in names:
        if name not in frame.columns:
            hint = ""
            index_names = getattr(getattr(native, "index", None), "names", None) or []
            if name in index_names:
                hint = " (it is the pandas index: call reset_index() first)"
            raise DataValidationError(
                f"no such column{hint}; available: {frame.columns}", file=where.source, column=name
            )


def _factorize(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 = missing) and sorted unique labels of a label column."""
    # pandas.factorize is a hash-based array routine, 5x faster than np.unique on strings.
    codes, labels = pd.factorize(raw, sort=True)
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and np.all(np.isfinite(labels) & (labels % 1 == 0)):
        labels = labels.astype(np.int64)  # 2015.0 is how pandas reads 2015 beside a blank
    elif labels.dtype == object and pd.api.types.infer_dtype(labels, skipna=True).startswith(
        "mixed"
    ):
        # Spreadsheets store some years or codes as text, others as numbers: unify as text.
        as_text = np.array(
            [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in labels],
            dtype=object,
        )
        remap, labels = pd.factorize(as_text, sort=True)
        codes = np.where(codes >= 0, remap[codes], -1)
        labels = np.asarray(labels)
    return codes, labels


def _show(label: Any) -> str:
    """repr of a label as the user wrote it (2015, not np.int64(2015))."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _labels(frame: nw.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    column = frame[name]
    native = column.to_native()
    if isinstance(native, pd.Series) and isinstance(native.dtype, pd.StringDtype):
        # Factorized as it is stored (Arrow), not as one Python string per cell: the
        # labels kept would pin the interpreter's memory pools of 1e6 freed strings
        # (~60 MB of a 1e6-row file), and factorizing Arrow text is faster.
        return _factorize(native.array)
    return _factorize(column.to_numpy())


def _parse(series: nw.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values (NaN = missing) and a mask of cells that are not numbers."""
    dtype = series.dtype
    if dtype.is_numeric():
        values = series.cast(nw.Float64).to_numpy().astype(np.float64, copy=False)
        return values, np.isinf(values)
    if dtype not in (nw.String, nw.Object, nw.Categorical, nw.Enum):
        return np.full(len(series), np.nan), ~series.is_null().to_numpy()  # dates, booleans
    text = series.cast(nw.String)
    stripped = text.str.strip_chars()
    number = stripped.str.contains(_NUMBER).fill_null(False).to_numpy().astype(bool)
    blank = (stripped.is_null() | (stripped.str.len_chars() == 0)).fill_null(True)
    bad = ~(number | blank.to_numpy().astype(bool))
    clean = stripped.str.replace_all(",", "", literal=True).to_numpy()
    return np.where(number, clean, "nan").astype(np.float64), bad


def _raise_bad(
    series: nw.Series, bad: np.ndarray, column: str, where: _Where, hint: str = ""
) -> None:
    i = int(np.argmax(bad))
    value = series.to_numpy()[i]
    value = value.item() if isinstance(value, np.generic) else value
    what = "a finite number" if isinstance(value, float | np.floating) else "a number"
    more = int(bad.sum()) - 1
    tail = f" ({more} more such cells in this column)" if more else ""
    raise DataValidationError(f"expected {what}, got {value!r}{tail}{hint}", **where.at(i, column))


def _numbers(frame: nw.DataFrame, name: str, where: _Where) -> np.ndarray:
    values, bad = _parse(frame[name])
    if bad.any():
        _raise_bad(frame[name], bad, name, where)
    return values


def _require_labels(
    labels: list[tuple[np.ndarray, np.ndarray]],
    rows: np.ndarray,
    entity: str,
    period: str,
    where: _Where,
) -> None:
    for (codes, _), name in zip(labels, (entity, period), strict=True):
        if (codes < 0).any():
            i = rows[int(np.argmax(codes < 0))]
            raise DataValidationError("missing label", **where.at(i, name))


def _extra(frame: nw.DataFrame, keep: tuple[str, ...], rows: np.ndarray) -> pd.DataFrame | None:
    if not keep:
        return None
    return pd.DataFrame({c: frame[c].to_numpy()[rows] for c in keep})


def _wide(
    frame: nw.DataFrame,
    entity: str,
    period: str,
    indicators: Sequence[str] | None,
    keep: tuple[str, ...],
    where: _Where,
    native: Any,
    matrix: np.ndarray | None = None,
) -> _Parts:
    _require(frame, [entity, period, *keep], where, native)
    ids = {entity, period, *keep}
    if indicators is None:
        names, columns = [], []
        for name in frame.columns:
            if name in ids:
                continue
            values, bad = _parse(frame[name])
            if np.isnan(values).all():
                continue  # a label column, or one with no value at all
            if bad.any():
                # Numbers mixed with other text: most likely a typo in an indicator column.
                _raise_bad(
                    frame[name],
                    bad,
                    name,
                    where,
                    hint=("; if it is not an indicator, list it in keep= or name the indicators"),
                )
            names.append(name)
            columns.append(values)
        if not names:
            raise DataValidationError(
                f"no numeric indicator columns besides {sorted(ids)}; columns: {frame.columns}",
                file=where.source,
            )
    else:
        names = [indicators] if isinstance(indicators, str) else list(indicators)
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"indicator columns {missing} not found; available: {frame.columns}",
                file=where.source,
                column=missing[0],
            )
        clash = sorted(ids.intersection(names))
        if clash or not names:
            raise DataValidationError(
                f"indicators must be a non-empty list of value columns; {clash} are id columns",
                file=where.source,
                field="indicators",
            )
        if matrix is None:
            columns = [_numbers(frame, c, where) for c in names]
        else:
            columns = _matrix_columns(matrix, names, frame.shape[0], where)
    ent, per = _labels(frame, entity), _labels(frame, period)
    # Blank spreadsheet rows (nothing in any used column) are skipped, not errors.
    blank = (ent[0] < 0) & (per[0] < 0)
    for col in columns:
        blank &= np.isnan(col)
    for c in keep:
        blank &= frame[c].is_null().to_numpy().astype(bool)
    rows = np.flatnonzero(~blank)
    if len(rows) == 0:
        raise DataValidationError("the table has no data rows", file=where.source)
    if len(rows) < len(blank):  # skip the copies in the usual case of no blank rows
        ent, per = (ent[0][rows], ent[1]), (per[0][rows], per[1])
    _require_labels([ent, per], rows, entity, period, where)
    # The columns stay apart: _assemble gathers them straight into the sorted matrix
    # (a matrix given is sorted in place).
    kept = rows if len(rows) < len(blank) else None
    values = _Columns(columns, kept) if matrix is None else _Matrix(matrix, kept)
    return _Parts(ent, per, values, rows, _extra(frame, keep, rows), tuple(names), False)


@dataclass(frozen=True)
class _Columns:
    """Value columns of a wide table, each 1-D, and the rows kept (None: all)."""

    columns: list[np.ndarray]
    rows: np.ndarray | None

    def gather(self, order: np.ndarray) -> np.ndarray:
        """The (n_obs, m) matrix of the kept rows taken in ``order``: one pass per column,
        without first stacking the columns in input order."""
        take = order if self.rows is None else self.rows[order]
        X = np.empty((len(take), len(self.columns)))
        for j, col in enumerate(self.columns):
            X[:, j] = col[take]
        return X


def _matrix_columns(
    matrix: np.ndarray, names: list[str], n: int, where: _Where
) -> list[np.ndarray]:
    """The columns of a wide table's ``matrix`` (views), checked as :func:`_numbers`
    checks a column: no infinite value."""
    if matrix.dtype != np.float64 or matrix.shape != (n, len(names)):
        raise TypeError(f"matrix must be float64 of shape {(n, len(names))}, got {matrix.shape}")
    if not matrix.flags.c_contiguous or not matrix.flags.writeable:
        raise TypeError("matrix must be a C-ordered array the panel may sort in place")
    columns = [matrix[:, j] for j in range(len(names))]
    for name, col in zip(names, columns, strict=True):
        bad = np.isinf(col)
        if bad.any():
            i = int(np.argmax(bad))
            more = int(bad.sum()) - 1
            tail = f" ({more} more such cells in this column)" if more else ""
            raise DataValidationError(
                f"expected a finite number, got {col[i].item()!r}{tail}", **where.at(i, name)
            )
    return columns


@dataclass(frozen=True)
class _Matrix:
    """The value matrix of a wide table (rows in table order) and the rows kept (None:
    all), sorted in place."""

    matrix: np.ndarray
    rows: np.ndarray | None

    def gather(self, order: np.ndarray) -> np.ndarray:
        """The kept rows taken in ``order``, in the first rows of the matrix: column by
        column, each through one (n_obs,) copy, so no second matrix is made."""
        X = self.matrix
        take = order if self.rows is None else self.rows[order]
        if len(take) == len(X) and (take[1:] > take[:-1]).all():
            return X  # already in panel order
        for j in range(X.shape[1]):
            X[: len(take), j] = X[take, j]
        return X[: len(take)]


def _long(
    frame: nw.DataFrame,
    entity: str,
    period: str,
    indicators: Sequence[str] | None,
    indicator_col: str,
    value_col: str,
    keep: tuple[str, ...],
    where: _Where,
    native: Any,
) -> _Parts:
    _require(frame, [entity, period, indicator_col, value_col, *keep], where, native)
    value = _numbers(frame, value_col, where)
    names_raw = frame[indicator_col].cast(nw.String).to_numpy()
    # First-appearance order, so indicators come out as the table lists them.
    ind_codes, found = pd.factorize(names_raw)
    found = [str(v) for v in found]
    ent, per = _labels(frame, entity), _labels(frame, period)
    blank = (ent[0] < 0) & (per[0] < 0) & (ind_codes < 0) & np.isnan(value)
    if indicators is None:
        names = found
    else:
        names = [indicators] if isinstance(indicators, str) else list(indicators)
        absent = [c for c in names if c not in found]
        if absent or not names:
            raise DataValidationError(
                f"indicators {absent} not found in column {indicator_col!r}; available: {found}",
                file=where.source,
                column=indicator_col,
            )
    # Recode to the wanted order; rows of other indicators are dropped.
    lookup = np.full(len(found) + 1, -1)
    lookup[[found.index(c) for c in names]] = np.arange(len(names))
    ind = lookup[ind_codes]  # code -1 indexes the sentinel at the end
    unnamed = (ind_codes < 0) & ~blank
    if unnamed.any():
        raise DataValidationError(
            "missing indicator name", **where.at(int(np.argmax(unnamed)), indicator_col)
        )
    rows = np.flatnonzero(~blank & (ind >= 0))
    if len(rows) == 0:
        raise DataValidationError("the table has no data rows", file=where.source)
    ecode, pcode, ind, value = ent[0][rows], per[0][rows], ind[rows], value[rows]
    _require_labels([(ecode, ent[1]), (pcode, per[1])], rows, entity, period, where)

    m, n_e = len(names), len(ent[1])
    cell = (pcode * n_e + ecode) * m + ind
    order = np.argsort(cell, kind="stable")
    _raise_duplicates(
        cell[order],
        rows[order],
        where,
        lambda k: (
            f"duplicate row for {entity}={_show(ent[1][k // m % n_e])}, "
            f"{period}={_show(per[1][k // m // n_e])}, "
            f"{indicator_col}={names[k % m]!r}"
        ),
    )
    obs_key, first, obs = np.unique(cell // m, return_index=True, return_inverse=True)
    X = np.full((len(obs_key), m), np.nan)
    X[obs, ind] = value
    cell_rows = np.full((len(obs_key), m), -1)
    cell_rows[obs, ind] = rows
    return _Parts(
        (obs_key % n_e, ent[1]),
        (obs_key // n_e, per[1]),
        X,
        cell_rows,
        _extra(frame, keep, rows[first]),
        tuple(names),
        True,
    )


def _raise_duplicates(keys: np.ndarray, rows: np.ndarray, where: _Where, describe) -> None:
    """Raise on equal neighbours of sorted ``keys``, naming the earliest repeated pair."""
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    if len(dup) == 0:
        return
    k = dup[np.argmin(rows[dup + 1])]  # the pair whose second row comes first in the file
    first = int(rows[k]) + where.first_row
    total = f"; {len(dup)} duplicate rows in total" if len(dup) > 1 else ""
    raise DataValidationError(
        f"{describe(keys[k])}; the same as row {first}{total}", **where.at(rows[k + 1])
    )


def _assemble(
    parts: _Parts,
    entity: str,
    period: str,
    missing: str,
    fill_value: Any,
    where: _Where,
    namespace: ModuleType | None,
) -> Panel:
    (ecode, elabels), (pcode, plabels) = parts.entity, parts.period
    values, extra, indicators = parts.values, parts.extra, parts.indicators
    checked, rows = parts.checked_duplicates, parts.rows
    del parts  # the codes in input order go once sorted (the caller keeps no parts)
    if len(ecode) >= 1 << 17:
        # Factorizing the labels left freed blocks with the allocators (~25 MB for 1e6
        # text labels read through Arrow): given back before the sorted arrays are made.
        release_freed_memory()
    n_e = len(elabels)
    key = pcode * n_e + ecode
    order = np.argsort(key, kind="stable")
    # The input positions in panel order, taken only where a message or a filled cell
    # needs them (one (n_obs,) array less beside the sorted codes and the matrix).
    rows = _Taken(rows, order)
    if not checked:
        _raise_duplicates(
            key[order],
            rows,
            where,
            lambda k: (
                f"duplicate row for {entity}={_show(elabels[k % n_e])}, "
                f"{period}={_show(plabels[k // n_e])}"
            ),
        )
    del key
    ecode, pcode = ecode[order], pcode[order]
    ecode, elabels = _compact(ecode, elabels)
    pcode, plabels = _compact(pcode, plabels)
    if len(elabels) < 2:
        raise DataValidationError(
            f"a panel needs at least 2 entities, found {len(elabels)}: {elabels.tolist()}",
            file=where.source,
            column=entity,
        )
    gathers = isinstance(values, _Columns | _Matrix)
    X = values.gather(order) if gathers else values[order]
    del values
    filled = None
    if X.size and np.isnan(X.min()):  # NaN propagates through min: no (n, m) mask
        filled = _fill(
            X,
            ecode,
            pcode,
            elabels,
            plabels,
            indicators,
            rows[:],
            entity,
            period,
            missing,
            fill_value,
            where,
        )
    extra = None if extra is None else extra.iloc[order].reset_index(drop=True)
    panel = Panel(
        X,
        elabels[ecode],
        plabels[pcode],
        indicators,
        entity,
        period,
        extra,
        filled,
        namespace,
    )
    # Seed the label codings we already have instead of factorizing the labels again.
    vars(panel)["_entity_coding"] = (elabels, ecode)
    vars(panel)["_period_coding"] = (plabels, pcode)
    return panel


@dataclass(frozen=True)
class _Taken:
    """``rows[order]``, its items taken when indexed (``taken[:]`` is all of it)."""

    rows: np.ndarray
    order: np.ndarray

    def __getitem__(self, index: Any) -> Any:
        return self.rows[self.order[index]]


def _compact(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop labels no row uses (a long table may name some only in rows left out)."""
    used = np.bincount(codes, minlength=len(labels)) > 0
    if used.all():
        return codes, labels
    return (np.cumsum(used) - 1)[codes], labels[used]


def _fill(
    X: np.ndarray,
    ecode: np.ndarray,
    pcode: np.ndarray,
    elabels: np.ndarray,
    plabels: np.ndarray,
    indicators: tuple[str, ...],
    rows: np.ndarray,
    entity: str,
    period: str,
    missing: str,
    fill_value: Any,
    where: _Where,
) -> pd.DataFrame:
    """Apply the missing-value policy to ``X`` in place and list the filled cells."""
    nan = np.isnan(X)
    if missing == "error":
        _raise_missing(nan, rows, ecode, pcode, elabels, plabels, indicators, entity, period, where)
    pos, col, val, how = [], [], [], []
    if missing == "fill":
        i, j = np.nonzero(nan)
        X[i, j] = fill_value
        pos, col, val, how = [i], [j], [X[i, j]], [np.full(len(i), "fill", dtype=object)]
    else:
        # Entity-major order makes each entity's history a contiguous run.
        order = np.lexsort((pcode, ecode))
        e = ecode[order]
        numeric = plabels.dtype.kind in "iuf"
        x = (plabels[pcode] if numeric else pcode)[order].astype(np.float64)
        n = len(order)
        at = np.arange(n)
        starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
        lengths = np.diff(np.r_[starts, n])
        lo = np.repeat(starts, lengths)
        hi = np.repeat(starts + lengths, lengths)
        for j in np.flatnonzero(nan.any(axis=0)):
            y = X[order, j]
            ok = ~np.isnan(y)
            prev = np.maximum.accumulate(np.where(ok, at, -1))
            nxt = np.minimum.accumulate(np.where(ok, at, n)[::-1])[::-1]
            has_prev, has_next = prev >= lo, nxt < hi
            gap = ~ok
            lost = gap & ~has_prev & ~has_next
            if lost.any():
                who = elabels[e[np.argmax(lost)]]
                raise DataValidationError(
                    f"{entity} {_show(who)} has no value at all for this indicator, so it cannot "
                    f"be interpolated; fill it or leave the entity out",
                    file=where.source,
                    column=indicators[j],
                )
            inner = gap & has_prev & has_next
            p, q = prev[inner], nxt[inner]
            y[inner] = y[p] + (x[inner] - x[p]) / (x[q] - x[p]) * (y[q] - y[p])
            edge = gap & ~inner
            y[edge] = y[np.where(has_prev[edge], prev[edge], nxt[edge])]
            X[order, j] = y
            i = order[gap]
            sort = np.argsort(i)
            pos.append(i[sort])
            col.append(np.full(len(i), j))
            val.append(y[gap][sort])
            how.append(np.where(inner[gap], "interpolate", "nearest").astype(object)[sort])
    i = np.concatenate(pos)
    return pd.DataFrame(
        {
            entity: elabels[ecode[i]],
            period: plabels[pcode[i]],
            "indicator": np.asarray(indicators, dtype=object)[np.concatenate(col)],
            "value": np.concatenate(val),
            "how": np.concatenate(how),
        }
    )


def _raise_missing(
    nan: np.ndarray,
    rows: np.ndarray,
    ecode: np.ndarray,
    pcode: np.ndarray,
    elabels: np.ndarray,
    plabels: np.ndarray,
    indicators: tuple[str, ...],
    entity: str,
    period: str,
    where: _Where,
) -> None:
    total = int(nan.sum())
    tail = f"; {total} missing cells in total (pass missing='interpolate' or 'fill' to fill them)"
    cell_rows = np.broadcast_to(rows[:, None] if rows.ndim == 1 else rows, nan.shape)
    present = nan & (cell_rows >= 0)  # long tables also miss cells that have no row at all
    if present.any():
        i, j = np.nonzero(present)
        k = np.lexsort((j, cell_rows[i, j]))[0]  # first in file order, then column order
        column = indicators[j[k]] if rows.ndim == 1 else None
        what = "missing value" if column else f"missing value for {indicators[j[k]]!r}"
        raise DataValidationError(what + tail, **where.at(cell_rows[i[k], j[k]], column))
    i, j = np.argwhere(nan)[0]
    raise DataValidationError(
        f"no row for {entity}={_show(elabels[ecode[i]])}, {period}={_show(plabels[pcode[i]])}, "
        f"indicator {indicators[j]!r}" + tail,
        file=where.source,
    )
