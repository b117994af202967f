"""Input checks shared by the disparity methods.

One home for the checks that several modules of :mod:`nqpf.disparity` run on their
arguments, as scikit-learn keeps its checks in ``utils/validation.py``: each turns an
argument into a clean numpy object or raises a
:class:`~nqpf.exceptions.DataValidationError` that names the field, and the row or column
at fault.  Checks used by one module only stay in that module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``choices``, else raise naming ``name``."""
    if not isinstance(value, str) or value not in choices:
        raise DataValidationError(
            f"{name}={value!r} is not one of {', '.join(map(repr, choices))}", field=name
        )
    return value


def python_scalar(value) -> Any:
    """A numpy scalar as a plain Python value (for ids, labels, messages and frames)."""
    return value.item() if isinstance(value, np.generic) else value


def as_float_array(x, field: str) -> np.ndarray:
    """``x`` as a float64 array, or raise saying that ``field`` must be numeric."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{field} must be numeric: {exc}", field=field) from None


def _cell(index: np.ndarray, ndim: int) -> str:
    """``row i`` (1-D) or ``row i, column j`` (2-D) of an ``np.argwhere`` index."""
    return f"row {int(index[0])}" + (f", column {int(index[1])}" if ndim == 2 else "")


def nonnegative_values(
    y, *, field: str = "y", what: str = "values", allow_2d: bool = True
) -> np.ndarray:
    """``y`` as a finite, non-negative float64 array (1-D, or 2-D when ``allow_2d``).

    Raises naming the first offending row (and column for 2-D input); ``what`` names the
    measure in the message about negative values.  A ``-0.0`` is turned into ``+0.0`` so
    that bit-level tricks downstream see one zero.
    """
    a = as_float_array(y, field)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim not in ((1, 2) if allow_2d else (1,)):
        shape = "1-D (n,) or 2-D (n, periods)" if allow_2d else "1-D (n,)"
        raise DataValidationError(f"{field} must be {shape}, got {a.ndim}-D", field=field)
    finite = np.isfinite(a)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise DataValidationError(
            f"{field} has {int((~finite).sum())} missing or infinite value(s); the first is "
            f"at {_cell(bad, a.ndim)}: {float(a[tuple(bad)])}",
            field=field,
            data_row=int(bad[0]),
        )
    low = float(a.min()) if a.size else 0.0
    if low < 0:
        bad = np.argwhere(a < 0)[0]
        raise DataValidationError(
            f"{field} must be non-negative; {_cell(bad, a.ndim)} is {float(a[tuple(bad)])} "
            f"(the {what} of negative values is not defined here)",
            field=field,
            data_row=int(bad[0]),
        )
    if a.size and low == 0 and np.signbit(a).any():
        a = a + 0.0  # -0.0 → +0.0
    return np.ascontiguousarray(a)


def unit_weights(weights, shape: tuple[int, ...], *, field: str = "weights") -> np.ndarray:
    """Unit weights (e.g. population): finite, non-negative, of ``y``'s shape or (n,)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1 and len(shape) == 1:
        w = w[:, 0]
    if w.shape != shape and not (len(shape) == 2 and w.shape == shape[:1]):
        raise DataValidationError(
            f"{field} has shape {w.shape} but y has shape {shape}; pass one weight per "
            "value (or per row, for a 2-D y)",
            field=field,
        )
    finite = np.isfinite(w)
    if not finite.all():
        i = int(np.argwhere(~finite)[0][0])
        raise DataValidationError(
            f"{field} has missing or infinite values (first at row {i})", field=field, data_row=i
        )
    if w.size and w.min() < 0:
        i = int(np.argwhere(w < 0)[0][0])
        raise DataValidationError(
            f"{field} must be non-negative; row {i} is {float(w.ravel()[np.argmin(w)])}",
            field=field,
            data_row=i,
        )
    return np.ascontiguousarray(w)


def encode_groups(groups, n: int, *, field: str = "groups") -> tuple[np.ndarray, np.ndarray]:
    """Group labels → (candidate labels, integer code of every row).

    Integer labels spanning at most 256 values are coded as ``label − min`` without a sort
    (labels in that range that never occur are "slots" of size 0, dropped later); other
    labels go through :func:`numpy.unique`.  Codes are ``uint8`` up to 256 slots.
    """
    g = np.asarray(groups)
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if g.ndim != 1:
        raise DataValidationError(f"{field} must be 1-D (one label per row)", field=field)
    if g.shape[0] != n:
        raise DataValidationError(
            f"{field} has {g.shape[0]} labels but y has {n} rows", field=field
        )
    if n == 0:
        return g[:0], np.zeros(0, np.uint8)
    kind = g.dtype
    if g.dtype.kind == "b":
        g = g.astype(np.uint8)
    if g.dtype.kind in "iu":
        lo, hi = int(g.min()), int(g.max())
        if hi - lo < 256:
            labels = np.arange(lo, hi + 1).astype(kind, copy=False)
            rel = g - g.dtype.type(lo) if lo else g
            return labels, rel.astype(np.uint8)
    missing = pd.isna(g) if g.dtype.kind in "fOmM" else None  # NaN, None, pd.NA, NaT
    if missing is not None and missing.any():
        i = int(np.argmax(missing))
        raise DataValidationError(
            f"{field} has {int(missing.sum())} missing label(s); the first is at row {i}",
            field=field,
            data_row=i,
        )
    try:
        labels, codes = np.unique(g, return_inverse=True)
    except TypeError:
        raise DataValidationError(
            f"{field} labels must be mutually comparable (all strings or all numbers)",
            field=field,
        ) from None
    dtype = np.uint8 if labels.size <= 256 else np.intp
    return labels, codes.ravel().astype(dtype)


def values_per_unit(y, n: int, what: str = "y") -> np.ndarray:
    """``y`` as a finite 1-D float64 array of one value for each of the ``n`` spatial units."""
    v = as_float_array(y, what)
    if v.ndim != 1:
        v = v.ravel() if v.ndim == 2 and 1 in v.shape else v
    if v.ndim != 1:
        raise DataValidationError(
            f"{what} must be 1-D (one value per unit), got {v.ndim}-D", field=what
        )
    if v.shape[0] != n:
        raise DataValidationError(
            f"{what} has {v.shape[0]} values but the weights have {n} units", field=what
        )
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"{what} has {int(bad.sum())} missing or infinite value(s); the first is unit "
            f"{i}: {v[i]}",
            field=what,
            data_row=i,
        )
    return v


def check_panel_shape(A: np.ndarray, what: str) -> tuple[int, int]:
    """(n, t) of a Markov panel ``what``: 2-D, at least 1 unit and 2 periods, else raise."""
    if A.ndim != 2:
        raise DataValidationError(
            f"{what} must be 2-D (n units × t periods), got {A.ndim}-D", field=what
        )
    n, t = A.shape
    if n < 1:
        raise DataValidationError(f"{what} has no units (rows)", field=what)
    if t < 2:
        raise DataValidationError(
            f"{what} has {t} period(s) (columns); a Markov chain needs at least 2. "
            f"{what} must be (n units × t periods): transpose a (t × n) array",
            field=what,
        )
    return n, t


def as_panel(y, what: str = "y") -> np.ndarray:
    """``y`` as a finite float (n units, t periods) array, or raise naming the first bad cell."""
    try:
        A = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"{what} must be a numeric (n units × t periods) array: {exc}", field=what
        ) from None
    check_panel_shape(A, what)
    bad = ~np.isfinite(A)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataValidationError(
            f"{what} has {int(bad.sum())} missing or infinite value(s); the first is unit "
            f"{i}, period {j}: {A[i, j]}",
            field=what,
            column=f"#{j}",
            data_row=int(i),
        )
    return A
