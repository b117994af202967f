"""Fused, parallel kernels for entropy weights and min-max TOPSIS on large matrices.

The plain numpy route forms the normalised matrix (another n × m array) and several
temporaries; for 1e7 × 30 that is gigabytes.  These kernels read the raw C-ordered matrix
in row chunks and never materialise x': pass 1 finds the column extremes (and any
non-finite cell), pass 2 accumulates Σ x' and Σ x' ln x' per column, pass 3 computes the
TOPSIS distances row by row.  Per-chunk partial sums are combined by numpy's pairwise
summation, and the chunking depends only on n (not on the number of threads), so results
are deterministic and agree with the numpy route to ~1e-12.

Numba compiles them on first use (cached to disk afterwards).
"""

from __future__ import annotations

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
    |s| ≤ 0.1716, summed as the series Σ s^(2i+1)/(2i+1) to i = 12 (next term < 1e-19).
    """
    b = _as_bits(x)
    k = (b - _SQRT_HALF_BITS) >> 52
    m = _from_bits(b - (k << 52))
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 25.0
    p = p * z + 1.0 / 23.0
    p = p * z + 1.0 / 21.0
    p = p * z + 1.0 / 19.0
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
def _topsis_kernel(A, ref, k, w, best, worst, nchunks):  # pragma: no cover - compiled
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
                v = (row[j] - ref[j]) * k[j] * w[j]
                a = v - best[j]
                b = v - worst[j]
                sp += a * a
                sm += b * b
            dp[i] = np.sqrt(sp)
            dm[i] = np.sqrt(sm)
    return dp, dm


def _contiguous(A: np.ndarray) -> np.ndarray:
    # The kernels walk rows; a Fortran-ordered input is copied once rather than strided.
    return A if A.flags.c_contiguous else np.ascontiguousarray(A)


def column_extremes(A: np.ndarray, names=None) -> tuple[np.ndarray, np.ndarray]:
    """Column min and max in one parallel pass; raises on any NaN or infinite cell."""
    A = _contiguous(A)
    lo, hi, bad = _extremes_kernel(A, _chunks(A.shape[0]))
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
    return lo.min(axis=0), hi.max(axis=0)


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


def entropy_pooled(A: np.ndarray, d: np.ndarray, shift: float, constant: str, names=None):
    """Pooled entropy e_j of the min-max normalised (shifted) matrix, and the extremes used."""
    A = _contiguous(A)
    lo, hi = column_extremes(A, names)
    ref, k, zero = _affine(d, lo, hi, constant, names)
    n = A.shape[0]
    s, ell = _entropy_kernel(A, ref, k, float(shift), _chunks(n))
    S = s.sum(axis=0)
    L = ell.sum(axis=0)
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


def topsis_minmax(A, d, lo, hi, w, best=None, worst=None, names=None, constant="error"):
    """TOPSIS closeness on min-max scaled columns, ideals global over the rows of ``A``.

    ``lo``/``hi`` fix the scaling (None: the data's own extremes).  Unless ``best`` and
    ``worst`` are given, the ideals are the weighted column max and min of the scaled data,
    derived from the raw column extremes.  The extremes pass always runs: it is also the
    check that rejects NaN and inf.
    """
    A = _contiguous(A)
    w = np.asarray(w, dtype=np.float64)
    data_lo, data_hi = column_extremes(A, names)
    lo = data_lo if lo is None else lo
    hi = data_hi if hi is None else hi
    ref, k, _ = _affine(d, lo, hi, constant, names)
    if best is None or worst is None:
        # x01 is affine in x, so its column extremes are the images of the raw extremes.
        a = (data_lo - ref) * k
        b = (data_hi - ref) * k
        best = np.maximum(a, b) * w
        worst = np.minimum(a, b) * w
    best = np.asarray(best, dtype=np.float64)
    worst = np.asarray(worst, dtype=np.float64)
    dp, dm = _topsis_kernel(A, ref, k, w, best, worst, _chunks(A.shape[0]))
    denom = dp + dm
    if (denom <= 0).any():
        i = int(np.argmax(denom <= 0))
        raise DataValidationError(
            f"TOPSIS is undefined for row {i}: it is at both the ideal and the anti-ideal",
            data_row=i,
        )
    return dm / denom, dp, dm, best, worst
