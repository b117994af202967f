"""Per-period application of a cross-section method: one call on a panel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.disparity._validation import Groups, encode_groups, group_rows, python_scalar
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary


@dataclass(frozen=True, eq=False)
class ByPeriod(Result):
    """Results of one method computed separately for each period of a panel.

    Attributes
    ----------
    results : mapping period → result
        In ascending period order.
    method : str
    """

    results: Mapping[Any, Result]
    method: str

    def __getitem__(self, period):
        return self.results[period]

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def periods(self) -> list:
        return list(self.results)

    def to_frame(self) -> pd.DataFrame:
        """The per-period ``to_frame()`` tables stacked, with a leading ``period`` column."""
        parts = []
        for period, res in self.results.items():
            frame = res.to_frame().copy()
            frame.insert(0, "period", period)
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> Summary:
        rows = []
        for period, res in self.results.items():
            first = res.summary().rows
            rows.append((str(period), first[0][1] if first else ""))
        return Summary(title=f"{self.method} by period", rows=tuple(rows))


def by_period(
    func: Callable[..., Result],
    periods,
    n: int,
    arrays: Mapping[str, Any],
    method: str,
    **kwargs,
) -> ByPeriod:
    """Call ``func(**{name: array[rows of period]}, **kwargs)`` for every period.

    ``arrays`` holds the row-aligned inputs (values, groups, weights …); ``None`` entries
    are passed through unchanged.  The period labels are encoded once in O(n)
    (:func:`~nqpf.disparity._validation.encode_groups`) and the rows of each period come
    from one stable counting sort of the codes, so a panel of T periods costs O(n), not
    T passes of ``periods == label``.  Periods are visited in sorted label order.
    """
    size = len(periods) if isinstance(periods, pd.Series | pd.Index) else None
    p = periods if size is not None else np.asarray(periods).ravel()
    size = p.shape[0] if size is None else size
    if size != n:
        raise DataValidationError(
            f"periods has {size} entries but there are {n} values", field="periods"
        )
    labels, codes = encode_groups(p, n, field="periods")
    out = {}
    for label, rows in zip(labels, group_rows(codes, labels.shape[0]), strict=True):
        if not rows.size:
            continue
        args = {k: _rows_of(v, rows) for k, v in arrays.items()}
        out[python_scalar(label)] = func(**args, **kwargs)
    return ByPeriod(out, method)


def _rows_of(v, rows: np.ndarray):
    """The rows ``rows`` of one row-aligned input (``None`` and encoded groups handled)."""
    if v is None:
        return None
    if isinstance(v, Groups):
        return v.take(rows)
    return np.asarray(v)[rows]


def per_column_or_period(
    one: Callable[..., Result],
    y: np.ndarray,
    periods,
    rows: Mapping[str, Any],
    method: str,
    **kwargs,
) -> Result:
    """Dispatch to ``one`` once, per period (``periods=``) or per column of a 2-D ``y``.

    ``rows`` holds the other row-aligned inputs; an array in it with ``y``'s 2-D shape
    (e.g. weights, or group labels, per unit and period) is split by column too.
    """
    if y.ndim == 2:
        if periods is not None:
            raise DataValidationError(
                "pass either a 2-D y (columns = periods) or periods=, not both",
                field="periods",
            )
        out = {}
        for j in range(y.shape[1]):
            args = {
                k: (v[:, j] if isinstance(v, np.ndarray) and v.shape == y.shape else v)
                for k, v in rows.items()
            }
            out[j] = one(y=y[:, j], **args, **kwargs)
        return ByPeriod(out, method)
    if periods is not None:
        return by_period(one, periods, y.shape[0], {"y": y, **rows}, method, **kwargs)
    return one(y=y, **rows, **kwargs)
