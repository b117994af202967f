"""Kernel density per period (methods.md §12) against statsmodels.

statsmodels is a test-only oracle: ``bw_silverman``/``bw_scott`` for the bandwidths and
``KDEUnivariate(kernel="gau", bw=h, fft=False)`` for the density at the same points.
Data: libpysal's ``usjoin.csv`` (per-capita income of the 48 lower US states, 1929–2009;
Bureau of Economic Analysis).
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from nqpf.disparity.kde import bandwidth_rule, kde
from nqpf.exceptions import DataValidationError

# The package exports the function kde, which shadows the submodule attribute.
kde_module = importlib.import_module("nqpf.disparity.kde")

FAST = settings(max_examples=50, deadline=None, database=None)

bandwidths = pytest.importorskip("statsmodels.nonparametric.bandwidths")
sm_kde = pytest.importorskip("statsmodels.nonparametric.kde")

YEARS = (1929, 1969, 2009)


@pytest.fixture(scope="module")
def incomes() -> np.ndarray:
    """Relative per-capita incomes of 48 states in 1929, 1969 and 2009 (48 × 3)."""
    libpysal = pytest.importorskip("libpysal")
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    pci = df[[str(y) for y in YEARS]].to_numpy(dtype=float)
    return pci / pci.mean(axis=0)


def statsmodels_density(x, h, points, weights=None):
    k = sm_kde.KDEUnivariate(np.asarray(x, dtype=float))
    k.fit(kernel="gau", bw=float(h), fft=False, weights=weights)
    return k.evaluate(points)


SAMPLES = [
    np.random.default_rng(0).lognormal(size=200),
    np.array([1.0, 2.0, 4.0, 7.0, 11.0]),
    np.array([0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0]),  # IQR = 0: A falls back to sd
    np.random.default_rng(1).normal(3, 0.1, size=31),
]


@pytest.mark.parametrize("x", SAMPLES)
def test_bandwidth_rules_match_statsmodels(x):
    assert bandwidth_rule(x) == pytest.approx(bandwidths.bw_silverman(x), rel=1e-12)
    assert bandwidth_rule(x, "scott") == pytest.approx(bandwidths.bw_scott(x), rel=1e-12)


def test_iqr_zero_falls_back_to_sd():
    x = SAMPLES[2]
    assert bandwidth_rule(x) == pytest.approx(0.9 * np.std(x, ddof=1) * x.size**-0.2)


def test_scipy_silverman_is_a_different_rule():
    x = SAMPLES[0]
    scipy_h = stats.gaussian_kde(x, bw_method="silverman").factor * np.std(x, ddof=1)
    assert scipy_h == pytest.approx(np.std(x, ddof=1) * (x.size * 3 / 4) ** -0.2)
    assert abs(scipy_h - bandwidth_rule(x)) > 0.05 * bandwidth_rule(x)


@pytest.mark.parametrize("rule", ["silverman", "scott"])
def test_density_matches_statsmodels(incomes, rule):
    res = kde(incomes, periods=YEARS, bandwidth=rule)
    assert res.periods == YEARS and res.bandwidth_rule == rule
    assert res.density.shape == (3, 256)
    for j, year in enumerate(YEARS):
        x = incomes[:, j]
        expected_h = (bandwidths.bw_silverman if rule == "silverman" else bandwidths.bw_scott)(x)
        assert res.bandwidth[j] == pytest.approx(expected_h, rel=1e-12)
        ref = statsmodels_density(x, res.bandwidth[j], res.grid)
        np.testing.assert_allclose(res[year], ref, rtol=0, atol=1e-10)


def test_weighted_density_matches_statsmodels(incomes):
    pop = np.random.default_rng(2).uniform(1, 10, size=incomes.shape)
    res = kde(incomes, weights=pop, bandwidth=0.08)
    for j in range(3):
        ref = statsmodels_density(incomes[:, j], 0.08, res.grid, weights=pop[:, j])
        np.testing.assert_allclose(res.density[j], ref, rtol=0, atol=1e-10)
    # weights change the density but not the rule bandwidths
    a = kde(incomes, weights=pop)
    b = kde(incomes)
    np.testing.assert_array_equal(a.bandwidth, b.bandwidth)
    assert np.abs(a.density - b.density).max() > 1e-3


def test_one_shared_grid_covering_all_periods(incomes):
    res = kde(incomes)
    lo = min(incomes[:, j].min() - 3 * res.bandwidth[j] for j in range(3))
    hi = max(incomes[:, j].max() + 3 * res.bandwidth[j] for j in range(3))
    assert res.grid[0] == pytest.approx(lo) and res.grid[-1] == pytest.approx(hi)
    assert res.grid.shape == (256,)
    np.testing.assert_allclose(np.diff(res.grid), np.diff(res.grid)[0])


def test_densities_integrate_to_one(incomes):
    res = kde(incomes)
    np.testing.assert_allclose(res.integrals(), 1.0, atol=5e-3)
    wide = kde(incomes, cut=6.0, grid_size=1024)
    np.testing.assert_allclose(wide.integrals(), 1.0, atol=1e-6)


def test_long_format_equals_wide(incomes):
    wide = kde(incomes, periods=YEARS)
    values = incomes.T.ravel()
    labels = np.repeat(YEARS, incomes.shape[0])
    order = np.random.default_rng(3).permutation(values.size)
    long = kde(values[order], periods=labels[order])
    assert long.periods == YEARS
    np.testing.assert_allclose(long.grid, wide.grid, rtol=1e-13)
    np.testing.assert_allclose(long.density, wide.density, rtol=1e-10, atol=1e-13)


def test_unbalanced_long_format_and_single_sample():
    res = kde([1.0, 2.0, 3.0, 10.0, 12.0], periods=["a", "a", "a", "b", "b"])
    assert res.periods == ("a", "b") and res.n_obs.tolist() == [3, 2]
    single = kde([1.0, 2.0, 4.0])
    assert single.periods == ("all",)


def test_chunked_evaluation_is_exact(incomes, monkeypatch):
    full = kde(incomes)
    monkeypatch.setattr(kde_module, "_CHUNK_CELLS", 300)  # one observation per chunk
    chunked = kde(incomes)
    np.testing.assert_allclose(chunked.density, full.density, rtol=1e-12, atol=1e-15)


def test_user_grid_and_bandwidths():
    y = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 4.0]])
    grid = np.linspace(-5, 10, 31)
    res = kde(y, bandwidth=[0.5, 1.0], grid=grid)
    np.testing.assert_array_equal(res.grid, grid)
    np.testing.assert_array_equal(res.bandwidth, [0.5, 1.0])
    expected = stats.norm.pdf((grid[:, None] - y[:, 1]) / 1.0).mean(axis=1)
    np.testing.assert_allclose(res.density[1], expected, rtol=1e-13)
    assert res.bandwidth_rule == "user"


def test_all_equal_values():
    y = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    with pytest.raises(DataValidationError, match=r"period 0.*all 3 values are equal"):
        kde(y)
    res = kde(y, bandwidth=0.5, grid=np.linspace(-2, 4, 61))
    np.testing.assert_allclose(res.density[0], stats.norm.pdf(res.grid, 1.0, 0.5), rtol=1e-13)


def test_peaks_of_a_single_gaussian():
    res = kde([0.0], bandwidth=1.0, grid=np.linspace(-6, 6, 2401))
    pk = res.peaks(min_height=0.05).iloc[0]
    assert pk.n_peaks == 1 and pk.main_peak == pytest.approx(0.0, abs=1e-12)
    assert pk.main_height == pytest.approx(stats.norm.pdf(0))
    assert pk.fwhm == pytest.approx(2 * np.sqrt(2 * np.log(2)), abs=1e-5)
    edge = np.sqrt(2 * np.log(20))  # φ(x) = 0.05 φ(0)
    assert pk.low == pytest.approx(-edge, abs=1e-5) and pk.high == pytest.approx(edge, abs=1e-5)
    assert pk.left_tail == pytest.approx(pk.right_tail, abs=1e-9)


def test_peaks_bimodal_and_skewed():
    rng = np.random.default_rng(4)
    two = np.concatenate([rng.normal(0, 0.3, 100), rng.normal(3, 0.3, 60)])
    skewed = rng.lognormal(0, 0.6, 300)
    res = kde(np.concatenate([two, skewed]), periods=["two"] * 160 + ["skew"] * 300)
    pk = res.peaks().set_index("period")
    assert pk.loc["two", "n_peaks"] == 2
    assert pk.loc["two", "peaks"][0] == pytest.approx(0, abs=0.2)
    assert pk.loc["two", "peaks"][1] == pytest.approx(3, abs=0.2)
    assert pk.loc["two", "main_peak"] == pytest.approx(0, abs=0.2)
    assert pk.loc["skew", "n_peaks"] == 1
    assert pk.loc["skew", "right_tail"] > 2 * pk.loc["skew", "left_tail"]
    with pytest.raises(DataValidationError, match="min_height"):
        res.peaks(min_height=1.5)


def test_frame_and_summary(incomes):
    res = kde(incomes, periods=YEARS)
    frame = res.to_frame()
    assert list(frame.columns) == ["period", "x", "density"]
    assert len(frame) == 3 * 256
    np.testing.assert_array_equal(frame.loc[frame.period == 1969, "density"], res[1969])
    text = res.summary().as_text()
    assert "主峰" in text and "波峰数" in text and "1929 → 2009" in text


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1.0, np.nan], [2.0, 3.0]],), {}, "unit 0, period 1"),
        (([1.0, 2.0, np.inf],), {}, "position 2"),
        ((np.ones((2, 2, 2)),), {}, "1-D"),
        (([[1.0, 2.0], [2.0, 3.0]],), {"periods": [1, 2, 3]}, "3 labels"),
        (([1.0, 2.0, 3.0],), {"periods": [1, 2]}, "2 entries"),
        (([1.0, 2.0, 3.0],), {"bandwidth": "normal"}, "silverman"),
        (([1.0, 2.0, 3.0],), {"bandwidth": -1.0}, "positive"),
        (([1.0, 2.0, 3.0],), {"bandwidth": [1.0, 2.0]}, "1 numbers"),
        (([1.0, 2.0, 3.0],), {"grid": [0.0, 0.0, 1.0]}, "increasing"),
        (([1.0, 2.0, 3.0],), {"grid_size": 1}, "grid_size"),
        (([1.0, 2.0, 3.0],), {"cut": -1.0}, "cut"),
        (([1.0, 2.0, 3.0],), {"weights": [1.0, -1.0, 1.0]}, "non-negative"),
        (([1.0, 2.0, 3.0],), {"weights": [1.0, 1.0]}, "shape"),
        (([1.0],), {}, "at least 2 values"),
        ((["a", "b"],), {}, "numeric"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        kde(*args, **kwargs)


@FAST
@given(
    hnp.arrays(np.float64, st.integers(2, 40), elements=st.floats(-1e3, 1e3)),
    st.sampled_from(["silverman", "scott"]),
)
def test_density_is_a_density(x, rule):
    try:
        h = bandwidth_rule(x, rule)
    except DataValidationError:
        assert np.std(x, ddof=1) == 0
        return
    assume(h > 1e-8 * max(1.0, np.abs(x).max()))  # grid spacing representable in float64
    # a grid fine enough to resolve the kernels: spacing <= h / 4
    size = int(min(20000, (np.ptp(x) + 6 * h) / (h / 4) + 2))
    res = kde(x, bandwidth=rule, grid_size=max(size, 64))
    assert (res.density >= 0).all()
    if size < 20000:
        assert res.integrals()[0] == pytest.approx(1.0, abs=5e-3)
