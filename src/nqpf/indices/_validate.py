"""Input checks shared by the index methods.

They turn arrays, direction codes and weight vectors into clean numpy objects or raise a
:class:`~nqpf.exceptions.DataValidationError` that names the offending column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nqpf.exceptions import DataValidationError

_DIRECTION_CODES = {
    1: 1,
    -1: -1,
    "+": 1,
    "-": -1,
    "max": 1,
    "min": -1,
    "benefit": 1,
    "cost": -1,
    "正": 1,
    "负": -1,
    "正向": 1,
    "负向": -1,
}


def column_label(j: int, names: Sequence[str] | None) -> str:
    """Human label of column ``j``: its name when known, else its 0-based position."""
    if names is not None and j < len(names):
        return str(names[j])
    return f"#{j}"


def as_matrix(
    X,
    *,
    names: Sequence[str] | None = None,
    min_rows: int = 2,
    what: str = "X",
    check_finite: bool = True,
) -> np.ndarray:
    """Return ``X`` as a 2-D float64 array with finite values, or raise naming the column.

    ``check_finite=False`` skips the (n, m) boolean scan, for kernels that check NaN and
    infinity themselves in their first pass.
    """
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{what} must be a numeric (n, m) array: {exc}") from None
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim != 2:
        raise DataValidationError(f"{what} must be 2-D (n units, m indicators), got {A.ndim}-D")
    n, m = A.shape
    if m == 0:
        raise DataValidationError(f"{what} has no indicator columns")
    if n < min_rows:
        raise DataValidationError(f"{what} needs at least {min_rows} rows (units), got {n}")
    if check_finite:
        check_all_finite(A, names, what)
    return A


def check_all_finite(A: np.ndarray, names: Sequence[str] | None = None, what: str = "X") -> None:
    """Raise naming the first non-finite cell of ``A``."""
    finite = np.isfinite(A)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        count = int((~finite).sum())
        raise DataValidationError(
            f"{what} has {count} missing or infinite value(s); the first is at row {i}: "
            f"{float(A[i, j])}; choose a missing-value policy when reading the panel",
            column=column_label(j, names),
            data_row=int(i),
        )


def as_directions(directions, m: int) -> np.ndarray:
    """Direction codes → array of +1 (benefit) / −1 (cost) of length ``m``.

    Accepts +1/−1, ``"+"``/``"-"``, ``"max"``/``"min"``, ``"benefit"``/``"cost"`` and
    ``"正"``/``"负"``.  ``None`` means every indicator is a benefit (+) indicator.
    """
    if directions is None:
        return np.ones(m, dtype=np.int8)
    if isinstance(directions, str | int):
        directions = [directions] * m
    seq = list(np.asarray(directions, dtype=object).ravel())
    if len(seq) != m:
        raise DataValidationError(
            f"directions has {len(seq)} entries but there are {m} indicators", field="directions"
        )
    out = np.empty(m, dtype=np.int8)
    for j, code in enumerate(seq):
        key = code.strip().lower() if isinstance(code, str) else code
        if (isinstance(key, float | np.floating) and float(key).is_integer()) or isinstance(
            key, np.integer
        ):
            key = int(key)
        if key not in _DIRECTION_CODES:
            raise DataValidationError(
                f"unknown direction {code!r} at position {j}; expected +1/-1, '+'/'-', "
                "'max'/'min' or 'benefit'/'cost'",
                field="directions",
            )
        out[j] = _DIRECTION_CODES[key]
    return out


def as_weights(
    weights, m: int, *, tol: float = 1e-6, normalize: bool = False, what: str = "weights"
) -> np.ndarray:
    """Check a weight vector: length ``m``, finite, non-negative, summing to 1.

    With ``normalize=True`` a non-negative vector with positive sum is rescaled to sum 1
    instead of being rejected.
    """
    w = np.asarray(getattr(weights, "weights", weights), dtype=np.float64).ravel()
    if w.shape[0] != m:
        raise DataValidationError(
            f"{what} has length {w.shape[0]} but there are {m} indicators", field=what
        )
    if not np.isfinite(w).all():
        raise DataValidationError(f"{what} contains NaN or infinite values", field=what)
    if (w < 0).any():
        j = int(np.argmin(w))
        raise DataValidationError(
            f"{what} must be non-negative; entry {j} is {float(w[j])}", field=what
        )
    total = float(w.sum())
    if normalize:
        if total <= 0:
            raise DataValidationError(f"{what} sum to 0; cannot normalise", field=what)
        return w / total
    if abs(total - 1.0) > tol:
        raise DataValidationError(
            f"{what} sum to {total:.10g}, expected 1 (±{tol:g}); pass normalize=True to rescale",
            field=what,
        )
    return w


def as_periods(periods, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Period labels of the rows → (sorted unique labels, integer code of every row)."""
    p = np.asarray(periods).ravel()
    if p.shape[0] != n:
        raise DataValidationError(
            f"periods has {p.shape[0]} entries but X has {n} rows", field="periods"
        )
    labels, codes = np.unique(p, return_inverse=True)
    return labels, codes


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise DataValidationError(
            f"{name}={value!r} is not one of {', '.join(map(repr, choices))}", field=name
        )
    return value
