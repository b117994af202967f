"""CompositeIndex on a small synthetic panel: 6 entities × 4 periods × 5 indicators."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError, NotFittedError
from nqpf.indices import CompositeIndex, gra_topsis, grey_relation, topsis

NAMES = ["x1", "x2", "x3", "x4", "x5"]
DIRS = np.array([1, 1, -1, 1, -1])
GROUPS = {"tech": ["x1", "x2", "x3"], "green": ["x4", "x5"]}
N_ENT, YEARS = 6, [2018, 2019, 2020, 2021]


def make_panel(seed=42):
    rng = np.random.default_rng(seed)
    base = rng.uniform(1, 10, size=(N_ENT * 3, 5)) * np.array([1, 100, 0.5, 3, 20])
    lo, hi = base.min(axis=0), base.max(axis=0)
    # The last period stays strictly inside the extremes of the first three.
    last = lo + (hi - lo) * rng.uniform(0.05, 0.95, size=(N_ENT, 5))
    X = np.vstack([base, last])
    periods = np.repeat(YEARS, N_ENT)
    entities = np.tile([f"p{i}" for i in range(N_ENT)], len(YEARS))
    return X, periods, entities


X, PERIODS, ENTITIES = make_panel()


def hand_x01(X, d):
    lo, hi = X.min(axis=0), X.max(axis=0)
    return np.where(d > 0, X - lo, hi - X) / (hi - lo)


def hand_entropy(P):
    p = P / P.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(P.shape[0])
    return (1 - e) / (1 - e).sum()


def fit(**kw):
    kw.setdefault("directions", DIRS)
    kw.setdefault("groups", GROUPS)
    return CompositeIndex(**kw).fit_transform(X, PERIODS, entities=ENTITIES, indicators=NAMES)


# --------------------------------------------------------------------------------------------
# weighted sum
# --------------------------------------------------------------------------------------------


def test_weighted_sum_index_equals_hand_computation():
    xs = hand_x01(X, DIRS) + 1e-4  # pooled extremes, default shift
    w = hand_entropy(xs)
    res = fit()
    np.testing.assert_allclose(res.weights.weights, w, rtol=0, atol=1e-14)
    np.testing.assert_allclose(res.normalized, xs, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.index, xs @ w, rtol=0, atol=1e-14)


def test_weighted_sum_dimension_indices_add_up():
    res = fit()
    sub = res.sub_indices["dimension"]
    assert list(sub.columns) == ["tech", "green"]
    np.testing.assert_allclose(sub.sum(axis=1).to_numpy(), res.index, atol=1e-14)
    xs, w = res.normalized, res.weights.weights
    np.testing.assert_allclose(sub["tech"].to_numpy(), xs[:, :3] @ w[:3], atol=1e-14)
    np.testing.assert_allclose(sub["green"].to_numpy(), xs[:, 3:] @ w[3:], atol=1e-14)


def test_scale_multiplies_index_and_sub_indices():
    a, b = fit(), fit(scale=100)
    np.testing.assert_allclose(b.index, 100 * a.index, atol=1e-12)
    np.testing.assert_allclose(
        b.sub_indices["dimension"].to_numpy(),
        100 * a.sub_indices["dimension"].to_numpy(),
        atol=1e-12,
    )


def test_r1_through_composite_index():
    # methods.md R1 [official: mathmodels docs]: rescale a = 0.002, scores × 100.
    res = CompositeIndex(directions=["+", "-"], rescale=0.002, scale=100).fit_transform(
        [[3, 10], [5, 20], [2, 15], [7, 25]]
    )
    np.testing.assert_allclose(res.weights.weights, [0.5452618, 0.4547382], atol=5e-8)
    np.testing.assert_allclose(res.index, [56.35354, 47.88215, 30.39461, 54.50808], atol=5e-6)


def test_ranks_within_period_one_is_highest():
    res = fit()
    for year in YEARS:
        rows = year == PERIODS
        vals = res.index[rows]
        expected = np.empty(N_ENT, dtype=int)
        expected[np.argsort(-vals)] = np.arange(1, N_ENT + 1)
        np.testing.assert_array_equal(res.rank[rows], expected)


def test_rank_ties_share_lowest_rank():
    Y = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0], [0.0, 0.0]])
    res = CompositeIndex(weighting="equal").fit_transform(Y)
    # x' = [.333,1], [.333,1], [1,.5], [0,0] → index 0.667, 0.667, 0.75, 0.
    np.testing.assert_array_equal(res.rank, [2, 2, 1, 4])


# --------------------------------------------------------------------------------------------
# fit on a base panel, transform later periods
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("aggregation", ["weighted_sum", "topsis", "grey", "gra_topsis"])
def test_transform_later_period_with_fitted_yardstick(aggregation):
    base = PERIODS < 2021
    est = CompositeIndex(directions=DIRS, groups=GROUPS, aggregation=aggregation)
    ref = est.fit_transform(X[base], PERIODS[base], indicators=NAMES)
    full = est.transform(X, PERIODS, indicators=NAMES)
    np.testing.assert_allclose(full.index[base], ref.index, rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        full.sub_indices["dimension"].to_numpy()[base],
        ref.sub_indices["dimension"].to_numpy(),
        rtol=0,
        atol=1e-14,
    )
    # Scores do not depend on the other rows passed to transform().
    late = est.transform(X[~base], PERIODS[~base], indicators=NAMES)
    np.testing.assert_allclose(late.index, full.index[~base], rtol=0, atol=1e-14)
    assert late.meta["fit_periods"] == [2018, 2019, 2020]


def test_transform_later_period_beyond_fitted_extremes():
    base = PERIODS < 2021
    Y = X.copy()
    Y[~base, 0] = X[:, 0].max() * 1.5  # growth beyond the base-period maximum
    est = CompositeIndex(directions=DIRS, groups=GROUPS).fit(Y[base], PERIODS[base])
    res = est.transform(Y, PERIODS)
    lo, hi = Y[base, 0].min(), Y[base, 0].max()
    np.testing.assert_allclose(
        res.normalized[~base, 0], (Y[~base, 0] - lo) / (hi - lo) + 1e-4, atol=1e-14
    )
    assert (res.normalized[~base, 0] > 1).all()


def test_not_fitted_error():
    est = CompositeIndex(directions=DIRS)
    with pytest.raises(NotFittedError, match="not fitted"):
        est.transform(X, PERIODS)
    assert issubclass(NotFittedError, AttributeError)


def test_transform_with_other_indicators_raises():
    est = CompositeIndex(directions=DIRS).fit(X, PERIODS, indicators=NAMES)
    with pytest.raises(DataValidationError, match="differ from the fitted"):
        est.transform(X, PERIODS, indicators=["a", "b", "c", "d", "e"])


# --------------------------------------------------------------------------------------------
# other aggregations
# --------------------------------------------------------------------------------------------


def test_topsis_aggregation_equals_minmax_topsis():
    res = fit(aggregation="topsis")
    w = res.weights.weights
    expected = topsis(X, w, DIRS, normalization="minmax", engine="numpy").scores
    np.testing.assert_allclose(res.index, expected, rtol=0, atol=1e-14)


def test_grey_aggregations_equal_function_route():
    res = fit(aggregation="grey")
    w = res.weights.weights
    np.testing.assert_allclose(res.index, grey_relation(X, w, DIRS).scores, atol=1e-14)
    res = fit(aggregation="gra_topsis")
    np.testing.assert_allclose(res.index, gra_topsis(X, w, DIRS).scores, atol=1e-14)


@pytest.mark.parametrize("aggregation", ["topsis", "grey", "gra_topsis"])
def test_bounded_aggregations_lie_in_unit_interval(aggregation):
    res = fit(aggregation=aggregation)
    assert ((res.index >= 0) & (res.index <= 1)).all()
    sub = res.sub_indices["dimension"].to_numpy()
    assert ((sub >= 0) & (sub <= 1)).all()
    if aggregation == "topsis":
        # Global ideals over the panel: some unit-period is closest to each extreme.
        assert res.index.max() < 1 and res.index.min() > 0


def test_topsis_sub_index_uses_renormalised_weights():
    res = fit(aggregation="topsis")
    w = res.weights.weights
    tech = [0, 1, 2]
    wt = w[tech] / w[tech].sum()
    expected = topsis(X[:, tech], wt, DIRS[tech], normalization="minmax", engine="numpy").scores
    np.testing.assert_allclose(res.sub_indices["dimension"]["tech"], expected, atol=1e-14)


def test_per_period_ideals():
    res = fit(aggregation="topsis", ideal="per_period")
    w = res.weights.weights
    x01 = hand_x01(X, DIRS)
    for year in YEARS:
        rows = year == PERIODS
        expected = topsis(x01[rows], w, normalization="none").scores
        np.testing.assert_allclose(res.index[rows], expected, atol=1e-14)


# --------------------------------------------------------------------------------------------
# weightings
# --------------------------------------------------------------------------------------------


def test_given_weights_as_mapping():
    mapping = {"x5": 0.1, "x1": 0.3, "x3": 0.2, "x2": 0.25, "x4": 0.15}
    res = fit(weighting="given", weights=mapping)
    w = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    np.testing.assert_array_equal(res.weights.weights, w)
    np.testing.assert_allclose(res.index, (hand_x01(X, DIRS) + 1e-4) @ w, atol=1e-14)


def test_given_weights_errors():
    with pytest.raises(DataValidationError, match="unknown indicator") as exc:
        fit(weighting="given", weights={"x1": 0.5, "x9": 0.5})
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match=r"lack indicator\(s\) \['x4', 'x5'\]") as exc:
        fit(weighting="given", weights={"x1": 0.5, "x2": 0.2, "x3": 0.3})
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match="needs weights"):
        fit(weighting="given")
    with pytest.raises(DataValidationError, match=r"sum to 0\.9"):
        fit(weighting="given", weights=[0.2, 0.2, 0.2, 0.2, 0.1])


AHP_TREE = {
    "dimensions": [[1, 2], [1 / 2, 1]],  # consistent: (2/3, 1/3)
    "tech": [[1, 3 / 2, 3], [2 / 3, 1, 2], [1 / 3, 1 / 2, 1]],  # from v = (3, 2, 1)
    "green": [[1, 1 / 3], [3, 1]],  # (1/4, 3/4)
}
AHP_PRODUCT = np.array([2 / 3 * 1 / 2, 2 / 3 * 1 / 3, 2 / 3 * 1 / 6, 1 / 3 * 1 / 4, 1 / 3 * 3 / 4])


@pytest.mark.parametrize("method", ["eigenvector", "geometric"])
def test_hierarchical_ahp_gives_product_weights(method):
    res = fit(weighting="ahp", ahp=AHP_TREE, ahp_method=method)
    np.testing.assert_allclose(res.weights.weights, AHP_PRODUCT, rtol=0, atol=1e-12)
    assert res.weights.details["CR"] == pytest.approx(0.0, abs=1e-12)
    assert method in res.weights.method


def test_hierarchical_ahp_missing_parts():
    with pytest.raises(DataValidationError, match="'green'") as exc:
        fit(weighting="ahp", ahp={"dimensions": AHP_TREE["dimensions"], "tech": AHP_TREE["tech"]})
    assert exc.value.field == "ahp"
    with pytest.raises(DataValidationError, match="'dimensions'"):
        fit(weighting="ahp", ahp={"tech": AHP_TREE["tech"]})
    with pytest.raises(DataValidationError, match="needs an AHP"):
        fit(weighting="ahp")


def test_combined_game_linear_by_hand():
    res = fit(weighting="combined", ahp=AHP_TREE, combine={"method": "game_linear"})
    ws = AHP_PRODUCT
    wo = hand_entropy(hand_x01(X, DIRS) + 1e-4)
    s11, s12, s22 = ws @ ws, ws @ wo, wo @ wo
    det = s11 * s22 - s12**2
    a = np.array([(s11 * s22 - s12 * s22) / det, (s11 * s22 - s12 * s11) / det])
    a /= a.sum()
    w = a[0] * ws + a[1] * wo
    np.testing.assert_allclose(res.weights.details["subjective"], ws, atol=1e-12)
    np.testing.assert_allclose(res.weights.details["objective"], wo, atol=1e-14)
    np.testing.assert_allclose(res.weights.weights, w / w.sum(), atol=1e-12)
    np.testing.assert_allclose(res.index, (hand_x01(X, DIRS) + 1e-4) @ (w / w.sum()), atol=1e-12)


def test_combined_linear_with_given_subjective():
    ws = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    res = fit(
        weighting="combined",
        weights=ws,
        combine={"objective": "entropy", "method": "linear", "alpha": 0.4},
    )
    wo = hand_entropy(hand_x01(X, DIRS) + 1e-4)
    np.testing.assert_allclose(res.weights.weights, 0.4 * ws + 0.6 * wo, atol=1e-14)


def test_equal_and_critic_weighting():
    res = fit(weighting="equal")
    np.testing.assert_array_equal(res.weights.weights, np.full(5, 0.2))
    res = fit(weighting="critic")
    Z = hand_x01(X, DIRS)
    R = np.corrcoef(Z, rowvar=False)
    c = Z.std(axis=0) * (1 - R).sum(axis=0)
    np.testing.assert_allclose(res.weights.weights, c / c.sum(), atol=1e-14)


def test_std_and_variance_weighting():
    sd = X.std(axis=0, ddof=1)
    res = fit(weighting="std")
    np.testing.assert_allclose(res.weights.weights, sd / sd.sum(), atol=1e-14)
    res = fit(weighting="std", weighting_options={"normalization": "minmax"})
    sz = hand_x01(X, DIRS).std(axis=0)
    np.testing.assert_allclose(res.weights.weights, sz / sz.sum(), atol=1e-14)
    res = fit(weighting="variance")
    np.testing.assert_allclose(res.weights.weights, sz**2 / (sz**2).sum(), atol=1e-14)
    ws = np.full(5, 0.2)
    res = fit(weighting="combined", weights=ws, combine={"objective": "std", "alpha": 0.5})
    np.testing.assert_allclose(res.weights.weights, 0.5 * ws + 0.5 * sd / sd.sum(), atol=1e-14)


def test_per_period_entropy_with_weighted_sum():
    res = fit(weighting_options={"scope": "per_period"})
    W = res.weights.weights
    assert W.shape == (4, 5)
    xs = hand_x01(X, DIRS) + 1e-4  # pooled extremes
    for t, year in enumerate(YEARS):
        rows = year == PERIODS
        np.testing.assert_allclose(W[t], hand_entropy(xs[rows]), atol=1e-14)
        np.testing.assert_allclose(res.index[rows], xs[rows] @ W[t], atol=1e-14)
    np.testing.assert_allclose(
        res.sub_indices["dimension"].sum(axis=1).to_numpy(), res.index, atol=1e-14
    )


def test_per_period_entropy_with_topsis_raises():
    with pytest.raises(DataValidationError, match="only with aggregation='weighted_sum'") as exc:
        fit(weighting_options={"scope": "per_period"}, aggregation="topsis")
    assert exc.value.field == "weighting_options"


def test_bad_choices():
    with pytest.raises(DataValidationError) as exc:
        fit(weighting="pca")
    assert exc.value.field == "weighting"
    with pytest.raises(DataValidationError) as exc:
        fit(aggregation="vikor")
    assert exc.value.field == "aggregation"
    with pytest.raises(DataValidationError, match="unknown indicator") as exc:
        fit(groups={"tech": ["x1", "x99"]})
    assert exc.value.field == "groups"


def test_nan_in_panel_names_indicator():
    Y = X.copy()
    Y[5, 3] = np.nan
    with pytest.raises(DataValidationError, match="row 5") as exc:
        CompositeIndex(directions=DIRS).fit(Y, PERIODS, indicators=NAMES)
    assert exc.value.column == "x4"


# --------------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------------


def test_obstacles_and_frames():
    res = fit()
    obs = res.obstacles.degrees
    x01 = hand_x01(X, DIRS)
    F = (1 - x01) * res.weights.weights
    sums = F.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        obs, np.where(sums > 0, F / np.where(sums > 0, sums, 1), 0), atol=1e-14
    )
    np.testing.assert_allclose(
        res.obstacles.by_group, np.column_stack([obs[:, :3].sum(1), obs[:, 3:].sum(1)]), atol=1e-14
    )
    frame = res.to_frame()
    assert list(frame.columns) == ["entity", "period", "index", "rank", "tech", "green"]
    assert frame["entity"].iloc[0] == "p0"
    np.testing.assert_array_equal(frame["index"].to_numpy(), res.index)


def test_sub_dimension_level():
    groups = {
        "dimension": GROUPS,
        "sub_dimension": {"t1": ["x1"], "t2": ["x2", "x3"], "g": ["x4", "x5"]},
    }
    res = fit(groups=groups)
    sub = res.sub_indices["sub_dimension"]
    np.testing.assert_allclose(sub.sum(axis=1).to_numpy(), res.index, atol=1e-14)
    np.testing.assert_allclose(
        sub["t2"].to_numpy() + sub["t1"].to_numpy(),
        res.sub_indices["dimension"]["tech"].to_numpy(),
        atol=1e-14,
    )


@pytest.mark.parametrize("sorted_rows", [True, False])
def test_rank_within_periods_matches_rankdata(sorted_rows):
    """Ranks per period ("min" ties, 1 = highest) as scipy's rankdata gives them, whether
    the periods are runs of rows (ranked run by run) or mixed (one sort of all rows)."""
    from scipy.stats import rankdata

    from nqpf.indices.composite import _rank_within

    rng = np.random.default_rng(7)
    periods = np.repeat([2019, 2020, 2021], [40, 1, 59])
    values = rng.integers(0, 12, periods.size).astype(float)  # many ties
    if not sorted_rows:
        order = rng.permutation(periods.size)
        periods, values = periods[order], values[order]
    rank = _rank_within(values, periods)
    for p in np.unique(periods):
        rows = periods == p
        np.testing.assert_array_equal(rank[rows], rankdata(-values[rows], method="min"))
    assert rank.dtype == np.int64
