"""Normalisation of indicator matrices (极差标准化, z-score, vector, 比重法).

Every convention that changes the numbers is a parameter: the zero shift, rescaling to
``[a, b]``, pooled versus per-period extremes and what to do with a constant column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nqpf.exceptions import DataValidationError
from nqpf.indices._validate import (
    as_directions,
    as_matrix,
    as_periods,
    check_choice,
    column_label,
)

#: Default zero shift added after min-max scaling, as in most Chinese economics papers
#: (methods.md §1, convention 1: x' + 0.0001).
DEFAULT_SHIFT = 1e-4


def minmax_extremes(
    X, *, extremes: str = "pooled", periods=None, names: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima used by :func:`minmax`.

    Returns ``(lo, hi)`` of shape ``(m,)`` for ``extremes="pooled"`` or ``(n, m)`` (the
    extremes of each row's period, broadcast to the row) for ``"per_period"``.
    """
    A = as_matrix(X, names=names)
    check_choice(extremes, "extremes", ("pooled", "per_period"))
    if extremes == "pooled":
        return A.min(axis=0), A.max(axis=0)
    if periods is None:
        raise DataValidationError(
            "extremes='per_period' needs the period of every row", field="periods"
        )
    _, codes = as_periods(periods, A.shape[0])
    r = codes.max() + 1
    lo = np.full((r, A.shape[1]), np.inf)
    hi = np.full((r, A.shape[1]), -np.inf)
    np.minimum.at(lo, codes, A)
    np.maximum.at(hi, codes, A)
    return lo[codes], hi[codes]


def _resolve_offset(shift: float | None, rescale) -> tuple[float, float]:
    """(scale, offset) so that x' = scale · x01 + offset."""
    if rescale is not None:
        if shift not in (None, 0, 0.0):
            raise DataValidationError("give either shift or rescale, not both", field="rescale")
        a, b = (
            (float(rescale), 1.0 - float(rescale)) if np.isscalar(rescale) else map(float, rescale)
        )
        if not 0 <= a < b:
            raise DataValidationError(
                f"rescale bounds must satisfy 0 <= a < b, got ({a}, {b})", field="rescale"
            )
        return b - a, a
    s = DEFAULT_SHIFT if shift is None else float(shift)
    if s < 0 or not np.isfinite(s):
        raise DataValidationError(
            f"shift must be a non-negative number, got {shift!r}", field="shift"
        )
    return 1.0, s


def minmax(
    X,
    directions=None,
    *,
    shift: float | None = None,
    rescale: float | tuple[float, float] | None = None,
    extremes: str = "pooled",
    periods=None,
    constant: str = "error",
    lo=None,
    hi=None,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Direction-aware min-max normalisation (极差标准化).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values, one row per unit (or unit-period of a panel).
    directions : sequence of {+1, -1, "+", "-"}, optional
        +1 for benefit (正向) indicators, −1 for cost (负向) ones.  Default: all +1.
    shift : float, optional
        Added after scaling so that no value is exactly 0 (avoids ln 0 in the entropy
        method).  Default ``1e-4`` — the "x' + 0.0001" convention of most Chinese
        economics papers (methods.md §1).  ``0`` gives plain [0, 1] scaling.
    rescale : float or (a, b), optional
        Map to ``[a, b]`` instead of shifting; a single ``a`` means ``[a, 1 − a]``
        (the R package mathmodels uses ``a = 0.002``).  Exclusive with ``shift``.
    extremes : {"pooled", "per_period"}
        Take min and max over the whole panel (default: scores stay comparable over
        time) or within each period (needs ``periods``; scores are then only comparable
        within a period).
    periods : array_like, shape (n,), optional
        Period label of each row; needed for ``extremes="per_period"``.
    constant : {"error", "zero"}
        A column with zero range cannot be scaled.  ``"error"`` (default) raises naming
        the indicator; ``"zero"`` maps it to 0 before the shift, which gives it zero
        entropy weight.
    lo, hi : array_like, optional
        Use these extremes instead of computing them (applying a fitted index to new
        data).  Values outside ``[lo, hi]`` then map outside ``[0, 1]``.
    names : sequence of str, optional
        Indicator names, used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, m)
        x' = (x − min)/(max − min) for benefit and (max − x)/(max − min) for cost
        indicators, then shifted or rescaled.

    Examples
    --------
    >>> minmax([[3, 10], [5, 20], [2, 15], [7, 25]], ["+", "-"], shift=0)
    array([[0.2       , 1.        ],
           [0.6       , 0.33333333],
           [0.        , 0.66666667],
           [1.        , 0.        ]])
    """
    A = as_matrix(X, names=names)
    d = as_directions(directions, A.shape[1])
    check_choice(constant, "constant", ("error", "zero"))
    scale, offset = _resolve_offset(shift, rescale)
    if lo is None or hi is None:
        lo, hi = minmax_extremes(A, extremes=extremes, periods=periods, names=names)
    else:
        lo = np.asarray(lo, dtype=np.float64)
        hi = np.asarray(hi, dtype=np.float64)
    span = hi - lo
    zero = span <= 0
    if zero.any():
        if constant == "error":
            j = int(np.argwhere(zero)[0][-1])
            raise DataValidationError(
                "indicator has zero range (all values equal"
                + (" within a period" if np.ndim(span) == 2 else "")
                + "); drop it or pass constant='zero'",
                column=column_label(j, names),
            )
        span = np.where(zero, 1.0, span)
    out = np.where(d > 0, A - lo, hi - A) / span
    if zero.any():
        out = np.where(zero, 0.0, out)
    if scale != 1.0:
        out *= scale
    if offset:
        out += offset
    return out


def zscore(X, directions=None, *, ddof: int = 1, names: Sequence[str] | None = None) -> np.ndarray:
    """Z-score standardisation, sign-flipped for cost indicators.

    ``ddof=1`` (sample standard deviation) by default, as SPSS and Stata ``egen std``
    do; scikit-learn's ``StandardScaler`` corresponds to ``ddof=0``.

    Examples
    --------
    >>> zscore([[1.0], [2.0], [3.0]])
    array([[-1.],
           [ 0.],
           [ 1.]])
    """
    A = as_matrix(X, names=names)
    d = as_directions(directions, A.shape[1])
    sd = A.std(axis=0, ddof=ddof)
    if (sd <= 0).any():
        j = int(np.argmax(sd <= 0))
        raise DataValidationError("indicator has zero variance", column=column_label(j, names))
    return d * (A - A.mean(axis=0)) / sd


#: Cost-column forms of vector normalisation; see :func:`vector`.
VECTOR_COSTS = ("keep", "complement", "reciprocal")
#: Cost-column forms of sum normalisation; see :func:`proportion`.
PROPORTION_COSTS = ("reciprocal", "keep")


def vector(
    X, directions=None, *, cost: str = "keep", names: Sequence[str] | None = None
) -> np.ndarray:
    """Vector normalisation r_ij = x_ij / sqrt(Σ_i x_ij²) (classic TOPSIS, Hwang & Yoon 1981).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values.
    directions : sequence of {+1, -1, "+", "-"}, optional
        +1 for benefit, −1 for cost indicators (default all +1).  Only used by the cost
        forms below.
    cost : {"keep", "complement", "reciprocal"}
        What happens to a cost column:

        - ``"keep"`` (default): r = x/‖x‖ like a benefit column; the direction is applied
          by the aggregation, whose ideal takes the column minimum (Hwang & Yoon 1981;
          scikit-criteria ``VectorScaler`` before ``TOPSIS``).  ``directions`` has no
          effect on the matrix.
        - ``"complement"``: r = 1 − x/‖x‖, so that larger is better in every column
          (pymcdm ``vector_normalization(x, cost=True)``; pyrepo-mcda
          ``vector_normalization``).
        - ``"reciprocal"``: r = (1/x)/‖1/x‖, the vector norm of the reciprocals
          (scikit-criteria ``InvertMinimize`` then ``VectorScaler``); needs x > 0.

        TOPSIS closeness is the same under ``"keep"`` and ``"complement"`` (a reflection
        and a shift of a column move the ideal with it and leave every distance
        unchanged); ``"reciprocal"`` gives different numbers.
    names : sequence of str, optional
        Indicator names, used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, m)

    Notes
    -----
    ‖x‖ is taken over the column as given (for ``"reciprocal"``: over 1/x), so a column of
    zeros cannot be normalised and raises.

    Examples
    --------
    >>> vector([[3.0], [4.0]])
    array([[0.6],
           [0.8]])
    >>> vector([[3.0, 1.0], [4.0, 2.0]], ["+", "-"], cost="complement").round(4)
    array([[0.6   , 0.5528],
           [0.8   , 0.1056]])
    >>> vector([[3.0, 1.0], [4.0, 2.0]], ["+", "-"], cost="reciprocal").round(4)
    array([[0.6   , 0.8944],
           [0.8   , 0.4472]])
    """
    A = as_matrix(X, names=names, min_rows=1)
    check_choice(cost, "cost", VECTOR_COSTS)
    d = as_directions(directions, A.shape[1])
    inv = (d < 0) & (cost == "reciprocal")
    T = None
    if inv.any():
        T = A[:, inv]  # the reciprocal columns only, so the whole matrix is never copied
        # One flat min first: numpy's column-wise min of a C-ordered matrix is ~10× slower.
        if T.min() <= 0:
            bad = (T <= 0).any(axis=0)
            raise DataValidationError(
                "the reciprocal cost form 1/x needs strictly positive values",
                column=column_label(int(np.flatnonzero(inv)[np.argmax(bad)]), names),
            )
        T = 1.0 / T
    norm = np.sqrt(np.einsum("ij,ij->j", A, A))  # Σ x² without an n × m temporary
    if T is not None:
        norm[inv] = np.sqrt(np.einsum("ij,ij->j", T, T))
    if (norm <= 0).any():
        j = int(np.argmax(norm <= 0))
        raise DataValidationError("indicator is all zeros", column=column_label(j, names))
    R = A / norm
    if T is not None:
        R[:, inv] = T / norm[inv]
    comp = (d < 0) & (cost == "complement")
    if comp.any():
        R[:, comp] = 1.0 - R[:, comp]
    return R


def proportion(
    X, directions=None, *, cost: str = "reciprocal", names: Sequence[str] | None = None
) -> np.ndarray:
    """Sum normalisation (比重法): p_ij = x_ij / Σ_i x_ij, each column summing to 1.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw, strictly positive indicator values (mathematically x ≥ 0 with a positive
        column sum suffices for benefit columns; pymcdm rejects any x ≤ 0, and so does
        nqpf for a reciprocal cost column).
    directions : sequence of {+1, -1, "+", "-"}, optional
        +1 for benefit, −1 for cost indicators (default all +1).
    cost : {"reciprocal", "keep"}
        - ``"reciprocal"`` (default): a cost column becomes (1/x)/Σ(1/x), larger is better
          in every column (pymcdm ``sum_normalization(x, cost=True)``; pyrepo-mcda
          ``sum_normalization``; scikit-criteria ``InvertMinimize`` then ``SumScaler``).
        - ``"keep"``: x/Σx for every column, the direction left to the aggregation
          (scikit-criteria ``SumScaler`` alone).
    names : sequence of str, optional
        Indicator names, used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, m)

    Examples
    --------
    >>> proportion([[1.0, 1.0], [3.0, 4.0]], ["+", "-"])
    array([[0.25, 0.8 ],
           [0.75, 0.2 ]])
    >>> proportion([[1.0, 1.0], [3.0, 4.0]], ["+", "-"], cost="keep")
    array([[0.25, 0.2 ],
           [0.75, 0.8 ]])
    """
    A = as_matrix(X, names=names, min_rows=1)
    check_choice(cost, "cost", PROPORTION_COSTS)
    d = as_directions(directions, A.shape[1])
    inv = (d < 0) & (cost == "reciprocal")
    G = A[:, inv] if inv.any() else None  # the reciprocal columns only: A is never copied
    # One flat min first: numpy's column-wise min of a C-ordered matrix is ~10× slower.
    if A.min() < 0 or (G is not None and G.min() <= 0):
        neg = (A < 0).any(axis=0) | (inv & (A <= 0).any(axis=0))
        j = int(np.argmax(neg))
        what = "strictly positive" if inv[j] else "non-negative"
        raise DataValidationError(
            f"sum normalisation needs {what} values", column=column_label(j, names)
        )
    total = A.sum(axis=0)
    T = 1.0 / G if G is not None else None
    if T is not None:
        total[inv] = T.sum(axis=0)
    if (total <= 0).any():
        j = int(np.argmax(total <= 0))
        raise DataValidationError("indicator sums to 0", column=column_label(j, names))
    P = A / total
    if T is not None:
        P[:, inv] = T / total[inv]
    return P
