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

import numba
import numpy as np
import pandas as pd
from scipy import stats

from nqpf.disparity._panel import ByPeriod, by_period
from nqpf.disparity._validation import check_choice, python_scalar, values_per_unit
from nqpf.disparity.weights import SpatialWeights
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = ["LocalMoranResult", "MoranResult", "local_moran", "moran"]

_ALTERNATIVES = ("directed", "greater", "lesser")
#: Permuted statistics within this fraction of their bound of the observed one are ties.
_TIE_RTOL = 1e-10
#: Bytes of float64 working memory a permutation chunk may use (two n × m blocks).
_CHUNK_BYTES = 1 << 25
_CLUSTER_LABELS = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低"}
_NOT_SIGNIFICANT = "不显著"
_QUADRANT_CODES = {
    "pysal": {"HH": 1, "LH": 2, "LL": 3, "HL": 4},
    "geoda": {"HH": 1, "LL": 2, "LH": 3, "HL": 4},
}


# --------------------------------------------------------------------------- helpers


def _as_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed or None (never the legacy RNG)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise DataValidationError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__} "
        "(the legacy numpy.random.RandomState / global seed is not used)",
        field="rng",
    )


def _check_permutations(permutations) -> int:
    """The number of permutations as an int ≥ 0 (not a bool), else raise."""
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < 0
    ):
        raise DataValidationError(
            f"permutations must be a non-negative integer, got {permutations!r}",
            field="permutations",
        )
    return int(permutations)


def _check_weights(w) -> None:
    if not isinstance(w, SpatialWeights):
        raise DataValidationError(
            "w must be a SpatialWeights (build one with spatial_weights(...))", field="w"
        )


def _deviations(v: np.ndarray, statistic: str) -> tuple[np.ndarray, float]:
    """z = v − v̄ and Σz², or raise when v is constant (up to rounding): no I is defined."""
    z = v - v.mean()
    z2ss = float(z @ z)
    if z2ss <= 1e-24 * max(1.0, float(np.abs(v).max()) ** 2) * v.shape[0]:
        raise DataValidationError(
            f"y is constant across units; {statistic} is undefined", field="y"
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


def _p_sim(observed, sims_ge: np.ndarray, sims_le: np.ndarray, P: int, alternative: str):
    """Pseudo p = (M + 1) / (P + 1) with M counted as esda's ``alternative``."""
    if alternative == "greater":
        m = sims_ge
    elif alternative == "lesser":
        m = sims_le
    else:  # esda "directed": the smaller tail of the ≥ count
        m = np.minimum(sims_ge, P - sims_ge)
    return (m + 1.0) / (P + 1.0)


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
    w: SpatialWeights,
    permutations: int = 0,
    rng=None,
    *,
    periods=None,
    two_tailed: bool = True,
    alternative: str = "directed",
    islands: str = "error",
) -> MoranResult | ByPeriod:
    """Global Moran's I.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w`` (a pandas Series indexed by the
        ids is re-ordered).  With ``periods``, the values of all periods stacked, each
        period's block in ``w``'s order.
    w : SpatialWeights
        Used with its own transformation (row-standardised by default, as esda).
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
    check_choice(alternative, "alternative", _ALTERNATIVES)
    permutations = _check_permutations(permutations)
    _check_weights(w)
    options = {
        "w": w,
        "permutations": permutations,
        "rng": _as_rng(rng),
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
        tol = _TIE_RTOL * n / s0 * float(np.abs(z).max()) ** 2 * float(W.sum()) / z2ss
        ge = int((sim >= I - tol).sum())
        le = int((sim <= I + tol).sum())
        EI_sim = float(sim.mean())
        seI_sim = float(sim.std())
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = float((I - EI_sim) / seI_sim) if seI_sim > 0 else math.nan
        extra = {
            "p_sim": float(_p_sim(I, ge, le, permutations, alternative)),
            "EI_sim": EI_sim,
            "seI_sim": seI_sim,
            "z_sim": z_sim,
            "p_z_sim": float(stats.norm.sf(abs(z_sim))) if math.isfinite(z_sim) else math.nan,
            "sim": sim,
        }
    return MoranResult(
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


@numba.njit(parallel=True, cache=True, nogil=True)
def _shuffle_rows(z, U, out):  # pragma: no cover - compiled
    """Row r of ``out`` = z shuffled by Fisher–Yates driven by the uniforms ``U[r]``.

    Every row depends only on its own row of U, so the result does not depend on the
    number of threads; U comes from the caller's Generator, so the draw is seeded.
    """
    m, n = out.shape
    for r in numba.prange(m):
        row = out[r]
        for i in range(n):
            row[i] = z[i]
        for i in range(n - 1, 0, -1):
            j = int(U[r, i - 1] * (i + 1))
            if j > i:  # guard against rounding at u → 1
                j = i
            t = row[i]
            row[i] = row[j]
            row[j] = t


def _permuted_I(z: np.ndarray, W, scale: float, P: int, rng: np.random.Generator) -> np.ndarray:
    """I for P random permutations of z, in blocks of m rows (≤ ``_CHUNK_BYTES``).

    Z (m × n) holds m uniformly permuted copies of z; L = W Zᵀ (n × m) their spatial lags;
    I_sim = scale · diag(Z L).
    """
    n = z.shape[0]
    m_max = max(1, min(P, _CHUNK_BYTES // (24 * n)))
    out = np.empty(P)
    Z = np.empty((m_max, n))
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        _shuffle_rows(z, rng.random((m, n - 1)), Z[:m])
        L = W @ Z[:m].T
        out[start : start + m] = np.einsum("ij,ji->i", Z[:m], L)
    return out * scale


# --------------------------------------------------------------------------- local Moran


@dataclass(frozen=True, eq=False)
class LocalMoranResult(Result):
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
                "p_sim": self.p_sim,
                "z_sim": self.z_sim,
                "p_z_sim": self.p_z_sim,
                "significant": self.significant,
                "cluster": self.cluster_labels,
            }
        )

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
        return Summary(title="局部莫兰指数 (LISA)", rows=tuple(rows), notes=tuple(notes))


def _draw_ids(P: int, K: int, N: int, rng: np.random.Generator) -> np.ndarray:
    """P rows of K distinct integers from range(N), each row a uniform ordered sample."""
    if K == 0:
        return np.empty((P, 0), dtype=np.int64)
    if K * (K - 1) < N:  # duplicates are rare: draw with replacement, redraw bad rows
        out = rng.integers(0, N, size=(P, K))
        bad = np.arange(P)
        while True:
            s = np.sort(out[bad], axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            bad = bad[dup]
            if not bad.size:
                return out
            out[bad] = rng.integers(0, N, size=(bad.size, K))
    return np.argsort(rng.random((P, N)), axis=1)[:, :K]


def local_moran(
    y,
    w: SpatialWeights,
    permutations: int = 999,
    rng=None,
    *,
    quadrant_scheme: str = "pysal",
    alpha: float = 0.05,
    ddof: int = 1,
    alternative: str = "directed",
    islands: str = "error",
    keep_simulations: bool = False,
) -> LocalMoranResult:
    """Local Moran's I (LISA) with conditional-permutation pseudo p-values.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w``.
    w : SpatialWeights
        Used with its own transformation (row-standardised by default, as esda).
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
    Anselin's I_i (m₂ = Σz²/n) under total randomisation.

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
    check_choice(alternative, "alternative", _ALTERNATIVES)
    permutations = _check_permutations(permutations)
    if not (0 < alpha < 1):
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}", field="alpha")
    if ddof not in (0, 1):
        raise DataValidationError(f"ddof must be 0 or 1, got {ddof!r}", field="ddof")
    _check_weights(w)
    gen = _as_rng(rng)
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
    inference = _local_inference(
        z, W, Is, m2, permutations, gen, alternative, keep_simulations, alpha
    )
    sd = math.sqrt(z2ss / n)
    return LocalMoranResult(
        Is=Is,
        q=q,
        EI=EI,
        VI=VI,
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


def _local_inference(z, W, Is, m2, P, rng, alternative, keep, alpha) -> dict[str, Any]:
    """Pseudo p-values, moments of the permuted I_i and significance (all NaN/False, P = 0)."""
    n = z.shape[0]
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
    p_sim, EI_sim, seI_sim, sim = _crand(z, W, Is, m2, P, rng, alternative, keep)
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


def _crand(z, W, Is, m2, P, rng, alternative, keep):
    """Conditional-permutation distribution of every I_i (see :func:`local_moran` Notes)."""
    n = z.shape[0]
    card = np.diff(W.indptr)
    K = int(card.max())
    # Padded neighbour weights: Wpad[i, j] = j-th stored weight of row i (0 beyond k_i).
    Wpad = np.zeros((n, K))
    slot = np.arange(W.nnz) - np.repeat(W.indptr[:-1], card)
    Wpad[np.repeat(np.arange(n), card), slot] = W.data
    WpadT = np.ascontiguousarray(Wpad.T)
    delta = z[n - 1] - z  # value swap for the draw that equals the focal unit
    scale = z / m2
    # Ties with the observed I_i (up to rounding) count as ≥ and ≤; |I_i| ≤ |z_i| w_i max|z| / m2.
    tol = _TIE_RTOL * np.abs(scale) * Wpad.sum(axis=1) * float(np.abs(z).max())
    m_max = max(1, min(P, _CHUNK_BYTES // (16 * n)))
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    sims = np.empty((P, n)) if keep else None
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        ids = _draw_ids(m, K, n - 1, rng)  # m × K
        lag = z[ids] @ WpadT  # m × n: Σ_j w_ij z[draw_j] with draws from 0 … n − 2
        # Draw v == i stands for unit n − 1: add w_i,slot · (z[n−1] − z[i]) where it occurs.
        rows, slots = np.nonzero(Wpad[ids, np.arange(K)] != 0)  # only slots unit i uses
        units = ids[rows, slots]
        lag[rows, units] += Wpad[units, slots] * delta[units]
        I_sim = lag * scale
        dev = I_sim - Is
        ge += (dev >= -tol).sum(axis=0)
        le += (dev <= tol).sum(axis=0)
        s1 += dev.sum(axis=0)
        s2 += (dev * dev).sum(axis=0)
        if keep:
            sims[start : start + m] = I_sim
    mean_dev = s1 / P
    EI_sim = Is + mean_dev
    seI_sim = np.sqrt(np.maximum(s2 / P - mean_dev**2, 0.0))
    return _p_sim(Is, ge, le, P, alternative), EI_sim, seI_sim, sims
