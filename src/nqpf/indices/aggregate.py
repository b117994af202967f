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
)
from nqpf.indices.normalize import minmax, vector
from nqpf.results import Result, Summary

#: Above this many cells min-max TOPSIS uses the fused kernels of nqpf.indices._kernels.
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


def _weights_or_equal(weights, m: int) -> np.ndarray:
    if weights is None:
        return np.full(m, 1.0 / m)
    return as_weights(weights, m)


def weighted_sum(X, weights=None, *, names: Sequence[str] | None = None) -> np.ndarray:
    """Linear weighted sum S_i = Σ_j w_j x'_ij of a normalised matrix.

    Examples
    --------
    >>> weighted_sum([[0.2, 1.0], [1.0, 0.0]], [0.5, 0.5])
    array([0.6, 0.5])
    """
    A = as_matrix(X, names=names, min_rows=1)
    return A @ _weights_or_equal(weights, A.shape[1])


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
    ideal: str = "global",
    periods=None,
    best=None,
    worst=None,
    lo=None,
    hi=None,
    constant: str = "error",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> AggregateResult:
    """TOPSIS closeness C_i = D⁻_i / (D⁺_i + D⁻_i) (Hwang & Yoon 1981).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values.
    weights : array_like, shape (m,), optional
        Weights summing to 1; default equal weights.
    directions : sequence, optional
        +1 / −1 per indicator: the ideal takes the max of a benefit and the min of a cost
        column.
    normalization : {"vector", "minmax", "none"}
        ``"vector"`` (classic, default): r = x / ||x||.  ``"minmax"``: direction-aware
        min-max scaling (the "熵权-TOPSIS" of the Chinese literature, methods.md §6); every
        column is then a benefit column.  ``"none"``: use ``X`` as given.
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
    engine : {"auto", "numpy", "numba"}
        Large min-max problems with global ideals use fused kernels that never form the
        normalised matrix (same numbers to ~1e-12).

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
    """
    check_choice(normalization, "normalization", ("vector", "minmax", "none"))
    check_choice(ideal, "ideal", ("global", "per_period"))
    check_choice(engine, "engine", ("auto", "numpy", "numba"))
    m = np.shape(X)[1] if np.ndim(X) == 2 else 1
    w = _weights_or_equal(weights, m)
    d = as_directions(directions, m)
    fast = (
        normalization == "minmax"
        and ideal == "global"
        and (engine == "numba" or (engine == "auto" and np.size(X) > FAST_PATH_CELLS))
    )
    if fast:
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, check_finite=False)
        closeness, dp, dm, b, wst = _kernels.topsis_minmax(
            A, d, lo, hi, w, best, worst, names, constant=constant
        )
        return AggregateResult(
            closeness,
            "TOPSIS (min-max, global ideals)",
            {"d_best": dp, "d_worst": dm, "best": b, "worst": wst},
        )
    A = as_matrix(X, names=names, min_rows=1)
    if normalization == "vector":
        if (A < 0).any():
            raise DataValidationError(
                "vector normalisation needs non-negative values; use normalization='minmax'"
            )
        R = vector(A, names=names)
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
        f"TOPSIS ({normalization}, {ideal} ideals)",
        {"d_best": dp, "d_worst": dm, "best": best, "worst": worst},
    )


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


def grey_relation(
    X,
    weights=None,
    directions=None,
    *,
    rho: float = 0.5,
    normalized: bool = False,
    reference="max",
    delta_range: tuple[float, float] | None = None,
    names: Sequence[str] | None = None,
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

    Examples
    --------
    >>> grey_relation([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], normalized=True).scores
    array([0.66666667, 0.66666667, 1.        ])
    """
    if not 0 < rho <= 1:
        raise DataValidationError(f"rho must lie in (0, 1], got {rho}", field="rho")
    A = as_matrix(X, names=names, min_rows=1)
    m = A.shape[1]
    w = _weights_or_equal(weights, m)
    R = A if normalized else minmax(A, directions, shift=0.0, names=names)
    if isinstance(reference, str):
        check_choice(reference, "reference", ("max", "min"))
        x0 = R.max(axis=0) if reference == "max" else R.min(axis=0)
    else:
        x0 = np.asarray(reference, dtype=np.float64)
        if x0.shape != (m,):
            raise DataValidationError(f"reference must have {m} values", field="reference")
    xi, dmin, dmax = _grey_coefficients(R, x0, rho, delta_range)
    return AggregateResult(
        xi @ w,
        f"grey relational grade (rho={rho})",
        {"coefficients": xi, "delta_min": dmin, "delta_max": dmax, "reference": x0},
    )


def gra_topsis(
    X,
    weights=None,
    directions=None,
    *,
    rho: float = 0.5,
    normalized: bool = False,
    names: Sequence[str] | None = None,
) -> AggregateResult:
    """Grey-relational TOPSIS: closeness r⁺ / (r⁺ + r⁻).

    r⁺ is the grey relational grade to the positive ideal series (column maxima) and r⁻
    the grade to the negative ideal (column minima), as in mathmodels
    ``grey_corr_topsis`` (methods.md §7).

    Examples
    --------
    >>> gra_topsis([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], normalized=True).scores.round(4)
    array([0.5 , 0.5 , 0.75])
    """
    A = as_matrix(X, names=names, min_rows=1)
    R = A if normalized else minmax(A, directions, shift=0.0, names=names)
    plus = grey_relation(R, weights, rho=rho, normalized=True, reference="max")
    minus = grey_relation(R, weights, rho=rho, normalized=True, reference="min")
    rp, rm = plus.scores, minus.scores
    return AggregateResult(
        rp / (rp + rm), f"GRA-TOPSIS (rho={rho})", {"grade_best": rp, "grade_worst": rm}
    )
