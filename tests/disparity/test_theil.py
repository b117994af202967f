"""Theil index and its one- and two-level decompositions (methods.md §11).

Data: libpysal's bundled ``mexico.csv`` with the ``hanson98`` regions as groups.  Rey, S. J.
and Sastre-Gutiérrez, M. L. (2010). Interregional inequality dynamics in Mexico. *Spatial
Economic Analysis* 5: 277–298.
"""

from __future__ import annotations

import dataclasses
import importlib
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.disparity._panel import ByPeriod
from nqpf.disparity.theil import TheilResult, theil
from nqpf.exceptions import DataValidationError

# the package re-exports the function theil(), which shadows the submodule attribute
theil_module = importlib.import_module("nqpf.disparity.theil")

DECADES = [f"pcgdp{d}" for d in range(1940, 2010, 10)]
FAST = settings(max_examples=80, deadline=None, database=None)

# methods.md R10 [official: PySAL inequality Theil docstring], 8 decimals → atol 5e-9
R10_THEIL = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    """libpysal ``mexico.csv`` (Rey & Sastre-Gutiérrez 2010), 32 states, hanson98 regions."""
    libpysal = pytest.importorskip("libpysal")
    return pd.read_csv(libpysal.examples.get_path("mexico.csv"))


def theil_by_hand(y, w=None) -> float:
    """Σ_i (w_i/W)(y_i/Ȳ) ln(y_i/Ȳ) with 0·ln 0 = 0, written out term by term."""
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    W = w.sum()
    mean = (w * y).sum() / W
    total = 0.0
    for yi, wi in zip(y, w, strict=True):
        if yi > 0:
            total += wi / W * (yi / mean) * math.log(yi / mean)
    return total


# -- reference values --------------------------------------------------------------------


def test_r8_zero_income_toy():
    # pysal/inequality tests after PR #92 (methods.md R8): T = T_b = ln 2, T_w = 0
    res = theil([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1])
    assert res.total == pytest.approx(math.log(2), abs=1e-15)
    assert res.between == pytest.approx(math.log(2), abs=1e-15)
    assert res.within == 0.0  # exactly: computed as Σ s_g T_g, not T − T_b
    assert np.isnan(res.T_g[0]) and res.T_g[1] == 0.0  # the all-zero group is skipped
    assert res.contribution.tolist() == [0.0, 0.0]
    assert res.share.tolist() == [0.0, 1.0]


def test_r10_mexico_theil_all_decades(mexico):
    res = theil(mexico[DECADES].to_numpy(dtype=float))
    np.testing.assert_allclose([res[j].total for j in range(7)], R10_THEIL, rtol=0, atol=5e-9)


def test_against_pysal_theil_and_theild(mexico):
    from inequality.theil import Theil, TheilD

    Y = mexico[DECADES].to_numpy(dtype=float)
    g = mexico["hanson98"].to_numpy()
    pysal_T = Theil(Y).T
    pysal_D = TheilD(Y, g)
    res = theil(Y, g)
    assert isinstance(res, ByPeriod) and res.periods == list(range(7))
    for j in range(7):
        assert res[j].total == pytest.approx(pysal_T[j], abs=1e-8)
        assert res[j].between == pytest.approx(pysal_D.bg[j], abs=1e-8)
        assert res[j].within == pytest.approx(pysal_D.wg[j], abs=1e-8)
        one = theil(Y[:, j], g)  # the 1-D call gives the same numbers
        assert one.total == res[j].total and one.between == res[j].between


def test_against_term_by_term_formula():
    rng = np.random.default_rng(1)
    y = np.r_[rng.lognormal(size=200), np.zeros(5)]
    w = rng.uniform(0.1, 4.0, 205)
    assert theil(y).total == pytest.approx(theil_by_hand(y), rel=1e-12)
    assert theil(y, weights=w).total == pytest.approx(theil_by_hand(y, w), rel=1e-12)


# -- decomposition -----------------------------------------------------------------------


def test_decomposition_by_hand(mexico):
    y = mexico["pcgdp1970"].to_numpy(dtype=float)
    g = mexico["hanson98"].to_numpy()
    res = theil(y, g)
    labels = np.unique(g)
    n, Y = len(y), y.sum()
    s = np.array([y[g == v].sum() / Y for v in labels])
    ng = np.array([(g == v).sum() for v in labels])
    T_g = np.array([theil_by_hand(y[g == v]) for v in labels])
    assert res.groups == tuple(labels.tolist())
    np.testing.assert_allclose(res.share, s, rtol=1e-14)
    np.testing.assert_allclose(res.pop_share, ng / n, rtol=1e-15)
    np.testing.assert_allclose(res.T_g, T_g, rtol=1e-12)
    assert res.between == pytest.approx(float((s * np.log(s * n / ng)).sum()), abs=1e-14)
    assert res.within == pytest.approx(float((s * T_g).sum()), abs=1e-14)
    assert res.total == pytest.approx(res.between + res.within, abs=1e-14)
    np.testing.assert_allclose(res.contribution, s * T_g, rtol=1e-12)
    assert res.between_terms.sum() == pytest.approx(res.between, abs=1e-15)


def test_weighted_decomposition():
    rng = np.random.default_rng(2)
    y = rng.lognormal(size=120)
    g = rng.integers(0, 4, 120)
    w = rng.uniform(0.5, 20.0, 120)
    res = theil(y, g, weights=w)
    assert res.weighted
    assert res.total == pytest.approx(theil_by_hand(y, w), rel=1e-12)
    W, Yw = w.sum(), (w * y).sum()
    s = np.array([(w * y)[g == v].sum() / Yw for v in range(4)])
    p = np.array([w[g == v].sum() / W for v in range(4)])
    T_g = np.array([theil_by_hand(y[g == v], w[g == v]) for v in range(4)])
    assert res.between == pytest.approx(float((s * np.log(s / p)).sum()), abs=1e-14)
    assert res.within == pytest.approx(float((s * T_g).sum()), abs=1e-14)
    # integer weights = replicated sample
    wi = rng.integers(1, 4, 120)
    a, b = theil(y, g, weights=wi), theil(np.repeat(y, wi), np.repeat(g, wi))
    assert a.total == pytest.approx(b.total, rel=1e-12)
    assert a.between == pytest.approx(b.between, rel=1e-12)
    assert a.within == pytest.approx(b.within, rel=1e-12)


def test_nested_two_level(mexico):
    y = mexico["pcgdp1980"].to_numpy(dtype=float)
    regions = mexico["hanson98"].to_numpy()
    sub = np.arange(32) % 3  # three "provinces" per region, labels reused across regions
    res = theil(y, regions, nested=sub)
    # components sum to the total and to the within-group part
    parts = res.between + res.between_subgroups + res.within_subgroups
    assert parts == pytest.approx(res.total, abs=1e-14)
    assert res.between_subgroups + res.within_subgroups == pytest.approx(res.within, abs=1e-14)
    # between regions + between subgroups within regions = between all (region, sub) pairs
    pair = np.array([f"{r}/{c}" for r, c in zip(regions, sub, strict=True)])
    flat = theil(y, pair)
    assert res.between + res.between_subgroups == pytest.approx(flat.between, abs=1e-14)
    assert res.within_subgroups == pytest.approx(flat.within, abs=1e-14)
    # by hand: Σ_g s_g · (Theil between the subgroups of g)
    by_hand = 0.0
    for v in np.unique(regions):
        m = regions == v
        inner = theil(y[m], sub[m])
        by_hand += y[m].sum() / y.sum() * inner.between
    assert res.between_subgroups == pytest.approx(by_hand, abs=1e-14)
    table = res.to_frame("subgroups")
    assert len(table) == len(set(zip(regions, sub, strict=True))) == len(res.subgroups)
    assert table["contribution"].sum() == pytest.approx(res.within_subgroups, abs=1e-15)
    assert table["between_term"].sum() == pytest.approx(res.between_subgroups, abs=1e-15)


def test_nested_with_zero_subgroup_and_weights():
    y = np.array([0.0, 0.0, 4.0, 6.0, 1.0, 2.0, 3.0, 9.0])
    g = np.array(["A", "A", "A", "A", "B", "B", "B", "B"])
    sub = np.array([1, 1, 2, 2, 1, 1, 2, 2])
    w = np.array([1.0, 2.0, 1.0, 3.0, 2.0, 2.0, 1.0, 1.0])
    for weights in (None, w):
        res = theil(y, g, nested=sub, weights=weights)
        parts = res.between + res.between_subgroups + res.within_subgroups
        assert parts == pytest.approx(res.total, abs=1e-14)
        assert np.isnan(res.sub_table["T"].iloc[0])  # (A, 1) is all zeros: skipped
        assert res.sub_table["contribution"].iloc[0] == 0.0


def test_identity_check_is_enforced(monkeypatch):
    monkeypatch.setattr(theil_module, "IDENTITY_RTOL", -1.0)
    with pytest.raises(ArithmeticError, match="T = T_b \\+ T_w"):
        theil([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1])


# -- shapes, panels ----------------------------------------------------------------------


def test_no_groups_and_vector_output(mexico):
    res = theil(mexico["pcgdp1940"])
    assert isinstance(res, TheilResult)
    assert res.between is None and res.within is None and res.groups is None
    assert float(res) == res.total
    assert list(res.to_frame()["component"]) == ["total"]
    by_col = theil(mexico[DECADES].to_numpy(dtype=float))
    vector = np.array([r.total for r in by_col.results.values()])
    np.testing.assert_allclose(vector, R10_THEIL, atol=5e-9)


def test_long_panel_periods(mexico):
    long = mexico.melt(id_vars=["hanson98"], value_vars=DECADES, var_name="year", value_name="y")
    res = theil(long["y"], long["hanson98"], periods=long["year"])
    assert res.periods == DECADES
    for col in DECADES:
        one = theil(mexico[col], mexico["hanson98"])
        assert res[col].within == pytest.approx(one.within, abs=1e-15)
    frame = res.to_frame()
    assert frame["period"].nunique() == 7 and set(frame["table"]) == {"components", "groups"}


def test_constant_group_is_exactly_zero():
    # found by hypothesis: the rounded mean of 37 copies of 0.013 is not 0.013, so the
    # plain formula gave T_g = -5.6e-16; constant groups are 0 exactly, T_g is never < 0
    y = np.r_[np.full(20, 0.013), np.zeros(17)]
    g = np.r_[np.ones(20, int), np.zeros(17, int)]
    res = theil(y, g)
    assert res.T_g[1] == 0.0 and res.within == 0.0
    assert theil(np.full(1001, 0.1)).total == 0.0


def test_all_equal_and_zero_values():
    assert theil([5.0] * 6).total == 0.0
    res = theil([5.0] * 6, [1, 1, 2, 2, 3, 3])
    assert res.total == 0.0 and res.between == 0.0 and res.within == 0.0
    # one unit holds everything: T = ln n
    assert theil([0, 0, 0, 8]).total == pytest.approx(math.log(4), abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "match", "field"),
    [
        ({"y": [1.0, -1.0, 2.0]}, "non-negative; row 1", "y"),
        ({"y": [0.0, 0.0]}, "mean is 0", "y"),
        ({"y": [1.0, np.nan]}, "missing or infinite", "y"),
        ({"y": [1, 2, 3], "groups": [0, 1]}, "groups has 2 labels but y has 3", "groups"),
        ({"y": [1, 2, 3], "nested": [0, 1, 1]}, "pass groups= too", "nested"),
        ({"y": [1, 2, 3], "groups": [0, 1, 1], "nested": [0, 1]}, "nested has 2", "nested"),
        ({"y": [1, 2, 3], "weights": [1, 2]}, "shape", "weights"),
        ({"y": [1, 2, 3], "weights": [0, 0, 0]}, "sum to 0", "weights"),
    ],
)
def test_bad_input(kwargs, match, field):
    with pytest.raises(DataValidationError, match=match) as err:
        theil(**kwargs)
    assert err.value.field == field


def test_too_few_values():
    with pytest.raises(DataValidationError, match="at least 2 values"):
        theil([3.0])


# -- contract ----------------------------------------------------------------------------


def test_result_contract(mexico):
    res = theil(mexico["pcgdp1990"], mexico["hanson98"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.total = 0.0  # type: ignore[misc]
    text = res.summary().as_text()
    assert "泰尔指数" in text and "T_b 组间" in text
    assert res.summary().rows[0] == ("T 泰尔指数", res.total)
    groups = res.to_frame("groups")
    assert len(groups) == 5
    assert groups["contribution_pct"].sum() == pytest.approx(100 * res.within / res.total)
    comps = res.to_frame("components")
    assert comps["contribution_pct"].iloc[1:].sum() == pytest.approx(100.0, abs=1e-9)
    with pytest.raises(DataValidationError, match="table="):
        res.to_frame("subgroups")


# -- properties --------------------------------------------------------------------------


@st.composite
def grouped(draw):
    k = draw(st.integers(1, 5))
    n = draw(st.integers(max(k, 2), 40))
    y = np.array(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)), dtype=float)
    if y.sum() == 0:
        y[0] = 1.0
    g = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    scale = draw(st.sampled_from([1.0, 0.013, 777.7]))
    return y * scale, g


@FAST
@given(grouped())
def test_property_decomposition(data):
    y, g = data
    res = theil(y, g)
    assert res.total == pytest.approx(res.between + res.within, abs=1e-12)
    assert res.within >= 0.0
    assert res.between >= -1e-15
    assert -1e-15 <= res.total <= math.log(len(y)) + 1e-12


@FAST
@given(grouped(), st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_property_scale_and_permutation_invariance(data, c, rnd):
    y, g = data
    base = theil(y, g)
    perm = list(range(len(y)))
    rnd.shuffle(perm)
    for other in (theil(c * y, g), theil(y[perm], g[perm])):
        assert other.total == pytest.approx(base.total, abs=1e-12)
        assert other.between == pytest.approx(base.between, abs=1e-12)
        assert other.within == pytest.approx(base.within, abs=1e-12)


# ---------------------------------------------------------------- permutation inference


def _legacy_permutations(seed: int, n: int, P: int) -> np.ndarray:
    """The row permutations PySAL's TheilDSim draws: numpy.random.permutation after
    numpy.random.seed(seed) (a shuffled index, so permuting y or arange(n) is the same)."""
    rs = np.random.RandomState(seed)
    return np.array([rs.permutation(n) for _ in range(P)])


def _p_from_engine(y, groups, perms):
    from nqpf.disparity._validation import encode_groups

    labels, codes = encode_groups(groups, y.shape[0])
    r = theil(y, groups)
    sim = theil_module._between_sim(y, None, codes, labels.size, [perms])
    tol = 1e-10 * (abs(r.between) + r.total)
    return ((sim >= r.between - tol).sum() + 1) / (perms.shape[0] + 1), sim


def test_theil_sim_published_p_values(mexico):
    """PySAL inequality tests/test_theil.py::TestTheilDSim (seed 10, 999 permutations):
    bg_pvalue = [0.4, 0.344, 0.001, 0.001, 0.034, 0.072, 0.032], reproduced exactly by
    feeding nqpf's permutation engine the permutations PySAL draws."""
    y = mexico[DECADES].to_numpy(float)
    g = mexico["hanson98"].to_numpy()
    perms = _legacy_permutations(10, 32, 999)
    got = [_p_from_engine(y[:, j], g, perms)[0] for j in range(7)]
    np.testing.assert_allclose(got, [0.4, 0.344, 0.001, 0.001, 0.034, 0.072, 0.032], atol=1e-12)


def test_theil_sim_equals_inequality_run(mexico):
    ineq = pytest.importorskip("inequality.theil")
    y = mexico[DECADES].to_numpy(float)
    g = mexico["hanson98"].to_numpy()
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(4)  # noqa: NPY002
        ref = ineq.TheilDSim(y, g, 99)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    perms = _legacy_permutations(4, 32, 99)
    for j in range(7):
        p, sim = _p_from_engine(y[:, j], g, perms)
        np.testing.assert_allclose(sim, ref.bg[1:, j], rtol=1e-12, atol=1e-15)
        assert p == pytest.approx(ref.bg_pvalue[j], abs=1e-12)


def test_theil_permutations_public_api(mexico):
    y = mexico[DECADES].to_numpy(float)
    g = mexico["hanson98"].to_numpy()
    r = theil(y[:, 0], g, permutations=999, rng=10)
    assert r.permutations == 999 and r.between_sim.shape == (999,)
    assert r.between_share == pytest.approx(r.between / r.total)
    # Monte Carlo agreement with PySAL's published p for 1940 (0.4, different stream)
    assert abs(r.between_p_value - 0.4) < 0.06
    again = theil(y[:, 0], g, permutations=999, rng=np.random.default_rng(10))
    assert again.between_p_value == r.between_p_value  # seeded
    # per column: one result per decade, each with its own draws from the shared stream
    panel = theil(y, g, permutations=199, rng=1)
    assert isinstance(panel, ByPeriod) and panel[3].between_p_value == pytest.approx(0.005)
    comps = r.to_frame("components")
    assert comps.loc[comps.component == "between", "p_value"].item() == r.between_p_value
    assert comps.loc[comps.component == "total", "p_value"].isna().all()
    assert "置换" in r.summary().as_text()
    assert "p_value" not in theil(y[:, 0], g).to_frame("components")


def test_theil_permutation_p_matches_exact_enumeration():
    """8 units in two groups of 4: the 70 assignments give the exact p-value."""
    import itertools

    y = np.array([1.0, 2.0, 3.0, 5.0, 4.0, 8.0, 9.0, 12.0])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    obs = theil(y, g).between
    sims = []
    for first in itertools.combinations(range(8), 4):
        lab = np.ones(8, dtype=int)
        lab[list(first)] = 0
        sims.append(theil(y, lab).between)
    exact = np.mean(np.array(sims) >= obs - 1e-12)
    r = theil(y, g, permutations=20000, rng=5)
    assert r.between_p_value == pytest.approx(exact, abs=0.01)


@settings(max_examples=25, deadline=None, database=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_theil_permuted_between_is_theil_of_permuted_units(seed, weighted):
    """Each permuted T_b is theil() of the units (values and weights) moved as a block."""
    rng = np.random.default_rng(seed)
    n = 12
    y = rng.lognormal(size=n)
    g = rng.integers(0, 3, n)
    w = rng.uniform(0.5, 3.0, n) if weighted else None
    perms = np.array([rng.permutation(n) for _ in range(5)])
    from nqpf.disparity._validation import encode_groups

    labels, codes = encode_groups(g, n)
    sim = theil_module._between_sim(y, w, codes, labels.size, [perms.astype(float)])
    for r, idx in enumerate(perms):
        ref = theil(y[idx], g, weights=None if w is None else w[idx]).between
        assert sim[r] == pytest.approx(ref, abs=1e-12)


def test_theil_permutation_errors():
    with pytest.raises(DataValidationError, match="pass groups"):
        theil([1.0, 2.0, 3.0], permutations=9)
    with pytest.raises(DataValidationError, match="non-negative integer"):
        theil([1.0, 2.0, 3.0], [0, 0, 1], permutations=-1)
    with pytest.raises(DataValidationError, match="legacy"):
        theil([1.0, 2.0, 3.0], [0, 0, 1], permutations=9, rng=np.random.RandomState(1))
