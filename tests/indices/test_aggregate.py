"""Aggregation (methods.md §6–§7): weighted sum, TOPSIS, grey relation and GRA-TOPSIS."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import gra_topsis, grey_relation, topsis, weighted_sum


def hand_topsis(V, best, worst):
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    return dm / (dp + dm)


def hand_minmax(X, directions):
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0), X.max(axis=0)
    d = np.asarray(directions)
    return np.where(d > 0, X - lo, hi - X) / (hi - lo)


# --------------------------------------------------------------------------------------------
# TOPSIS reference values
# --------------------------------------------------------------------------------------------

R2_A = [[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]]
R2_W = [0.3, 0.4, 0.3]


def test_r2_case1_published():
    # methods.md R2 case 1 [official: skcriteria tests/agg/test_topsis.py, Tzeng & Huang 2011].
    res = topsis(R2_A, R2_W)
    np.testing.assert_allclose(res.scores, [0.5037, 0.6581, 0.7482, 0.3340], rtol=0, atol=5e-5)


def test_r2_case1_high_precision():
    # methods.md R2 case 1, higher precision [unverified: derived].
    res = topsis(R2_A, R2_W, normalization="vector")
    np.testing.assert_allclose(
        res.scores, [0.50371966, 0.65808477, 0.74824866, 0.33399744], rtol=0, atol=5e-9
    )


def test_r2_case2_raw_matrix_equal_weights():
    # methods.md R2 case 2 [official: skcriteria tests]; condition (raw matrix, all max, equal
    # weights) [unverified: derived].
    res = topsis([[1, 0, 3], [0, 5, 6]], normalization="none")
    np.testing.assert_allclose(res.scores, [0.14639248, 0.85360752], rtol=0, atol=5e-9)
    # Vector normalisation gives different numbers, as methods.md says.
    vec = topsis([[1, 0, 3], [0, 5, 6]]).scores
    assert abs(vec[0] - 0.14639248) > 1e-3


def test_r3_mathmodels_topsis_cost_criterion():
    # methods.md R3 [official: mathmodels docs]; vector normalisation [unverified: derived].
    res = topsis([[2, 8], [5, 1], [3, 6]], [0.6, 0.4], ["+", "-"])
    np.testing.assert_allclose(res.scores, [0.0, 1.0, 0.3111391], rtol=0, atol=5e-8)


# --------------------------------------------------------------------------------------------
# TOPSIS against hand computation
# --------------------------------------------------------------------------------------------

X = np.array(
    [
        [250.0, 16.0, 12.0, 5.0],
        [200.0, 16.0, 8.0, 3.0],
        [300.0, 32.0, 16.0, 4.0],
        [275.0, 32.0, 8.0, 4.0],
        [225.0, 16.0, 16.0, 2.0],
    ]
)
W = np.array([0.25, 0.25, 0.25, 0.25])
D = np.array([-1, 1, 1, 1])


def test_vector_topsis_hand():
    R = X / np.sqrt((X**2).sum(axis=0))
    V = R * W
    best = np.where(D > 0, V.max(axis=0), V.min(axis=0))
    worst = np.where(D > 0, V.min(axis=0), V.max(axis=0))
    res = topsis(X, W, D)
    np.testing.assert_allclose(res.scores, hand_topsis(V, best, worst), atol=1e-15)
    np.testing.assert_allclose(res.details["best"], best, atol=1e-15)
    np.testing.assert_allclose(res.details["worst"], worst, atol=1e-15)
    np.testing.assert_allclose(
        res.details["d_best"], np.sqrt(((V - best) ** 2).sum(axis=1)), atol=1e-15
    )


def test_minmax_topsis_hand():
    w = np.array([0.1, 0.2, 0.3, 0.4])
    V = hand_minmax(X, D) * w
    res = topsis(X, w, D, normalization="minmax")
    # Direction is already applied: every column is a benefit column, ideals are w and 0.
    np.testing.assert_allclose(res.details["best"], w, atol=1e-15)
    np.testing.assert_allclose(res.details["worst"], 0.0, atol=1e-15)
    np.testing.assert_allclose(res.scores, hand_topsis(V, w, 0.0), atol=1e-15)


def test_topsis_default_weights_are_equal():
    np.testing.assert_allclose(topsis(X, None, D).scores, topsis(X, W, D).scores, atol=0)


def test_topsis_per_period_ideals_equal_blockwise_topsis():
    periods = np.array([1, 1, 2, 2, 2])
    res = topsis(X, W, D, normalization="none", ideal="per_period", periods=periods)
    for p in (1, 2):
        rows = periods == p
        np.testing.assert_allclose(
            res.scores[rows], topsis(X[rows], W, D, normalization="none").scores, atol=1e-15
        )
    glob = topsis(X, W, D, normalization="none").scores
    assert np.abs(glob - res.scores).max() > 1e-3
    with pytest.raises(DataValidationError, match="needs periods") as exc:
        topsis(X, W, D, ideal="per_period")
    assert exc.value.field == "periods"


def test_topsis_fixed_ideals():
    res = topsis(X, W, D)
    again = topsis(X[2:], W, D, best=res.details["best"], worst=res.details["worst"])
    # Vector normalisation depends on the rows, so fix it through normalization="none".
    V = X / np.sqrt((X**2).sum(axis=0))
    fixed = topsis(
        V[2:], W, D, normalization="none", best=res.details["best"], worst=res.details["worst"]
    )
    np.testing.assert_allclose(fixed.scores, res.scores[2:], atol=1e-15)
    # Pitfall worth pinning down: with normalization="vector" the norms are recomputed from
    # the rows passed, so fixed ideals alone do not reproduce the full-sample scores.
    assert np.abs(again.scores - res.scores[2:]).max() > 1e-4


def test_topsis_minmax_fixed_extremes():
    lo, hi = X.min(axis=0), X.max(axis=0)
    res = topsis(X, W, D, normalization="minmax")
    sub = topsis(
        X[:2],
        W,
        D,
        normalization="minmax",
        lo=lo,
        hi=hi,
        best=res.details["best"],
        worst=res.details["worst"],
        engine="numpy",
    )
    np.testing.assert_allclose(sub.scores, res.scores[:2], atol=1e-15)


def test_topsis_all_identical_rows_raises():
    same = np.tile([3.0, 4.0, 5.0], (4, 1))
    with pytest.raises(DataValidationError, match="undefined for row 0"):
        topsis(same)
    with pytest.raises(DataValidationError, match="undefined for row 0"):
        topsis(same, normalization="none")
    with pytest.raises(DataValidationError, match="zero range"):
        topsis(same, normalization="minmax", engine="numpy")


def test_topsis_weights_wrong_length_and_sum():
    with pytest.raises(DataValidationError, match="weights has length 3 but there are 4") as exc:
        topsis(X, [0.3, 0.3, 0.4], D)
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match=r"sum to 0\.9") as exc:
        topsis(X, [0.3, 0.3, 0.2, 0.1], D)
    assert exc.value.field == "weights"


def test_topsis_unknown_direction_and_options():
    with pytest.raises(DataValidationError, match="unknown direction") as exc:
        topsis(X, W, [1, 1, 0, 1])
    assert exc.value.field == "directions"
    with pytest.raises(DataValidationError) as exc:
        topsis(X, W, D, normalization="sum")
    assert exc.value.field == "normalization"


def test_topsis_vector_rejects_negative_values():
    with pytest.raises(DataValidationError, match="non-negative"):
        topsis([[1.0, -2.0], [2.0, 3.0]])


def test_topsis_nan_names_column():
    Y = X.copy()
    Y[3, 1] = np.nan
    with pytest.raises(DataValidationError, match="row 3") as exc:
        topsis(Y, W, D, names=["cost", "ram", "disk", "rating"])
    assert exc.value.column == "ram"


def test_topsis_minmax_published_opricovic_tzeng_2004():
    # pymcdm test/test_mcdm.py::TestTOPSIS (Opricovic & Tzeng 2004, EJOR 156(2): 445–455),
    # pymcdm's default min-max normalisation, 3 d.p.
    X3 = np.array([[1, 2, 5], [3000, 3750, 4500]]).T
    for engine in ("numpy", "numba"):
        s = topsis(X3, [0.5, 0.5], [-1, 1], normalization="minmax", engine=engine).scores
        np.testing.assert_allclose(s, [0.500, 0.617, 0.500], rtol=0, atol=5e-4)


def test_topsis_vector_complement_published_ersoy_2021():
    # pyrepo-mcda tests/test_mcda_methods.py::Test_TOPSIS (Ersoy 2021, LogForum 17(3)):
    # TOPSIS with its vector_normalization (cost columns 1 − x/‖x‖), compared at 2 d.p.
    X6 = [
        [256, 8, 41, 1.6, 1.77, 7347.16],
        [256, 8, 32, 1.0, 1.8, 6919.99],
        [256, 8, 53, 1.6, 1.9, 8400],
        [256, 8, 41, 1.0, 1.75, 6808.9],
        [512, 8, 35, 1.6, 1.7, 8479.99],
        [256, 4, 35, 1.6, 1.7, 7499.99],
    ]
    w6 = [0.405, 0.221, 0.134, 0.199, 0.007, 0.034]
    d6 = [1, 1, 1, 1, -1, -1]
    published = [0.308, 0.254, 0.327, 0.263, 0.857, 0.192]
    for engine in ("numpy", "numba"):
        s = topsis(X6, w6, d6, vector_cost="complement", engine=engine).scores
        # pyrepo-mcda's own check: equal after rounding both to 2 d.p.
        np.testing.assert_array_equal(np.round(s, 2), np.round(published, 2))
        np.testing.assert_allclose(s, published, rtol=0, atol=1e-3)


def test_topsis_vector_cost_forms():
    # complement (pymcdm) = keep (Hwang & Yoon): reflection + shift of a column leave the
    # distances unchanged; reciprocal (scikit-criteria InvertMinimize) is another method.
    keep = topsis(X, W, D).scores
    comp = topsis(X, W, D, vector_cost="complement")
    np.testing.assert_allclose(comp.scores, keep, rtol=0, atol=1e-15)
    assert comp.method == "TOPSIS (vector, cost complement, global ideals)"
    recip = topsis(X, W, D, vector_cost="reciprocal").scores
    assert np.abs(recip - keep).max() > 1e-3
    T = X.copy()
    T[:, D < 0] = 1.0 / T[:, D < 0]
    V = T / np.sqrt((T**2).sum(axis=0)) * W
    np.testing.assert_allclose(
        recip, hand_topsis(V, V.max(axis=0), V.min(axis=0)), rtol=0, atol=1e-15
    )
    with pytest.raises(DataValidationError) as exc:
        topsis(X, W, D, vector_cost="negate")
    assert exc.value.field == "vector_cost"


# --------------------------------------------------------------------------------------------
# weights that need not sum to 1 (weight_sum="any")
# --------------------------------------------------------------------------------------------


def test_weight_sum_any_topsis_and_gra_topsis_are_scale_free():
    ones = np.ones(X.shape[1])
    with pytest.raises(DataValidationError, match="sum to 4"):
        topsis(X, ones, D)
    for normalization in ("vector", "minmax", "none"):
        eq = topsis(X, None, D, normalization=normalization)
        any_ = topsis(X, ones, D, normalization=normalization, weight_sum="any")
        np.testing.assert_allclose(any_.scores, eq.scores, rtol=0, atol=1e-15)
        # the distances scale with the weights: ×4 here
        np.testing.assert_allclose(any_.details["d_best"], 4 * eq.details["d_best"], rtol=1e-14)
    g = gra_topsis(X, 3 * np.asarray(W), D, weight_sum="any").scores
    np.testing.assert_allclose(g, gra_topsis(X, W, D).scores, rtol=0, atol=1e-15)


def test_weight_sum_any_scales_weighted_sum_and_grey_grade():
    P = hand_minmax(X, D)
    np.testing.assert_allclose(weighted_sum(P, 2 * np.asarray(W), weight_sum="any"), 2 * (P @ W))
    g = grey_relation(X, 2 * np.asarray(W), D, weight_sum="any").scores
    np.testing.assert_allclose(g, 2 * grey_relation(X, W, D).scores, rtol=1e-15)
    for bad, msg in (([1, -1, 1, 1], "non-negative"), ([0, 0, 0, 0], "sum to 0")):
        with pytest.raises(DataValidationError, match=msg):
            topsis(X, bad, D, weight_sum="any")
    with pytest.raises(DataValidationError) as exc:
        weighted_sum(P, W, weight_sum="free")
    assert exc.value.field == "weight_sum"


# --------------------------------------------------------------------------------------------
# weighted sum
# --------------------------------------------------------------------------------------------


def test_weighted_sum_hand():
    A = np.array([[0.2, 1.0, 0.5], [1.0, 0.0, 0.25]])
    np.testing.assert_allclose(
        weighted_sum(A, [0.5, 0.3, 0.2]), [0.1 + 0.3 + 0.1, 0.5 + 0.0 + 0.05], atol=1e-15
    )
    np.testing.assert_allclose(weighted_sum(A), [1.7 / 3, 1.25 / 3], atol=1e-15)
    with pytest.raises(DataValidationError, match="length 2"):
        weighted_sum(A, [0.5, 0.5])


# --------------------------------------------------------------------------------------------
# grey relation and GRA-TOPSIS
# --------------------------------------------------------------------------------------------

G = np.array([[3.0, 40.0, 0.2], [5.0, 10.0, 0.9], [4.0, 25.0, 0.5], [1.0, 30.0, 0.7]])
GD = [1, -1, 1]
GW = np.array([0.5, 0.3, 0.2])


def hand_grey(R, x0, w, rho=0.5):
    delta = np.abs(R - x0)
    dmin, dmax = delta.min(), delta.max()
    xi = (dmin + rho * dmax) / (delta + rho * dmax)
    return xi @ w, xi


def test_grey_relation_hand():
    R = hand_minmax(G, GD)
    expected, xi = hand_grey(R, R.max(axis=0), GW)
    res = grey_relation(G, GW, GD)
    np.testing.assert_allclose(res.scores, expected, atol=1e-15)
    np.testing.assert_allclose(res.details["coefficients"], xi, atol=1e-15)
    # x' spans [0, 1] in every column, so Δmin = 0 and Δmax = 1.
    assert res.details["delta_min"] == 0.0
    assert res.details["delta_max"] == 1.0


def test_grey_relation_rho_and_references():
    R = hand_minmax(G, GD)
    res = grey_relation(G, GW, GD, rho=0.3, reference="min")
    np.testing.assert_allclose(res.scores, hand_grey(R, R.min(axis=0), GW, 0.3)[0], atol=1e-15)
    x0 = np.array([0.9, 0.8, 0.7])
    res = grey_relation(R, GW, reference=x0, normalized=True)
    np.testing.assert_allclose(res.scores, hand_grey(R, x0, GW)[0], atol=1e-15)


def test_grey_relation_docstring_example_by_hand():
    # Δ = [[0,1],[1,0],[0,0]], Δmin 0, Δmax 1: ξ = 0.5/(Δ + 0.5) → 1 or 1/3.
    res = grey_relation([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], normalized=True)
    np.testing.assert_allclose(res.scores, [2 / 3, 2 / 3, 1.0], atol=1e-15)


def test_grey_relation_bad_input():
    with pytest.raises(DataValidationError, match="rho") as exc:
        grey_relation(G, rho=0.0)
    assert exc.value.field == "rho"
    with pytest.raises(DataValidationError, match="reference must have 3") as exc:
        grey_relation(G, reference=[1.0, 1.0])
    assert exc.value.field == "reference"
    with pytest.raises(DataValidationError, match="equals the reference"):
        grey_relation([[0.5, 0.5], [0.5, 0.5]], normalized=True)


def test_gra_topsis_hand():
    R = hand_minmax(G, GD)
    rp, _ = hand_grey(R, R.max(axis=0), GW)
    rm, _ = hand_grey(R, R.min(axis=0), GW)
    res = gra_topsis(G, GW, GD)
    np.testing.assert_allclose(res.scores, rp / (rp + rm), atol=1e-15)
    np.testing.assert_allclose(res.details["grade_best"], rp, atol=1e-15)
    np.testing.assert_allclose(res.details["grade_worst"], rm, atol=1e-15)
    assert ((res.scores >= 0) & (res.scores <= 1)).all()


def test_score_result_is_the_former_name_of_aggregate_result():
    import nqpf.indices
    from nqpf.indices import aggregate

    assert nqpf.indices.ScoreResult is aggregate.ScoreResult is nqpf.indices.AggregateResult
    assert {"AggregateResult", "ScoreResult"} <= set(nqpf.indices.__all__)
    assert isinstance(topsis([[1.0, 2.0], [2.0, 1.0]], [0.5, 0.5]), nqpf.indices.ScoreResult)
