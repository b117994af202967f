"""The fused numba kernels (engine="numba") must reproduce the numpy route."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import entropy_weights, topsis
from nqpf.indices._kernels import column_extremes

TOL = 1e-10
N, M = 20_000, 7
DIRS = np.array([1, -1, 1, 1, -1, -1, 1])
NAMES = [f"x{j}" for j in range(M)]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20240601)
    scales = np.array([1.0, 10.0, 100.0, 0.1, 5.0, 1e3, 2.0])
    X = rng.lognormal(size=(N, M)) * scales
    X[:, 3] = rng.uniform(-5, 5, N)  # a column with negative values
    X[:, 6] = rng.integers(0, 20, N)  # ties and exact zeros
    return X


@pytest.mark.parametrize("shift", [None, 0.0, 1e-3])
def test_entropy_numba_equals_numpy(data, shift):
    a = entropy_weights(data, DIRS, shift=shift, engine="numpy")
    b = entropy_weights(data, DIRS, shift=shift, engine="numba")
    np.testing.assert_allclose(b.weights, a.weights, rtol=0, atol=TOL)
    np.testing.assert_allclose(b.details["entropy"], a.details["entropy"], rtol=0, atol=TOL)


def test_entropy_numba_fortran_order(data):
    F = np.asfortranarray(data)
    assert not F.flags.c_contiguous
    a = entropy_weights(data, DIRS, engine="numpy").weights
    np.testing.assert_allclose(entropy_weights(F, DIRS, engine="numba").weights, a, atol=TOL)


def test_entropy_numba_constant_zero_column(data):
    X = data.copy()
    X[:, 2] = 3.5
    a = entropy_weights(X, DIRS, constant="zero", engine="numpy").weights
    b = entropy_weights(X, DIRS, constant="zero", engine="numba").weights
    np.testing.assert_allclose(b, a, rtol=0, atol=TOL)
    # "Zero" up to rounding: a uniform column has e = 1 − O(ε·n).
    assert abs(b[2]) < 1e-10
    assert b.sum() == pytest.approx(1.0, abs=1e-14)


def test_entropy_numba_constant_error_names_column(data):
    X = data.copy()
    X[:, 4] = 1.0
    with pytest.raises(DataValidationError, match="zero range") as exc:
        entropy_weights(X, DIRS, engine="numba", names=NAMES)
    assert exc.value.column == "x4"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_entropy_numba_nonfinite_names_column(data, bad):
    X = data.copy()
    X[1234, 5] = bad
    with pytest.raises(DataValidationError, match="row 1234") as exc:
        entropy_weights(X, DIRS, engine="numba", names=NAMES)
    assert exc.value.column == "x5"


def test_topsis_numba_equals_numpy(data):
    w = entropy_weights(data, DIRS, engine="numpy").weights
    a = topsis(data, w, DIRS, normalization="minmax", engine="numpy")
    b = topsis(data, w, DIRS, normalization="minmax", engine="numba")
    np.testing.assert_allclose(b.scores, a.scores, rtol=0, atol=TOL)
    for key in ("d_best", "d_worst", "best", "worst"):
        np.testing.assert_allclose(b.details[key], a.details[key], rtol=0, atol=TOL)
    F = np.asfortranarray(data)
    c = topsis(F, w, DIRS, normalization="minmax", engine="numba")
    np.testing.assert_allclose(c.scores, a.scores, rtol=0, atol=TOL)


def test_topsis_numba_fixed_extremes_and_ideals(data):
    w = np.full(M, 1 / M)
    full = topsis(data, w, DIRS, normalization="minmax", engine="numpy")
    lo, hi = data.min(axis=0), data.max(axis=0)
    kw = {"lo": lo, "hi": hi, "best": full.details["best"], "worst": full.details["worst"]}
    part = topsis(data[:500], w, DIRS, normalization="minmax", engine="numba", **kw)
    np.testing.assert_allclose(part.scores, full.scores[:500], rtol=0, atol=TOL)


def test_topsis_numba_given_extremes_data_ideals(data):
    # lo/hi fixed from the full sample, ideals from the rows passed (here a subset).
    w = np.full(M, 1 / M)
    lo, hi = data.min(axis=0), data.max(axis=0)
    sub = data[:300]
    a = topsis(sub, w, DIRS, normalization="minmax", lo=lo, hi=hi, engine="numpy")
    b = topsis(sub, w, DIRS, normalization="minmax", lo=lo, hi=hi, engine="numba")
    np.testing.assert_allclose(b.details["best"], a.details["best"], rtol=0, atol=TOL)
    np.testing.assert_allclose(b.details["worst"], a.details["worst"], rtol=0, atol=TOL)
    np.testing.assert_allclose(b.scores, a.scores, rtol=0, atol=TOL)
    # The subset does not reach the full-sample extremes, so the ideals are inside [0, w].
    assert (a.details["best"] < w).any()


def test_entropy_reports_extremes_in_both_engines(data):
    for engine in ("numpy", "numba"):
        det = entropy_weights(data, DIRS, engine=engine).details
        np.testing.assert_array_equal(det["lo"], data.min(axis=0))
        np.testing.assert_array_equal(det["hi"], data.max(axis=0))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_topsis_numba_nonfinite_names_column(data, bad):
    X = data.copy()
    X[77, 1] = bad
    with pytest.raises(DataValidationError, match="row 77") as exc:
        topsis(X, None, DIRS, normalization="minmax", engine="numba", names=NAMES)
    assert exc.value.column == "x1"


def test_topsis_numba_nonfinite_with_given_extremes(data):
    w = np.full(M, 1 / M)
    full = topsis(data, w, DIRS, normalization="minmax", engine="numpy")
    X = data[:100].copy()
    X[7, 2] = np.nan
    with pytest.raises(DataValidationError) as exc:
        topsis(
            X,
            w,
            DIRS,
            normalization="minmax",
            engine="numba",
            names=NAMES,
            lo=data.min(axis=0),
            hi=data.max(axis=0),
            best=full.details["best"],
            worst=full.details["worst"],
        )
    assert exc.value.column == "x2"


def test_topsis_constant_column_same_behaviour_in_both_engines(data):
    X = data[:1000].copy()
    X[:, 3] = 2.0
    with pytest.raises(DataValidationError, match="zero range") as exc:
        topsis(X, None, DIRS, normalization="minmax", engine="numpy", names=NAMES)
    assert exc.value.column == "x3"
    with pytest.raises(DataValidationError, match="zero range") as exc:
        topsis(X, None, DIRS, normalization="minmax", engine="numba", names=NAMES)
    assert exc.value.column == "x3"


def test_engines_agree_for_large_offset_columns():
    rng = np.random.default_rng(5)
    X = rng.random((5000, 3))
    X[:, 0] += 1e9  # e.g. a level variable with a narrow range
    d = [1, -1, 1]
    a = entropy_weights(X, d, engine="numpy").weights
    b = entropy_weights(X, d, engine="numba").weights
    np.testing.assert_allclose(b, a, rtol=0, atol=TOL)
    s1 = topsis(X, None, d, normalization="minmax", engine="numpy").scores
    s2 = topsis(X, None, d, normalization="minmax", engine="numba").scores
    np.testing.assert_allclose(s2, s1, rtol=0, atol=TOL)


def test_column_extremes_kernel(data):
    lo, hi = column_extremes(data)
    np.testing.assert_array_equal(lo, data.min(axis=0))
    np.testing.assert_array_equal(hi, data.max(axis=0))


def test_auto_engine_above_threshold_matches_numpy():
    # FAST_PATH_CELLS = 2e6: 300 000 × 7 = 2.1e6 cells takes the fused route under "auto".
    rng = np.random.default_rng(3)
    X = rng.random((300_000, 7))
    a = entropy_weights(X, DIRS, engine="numpy").weights
    b = entropy_weights(X, DIRS).weights
    np.testing.assert_allclose(b, a, rtol=0, atol=TOL)
