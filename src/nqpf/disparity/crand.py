"""Permutation inference shared by the spatial statistics (esda's ``crand.py``, cut by subject).

One engine for each kind of null:

- **total permutation** (global statistics, Theil's between-group share):
  :func:`permutation_blocks` yields seeded blocks of permuted copies of a vector (or of
  ``0 … n − 1``), in memory-bounded chunks;
- **conditional permutation** (local statistics): :func:`conditional_permutation` keeps
  unit i's own value and places k_i values drawn without replacement from the other n − 1
  units on its neighbours, for every unit at once (Anselin 1995; esda ``crand``);

and the bookkeeping every test shares: :func:`as_rng` (a ``numpy.random.Generator`` from
a seed; the legacy global RNG is never used), :func:`check_permutations` and
:func:`pseudo_p` (esda's (M + 1)/(P + 1) with the "directed", "greater" or "lesser" count).

The statistics live beside their subject (:mod:`nqpf.disparity.moran`,
:mod:`nqpf.disparity.theil`); this module knows only how to permute and count.
"""

from __future__ import annotations

from collections.abc import Iterator

import numba
import numpy as np

from nqpf.exceptions import DataValidationError

__all__ = [
    "ALTERNATIVES",
    "CHUNK_BYTES",
    "TIE_RTOL",
    "as_rng",
    "check_permutations",
    "conditional_permutation",
    "draw_ids",
    "permutation_blocks",
    "pseudo_p",
]

#: How M in (M + 1)/(P + 1) is counted (esda's ``alternative``).
ALTERNATIVES = ("directed", "greater", "lesser")
#: Permuted statistics within this fraction of their bound of the observed one are ties.
TIE_RTOL = 1e-10
#: Bytes of float64 working memory a permutation chunk may use (two n × m blocks).
CHUNK_BYTES = 1 << 25


def as_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed, a SeedSequence or None.

    The legacy ``numpy.random.RandomState`` and the global seed are refused, so a result
    depends only on what the caller passed.
    """
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


def check_permutations(permutations, *, field: str = "permutations") -> int:
    """The number of permutations as an int ≥ 0 (not a bool), else raise."""
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < 0
    ):
        raise DataValidationError(
            f"{field} must be a non-negative integer, got {permutations!r}", field=field
        )
    return int(permutations)


def pseudo_p(ge, le, P: int, alternative: str):
    """Pseudo p = (M + 1) / (P + 1) with M counted as esda's ``alternative``.

    ``ge`` / ``le`` count the permuted statistics ≥ / ≤ the observed one.  ``"directed"``
    (esda's legacy default) takes the smaller tail of the ≥ count, min(ge, P − ge).
    """
    if alternative == "greater":
        m = ge
    elif alternative == "lesser":
        m = le
    else:
        m = np.minimum(ge, P - ge)
    return (m + 1.0) / (P + 1.0)


# --------------------------------------------------------------------------- total permutation


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


def permutation_blocks(
    z: np.ndarray, P: int, rng: np.random.Generator, *, copies: int = 3
) -> Iterator[np.ndarray]:
    """P uniformly permuted copies of ``z`` (float64 or intp), in blocks of m × n rows.

    m is chosen so that ``copies`` arrays of the block's size stay under
    :data:`CHUNK_BYTES`.  Each row is a Fisher–Yates shuffle driven by n − 1 uniforms from
    ``rng``, so the stream depends only on the generator.  The yielded array is reused
    between blocks: consume it before asking for the next.
    """
    n = z.shape[0]
    m_max = max(1, min(P, CHUNK_BYTES // (8 * copies * max(n, 1))))
    Z = np.empty((m_max, n), dtype=z.dtype)
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        _shuffle_rows(z, rng.random((m, max(n - 1, 0))), Z[:m])
        yield Z[:m]


# --------------------------------------------------------------------------- conditional


def draw_ids(P: int, K: int, N: int, rng: np.random.Generator) -> np.ndarray:
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


def conditional_permutation(
    values: np.ndarray,
    scale: np.ndarray,
    W,
    observed: np.ndarray,
    P: int,
    rng: np.random.Generator,
    alternative: str,
    keep: bool,
):
    """Conditional-permutation distribution of S_i = scale_i · Σ_j w_ij v_{π(j)} for all i.

    Parameters
    ----------
    values : ndarray, shape (n,)
        The values v placed on the neighbours (z for local Moran, the other variable's z
        for the bivariate form).  Unit i's own value never is one of them.
    scale : ndarray, shape (n,)
        Per-unit factor (z_i / m₂ for local Moran).
    W : scipy.sparse CSR array, shape (n, n)
    observed : ndarray, shape (n,)
        The observed statistics, for the tie-aware counts.
    P, rng, alternative, keep
        Number of permutations, generator, counting rule of :func:`pseudo_p`, whether to
        return the P × n permuted statistics.

    Returns
    -------
    p_sim, EI_sim, seI_sim : ndarray, shape (n,)
        Pseudo p-values, mean and standard deviation (ddof = 0) of the permuted S_i.
    sims : ndarray, shape (P, n), or None

    Notes
    -----
    As in esda's ``crand``, one P × max k matrix of draws from {0, …, n − 2} is shared by
    all units.  For unit i a draw v stands for unit v, except v = i, which stands for unit
    n − 1 (a bijection onto the other units), so every unit's neighbours receive a uniform
    sample without replacement of the other units' values.  The permuted lags are a dense
    (P × K)(K × n) product plus a scatter correction, evaluated in memory-bounded blocks.
    Permuted S_i equal to the observed one up to rounding (:data:`TIE_RTOL` of the bound
    |scale_i| Σ_j w_ij max|v|) count as ties on both sides.
    """
    n = values.shape[0]
    card = np.diff(W.indptr)
    K = int(card.max()) if n else 0
    # Padded neighbour weights: Wpad[i, j] = j-th stored weight of row i (0 beyond k_i).
    Wpad = np.zeros((n, K))
    slot = np.arange(W.nnz) - np.repeat(W.indptr[:-1], card)
    Wpad[np.repeat(np.arange(n), card), slot] = W.data
    WpadT = np.ascontiguousarray(Wpad.T)
    delta = values[n - 1] - values  # value swap for the draw that equals the focal unit
    tol = TIE_RTOL * np.abs(scale) * Wpad.sum(axis=1) * float(np.abs(values).max())
    m_max = max(1, min(P, CHUNK_BYTES // (16 * n)))
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    sims = np.empty((P, n)) if keep else None
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        ids = draw_ids(m, K, n - 1, rng)  # m × K
        lag = values[ids] @ WpadT  # m × n: Σ_j w_ij v[draw_j] with draws from 0 … n − 2
        # Draw v == i stands for unit n − 1: add w_i,slot · (v[n−1] − v[i]) where it occurs.
        rows, slots = np.nonzero(Wpad[ids, np.arange(K)] != 0)  # only slots unit i uses
        units = ids[rows, slots]
        lag[rows, units] += Wpad[units, slots] * delta[units]
        S = lag * scale
        dev = S - observed
        ge += (dev >= -tol).sum(axis=0)
        le += (dev <= tol).sum(axis=0)
        s1 += dev.sum(axis=0)
        s2 += (dev * dev).sum(axis=0)
        if keep:
            sims[start : start + m] = S
    mean_dev = s1 / P
    EI_sim = observed + mean_dev
    seI_sim = np.sqrt(np.maximum(s2 / P - mean_dev**2, 0.0))
    return pseudo_p(ge, le, P, alternative), EI_sim, seI_sim, sims
