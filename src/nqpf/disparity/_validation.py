"""Input checks shared by the disparity methods.

One home for the checks that several modules of :mod:`nqpf.disparity` run on their
arguments, as scikit-learn keeps its checks in ``utils/validation.py``: each turns an
argument into a clean numpy object or raises a
:class:`~nqpf.exceptions.DataValidationError` that names the field, and the row or column
at fault.  Checks used by one module only stay in that module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.disparity._labels import factorize_arrow_strings, factorize_rows, fixed_width_rows
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
    # min and max see every NaN and infinity, so the elementwise check runs only on failure
    low = float(a.min()) if a.size else 0.0
    high = float(a.max()) if a.size else 0.0
    if not (np.isfinite(low) and np.isfinite(high)):
        finite = np.isfinite(a)
        bad = np.argwhere(~finite)[0]
        raise DataValidationError(
            f"{field} has {int((~finite).sum())} missing or infinite value(s); the first is "
            f"at {_cell(bad, a.ndim)}: {float(a[tuple(bad)])}",
            field=field,
            data_row=int(bad[0]),
        )
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


@dataclass(frozen=True, eq=False)
class Groups:
    """Group labels encoded once: the candidate labels (sorted) and every row's code.

    :func:`encode_groups` returns its parts and accepts one back unchanged, so a caller
    that runs a grouped statistic several times on the same rows (per column of a 2-D
    ``y``, per period, per permutation) encodes the labels once.  ``take(rows)`` keeps the
    labels and selects codes, as the per-period dispatch slices every row-aligned input.
    """

    labels: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape

    @property
    def ndim(self) -> int:
        return 1

    def take(self, rows) -> Groups:
        return Groups(self.labels, self.codes[rows])

    def __getitem__(self, rows) -> Groups:
        return self.take(rows)


#: Integer labels spanning fewer values than this are coded as ``label − min`` directly.
SMALL_RANGE = 256


def _small_codes(codes: np.ndarray, k: int) -> np.ndarray:
    """Codes as ``uint8`` up to 256 labels, else ``intp``."""
    return codes.astype(np.uint8 if k <= SMALL_RANGE else np.intp, copy=False)


def _missing_error(codes: np.ndarray, field: str) -> DataValidationError:
    missing = codes < 0
    i = int(np.argmax(missing))
    return DataValidationError(
        f"{field} has {int(missing.sum())} missing label(s); the first is at row {i}",
        field=field,
        data_row=i,
    )


def _first_rows(codes: np.ndarray, k: int) -> np.ndarray:
    """Row of the first occurrence of codes 0 … k − 1 numbered in order of appearance."""
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.diff(running, prepend=-1) > 0)
    return first[:k]


def _factorize_fixed_width(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (order of appearance) and the distinct labels of a fixed-width str/bytes array.

    The bytes of each label are read as one or more ``uint64`` words and hashed
    (``pandas.factorize`` on integers); two or more words are combined pairwise, re-coding
    after each step so that the combined code stays below n.  O(n · words), no sort, and
    no Python string objects (``pandas.factorize`` on a numpy str array would make one per
    row).
    """
    n, size = g.shape[0], g.dtype.itemsize
    words = -(-size // 8)
    raw = np.ascontiguousarray(g).view(np.uint8).reshape(n, size)
    if size != 8 * words:
        padded = np.zeros((n, 8 * words), dtype=np.uint8)
        padded[:, :size] = raw
        raw = padded
    W = raw.view(np.uint64).reshape(n, words)
    codes, uniq = pd.factorize(W[:, 0])
    if words == 1:  # the distinct words are the distinct labels
        k = uniq.shape[0]
        return codes, np.ascontiguousarray(uniq.view(np.uint8).reshape(k, 8)[:, :size]).view(
            g.dtype
        ).ravel()
    for j in range(1, words):
        cj, uj = pd.factorize(W[:, j])
        codes, uniq = pd.factorize(codes.astype(np.int64) * uj.shape[0] + cj)
    return codes, g[_first_rows(codes, uniq.shape[0])]


def _sorted_codes(
    codes: np.ndarray, uniques: np.ndarray, field: str
) -> tuple[np.ndarray, np.ndarray]:
    """Relabel factorized codes so that code order is the sorted order of the uniques.

    Only the k uniques are sorted; the n codes go through one k-entry lookup table.
    """
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:
        raise DataValidationError(
            f"{field} labels must be mutually comparable (all strings or all numbers)",
            field=field,
        ) from None
    k = uniques.shape[0]
    rank = np.empty(k, dtype=np.intp)
    rank[order] = np.arange(k)
    table = _small_codes(rank, k)
    return uniques[order], table[codes]


def encode_groups(groups, n: int, *, field: str = "groups") -> tuple[np.ndarray, np.ndarray]:
    """Group labels → (candidate labels in sorted order, integer code of every row), in O(n).

    - Integer (and boolean) labels spanning fewer than :data:`SMALL_RANGE` values are coded
      as ``label − min`` with no sort and no hashing (labels in that range that never
      occur are "slots" of size 0, which callers drop).
    - Strings — numpy ``str``/``bytes`` arrays and pandas' Arrow-backed ``str`` Series
      (e.g. 东部/中部/西部/东北) — are read as rows of ``uint64`` words and numbered by a
      compiled hash table (:mod:`nqpf.disparity._labels`), up to 256 distinct labels;
      beyond that numpy strings are hashed word by word with ``pandas.factorize``.
    - Everything else — other integers, floats, dates, Python objects, other pandas
      Series and Categoricals — goes through ``pandas.factorize`` (a hash table).

    Only the k distinct labels are then sorted, so the group order users see is the sorted
    order of the labels, as :func:`numpy.unique` gave it, without sorting n rows.  Codes are
    ``uint8`` up to 256 labels, else ``intp``.  A :class:`Groups` is returned as is.
    """
    if isinstance(groups, Groups):
        if len(groups) != n:
            raise DataValidationError(
                f"{field} has {len(groups)} labels but y has {n} rows", field=field
            )
        return groups.labels, groups.codes
    if isinstance(groups, pd.Series | pd.Index | pd.Categorical | pd.api.extensions.ExtensionArray):
        size = len(groups)
        if getattr(groups, "ndim", 1) != 1:
            raise DataValidationError(f"{field} must be 1-D (one label per row)", field=field)
        if size != n:
            raise DataValidationError(f"{field} has {size} labels but y has {n} rows", field=field)
        found = factorize_arrow_strings(groups)
        if found is not None:
            return _sorted_codes(*found, field)
        codes, uniq = pd.factorize(groups)
        if size and codes.min() < 0:
            raise _missing_error(codes, field)
        return _sorted_codes(codes, np.asarray(uniq), field)
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
        g = g.view(np.uint8)
    if g.dtype.kind in "iu":
        lo, hi = int(g.min()), int(g.max())
        if hi - lo < SMALL_RANGE:
            labels = np.arange(lo, hi + 1).astype(kind, copy=False)
            rel = g - g.dtype.type(lo) if lo else g
            return labels, rel.astype(np.uint8)
    if g.dtype.kind in "US" and g.dtype.itemsize:
        found = factorize_rows(fixed_width_rows(g))
        if found is not None:
            return _sorted_codes(found[0], g[found[1]], field)
        return _sorted_codes(*_factorize_fixed_width(g), field)
    codes, uniq = pd.factorize(g)
    if codes.min() < 0:  # NaN, None, pd.NA, NaT
        raise _missing_error(codes, field)
    return _sorted_codes(codes, np.asarray(uniq), field)


def drop_empty(labels: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels that occur, and codes renumbered over them (drops the size-0 "slots")."""
    used = np.bincount(codes, minlength=labels.shape[0]) > 0
    if used.all():
        return labels, codes
    remap = _small_codes(np.cumsum(used) - 1, int(used.sum()))
    return labels[used], remap[codes]


def encode_once(groups, shape: tuple[int, ...], *, field: str = "groups"):
    """``groups`` as :class:`Groups` when it is one label per row of a ``y`` of ``shape``.

    Grouped statistics call this before dispatching per column or per period, so that the
    labels are encoded once.  ``None``, per-cell labels (``y``'s 2-D shape) and inputs of
    the wrong length are returned unchanged, for the per-call checks to report.
    """
    if groups is None or isinstance(groups, Groups):
        return groups
    pandas_like = isinstance(groups, pd.Series | pd.Index | pd.Categorical)
    g = groups if pandas_like else np.asarray(groups)
    if not pandas_like and g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if getattr(g, "ndim", 1) != 1 or len(g) != shape[0]:
        return g
    return Groups(*encode_groups(g, shape[0], field=field))


def group_rows(codes: np.ndarray, k: int) -> list[np.ndarray]:
    """Row indices of each of the k codes, in row order, in O(n).

    One stable arg-sort of the codes — a radix sort for ``uint8`` / ``uint16`` codes — then
    a split at the group sizes; empty groups give empty index arrays.
    """
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=k))[:-1]
    return np.split(order, bounds)


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
