"""Weights (methods.md §2–§5): entropy, CRITIC, standard deviation, variance, CV, AHP and
combined weights.

Reference values are from methods.md §R (see tests/reference/README.md); everything else is
checked against an independent computation written out in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nqpf.exceptions import ConsistencyError, DataValidationError
from nqpf.indices import (
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    given_weights,
    minmax,
    std_weights,
    variance_weights,
)

# --------------------------------------------------------------------------------------------
# independent helpers (no nqpf code)
# --------------------------------------------------------------------------------------------


def hand_minmax(X, directions, shift=0.0):
    X = np.asarray(X, dtype=float)
    out = np.empty_like(X)
    for j in range(X.shape[1]):
        lo, hi = X[:, j].min(), X[:, j].max()
        if directions[j] > 0:
            out[:, j] = (X[:, j] - lo) / (hi - lo)
        else:
            out[:, j] = (hi - X[:, j]) / (hi - lo)
    return out + shift


def hand_entropy(P):
    """e_j = −(1/ln n) Σ p ln p (0·ln 0 := 0); w = (1 − e)/Σ(1 − e)."""
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    p = P / P.sum(axis=0)
    plogp = np.zeros_like(p)
    pos = p > 0
    plogp[pos] = p[pos] * np.log(p[pos])
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    return d / d.sum(), e


def hand_critic(Z, absolute=False, R=None):
    Z = np.asarray(Z, dtype=float)
    m = Z.shape[1]
    sd = np.sqrt(((Z - Z.mean(axis=0)) ** 2).mean(axis=0))  # ddof = 0
    if R is None:
        R = np.empty((m, m))
        for j in range(m):
            for k in range(m):
                a = Z[:, j] - Z[:, j].mean()
                b = Z[:, k] - Z[:, k].mean()
                R[j, k] = (a @ b) / np.sqrt((a @ a) * (b @ b))
    conflict = (1.0 - (np.abs(R) if absolute else R)).sum(axis=0)
    info = sd * conflict
    return info / info.sum()


def power_iteration(A, iters=10_000, tol=1e-15):
    A = np.asarray(A, dtype=float)
    w = np.ones(A.shape[0]) / A.shape[0]
    for _ in range(iters):
        new = A @ w
        new /= new.sum()
        if np.abs(new - w).max() < tol:
            w = new
            break
        w = new
    lam = float(np.mean((A @ w) / w))
    return w, lam


# --------------------------------------------------------------------------------------------
# entropy: methods.md R1
# --------------------------------------------------------------------------------------------

X_R1 = [[3, 10], [5, 20], [2, 15], [7, 25]]


def test_r1_entropy_weights_rescale_0002():
    # methods.md R1 [official: mathmodels docs/reference, entropy_weight(epsilon = 0.002)].
    res = entropy_weights(X_R1, ["+", "-"], rescale=0.002)
    np.testing.assert_allclose(res.weights, [0.5452618, 0.4547382], rtol=0, atol=5e-8)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(res.details["divergence"], 1.0 - res.details["entropy"], atol=1e-15)


def test_r1_scores_on_rescaled_matrix():
    # methods.md R1 [official: mathmodels docs]: s = 100 · Σ_j w_j x'_ij on the rescaled x'.
    w = entropy_weights(X_R1, ["+", "-"], rescale=0.002).weights
    x = minmax(X_R1, ["+", "-"], rescale=0.002)
    np.testing.assert_allclose(
        100 * x @ w, [56.35354, 47.88215, 30.39461, 54.50808], rtol=0, atol=5e-6
    )


def test_r1_variant_shift_1e4():
    # methods.md R1 variant [unverified: derived]: x' + 0.0001 → w1 = 0.5452099.
    w = entropy_weights(X_R1, ["+", "-"], shift=1e-4).weights
    assert w[0] == pytest.approx(0.5452099, abs=5e-8)
    # The default shift is the same convention.
    np.testing.assert_array_equal(entropy_weights(X_R1, ["+", "-"]).weights, w)


def test_r1_variant_no_shift():
    # methods.md R1 variant [unverified: derived]: no shift, 0·ln 0 := 0 → w1 = 0.545199748.
    w = entropy_weights(X_R1, ["+", "-"], shift=0).weights
    assert w[0] == pytest.approx(0.545199748, abs=5e-10)
    assert round(float(w[0]), 7) == 0.5451997  # not the doubly rounded 0.5451998


def test_entropy_matches_hand_computation():
    X = np.array(
        [[2.0, 30.0, 0.5], [4.0, 10.0, 0.9], [9.0, 20.0, 0.1], [5.0, 40.0, 0.7], [1.0, 25.0, 0.3]]
    )
    d = [1, -1, 1]
    expected, e = hand_entropy(hand_minmax(X, d, shift=1e-4))
    res = entropy_weights(X, d)
    np.testing.assert_allclose(res.weights, expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(res.details["entropy"], e, rtol=0, atol=1e-14)


def test_entropy_normalized_true_skips_minmax():
    P = np.array([[0.2, 1.0], [0.6, 3.0], [0.1, 2.0], [0.9, 0.5]])
    np.testing.assert_allclose(
        entropy_weights(P, normalized=True).weights, hand_entropy(P)[0], atol=1e-14
    )


def test_pooled_panel_entropy_uses_all_rows():
    # 加入时间变量的熵值法: k = 1/ln(r·n) over the stacked unit-periods.
    rng = np.random.default_rng(7)
    X = rng.uniform(1, 10, size=(12, 3))  # 3 periods × 4 units
    periods = np.repeat([2019, 2020, 2021], 4)
    res = entropy_weights(X, [1, -1, 1], periods=periods)
    expected, _ = hand_entropy(hand_minmax(X, [1, -1, 1], shift=1e-4))
    np.testing.assert_allclose(res.weights, expected, atol=1e-14)
    assert res.weights.ndim == 1


# --------------------------------------------------------------------------------------------
# per-period entropy
# --------------------------------------------------------------------------------------------

RNG = np.random.default_rng(11)
PANEL = RNG.uniform(1, 20, size=(15, 4))  # 3 periods × 5 units
PERIODS = np.repeat([2021, 2019, 2020], 5)  # deliberately unsorted labels
DIRS = [1, 1, -1, 1]


def test_per_period_entropy_equals_cross_section_on_each_block():
    res = entropy_weights(PANEL, DIRS, scope="per_period", periods=PERIODS, extremes="per_period")
    assert res.weights.shape == (3, 4)
    np.testing.assert_array_equal(res.periods, [2019, 2020, 2021])
    for t, p in enumerate(res.periods):
        block = PANEL[p == PERIODS]
        np.testing.assert_allclose(
            res.weights[t], entropy_weights(block, DIRS).weights, rtol=0, atol=1e-14
        )
        np.testing.assert_allclose(
            res.weights[t], hand_entropy(hand_minmax(block, DIRS, 1e-4))[0], atol=1e-14
        )
        assert res.weights[t].sum() == pytest.approx(1.0, abs=1e-14)
    assert "not comparable" in res.method


def test_per_period_entropy_with_pooled_extremes():
    # Pooled extremes, then entropy inside each period on that common scale.
    res = entropy_weights(PANEL, DIRS, scope="per_period", periods=PERIODS)
    Xp = hand_minmax(PANEL, DIRS, 1e-4)
    for t, p in enumerate(res.periods):
        np.testing.assert_allclose(res.weights[t], hand_entropy(Xp[p == PERIODS])[0], atol=1e-14)


def test_pooled_entropy_with_per_period_extremes():
    res = entropy_weights(PANEL, DIRS, periods=PERIODS, extremes="per_period")
    Xp = np.empty_like(PANEL)
    for p in np.unique(PERIODS):
        Xp[p == PERIODS] = hand_minmax(PANEL[p == PERIODS], DIRS, 1e-4)
    np.testing.assert_allclose(res.weights, hand_entropy(Xp)[0], atol=1e-14)
    pooled = entropy_weights(PANEL, DIRS)
    assert np.abs(pooled.weights - res.weights).max() > 1e-3  # the two conventions differ


def test_per_period_needs_periods_and_two_units():
    with pytest.raises(DataValidationError, match="needs the period") as exc:
        entropy_weights(PANEL, DIRS, scope="per_period")
    assert exc.value.field == "periods"
    periods = PERIODS.copy()
    periods[0] = 1999  # a period with a single unit
    with pytest.raises(DataValidationError, match=r"period \S*1999\S* has 1 unit") as exc:
        entropy_weights(PANEL, DIRS, scope="per_period", periods=periods)
    assert exc.value.field == "periods"


# --------------------------------------------------------------------------------------------
# entropy: bad input
# --------------------------------------------------------------------------------------------


def test_entropy_constant_column_names_indicator():
    X = np.array([[1.0, 4.0, 2.0], [2.0, 4.0, 5.0], [3.0, 4.0, 1.0]])
    with pytest.raises(DataValidationError, match="zero range") as exc:
        entropy_weights(X, names=["gdp", "flat", "rd"])
    assert exc.value.column == "flat"


def test_entropy_constant_zero_gives_zero_weight():
    X = np.array([[1.0, 4.0, 2.0], [2.0, 4.0, 5.0], [3.0, 4.0, 1.0], [7.0, 4.0, 3.0]])
    res = entropy_weights(X, constant="zero")
    assert res.weights[1] == pytest.approx(0.0, abs=1e-14)
    # The other weights are those of the matrix without the constant column.
    rest = entropy_weights(X[:, [0, 2]]).weights
    np.testing.assert_allclose(res.weights[[0, 2]], rest, atol=1e-14)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_entropy_constant_zero_gives_zero_weight_without_shift(engine):
    X = np.array([[1.0, 4.0, 2.0], [2.0, 4.0, 5.0], [3.0, 4.0, 1.0], [7.0, 4.0, 3.0]])
    res = entropy_weights(X, constant="zero", shift=0, engine=engine)
    assert res.weights[1] == 0.0
    rest = entropy_weights(X[:, [0, 2]], shift=0).weights
    np.testing.assert_allclose(res.weights[[0, 2]], rest, atol=1e-14)


def test_entropy_negative_values_with_normalized_true():
    P = np.array([[0.1, 0.5], [0.2, -0.3], [0.4, 0.2]])
    with pytest.raises(DataValidationError, match="non-negative") as exc:
        entropy_weights(P, normalized=True, names=["a", "b"])
    assert exc.value.column == "b"


def test_entropy_zero_sum_column_with_normalized_true():
    P = np.array([[0.1, 0.0], [0.2, 0.0], [0.4, 0.0]])
    with pytest.raises(DataValidationError, match="sums to 0") as exc:
        entropy_weights(P, normalized=True, names=["a", "b"])
    assert exc.value.column == "b"


def test_entropy_nan_names_column_and_row():
    X = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, np.nan]])
    with pytest.raises(DataValidationError, match="row 2") as exc:
        entropy_weights(X, names=["a", "b"])
    assert exc.value.column == "b"


def test_entropy_too_few_rows_and_bad_options():
    with pytest.raises(DataValidationError, match="at least 2 rows"):
        entropy_weights([[1.0, 2.0]])
    with pytest.raises(DataValidationError, match="scope='yearly'") as exc:
        entropy_weights(X_R1, scope="yearly")
    assert exc.value.field == "scope"
    with pytest.raises(DataValidationError, match="engine") as exc:
        entropy_weights(X_R1, engine="gpu")
    assert exc.value.field == "engine"


def test_entropy_unknown_direction():
    with pytest.raises(DataValidationError, match="unknown direction") as exc:
        entropy_weights(X_R1, ["+", "?"])
    assert exc.value.field == "directions"


# --------------------------------------------------------------------------------------------
# CRITIC
# --------------------------------------------------------------------------------------------

XC = np.array(
    [
        [10.0, 3.0, 200.0, 0.4],
        [12.0, 5.0, 180.0, 0.9],
        [9.0, 4.0, 260.0, 0.2],
        [15.0, 8.0, 150.0, 0.6],
        [11.0, 2.0, 210.0, 0.8],
        [14.0, 6.0, 190.0, 0.3],
    ]
)
DC = [1, 1, -1, 1]


def test_critic_matches_hand_computation():
    Z = hand_minmax(XC, DC)
    res = critic_weights(XC, DC)
    np.testing.assert_allclose(res.weights, hand_critic(Z), rtol=0, atol=1e-14)
    np.testing.assert_allclose(res.details["std"], Z.std(axis=0), atol=1e-15)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)


def test_critic_ddof_does_not_change_weights():
    w0 = critic_weights(XC, DC, ddof=0)
    w1 = critic_weights(XC, DC, ddof=1)
    np.testing.assert_allclose(w0.weights, w1.weights, rtol=0, atol=1e-15)
    n = XC.shape[0]
    np.testing.assert_allclose(w1.details["std"], w0.details["std"] * np.sqrt(n / (n - 1)))


def test_critic_absolute_correlation_variant():
    Z = hand_minmax(XC, DC)
    res = critic_weights(XC, DC, absolute=True)
    np.testing.assert_allclose(res.weights, hand_critic(Z, absolute=True), atol=1e-14)
    assert np.abs(res.weights - critic_weights(XC, DC).weights).max() > 1e-3


def test_critic_spearman_vs_scipy():
    Z = hand_minmax(XC, DC)
    R = stats.spearmanr(Z).statistic  # m = 4 → full matrix
    # Independent second route: Pearson correlation of the ranks.
    ranks = np.column_stack([stats.rankdata(Z[:, j]) for j in range(Z.shape[1])])
    np.testing.assert_allclose(R, np.corrcoef(ranks, rowvar=False), atol=1e-14)
    res = critic_weights(XC, DC, correlation="spearman")
    np.testing.assert_allclose(res.weights, hand_critic(Z, R=R), atol=1e-14)


def test_critic_entropy_contrast_variant():
    # mathmodels critic_weight(method = "entropy"): σ_j replaced by 1 − e_j (shift-free x').
    Z = hand_minmax(XC, DC)
    _, e = hand_entropy(Z)
    m = Z.shape[1]
    R = np.corrcoef(Z, rowvar=False)
    info = (1 - e) * (1 - R).sum(axis=0)
    assert m == 4
    res = critic_weights(XC, DC, contrast="entropy")
    np.testing.assert_allclose(res.weights, info / info.sum(), atol=1e-14)


def test_critic_direction_flips_correlation_sign():
    # Flipping a direction leaves σ unchanged but changes the sign of r with the others.
    flipped = critic_weights(XC, [1, 1, 1, 1]).weights
    np.testing.assert_allclose(flipped, hand_critic(hand_minmax(XC, [1, 1, 1, 1])), atol=1e-14)
    assert np.abs(flipped - critic_weights(XC, DC).weights).max() > 1e-3


def test_critic_constant_column_names_indicator():
    X = XC.copy()
    X[:, 2] = 7.0
    with pytest.raises(DataValidationError) as exc:
        critic_weights(X, names=["a", "b", "c", "d"])
    assert exc.value.column == "c"


def test_critic_constant_zero_drops_indicator():
    X = XC.copy()
    X[:, 2] = 7.0
    res = critic_weights(X, DC, constant="zero")
    assert res.weights[2] == 0.0
    rest = critic_weights(X[:, [0, 1, 3]], [1, 1, 1]).weights
    np.testing.assert_allclose(res.weights[[0, 1, 3]], rest, atol=1e-14)


def test_critic_negative_with_normalized_true():
    with pytest.raises(DataValidationError, match="non-negative") as exc:
        critic_weights([[0.1, 0.2], [-0.5, 0.3], [0.4, 0.9]], normalized=True, names=["a", "b"])
    assert exc.value.column == "a"


def test_critic_bad_options():
    with pytest.raises(DataValidationError) as exc:
        critic_weights(XC, correlation="kendall")
    assert exc.value.field == "correlation"
    with pytest.raises(DataValidationError) as exc:
        critic_weights(XC, contrast="range")
    assert exc.value.field == "contrast"


def test_critic_published_tus_adali_2019_all_benefit():
    # Tuş & Aytaç Adalı (2019), Opsearch 56(2): 528–538, as pymcdm's and pyrepo-mcda's tests
    # compute it (no criteria types, i.e. every column a benefit): 3 d.p.
    M = [
        [5000, 3, 3, 4, 3, 2],
        [680, 5, 3, 2, 2, 1],
        [2000, 3, 2, 3, 4, 3],
        [600, 4, 3, 1, 2, 2],
        [800, 2, 4, 3, 3, 4],
    ]
    w = critic_weights(M).weights
    np.testing.assert_allclose(w, [0.157, 0.249, 0.168, 0.121, 0.154, 0.151], rtol=0, atol=5e-4)


def test_critic_unscaled_uses_raw_std_and_correlation():
    # scikit-criteria CRITIC(scale=False): σ (ddof 0) and Pearson r of X itself.
    res = critic_weights(XC, DC, normalization="none")
    np.testing.assert_allclose(res.weights, hand_critic(XC), rtol=0, atol=1e-14)
    np.testing.assert_allclose(res.details["std"], XC.std(axis=0), rtol=1e-14)
    assert "unscaled" in res.method
    # Unscaled σ carries the units: rescaling one indicator changes the weights, whereas the
    # min-max default does not notice.
    Y = XC * np.array([1.0, 1.0, 1e-3, 1.0])
    assert np.abs(critic_weights(Y, DC, normalization="none").weights - res.weights).max() > 0.1
    np.testing.assert_allclose(critic_weights(Y, DC).weights, critic_weights(XC, DC).weights)
    with pytest.raises(DataValidationError) as exc:
        critic_weights(XC, normalization="zscore")
    assert exc.value.field == "normalization"


# --------------------------------------------------------------------------------------------
# standard-deviation and variance weights
# --------------------------------------------------------------------------------------------


def test_std_weights_published_jahan_edwards_2013():
    # pymcdm test/test_weights.py::TestSTDWeights (Jahan & Edwards 2013, Materials & Design
    # 49: 1000–1008), 2 d.p.
    M = [
        [0, 0, 0],
        [0.39, 0.3, 0.77],
        [0.17, 0.36, 0.8],
        [0.35, 0.29, 0.93],
        [0.3, 0.4, 0.94],
        [0.84, 0.71, 1],
        [1, 1, 0.99],
    ]
    np.testing.assert_allclose(std_weights(M).weights, [0.35, 0.31, 0.34], rtol=0, atol=5e-3)


def test_std_weights_published_salabun_2020():
    # pyrepo-mcda tests/test_weighting_methods.py::Test_STD (Sałabun, Wątróbski & Shekhovtsov
    # 2020, Symmetry 12(9): 1549), 3 d.p.
    M = [
        [0.619, 0.449, 0.447],
        [0.862, 0.466, 0.006],
        [0.458, 0.698, 0.771],
        [0.777, 0.631, 0.491],
        [0.567, 0.992, 0.968],
    ]
    np.testing.assert_allclose(std_weights(M).weights, [0.217, 0.294, 0.488], rtol=0, atol=5e-4)


def test_variance_weights_pymcdm_test_value():
    # pymcdm test/test_weights.py::TestVarianceWeights (pymcdm's own value, no paper), 4 d.p.
    M = [[100, 4, 500], [110, 5, 550], [120, 6, 600], [121, 8, 400]]
    res = variance_weights(M)
    np.testing.assert_allclose(res.weights, [0.3761, 0.312, 0.312], rtol=0, atol=5e-5)


def test_std_and_variance_by_hand_and_ddof():
    Z = hand_minmax(XC, [1, 1, 1, 1])
    for ddof in (0, 1):
        s = XC.std(axis=0, ddof=ddof)
        res = std_weights(XC, ddof=ddof)
        np.testing.assert_allclose(res.weights, s / s.sum(), rtol=0, atol=1e-15)
        np.testing.assert_allclose(res.details["std"], s, rtol=1e-15)
        v = Z.var(axis=0, ddof=ddof)
        res = variance_weights(XC, ddof=ddof)
        np.testing.assert_allclose(res.weights, v / v.sum(), rtol=0, atol=1e-15)
        np.testing.assert_allclose(res.details["variance"], v, rtol=1e-14)
    sz = Z.std(axis=0)
    np.testing.assert_allclose(
        std_weights(XC, normalization="minmax").weights, sz / sz.sum(), atol=1e-15
    )
    vx = XC.var(axis=0)
    np.testing.assert_allclose(
        variance_weights(XC, normalization="none").weights, vx / vx.sum(), atol=1e-15
    )


def test_std_and_variance_units_and_direction():
    Y = XC * np.array([1.0, 1.0, 1e-3, 1.0])
    # Min-max: unit-free.  Raw: the rescaled indicator loses almost all its weight.
    np.testing.assert_allclose(
        std_weights(Y, normalization="minmax").weights,
        std_weights(XC, normalization="minmax").weights,
        atol=1e-15,
    )
    assert std_weights(Y).weights[2] < std_weights(XC).weights[2] / 100
    # Reflecting a column (a cost indicator) changes neither σ nor the weights.
    flipped = XC * np.array([1.0, -1.0, 1.0, 1.0])
    np.testing.assert_allclose(variance_weights(flipped).weights, variance_weights(XC).weights)


def test_std_and_variance_constant_columns():
    X = XC.copy()
    X[:, 1] = 4.0
    # Raw σ of a constant indicator is 0: weight 0, like the peers.
    assert std_weights(X).weights[1] == 0.0
    with pytest.raises(DataValidationError, match="zero range") as exc:
        variance_weights(X, names=["a", "b", "c", "d"])
    assert exc.value.column == "b"
    w = variance_weights(X, constant="zero").weights
    assert w[1] == 0.0
    np.testing.assert_allclose(np.delete(w, 1), variance_weights(np.delete(X, 1, axis=1)).weights)
    with pytest.raises(DataValidationError, match="every indicator is constant"):
        std_weights(np.ones((4, 2)))
    with pytest.raises(DataValidationError) as exc:
        std_weights(XC, normalization="vector")
    assert exc.value.field == "normalization"


# --------------------------------------------------------------------------------------------
# CV weights: methods.md R4
# --------------------------------------------------------------------------------------------


def test_r4_cv_weights():
    # methods.md R4 [official: mathmodels cv_weight example].
    res = cv_weights([[10, 5], [20, 10], [15, 8]])
    np.testing.assert_allclose(res.weights, [0.503839, 0.496161], rtol=0, atol=5e-7)


def test_cv_weights_hand_and_ddof():
    X = np.array([[10.0, 5.0, 1.0], [20.0, 10.0, 3.0], [15.0, 8.0, 2.0], [12.0, 4.0, 6.0]])
    for ddof in (0, 1):
        n = X.shape[0]
        mean = X.sum(axis=0) / n
        sd = np.sqrt(((X - mean) ** 2).sum(axis=0) / (n - ddof))
        v = sd / mean
        res = cv_weights(X, ddof=ddof)
        np.testing.assert_allclose(res.weights, v / v.sum(), atol=1e-15)
        np.testing.assert_allclose(res.details["cv"], v, atol=1e-15)


def test_cv_weights_need_positive_values():
    with pytest.raises(DataValidationError, match="strictly positive values; row 1 is") as exc:
        cv_weights([[1.0, 2.0], [0.0, 3.0], [2.0, 1.0]], names=["a", "b"])
    assert exc.value.column == "a"


# --------------------------------------------------------------------------------------------
# AHP
# --------------------------------------------------------------------------------------------

A3 = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
A4 = np.array([[1, 2, 4, 3], [1 / 2, 1, 3, 2], [1 / 4, 1 / 3, 1, 1 / 2], [1 / 3, 1 / 2, 2, 1]])


@pytest.mark.parametrize(("A", "ri"), [(A3, 0.58), (A4, 0.90)])
def test_ahp_eigenvector_vs_power_iteration(A, ri):
    w, lam = power_iteration(A)
    res = ahp_weights(A)
    np.testing.assert_allclose(res.weights, w, rtol=0, atol=1e-12)
    n = A.shape[0]
    assert res.details["lambda_max"] == pytest.approx(lam, abs=1e-12)
    ci = (lam - n) / (n - 1)
    assert res.details["CI"] == pytest.approx(ci, abs=1e-12)
    assert res.details["RI"] == ri  # Saaty (1980)
    assert res.details["CR"] == pytest.approx(ci / ri, abs=1e-12)
    assert "eigenvector" in res.method


@pytest.mark.parametrize("A", [A3, A4])
def test_ahp_geometric_and_arithmetic_vs_hand(A):
    n = A.shape[0]
    g = np.array([np.prod(A[i]) ** (1 / n) for i in range(n)])
    res = ahp_weights(A, method="geometric")
    np.testing.assert_allclose(res.weights, g / g.sum(), atol=1e-15)
    assert "geometric" in res.method
    col = A / A.sum(axis=0)
    a = col.mean(axis=1)
    np.testing.assert_allclose(ahp_weights(A, method="arithmetic").weights, a / a.sum(), atol=1e-15)
    # On these near-consistent matrices the methods agree to ~1e-3 but not exactly.
    ev = ahp_weights(A).weights
    assert np.abs(ev - g / g.sum()).max() < 2e-3


def test_ahp_consistent_matrix_recovers_priorities():
    v = np.array([4.0, 2.0, 1.0, 0.5])
    A = v[:, None] / v[None, :]
    for method in ("eigenvector", "geometric", "arithmetic"):
        res = ahp_weights(A, method=method)
        np.testing.assert_allclose(res.weights, v / v.sum(), atol=1e-12)
        assert res.details["CR"] == pytest.approx(0.0, abs=1e-12)
        assert res.details["lambda_max"] == pytest.approx(4.0, abs=1e-12)


INCONSISTENT = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])


def test_ahp_inconsistent_matrix_raises():
    _, lam = power_iteration(INCONSISTENT)
    cr = (lam - 3) / 2 / 0.58
    assert cr > 0.1
    with pytest.raises(ConsistencyError, match=f"CR = {cr:.4f} exceeds 0.1"):
        ahp_weights(INCONSISTENT)


def test_ahp_inconsistent_passes_with_max_cr_none():
    w, lam = power_iteration(INCONSISTENT)
    res = ahp_weights(INCONSISTENT, max_cr=None)
    np.testing.assert_allclose(res.weights, w, atol=1e-12)
    assert res.details["CR"] == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-10)


def test_ahp_max_cr_threshold_is_configurable():
    cr = ahp_weights(A3).details["CR"]
    with pytest.raises(ConsistencyError):
        ahp_weights(A3, max_cr=cr / 2)
    assert ahp_weights(A3, max_cr=cr * 1.01).details["CR"] == cr


def test_ahp_custom_random_index():
    base = ahp_weights(A3)
    res = ahp_weights(A3, random_index=0.52)
    assert res.details["CR"] == pytest.approx(base.details["CI"] / 0.52, abs=1e-15)


def test_ahp_order_two_has_zero_cr():
    res = ahp_weights([[1, 3], [1 / 3, 1]])
    np.testing.assert_allclose(res.weights, [0.75, 0.25], atol=1e-12)
    assert res.details["CR"] == 0.0


def test_ahp_non_reciprocal_matrix():
    A = A3.copy()
    A[2, 0] = 1 / 4  # a[0,2] = 5
    with pytest.raises(DataValidationError, match=r"not reciprocal: a\[0,2\]") as exc:
        ahp_weights(A)
    assert exc.value.field == "A"


@pytest.mark.parametrize(
    ("A", "msg"),
    [
        (np.ones((2, 3)), "must be square"),
        ([[1, -2], [-0.5, 1]], "positive finite"),
        ([[1, 0], [np.inf, 1]], "positive finite"),
    ],
)
def test_ahp_bad_matrices(A, msg):
    with pytest.raises(DataValidationError, match=msg) as exc:
        ahp_weights(A)
    assert exc.value.field == "A"


def test_ahp_unknown_method():
    with pytest.raises(DataValidationError) as exc:
        ahp_weights(A3, method="lls")
    assert exc.value.field == "method"


# --------------------------------------------------------------------------------------------
# combined weights (methods.md §5)
# --------------------------------------------------------------------------------------------

WS = np.array([0.5, 0.3, 0.2])
WO = np.array([0.2, 0.3, 0.5])


def test_combine_linear():
    res = combine_weights(WS, WO, method="linear", alpha=0.7)
    np.testing.assert_allclose(res.weights, [0.41, 0.30, 0.29], atol=1e-15)
    np.testing.assert_allclose(combine_weights(WS, WO).weights, [0.35, 0.30, 0.35], atol=1e-15)


def test_combine_multiplicative():
    # products 0.10, 0.09, 0.10 → sum 0.29
    res = combine_weights(WS, WO, method="multiplicative")
    np.testing.assert_allclose(res.weights, np.array([0.10, 0.09, 0.10]) / 0.29, atol=1e-15)


def test_combine_game_sqrt():
    r = np.sqrt([0.10, 0.09, 0.10])
    res = combine_weights(WS, WO, method="game")
    np.testing.assert_allclose(res.weights, r / r.sum(), atol=1e-15)


def test_combine_game_linear_solves_2x2_by_hand():
    ws = np.array([0.4, 0.35, 0.15, 0.1])
    wo = np.array([0.1, 0.3, 0.2, 0.4])
    s11, s12, s22 = ws @ ws, ws @ wo, wo @ wo
    # [s11 s12; s12 s22] a = [s11, s22] by Cramer's rule.
    det = s11 * s22 - s12 * s12
    a1 = (s11 * s22 - s12 * s22) / det
    a2 = (s11 * s22 - s12 * s11) / det
    a1, a2 = a1 / (a1 + a2), a2 / (a1 + a2)
    expected = a1 * ws + a2 * wo
    res = combine_weights(ws, wo, method="game_linear")
    np.testing.assert_allclose(res.details["coefficients"], [a1, a2], atol=1e-14)
    np.testing.assert_allclose(res.weights, expected / expected.sum(), atol=1e-14)


def test_combine_accepts_weight_results():
    res = combine_weights(given_weights(WS), given_weights(WO), method="multiplicative")
    np.testing.assert_allclose(res.weights, np.array([0.10, 0.09, 0.10]) / 0.29, atol=1e-15)


def test_combine_bad_input():
    with pytest.raises(DataValidationError, match="objective has length 2") as exc:
        combine_weights(WS, [0.5, 0.5])
    assert exc.value.field == "objective"
    with pytest.raises(DataValidationError, match=r"sum to 1\.1") as exc:
        combine_weights([0.5, 0.3, 0.3], WO)
    assert exc.value.field == "subjective"
    with pytest.raises(DataValidationError, match="alpha") as exc:
        combine_weights(WS, WO, alpha=1.5)
    assert exc.value.field == "alpha"
    # Identical vectors make WᵀW singular; any solution gives back the common vector.
    np.testing.assert_allclose(
        combine_weights(WS, WS, method="game_linear").weights, WS, atol=1e-12
    )
    with pytest.raises(DataValidationError) as exc:
        combine_weights(WS, WO, method="harmonic")
    assert exc.value.field == "method"


def test_given_weights_checks():
    with pytest.raises(DataValidationError, match=r"sum to 0\.9") as exc:
        given_weights([0.5, 0.4])
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match="length 2 but there are 3") as exc:
        given_weights([0.5, 0.5], 3)
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match="non-negative"):
        given_weights([1.2, -0.2])
    np.testing.assert_allclose(given_weights([2, 1, 1], normalize=True).weights, [0.5, 0.25, 0.25])
