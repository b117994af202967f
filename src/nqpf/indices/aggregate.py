"""Aggregation of weighted indicators into one score: weighted sum, TOPSIS, grey relation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.indices._validate import (
    as_directions,
    as_matrix,
    as_periods,
    as_weights,
    check_choice,
    column_label,
)
from nqpf.indices.normalize import VECTOR_COSTS, minmax, vector
from nqpf.results import Result, Summary

#: Above this many cells TOPSIS (global ideals), grey relation and GRA-TOPSIS use the fused
#: kernels of nqpf.indices._kernels.
FAST_PATH_CELLS = 200_000


@dataclass(frozen=True, eq=False)
class AggregateResult(Result):
    """Scores of an aggregation method, one per row, with its intermediates.

    Formerly ``ScoreResult``; that name stays as an alias (the assessment's scores are
    :class:`nqpf.assessment.ScoreResult`).

    Attributes
    ----------
    scores : ndarray, shape (n,)
        TOPSIS closeness, grey relational grade or weighted sum.
    method : str
    details : dict
        ``d_best``/``d_worst``/``best``/``worst`` for TOPSIS; ``coefficients``,
        ``delta_min``, ``delta_max`` for grey relational analysis.
    """

    scores: np.ndarray
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.scores, dtype=dtype)

    def __len__(self) -> int:
        return len(self.scores)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"score": self.scores})
        for key, value in self.details.items():
            if np.shape(value) == self.scores.shape:
                frame[key] = value
        return frame

    def summary(self) -> Summary:
        s = self.scores
        return Summary(
            title=f"综合得分 ({self.method})",
            rows=(
                ("n", s.size),
                ("mean", float(s.mean())),
                ("min", float(s.min())),
                ("max", float(s.max())),
            ),
        )


#: The former name of :class:`AggregateResult`, kept for existing imports.
ScoreResult = AggregateResult


#: Accepted values of the ``weight_sum`` parameter of the aggregation methods.
WEIGHT_SUMS = ("one", "any")


def _weights_or_equal(weights, m: int, weight_sum: str = "one") -> np.ndarray:
    """Weights as given, checked; None → equal weights 1/m.

    ``weight_sum="one"`` requires Σw = 1 (±1e-6); ``"any"`` accepts any non-negative
    weights with a positive sum and uses them unscaled.
    """
    check_choice(weight_sum, "weight_sum", WEIGHT_SUMS)
    if weights is None:
        return np.full(m, 1.0 / m)
    if weight_sum == "one":
        return as_weights(weights, m)
    as_weights(weights, m, normalize=True)  # checks length, sign, finiteness and sum > 0
    return np.asarray(getattr(weights, "weights", weights), dtype=np.float64).ravel()


def weighted_sum(
    X, weights=None, *, weight_sum: str = "one", names: Sequence[str] | None = None
) -> np.ndarray:
    """Linear weighted sum S_i = Σ_j w_j x'_ij of a normalised matrix.

    Parameters
    ----------
    weight_sum : {"one", "any"}
        ``"one"`` (default): the weights must sum to 1.  ``"any"``: any non-negative
        weights with a positive sum, used as given — scikit-criteria's
        ``WeightedSumModel`` on a decision matrix whose default weight is 1 per
        criterion; the scores then scale with Σw.

    Examples
    --------
    >>> weighted_sum([[0.2, 1.0], [1.0, 0.0]], [0.5, 0.5])
    array([0.6, 0.5])
    >>> weighted_sum([[0.2, 1.0], [1.0, 0.0]], [1, 1], weight_sum="any")
    array([1.2, 1. ])
    """
    A = as_matrix(X, names=names, min_rows=1)
    return A @ _weights_or_equal(weights, A.shape[1], weight_sum)


def _block_extremes(V: np.ndarray, codes: np.ndarray | None):
    if codes is None:
        return V.max(axis=0), V.min(axis=0)
    r = codes.max() + 1
    hi = np.full((r, V.shape[1]), -np.inf)
    lo = np.full((r, V.shape[1]), np.inf)
    np.maximum.at(hi, codes, V)
    np.minimum.at(lo, codes, V)
    return hi[codes], lo[codes]


def topsis(
    X,
    weights=None,
    directions=None,
    *,
    normalization: str = "vector",
    vector_cost: str = "keep",
    ideal: str = "global",
    periods=None,
    best=None,
    worst=None,
    lo=None,
    hi=None,
    constant: str = "error",
    weight_sum: str = "one",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> AggregateResult:
    """TOPSIS closeness C_i = D⁻_i / (D⁺_i + D⁻_i) (Hwang & Yoon 1981).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values.
    weights : array_like, shape (m,), optional
        Weights summing to 1 (any positive sum with ``weight_sum="any"``); default equal
        weights.
    directions : sequence, optional
        +1 / −1 per indicator: the ideal takes the max of a benefit and the min of a cost
        column.
    normalization : {"vector", "minmax", "none"}
        ``"vector"`` (classic, default): r = x / ||x||, cost columns as ``vector_cost``
        says.  ``"minmax"``: direction-aware min-max scaling (the "熵权-TOPSIS" of the
        Chinese literature, methods.md §6); every column is then a benefit column.
        ``"none"``: use ``X`` as given.
    vector_cost : {"keep", "complement", "reciprocal"}
        Cost columns under vector normalisation (see :func:`nqpf.indices.vector`):
        ``"keep"`` (default) x/‖x‖ with the ideal at the column minimum (Hwang & Yoon
        1981); ``"complement"`` 1 − x/‖x‖ as pymcdm's ``vector_normalization`` (same
        closeness as ``"keep"``: the distances are invariant to reflecting and shifting a
        column); ``"reciprocal"`` (1/x)/‖1/x‖ as scikit-criteria's ``InvertMinimize`` +
        ``VectorScaler`` (different closeness; needs x > 0 in cost columns).
    ideal : {"global", "per_period"}
        Ideal and anti-ideal over all rows (default: on a stacked panel, closeness is then
        comparable across years) or within each period (needs ``periods``).
    best, worst : array_like, optional
        Fixed ideal and anti-ideal in the weighted, normalised space (to apply a fitted
        index to new data).
    lo, hi : array_like, optional
        Fixed min-max extremes for ``normalization="minmax"``.
    constant : {"error", "zero"}
        A zero-range column under ``normalization="minmax"`` raises naming it (default) or
        is scaled to 0, which takes it out of the distances.
    weight_sum : {"one", "any"}
        ``"one"`` (default): the weights must sum to 1.  ``"any"``: any non-negative
        weights with a positive sum, e.g. scikit-criteria's default of 1 per criterion.
        The closeness does not depend on the scale of the weights (D⁺ and D⁻ both scale
        with it); ``d_best``, ``d_worst``, ``best`` and ``worst`` do.
    engine : {"auto", "numpy", "numba"}
        With global ideals, large problems (more than 2e5 cells) use fused kernels that
        never form the normalised matrix, for every normalisation and cost form (same
        numbers to ~1e-12).

    Returns
    -------
    AggregateResult
        ``scores`` (closeness in [0, 1]) and ``d_best``, ``d_worst``, ``best``, ``worst``.

    Raises
    ------
    DataValidationError
        When D⁺ + D⁻ = 0 for some row (every row identical), rather than returning NaN.

    Examples
    --------
    Tzeng & Huang (2011), case 1 (scikit-criteria's test; methods.md R2):

    >>> topsis([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], [0.3, 0.4, 0.3]).scores.round(4)
    array([0.5037, 0.6581, 0.7482, 0.334 ])

    Opricovic & Tzeng (2004), pymcdm's TOPSIS test (its default min-max normalisation):

    >>> X = [[1, 3000], [2, 3750], [5, 4500]]
    >>> topsis(X, [0.5, 0.5], [-1, 1], normalization="minmax").scores.round(3)
    array([0.5  , 0.617, 0.5  ])
    """
    check_choice(normalization, "normalization", ("vector", "minmax", "none"))
    check_choice(vector_cost, "vector_cost", VECTOR_COSTS)
    check_choice(ideal, "ideal", ("global", "per_period"))
    check_choice(engine, "engine", ("auto", "numpy", "numba"))
    m = np.shape(X)[1] if np.ndim(X) == 2 else 1
    w = _weights_or_equal(weights, m, weight_sum)
    d = as_directions(directions, m)
    fast = ideal == "global" and (
        engine == "numba" or (engine == "auto" and np.size(X) > FAST_PATH_CELLS)
    )
    if fast:
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, min_rows=1, check_finite=False)
        if normalization == "minmax":
            out = _kernels.topsis_minmax(A, d, lo, hi, w, best, worst, names, constant=constant)
        elif normalization == "vector":
            out = _kernels.topsis_vector(A, d, w, vector_cost, best, worst, names)
        else:
            out = _kernels.topsis_plain(A, d, w, best, worst, names)
        closeness, dp, dm, b, wst = out
        return AggregateResult(
            closeness,
            _topsis_label(normalization, vector_cost, ideal),
            {"d_best": dp, "d_worst": dm, "best": b, "worst": wst},
        )
    A = as_matrix(X, names=names, min_rows=1)
    if normalization == "vector":
        neg = (A < 0).any(axis=0)
        if neg.any():
            raise DataValidationError(
                "vector normalisation needs non-negative values; use normalization='minmax'",
                column=column_label(int(np.argmax(neg)), names),
            )
        R = vector(A, d, cost=vector_cost, names=names)
        if vector_cost != "keep":
            d = np.ones(m, dtype=np.int8)
    elif normalization == "minmax":
        R = minmax(A, d, shift=0.0, lo=lo, hi=hi, constant=constant, names=names)
        d = np.ones(m, dtype=np.int8)
    else:
        R = A
    V = R * w
    if best is None or worst is None:
        codes = None
        if ideal == "per_period":
            if periods is None:
                raise DataValidationError("ideal='per_period' needs periods", field="periods")
            codes = as_periods(periods, A.shape[0])[1]
        vmax, vmin = _block_extremes(V, codes)
        best = np.where(d > 0, vmax, vmin)
        worst = np.where(d > 0, vmin, vmax)
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    return AggregateResult(
        _closeness(dp, dm),
        _topsis_label(normalization, vector_cost, ideal),
        {"d_best": dp, "d_worst": dm, "best": best, "worst": worst},
    )


def _topsis_label(normalization: str, vector_cost: str, ideal: str) -> str:
    norm = normalization
    if normalization == "vector" and vector_cost != "keep":
        norm = f"vector, cost {vector_cost}"
    return f"TOPSIS ({norm}, {ideal} ideals)"


def _closeness(dp: np.ndarray, dm: np.ndarray) -> np.ndarray:
    denom = dp + dm
    if (denom <= 0).any():
        i = int(np.argmax(denom <= 0))
        raise DataValidationError(
            f"TOPSIS is undefined for row {i}: it is at both the ideal and the anti-ideal "
            "(all rows identical in every weighted indicator)",
            data_row=i,
        )
    return dm / denom


def _grey_coefficients(R: np.ndarray, reference: np.ndarray, rho: float, delta_range=None):
    delta = np.abs(R - reference)
    dmin, dmax = (delta.min(), delta.max()) if delta_range is None else delta_range
    if dmax <= 0:
        raise DataValidationError(
            "grey relation is undefined: every row equals the reference series"
        )
    return (dmin + rho * dmax) / (delta + rho * dmax), float(dmin), float(dmax)


def _fused(engine: str, X) -> bool:
    check_choice(engine, "engine", ("auto", "numpy", "numba"))
    return engine == "numba" or (engine == "auto" and np.size(X) > FAST_PATH_CELLS)


def grey_relation(
    X,
    weights=None,
    directions=None,
    *,
    rho: float = 0.5,
    normalized: bool = False,
    reference="max",
    delta_range: tuple[float, float] | None = None,
    weight_sum: str = "one",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> AggregateResult:
    """Grey relational grade (Deng 1982) on the 0–1 scale.

    ξ_ij = (Δmin + ρ Δmax) / (Δ_ij + ρ Δmax) with Δ_ij = |x0_j − x'_ij| and the two-level
    Δmin, Δmax over all i and j; grade r_i = Σ_j w_j ξ_ij (methods.md §7).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw values, min-max normalised with ``directions`` (shift 0) unless
        ``normalized=True``.
    rho : float
        Distinguishing coefficient ρ ∈ (0, 1], 0.5 by convention.
    reference : {"max", "min"} or array_like
        Reference series x0: the column maxima of the normalised matrix (the ideal,
        default), the minima, or given values.
    delta_range : (Δmin, Δmax), optional
        Fixed two-level extremes (to apply a fitted index to new data).
    weight_sum : {"one", "any"}
        ``"one"`` (default): the weights must sum to 1.  ``"any"``: any non-negative
        weights with a positive sum, used as given (the grade then scales with Σw).
    engine : {"auto", "numpy", "numba"}
        Above 2e5 cells ``"auto"`` computes the grades in fused kernels that form neither
        the normalised matrix nor the n × m coefficient matrix (same grades to ~1e-12);
        ``details["coefficients"]`` is then absent — pass ``engine="numpy"`` to get it.

    Examples
    --------
    >>> grey_relation([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], normalized=True).scores
    array([0.66666667, 0.66666667, 1.        ])
    """
    if not 0 < rho <= 1:
        raise DataValidationError(f"rho must lie in (0, 1], got {rho}", field="rho")
    m = np.shape(X)[1] if np.ndim(X) == 2 else 1
    w = _weights_or_equal(weights, m, weight_sum)
    if isinstance(reference, str):
        check_choice(reference, "reference", ("max", "min"))
    else:
        x0 = np.asarray(reference, dtype=np.float64)
        if x0.shape != (m,):
            raise DataValidationError(f"reference must have {m} values", field="reference")
    label = f"grey relational grade (rho={rho})"
    if _fused(engine, X):
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, min_rows=1, check_finite=False)
        d = as_directions(directions, m)
        ((grade, x0, dmin, dmax),) = _kernels.grey_grades(
            A, d, w, rho, normalized, [reference], [delta_range], names
        )
        return AggregateResult(
            grade, label, {"delta_min": dmin, "delta_max": dmax, "reference": x0}
        )
    A = as_matrix(X, names=names, min_rows=1)
    R = A if normalized else minmax(A, directions, shift=0.0, names=names)
    if isinstance(reference, str):
        x0 = R.max(axis=0) if reference == "max" else R.min(axis=0)
    xi, dmin, dmax = _grey_coefficients(R, x0, rho, delta_range)
    return AggregateResult(
        (xi * w).sum(axis=1),  # row by row (a matrix product's bits depend on the row count)
        label,
        {"coefficients": xi, "delta_min": dmin, "delta_max": dmax, "reference": x0},
    )


def gra_topsis(
    X,
    weights=None,
    directions=None,
    *,
    rho: float = 0.5,
    normalized: bool = False,
    weight_sum: str = "one",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> AggregateResult:
    """Grey-relational TOPSIS: closeness r⁺ / (r⁺ + r⁻).

    r⁺ is the grey relational grade to the positive ideal series (column maxima) and r⁻
    the grade to the negative ideal (column minima), as in mathmodels
    ``grey_corr_topsis`` (methods.md §7).

    Parameters
    ----------
    weight_sum : {"one", "any"}
        ``"one"`` (default): the weights must sum to 1.  ``"any"``: any non-negative
        weights with a positive sum; the closeness does not depend on their scale.
    engine : {"auto", "numpy", "numba"}
        Above 2e5 cells ``"auto"`` computes both grades in one fused pass (same numbers to
        ~1e-12).

    Examples
    --------
    >>> gra_topsis([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], normalized=True).scores.round(4)
    array([0.5 , 0.5 , 0.75])
    """
    if not 0 < rho <= 1:
        raise DataValidationError(f"rho must lie in (0, 1], got {rho}", field="rho")
    label = f"GRA-TOPSIS (rho={rho})"
    if _fused(engine, X):
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, min_rows=1, check_finite=False)
        m = A.shape[1]
        w = _weights_or_equal(weights, m, weight_sum)
        d = as_directions(directions, m)
        (rp, *_), (rm, *_) = _kernels.grey_grades(
            A, d, w, rho, normalized, ["max", "min"], [None, None], names
        )
    else:
        A = as_matrix(X, names=names, min_rows=1)
        R = A if normalized else minmax(A, directions, shift=0.0, names=names)
        kw = {"rho": rho, "normalized": True, "weight_sum": weight_sum, "engine": "numpy"}
        rp = grey_relation(R, weights, reference="max", **kw).scores
        rm = grey_relation(R, weights, reference="min", **kw).scores
    return AggregateResult(rp / (rp + rm), label, {"grade_best": rp, "grade_worst": rm})
