"""Plain-numpy twins of the fused kernels, on random inputs (hypothesis).

Each twin is written here from the formulas of methods.md (§1–§3, §6, §7) and the peers'
definitions, independently of nqpf's own numpy route, and the fused engine
(``engine="numba"``) must match it to 1e-12.  The kernels split the rows into chunks of
``_kernels._CHUNK_ROWS``; the tests shrink it to a few rows so that every example runs
through many chunks and the per-chunk partial sums are really combined.  The partials are
indexed by chunk, not by thread, so one numba thread exercises the same arithmetic (and
avoids paying a thread hand-off per call; the multi-threaded runs are in
``test_kernels.py``).
"""

from __future__ import annotations

import contextlib

import numba
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import xlogy

from nqpf.exceptions import DataValidationError
from nqpf.indices import (
    _kernels,
    critic_weights,
    entropy_weights,
    gra_topsis,
    grey_relation,
    std_weights,
    topsis,
    variance_weights,
)

TOL = 1e-12
FAST = settings(max_examples=25, deadline=None, database=None)


@contextlib.contextmanager
def small_chunks(rows: int):
    saved, threads = _kernels._CHUNK_ROWS, numba.get_num_threads()
    _kernels._CHUNK_ROWS = rows
    numba.set_num_threads(1)
    try:
        yield
    finally:
        _kernels._CHUNK_ROWS = saved
        numba.set_num_threads(threads)


@st.composite
def problems(draw, low=1, high=1000):
    """(X, directions, weights, chunk rows) with integer-valued cells and no constant column."""
    n = draw(st.integers(2, 40))
    m = draw(st.integers(1, 5))
    X = draw(hnp.arrays(np.float64, (n, m), elements=st.integers(low, high).map(float)))
    assume((np.ptp(X, axis=0) > 0).all())
    d = np.array(draw(st.lists(st.sampled_from([1, -1]), min_size=m, max_size=m)))
    raw = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=m, max_size=m)))
    return X, d, raw / raw.sum(), draw(st.integers(1, 7))


# -- twins ----------------------------------------------------------------------------------


def twin_minmax(X, d):
    lo, hi = X.min(axis=0), X.max(axis=0)
    return np.where(d > 0, X - lo, hi - X) / (hi - lo)


def twin_vector(X, d, cost):
    T = X.copy()
    if cost == "reciprocal":
        T[:, d < 0] = 1.0 / T[:, d < 0]
    R = T / np.sqrt((T**2).sum(axis=0))
    if cost == "complement":
        R[:, d < 0] = 1.0 - R[:, d < 0]
    return R, (d if cost == "keep" else np.ones_like(d))


def twin_topsis(R, w, d):
    V = R * w
    best = np.where(d > 0, V.max(axis=0), V.min(axis=0))
    worst = np.where(d > 0, V.min(axis=0), V.max(axis=0))
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    return dm / (dp + dm)


def twin_entropy_weights(P):
    p = P / P.sum(axis=0)
    e = -xlogy(p, p).sum(axis=0) / np.log(P.shape[0])
    return (1 - e) / (1 - e).sum()


def twin_grey(R, w, x0, rho):
    delta = np.abs(R - x0)
    dmin, dmax = delta.min(), delta.max()
    return ((dmin + rho * dmax) / (delta + rho * dmax)) @ w


def twin_critic(Z, absolute):
    sd = Z.std(axis=0)
    r = np.corrcoef(Z, rowvar=False) if Z.shape[1] > 1 else np.ones((1, 1))
    c = sd * (1 - (np.abs(r) if absolute else r)).sum(axis=0)
    return c / c.sum()


# -- properties -----------------------------------------------------------------------------


def same_or_both_fail(fused, twin):
    """Run both; they must agree to TOL, or the fused one must raise a validation error
    exactly where the twin's result is undefined (NaN from 0/0)."""
    with np.errstate(all="ignore"):
        expected = twin()
    try:
        got = fused()
    except DataValidationError:
        assert not np.isfinite(expected).all()
        return
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@FAST
@given(problems())
def test_entropy_and_minmax_topsis_twin(prob):
    X, d, w, rows = prob
    with small_chunks(rows):
        same_or_both_fail(
            lambda: entropy_weights(X, d, engine="numba").weights,
            lambda: twin_entropy_weights(twin_minmax(X, d) + 1e-4),
        )
        same_or_both_fail(
            lambda: topsis(X, w, d, normalization="minmax", engine="numba").scores,
            lambda: twin_topsis(twin_minmax(X, d), w, np.ones_like(d)),
        )


@FAST
@given(problems(), st.sampled_from(["keep", "complement", "reciprocal"]))
def test_vector_topsis_twin(prob, cost):
    X, d, w, rows = prob
    with small_chunks(rows):
        same_or_both_fail(
            lambda: topsis(X, w, d, vector_cost=cost, engine="numba").scores,
            lambda: twin_topsis(*twin_vector(X, d, cost)[:1], w, twin_vector(X, d, cost)[1]),
        )


@FAST
@given(problems(low=0))
def test_vector_complement_equals_keep(prob):
    # Hwang & Yoon's "direction at the ideal" and pymcdm's 1 − x/‖x‖ give one closeness.
    X, d, w, rows = prob
    assume((X.sum(axis=0) > 0).all())
    with small_chunks(rows):
        try:
            keep = topsis(X, w, d, engine="numba").scores
        except DataValidationError:
            return
        comp = topsis(X, w, d, vector_cost="complement", engine="numba").scores
    np.testing.assert_allclose(comp, keep, rtol=0, atol=TOL)


@FAST
@given(problems(), st.sampled_from([0.5, 0.2, 1.0]), st.sampled_from(["max", "min", "given"]))
def test_grey_relation_twin(prob, rho, reference):
    X, d, w, rows = prob
    R = twin_minmax(X, d)
    x0 = {"max": R.max(axis=0), "min": R.min(axis=0), "given": np.full(X.shape[1], 0.37)}
    ref = x0["given"] if reference == "given" else reference
    with small_chunks(rows):
        same_or_both_fail(
            lambda: grey_relation(X, w, d, rho=rho, reference=ref, engine="numba").scores,
            lambda: twin_grey(R, w, x0[reference], rho),
        )


@FAST
@given(problems())
def test_gra_topsis_twin(prob):
    X, d, w, rows = prob
    R = twin_minmax(X, d)
    with small_chunks(rows):
        got = gra_topsis(X, w, d, engine="numba").scores
    plus = twin_grey(R, w, R.max(axis=0), 0.5)
    minus = twin_grey(R, w, R.min(axis=0), 0.5)
    np.testing.assert_allclose(got, plus / (plus + minus), rtol=0, atol=TOL)


def _well_conditioned(Z):
    """Skip collinear columns: there 1 − r is rounding noise of either route."""
    if Z.shape[1] == 1:
        return True
    r = np.corrcoef(Z, rowvar=False)
    return bool((np.abs(r[~np.eye(r.shape[0], dtype=bool)]) < 1 - 1e-6).all())


@FAST
@given(problems(), st.booleans(), st.booleans())
def test_critic_twin(prob, absolute, unscaled):
    X, d, _, rows = prob
    Z = X if unscaled else twin_minmax(X, d)
    assume(_well_conditioned(Z))
    kw = {"absolute": absolute, "normalization": "none" if unscaled else "minmax"}
    with small_chunks(rows):
        same_or_both_fail(
            lambda: critic_weights(X, d, engine="numba", **kw).weights,
            lambda: twin_critic(Z, absolute),
        )


@FAST
@given(problems(), st.sampled_from(["none", "minmax"]))
def test_std_and_variance_weights_twin(prob, normalization):
    X, d, _, rows = prob
    Z = X if normalization == "none" else twin_minmax(X, np.ones_like(d))
    sd = Z.std(axis=0, ddof=1)
    with small_chunks(rows):
        got_sd = std_weights(X, normalization=normalization, engine="numba").weights
        got_var = variance_weights(X, normalization=normalization, engine="numba").weights
    np.testing.assert_allclose(got_sd, sd / sd.sum(), rtol=0, atol=TOL)
    np.testing.assert_allclose(got_var, sd**2 / (sd**2).sum(), rtol=0, atol=TOL)
