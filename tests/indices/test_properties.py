"""Property tests (hypothesis) of the invariants in methods.md §16."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import rankdata

from nqpf.exceptions import DataValidationError
from nqpf.indices import (
    ahp_weights,
    coupling_coordination,
    critic_weights,
    cv_weights,
    entropy_weights,
    minmax,
    obstacle_degree,
    topsis,
)

FAST = settings(max_examples=60, deadline=None, database=None)


@st.composite
def matrices(draw, min_value=0, max_value=1000, min_rows=3, max_rows=12, max_cols=5):
    """Integer-valued float matrices whose columns are not constant."""
    n = draw(st.integers(min_rows, max_rows))
    m = draw(st.integers(2, max_cols))
    X = draw(hnp.arrays(np.float64, (n, m), elements=st.integers(min_value, max_value).map(float)))
    assume((np.ptp(X, axis=0) > 0).all())
    return X


@st.composite
def problems(draw, **kw):
    X = draw(matrices(**kw))
    m = X.shape[1]
    d = np.array(draw(st.lists(st.sampled_from([1, -1]), min_size=m, max_size=m)))
    raw = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=m, max_size=m)))
    return X, d, raw / raw.sum()


def not_all_collinear(Z):
    R = np.corrcoef(Z, rowvar=False)
    off = ~np.eye(R.shape[0], dtype=bool)
    return bool(np.all(np.abs(1.0 - R[off]) > 1e-9))


# --------------------------------------------------------------------------------------------
# weights are non-negative and sum to 1
# --------------------------------------------------------------------------------------------


@FAST
@given(problems(), st.sampled_from([None, 0.0, 1e-3]))
def test_entropy_weights_simplex(prob, shift):
    X, d, _ = prob
    w = entropy_weights(X, d, shift=shift).weights
    assert (w >= 0).all()
    assert abs(w.sum() - 1.0) < 1e-12


@FAST
@given(problems())
def test_critic_weights_simplex(prob):
    X, d, _ = prob
    assume(not_all_collinear(minmax(X, d, shift=0)))
    for absolute in (False, True):
        for corr in ("pearson", "spearman"):
            try:
                w = critic_weights(X, d, absolute=absolute, correlation=corr).weights
            except DataValidationError as exc:
                # Only legitimate failure: every conflict term is 0 (|r| = 1 for all pairs
                # with absolute=True, or Spearman r = 1 for monotone columns).
                assert "information is 0" in str(exc)
                continue
            assert (w >= -1e-15).all()
            assert abs(w.sum() - 1.0) < 1e-12


@FAST
@given(matrices(min_value=1))
def test_cv_weights_simplex(X):
    w = cv_weights(X).weights
    assert (w >= 0).all()
    assert abs(w.sum() - 1.0) < 1e-12


# --------------------------------------------------------------------------------------------
# TOPSIS closeness
# --------------------------------------------------------------------------------------------


@FAST
@given(problems(), st.sampled_from(["vector", "minmax"]))
def test_topsis_closeness_in_unit_interval(prob, normalization):
    X, d, w = prob
    c = topsis(X, w, d, normalization=normalization, engine="numpy").scores
    assert ((c >= 0) & (c <= 1)).all()


# --------------------------------------------------------------------------------------------
# invariance under positive affine rescaling of a column
# --------------------------------------------------------------------------------------------


@FAST
@given(
    problems(),
    st.floats(0.5, 50.0),
    st.floats(-100.0, 100.0),
    st.integers(0, 4),
)
def test_entropy_and_critic_invariant_to_affine_rescaling(prob, a, b, col):
    X, d, _ = prob
    j = col % X.shape[1]
    Y = X.copy()
    Y[:, j] = a * Y[:, j] + b
    np.testing.assert_allclose(
        entropy_weights(Y, d).weights, entropy_weights(X, d).weights, rtol=0, atol=1e-9
    )
    assume(not_all_collinear(minmax(X, d, shift=0)))
    np.testing.assert_allclose(
        critic_weights(Y, d).weights, critic_weights(X, d).weights, rtol=0, atol=1e-9
    )


# --------------------------------------------------------------------------------------------
# permutation of the rows
# --------------------------------------------------------------------------------------------


@FAST
@given(problems(), st.randoms(use_true_random=False))
def test_entropy_and_topsis_permute_with_rows(prob, rnd):
    X, d, w = prob
    perm = np.array(rnd.sample(range(X.shape[0]), X.shape[0]))
    Xp = X[perm]
    np.testing.assert_allclose(
        entropy_weights(Xp, d).weights, entropy_weights(X, d).weights, rtol=0, atol=1e-12
    )
    vec, vec_p = topsis(X, w, d).scores, topsis(Xp, w, d).scores
    np.testing.assert_allclose(vec_p, vec[perm], rtol=0, atol=1e-12)
    # Min-max TOPSIS involves no sums over rows, so it permutes exactly and so do the ranks.
    mm = topsis(X, w, d, normalization="minmax", engine="numpy").scores
    mm_p = topsis(Xp, w, d, normalization="minmax", engine="numpy").scores
    np.testing.assert_array_equal(mm_p, mm[perm])
    np.testing.assert_array_equal(rankdata(-mm_p, method="min"), rankdata(-mm, method="min")[perm])


# --------------------------------------------------------------------------------------------
# coupling, obstacle, normalisation, AHP
# --------------------------------------------------------------------------------------------


@FAST
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 8), st.integers(2, 5)), elements=st.floats(1e-6, 1.0)
    ),
    st.sampled_from(["standard", "modified"]),
)
def test_coupling_bounds(U, method):
    res = coupling_coordination(U, method=method)
    assert ((res.C >= 0) & (res.C <= 1)).all()
    assert ((res.D >= 0) & (res.D <= 1)).all()
    assert (U.min(axis=1) - 1e-15 <= res.T).all()
    assert (U.max(axis=1) + 1e-15 >= res.T).all()


@FAST
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 6)),
        elements=st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0),
    ),
    st.data(),
)
def test_scaled_obstacle_rows_sum_to_one_or_zero(X, data):
    m = X.shape[1]
    w = np.array(data.draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m)))
    obs = obstacle_degree(X, w).degrees
    assert (obs >= 0).all()
    sums = obs.sum(axis=1)
    at_ideal = (X == 1.0).all(axis=1)
    np.testing.assert_allclose(sums[~at_ideal], 1.0, atol=1e-12)
    np.testing.assert_array_equal(sums[at_ideal], 0.0)


@FAST
@given(problems(), st.sampled_from([0.0, 1e-4, 0.01]))
def test_minmax_range(prob, shift):
    X, d, _ = prob
    out = minmax(X, d, shift=shift)
    np.testing.assert_allclose(out.min(axis=0), shift, atol=1e-15)
    np.testing.assert_allclose(out.max(axis=0), 1 + shift, atol=1e-15)


@FAST
@given(
    st.lists(st.floats(0.1, 10.0), min_size=3, max_size=7),
    st.sampled_from(["eigenvector", "geometric", "arithmetic"]),
)
def test_ahp_consistent_matrix_recovers_priorities(v, method):
    v = np.array(v)
    A = v[:, None] / v[None, :]
    res = ahp_weights(A, method=method)
    np.testing.assert_allclose(res.weights, v / v.sum(), rtol=0, atol=1e-10)
    assert abs(res.details["CR"]) < 1e-10
