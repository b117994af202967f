"""programme_effects(): hand-worked changes, bootstrap against scipy, transitions against giddy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.evaluation import bootstrap_ci, programme_effects
from nqpf.exceptions import DataValidationError


def test_hand_worked_programme():
    t0 = [[40, 10], [50, 12], [30, 8], [60, np.nan]]
    t1 = [[46, 11], [49, 12], [41, 9], [75, 14]]
    r = programme_effects(
        t0, t1, names=["总分", "数字化管理"], levels_t0=[2, 2, 1, 3], levels_t1=[2, 2, 2, 3],
        n_boot=400, rng=1,
    )  # fmt: skip
    o = r.outcomes.set_index("outcome")
    # deltas 6, -1, 11, 15: mean 7.75, median 8.5, 3 of 4 improve
    assert o.loc["总分", "mean_delta"] == 7.75 and o.loc["总分", "median_delta"] == 8.5
    assert o.loc["总分", "share_improving"] == 0.75 and o.loc["总分", "share_declining"] == 0.25
    # the fourth firm has no T0 管理 points: left out and counted as attrition
    assert o.loc["数字化管理", "n_pairs"] == 3 and o.loc["数字化管理", "n_missing"] == 1
    assert o.loc["数字化管理", "mean_delta"] == pytest.approx(2 / 3)
    assert o.loc["总分", "mean_lo"] <= 7.75 <= o.loc["总分", "mean_hi"]
    assert r.level_change["share_up"] == 0.25 and r.level_change["share_same"] == 0.75
    lv = r.levels.set_index("level")
    assert lv.loc[2, "share_at_least_t0"] == 0.75 and lv.loc[2, "share_at_least_t1"] == 1.0
    counts = r.transition_frame()
    assert counts.loc["一级", "二级"] == 1 and counts.loc["二级", "二级"] == 2
    assert counts.to_numpy().sum() == 4
    assert any("缺少一期" in n for n in r.notes) and any("均值回归" in n for n in r.notes)
    assert "提升企业占比" in r.summary().as_text()
    assert {"outcomes", "levels", "transitions", "transition_p"} <= set(r.tables())


def test_seeded_bootstrap_is_reproducible():
    rng = np.random.default_rng(0)
    a, b = rng.normal(50, 10, 200), rng.normal(53, 10, 200)
    r1 = programme_effects(a, b, n_boot=300, rng=42)
    r2 = programme_effects(a, b, n_boot=300, rng=np.random.default_rng(42))
    assert r1.outcomes.equals(r2.outcomes)
    assert not r1.outcomes.equals(programme_effects(a, b, n_boot=300, rng=43).outcomes)


@pytest.mark.parametrize("statistic", [np.mean, np.median])
def test_percentile_interval_equals_scipy(statistic):
    # scipy.stats.bootstrap(method="percentile") draws rng.integers(0, n, (n_resamples, n)):
    # the same seed gives the same resamples, hence the same interval (test-only peer)
    d = np.random.default_rng(3).normal(size=57)
    ours = bootstrap_ci([d], lambda x, axis=-1: np.stack([statistic(x, axis=axis)]),
                        n_boot=999, ci=0.9, rng=11)  # fmt: skip
    ref = scipy.stats.bootstrap(
        (d,), statistic, n_resamples=999, method="percentile", confidence_level=0.9,
        rng=np.random.default_rng(11), vectorized=True,
    ).confidence_interval  # fmt: skip
    np.testing.assert_allclose(ours[0], [ref.low, ref.high], rtol=0, atol=1e-12)


def test_transition_matrix_equals_giddy():
    giddy = pytest.importorskip("giddy.markov")
    rng = np.random.default_rng(5)
    l0 = rng.integers(0, 5, 300)
    l1 = np.clip(l0 + rng.integers(-1, 3, 300), 0, 4)
    r = programme_effects(l0 * 10.0, l1 * 10.0, levels_t0=l0, levels_t1=l1, n_boot=10, rng=0)
    ref = giddy.Markov(np.column_stack([l0, l1]), classes=np.arange(5))
    np.testing.assert_array_equal(r.transition.transitions, ref.transitions)
    np.testing.assert_allclose(r.transition.p, ref.p)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=1, max_size=30))
def test_shares_and_bounds(pairs):
    a, b = np.array(pairs).T
    r = programme_effects(a, b, n_boot=50, rng=0).outcomes.iloc[0]
    d = b - a
    assert r.share_improving + r.share_declining <= 1 + 1e-12
    assert r.share_improving == pytest.approx((d > 0).mean())
    assert r.mean_lo <= r.mean_hi and r.share_lo <= r.share_hi
    assert d.min() - 1e-9 <= r.mean_lo and r.mean_hi <= d.max() + 1e-9


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"t0": [1, 2], "t1": [1, 2, 3]}, "t1"),
        ({"t0": [1, 2], "t1": [1, 2], "n_boot": 0}, "n_boot"),
        ({"t0": [1, 2], "t1": [1, 2], "ci": 1.0}, "ci"),
        ({"t0": [1, 2], "t1": [1, 2], "levels_t0": [1, 2]}, "levels_t1"),
        ({"t0": [1, 2], "t1": [1, 2], "levels_t0": [1, 7], "levels_t1": [1, 2]}, "levels_t0"),
        ({"t0": [np.nan], "t1": [1]}, "total"),
        ({"t0": ["a"], "t1": [1]}, "t0"),
    ],
)
def test_refusals(kwargs, field):
    with pytest.raises(DataValidationError) as e:
        programme_effects(**kwargs)
    assert e.value.field == field
