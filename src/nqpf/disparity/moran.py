"""Moran's I, global and local, with their analytical and permutation inference.

:func:`moran` computes global Moran's I with its normal and randomisation moments and an
optional permutation test; :func:`local_moran` computes Anselin's local I_i, the
Moran-scatter quadrants and conditional-permutation pseudo p-values.  Both take a
:class:`~nqpf.disparity.weights.SpatialWeights`.

Conventions follow PySAL ``esda`` (the test oracle, methods.md §14): row-standardised W by
default, pseudo p = (M + 1) / (P + 1) with the "directed" (folded) count, quadrant codes
of the PySAL or GeoDa scheme.  Randomness comes only from the ``rng`` argument.

Examples
--------
The 3 × 3 rook lattice with y = 1 … 9 and binary weights (methods.md §14.1):

>>> from nqpf.disparity.weights import lattice_adjacency, spatial_weights
>>> w = spatial_weights(lattice_adjacency(3, 3), transform="b")
>>> r = moran(range(1, 10), w)
>>> round(r.I, 6), round(r.VI_norm, 6), round(r.VI_rand, 6)
(0.5, 0.053125, 0.059688)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.disparity._panel import ByPeriod, by_period
from nqpf.disparity._validation import check_choice, python_scalar, values_per_unit
from nqpf.disparity.crand import (
    ALTERNATIVES,
    TIE_RTOL,
    as_rng,
    check_permutations,
    conditional_permutation,
    permutation_blocks,
    pseudo_p,
)
from nqpf.disparity.weights import SpatialWeights, as_weights
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "LocalMoranBVResult",
    "LocalMoranResult",
    "MoranBVResult",
    "MoranRateResult",
    "MoranResult",
    "eb_standardized_rates",
    "local_moran",
    "local_moran_bv",
    "moran",
    "moran_bv",
    "moran_rate",
]

_CLUSTER_LABELS = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低"}
_NOT_SIGNIFICANT = "不显著"
_QUADRANT_CODES = {
    "pysal": {"HH": 1, "LH": 2, "LL": 3, "HL": 4},
    "geoda": {"HH": 1, "LL": 2, "LH": 3, "HL": 4},
}


# --------------------------------------------------------------------------- helpers


def _deviations(v: np.ndarray, statistic: str, field: str = "y") -> tuple[np.ndarray, float]:
    """z = v − v̄ and Σz², or raise when v is constant (up to rounding): no I is defined."""
    z = v - v.mean()
    z2ss = float(z @ z)
    if z2ss <= 1e-24 * max(1.0, float(np.abs(v).max()) ** 2) * v.shape[0]:
        raise DataValidationError(
            f"{field} is constant across units; {statistic} is undefined", field=field
        )
    return z, z2ss


# --------------------------------------------------------------------------- Moran


def _drop_islands(
    y: np.ndarray, w: SpatialWeights, islands: str
) -> tuple[np.ndarray, SpatialWeights, tuple]:
    check_choice(islands, "islands", ("error", "ignore"))
    if not w.islands:
        return y, w, ()
    if islands == "error":
        shown = ", ".join(map(str, w.islands[:10])) + (" …" if len(w.islands) > 10 else "")
        raise DataValidationError(
            f"{len(w.islands)} unit(s) have no neighbours (islands): {shown}; their spatial lag "
            "is 0 and Moran's I would count them as dissimilar to their (absent) neighbours. "
            "Link them (e.g. province_weights(hainan='guangdong')) or pass islands='ignore' to "
            "drop them from the statistic",
            field="islands",
        )
    dropped: list = []
    while w.islands:
        dropped += w.islands
        bad = set(w.islands)
        keep = [i for i, v in enumerate(w.ids) if v not in bad]
        y = y[keep]
        w = w.subset([w.ids[i] for i in keep])
    return y, w, tuple(dropped)


@dataclass(frozen=True, eq=False)
class MoranResult(Result):
    """Global Moran's I with analytical and (optionally) permutation inference.

    Attributes
    ----------
    I, EI : float
        Moran's I and E[I] = −1 / (n − 1).
    VI_norm, VI_rand : float
        Variance under normality and under randomisation (methods.md §14.1).
    z_norm, p_norm, z_rand, p_rand : float
        z = (I − E[I]) / √V and its p-value (two-tailed if ``two_tailed``).
    p_sim : float
        Pseudo p-value (M + 1) / (P + 1) from P random permutations (NaN without them).
    EI_sim, seI_sim, z_sim, p_z_sim : float
        Mean and standard deviation (ddof = 0) of the permuted I, z = (I − EI_sim) /
        seI_sim and its one-tailed normal p-value, as esda.
    sim : numpy.ndarray or None
        The P permuted values of I.
    n, permutations, two_tailed, alternative, transform, dropped
        Sample size used, settings and the ids of islands dropped (``islands="ignore"``).
    """

    I: float  # noqa: E741
    EI: float
    VI_norm: float
    VI_rand: float
    z_norm: float
    p_norm: float
    z_rand: float
    p_rand: float
    n: int
    permutations: int = 0
    p_sim: float = math.nan
    EI_sim: float = math.nan
    seI_sim: float = math.nan
    z_sim: float = math.nan
    p_z_sim: float = math.nan
    sim: np.ndarray | None = field(default=None, repr=False)
    two_tailed: bool = True
    alternative: str = "directed"
    transform: str = "r"
    dropped: tuple = ()

    @property
    def seI_norm(self) -> float:
        return math.sqrt(self.VI_norm)

    @property
    def seI_rand(self) -> float:
        return math.sqrt(self.VI_rand)

    def to_frame(self) -> pd.DataFrame:
        cols = ["I", "EI", "VI_norm", "z_norm", "p_norm", "VI_rand", "z_rand", "p_rand", "n"]
        if self.permutations:
            cols += ["permutations", "p_sim", "EI_sim", "seI_sim", "z_sim", "p_z_sim"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self) -> Summary:
        tails = "two-tailed" if self.two_tailed else "one-tailed"
        rows = [
            ("Moran's I", self.I),
            ("E[I]", self.EI),
            ("z (normality)", self.z_norm),
            (f"p (normality, {tails})", self.p_norm),
            ("z (randomisation)", self.z_rand),
            (f"p (randomisation, {tails})", self.p_rand),
            ("n", self.n),
            ("W transform", self.transform),
        ]
        if self.permutations:
            rows += [
                ("permutations", self.permutations),
                (f"pseudo p ({self.alternative})", self.p_sim),
                ("z (permutation)", self.z_sim),
            ]
        notes = ()
        if self.dropped:
            notes = (f"islands dropped: {', '.join(map(str, self.dropped))}",)
        return Summary(title="全局莫兰指数 (global Moran's I)", rows=tuple(rows), notes=notes)


def _align(y, w: SpatialWeights):
    """A pandas Series indexed by the weights' ids is put in the weights' row order."""
    if isinstance(y, pd.Series) and not isinstance(y.index, pd.RangeIndex):
        idx = [python_scalar(v) for v in y.index]
        if len(idx) == w.n and set(idx) == set(w.ids):
            pos = {v: i for i, v in enumerate(idx)}
            return y.to_numpy()[[pos[v] for v in w.ids]]
    return y


def moran(
    y,
    w,
    permutations: int = 0,
    rng=None,
    *,
    periods=None,
    two_tailed: bool = True,
    alternative: str = "directed",
    islands: str = "error",
    transform: str | None = None,
) -> MoranResult | ByPeriod:
    """Global Moran's I.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w`` (a pandas Series indexed by the
        ids is re-ordered).  With ``periods``, the values of all periods stacked, each
        period's block in ``w``'s order.
    w : SpatialWeights, array_like, scipy.sparse matrix, libpysal ``W``, mapping or list
        Spatial weights in any form :func:`~nqpf.disparity.weights.as_weights` accepts: a
        :class:`SpatialWeights` (used with its own transformation), a dense or sparse
        n × n matrix, an adjacency mapping ``{id: [neighbours]}`` or a list of neighbour
        lists (row-standardised, as esda's default ``transformation="r"``).  Converted
        once per call.
    permutations : int
        Number P of random permutations of y for the pseudo p-value; default 0 (none).
    rng : numpy.random.Generator, int or None
        Source of randomness for the permutations (seed it for reproducible p_sim).
    periods : array_like, optional
        Period label of every value: returns a :class:`~nqpf.disparity._panel.ByPeriod`
        of one result per period (the generator is shared, in period order).
    two_tailed : bool
        Double the one-tailed normal p-values ``p_norm`` and ``p_rand`` (default True, as
        esda).  ``p_sim`` and ``p_z_sim`` are one-tailed, as in esda.
    alternative : {"directed", "greater", "lesser"}
        How M in (M + 1)/(P + 1) is counted: ``"directed"`` (default, esda's legacy
        choice) counts permuted I ≥ I and takes the smaller tail; ``"greater"`` counts
        I_sim ≥ I, ``"lesser"`` I_sim ≤ I.
    islands : {"error", "ignore"}
        Units without neighbours raise an error (default); ``"ignore"`` drops them (and
        re-standardises rows that linked to them) before computing I, and lists them in
        ``dropped``.
    transform : {"r", "b", "none"}, optional
        Re-transform the weights (esda's ``transformation``): default keeps a
        :class:`SpatialWeights`' own and row-standardises every other input.

    Returns
    -------
    MoranResult or ByPeriod

    Notes
    -----
    I = (n / S₀) zᵀWz / zᵀz with z = y − ȳ; E[I] = −1/(n − 1);
    VI_norm = (n²S₁ − nS₂ + 3S₀²) / ((n² − 1)S₀²) − E[I]²;
    VI_rand = [n((n² − 3n + 3)S₁ − nS₂ + 3S₀²) − b₂((n² − n)S₁ − 2nS₂ + 6S₀²)] /
    ((n − 1)(n − 2)(n − 3)S₀²) − E[I]², b₂ = nΣz⁴/(Σz²)² (Cliff and Ord 1981; esda,
    methods.md §14.1).  Permutations are evaluated in memory-bounded blocks: Z (n × m
    permuted copies of z), L = W Z, I_sim = (n/S₀) colsum(Z ∘ L)/zᵀz.  The identity
    arrangement is one of the permutations, so permuted values equal to I up to rounding
    (relative 1e-10 of the bound on |I|) count as ties on both sides.

    References
    ----------
    Cliff, A.D. and Ord, J.K. (1981). *Spatial Processes: Models and Applications*. Pion.

    Examples
    --------
    >>> from nqpf.disparity.weights import lattice_adjacency, spatial_weights
    >>> w = spatial_weights(lattice_adjacency(3, 3))
    >>> r = moran([1, 2, 3, 4, 5, 6, 7, 8, 9], w, permutations=99, rng=0)
    >>> round(r.I, 4), round(r.EI, 4), r.p_sim < 0.1
    (0.5556, -0.125, True)
    """
    check_choice(alternative, "alternative", ALTERNATIVES)
    permutations = check_permutations(permutations)
    w = as_weights(w, transform=transform)
    options = {
        "w": w,
        "permutations": permutations,
        "rng": as_rng(rng),
        "two_tailed": two_tailed,
        "alternative": alternative,
        "islands": islands,
    }
    if periods is not None:
        v = np.asarray(y, dtype=np.float64).ravel()
        return by_period(_moran, periods, v.shape[0], {"y": v}, "Moran's I", **options)
    return _moran(_align(y, w), **options)


def _moran(y, *, w, permutations, rng, two_tailed, alternative, islands) -> MoranResult:
    v = values_per_unit(y, w.n)
    return MoranResult(**_global_fields(v, w, permutations, rng, two_tailed, alternative, islands))


def _global_fields(
    v: np.ndarray, w: SpatialWeights, permutations, rng, two_tailed, alternative, islands
) -> dict[str, Any]:
    """Every field of :class:`MoranResult` for the values ``v`` (one per unit of ``w``)."""
    from scipy import stats  # here, not at import (0.4 s)

    v, w, dropped = _drop_islands(v, w, islands)
    n = v.shape[0]
    if n < 4:
        raise DataValidationError(
            f"Moran's I needs at least 4 units (the randomisation variance divides by "
            f"(n−1)(n−2)(n−3)), got {n}",
            field="y",
        )
    z, z2ss = _deviations(v, "Moran's I")
    W = w.sparse
    s0, s1, s2 = w.s0, w.s1, w.s2
    if s0 <= 0:
        raise DataValidationError("the weights have no links (S0 = 0)", field="w")
    I = n / s0 * float(z @ (W @ z)) / z2ss  # noqa: E741
    EI = -1.0 / (n - 1)
    s02 = s0 * s0
    VI_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - EI * EI
    b2 = n * float((z**4).sum()) / z2ss**2
    A = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    B = b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
    VI_rand = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s02) - EI * EI
    z_norm = (I - EI) / math.sqrt(VI_norm)
    z_rand = (I - EI) / math.sqrt(VI_rand) if VI_rand > 0 else math.nan
    tails = 2.0 if two_tailed else 1.0
    p_norm = tails * float(stats.norm.sf(abs(z_norm)))
    p_rand = tails * float(stats.norm.sf(abs(z_rand))) if math.isfinite(z_rand) else math.nan
    extra: dict[str, Any] = {}
    if permutations:
        sim = _permuted_I(z, W, n / s0 / z2ss, permutations, rng)
        # The observed arrangement is among the permutations: values equal to I up to
        # rounding count as ties (≥ and ≤), so the count does not hinge on the last bit.
        tol = TIE_RTOL * n / s0 * float(np.abs(z).max()) ** 2 * float(W.sum()) / z2ss
        extra = _simulated(I, sim, tol, alternative)
    return dict(
        I=I,
        EI=EI,
        VI_norm=VI_norm,
        VI_rand=VI_rand,
        z_norm=z_norm,
        p_norm=p_norm,
        z_rand=z_rand,
        p_rand=p_rand,
        n=n,
        permutations=permutations,
        two_tailed=two_tailed,
        alternative=alternative,
        transform=w.transform,
        dropped=dropped,
        **extra,
    )


def _simulated(I: float, sim: np.ndarray, tol: float, alternative: str) -> dict[str, Any]:  # noqa: E741
    """p_sim, EI_sim, seI_sim, z_sim, p_z_sim and sim of a global statistic's permutations.

    Permuted values within ``tol`` of the observed one count as ties (≥ and ≤).
    """
    from scipy import stats  # here, not at import (0.4 s)

    P = sim.shape[0]
    ge = int((sim >= I - tol).sum())
    le = int((sim <= I + tol).sum())
    EI_sim = float(sim.mean())
    seI_sim = float(sim.std())
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = float((I - EI_sim) / seI_sim) if seI_sim > 0 else math.nan
    return {
        "p_sim": float(pseudo_p(ge, le, P, alternative)),
        "EI_sim": EI_sim,
        "seI_sim": seI_sim,
        "z_sim": z_sim,
        "p_z_sim": float(stats.norm.sf(abs(z_sim))) if math.isfinite(z_sim) else math.nan,
        "sim": sim,
    }


def _permuted_I(z: np.ndarray, W, scale: float, P: int, rng: np.random.Generator) -> np.ndarray:
    """I for P random permutations of z (:func:`~nqpf.disparity.crand.permutation_blocks`).

    Z (m × n) holds m uniformly permuted copies of z; L = W Zᵀ (n × m) their spatial lags;
    I_sim = scale · diag(Z L).
    """
    out = np.empty(P)
    start = 0
    for Z in permutation_blocks(z, P, rng):
        m = Z.shape[0]
        out[start : start + m] = np.einsum("ij,ji->i", Z, W @ Z.T)
        start += m
    return out * scale


# --------------------------------------------------------------------------- rates


def eb_standardized_rates(events, population) -> np.ndarray:
    """Empirical-Bayes standardised rates (Assunção and Reis 1999), as esda's ``assuncao_rate``.

    Parameters
    ----------
    events : array_like, shape (n,)
        Event counts e_i (cases, firms founded …), finite and ≥ 0.
    population : array_like, shape (n,)
        Population at risk b_i, finite and > 0.

    Returns
    -------
    numpy.ndarray
        z_i = (r_i − β̂) / √v_i.

    Notes
    -----
    With r_i = e_i / b_i, β̂ = Σe / Σb (the overall rate), b̄ = Σb / n,
    s² = Σ b_i (r_i − β̂)² / Σb, α̂ = s² − β̂ / b̄ and v_i = α̂ + β̂ / b_i; where v_i < 0
    the variance is taken as β̂ / b_i (α̂ set to 0 for that unit), as esda does.  The
    standardisation removes the variance instability of raw rates (small populations give
    extreme rates), which biases Moran's I of raw rates.

    References
    ----------
    Assunção, R.M. and Reis, E.A. (1999). A new proposal to adjust Moran's I for population
    density. *Statistics in Medicine* 18: 2147–2162.

    Examples
    --------
    >>> eb_standardized_rates([1, 2, 6, 1], [100, 100, 150, 50]).round(4)
    array([-1.2247, -0.4082,  1.8371, -0.25  ])
    """
    e = values_per_unit(events, np.asarray(events).size, "events")
    b = values_per_unit(population, e.shape[0], "population")
    if (e < 0).any():
        i = int(np.argmax(e < 0))
        raise DataValidationError(
            f"events must be non-negative counts; unit {i} has {e[i]:g}",
            field="events",
            data_row=i,
        )
    if (b <= 0).any():
        i = int(np.argmax(b <= 0))
        raise DataValidationError(
            f"population must be positive; unit {i} has {b[i]:g}", field="population", data_row=i
        )
    r = e / b
    B = float(b.sum())
    beta = float(e.sum()) / B
    s2 = float((b * (r - beta) ** 2).sum()) / B
    alpha = s2 - beta / (B / b.shape[0])
    v = alpha + beta / b
    v = np.where(v < 0, beta / b, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (r - beta) / np.sqrt(v)


@dataclass(frozen=True, eq=False)
class MoranRateResult(MoranResult):
    """Moran's I of rates (esda ``Moran_Rate``): a :class:`MoranResult` of the rates.

    Attributes
    ----------
    rates : numpy.ndarray
        The values whose I was computed: EB-standardised rates (``adjusted=True``) or raw
        rates e/b, one per unit of the weights (before islands are dropped).
    adjusted : bool
        Whether the rates were EB-standardised.
    (every attribute of :class:`MoranResult`)
    """

    rates: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    adjusted: bool = True

    def to_frame(self) -> pd.DataFrame:
        frame = super().to_frame()
        frame.insert(0, "rates", "EB standardised" if self.adjusted else "raw")
        return frame

    def summary(self) -> Summary:
        base = super().summary()
        kind = "经验贝叶斯标准化 (Assunção–Reis)" if self.adjusted else "原始比率 e/b"
        return Summary(
            title="比率的全局莫兰指数 (Moran's I of rates)",
            rows=(("rates", kind), *base.rows),
            notes=base.notes,
        )


def moran_rate(
    events,
    population,
    w,
    permutations: int = 0,
    rng=None,
    *,
    adjusted: bool = True,
    two_tailed: bool = True,
    alternative: str = "directed",
    islands: str = "error",
    transform: str | None = None,
) -> MoranRateResult:
    """Global Moran's I of a rate e/b, empirical-Bayes standardised (esda ``Moran_Rate``).

    Parameters
    ----------
    events, population : array_like, shape (n,)
        Counts e_i and population at risk b_i > 0 of every unit, in the row order of
        ``w`` (e.g. enterprises certified and enterprises in a county).
    w : SpatialWeights, matrix, mapping or list
        As in :func:`moran`.
    permutations, rng, two_tailed, alternative, islands, transform
        As in :func:`moran` (default 0 permutations; esda's ``Moran_Rate`` defaults to 999).
    adjusted : bool, default True
        Standardise the rates with :func:`eb_standardized_rates` (Assunção and Reis 1999;
        esda's default).  ``False`` uses the raw rates e/b.

    Returns
    -------
    MoranRateResult

    Notes
    -----
    I, its moments and its permutation test are those of :func:`moran` applied to the
    (standardised) rates.  The rates are formed on all units before islands are dropped
    (``islands="ignore"``), so β̂ and b̄ use the whole population at risk.

    References
    ----------
    Assunção, R.M. and Reis, E.A. (1999). A new proposal to adjust Moran's I for population
    density. *Statistics in Medicine* 18: 2147–2162.

    Examples
    --------
    >>> from nqpf.disparity.weights import lattice_adjacency
    >>> e = [3, 4, 9, 2, 6, 12, 5, 9, 14]
    >>> b = [100, 120, 110, 90, 100, 105, 95, 100, 100]
    >>> r = moran_rate(e, b, lattice_adjacency(3, 3))
    >>> round(r.I, 4), round(r.EI, 4), r.rates.shape
    (0.5474, -0.125, (9,))
    """
    check_choice(alternative, "alternative", ALTERNATIVES)
    permutations = check_permutations(permutations)
    w = as_weights(w, transform=transform)
    e = values_per_unit(events, w.n, "events")
    b = values_per_unit(population, w.n, "population")
    if adjusted:
        v = eb_standardized_rates(e, b)
    else:
        if (b <= 0).any():
            i = int(np.argmax(b <= 0))
            raise DataValidationError(
                f"population must be positive; unit {i} has {b[i]:g}",
                field="population",
                data_row=i,
            )
        v = e / b
    fields = _global_fields(v, w, permutations, as_rng(rng), two_tailed, alternative, islands)
    return MoranRateResult(**fields, rates=v, adjusted=bool(adjusted))


# --------------------------------------------------------------------------- bivariate


def _bivariate_values(x, y, w: SpatialWeights, islands: str):
    """x and y as unit-aligned deviations after islands are dropped, and the weights."""
    vx = values_per_unit(_align(x, w), w.n, "x")
    vy = values_per_unit(_align(y, w), w.n, "y")
    both = np.column_stack([vx, vy])
    both, w, dropped = _drop_islands(both, w, islands)
    dx, ssx = _deviations(both[:, 0], "the bivariate Moran's I", field="x")
    dy, ssy = _deviations(both[:, 1], "the bivariate Moran's I", field="y")
    return dx, dy, ssx, ssy, w, dropped


@dataclass(frozen=True, eq=False)
class MoranBVResult(Result):
    """Global bivariate Moran's I of x against the spatial lag of y (esda ``Moran_BV``).

    Attributes
    ----------
    I : float
        (n / S₀) Σ_i x̃_i (W ỹ)_i / √(Σx̃² Σỹ²) with x̃, ỹ the deviations from the means.
    n : int
    permutations : int
    p_sim, EI_sim, seI_sim, z_sim, p_z_sim : float
        Inference from P random permutations of y (x fixed): pseudo p (M + 1)/(P + 1),
        mean and sd (ddof = 0) of the permuted I, z = (I − EI_sim)/seI_sim and its
        one-tailed normal p-value (esda).  NaN without permutations.
    sim : numpy.ndarray or None
        The permuted values of I.
    alternative, transform, dropped
        Counting rule of p_sim, the weights' transformation, islands dropped.
    """

    I: float  # noqa: E741
    n: int
    permutations: int = 0
    p_sim: float = math.nan
    EI_sim: float = math.nan
    seI_sim: float = math.nan
    z_sim: float = math.nan
    p_z_sim: float = math.nan
    sim: np.ndarray | None = field(default=None, repr=False)
    alternative: str = "directed"
    transform: str = "r"
    dropped: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        cols = ["I", "n", "permutations", "p_sim", "EI_sim", "seI_sim", "z_sim", "p_z_sim"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("bivariate Moran's I", self.I),
            ("n", self.n),
            ("W transform", self.transform),
            ("permutations", self.permutations),
        ]
        if self.permutations:
            rows += [
                (f"pseudo p ({self.alternative})", self.p_sim),
                ("E[I] (permutation)", self.EI_sim),
                ("z (permutation)", self.z_sim),
                ("p (z, one-tailed)", self.p_z_sim),
            ]
        notes = ()
        if self.dropped:
            notes = (f"islands dropped: {', '.join(map(str, self.dropped))}",)
        return Summary(
            title="双变量全局莫兰指数 (bivariate Moran's I)", rows=tuple(rows), notes=notes
        )


def moran_bv(
    x,
    y,
    w,
    permutations: int = 999,
    rng=None,
    *,
    alternative: str = "directed",
    islands: str = "error",
    transform: str | None = None,
) -> MoranBVResult:
    """Global bivariate Moran's I: x at a unit against y at its neighbours (Wartenberg 1985).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The two variables, one value per unit in the row order of ``w`` (pandas Series
        indexed by the ids are re-ordered).  y enters through its spatial lag W y.
    w : SpatialWeights, matrix, mapping or list
        As in :func:`moran`.
    permutations : int, default 999
        Random permutations of y (x fixed) for the pseudo p-value (esda's default; there
        is no analytical inference, as in esda).
    rng, alternative, islands, transform
        As in :func:`moran`.

    Returns
    -------
    MoranBVResult

    Notes
    -----
    I_xy = (n / S₀) x̃ᵀ W ỹ / √(x̃ᵀx̃ · ỹᵀỹ), x̃ = x − x̄, ỹ = y − ȳ.  With x = y it is the
    univariate I of :func:`moran`.  esda's ``Moran_BV`` computes Σ z_x (W z_y) / (n − 1)
    with z standardised by the sample sd, which is the same number without the factor
    n / S₀: equal for row-standardised weights (S₀ = n, esda's default and nqpf's), and
    esda's value is nqpf's × S₀/n for other transformations.  A permutation only moves y,
    so the permuted I is a dot product a · ỹ_π with a = (n/S₀) Wᵀx̃ / √(x̃ᵀx̃ ỹᵀỹ) — O(n)
    per permutation, no sparse product.

    References
    ----------
    Wartenberg, D. (1985). Multivariate spatial correlation: a method for exploratory
    geographical analysis. *Geographical Analysis* 17(4): 263–283.
    Anselin, L., Syabri, I. and Smirnov, O. (2002). Visualizing multivariate spatial
    correlation with dynamically linked windows. In *New Tools for Spatial Data Analysis*,
    CSISS, Santa Barbara.

    Examples
    --------
    >>> from nqpf.disparity.weights import lattice_adjacency
    >>> x = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> r = moran_bv(x, x, lattice_adjacency(3, 3), permutations=99, rng=0)
    >>> round(r.I, 4), r.p_sim < 0.05
    (0.5556, True)
    """
    check_choice(alternative, "alternative", ALTERNATIVES)
    permutations = check_permutations(permutations)
    w = as_weights(w, transform=transform)
    gen = as_rng(rng)
    dx, dy, ssx, ssy, w, dropped = _bivariate_values(x, y, w, islands)
    n = dx.shape[0]
    if n < 3:
        raise DataValidationError(f"the bivariate Moran's I needs at least 3 units, got {n}")
    s0 = w.s0
    if s0 <= 0:
        raise DataValidationError("the weights have no links (S0 = 0)", field="w")
    a = (n / s0) * (w.sparse.T @ dx) / math.sqrt(ssx * ssy)
    I = float(a @ dy)  # noqa: E741
    extra: dict[str, Any] = {}
    if permutations:
        sim = np.empty(permutations)
        start = 0
        for Z in permutation_blocks(dy, permutations, gen, copies=1):
            sim[start : start + Z.shape[0]] = Z @ a
            start += Z.shape[0]
        tol = TIE_RTOL * float(np.abs(a).sum()) * float(np.abs(dy).max())
        extra = _simulated(I, sim, tol, alternative)
    return MoranBVResult(
        I=I,
        n=n,
        permutations=permutations,
        alternative=alternative,
        transform=w.transform,
        dropped=dropped,
        **extra,
    )


# --------------------------------------------------------------------------- local Moran


class _LocalMethods:
    """What the local results share: quadrant names, the scatter data and the summary."""

    _TITLE = "局部莫兰指数 (LISA)"

    @property
    def n(self) -> int:
        return int(self.Is.shape[0])

    @property
    def quadrant_names(self) -> np.ndarray:
        """HH / LH / LL / HL of every unit, whatever the code scheme."""
        inv = {v: k for k, v in _QUADRANT_CODES[self.quadrant_scheme].items()}
        return np.array([inv[int(c)] for c in self.q], dtype=object)

    def moran_scatter_data(self) -> pd.DataFrame:
        """Data for a Moran scatter plot: ``id``, ``z``, ``lag``, ``quadrant``, ``cluster``."""
        return self.to_frame()[["id", "z", "lag", "quadrant", "cluster"]]

    def summary(self) -> Summary:
        counts = pd.Series(self.cluster_labels).value_counts()
        rows: list[tuple[str, Any]] = [
            ("n", self.n),
            ("permutations", self.permutations),
            ("alpha", self.alpha),
            ("quadrant scheme", self.quadrant_scheme),
        ]
        order = [*_CLUSTER_LABELS.values(), _NOT_SIGNIFICANT]
        rows += [(label, int(counts.get(label, 0))) for label in order]
        notes = []
        if not self.permutations:
            notes.append("no permutations: p_sim is NaN and no unit is marked significant")
        if self.dropped:
            notes.append(f"islands dropped: {', '.join(map(str, self.dropped))}")
        return Summary(title=self._TITLE, rows=tuple(rows), notes=tuple(notes))


@dataclass(frozen=True, eq=False)
class LocalMoranResult(_LocalMethods, Result):
    """Local Moran's I_i (Anselin 1995) with quadrants and permutation inference.

    Attributes
    ----------
    Is : numpy.ndarray
        I_i = z_i Σ_j w_ij z_j / m₂, m₂ = Σ z² / (n − ddof).
    q : numpy.ndarray of int
        Moran-scatter quadrant of each unit in ``quadrant_scheme`` codes (pysal: HH 1,
        LH 2, LL 3, HL 4; geoda: HH 1, LL 2, LH 3, HL 4).
    p_sim : numpy.ndarray
        Conditional-permutation pseudo p-values (NaN when ``permutations == 0``).
    EI, VI : numpy.ndarray
        Analytical mean −w_i/(n − 1) and variance under total randomisation (Sokal et al.
        1998, eqs. A3–A4*), as esda's ``EI`` and ``VI``.
    EIc, VIc : numpy.ndarray
        Analytical mean and variance under conditional randomisation (z_i fixed; Sokal et
        al. 1998, eqs. A7–A8), as esda's ``EIc`` and ``VIc``: moments of Anselin's I_i
        (m₂ = Σz²/n).  They vary from unit to unit because they condition on z_i.
    z_c, p_c : numpy.ndarray
        z_c = (I_i⁰ − EIc)/√VIc with I_i⁰ = I_i (n − ddof)/n the same statistic in the
        scaling of EIc and VIc, and its one-tailed normal p-value P(Z > |z_c|) (the
        convention of ``p_z_sim``; double it for a two-sided test).  NaN where VIc = 0.
    EI_sim, seI_sim, z_sim, p_z_sim : numpy.ndarray
        Moments of the permuted I_i, z-score and its one-tailed normal p-value (esda).
    significant : numpy.ndarray of bool
        ``p_sim < alpha`` (strict, as esda's cluster labels).
    cluster_labels : numpy.ndarray of str
        高-高 / 低-高 / 低-低 / 高-低 for significant units, else 不显著.
    z, lag : numpy.ndarray
        y standardised (y − ȳ)/sd (ddof = 0, as esda's ``z``) and its spatial lag W z: the
        Moran scatter plot (its fitted slope is the global I for row-standardised W).
    ids : tuple
        Unit ids in the order of the arrays (islands dropped with ``islands="ignore"``).
    sim : numpy.ndarray or None
        P × n permuted I_i when ``keep_simulations=True``.
    """

    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    EI: np.ndarray
    VI: np.ndarray
    EIc: np.ndarray
    VIc: np.ndarray
    z_c: np.ndarray
    p_c: np.ndarray
    EI_sim: np.ndarray
    seI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    significant: np.ndarray
    cluster_labels: np.ndarray
    z: np.ndarray
    lag: np.ndarray
    ids: tuple
    quadrant_scheme: str = "pysal"
    alpha: float = 0.05
    permutations: int = 999
    alternative: str = "directed"
    ddof: int = 1
    transform: str = "r"
    dropped: tuple = ()
    sim: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": list(self.ids),
                "Is": self.Is,
                "z": self.z,
                "lag": self.lag,
                "q": self.q,
                "quadrant": self.quadrant_names,
                "EI": self.EI,
                "VI": self.VI,
                "EIc": self.EIc,
                "VIc": self.VIc,
                "z_c": self.z_c,
                "p_c": self.p_c,
                "p_sim": self.p_sim,
                "z_sim": self.z_sim,
                "p_z_sim": self.p_z_sim,
                "significant": self.significant,
                "cluster": self.cluster_labels,
            }
        )


def local_moran(
    y,
    w,
    permutations: int = 999,
    rng=None,
    *,
    quadrant_scheme: str = "pysal",
    alpha: float = 0.05,
    ddof: int = 1,
    alternative: str = "directed",
    islands: str = "error",
    keep_simulations: bool = False,
    transform: str | None = None,
) -> LocalMoranResult:
    """Local Moran's I (LISA) with conditional-permutation pseudo p-values.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w``.
    w : SpatialWeights, array_like, scipy.sparse matrix, libpysal ``W``, mapping or list
        As in :func:`moran` (converted once; plain inputs are row-standardised).
    permutations : int
        Number P of conditional permutations; default 999 (esda's default).  0 skips
        inference.
    rng : numpy.random.Generator, int or None
        Source of randomness (seed it for reproducible p-values).
    quadrant_scheme : {"pysal", "geoda"}
        Codes in ``q``: ``"pysal"`` (esda's ``Moran_Local.q``) HH 1, LH 2, LL 3, HL 4;
        ``"geoda"`` (esda ``geoda_quads=True``) HH 1, LL 2, LH 3, HL 4 (methods.md §14.2).
        A unit is "high" when z_i > 0 and has a "high" lag when (Wz)_i > 0 (strict, as
        esda).
    alpha : float
        Significance level for ``significant`` and the cluster labels; default 0.05.
    ddof : int
        m₂ = Σz²/(n − ddof).  Default 1 reproduces esda's ``Is`` (and GeoDa's, which
        standardises with the sample sd [unverified]); 0 gives Anselin's (1995) m₂ =
        Σz²/n, which scales every I_i by n/(n − 1).  It does not affect p-values or
        quadrants.
    alternative : {"directed", "greater", "lesser"}
        Counting of M in (M + 1)/(P + 1); see :func:`moran`.  Default ``"directed"``
        (esda's ``Moran_Local.p_sim``).
    islands : {"error", "ignore"}
        See :func:`moran`; with ``"ignore"`` the arrays cover the remaining units, listed
        in ``ids``.
    keep_simulations : bool
        Keep the P × n matrix of permuted I_i in ``sim`` (default False).
    transform : {"r", "b", "none"}, optional
        Re-transform the weights; see :func:`moran`.

    Returns
    -------
    LocalMoranResult

    Notes
    -----
    Conditional randomisation (Anselin 1995): for each unit i, its value stays and k_i
    values drawn without replacement from the other n − 1 are placed on its neighbours.
    As in esda's ``crand``, one P × max k matrix of draws from {0, …, n − 2} is shared by
    all units.  For unit i a draw v stands for unit v, except v = i, which stands for
    unit n − 1 (a bijection onto the other units), so every unit's neighbours receive a
    uniform sample without replacement of the other units' values.  The permuted lags are a dense (P × K)(K × n) product plus a
    scatter correction, evaluated in memory-bounded blocks.  Permuted I_i equal to the
    observed one up to rounding count as ties on both sides.  Pseudo p-values differ
    from esda's by Monte Carlo error only (different random streams).

    EI and VI are reported exactly as esda computes them: they are the moments of
    Anselin's I_i (m₂ = Σz²/n) under total randomisation.  EIc and VIc are the exact
    moments under the conditional randomisation the permutation test simulates: the k_i
    neighbour values are a sample without replacement from the n − 1 other z_j, whose mean
    is −z_i/(n − 1), so with w_i = Σ_j w_ij and w_i(2) = Σ_j w_ij²

    - EIc_i = −z_i² w_i / ((n − 1) m₂);
    - VIc_i = (z_i/m₂)² · n/(n − 2) · (w_i(2) − w_i²/(n − 1)) · (m₂ − z_i²/(n − 1))

    (Sokal et al. 1998, eqs. A7–A8, as esda).  z_c and p_c standardise I_i with them.

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical
    Analysis* 27(2): 93–115.
    Sokal, R.R., Oden, N.L. and Thomson, B.A. (1998). Local spatial autocorrelation in a
    biological model. *Geographical Analysis* 30(4): 331–354.

    Examples
    --------
    >>> from nqpf.disparity.weights import lattice_adjacency, spatial_weights
    >>> w = spatial_weights(lattice_adjacency(3, 3))
    >>> lm = local_moran([1, 2, 6, 2, 3, 9, 4, 8, 9], w, permutations=999, rng=1)
    >>> lm.q.tolist()
    [3, 3, 1, 3, 2, 1, 2, 1, 1]
    >>> lm.to_frame()[["id", "quadrant", "p_sim", "cluster"]].head(3)
       id quadrant  p_sim cluster
    0   0       LL  0.045     低-低
    1   1       LL  0.122     不显著
    2   2       HH  0.442     不显著
    """
    check_choice(quadrant_scheme, "quadrant_scheme", ("pysal", "geoda"))
    check_choice(alternative, "alternative", ALTERNATIVES)
    permutations = check_permutations(permutations)
    if not (0 < alpha < 1):
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}", field="alpha")
    if ddof not in (0, 1):
        raise DataValidationError(f"ddof must be 0 or 1, got {ddof!r}", field="ddof")
    w = as_weights(w, transform=transform)
    gen = as_rng(rng)
    v = values_per_unit(_align(y, w), w.n)
    v, w, dropped = _drop_islands(v, w, islands)
    n = v.shape[0]
    if n < 3:
        raise DataValidationError(f"local Moran needs at least 3 units, got {n}", field="y")
    z, z2ss = _deviations(v, "local Moran")
    W = w.sparse
    m2 = z2ss / (n - ddof)
    lag_z = W @ z
    Is = z * lag_z / m2
    q, quadrants = _quadrants(z, lag_z, quadrant_scheme)
    EI, VI = _local_moments(W, z, z2ss)
    conditional = _conditional_moments(W, z, z2ss, Is * (n - ddof) / n)
    inference = _local_inference(
        z, z / m2, W, Is, permutations, gen, alternative, keep_simulations, alpha
    )
    sd = math.sqrt(z2ss / n)
    return LocalMoranResult(
        Is=Is,
        q=q,
        EI=EI,
        VI=VI,
        **conditional,
        **inference,
        cluster_labels=_cluster_labels(quadrants, inference["significant"]),
        z=z / sd,
        lag=lag_z / sd,
        ids=w.ids,
        quadrant_scheme=quadrant_scheme,
        alpha=float(alpha),
        permutations=permutations,
        alternative=alternative,
        ddof=int(ddof),
        transform=w.transform,
        dropped=dropped,
    )


@dataclass(frozen=True, eq=False)
class LocalMoranBVResult(_LocalMethods, Result):
    """Bivariate local Moran's I_i: x at unit i against y at its neighbours (esda
    ``Moran_Local_BV``).

    Attributes
    ----------
    Is : numpy.ndarray
        I_i = x̃_i Σ_j w_ij ỹ_j / m₂ with m₂ = √(Σx̃² Σỹ²) / (n − ddof).
    q : numpy.ndarray of int
        Quadrant of (x̃_i, (W ỹ)_i) in ``quadrant_scheme`` codes (as :func:`local_moran`).
    p_sim, EI_sim, seI_sim, z_sim, p_z_sim : numpy.ndarray
        Conditional permutation (x_i fixed, the neighbours receive y of other units):
        pseudo p-values and the moments of the permuted I_i (esda).
    significant, cluster_labels : numpy.ndarray
        ``p_sim < alpha`` and 高-高 / 低-高 / 低-低 / 高-低 (x high/low, neighbours' y
        high/low) or 不显著.
    z, lag : numpy.ndarray
        x standardised (ddof = 0) and the spatial lag of y standardised (ddof = 0): the
        bivariate Moran scatter plot.
    ids, quadrant_scheme, alpha, permutations, alternative, ddof, transform, dropped, sim
        As in :class:`LocalMoranResult`.
    """

    _TITLE = "双变量局部莫兰指数 (bivariate LISA)"

    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    EI_sim: np.ndarray
    seI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    significant: np.ndarray
    cluster_labels: np.ndarray
    z: np.ndarray
    lag: np.ndarray
    ids: tuple
    quadrant_scheme: str = "pysal"
    alpha: float = 0.05
    permutations: int = 999
    alternative: str = "directed"
    ddof: int = 1
    transform: str = "r"
    dropped: tuple = ()
    sim: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": list(self.ids),
                "Is": self.Is,
                "z": self.z,
                "lag": self.lag,
                "q": self.q,
                "quadrant": self.quadrant_names,
                "p_sim": self.p_sim,
                "z_sim": self.z_sim,
                "p_z_sim": self.p_z_sim,
                "significant": self.significant,
                "cluster": self.cluster_labels,
            }
        )


def local_moran_bv(
    x,
    y,
    w,
    permutations: int = 999,
    rng=None,
    *,
    quadrant_scheme: str = "pysal",
    alpha: float = 0.05,
    ddof: int = 1,
    alternative: str = "directed",
    islands: str = "error",
    keep_simulations: bool = False,
    transform: str | None = None,
) -> LocalMoranBVResult:
    """Bivariate local Moran's I (bivariate LISA) with conditional-permutation p-values.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The focal variable x and the variable y whose spatial lag is compared with it, one
        value per unit in the row order of ``w``.
    w : SpatialWeights, matrix, mapping or list
        As in :func:`moran`.
    permutations, rng, quadrant_scheme, alpha, alternative, islands, keep_simulations, transform
        As in :func:`local_moran`.
    ddof : int
        m₂ = √(Σx̃²Σỹ²)/(n − ddof); default 1 reproduces esda's ``Moran_Local_BV.Is``.

    Returns
    -------
    LocalMoranBVResult

    Notes
    -----
    I_i = x̃_i (W ỹ)_i / m₂.  With x = y it is :func:`local_moran`'s I_i.  Inference keeps
    x_i and places on unit i's neighbours k_i values of ỹ drawn without replacement from
    the other n − 1 units (esda's conditional randomisation for ``Moran_Local_BV``), with
    the engine of :func:`~nqpf.disparity.crand.conditional_permutation`.  Pseudo p-values
    differ from esda's by Monte Carlo error only.

    References
    ----------
    Anselin, L., Syabri, I. and Smirnov, O. (2002). Visualizing multivariate spatial
    correlation with dynamically linked windows. In *New Tools for Spatial Data Analysis*,
    CSISS, Santa Barbara.

    Examples
    --------
    >>> from nqpf.disparity.weights import lattice_adjacency
    >>> x = [1, 2, 6, 2, 3, 9, 4, 8, 9]
    >>> y = [2, 1, 5, 3, 3, 8, 5, 9, 7]
    >>> r = local_moran_bv(x, y, lattice_adjacency(3, 3), permutations=99, rng=1)
    >>> r.quadrant_names.tolist()[:3], r.Is.round(3)[:3].tolist()
    (['LL', 'LL', 'HL'], [1.225, 0.473, -0.035])
    """
    check_choice(quadrant_scheme, "quadrant_scheme", ("pysal", "geoda"))
    check_choice(alternative, "alternative", ALTERNATIVES)
    permutations = check_permutations(permutations)
    if not (0 < alpha < 1):
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}", field="alpha")
    if ddof not in (0, 1):
        raise DataValidationError(f"ddof must be 0 or 1, got {ddof!r}", field="ddof")
    w = as_weights(w, transform=transform)
    gen = as_rng(rng)
    dx, dy, ssx, ssy, w, dropped = _bivariate_values(x, y, w, islands)
    n = dx.shape[0]
    if n < 3:
        raise DataValidationError(f"local Moran needs at least 3 units, got {n}", field="y")
    W = w.sparse
    m2 = math.sqrt(ssx * ssy) / (n - ddof)
    lag_y = W @ dy
    Is = dx * lag_y / m2
    q, quadrants = _quadrants(dx, lag_y, quadrant_scheme)
    inference = _local_inference(
        dy, dx / m2, W, Is, permutations, gen, alternative, keep_simulations, alpha
    )
    return LocalMoranBVResult(
        Is=Is,
        q=q,
        **inference,
        cluster_labels=_cluster_labels(quadrants, inference["significant"]),
        z=dx / math.sqrt(ssx / n),
        lag=lag_y / math.sqrt(ssy / n),
        ids=w.ids,
        quadrant_scheme=quadrant_scheme,
        alpha=float(alpha),
        permutations=permutations,
        alternative=alternative,
        ddof=int(ddof),
        transform=w.transform,
        dropped=dropped,
    )


def _quadrants(z: np.ndarray, lag_z: np.ndarray, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """Moran-scatter quadrant of every unit: its code in ``scheme`` and its name (HH …).

    A unit is "high" when z_i > 0 and has a "high" lag when (Wz)_i > 0 (strict, as esda).
    """
    hi, lhi = z > 0, lag_z > 0
    where = [hi & lhi, ~hi & lhi, ~hi & ~lhi]
    codes = _QUADRANT_CODES[scheme]
    q = np.select(where, [codes["HH"], codes["LH"], codes["LL"]], codes["HL"]).astype(np.int64)
    return q, np.select(where, ["HH", "LH", "LL"], "HL")


def _local_moments(W, z: np.ndarray, z2ss: float) -> tuple[np.ndarray, np.ndarray]:
    """E[I_i] and Var[I_i] as esda (Sokal et al. 1998, total randomisation, m2 = Σz²/n)."""
    n = z.shape[0]
    wi = np.asarray(W.sum(axis=1)).ravel()
    wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
    m2n = z2ss / n
    b2 = float((z**4).sum()) / n / m2n**2
    EI = -wi / (n - 1)
    VI = wi2 * (n - b2) / (n - 1) + (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - EI**2
    return EI, VI


def _conditional_moments(W, z: np.ndarray, z2ss: float, Is0: np.ndarray) -> dict[str, Any]:
    """EIc, VIc (Sokal et al. 1998, A7–A8; esda) and the z_c, p_c of Anselin's I_i ``Is0``."""
    from scipy import stats  # here, not at import (0.4 s)

    n = z.shape[0]
    m2 = z2ss / n
    wi = np.asarray(W.sum(axis=1)).ravel()
    wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
    z2 = z * z
    EIc = -z2 * wi / ((n - 1) * m2)
    VIc = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / (n - 1)) * (m2 - z2 / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z_c = np.where(VIc > 0, (Is0 - EIc) / np.sqrt(np.where(VIc > 0, VIc, 1.0)), np.nan)
    return {"EIc": EIc, "VIc": VIc, "z_c": z_c, "p_c": stats.norm.sf(np.abs(z_c))}


def _local_inference(values, scale, W, Is, P, rng, alternative, keep, alpha) -> dict[str, Any]:
    """Pseudo p-values, moments of the permuted I_i and significance (all NaN/False, P = 0).

    The neighbours of unit i receive ``values`` of other units; I_i = scale_i · lag.
    """
    from scipy import stats  # here, not at import (0.4 s)

    n = values.shape[0]
    if not P:
        nan = np.full(n, np.nan)
        return {
            "p_sim": nan,
            "EI_sim": nan,
            "seI_sim": nan,
            "z_sim": nan,
            "p_z_sim": nan,
            "sim": None,
            "significant": np.zeros(n, dtype=bool),
        }
    p_sim, EI_sim, seI_sim, sim = conditional_permutation(
        values, scale, W, Is, P, rng, alternative, keep
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (Is - EI_sim) / seI_sim
    return {
        "p_sim": p_sim,
        "EI_sim": EI_sim,
        "seI_sim": seI_sim,
        "z_sim": z_sim,
        "p_z_sim": stats.norm.sf(np.abs(z_sim)),
        "sim": sim,
        "significant": p_sim < alpha,
    }


def _cluster_labels(quadrants: np.ndarray, significant: np.ndarray) -> np.ndarray:
    """高-高 / 低-高 / 低-低 / 高-低 for significant units, else 不显著."""
    return np.array(
        [
            _CLUSTER_LABELS[k] if s else _NOT_SIGNIFICANT
            for k, s in zip(quadrants, significant, strict=True)
        ],
        dtype=object,
    )
