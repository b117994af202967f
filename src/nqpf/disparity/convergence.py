"""σ- and β-convergence of regional levels (textbook Barro–Sala-i-Martin forms).

:func:`sigma_convergence` tracks the cross-sectional dispersion σ_t over periods and tests
its linear trend; :func:`beta_convergence` regresses growth on the initial level, pooled
(absolute β) or with two-way fixed effects and controls (conditional β, via
``linearmodels.PanelOLS``).

The formulas are standard textbook forms (Barro and Sala-i-Martin 2004); they have not
been checked against a specific NQPF paper (methods.md §15, [unverified]).  Club
convergence (Phillips–Sul) and spatial β (SAR/SEM/SDM) are not implemented.

Examples
--------
>>> import numpy as np
>>> y = np.array([[1.0, 1.5, 2.0], [4.0, 4.4, 4.8], [9.0, 9.3, 9.6]])  # 3 units × 3 years
>>> s = sigma_convergence(y, periods=None)
>>> np.round(s.sigma, 4).tolist(), s.slope < 0
([0.7071, 0.6353, 0.5741], True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.disparity._validation import (
    as_float_array,
    check_choice,
    drop_empty,
    encode_groups,
    group_rows,
    python_scalar,
)
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "BetaConvergenceResult",
    "SigmaConvergenceResult",
    "beta_convergence",
    "sigma_convergence",
]

_MEASURES = {
    "cv": "coefficient of variation sd/mean",
    "sd_log": "standard deviation of ln y",
    "sd": "standard deviation",
}


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha!r}", field="alpha")
    return float(alpha)


def _time_axis(labels: Sequence) -> tuple[np.ndarray, bool]:
    """Numeric positions of the sorted period labels: the labels themselves if numeric
    (years such as 2012 or "2012"), else 0, 1, 2, …"""
    try:
        t = np.array([float(v) for v in labels])
        if np.isfinite(t).all():
            return t, True
    except (TypeError, ValueError):
        pass
    return np.arange(len(labels), dtype=np.float64), False


# --------------------------------------------------------------------------- sigma


@dataclass(frozen=True, eq=False)
class SigmaConvergenceResult(Result):
    """Dispersion σ_t per period and its linear trend.

    Attributes
    ----------
    periods : tuple
        Period labels in ascending order.
    sigma : numpy.ndarray
        σ_t of every period.
    n : numpy.ndarray
        Units with a value in every period.
    time : numpy.ndarray
        Regressor of the trend: the labels if numeric (years), else 0, 1, 2, …
    slope, intercept, slope_se, slope_t, slope_p : float
        OLS σ_t = a + b·t; b's classical standard error, t and two-sided p (t with
        T − 2 degrees of freedom; NaN with only 2 periods).
    converging : bool
        σ-convergence: slope < 0 and slope_p < alpha.
    measure, ddof, alpha
        Settings.
    """

    periods: tuple
    sigma: np.ndarray
    n: np.ndarray
    time: np.ndarray
    slope: float
    intercept: float
    slope_se: float
    slope_t: float
    slope_p: float
    converging: bool
    measure: str
    ddof: int
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"period": list(self.periods), "n": self.n, "sigma": self.sigma})

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("measure", f"{self.measure} ({_MEASURES[self.measure]}), ddof={self.ddof}"),
            ("periods", f"{self.periods[0]} … {self.periods[-1]} ({len(self.periods)})"),
            (f"σ {self.periods[0]}", float(self.sigma[0])),
            (f"σ {self.periods[-1]}", float(self.sigma[-1])),
            ("trend slope", self.slope),
            ("slope p (two-sided)", self.slope_p),
            ("σ-convergence", "是 (yes)" if self.converging else "否 (no)"),
        ]
        notes = (f"σ-convergence = slope < 0 and p < {self.alpha:g}",)
        return Summary(title="σ收敛 (sigma convergence)", rows=tuple(rows), notes=notes)


def sigma_convergence(
    y,
    periods=None,
    *,
    measure: str = "cv",
    ddof: int = 0,
    alpha: float = 0.05,
) -> SigmaConvergenceResult:
    """σ-convergence: does the cross-sectional dispersion shrink over time?

    Parameters
    ----------
    y : array_like
        With ``periods=None``: a wide n units × T periods array or DataFrame (its
        column labels are the periods).  Otherwise a 1-D array of values stacked over
        periods.
    periods : array_like, optional
        Period label of every value of a 1-D ``y`` (units may differ between periods).
    measure : {"cv", "sd_log", "sd"}
        ``"cv"`` (default): σ_t = sd_t / mean_t, the coefficient of variation
        (methods.md §15); ``"sd_log"``: sd of ln y (Barro and Sala-i-Martin 1992);
        ``"sd"``: sd of y.
    ddof : int
        Delta degrees of freedom of the sd; default 0 (population sd, as methods.md
        R11).  ddof = 1 gives the sample sd (Mexico 1940: CV 0.708521 vs 0.719858).
    alpha : float
        Level of the trend test; default 0.05.

    Returns
    -------
    SigmaConvergenceResult

    Notes
    -----
    The trend test is OLS of σ_t on t (the period labels when numeric, else 0, 1, …)
    with the classical standard error; σ-convergence is declared when the slope is
    negative and significant at ``alpha`` (two-sided p).  With two periods there is no
    test (p = NaN, ``converging`` False).

    References
    ----------
    Barro, R.J. and Sala-i-Martin, X. (1992). Convergence. *Journal of Political Economy*
    100(2): 223–251.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0, 2.0], [3.0, 2.5], [5.0, 3.0]])
    >>> r = sigma_convergence(y, measure="sd")
    >>> np.round(r.sigma, 4).tolist(), r.slope_p
    ([1.633, 0.4082], nan)
    """
    check_choice(measure, "measure", tuple(_MEASURES))
    alpha = _check_alpha(alpha)
    if isinstance(ddof, bool) or not isinstance(ddof, int | np.integer) or ddof < 0:
        raise DataValidationError(
            f"ddof must be a non-negative integer, got {ddof!r}", field="ddof"
        )
    labels, blocks = _period_blocks(y, periods)
    sigma = np.array(
        [_dispersion(b, label, measure, ddof) for b, label in zip(blocks, labels, strict=True)]
    )
    counts = np.array([b.size for b in blocks], dtype=np.int64)
    t, _ = _time_axis(labels)
    fit = _ols_trend(t, sigma)
    converging = bool(fit["slope"] < 0 and fit["p"] < alpha)
    return SigmaConvergenceResult(
        periods=tuple(labels),
        sigma=sigma,
        n=counts,
        time=t,
        slope=fit["slope"],
        intercept=fit["intercept"],
        slope_se=fit["se"],
        slope_t=fit["t"],
        slope_p=fit["p"],
        converging=converging,
        measure=measure,
        ddof=int(ddof),
        alpha=alpha,
    )


def _period_blocks(y, periods) -> tuple[list, list[np.ndarray]]:
    """Period labels and the values of each period: the columns of a wide ``y`` (in label
    order) or the values of a 1-D ``y`` grouped by ``periods``."""
    if periods is None:
        labels = list(y.columns) if isinstance(y, pd.DataFrame) else None
        A = as_float_array(y, "y")
        if A.ndim != 2:
            raise DataValidationError(
                "without periods=, y must be a 2-D (units × periods) array; pass periods= "
                "for stacked 1-D values",
                field="y",
            )
        labels = labels if labels is not None else list(range(A.shape[1]))
        order = sorted(range(len(labels)), key=lambda j: _sort_key(labels[j]))
        labels = [python_scalar(labels[j]) for j in order]
        blocks = [A[:, j] for j in order]
    else:
        v = as_float_array(y, "y").ravel()
        p = np.asarray(periods).ravel()
        if p.shape[0] != v.shape[0]:
            raise DataValidationError(
                f"periods has {p.shape[0]} entries but y has {v.shape[0]} values", field="periods"
            )
        uniq, codes = drop_empty(*encode_groups(p, v.shape[0], field="periods"))
        labels = [python_scalar(u) for u in uniq]
        blocks = [v[rows] for rows in group_rows(codes, uniq.shape[0])]
    if len(blocks) < 2:
        raise DataValidationError(
            f"σ-convergence needs at least 2 periods, got {len(blocks)}", field="periods"
        )
    return labels, blocks


def _dispersion(b: np.ndarray, label, measure: str, ddof: int) -> float:
    """σ of one period's values ``b`` by ``measure``; raise naming the period ``label``."""
    bad = ~np.isfinite(b)
    if bad.any():
        raise DataValidationError(
            f"period {label!r} has {int(bad.sum())} missing or infinite value(s); drop "
            "or impute them first",
            field="y",
        )
    if b.size <= ddof:
        raise DataValidationError(
            f"period {label!r} has {b.size} unit(s); need more than ddof={ddof}", field="y"
        )
    if measure == "sd_log":
        if (b <= 0).any():
            raise DataValidationError(
                f"measure='sd_log' needs y > 0; period {label!r} has a value ≤ 0",
                field="y",
            )
        return np.log(b).std(ddof=ddof)
    if measure == "cv":
        mean = b.mean()
        if mean <= 0:
            raise DataValidationError(
                f"measure='cv' needs a positive mean; period {label!r} has mean {mean:g}",
                field="y",
            )
        return b.std(ddof=ddof) / mean
    return b.std(ddof=ddof)


def _sort_key(v):
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def _ols_trend(t: np.ndarray, s: np.ndarray) -> dict[str, float]:
    from scipy import stats  # here, not at import (0.4 s)

    T = t.size
    tc = t - t.mean()
    sxx = float(tc @ tc)
    slope = float(tc @ (s - s.mean())) / sxx
    intercept = float(s.mean() - slope * t.mean())
    if T <= 2:
        return {
            "slope": slope,
            "intercept": intercept,
            "se": math.nan,
            "t": math.nan,
            "p": math.nan,
        }
    resid = s - intercept - slope * t
    s2 = float(resid @ resid) / (T - 2)
    se = math.sqrt(s2 / sxx)
    tstat = slope / se if se > 0 else math.copysign(math.inf, slope) if slope else math.nan
    p = (
        float(2 * stats.t.sf(abs(tstat), T - 2))
        if math.isfinite(tstat)
        else (0.0 if slope else 1.0)
    )
    return {"slope": slope, "intercept": intercept, "se": se, "t": tstat, "p": p}


# --------------------------------------------------------------------------- beta


@dataclass(frozen=True, eq=False)
class BetaConvergenceResult(Result):
    """β-convergence regression.

    Attributes
    ----------
    beta, se, t, p : float
        Coefficient of ln y_t, its standard error, t statistic and two-sided p-value.
    speed : float
        Convergence speed v = −ln(1 + β) / T (NaN if 1 + β ≤ 0).
    half_life : float
        ln 2 / v in the units of the period labels (NaN unless v > 0).
    converging : bool
        β < 0 and p < alpha.
    T : float
        Length of one growth interval (the period step for ``horizon=1``, last − first
        period for ``"long"``).
    n_obs, n_entities, n_periods, df : int
        Observations (growth rates), entities, periods, and the degrees of freedom of the
        t distribution used for p.
    r2 : float
        R² (within R² for the fixed-effects model).
    table : pandas.DataFrame
        All coefficients: ``coef``, ``se``, ``t``, ``p``, ``ci_lower``, ``ci_upper``.
    kind, horizon, cov, effects, alpha
        Settings.
    """

    beta: float
    se: float
    t: float
    p: float
    speed: float
    half_life: float
    converging: bool
    T: float
    n_obs: int
    n_entities: int
    n_periods: int
    df: int
    r2: float
    table: pd.DataFrame = field(repr=False)
    kind: str = "absolute"
    horizon: Any = 1
    cov: str = "clustered"
    effects: tuple = ()
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table with a leading ``term`` column."""
        return self.table.rename_axis("term").reset_index()

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("β", self.beta),
            ("se", self.se),
            ("t", self.t),
            ("p", self.p),
            ("speed v", self.speed),
            ("half-life", self.half_life),
            ("β-convergence", "是 (yes)" if self.converging else "否 (no)"),
            ("kind", self.kind),
            ("horizon", self.horizon),
            ("covariance", self.cov),
            ("effects", ", ".join(self.effects) or "none"),
            ("observations", self.n_obs),
            ("entities", self.n_entities),
            ("R²", self.r2),
        ]
        notes = (f"convergence = β < 0 and p < {self.alpha:g}; v = −ln(1+β)/T with T = {self.T:g}",)
        title = "绝对β收敛" if self.kind == "absolute" else "条件β收敛"
        return Summary(title=f"{title} (beta convergence)", rows=tuple(rows), notes=notes)


def _as_controls(controls, n: int) -> tuple[np.ndarray, list[str]]:
    if controls is None:
        return np.empty((n, 0)), []
    if isinstance(controls, pd.DataFrame):
        names = [str(c) for c in controls.columns]
        X = controls.to_numpy(dtype=np.float64)
    elif isinstance(controls, Mapping):
        names = [str(k) for k in controls]
        X = np.column_stack([np.asarray(v, dtype=np.float64).ravel() for v in controls.values()])
    else:
        X = np.asarray(controls, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        names = [f"x{j + 1}" for j in range(X.shape[1])]
    if X.ndim != 2 or X.shape[0] != n:
        raise DataValidationError(
            f"controls must have one row per observation ({n}), got shape {X.shape}",
            field="controls",
        )
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataValidationError(
            f"controls have missing or infinite values; the first is row {i}",
            column=names[j],
            data_row=int(i),
        )
    if "ln_y0" in names:
        raise DataValidationError("a control may not be named 'ln_y0'", field="controls")
    return X, names


def beta_convergence(
    y,
    entity,
    period,
    *,
    kind: str = "absolute",
    controls=None,
    effects: Sequence[str] | None = None,
    horizon: int | str = 1,
    cov: str | None = None,
    alpha: float = 0.05,
) -> BetaConvergenceResult:
    """β-convergence: do units that start lower grow faster?

    Parameters
    ----------
    y : array_like, shape (N,)
        Level (e.g. per-capita GDP, an index score), > 0, one value per (entity, period)
        row of a long panel.
    entity, period : array_like, shape (N,)
        Labels of the rows.  Periods are ordered by value; numeric labels (years) also
        give the interval length T.
    kind : {"absolute", "conditional"}
        ``"absolute"`` (default): pooled OLS with an intercept,
        ln(y_{i,t+1}/y_{i,t}) = α + β ln y_{i,t} + ε.  ``"conditional"``: the same with
        ``controls`` (measured at t) and fixed ``effects``, estimated by
        ``linearmodels.PanelOLS`` (within transformation).
    controls : array_like (N, k), DataFrame or mapping name → array, optional
        Conditional only; row-aligned with ``y``.  None is allowed (fixed effects only).
    effects : sequence of {"entity", "time"}, optional
        Conditional only; default ``("entity", "time")`` (two-way fixed effects).
    horizon : 1 or "long"
        ``1`` (default): growth between consecutive periods of the panel (only pairs of
        adjacent periods that an entity has both).  ``"long"``: one cross-section,
        growth from the first to the last period on the first-period level (absolute
        only; every entity needs both periods).
    cov : {"clustered", "robust", "unadjusted"}, optional
        Standard errors.  Default ``"clustered"`` by entity for ``horizon=1`` and
        ``"robust"`` for the long cross-section.  Small-sample forms as Stata:
        unadjusted s²(X'X)⁻¹; robust HC1 = n/(n − k)·HC0; clustered CR1 = G/(G − 1)·
        (N − 1)/(N − k), with p from t(G − 1) (conditional: linearmodels with
        ``debiased=True`` and ``group_debias=True``, effects counted as linearmodels
        does).
    alpha : float
        Level for ``converging``; default 0.05.

    Returns
    -------
    BetaConvergenceResult

    Notes
    -----
    Speed v = −ln(1 + β)/T and half-life τ = ln 2 / v (methods.md §15), T the interval
    length: the common gap between consecutive period labels when they are numeric
    (e.g. 10 for decades), 1 for non-numeric labels, and last − first for
    ``horizon="long"``.  Periods with unequal gaps are rejected for ``horizon=1``.  The
    forms are textbook (Barro and Sala-i-Martin 2004) and [unverified] against a specific
    NQPF paper.

    References
    ----------
    Barro, R.J. and Sala-i-Martin, X. (2004). *Economic Growth*, 2nd ed. MIT Press, ch. 11.

    Examples
    --------
    >>> import numpy as np
    >>> ent = np.repeat(["a", "b", "c", "d"], 3)
    >>> per = np.tile([2020, 2021, 2022], 4)
    >>> y = np.array([1, 1.5, 2.1, 2, 2.6, 3.3, 4, 4.6, 5.3, 8, 8.6, 9.3])
    >>> r = beta_convergence(y, ent, per)
    >>> round(r.beta, 4), r.n_obs, r.T
    (-0.1554, 8, 1.0)
    """
    cov, effects_t, alpha = _beta_options(kind, controls, effects, horizon, cov, alpha)
    v, ent, per = _long_levels(y, entity, period)
    X_ctrl, ctrl_names = _as_controls(controls, v.shape[0])
    grid = _LevelGrid.of(v, ent, per, kind)
    growth = _growth_rates(grid, horizon, X_ctrl)
    if kind == "absolute":
        fit = _ols(growth.g, growth.x0, growth.entity, cov)
    else:
        fit = _panel_fe(
            growth.g,
            growth.x0,
            growth.controls,
            ctrl_names,
            growth.entity,
            growth.start,
            effects_t,
            cov,
        )
    return _beta_result(
        fit,
        growth,
        len(grid.periods),
        kind=kind,
        horizon=horizon,
        cov=cov,
        effects=effects_t,
        alpha=alpha,
    )


def _beta_options(
    kind, controls, effects, horizon, cov, alpha
) -> tuple[str, tuple[str, ...], float]:
    """Check the settings of :func:`beta_convergence` against each other.

    Returns the covariance (its default depends on ``horizon``), the fixed effects as a
    tuple and alpha as a float.
    """
    check_choice(kind, "kind", ("absolute", "conditional"))
    alpha = _check_alpha(alpha)
    if horizon not in (1, "long") or isinstance(horizon, bool):
        raise DataValidationError(f"horizon must be 1 or 'long', got {horizon!r}", field="horizon")
    if cov is None:
        cov = "clustered" if horizon == 1 else "robust"
    check_choice(cov, "cov", ("clustered", "robust", "unadjusted"))
    if kind == "absolute":
        if controls is not None:
            raise DataValidationError(
                "absolute β-convergence has no controls; use kind='conditional'", field="controls"
            )
        if effects is not None and tuple(effects):
            raise DataValidationError(
                "absolute β-convergence has no fixed effects; use kind='conditional'",
                field="effects",
            )
        return cov, (), alpha
    if horizon != 1:
        raise DataValidationError(
            "conditional β-convergence is estimated on the panel of growth rates "
            "(horizon=1) with fixed effects",
            field="horizon",
        )
    effects_t = ("entity", "time") if effects is None else tuple(effects)
    for e in effects_t:
        check_choice(e, "effects", ("entity", "time"))
    if len(set(effects_t)) != len(effects_t):
        raise DataValidationError(f"effects repeats an entry: {effects_t}", field="effects")
    return cov, effects_t, alpha


def _long_levels(y, entity, period) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levels (positive, finite), entity and period labels of a long panel, as 1-D arrays."""
    v = as_float_array(y, "y").ravel()
    N = v.shape[0]
    ent = np.asarray(entity).ravel()
    per = np.asarray(period).ravel()
    for name, arr in (("entity", ent), ("period", per)):
        if arr.shape[0] != N:
            raise DataValidationError(
                f"{name} has {arr.shape[0]} entries but y has {N} values", field=name
            )
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"y must be positive and finite (logs are taken); {int(bad.sum())} value(s) are "
            f"not, the first is {v[i]} (entity {python_scalar(ent[i])!r}, "
            f"period {python_scalar(per[i])!r})",
            field="y",
            data_row=i,
        )
    return v, ent, per


@dataclass(frozen=True)
class _LevelGrid:
    """ln y of a long panel laid out as entities × periods (periods in time order)."""

    log_y: np.ndarray  # (entities, periods), NaN where an entity lacks a period
    row: np.ndarray  # input row of every cell, −1 where missing
    entities: np.ndarray  # entity labels, sorted
    periods: list  # period labels, in time order
    time: np.ndarray  # numeric time axis of the periods (see _time_axis)
    numeric: bool  # whether the period labels themselves are numbers

    @classmethod
    def of(cls, v: np.ndarray, ent: np.ndarray, per: np.ndarray, kind: str) -> _LevelGrid:
        """The grid of levels ``v``; raise on too few periods or a repeated (entity, period)."""
        ent_labels, ent_code = np.unique(ent, return_inverse=True)
        per_labels, per_code = np.unique(per, return_inverse=True)
        per_labels = [python_scalar(p) for p in per_labels]
        order = sorted(range(len(per_labels)), key=lambda k: _sort_key(per_labels[k]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        per_code = rank[per_code]
        per_labels = [per_labels[k] for k in order]
        K = len(per_labels)
        need = 3 if kind == "conditional" else 2
        if need > K:
            raise DataValidationError(
                f"{kind} β-convergence needs at least {need} periods, got {K}"
                + (" (fixed effects need two growth periods)" if kind == "conditional" else ""),
                field="period",
            )
        key = ent_code * K + per_code
        uniq, counts = np.unique(key, return_counts=True)
        if (counts > 1).any():
            k = int(uniq[np.argmax(counts > 1)])
            raise DataValidationError(
                f"entity {python_scalar(ent_labels[k // K])!r} has more than one row for period "
                f"{per_labels[k % K]!r}",
                field="period",
            )
        t_axis, numeric = _time_axis(per_labels)
        log_y = np.full((len(ent_labels), K), np.nan)
        log_y[ent_code, per_code] = np.log(v)
        row = np.full((len(ent_labels), K), -1, dtype=np.int64)
        row[ent_code, per_code] = np.arange(v.shape[0])
        return cls(log_y, row, ent_labels, per_labels, t_axis, numeric)


@dataclass(frozen=True)
class _Growth:
    """The regression data: growth g = ln(y_end / y_start) on x0 = ln y_start."""

    g: np.ndarray
    x0: np.ndarray
    entity: np.ndarray  # entity index (grid row) of every observation
    start: np.ndarray  # period index (grid column) where each growth interval starts
    controls: np.ndarray  # control values at the start, one row per observation
    T: float  # length of one growth interval


def _growth_rates(grid: _LevelGrid, horizon, X_ctrl: np.ndarray) -> _Growth:
    """Growth between adjacent periods (``horizon=1``) or from first to last (``"long"``)."""
    log_y = grid.log_y
    if horizon == 1:
        gaps = np.diff(grid.time)
        if grid.numeric and not np.allclose(
            gaps, gaps[0], rtol=0, atol=1e-9 * max(1.0, abs(gaps[0]))
        ):
            raise DataValidationError(
                f"periods are unevenly spaced (gaps {sorted(set(gaps.tolist()))}); horizon=1 "
                "needs equal intervals",
                field="period",
            )
        e_idx, k_idx = np.nonzero(np.isfinite(log_y[:, :-1]) & np.isfinite(log_y[:, 1:]))
        x0 = log_y[e_idx, k_idx]
        growth = _Growth(
            g=log_y[e_idx, k_idx + 1] - x0,
            x0=x0,
            entity=e_idx,
            start=k_idx,
            controls=X_ctrl[grid.row[e_idx, k_idx]],
            T=float(gaps[0]),
        )
    else:
        missing = [
            python_scalar(grid.entities[i])
            for i in range(len(grid.entities))
            if not (np.isfinite(log_y[i, 0]) and np.isfinite(log_y[i, -1]))
        ]
        if missing:
            raise DataValidationError(
                f"horizon='long' needs every entity in the first ({grid.periods[0]!r}) and last "
                f"({grid.periods[-1]!r}) period; missing for {', '.join(map(str, missing[:8]))}",
                field="entity",
            )
        x0 = log_y[:, 0]
        growth = _Growth(
            g=log_y[:, -1] - x0,
            x0=x0,
            entity=np.arange(len(grid.entities)),
            start=np.zeros(len(grid.entities), dtype=np.int64),
            controls=X_ctrl[:0],
            T=float(grid.time[-1] - grid.time[0]),
        )
    if growth.g.size == 0:
        raise DataValidationError(
            "no entity has two adjacent periods, so there are no growth rates", field="period"
        )
    return growth


def _beta_result(
    fit: dict[str, Any],
    growth: _Growth,
    n_periods: int,
    *,
    kind: str,
    horizon,
    cov: str,
    effects: tuple[str, ...],
    alpha: float,
) -> BetaConvergenceResult:
    """β, its inference, speed and half-life from a fitted regression."""
    ln_y0 = fit["table"].loc["ln_y0"]
    beta, p = float(ln_y0["coef"]), float(ln_y0["p"])
    T = growth.T
    speed = -math.log1p(beta) / T if beta > -1 and T > 0 else math.nan
    half_life = math.log(2) / speed if speed > 0 else math.nan
    return BetaConvergenceResult(
        beta=beta,
        se=float(ln_y0["se"]),
        t=float(ln_y0["t"]),
        p=p,
        speed=speed,
        half_life=half_life,
        converging=bool(beta < 0 and p < alpha),
        T=T,
        n_obs=int(growth.g.size),
        n_entities=int(np.unique(growth.entity).size),
        n_periods=n_periods,
        df=int(fit["df"]),
        r2=float(fit["r2"]),
        table=fit["table"],
        kind=kind,
        horizon=horizon,
        cov=cov,
        effects=effects,
        alpha=alpha,
    )


def _table(names, coef, se, df) -> pd.DataFrame:
    from scipy import stats  # here, not at import (0.4 s)

    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef / se
    p = 2 * stats.t.sf(np.abs(t), df)
    q = stats.t.ppf(0.975, df)
    return pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            "t": t,
            "p": p,
            "ci_lower": coef - q * se,
            "ci_upper": coef + q * se,
        },
        index=pd.Index(names),
    )


def _cluster_df(G: int) -> int:
    """Degrees of freedom G − 1 of inference clustered by entity; raise below 2 entities."""
    if G < 2:
        raise DataValidationError(
            "clustered standard errors need at least 2 entities", field="entity"
        )
    return G - 1


def _ols(g: np.ndarray, x0: np.ndarray, groups: np.ndarray, cov: str) -> dict[str, Any]:
    """Pooled OLS g = α + β x0 with Stata-style covariance."""
    n = g.size
    X = np.column_stack([np.ones(n), x0])
    k = X.shape[1]
    if n <= k:
        raise DataValidationError(
            f"{n} growth observation(s) are too few for a regression with {k} coefficients",
            field="y",
        )
    if np.ptp(x0) == 0:
        raise DataValidationError(
            "ln y_t is the same for every observation; β is not identified", field="y"
        )
    XtX_inv = np.linalg.inv(X.T @ X)
    coef = XtX_inv @ (X.T @ g)
    e = g - X @ coef
    if cov == "unadjusted":
        V = XtX_inv * float(e @ e) / (n - k)
        df = n - k
    elif cov == "robust":
        meat = (X * (e**2)[:, None]).T @ X
        V = XtX_inv @ meat @ XtX_inv * n / (n - k)
        df = n - k
    else:
        codes = np.unique(groups, return_inverse=True)[1]
        G = int(codes.max()) + 1
        df = _cluster_df(G)
        S = np.zeros((G, k))
        np.add.at(S, codes, X * e[:, None])
        V = XtX_inv @ (S.T @ S) @ XtX_inv * (G / (G - 1)) * ((n - 1) / (n - k))
    se = np.sqrt(np.diag(V))
    tss = float(((g - g.mean()) ** 2).sum())
    r2 = 1.0 - float(e @ e) / tss if tss > 0 else math.nan
    return {"table": _table(["const", "ln_y0"], coef, se, df), "df": df, "r2": r2}


def _panel_fe(g, x0, X_c, ctrl_names, e_idx, k_idx, effects, cov) -> dict[str, Any]:
    """Fixed-effects regression of g on ln y_t (and controls) with linearmodels.PanelOLS."""
    from linearmodels.panel import PanelOLS

    index = pd.MultiIndex.from_arrays([e_idx, k_idx], names=["entity", "time"])
    exog = pd.DataFrame(np.column_stack([x0, X_c]), index=index, columns=["ln_y0", *ctrl_names])
    dep = pd.Series(g, index=index, name="growth")
    model = PanelOLS(
        dep,
        exog,
        entity_effects="entity" in effects,
        time_effects="time" in effects,
        check_rank=True,
    )
    kwargs: dict[str, Any] = {"cov_type": cov, "debiased": True}
    if cov == "clustered":
        kwargs.update(cluster_entity=True, group_debias=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(**kwargs)
    except ValueError as exc:
        raise DataValidationError(
            f"the fixed-effects regression failed: {exc}", field="y"
        ) from None
    df = _cluster_df(int(np.unique(e_idx).size)) if cov == "clustered" else int(res.df_resid)
    names = list(res.params.index)
    table = _table(names, res.params.to_numpy(), res.std_errors.to_numpy(), df)
    return {"table": table, "df": df, "r2": float(res.rsquared)}
