"""Fused, parallel kernels for the index methods on large matrices.

The plain numpy route forms the normalised matrix (another n × m array) and several
temporaries; for 1e7 × 30 that is gigabytes.  These kernels read the raw C-ordered matrix
in row chunks and never materialise it again: a first pass finds the column extremes (and
any non-finite cell), with the column sums and sums of squares where a method needs them;
later passes accumulate per-column sums (entropy), the centred cross-products (standard
deviations, CRITIC correlations) or compute per-row results (TOPSIS distances, grey
relational grades).  Every normalisation the methods offer is affine in x per column —
x' = (x − ref_j)·k_j — except the reciprocal cost form 1/x, which the TOPSIS kernel applies
per column before the affine step; so one kernel serves min-max, vector (all cost forms)
and unscaled data.  Per-chunk partial sums are combined by numpy's pairwise summation, and
the chunking depends only on n (not on the number of threads), so results are
deterministic and agree with the numpy route to ~1e-12.

Compilation
-----------
Every kernel is ``cache=True`` and is listed with the exact argument types the wrappers
pass in :data:`SIGNATURES`.  :func:`warm_up` loads (or, in a fresh environment, compiles
and caches) all of them: ``python -m nqpf.warmup`` runs it — e.g. in a Docker build or CI
image, right after ``pip install`` — and ``import nqpf.indices`` runs it in a separate
background process when :func:`cache_complete` says the cache lacks something (see
:mod:`nqpf.warmup`).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from nqpf.exceptions import DataValidationError
from nqpf.indices._validate import column_label

_CHUNK_ROWS = 4096

# Reassociation lets LLVM vectorise the per-column accumulations across SIMD lanes; the
# inputs are already checked finite by the extremes pass, so no NaN/inf semantics are lost.
_FAST = {"contract", "reassoc", "nsz", "arcp"}


@intrinsic
def _as_bits(typingctx, x):  # pragma: no cover - compiled
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):  # pragma: no cover - compiled
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LN2 = 0.6931471805599453
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # IEEE bits of sqrt(1/2)


@numba.njit(inline="always")
def _log(x):  # pragma: no cover - compiled
    """Natural log of a positive normal double, ≤ 3 ulp, written so that LLVM vectorises it.

    libm's scalar ``log`` is an opaque call that blocks SIMD and dominates the entropy pass.
    Here x = 2^k · m with m in [sqrt(1/2), sqrt(2)), and ln m = 2 atanh(s), s = (m−1)/(m+1),
    |s| ≤ 0.1716, summed as the series Σ s^(2i+1)/(2i+1) to i = 9: the first term left out,
    2 s^21/21 < 1e-17, is below half an ulp of ln m (``test_fast_log_within_3_ulp``).
    """
    b = _as_bits(x)
    k = (b - _SQRT_HALF_BITS) >> 52
    m = _from_bits(b - (k << 52))
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 19.0
    p = p * z + 1.0 / 17.0
    p = p * z + 1.0 / 15.0
    p = p * z + 1.0 / 13.0
    p = p * z + 1.0 / 11.0
    p = p * z + 1.0 / 9.0
    p = p * z + 1.0 / 7.0
    p = p * z + 1.0 / 5.0
    p = p * z + 1.0 / 3.0
    p = p * z + 1.0
    return k * _LN2 + 2.0 * s * p


@numba.njit(cache=True)
def fast_log(x):  # pragma: no cover - compiled
    """Vectorisable natural log of an array of positive normal doubles (tested against np.log)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _log(x[i])
    return out


def _chunks(n: int) -> int:
    return max(1, -(-n // _CHUNK_ROWS))


#: Cells per worker thread: below 2 × this a call runs its kernels on one thread.  A parallel
#: region costs a thread hand-off at each barrier, which on a busy machine (more runnable
#: processes than cores) can take milliseconds — more than a small pass itself.
_CELLS_PER_THREAD = 1_000_000


def _sized(fn):
    """Run ``fn(A, …)`` with at most one numba thread per ``_CELLS_PER_THREAD`` cells of A."""

    @functools.wraps(fn)
    def wrapper(A, *args, **kwargs):
        current = numba.get_num_threads()
        want = max(1, min(current, np.size(A) // _CELLS_PER_THREAD))
        if want == current:
            return fn(A, *args, **kwargs)
        numba.set_num_threads(want)
        try:
            return fn(A, *args, **kwargs)
        finally:
            numba.set_num_threads(current)

    return wrapper


@numba.njit(parallel=True, cache=True, nogil=True)
def _extremes_kernel(A, nchunks):  # pragma: no cover - compiled
    n, m = A.shape
    lo = np.empty((nchunks, m))
    hi = np.empty((nchunks, m))
    bad = np.zeros((nchunks, m))
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        for j in range(m):
            lo[c, j] = np.inf
            hi[c, j] = -np.inf
        for i in range(start, stop):
            for j in range(m):
                v = A[i, j]
                lo[c, j] = min(lo[c, j], v)
                hi[c, j] = max(hi[c, j], v)
                # v - v is 0 for finite v and NaN for NaN or ±inf: one add flags both.
                bad[c, j] += v - v
    return lo, hi, bad


@numba.njit(parallel=True, cache=True, nogil=True, fastmath=_FAST)
def _entropy_kernel(A, ref, k, shift, nchunks):  # pragma: no cover - compiled
    n, m = A.shape
    s = np.zeros((nchunks, m))
    ell = np.zeros((nchunks, m))
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        acc_s = np.zeros(m)
        acc_l = np.zeros(m)
        for i in range(start, stop):
            row = A[i]
            for j in range(m):
                x = (row[j] - ref[j]) * k[j] + shift
                acc_s[j] += x
                # x = 0 (no shift) contributes 0·ln(tiny) = 0, i.e. 0·ln 0 := 0.
                acc_l[j] += x * _log(max(x, 1e-300))
        s[c] = acc_s
        ell[c] = acc_l
    return s, ell


@numba.njit(parallel=True, cache=True, nogil=True, fastmath=_FAST)
def _topsis_kernel(A, ref, kw, best, worst, nchunks):  # pragma: no cover - compiled
    """TOPSIS distances of every row with v = (x − ref)·kw (kw: scale × weight)."""
    n, m = A.shape
    dp = np.empty(n)
    dm = np.empty(n)
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        for i in range(start, stop):
            sp = 0.0
            sm = 0.0
            row = A[i]
            for j in range(m):
                v = (row[j] - ref[j]) * kw[j]
                a = v - best[j]
                b = v - worst[j]
                sp += a * a
                sm += b * b
            dp[i] = np.sqrt(sp)
            dm[i] = np.sqrt(sm)
    return dp, dm


@numba.njit(parallel=True, cache=True, nogil=True)
def _moments_kernel(A, inv, has_inv, nchunks):  # pragma: no cover - compiled
    """Column extremes and non-finite flags of x, with Σ t and Σ t² where t = 1/x on the
    columns flagged in ``inv`` (the reciprocal cost form) and t = x elsewhere."""
    n, m = A.shape
    lo = np.empty((nchunks, m))
    hi = np.empty((nchunks, m))
    bad = np.zeros((nchunks, m))
    s1 = np.zeros((nchunks, m))
    s2 = np.zeros((nchunks, m))
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        a_lo = np.full(m, np.inf)
        a_hi = np.full(m, -np.inf)
        a_bad = np.zeros(m)
        a_s1 = np.zeros(m)
        a_s2 = np.zeros(m)
        if has_inv:
            for i in range(start, stop):
                row = A[i]
                for j in range(m):
                    v = row[j]
                    a_lo[j] = min(a_lo[j], v)
                    a_hi[j] = max(a_hi[j], v)
                    a_bad[j] += v - v
                    t = 1.0 / v if inv[j] else v
                    a_s1[j] += t
                    a_s2[j] += t * t
        else:
            for i in range(start, stop):
                row = A[i]
                for j in range(m):
                    v = row[j]
                    a_lo[j] = min(a_lo[j], v)
                    a_hi[j] = max(a_hi[j], v)
                    # v - v is 0 for finite v and NaN for NaN or ±inf: one add flags both.
                    a_bad[j] += v - v
                    a_s1[j] += v
                    a_s2[j] += v * v
        lo[c] = a_lo
        hi[c] = a_hi
        bad[c] = a_bad
        s1[c] = a_s1
        s2[c] = a_s2
    return lo, hi, bad, s1, s2


@numba.njit(parallel=True, cache=True, nogil=True, fastmath=_FAST)
def _topsis_inv_kernel(A, inv, ref, kw, best, worst, nchunks):  # pragma: no cover - compiled
    """TOPSIS distances with t = 1/x on the ``inv`` columns, then v = (t − ref)·kw."""
    n, m = A.shape
    dp = np.empty(n)
    dm = np.empty(n)
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        for i in range(start, stop):
            sp = 0.0
            sm = 0.0
            row = A[i]
            for j in range(m):
                t = 1.0 / row[j] if inv[j] else row[j]
                v = (t - ref[j]) * kw[j]
                a = v - best[j]
                b = v - worst[j]
                sp += a * a
                sm += b * b
            dp[i] = np.sqrt(sp)
            dm[i] = np.sqrt(sm)
    return dp, dm


@numba.njit(parallel=True, cache=True, nogil=True)
def _absdev_kernel(A, ref, k, x0, nchunks):  # pragma: no cover - compiled
    """Per-chunk column min and max of |x0_j − (x − ref_j)·k_j| (grey relation Δ range)."""
    n, m = A.shape
    lo = np.empty((nchunks, m))
    hi = np.empty((nchunks, m))
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        a_lo = np.full(m, np.inf)
        a_hi = np.zeros(m)
        for i in range(start, stop):
            row = A[i]
            for j in range(m):
                dlt = abs(x0[j] - (row[j] - ref[j]) * k[j])
                a_lo[j] = min(a_lo[j], dlt)
                a_hi[j] = max(a_hi[j], dlt)
        lo[c] = a_lo
        hi[c] = a_hi
    return lo, hi


@numba.njit(parallel=True, cache=True, nogil=True, fastmath=_FAST)
def _grey_kernel(A, ref, k, w, x0a, na, ra, x0b, nb, rb, two, nchunks):  # pragma: no cover
    """Grey relational grades Σ_j w_j (Δmin + ρΔmax)/(Δ_ij + ρΔmax) of every row against
    reference ``x0a`` and, when ``two``, also against ``x0b`` (GRA-TOPSIS) in the same pass.

    ``na``/``nb`` are the numerators Δmin + ρΔmax and ``ra``/``rb`` the terms ρΔmax.
    """
    n, m = A.shape
    ga = np.empty(n)
    gb = np.empty(n if two else 0)
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        for i in range(start, stop):
            row = A[i]
            sa = 0.0
            sb = 0.0
            if two:
                for j in range(m):
                    r = (row[j] - ref[j]) * k[j]
                    sa += w[j] * na / (abs(x0a[j] - r) + ra)
                    sb += w[j] * nb / (abs(x0b[j] - r) + rb)
                gb[i] = sb
            else:
                for j in range(m):
                    r = (row[j] - ref[j]) * k[j]
                    sa += w[j] * na / (abs(x0a[j] - r) + ra)
            ga[i] = sa
    return ga, gb


@numba.njit(parallel=True, cache=True, nogil=True)
def _chunk_moments_kernel(A, full, nchunks):  # pragma: no cover - compiled
    """One pass: per chunk the column extremes and non-finite flags, the column means and
    the centred sums of squares Σ (x − x̄_c)² — or, when ``full``, the upper triangle of
    the centred cross-products Σ (x − x̄_c)(x − x̄_c)ᵀ — of the chunk's own rows.

    Each chunk accumulates d = x − K with K its first row (a sample, so close to the chunk
    mean: no cancellation worth speaking of) and converts at the end:
    x̄_c = K + Σd/n_c and M_c = Σ d dᵀ − (Σd)(Σd)ᵀ/n_c.  :func:`centred_moments` merges the
    chunks exactly (Chan, Golub & LeVeque 1979).
    """
    n, m = A.shape
    lo = np.empty((nchunks, m))
    hi = np.empty((nchunks, m))
    bad = np.zeros((nchunks, m))
    mean = np.empty((nchunks, m))
    M = np.zeros((nchunks, m if full else 1, m))
    for c in numba.prange(nchunks):
        start = c * n // nchunks
        stop = (c + 1) * n // nchunks
        K = A[start].copy()
        a_lo = K.copy()
        a_hi = K.copy()
        a_bad = np.zeros(m)
        s1 = np.zeros(m)
        nc = stop - start
        if full:
            S2 = np.zeros((m, m))
            z = np.empty(m)
            for i in range(start, stop):
                row = A[i]
                for j in range(m):
                    v = row[j]
                    a_lo[j] = min(a_lo[j], v)
                    a_hi[j] = max(a_hi[j], v)
                    # v - v is 0 for finite v and NaN for NaN or ±inf: one add flags both.
                    a_bad[j] += v - v
                    z[j] = v - K[j]
                    s1[j] += z[j]
                for j in range(m):
                    zj = z[j]
                    for q in range(j, m):
                        S2[j, q] += zj * z[q]
            for j in range(m):
                for q in range(j, m):
                    M[c, j, q] = S2[j, q] - s1[j] * s1[q] / nc
        else:
            s2 = np.zeros(m)
            for i in range(start, stop):
                row = A[i]
                for j in range(m):
                    v = row[j]
                    a_lo[j] = min(a_lo[j], v)
                    a_hi[j] = max(a_hi[j], v)
                    a_bad[j] += v - v
                    dv = v - K[j]
                    s1[j] += dv
                    s2[j] += dv * dv
            for j in range(m):
                M[c, 0, j] = s2[j] - s1[j] * s1[j] / nc
        for j in range(m):
            mean[c, j] = K[j] + s1[j] / nc
        lo[c] = a_lo
        hi[c] = a_hi
        bad[c] = a_bad
    return lo, hi, bad, mean, M


class _WriteableAlias:
    """The memory of a read-only array, exposed as writeable for the kernels.

    The kernels only read their input, but numba types a read-only array differently and
    would compile (and cache) a second specialisation on the first call with, e.g., an
    array handed over by Arrow or Polars.  The alias keeps the original alive.
    """

    def __init__(self, a: np.ndarray) -> None:
        iface = dict(a.__array_interface__)
        iface["data"] = (iface["data"][0], False)
        self.__array_interface__ = iface
        self._base = a


def _contiguous(A: np.ndarray) -> np.ndarray:
    # The kernels walk rows; a Fortran-ordered input is copied once rather than strided.
    if not A.flags.c_contiguous:
        return np.ascontiguousarray(A)
    if not A.flags.writeable:
        return np.asarray(_WriteableAlias(A))
    return A


def _vec(x) -> np.ndarray:
    """A fresh C-contiguous float64 vector (the exact argument type of the signatures)."""
    return np.array(x, dtype=np.float64).ravel()


def _total(parts: np.ndarray) -> np.ndarray:
    """Sum per-chunk partials over the chunk axis (axis 0) by pairwise summation."""
    return np.ascontiguousarray(np.moveaxis(parts, 0, -1)).sum(axis=-1)


def _check_finite_flags(A: np.ndarray, bad: np.ndarray, names) -> None:
    flags = bad.sum(axis=0)
    if not np.isfinite(flags).all():
        j = int(np.argmax(~np.isfinite(flags)))
        col = A[:, j]
        i = int(np.argmax(~np.isfinite(col)))
        raise DataValidationError(
            f"X has missing or infinite values; the first is at row {i}: {float(col[i])}; "
            "choose a missing-value policy when reading the panel",
            column=column_label(j, names),
            data_row=i,
        )


@_sized
def column_extremes(A: np.ndarray, names=None) -> tuple[np.ndarray, np.ndarray]:
    """Column min and max in one parallel pass; raises on any NaN or infinite cell."""
    A = _contiguous(A)
    lo, hi, bad = _extremes_kernel(A, _chunks(A.shape[0]))
    _check_finite_flags(A, bad, names)
    return lo.min(axis=0), hi.max(axis=0)


@_sized
def column_moments(A: np.ndarray, inv=None, names=None):
    """Column min, max, Σ t and Σ t² in one parallel pass (t = 1/x on the ``inv`` columns).

    Raises on any NaN or infinite cell, like :func:`column_extremes`.
    """
    A = _contiguous(A)
    m = A.shape[1]
    inv = np.zeros(m, dtype=np.bool_) if inv is None else np.array(inv, dtype=np.bool_)
    lo, hi, bad, s1, s2 = _moments_kernel(A, inv, bool(inv.any()), _chunks(A.shape[0]))
    _check_finite_flags(A, bad, names)
    return lo.min(axis=0), hi.max(axis=0), _total(s1), _total(s2)


@_sized
def centred_moments(A: np.ndarray, names=None, *, full: bool = False):
    """Column min, max and mean, and the centred sums of squares Σ (x − x̄)² (``full=False``)
    or the whole centred cross-product matrix Σ (x − x̄)(x − x̄)ᵀ (``full=True``).

    One pass; the per-chunk moments are merged with the exact pairwise update of Chan,
    Golub & LeVeque (1979): M = Σ_c M_c + Σ_c n_c (x̄_c − x̄)(x̄_c − x̄)ᵀ, so the result is
    as accurate as numpy's two-pass ``var``/``cov``.  Raises on any NaN or infinite cell.
    """
    A = _contiguous(A)
    n = A.shape[0]
    nchunks = _chunks(n)
    lo, hi, bad, cmean, M = _chunk_moments_kernel(A, full, nchunks)
    _check_finite_flags(A, bad, names)
    bounds = np.arange(nchunks + 1) * n // nchunks
    counts = np.diff(bounds).astype(np.float64)[:, None]
    mean = _total(counts * cmean) / n
    dev = cmean - mean
    if not full:
        return lo.min(axis=0), hi.max(axis=0), mean, _total(M[:, 0, :]) + _total(counts * dev**2)
    G = _total(M)
    G = np.triu(G) + np.triu(G, 1).T
    G += np.einsum("c,cj,cq->jq", counts[:, 0], dev, dev)
    return lo.min(axis=0), hi.max(axis=0), mean, G


def _affine(d, lo, hi, constant: str, names) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x01 = (x − ref) · k for direction-aware min-max scaling, and the zero-range mask.

    Subtracting the extreme first (rather than x/span − lo/span) keeps full precision when
    the values sit far from 0 relative to their range (e.g. 1e9 + U(0, 1)).
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    span = hi - lo
    zero = span <= 0
    if zero.any() and constant == "error":
        j = int(np.argmax(zero))
        raise DataValidationError(
            "indicator has zero range (all values equal); drop it or pass constant='zero'",
            column=column_label(j, names),
        )
    span = np.where(zero, 1.0, span)
    ref = np.where(d > 0, lo, hi)
    k = np.where(d > 0, 1.0, -1.0) / span
    ref[zero] = 0.0
    k[zero] = 0.0
    return ref, k, zero


@_sized
def entropy_pooled(A: np.ndarray, d: np.ndarray, shift: float, constant: str, names=None):
    """Pooled entropy e_j of the min-max normalised (shifted) matrix, and the extremes used."""
    A = _contiguous(A)
    lo, hi = column_extremes(A, names)
    ref, k, zero = _affine(d, lo, hi, constant, names)
    n = A.shape[0]
    s, ell = _entropy_kernel(A, ref, k, float(shift), _chunks(n))
    S = _total(s)
    L = _total(ell)
    # A constant column (constant="zero") carries no information: e = 1, weight 0.
    S_safe = np.where(zero, 1.0, S)
    if (S_safe <= 0).any():
        j = int(np.argmax(S_safe <= 0))
        raise DataValidationError(
            "indicator sums to 0 after normalisation; the entropy is undefined",
            column=column_label(j, names),
        )
    # Σ p ln p with p = x'/S equals (Σ x' ln x')/S − ln S.
    e = -(L / S_safe - np.log(S_safe)) / np.log(n)
    return np.where(zero, 1.0, e), lo, hi


def _topsis_run(A, ref, k, w, d, a, b, best, worst, inv=None):
    """Closeness of every row of ``A`` scaled as v = (t − ref)·k·w (t = 1/x on ``inv``).

    ``a``/``b`` are the images of the raw column extremes under the scaling; unless
    ``best`` and ``worst`` are both given, the ideals are the weighted column max (benefit,
    ``d`` > 0) or min (cost) of the scaled data, and the anti-ideals the opposite.
    """
    w = _vec(w)
    if best is None or worst is None:
        vmax = np.maximum(a, b) * w
        vmin = np.minimum(a, b) * w
        best = np.where(d > 0, vmax, vmin)
        worst = np.where(d > 0, vmin, vmax)
    best = _vec(best)
    worst = _vec(worst)
    nchunks = _chunks(A.shape[0])
    kw = _vec(k * w)
    if inv is not None and inv.any():
        dp, dm = _topsis_inv_kernel(A, inv, _vec(ref), kw, best, worst, nchunks)
    else:
        dp, dm = _topsis_kernel(A, _vec(ref), kw, best, worst, nchunks)
    denom = dp + dm
    if (denom <= 0).any():
        i = int(np.argmax(denom <= 0))
        raise DataValidationError(
            f"TOPSIS is undefined for row {i}: it is at both the ideal and the anti-ideal",
            data_row=i,
        )
    return dm / denom, dp, dm, best, worst


@_sized
def topsis_minmax(A, d, lo, hi, w, best=None, worst=None, names=None, constant="error"):
    """TOPSIS closeness on min-max scaled columns, ideals global over the rows of ``A``.

    ``lo``/``hi`` fix the scaling (None: the data's own extremes).  Unless ``best`` and
    ``worst`` are given, the ideals are the weighted column max and min of the scaled data,
    derived from the raw column extremes.  The extremes pass always runs: it is also the
    check that rejects NaN and inf.
    """
    A = _contiguous(A)
    data_lo, data_hi = column_extremes(A, names)
    lo = data_lo if lo is None else lo
    hi = data_hi if hi is None else hi
    ref, k, _ = _affine(d, lo, hi, constant, names)
    # x01 is affine in x, so its column extremes are the images of the raw extremes.
    a = (data_lo - ref) * k
    b = (data_hi - ref) * k
    ones = np.ones(A.shape[1])
    return _topsis_run(A, ref, k, w, ones, a, b, best, worst)


@_sized
def topsis_plain(A, d, w, best=None, worst=None, names=None):
    """TOPSIS closeness on ``A`` as given (``normalization="none"``), ideals by direction."""
    A = _contiguous(A)
    lo, hi = column_extremes(A, names)
    m = A.shape[1]
    return _topsis_run(A, np.zeros(m), np.ones(m), w, d, lo, hi, best, worst)


#: Cost-column forms of vector normalisation (see :func:`nqpf.indices.vector`).
VECTOR_COSTS = ("keep", "complement", "reciprocal")


def vector_scaling(d, lo, hi, sq, cost: str, names=None):
    """Vector normalisation r = (t − ref)·k per column, from the raw extremes and Σ t².

    ``t`` is 1/x on the cost columns under ``cost="reciprocal"`` and x elsewhere; ``sq`` is
    Σ t².  Returns ``(ref, k, inv, d_after, a, b)`` where ``d_after`` is the direction of
    each normalised column (cost columns become benefit columns unless ``cost="keep"``)
    and ``a``/``b`` are the images of the raw column min and max.
    """
    d = np.asarray(d)
    m = d.shape[0]
    neg = lo < 0
    if neg.any():
        raise DataValidationError(
            "vector normalisation needs non-negative values; use normalization='minmax'",
            column=column_label(int(np.argmax(neg)), names),
        )
    inv = (d < 0) & (cost == "reciprocal")
    nonpos = inv & (lo <= 0)
    if nonpos.any():
        raise DataValidationError(
            "the reciprocal cost form 1/x needs strictly positive values",
            column=column_label(int(np.argmax(nonpos)), names),
        )
    norm = np.sqrt(sq)
    if (norm <= 0).any():
        raise DataValidationError(
            "indicator is all zeros", column=column_label(int(np.argmax(norm <= 0)), names)
        )
    ref = np.zeros(m)
    k = 1.0 / norm
    comp = (d < 0) & (cost == "complement")
    # 1 − x/‖x‖ = (x − ‖x‖)·(−1/‖x‖)
    ref[comp] = norm[comp]
    k[comp] = -k[comp]
    with np.errstate(divide="ignore"):
        t_lo = np.where(inv, 1.0 / np.where(inv, hi, 1.0), lo)
        t_hi = np.where(inv, 1.0 / np.where(inv, lo, 1.0), hi)
    d_after = d.copy() if cost == "keep" else np.ones(m, dtype=d.dtype)
    return ref, k, inv, d_after, (t_lo - ref) * k, (t_hi - ref) * k


@_sized
def topsis_vector(A, d, w, cost="keep", best=None, worst=None, names=None):
    """TOPSIS closeness with vector normalisation (any cost form), global ideals."""
    A = _contiguous(A)
    d = np.asarray(d)
    inv = (d < 0) & (cost == "reciprocal")
    lo, hi, _, sq = column_moments(A, inv, names)
    ref, k, inv, d_after, a, b = vector_scaling(d, lo, hi, sq, cost, names)
    return _topsis_run(A, ref, k, w, d_after, a, b, best, worst, inv=inv)


@_sized
def grey_grades(A, d, w, rho, normalized, references, delta_ranges, names=None):
    """Grey relational grades of the rows of ``A`` against one or two reference series.

    ``A`` is min-max normalised with directions ``d`` (shift 0) on the fly unless
    ``normalized``.  ``references`` holds one or two of ``"max"``, ``"min"`` or an array
    x0 in the normalised space, ``delta_ranges`` the matching fixed (Δmin, Δmax) or None
    (then from the data: 0 and the largest column range for ``"max"``/``"min"``, one more
    pass for an explicit x0).  Returns a list of ``(grade, x0, Δmin, Δmax)``.
    """
    A = _contiguous(A)
    m = A.shape[1]
    lo, hi = column_extremes(A, names)
    if normalized:
        ref, k = np.zeros(m), np.ones(m)
    else:
        ref, k, _ = _affine(d, lo, hi, "error", names)
    a = (lo - ref) * k
    b = (hi - ref) * k
    r_max, r_min = np.maximum(a, b), np.minimum(a, b)
    nchunks = _chunks(A.shape[0])
    specs = []
    for reference, fixed in zip(references, delta_ranges, strict=True):
        if isinstance(reference, str):
            x0 = r_max if reference == "max" else r_min
            # Δ_ij = |x0_j − r_ij| runs over [0, max r − min r] in every column, 0 attained.
            dmin, dmax = (0.0, float((r_max - r_min).max())) if fixed is None else fixed
        else:
            x0 = _vec(reference)
            if fixed is None:
                dlo, dhi = _absdev_kernel(A, _vec(ref), _vec(k), x0, nchunks)
                dmin, dmax = float(dlo.min()), float(dhi.max())
            else:
                dmin, dmax = fixed
        dmin, dmax = float(dmin), float(dmax)
        if dmax <= 0:
            raise DataValidationError(
                "grey relation is undefined: every row equals the reference series"
            )
        specs.append((_vec(x0), dmin, dmax))
    (x0a, mina, maxa) = specs[0]
    two = len(specs) == 2
    x0b, minb, maxb = specs[1] if two else specs[0]
    ga, gb = _grey_kernel(
        A,
        _vec(ref),
        _vec(k),
        _vec(w),
        x0a,
        mina + rho * maxa,
        rho * maxa,
        x0b,
        minb + rho * maxb,
        rho * maxb,
        two,
        nchunks,
    )
    out = [(ga, x0a, mina, maxa)]
    if two:
        out.append((gb, x0b, minb, maxb))
    return out


# -- compilation ----------------------------------------------------------------------------

_A2 = types.Array(types.float64, 2, "C")
_V = types.Array(types.float64, 1, "C")
_B = types.Array(types.boolean, 1, "C")
_I = types.int64
_F = types.float64
_BOOL = types.boolean

#: Every kernel with the exact argument types the wrappers above pass (C-contiguous,
#: writeable float64 arrays; ``_contiguous`` and ``_vec`` guarantee them).  A test checks
#: that no public path compiles a signature missing here.
SIGNATURES = {
    "_extremes_kernel": [(_A2, _I)],
    "_entropy_kernel": [(_A2, _V, _V, _F, _I)],
    "_topsis_kernel": [(_A2, _V, _V, _V, _V, _I)],
    "_moments_kernel": [(_A2, _B, _BOOL, _I)],
    "_chunk_moments_kernel": [(_A2, _BOOL, _I)],
    "_topsis_inv_kernel": [(_A2, _B, _V, _V, _V, _V, _I)],
    "_grey_kernel": [(_A2, _V, _V, _V, _V, _F, _F, _V, _F, _F, _BOOL, _I)],
    "_absdev_kernel": [(_A2, _V, _V, _V, _I)],
    "fast_log": [(_V,)],
}


def kernels() -> dict:
    """Name → numba dispatcher of every kernel in :data:`SIGNATURES` (in warm-up order)."""
    return {name: globals()[name] for name in SIGNATURES}


def cache_complete() -> bool:
    """True when numba's on-disk cache holds every signature of :data:`SIGNATURES`, fresh
    for this source and machine.  Reads the cache indexes only: loading nothing, it does
    not start the threading layer (see :mod:`nqpf.warmup`)."""
    for name, dispatcher in kernels().items():
        cache = dispatcher._cache
        codegen = dispatcher.targetctx.codegen()
        index = cache._cache_file._load_index()
        if any(cache._index_key(sig, codegen) not in index for sig in SIGNATURES[name]):
            return False
    return True


def warm_up(progress=None, stop=None) -> dict[str, float]:
    """Load every kernel from numba's on-disk cache, compiling (and caching) what is missing.

    Returns the seconds spent per kernel.  ``progress(name)`` is called before each kernel;
    ``stop()`` returning True ends the loop between kernels.  Safe to call from several
    threads: numba serialises compilation, and a kernel already loaded is skipped.
    """
    import time

    spent = {}
    for name, dispatcher in kernels().items():
        if stop is not None and stop():
            break
        if progress is not None:
            progress(name)
        t = time.perf_counter()
        for sig in SIGNATURES[name]:
            dispatcher.compile(sig)
        spent[name] = time.perf_counter() - t
    return spent
