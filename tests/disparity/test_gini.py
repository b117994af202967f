"""Gini coefficient (methods.md §10.1): reference values, PySAL, brute force, properties.

Data: libpysal's bundled ``mexico.csv`` — decennial per-capita GDP of the 32 Mexican
states, 1940–2000.  Rey, S. J. and Sastre-Gutiérrez, M. L. (2010). Interregional
inequality dynamics in Mexico. *Spatial Economic Analysis* 5: 277–298.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nqpf.disparity._panel import ByPeriod
from nqpf.disparity.gini import GiniResult, gini
from nqpf.exceptions import DataValidationError

DECADES = [f"pcgdp{d}" for d in range(1940, 2010, 10)]
FAST = settings(max_examples=80, deadline=None, database=None)


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    """libpysal ``mexico.csv`` (Rey & Sastre-Gutiérrez 2010), 32 states × 7 decades."""
    libpysal = pytest.importorskip("libpysal")
    return pd.read_csv(libpysal.examples.get_path("mexico.csv"))


def gini_pairs(y, w=None) -> float:
    """Σ_i Σ_r w_i w_r |y_i − y_r| / (2 W² μ_w), straight from the definition (all pairs)."""
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    W = w.sum()
    mu = (w * y).sum() / W
    return float((np.outer(w, w) * np.abs(y[:, None] - y[None, :])).sum() / (2 * W * W * mu))


# -- reference values (methods.md R7, R10) -----------------------------------------------


def test_r7_mathmodels_gini0():
    # mathmodels gini0(c(10, 20, 30, 40, 100)) = 0.4 [official]
    res = gini([10, 20, 30, 40, 100])
    assert pytest.approx(0.4, abs=1e-15) == res.G
    assert res.n == 5 and res.mean == 40.0 and res.method == "population"


def test_r7_inequality_jl_and_small_sample():
    y = [8, 5, 1, 3, 5, 6, 7, 6, 3]
    # Inequality.jl docs: 0.2373737373737374 (population) [official]
    assert pytest.approx(0.2373737373737374, rel=1e-15) == gini(y).G
    # n/(n − 1) version 0.267045 [derived], 6 decimals → atol 5e-7
    ss = gini(y, small_sample=True)
    assert pytest.approx(0.267045, abs=5e-7) == ss.G
    assert pytest.approx(gini(y).G * 9 / 8, rel=1e-15) == ss.G
    assert ss.method == "small-sample n/(n-1)"


def test_r10_mexico_1940(mexico):
    # PySAL inequality docstring: Gini(pcgdp1940) = 0.35372371173452849 [official], rel 1e-12
    assert pytest.approx(0.35372371173452849, rel=1e-12) == gini(mexico["pcgdp1940"]).G


def test_against_pysal_all_decades(mexico):
    from inequality.gini import Gini

    for col in DECADES:
        y = mexico[col].to_numpy(dtype=float)
        assert pytest.approx(Gini(y).g, rel=1e-12) == gini(y).G, col


def test_against_all_pairs_random():
    rng = np.random.default_rng(11)
    for y in (
        rng.lognormal(0, 1, 500),
        rng.pareto(1.5, 300) + 1,
        rng.integers(0, 6, 400).astype(float),  # ties and zeros
        np.r_[np.zeros(50), rng.random(10)],
    ):
        assert pytest.approx(gini_pairs(y), rel=1e-12, abs=1e-15) == gini(y).G


# -- conventions and edge cases ----------------------------------------------------------


def test_all_equal_is_exactly_zero():
    for y in ([3.3] * 7, [0.1] * 1001, np.full(10_000, 1e-7)):
        assert gini(y).G == 0.0
        assert gini(y, weights=np.arange(1, len(y) + 1)).G == 0.0
        assert gini(y, small_sample=True).G == 0.0


def test_two_values_and_maximum():
    # one unit holds everything: G = (n − 1)/n, the population maximum
    assert pytest.approx(0.75, abs=1e-15) == gini([0, 0, 0, 5]).G
    assert pytest.approx(0.5, abs=1e-15) == gini([0, 5]).G
    assert pytest.approx(1.0, abs=1e-15) == gini([0, 0, 0, 5], small_sample=True).G


def test_negative_zero_is_zero():
    assert gini([-0.0, 1.0, 2.0]).G == gini([0.0, 1.0, 2.0]).G


@pytest.mark.parametrize(
    ("y", "match", "field"),
    [
        ([1.0, -2.0, 3.0], "non-negative; row 1 is -2.0", "y"),
        ([1.0, np.nan, 3.0], "missing or infinite .* row 1", "y"),
        ([1.0, np.inf], "missing or infinite", "y"),
        ([0.0, 0.0, 0.0], "mean is 0", "y"),
    ],
)
def test_bad_values(y, match, field):
    with pytest.raises(DataValidationError, match=match) as err:
        gini(y)
    assert err.value.field == field


def test_negative_value_names_row():
    with pytest.raises(DataValidationError) as err:
        gini([1.0, 2.0, -3.0])
    assert err.value.data_row == 2
    assert "not defined" in str(err.value)


def test_too_few_values():
    with pytest.raises(DataValidationError, match="at least 2 values, got 1"):
        gini([5.0])
    with pytest.raises(DataValidationError, match="at least 2 values, got 0"):
        gini([])


def test_bad_shapes_and_weights():
    with pytest.raises(DataValidationError, match="1-D"):
        gini(np.ones((2, 2, 2)))
    with pytest.raises(DataValidationError) as err:
        gini([1, 2, 3], weights=[1, 2])
    assert err.value.field == "weights"
    with pytest.raises(DataValidationError, match="non-negative"):
        gini([1, 2, 3], weights=[1, -2, 1])
    with pytest.raises(DataValidationError, match="sum to 0"):
        gini([1, 2, 3], weights=[0, 0, 0])
    with pytest.raises(DataValidationError, match="weighted mean is 0"):
        gini([0, 2, 3], weights=[1, 0, 0])
    with pytest.raises(DataValidationError, match="only defined for unweighted") as err:
        gini([1, 2, 3], weights=[1, 1, 1], small_sample=True)
    assert err.value.field == "small_sample"
    with pytest.raises(DataValidationError, match="numeric"):
        gini(["a", "b"])


# -- weights -----------------------------------------------------------------------------


def test_integer_weights_equal_replication():
    rng = np.random.default_rng(3)
    y = rng.lognormal(size=40)
    w = rng.integers(1, 6, 40)
    assert pytest.approx(gini(np.repeat(y, w)).G, rel=1e-12) == gini(y, weights=w).G


def test_weighted_against_all_pairs_and_scale_of_weights():
    rng = np.random.default_rng(4)
    y = rng.lognormal(size=200)
    w = rng.uniform(0.01, 5, 200)
    res = gini(y, weights=w)
    assert pytest.approx(gini_pairs(y, w), rel=1e-12) == res.G
    assert res.mean == pytest.approx(np.average(y, weights=w), rel=1e-13)
    assert res.method == "population, weighted"
    assert pytest.approx(res.G, rel=1e-12) == gini(y, weights=1000 * w).G


def test_zero_weight_drops_unit():
    y = np.array([1.0, 7.0, 2.0, 100.0, 4.0])
    w = np.array([1.0, 2.0, 1.0, 0.0, 3.0])
    assert pytest.approx(gini(y[w > 0], weights=w[w > 0]).G, rel=1e-13) == gini(y, weights=w).G


# -- panels: periods= and 2-D y ----------------------------------------------------------


def test_matrix_columns_are_periods(mexico):
    Y = mexico[DECADES].to_numpy(dtype=float)
    res = gini(Y)
    assert isinstance(res, ByPeriod)
    assert res.periods == list(range(7))
    for j, col in enumerate(DECADES):
        assert res[j].G == gini(mexico[col]).G
    frame = res.to_frame()
    assert list(frame.columns) == ["period", "G", "n", "mean", "method"]
    assert len(frame) == 7


def test_long_panel_periods(mexico):
    long = mexico.melt(id_vars="State", value_vars=DECADES, var_name="year", value_name="y")
    long["year"] = long["year"].str[-4:].astype(int)
    res = gini(long["y"], periods=long["year"])
    assert res.periods == list(range(1940, 2010, 10))
    for year, col in zip(res.periods, DECADES, strict=True):
        assert pytest.approx(gini(mexico[col]).G, rel=1e-15) == res[year].G
    assert "Gini by period" in res.summary().as_text()


def test_periods_with_weights():
    rng = np.random.default_rng(6)
    y, w = rng.lognormal(size=60), rng.uniform(1, 3, 60)
    p = np.repeat(["2019", "2020", "2021"], 20)
    res = gini(y, weights=w, periods=p)
    for k, label in enumerate(res.periods):
        rows = slice(20 * k, 20 * (k + 1))
        assert res[label].G == gini(y[rows], weights=w[rows]).G


def test_matrix_and_periods_together_rejected():
    with pytest.raises(DataValidationError, match="not both"):
        gini(np.ones((4, 2)) + np.arange(4)[:, None], periods=[1, 1, 2, 2])


def test_periods_length_mismatch():
    with pytest.raises(DataValidationError) as err:
        gini([1, 2, 3, 4], periods=[1, 1, 2])
    assert err.value.field == "periods"


def test_matrix_weights_per_cell():
    rng = np.random.default_rng(5)
    Y = rng.lognormal(size=(30, 3))
    Wm = rng.uniform(1, 2, (30, 3))
    res = gini(Y, weights=Wm)
    for j in range(3):
        assert pytest.approx(gini(Y[:, j], weights=Wm[:, j]).G, rel=1e-15) == res[j].G
    shared = gini(Y, weights=Wm[:, 0])
    assert pytest.approx(gini(Y[:, 2], weights=Wm[:, 0]).G, rel=1e-15) == shared[2].G


# -- result contract ---------------------------------------------------------------------


def test_result_contract():
    res = gini([1, 2, 3, 4])
    assert isinstance(res, GiniResult)
    assert float(res) == res.G
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.G = 0.0  # type: ignore[misc]
    text = res.summary().as_text()
    assert "基尼系数" in text and "population" in text
    assert "<table" in res.summary().as_html()
    assert res.to_frame().iloc[0].to_dict() == {
        "G": res.G,
        "n": 4,
        "mean": 2.5,
        "method": "population",
    }


# -- properties --------------------------------------------------------------------------

samples = hnp.arrays(
    np.float64,
    st.integers(2, 40),
    # no subnormals: the all-pairs reference divides by 2·n²·μ, which overflows to inf for
    # a mean like 5e-324 while gini() (sorted, scale-free) still gives the exact 1/2
    elements=st.floats(0, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
).filter(lambda a: a.sum() > 0)


@FAST
@given(samples)
def test_property_range_and_brute_force(y):
    G = gini(y).G
    n = y.shape[0]
    assert 0.0 <= G < 1.0
    assert (n - 1) / n + 1e-12 >= G
    assert pytest.approx(gini_pairs(y), rel=1e-9, abs=1e-12) == G


@FAST
@given(samples, st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_property_scale_and_permutation_invariance(y, c, rnd):
    G = gini(y).G
    assert pytest.approx(G, rel=1e-9, abs=1e-12) == gini(c * y).G
    perm = list(range(y.shape[0]))
    rnd.shuffle(perm)
    assert pytest.approx(G, rel=1e-12, abs=1e-15) == gini(y[perm]).G
