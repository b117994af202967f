"""Dagum (1997) Gini decomposition (methods.md §10.2–10.4).

The fast O(n log n) route is checked against an all-pairs twin written here straight from
the definitions of methods.md §10.2 (broadcast |y_ji − y_hr| matrices for every pair of
groups, D_jh from d_jh and p_jh, G_nb and G_t from the double sums over j > h), on random,
tied, integer and real data, with and without population weights.

Data: libpysal's bundled ``mexico.csv`` with the ``hanson98`` regions as groups.  Rey, S. J.
and Sastre-Gutiérrez, M. L. (2010). Interregional inequality dynamics in Mexico. *Spatial
Economic Analysis* 5: 277–298.
"""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.disparity._panel import ByPeriod
from nqpf.disparity.gini import DagumResult, dagum, gini
from nqpf.exceptions import DataValidationError

# the package re-exports the function gini(), which shadows the submodule attribute
gini_module = importlib.import_module("nqpf.disparity.gini")

DECADES = [f"pcgdp{d}" for d in range(1940, 2010, 10)]
TOL = 1e-12
FAST = settings(max_examples=60, deadline=None, database=None)


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    """libpysal ``mexico.csv`` (Rey & Sastre-Gutiérrez 2010), 32 states, hanson98 regions."""
    libpysal = pytest.importorskip("libpysal")
    return pd.read_csv(libpysal.examples.get_path("mexico.csv"))


def dagum_pairs(y, groups, w=None) -> dict:
    """All-pairs Dagum decomposition, straight from methods.md §10.2 (weights: w_i w_r)."""
    y = np.asarray(y, dtype=float)
    g = np.asarray(groups)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    labels = list(np.unique(g))
    W = w.sum()
    mu = (w * y).sum() / W
    G = (np.outer(w, w) * np.abs(y[:, None] - y[None, :])).sum() / (2 * W**2 * mu)
    Wj = np.array([w[g == lab].sum() for lab in labels])
    means = np.array([(w[g == lab] * y[g == lab]).sum() / w[g == lab].sum() for lab in labels])
    order = np.argsort(means, kind="stable")  # index groups by ascending mean
    labels = [labels[i] for i in order]
    Wj, means = Wj[order], means[order]
    k = len(labels)
    p = Wj / W
    s = Wj * means / (W * mu)
    G_jh = np.zeros((k, k))
    D_jh = np.zeros((k, k))
    for j in range(k):
        for h in range(k):
            yj, yh = y[g == labels[j]], y[g == labels[h]]
            ww = np.outer(w[g == labels[j]], w[g == labels[h]])
            diff = yj[:, None] - yh[None, :]
            G_jh[j, h] = (ww * np.abs(diff)).sum() / (Wj[j] * Wj[h] * (means[j] + means[h]))
            if j > h:  # μ_j ≥ μ_h
                d = (ww * np.maximum(diff, 0)).sum() / (Wj[j] * Wj[h])
                pp = (ww * np.maximum(-diff, 0)).sum() / (Wj[j] * Wj[h])
                D_jh[j, h] = D_jh[h, j] = (d - pp) / (d + pp) if d + pp > 0 else 0.0
    Gw = sum(G_jh[j, j] * p[j] * s[j] for j in range(k))
    Gnb = sum(
        G_jh[j, h] * (p[j] * s[h] + p[h] * s[j]) * D_jh[j, h] for j in range(1, k) for h in range(j)
    )
    Gt = sum(
        G_jh[j, h] * (p[j] * s[h] + p[h] * s[j]) * (1 - D_jh[j, h])
        for j in range(1, k)
        for h in range(j)
    )
    return dict(
        G=G, Gw=Gw, Gnb=Gnb, Gt=Gt, G_jh=G_jh, D_jh=D_jh, p=p, s=s, means=means, labels=labels
    )


def assert_matches_twin(res: DagumResult, y, groups, w=None, tol=TOL):
    ref = dagum_pairs(y, groups, w)
    assert list(res.groups) == [v.item() if hasattr(v, "item") else v for v in ref["labels"]]
    assert res.total == pytest.approx(ref["G"], abs=tol)
    assert res.within == pytest.approx(ref["Gw"], abs=tol)
    assert res.between == pytest.approx(ref["Gnb"], abs=tol)
    assert res.transvariation == pytest.approx(ref["Gt"], abs=tol)
    np.testing.assert_allclose(res.G_jh, ref["G_jh"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.G_jj, np.diag(ref["G_jh"]), rtol=0, atol=tol)
    np.testing.assert_allclose(res.D_jh, ref["D_jh"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.p, ref["p"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.s, ref["s"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.means, ref["means"], rtol=tol)
    assert_identity(res)


def assert_identity(res: DagumResult, tol=TOL):
    assert res.within + res.between + res.transvariation == pytest.approx(res.total, abs=tol)


# -- the fast route equals the all-pairs twin ---------------------------------------------


def test_lognormal_300_four_groups():
    rng = np.random.default_rng(2024)
    y = rng.lognormal(0.0, 0.8, 300)
    g = rng.choice(["东部", "中部", "西部", "东北"], 300)
    y[g == "东部"] *= 1.6
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    assert res.total == pytest.approx(gini(y).G, abs=TOL)
    assert res.k == 4 and res.n == 300


def test_tied_integer_data_with_zeros():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 6, 240).astype(float)  # many ties within and across groups, zeros
    g = rng.integers(1, 5, 240)
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    # integer labels come back as Python ints
    assert res.groups == tuple(int(v) for v in res.groups)


def test_group_with_one_member_has_zero_within_gini():
    rng = np.random.default_rng(8)
    y = rng.lognormal(size=41)
    g = np.array(["a"] * 20 + ["b"] * 20 + ["solo"])
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    solo = res.groups.index("solo")
    assert res.G_jj[solo] == 0.0
    assert res.within_j[solo] == 0.0
    assert res.sizes[solo] == 1


def test_separated_groups_have_no_transvariation():
    y = np.r_[np.arange(1.0, 11.0), np.arange(101.0, 111.0)]
    g = np.repeat([0, 1], 10)
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    assert res.transvariation == pytest.approx(0.0, abs=1e-15)
    assert res.D_jh[0, 1] == 1.0


def test_identical_constant_groups():
    # both groups the same constant: S_jh = 0, D_jh := 0, G = 0, shares NaN
    res = dagum([2.0, 2.0, 2.0, 2.0], ["x", "x", "y", "y"])
    assert res.total == 0.0 and res.within == 0.0
    assert res.between == 0.0 and res.transvariation == 0.0
    assert res.D_jh[0, 1] == 0.0
    assert all(np.isnan(v) for v in res.shares.values())


@pytest.mark.parametrize("col", DECADES)
def test_mexico_all_decades(mexico, col):
    from inequality.gini import Gini

    y = mexico[col].to_numpy(dtype=float)
    g = mexico["hanson98"].to_numpy()
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    assert res.total == pytest.approx(Gini(y).g, rel=1e-12)  # PySAL Gini (methods.md R10)
    assert res.k == 5
    assert sorted(res.sizes.tolist()) == [2, 6, 7, 7, 10]  # data.md §2


def test_mexico_1940_total_is_r10(mexico):
    res = dagum(mexico["pcgdp1940"], mexico["hanson98"])
    assert res.total == pytest.approx(0.35372371173452849, rel=1e-12)


def test_net_between_is_gini_of_group_means():
    # methods.md §10.3: G_nb = Gini of the vector with every value replaced by its group mean
    rng = np.random.default_rng(9)
    y = rng.lognormal(size=500)
    g = rng.integers(0, 6, 500)
    y *= 1 + g / 3
    res = dagum(y, g)
    means = np.array([y[g == v].mean() for v in range(6)])
    assert res.between == pytest.approx(gini(means[g]).G, abs=TOL)
    assert res.between == pytest.approx(gini(res.means, weights=res.sizes).G, abs=TOL)


# -- algorithm paths ---------------------------------------------------------------------


@pytest.mark.parametrize("k", [5, 8, 11])
def test_many_blocks_of_the_prefix_pass(monkeypatch, k):
    """Blocks of 97 rows (16 of them) and group counts below, at and above one lane width."""
    monkeypatch.setattr(gini_module, "_BLOCK_ROWS", 97)
    rng = np.random.default_rng(10)
    y = rng.lognormal(size=1500)
    g = rng.integers(0, k, 1500)
    res = dagum(y, g)
    assert_matches_twin(res, y, g)
    w = rng.uniform(0.5, 2.0, 1500)
    assert_matches_twin(dagum(y, g, w), y, g, w)


def test_sorted_search_path_for_many_groups(monkeypatch):
    rng = np.random.default_rng(12)
    y = rng.lognormal(size=400)
    g = rng.integers(0, 5, 400)
    w = rng.uniform(0.2, 3.0, 400)
    monkeypatch.setattr(gini_module, "PREFIX_MAX_GROUPS", 1)
    assert_matches_twin(dagum(y, g), y, g)
    assert_matches_twin(dagum(y, g, w), y, g, w)


def test_more_groups_than_prefix_limit():
    rng = np.random.default_rng(13)
    k = gini_module.PREFIX_MAX_GROUPS + 12
    g = np.r_[np.arange(k), rng.integers(0, k, 600)]
    y = rng.lognormal(size=g.size)
    assert_matches_twin(dagum(y, g), y, g)


def test_values_spanning_too_many_magnitudes_use_lexsort(monkeypatch):
    # bit-packed keys cannot hold a 1e-300 … 1e300 range with 8 groups: lexsort fallback
    calls = []
    lexsort = np.lexsort

    def spy(keys):
        calls.append(len(keys))
        return lexsort(keys)

    monkeypatch.setattr(np, "lexsort", spy)
    rng = np.random.default_rng(14)
    y = 10.0 ** rng.uniform(-300, 300, 120)
    g = rng.integers(0, 8, 120)
    assert_matches_twin(dagum(y, g), y, g)
    w = rng.uniform(0.5, 2.0, 120)
    assert_matches_twin(dagum(y, g, w), y, g, w)
    assert calls == [2, 2]
    calls.clear()
    dagum(rng.lognormal(size=50), rng.integers(0, 8, 50))  # ordinary data: packed keys
    assert calls == []


def test_label_kinds():
    rng = np.random.default_rng(15)
    y = rng.lognormal(size=90)
    codes = rng.integers(0, 3, 90)
    base = dagum(y, codes)
    for labels in (
        np.array(["东", "中", "西"])[codes],  # strings → np.unique
        np.array([110000, 320000, 650000])[codes],  # wide integer range → np.unique
        np.array([-7, -6, -5])[codes],  # negative small range → offset codes
        np.array([1.5, 2.5, 3.5])[codes],  # float labels
        codes.astype(np.int8),
    ):
        res = dagum(y, labels)
        assert res.total == pytest.approx(base.total, abs=TOL)
        assert res.between == pytest.approx(base.between, abs=TOL)
        assert res.transvariation == pytest.approx(base.transvariation, abs=TOL)
    boolean = dagum(y[codes < 2], codes[codes < 2] == 1)
    assert set(boolean.groups) == {False, True}
    assert all(isinstance(v, bool) for v in boolean.groups)


def test_absent_integer_labels_are_not_groups():
    res = dagum([1.0, 2.0, 3.0, 9.0, 8.0], [1, 1, 5, 5, 5])  # labels 2, 3, 4 never occur
    assert set(res.groups) == {1, 5}
    assert res.k == 2


# -- weights -----------------------------------------------------------------------------


def test_weighted_against_weighted_twin():
    rng = np.random.default_rng(16)
    y = rng.lognormal(size=300)
    g = rng.integers(0, 4, 300)
    w = rng.uniform(0.05, 10.0, 300)
    res = dagum(y, g, w)
    assert res.weighted
    assert_matches_twin(res, y, g, w)
    assert res.total == pytest.approx(gini(y, weights=w).G, abs=TOL)


def test_weighted_mexico_population_like(mexico):
    y = mexico["pcgdp2000"].to_numpy(dtype=float)
    g = mexico["hanson98"].to_numpy()
    w = np.arange(1.0, 33.0)
    assert_matches_twin(dagum(y, g, w), y, g, w)


def test_integer_weights_equal_replication():
    rng = np.random.default_rng(17)
    y = rng.lognormal(size=60)
    g = rng.integers(0, 3, 60)
    w = rng.integers(1, 5, 60)
    a = dagum(y, g, w)
    b = dagum(np.repeat(y, w), np.repeat(g, w))
    for attr in ("total", "within", "between", "transvariation"):
        assert getattr(a, attr) == pytest.approx(getattr(b, attr), abs=TOL)
    np.testing.assert_allclose(a.G_jh, b.G_jh, atol=TOL)
    assert a.sizes.tolist() == [int((g == v).sum()) for v in a.groups]  # units, not weight


def test_zero_weight_group_rejected():
    with pytest.raises(DataValidationError, match="group 'b' has total weight 0"):
        dagum([1, 2, 3, 4], ["a", "a", "b", "b"], weights=[1, 1, 0, 0])


# -- ordering ----------------------------------------------------------------------------


def test_group_order_permutes_tables_only():
    rng = np.random.default_rng(18)
    y = rng.lognormal(size=200)
    g = rng.choice(["东部", "中部", "西部", "东北"], 200)
    y[g == "东部"] *= 2
    base = dagum(y, g)
    order = ["东部", "中部", "西部", "东北"]
    res = dagum(y, g, group_order=order)
    assert res.groups == tuple(order) and res.order == "given"
    idx = [base.groups.index(v) for v in order]
    np.testing.assert_allclose(res.G_jh, base.G_jh[np.ix_(idx, idx)], atol=1e-15)
    np.testing.assert_allclose(res.D_jh, base.D_jh[np.ix_(idx, idx)], atol=1e-15)
    for attr in ("total", "within", "between", "transvariation"):
        assert getattr(res, attr) == pytest.approx(getattr(base, attr), abs=1e-15)
    assert list(res.to_frame("groups")["group"]) == order
    assert res.to_frame("pairs")["pair"].iloc[0] == "东部–中部"


def test_group_order_errors():
    y, g = [1, 2, 3, 4], ["a", "a", "b", "b"]
    with pytest.raises(DataValidationError, match="does not list group") as err:
        dagum(y, g, group_order=["a"])
    assert err.value.field == "group_order"
    with pytest.raises(DataValidationError, match="do not occur"):
        dagum(y, g, group_order=["a", "b", "c"])
    with pytest.raises(DataValidationError, match="twice"):
        dagum(y, g, group_order=["a", "a", "b"])


def test_default_order_is_ascending_mean():
    res = dagum([9, 8, 1, 2, 5, 4], ["hi", "hi", "lo", "lo", "mid", "mid"])
    assert res.groups == ("lo", "mid", "hi")
    assert np.all(np.diff(res.means) >= 0)
    assert res.order == "ascending mean"


# -- bad input ---------------------------------------------------------------------------


def test_bad_inputs():
    with pytest.raises(DataValidationError, match="non-negative; row 2") as err:
        dagum([1.0, 2.0, -1.0, 3.0], [0, 0, 1, 1])
    assert err.value.field == "y" and err.value.data_row == 2
    with pytest.raises(DataValidationError, match="groups has 3 labels but y has 4") as err:
        dagum([1, 2, 3, 4], [0, 0, 1])
    assert err.value.field == "groups"
    with pytest.raises(DataValidationError, match="at least 2 groups, got 1"):
        dagum([1, 2, 3, 4], ["a"] * 4)
    with pytest.raises(DataValidationError, match="at least 2 groups, got 1"):
        dagum([1, 2, 3], [7, 7, 7])
    with pytest.raises(DataValidationError, match=r"group 'z' has mean 0") as err:
        dagum([0, 0, 3, 4], ["z", "z", "b", "b"])
    assert err.value.field == "groups"
    with pytest.raises(DataValidationError, match="missing label"):
        dagum([1, 2, 3], [1.0, np.nan, 2.0])
    with pytest.raises(DataValidationError, match="missing label"):
        dagum([1, 2, 3], ["a", None, "b"])
    with pytest.raises(DataValidationError, match="missing label") as err:
        dagum([1, 2, 3], pd.Series(["a", "b", pd.NA], dtype="string"))
    assert err.value.data_row == 2
    with pytest.raises(DataValidationError, match="comparable"):
        dagum([1, 2, 3], np.array(["a", 1, "b"], dtype=object))
    with pytest.raises(DataValidationError, match="mean is 0"):
        dagum([0, 0, 0, 0], [0, 0, 1, 1])
    with pytest.raises(DataValidationError, match="at least 2 values"):
        dagum([1], [0])
    with pytest.raises(DataValidationError, match="missing or infinite"):
        dagum([1, np.inf, 2], [0, 1, 1])
    with pytest.raises(DataValidationError) as err:
        dagum([1, 2, 3], [0, 1, 1], weights=[1, 1])
    assert err.value.field == "weights"


# -- panels ------------------------------------------------------------------------------


def test_periods_and_matrix(mexico):
    Y = mexico[DECADES].to_numpy(dtype=float)
    g = mexico["hanson98"].to_numpy()
    by_col = dagum(Y, g)
    assert isinstance(by_col, ByPeriod) and len(by_col) == 7
    long_y = Y.T.ravel()
    long_g = np.tile(g, 7)
    years = np.repeat(np.arange(1940, 2010, 10), 32)
    by_year = dagum(long_y, long_g, periods=years)
    for j, year in enumerate(by_year.periods):
        one = dagum(Y[:, j], g)
        assert by_col[j].total == one.total
        assert by_year[year].between == pytest.approx(one.between, abs=1e-15)
    frame = by_year.to_frame()
    assert frame["period"].nunique() == 7
    assert set(frame["table"]) == {"components", "groups", "pairs"}


def test_matrix_with_labels_per_period():
    rng = np.random.default_rng(19)
    Y = rng.lognormal(size=(50, 3))
    G = rng.integers(0, 3, (50, 3))  # a unit may change group between periods
    res = dagum(Y, G)
    for j in range(3):
        assert res[j].total == dagum(Y[:, j], G[:, j]).total
        assert res[j].between == dagum(Y[:, j], G[:, j]).between
    shared = dagum(Y, G[:, :1])  # (n, 1) labels apply to every column
    assert shared[2].between == dagum(Y[:, 2], G[:, 0]).between


def test_group_order_with_group_missing_in_a_period():
    y = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    g = ["a", "a", "b", "b", "a", "b", "c", "c", "a"]
    periods = [1, 1, 1, 1, 2, 2, 2, 2, 2]
    res = dagum(y, g, periods=periods, group_order=["c", "b", "a"])
    assert res[1].groups == ("b", "a")
    assert res[2].groups == ("c", "b", "a")


# -- tables and contract -----------------------------------------------------------------


def test_tables_layout(mexico):
    res = dagum(mexico["pcgdp1960"], mexico["hanson98"])
    comps = res.to_frame("components")
    assert list(comps["component"]) == ["total", "within", "between", "transvariation"]
    assert list(comps["label"]) == [
        "总体基尼系数 G",
        "组内差异 G_w",
        "组间净差异 G_nb",
        "超变密度 G_t",
    ]
    assert comps["contribution_pct"].iloc[1:].sum() == pytest.approx(100.0, abs=1e-9)
    groups = res.to_frame("groups")
    assert len(groups) == 5
    assert groups["within"].sum() == pytest.approx(res.within, abs=1e-15)
    pairs = res.to_frame("pairs")
    assert len(pairs) == 10
    assert pairs["between"].sum() == pytest.approx(res.between, abs=1e-15)
    assert pairs["transvariation"].sum() == pytest.approx(res.transvariation, abs=1e-15)
    total_pct = groups["within_pct"].sum() + pairs["between_pct"].sum()
    total_pct += pairs["transvariation_pct"].sum()
    assert total_pct == pytest.approx(100.0, abs=1e-9)
    assert len(res.to_frame()) == 4 + 5 + 10
    with pytest.raises(DataValidationError, match="table="):
        res.to_frame("nope")


def test_result_contract():
    res = dagum([1, 2, 3, 12, 5, 10, 14, 20], ["西"] * 4 + ["东"] * 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.total = 0.0  # type: ignore[misc]
    np.testing.assert_array_equal(res.G_jh, res.G_jh.T)
    np.testing.assert_array_equal(res.D_jh, res.D_jh.T)
    assert np.all((res.D_jh >= 0) & (res.D_jh <= 1))
    text = res.summary().as_text()
    assert "超变密度" in text and "G_jh 西–东" in text
    assert res.summary().rows[0] == ("G 总体", res.total)
    assert sum(res.shares.values()) == pytest.approx(1.0, abs=1e-12)


# -- properties --------------------------------------------------------------------------


@st.composite
def grouped(draw):
    k = draw(st.integers(2, 5))
    n = draw(st.integers(max(k, 4), 40))
    y = np.array(draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=float)
    g = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    g[:k] = np.arange(k)  # every group present
    for v in range(k):  # no group with mean 0
        if y[g == v].sum() == 0:
            y[np.flatnonzero(g == v)[0]] = 1.0
    scale = draw(st.sampled_from([1.0, 0.37, 1e-3, 1234.5]))
    return y * scale, g


@FAST
@given(grouped())
def test_property_identity_range_and_twin(data):
    y, g = data
    res = dagum(y, g)
    assert_identity(res)
    assert 0.0 <= res.total < 1.0
    assert res.within >= 0 and res.between >= 0 and res.transvariation >= 0
    assert np.all((res.D_jh >= 0) & (res.D_jh <= 1))
    assert res.total == pytest.approx(gini(y).G, abs=TOL)
    ref = dagum_pairs(y, g)
    assert res.transvariation == pytest.approx(ref["Gt"], abs=TOL)
    assert res.between == pytest.approx(ref["Gnb"], abs=TOL)


@FAST
@given(grouped(), st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_property_scale_and_permutation_invariance(data, c, rnd):
    y, g = data
    base = dagum(y, g)
    scaled = dagum(c * y, g)
    perm = list(range(y.shape[0]))
    rnd.shuffle(perm)
    shuffled = dagum(y[perm], g[perm])
    for other in (scaled, shuffled):
        for attr in ("total", "within", "between", "transvariation"):
            assert getattr(other, attr) == pytest.approx(getattr(base, attr), abs=1e-12)
