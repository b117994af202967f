"""Indicator weights: entropy, CRITIC, standard deviation, variance, coefficient of
variation, AHP, and combinations.

Every function returns a :class:`WeightResult` whose ``weights`` is a 1-D array summing
to 1 (a 2-D array, one row per period, for per-period entropy weights).  The result
converts to a plain array with ``np.asarray(result)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import xlogy

from nqpf.exceptions import ConsistencyError, DataValidationError
from nqpf.indices._validate import (
    as_directions,
    as_matrix,
    as_periods,
    as_weights,
    check_choice,
    column_label,
)
from nqpf.indices.normalize import minmax
from nqpf.results import Result, Summary

#: Above this many cells entropy weights use the fused one-pass kernels (nqpf.indices._kernels).
FAST_PATH_CELLS = 200_000


@dataclass(frozen=True, eq=False)
class WeightResult(Result):
    """Weights and the intermediate quantities of the method that produced them.

    Attributes
    ----------
    weights : ndarray
        Shape (m,), non-negative, summing to 1; shape (r, m) for per-period weights.
    method : str
        Name of the method with its main conventions.
    names : tuple of str or None
        Indicator names.
    details : dict
        Method-specific intermediates (``entropy`` and ``divergence`` for the entropy
        method, ``std`` and ``conflict`` for CRITIC, ``lambda_max``/``CI``/``CR`` for AHP …).
    periods : ndarray or None
        Period labels of the rows of a per-period weight matrix.
    """

    weights: np.ndarray
    method: str
    names: tuple[str, ...] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    periods: np.ndarray | None = None

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.weights, dtype=dtype)

    def __len__(self) -> int:
        return len(self.weights)

    def _labels(self) -> list[str]:
        m = self.weights.shape[-1]
        return [column_label(j, self.names) for j in range(m)]

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator (or per period × indicator) with the weight and details."""
        labels = self._labels()
        if self.weights.ndim == 2:
            frame = pd.DataFrame(self.weights, columns=labels)
            frame.insert(0, "period", self.periods)
            return frame.melt(id_vars="period", var_name="indicator", value_name="weight")
        frame = pd.DataFrame({"indicator": labels, "weight": self.weights})
        for key, value in self.details.items():
            arr = np.asarray(value)
            if arr.shape == self.weights.shape:
                frame[key] = arr
        return frame

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [("method", self.method)]
        if self.weights.ndim == 1:
            rows += list(zip(self._labels(), self.weights.tolist(), strict=True))
        else:
            rows.append(("periods", len(self.periods)))
        rows += [(k, v) for k, v in self.details.items() if np.ndim(v) == 0]
        return Summary(title="指标权重 (weights)", rows=tuple(rows))


def _normalized_input(X, directions, normalized, names, **minmax_kw) -> np.ndarray:
    if normalized:
        A = as_matrix(X, names=names)
        if (A < 0).any():
            j = int(np.argwhere(A < 0)[0][1])
            raise DataValidationError(
                "normalised values must be non-negative for this method",
                column=column_label(j, names),
            )
        return A
    return minmax(X, directions, names=names, **minmax_kw)


def _entropy_from_normalized(
    P: np.ndarray, names, *, constant_ok: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Entropy e_j (with 0·ln 0 := 0) and weights of a non-negative matrix.

    With ``constant_ok`` a constant column (the ``constant="zero"`` opt-in) gets e_j = 1
    exactly, hence weight 0, even when it was scaled to all zeros.
    """
    n = P.shape[0]
    flat = P.max(axis=0) == P.min(axis=0) if constant_ok else np.zeros(P.shape[1], bool)
    totals = np.where(flat, 1.0, P.sum(axis=0))
    if (totals <= 0).any():
        j = int(np.argmax(totals <= 0))
        raise DataValidationError(
            "indicator sums to 0 after normalisation; the entropy is undefined",
            column=column_label(j, names),
        )
    p = P / totals
    e = np.where(flat, 1.0, -xlogy(p, p).sum(axis=0) / np.log(n))
    return e, _weights_from_divergence(1.0 - e)


def _weights_from_divergence(d: np.ndarray) -> np.ndarray:
    d = np.clip(d, 0.0, None)  # e_j may exceed 1 by rounding when a column is uniform
    total = d.sum()
    if total <= 0:
        raise DataValidationError(
            "every indicator has maximal entropy (all columns uniform): the weights are undefined"
        )
    return d / total


def entropy_weights(
    X,
    directions=None,
    *,
    normalized: bool = False,
    scope: str = "pooled",
    periods=None,
    shift: float | None = None,
    rescale=None,
    extremes: str = "pooled",
    constant: str = "error",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> WeightResult:
    """Entropy weight method (熵值法 / 熵权法).

    p_ij = x'_ij / Σ_i x'_ij, e_j = −(1/ln N) Σ_i p_ij ln p_ij, d_j = 1 − e_j,
    w_j = d_j / Σ_j d_j, where x' is the direction-aware min-max normalised matrix
    (methods.md §2) and 0·ln 0 := 0.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values (or already normalised, non-negative values with
        ``normalized=True``).  For a panel, stack all unit-periods as rows.
    directions : sequence, optional
        +1 / −1 (or "+" / "-") per indicator; used by the normalisation.
    normalized : bool
        Treat ``X`` as already normalised: no min-max step, values must be ≥ 0.
    scope : {"pooled", "per_period"}
        ``"pooled"`` (default): one set of weights from all rows with N = r·n, the
        "加入时间变量的熵值法" of 杨丽 & 孙之淳 (2015), so that scores compare across
        years.  ``"per_period"``: weights estimated within each period (N = n_t); they
        change from year to year, so the resulting index is **not comparable across
        years**.
    periods : array_like, shape (n,), optional
        Period label of each row (needed by ``scope="per_period"`` or
        ``extremes="per_period"``).
    shift, rescale, extremes, constant
        Normalisation conventions, see :func:`nqpf.indices.minmax`.  Default shift 1e-4.
    names : sequence of str, optional
        Indicator names for messages and tables.
    engine : {"auto", "numpy", "numba"}
        ``"auto"`` uses the fused, parallel one-pass kernels for large pooled inputs
        (more than 2e5 cells); they give the same numbers to ~1e-12 without copying X.

    Returns
    -------
    WeightResult
        ``weights`` and, in ``details``, ``entropy`` (e_j) and ``divergence`` (d_j).

    Examples
    --------
    Worked example of the R package mathmodels (methods.md R1), rescaled to [0.002, 0.998]:

    >>> X = [[3, 10], [5, 20], [2, 15], [7, 25]]
    >>> entropy_weights(X, ["+", "-"], rescale=0.002).weights.round(7)
    array([0.5452618, 0.4547382])
    """
    check_choice(scope, "scope", ("pooled", "per_period"))
    check_choice(engine, "engine", ("auto", "numpy", "numba"))
    names_t = tuple(names) if names is not None else None
    mm = {
        "shift": shift,
        "rescale": rescale,
        "extremes": extremes,
        "periods": periods,
        "constant": constant,
    }
    fast = (
        (engine == "numba" or (engine == "auto" and np.size(X) > FAST_PATH_CELLS))
        and scope == "pooled"
        and extremes == "pooled"
        and not normalized
        and rescale is None
    )
    if fast:
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, check_finite=False)
        d = as_directions(directions, A.shape[1])
        e, lo, hi = _kernels.entropy_pooled(A, d, _shift_value(shift), constant, names)
        w = _weights_from_divergence(1.0 - e)
        details = {"entropy": e, "divergence": 1.0 - e, "lo": lo, "hi": hi}
        return WeightResult(w, "entropy (pooled)", names_t, details)
    P = _normalized_input(X, directions, normalized, names, **mm)
    if scope == "pooled":
        e, w = _entropy_from_normalized(P, names, constant_ok=constant == "zero")
        details = {"entropy": e, "divergence": 1.0 - e}
        if not normalized and extremes == "pooled":
            # The extremes used, so that TOPSIS on the same matrix can skip that pass.
            A = np.asarray(X, dtype=np.float64)
            details.update(lo=A.min(axis=0), hi=A.max(axis=0))
        return WeightResult(w, "entropy (pooled)", names_t, details)
    if periods is None:
        raise DataValidationError(
            "scope='per_period' needs the period of every row", field="periods"
        )
    labels, codes = as_periods(periods, P.shape[0])
    W = np.empty((labels.size, P.shape[1]))
    E = np.empty_like(W)
    for t in range(labels.size):
        block = P[codes == t]
        if block.shape[0] < 2:
            raise DataValidationError(
                f"period {labels[t].item()!r} has {block.shape[0]} unit(s); per-period entropy needs at least 2",
                field="periods",
            )
        E[t], W[t] = _entropy_from_normalized(block, names, constant_ok=constant == "zero")
    return WeightResult(
        W,
        "entropy (per period; not comparable across periods)",
        names_t,
        {"entropy": E, "divergence": 1.0 - E},
        periods=labels,
    )


def _shift_value(shift: float | None) -> float:
    from nqpf.indices.normalize import DEFAULT_SHIFT

    s = DEFAULT_SHIFT if shift is None else float(shift)
    if s < 0 or not np.isfinite(s):
        raise DataValidationError(
            f"shift must be a non-negative number, got {shift!r}", field="shift"
        )
    return s


def _use_kernels(engine: str, X) -> bool:
    check_choice(engine, "engine", ("auto", "numpy", "numba"))
    return engine == "numba" or (engine == "auto" and np.size(X) > FAST_PATH_CELLS)


def _check_flat(flat: np.ndarray, constant: str, names, what: str = "zero variance") -> None:
    """Raise for a constant indicator unless ``constant="zero"`` (and not every one is)."""
    if flat.any() and (constant == "error" or flat.all()):
        j = int(np.argmax(flat))
        raise DataValidationError(f"indicator has {what}", column=column_label(j, names))


def critic_weights(
    X,
    directions=None,
    *,
    normalized: bool = False,
    normalization: str = "minmax",
    correlation: str = "pearson",
    absolute: bool = False,
    contrast: str = "std",
    ddof: int = 0,
    constant: str = "error",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> WeightResult:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995).

    C_j = σ_j Σ_k (1 − r_jk), w_j = C_j / Σ_j C_j, on the direction-aware min-max
    normalised matrix (methods.md §3).

    Parameters
    ----------
    normalized : bool
        Treat ``X`` as already normalised: no min-max step, values must be ≥ 0.
    normalization : {"minmax", "none"}
        ``"minmax"`` (default): σ and r of the direction-aware min-max matrix, as in
        Diakoulaki et al. (1995), scikit-criteria ``CRITIC()`` and mathmodels.
        ``"none"``: σ and r of ``X`` as given — scikit-criteria ``CRITIC(scale=False)``.
        Directions are then ignored and σ is in the indicators' own units, so the weights
        change when an indicator is rescaled (yuan → 10⁴ yuan); use it for data that are
        already on a common scale.
    correlation : {"pearson", "spearman"}
        Correlation between indicators.  Pearson follows Diakoulaki et al. (1995).
    absolute : bool
        Use Σ_k (1 − |r_jk|), as some Chinese papers do; default ``False`` (the
        original form).
    contrast : {"std", "entropy"}
        Contrast intensity: the standard deviation σ_j (default, original) or 1 − e_j of
        the entropy method (the ``method = "entropy"`` variant of mathmodels).
    ddof : int
        Degrees of freedom of σ_j.  It cancels in the weights (a common factor); kept for
        the reported ``std``.
    engine : {"auto", "numpy", "numba"}
        ``"auto"`` computes σ and the Pearson correlations of large inputs (more than 2e5
        cells) from one fused pass of centred cross-products, without forming the
        normalised matrix (same numbers to ~1e-12).  Spearman correlations and the entropy
        contrast on unscaled data always use numpy.

    Notes
    -----
    Under min-max scaling z = (x − ref)·k_j, so σ_z = σ_x/(max − min) and
    r(z_j, z_k) = s_j s_k r(x_j, x_k) with s = ±1 the direction: the fused engine computes
    the raw centred cross-products once and rescales them.

    Examples
    --------
    >>> w = critic_weights([[1, 2, 3], [2, 1, 5], [3, 4, 4], [4, 3, 1]]).weights
    >>> float(w.sum())
    1.0
    """
    check_choice(correlation, "correlation", ("pearson", "spearman"))
    check_choice(contrast, "contrast", ("std", "entropy"))
    check_choice(normalization, "normalization", ("minmax", "none"))
    raw = normalized or normalization == "none"
    fast = _use_kernels(engine, X) and correlation == "pearson"
    fast = fast and not (raw and contrast == "entropy")
    if fast:
        sd, flat, R, entropy = _critic_parts_fused(
            X, directions, normalized, raw, ddof, constant, contrast, names
        )
    else:
        sd, flat, R, entropy = _critic_parts(
            X, directions, normalized, raw, correlation, ddof, constant, contrast, names
        )
    # With constant="zero" a constant indicator gets weight 0 and stays out of the
    # correlations, so the others are weighted exactly as if it were dropped.
    live = ~flat
    conflict = np.zeros(sd.shape[0])
    conflict[live] = (1.0 - (np.abs(R) if absolute else R)).sum(axis=0)
    strength = np.zeros(sd.shape[0])
    strength[live] = sd[live] if contrast == "std" else 1.0 - entropy
    info = strength * conflict
    total = info.sum()
    if total <= 0:
        raise DataValidationError("CRITIC information is 0 for every indicator; weights undefined")
    label = f"CRITIC ({correlation}, {'|r|' if absolute else 'r'}, {contrast})"
    if raw and not normalized:
        label = label[:-1] + ", unscaled)"
    return WeightResult(
        info / total,
        label,
        tuple(names) if names is not None else None,
        {"std": sd, "conflict": conflict, "information": info},
    )


def _critic_parts(X, directions, normalized, raw, correlation, ddof, constant, contrast, names):
    """σ_j, the constant-column mask, the correlation matrix of the live columns and (for
    the entropy contrast) their entropies e_j, on the numpy route."""
    if normalized:
        Z = _normalized_input(X, directions, True, names)
    elif raw:
        Z = as_matrix(X, names=names)
    else:
        Z = _normalized_input(X, directions, False, names, shift=0.0, constant=constant)
    sd = Z.std(axis=0, ddof=ddof)
    flat = (sd <= 0) | (Z.max(axis=0) == Z.min(axis=0))
    _check_flat(flat, constant, names)
    Zl = Z[:, ~flat]
    if Zl.shape[1] == 1:
        R = np.ones((1, 1))
    elif correlation == "pearson":
        R = np.corrcoef(Zl, rowvar=False)
    else:
        from scipy import stats  # 50 MB and a second to import: only where Spearman is asked

        R = np.atleast_2d(stats.spearmanr(Zl).statistic)
    entropy = _entropy_from_normalized(Zl, names)[0] if contrast == "entropy" else None
    return sd, flat, R, entropy


def _critic_parts_fused(X, directions, normalized, raw, ddof, constant, contrast, names):
    """The same parts as :func:`_critic_parts` (Pearson), from one pass of centred
    cross-products of the raw matrix (nqpf.indices._kernels), never forming Z."""
    from nqpf.indices import _kernels

    A = as_matrix(X, names=names, check_finite=False)
    d = as_directions(directions, A.shape[1])
    n = A.shape[0]
    lo, hi, _, G = _kernels.centred_moments(A, names, full=True)
    if normalized and (lo < 0).any():
        raise DataValidationError(
            "normalised values must be non-negative for this method",
            column=column_label(int(np.argmax(lo < 0)), names),
        )
    var = np.clip(np.diag(G), 0.0, None) / (n - ddof)
    if raw:
        flat = hi <= lo
        scale = np.ones_like(lo)
        sign = np.ones_like(lo)
    else:
        # Raises "zero range" for constant="error", as minmax() does on the numpy route.
        _, _, flat = _kernels._affine(d, lo, hi, constant, names)
        scale = np.where(flat, 1.0, hi - lo)
        sign = np.where(d > 0, 1.0, -1.0)
    sd = np.where(flat, 0.0, np.sqrt(var) / scale)
    _check_flat(flat, constant, names)
    live = ~flat
    g = np.sqrt(np.diag(G)[live])
    R = G[np.ix_(live, live)] / np.outer(g, g) * np.outer(sign[live], sign[live])
    np.fill_diagonal(R, 1.0)
    entropy = None
    if contrast == "entropy":
        entropy = _kernels.entropy_pooled(A, d, 0.0, constant, names)[0][live]
    return sd, flat, R, entropy


def _dispersion_weights(
    X, kind: str, normalization: str, ddof: int, constant: str, names, engine: str
) -> WeightResult:
    """Shared body of :func:`std_weights` and :func:`variance_weights`."""
    check_choice(normalization, "normalization", ("none", "minmax"))
    if _use_kernels(engine, X):
        from nqpf.indices import _kernels

        A = as_matrix(X, names=names, check_finite=False)
        n = A.shape[0]
        lo, hi, _, ss = _kernels.centred_moments(A, names)
        var = np.clip(ss, 0.0, None) / (n - ddof)
        flat = hi <= lo
        if normalization == "minmax":
            if flat.any() and constant == "error":
                _kernels._affine(np.ones(A.shape[1]), lo, hi, constant, names)  # raises
            var = var / np.where(flat, 1.0, hi - lo) ** 2
        var = np.where(flat, 0.0, var)
    else:
        if normalization == "minmax":
            A = minmax(X, None, shift=0.0, constant=constant, names=names)
        else:
            A = as_matrix(X, names=names)
        flat = A.max(axis=0) == A.min(axis=0)
        var = np.where(flat, 0.0, A.var(axis=0, ddof=ddof))
    if flat.all():
        raise DataValidationError(f"every indicator is constant; {kind} weights undefined")
    sd = np.sqrt(var)
    v = sd if kind == "standard deviation" else var
    key = "std" if kind == "standard deviation" else "variance"
    return WeightResult(
        v / v.sum(),
        f"{kind} ({'raw' if normalization == 'none' else 'min-max'}, ddof={ddof})",
        tuple(names) if names is not None else None,
        {key: v},
    )


def std_weights(
    X,
    *,
    normalization: str = "none",
    ddof: int = 1,
    constant: str = "error",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> WeightResult:
    """Standard-deviation weights (标准离差法): w_j = σ_j / Σ_k σ_k.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values.
    normalization : {"none", "minmax"}
        ``"none"`` (default): σ of the raw values, as pymcdm
        ``standard_deviation_weights``, scikit-criteria ``std_weights`` and pyrepo-mcda
        ``std_weighting`` compute it (Sałabun, Wątróbski & Shekhovtsov 2020).  σ is then
        in each indicator's own unit, so the weights depend on the units: use it only for
        indicators on a common scale.  ``"minmax"``: σ of the min-max normalised values
        (shift 0), unit-free, as in the Chinese 标准离差法 on normalised data.  Direction
        does not matter in either case (σ of max − x equals σ of x − min).
    ddof : int
        1 (sample σ, default, as all three peers) or 0; it cancels in the weights and is
        kept for the reported ``std``.
    constant : {"error", "zero"}
        With ``normalization="minmax"``, a constant indicator raises (default) or gets
        weight 0.  Unscaled, a constant indicator has σ = 0 and simply weight 0.
    engine : {"auto", "numpy", "numba"}
        ``"auto"`` uses two fused passes (column sums, then centred squares) above 2e5
        cells; same numbers to ~1e-12.

    Returns
    -------
    WeightResult
        ``weights`` and ``details["std"]`` (σ_j).

    References
    ----------
    Jahan, A. & Edwards, K. L. (2013). Weighting of dependent and target-based criteria
    for optimal decision-making in materials selection process. *Materials & Design*
    49, 1000–1008 (pymcdm's test case).

    Examples
    --------
    pymcdm's test case (Jahan & Edwards 2013), published to 2 d.p. as [0.35, 0.31, 0.34]:

    >>> X = [[0, 0, 0], [0.39, 0.3, 0.77], [0.17, 0.36, 0.8], [0.35, 0.29, 0.93],
    ...      [0.3, 0.4, 0.94], [0.84, 0.71, 1], [1, 1, 0.99]]
    >>> std_weights(X).weights.round(2)
    array([0.35, 0.31, 0.34])
    """
    return _dispersion_weights(
        X, "standard deviation", normalization, ddof, constant, names, engine
    )


def variance_weights(
    X,
    *,
    normalization: str = "minmax",
    ddof: int = 1,
    constant: str = "error",
    names: Sequence[str] | None = None,
    engine: str = "auto",
) -> WeightResult:
    """Variance weights: w_j = σ²_j / Σ_k σ²_k.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw indicator values.
    normalization : {"minmax", "none"}
        ``"minmax"`` (default): variance of the min-max normalised values (shift 0), as
        pymcdm ``variance_weights`` and pyrepo-mcda ``stat_var_weighting`` compute it;
        direction does not matter.  ``"none"``: variance of the raw values (unit-dependent).
    ddof : int
        1 (default, as pymcdm) or 0 (pyrepo-mcda); it cancels in the weights.
    constant : {"error", "zero"}
        With ``normalization="minmax"``, a constant indicator raises (default) or gets
        weight 0.
    engine : {"auto", "numpy", "numba"}
        As for :func:`std_weights`.

    Returns
    -------
    WeightResult
        ``weights`` and ``details["variance"]`` (σ²_j).

    Examples
    --------
    pymcdm's own test case (``test_weights.py``, ``TestVarianceWeights``):

    >>> X = [[100, 4, 500], [110, 5, 550], [120, 6, 600], [121, 8, 400]]
    >>> variance_weights(X).weights.round(4)
    array([0.3761, 0.312 , 0.312 ])
    """
    return _dispersion_weights(X, "variance", normalization, ddof, constant, names, engine)


def cv_weights(X, *, ddof: int = 1, names: Sequence[str] | None = None) -> WeightResult:
    """Coefficient-of-variation weights: v_j = s_j / x̄_j, w_j = v_j / Σ v_j.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Raw, strictly positive values (methods.md §4; mathmodels ``cv_weight`` stops on
        non-positive data too).  Direction does not enter the CV.
    ddof : int
        1 (sample standard deviation, default, as mathmodels) or 0.

    Examples
    --------
    >>> cv_weights([[10, 5], [20, 10], [15, 8]]).weights.round(6)
    array([0.503839, 0.496161])
    """
    A = as_matrix(X, names=names)
    bad = A <= 0
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataValidationError(
            f"coefficient-of-variation weights need strictly positive values; row {i} is {float(A[i, j])}",
            column=column_label(j, names),
            data_row=int(i),
        )
    v = A.std(axis=0, ddof=ddof) / A.mean(axis=0)
    if v.sum() <= 0:
        raise DataValidationError("every indicator is constant; CV weights undefined")
    return WeightResult(
        v / v.sum(),
        f"coefficient of variation (ddof={ddof})",
        tuple(names) if names is not None else None,
        {"cv": v},
    )


@cache
def _random_index() -> dict[int, float]:
    text = resources.files("nqpf.indices").joinpath("data/ahp_random_index.yaml").read_text("utf-8")
    return {int(k): float(v) for k, v in yaml.safe_load(text)["values"].items()}


def ahp_weights(
    A,
    *,
    method: str = "eigenvector",
    max_cr: float | None = 0.1,
    random_index: float | None = None,
    names: Sequence[str] | None = None,
    tol: float = 1e-6,
    field: str = "A",
) -> WeightResult:
    """Analytic hierarchy process weights from a pairwise comparison matrix.

    Parameters
    ----------
    A : array_like, shape (m, m)
        Positive reciprocal matrix of Saaty-scale judgements (a_ji = 1 / a_ij).
    method : {"eigenvector", "geometric", "arithmetic"}
        Principal right eigenvector (Saaty 1980, default), row geometric mean (方根法)
        or column-normalised row mean (和积法).  pyDecision #15 traced a mismatch with a
        paper to this choice, so the method used is recorded in the result.
    max_cr : float or None
        Raise :class:`~nqpf.exceptions.ConsistencyError` when the consistency ratio
        CR = CI / RI exceeds this (Saaty's 0.1).  ``None`` accepts any CR.
    random_index : float, optional
        RI to use instead of the shipped Saaty table (``data/ahp_random_index.yaml``).
    field : str
        Name of the matrix in error messages (e.g. the config key it came from).

    Returns
    -------
    WeightResult
        ``details`` holds ``lambda_max``, ``CI``, ``RI`` and ``CR``.

    Examples
    --------
    >>> res = ahp_weights([[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]])
    >>> res.weights.round(4), round(res.details["CR"], 4)
    (array([0.637 , 0.2583, 0.1047]), 0.0332)
    """
    check_choice(method, "method", ("eigenvector", "geometric", "arithmetic"))
    M = np.asarray(A, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise DataValidationError(
            f"the AHP matrix must be square, got shape {M.shape}", field=field
        )
    m = M.shape[0]
    if not np.isfinite(M).all() or (M <= 0).any():
        raise DataValidationError("AHP judgements must be positive finite numbers", field=field)
    off = np.abs(M * M.T - 1.0) > tol
    if off.any():
        i, j = np.argwhere(off)[0]
        raise DataValidationError(
            f"the AHP matrix is not reciprocal: a[{i},{j}]·a[{j},{i}] = {M[i, j] * M[j, i]:.6g}, expected 1",
            field=field,
        )
    if method == "eigenvector":
        vals, vecs = np.linalg.eig(M)
        k = int(np.argmax(vals.real))
        w = np.abs(vecs[:, k].real)
        lam = float(vals[k].real)
    else:
        if method == "geometric":
            w = np.exp(np.log(M).mean(axis=1))
        else:
            w = (M / M.sum(axis=0)).mean(axis=1)
        w = w / w.sum()
        lam = float(np.mean((M @ w) / w))
    w = w / w.sum()
    ci = (lam - m) / (m - 1) if m > 2 else 0.0
    if random_index is None:
        table = _random_index()
        if m not in table:
            raise DataValidationError(
                f"no random index RI shipped for order {m}; pass random_index=", field=field
            )
        random_index = table[m]
    cr = ci / random_index if random_index > 0 else 0.0
    if max_cr is not None and cr > max_cr:
        raise ConsistencyError(
            field=field,
            message=f"AHP consistency ratio CR = {cr:.4f} exceeds {max_cr}; revise the judgements "
            "or pass max_cr=None to accept them",
        )
    return WeightResult(
        w,
        f"AHP ({method})",
        tuple(names) if names is not None else None,
        {"lambda_max": lam, "CI": ci, "RI": float(random_index), "CR": cr},
    )


def combine_weights(
    subjective, objective, *, method: str = "linear", alpha: float = 0.5
) -> WeightResult:
    """Combine subjective (e.g. AHP) and objective (e.g. entropy) weights.

    Parameters
    ----------
    method : {"linear", "multiplicative", "game", "game_linear"}
        - ``linear``: w = α w_s + (1 − α) w_o;
        - ``multiplicative``: w_j ∝ w_s,j · w_o,j;
        - ``game``: w_j ∝ sqrt(w_s,j · w_o,j);
        - ``game_linear`` (game-theory combination): with W = [w_s, w_o], solve
          (WᵀW) a = diag(WᵀW), normalise a to sum 1, w = W a.
        Formulas as in the R package mathmodels ``combine_weights`` (methods.md §5).
    alpha : float
        Share of the subjective weights in the linear combination.

    Examples
    --------
    >>> combine_weights([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], method="multiplicative").weights
    array([0.34482759, 0.31034483, 0.34482759])
    """
    check_choice(method, "method", ("linear", "multiplicative", "game", "game_linear"))
    ws = np.asarray(getattr(subjective, "weights", subjective), dtype=np.float64).ravel()
    ws = as_weights(ws, ws.shape[0], what="subjective")
    wo = as_weights(objective, ws.shape[0], what="objective")
    details: dict[str, Any] = {}
    if method == "linear":
        if not 0 <= alpha <= 1:
            raise DataValidationError(f"alpha must lie in [0, 1], got {alpha}", field="alpha")
        w = alpha * ws + (1 - alpha) * wo
        details["alpha"] = alpha
    elif method == "multiplicative":
        w = ws * wo
    elif method == "game":
        w = np.sqrt(ws * wo)
    else:
        W = np.column_stack([ws, wo])
        S = W.T @ W
        try:
            a = np.linalg.solve(S, np.diag(S))
        except np.linalg.LinAlgError:
            raise DataValidationError(
                "game-theory combination is singular (the two weight vectors are identical)"
            ) from None
        a = a / a.sum()
        w = W @ a
        details["coefficients"] = a
        if (w < 0).any():
            raise DataValidationError(
                f"game-theory coefficients {a.round(4).tolist()} give negative weights"
            )
    if w.sum() <= 0:
        raise DataValidationError("the combined weights sum to 0 (no overlap of the two vectors)")
    suffix = f", alpha={alpha}" if method == "linear" else ""
    return WeightResult(w / w.sum(), f"combined ({method}{suffix})", None, details)


def given_weights(
    weights, m: int | None = None, *, normalize: bool = False, names=None
) -> WeightResult:
    """Wrap user-given weights after checking length, sign and sum (1 ± 1e-6)."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    w = as_weights(w, w.shape[0] if m is None else m, normalize=normalize)
    return WeightResult(w, "given", tuple(names) if names is not None else None)
