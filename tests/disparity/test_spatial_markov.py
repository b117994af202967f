"""Spatial Markov chain (methods.md §13.2) against giddy's ``Spatial_Markov``.

Data: libpysal's bundled ``usjoin.csv`` (per-capita income of the 48 lower US states,
1929–2009; Bureau of Economic Analysis) with ``states48.gal`` (contiguity weights), the
example of giddy's ``Spatial_Markov`` docstring.  giddy, libpysal and mapclassify are
test-only oracles.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

from nqpf.disparity.markov import homogeneity, markov, spatial_markov
from nqpf.exceptions import DataValidationError

FAST = settings(max_examples=40, deadline=None, database=None)
TOL = 1e-8

gm = pytest.importorskip("giddy.markov")
libpysal = pytest.importorskip("libpysal")


@pytest.fixture(scope="module")
def rpci() -> np.ndarray:
    """Relative incomes (48 × 81): ``pci / pci.mean(axis=0)`` as in giddy's docstring."""
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    pci = df[[str(y) for y in range(1929, 2010)]].to_numpy(dtype=float)
    return pci / pci.mean(axis=0)


@pytest.fixture(scope="module")
def w():
    """states48.gal, row-standardised (``w.transform = 'r'``) as in giddy's docstring."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = libpysal.io.open(libpysal.examples.get_path("states48.gal")).read()
    W.transform = "r"
    return W


@pytest.fixture(scope="module")
def giddy_55(rpci, w):
    return gm.Spatial_Markov(rpci, w, fixed=True, k=5, m=5, variable_name="rpci")


@pytest.fixture(scope="module")
def ours_55(rpci, w):
    return spatial_markov(rpci, w, k=5, m=5)


def assert_same_as_giddy(ours, ref):
    np.testing.assert_array_equal(ours.T, ref.T)
    np.testing.assert_allclose(ours.P, ref.P, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.p, ref.p, rtol=0, atol=TOL)
    np.testing.assert_array_equal(ours.transitions, ref.transitions)
    np.testing.assert_allclose([ours.Q, ours.LR], [ref.Q, ref.LR], rtol=0, atol=TOL)
    assert ours.dof == ref.dof_hom
    # giddy uses 1 - cdf, nqpf the survival function: equal to 1e-8 absolute
    assert ours.Q_p_value == pytest.approx(ref.Q_p_value, abs=TOL)
    assert ours.LR_p_value == pytest.approx(ref.LR_p_value, abs=TOL)
    np.testing.assert_array_equal(ours.classes, ref.class_ids)
    np.testing.assert_array_equal(ours.lag_classes, ref.lclass_ids)


# ---------------------------------------------------------------- giddy docstring


def test_quintiles_k5_m5_against_giddy(ours_55, giddy_55):
    assert_same_as_giddy(ours_55, giddy_55)
    np.testing.assert_allclose(ours_55.cutoffs, giddy_55.cutoffs, atol=0)
    np.testing.assert_allclose(ours_55.lag_cutoffs, giddy_55.lag_cutoffs, atol=0)
    np.testing.assert_allclose(ours_55.S, np.asarray(giddy_55.S, dtype=float), atol=TOL)
    np.testing.assert_allclose(ours_55.s, giddy_55.s, atol=TOL)
    np.testing.assert_allclose(ours_55.F(), giddy_55.F, rtol=1e-9)


def test_quintiles_k5_m5_printed_values(ours_55):
    """Numbers printed in giddy's ``Spatial_Markov`` docstring, case (1)."""
    np.testing.assert_allclose(
        ours_55.cutoffs, [0.83999133, 0.94707545, 1.03242697, 1.14911154], atol=5e-9
    )
    np.testing.assert_allclose(
        ours_55.lag_cutoffs, [0.88973386, 0.95891917, 1.01469758, 1.1183566], atol=5e-9
    )
    np.testing.assert_allclose(
        ours_55.P[0, 0], [0.96341463, 0.0304878, 0.00609756, 0, 0], rtol=0, atol=5e-9
    )
    np.testing.assert_allclose(
        ours_55.P[4, 4], [0, 0, 0, 0.02352941, 0.97647059], rtol=0, atol=5e-9
    )
    assert f"{ours_55.LR:.3f}" == "170.659"
    assert f"{ours_55.Q:.3f}" == "200.624"
    assert ours_55.dof == 60
    assert ours_55.LR_p_value < 5e-4 and ours_55.Q_p_value < 5e-4
    np.testing.assert_allclose(
        ours_55.S[0], [0.43509425, 0.2635327, 0.20363044, 0.06841983, 0.02932278], atol=5e-9
    )
    np.testing.assert_allclose(
        ours_55.F()[0, 0],
        [2.29835259, 28.95614035, 46.14285714, 80.80952381, 279.42857143],
        atol=5e-8,
    )


def test_quintiles_k5_m4_against_giddy(rpci, w):
    ref = gm.Spatial_Markov(rpci, w, fixed=True, k=5, m=4)
    ours = spatial_markov(rpci, w, k=5, m=4)
    assert_same_as_giddy(ours, ref)
    assert ours.m == 4 and ours.dof == 45
    assert f"{ours.LR:.3f}" == "172.105" and f"{ours.Q:.3f}" == "321.128"
    np.testing.assert_allclose(ours.lag_cutoffs, [0.91440247, 0.98583079, 1.08698351], atol=5e-9)


def test_per_period_against_giddy_fixed_false(rpci, w):
    """Per period, two lags equal a lag quintile (states with the same neighbours): giddy
    (mapclassify) puts them in the class below, nqpf's ``lag_ties="lowest"``."""
    ref = gm.Spatial_Markov(rpci, w, fixed=False, k=5, m=5)
    ours = spatial_markov(rpci, w, k=5, cutoff_scope="per_period", lag_ties="lowest")
    assert_same_as_giddy(ours, ref)
    assert ours.lag_tied.sum() == 2
    # the default splits those two transitions and agrees with giddy everywhere else
    frac = spatial_markov(rpci, w, k=5, cutoff_scope="per_period")
    tied = frac.lag_tied
    np.testing.assert_array_equal(frac.lag_classes[~tied], ref.lclass_ids[~tied])
    # one lag equals its cutoff, one lies 1 ulp-ish above it (rounding of W y): both are
    # on the boundary between two lag classes, and giddy put them on either side
    np.testing.assert_array_equal(frac.lag_tie_classes.sum(axis=1), [2, 2])
    assert set(ref.lclass_ids[tied] - frac.lag_classes[tied]) == {0, 1}
    diff = frac.T - ref.T
    assert np.abs(diff).sum() == pytest.approx(2.0) and diff.sum() == pytest.approx(0.0)
    assert ours.cutoffs.shape == (81, 4) and ours.lag_cutoffs.shape == (81, 4)
    for S_ours, S_ref in zip(ours.S_all, ref.S, strict=True):
        np.testing.assert_allclose(S_ours, np.atleast_2d(np.asarray(S_ref, float)), atol=TOL)


def test_same_cutoffs_mode_against_giddy(rpci, w, ours_55):
    ours = spatial_markov(rpci, w, k=5, lag_cutoff_mode="same")
    ref = gm.Spatial_Markov(rpci, w, cutoffs=ours_55.cutoffs, lag_cutoffs=ours_55.cutoffs)
    assert_same_as_giddy(ours, ref)
    np.testing.assert_array_equal(ours.lag_cutoffs, ours.cutoffs)
    assert ours.lag_cutoff_mode == "same" and ours.m == 5
    # the lag is classified with y's cutoffs: a lag equal to a cutoff goes to the lower class
    np.testing.assert_array_equal(
        ours.lag_classes, np.searchsorted(ours.cutoffs, ours.lag, side="left")
    )


def test_same_mode_per_period(rpci, w):
    ours = spatial_markov(rpci, w, k=4, lag_cutoff_mode="same", cutoff_scope="per_period")
    for j in (0, 40, 80):
        np.testing.assert_array_equal(
            ours.lag_classes[:, j], np.searchsorted(ours.cutoffs[j], ours.lag[:, j])
        )
    assert ours.labels == ours.lag_labels == ("低", "中低", "中高", "高")


def test_user_cutoffs_and_fill_empty_classes_against_giddy(rpci, w):
    """giddy docstring cases (3) and (3.1): cutoffs [0.8, 0.9, 1, 1.2] for y and lag."""
    cc = np.array([0.8, 0.9, 1, 1.2])
    for fill in (False, True):
        ref = gm.Spatial_Markov(rpci, w, cutoffs=cc, lag_cutoffs=cc, fill_empty_classes=fill)
        ours = spatial_markov(rpci, w, cutoffs=cc, lag_cutoffs=cc, fill_empty_classes=fill)
        assert_same_as_giddy(ours, ref)
        assert ours.lag_cutoff_mode == "cutoffs" and ours.cutoff_scope == "cutoffs"
    # printed in giddy's docstring (3.1)
    np.testing.assert_allclose(
        ours.S_all[0],
        [[0.54148249, 0.16780007, 0.24991499, 0.04080245, 0], [0, 0, 0, 0, 1]],
        atol=5e-9,
    )
    assert np.isnan(ours.S[0]).all()
    np.testing.assert_allclose(
        ours.S[2], [0.03607655, 0.22667277, 0.25883041, 0.43607249, 0.04234777], atol=5e-9
    )
    np.testing.assert_allclose(ours.S_all[0], ref.S[0], atol=TOL)


def test_discrete_against_giddy_with_lowest_tie_break(rpci, w, monkeypatch):
    """giddy breaks remaining ties of the categorical lag with ``np.random.choice``;
    replacing it with "take the lowest" makes giddy follow nqpf's documented rule."""
    mc = pytest.importorskip("mapclassify")
    y = mc.Quantiles(rpci.flatten(), k=5).yb.reshape(rpci.shape)
    monkeypatch.setattr(np.random, "choice", lambda a, *args, **kw: np.min(a))
    ref = gm.Spatial_Markov(y, w, discrete=True)
    ours = spatial_markov(y, w, discrete=True, lag_ties="lowest")
    assert_same_as_giddy(ours, ref)
    assert ours.lag is None and ours.lag_cutoff_mode == "categorical" and ours.m == 5


def test_categorical_lag_against_libpysal_where_giddy_is_deterministic(rpci, w):
    """Where libpysal's tie-break never reaches the random draw, the lags agree; where it
    does, nqpf takes the lowest of the classes libpysal draws from."""
    mc = pytest.importorskip("mapclassify")
    from libpysal.weights import lag_categorical

    y = mc.Quantiles(rpci.flatten(), k=5).yb.reshape(rpci.shape)[:, :20]
    draws = []
    # libpysal draws ties from numpy's global legacy generator
    state = np.random.get_state()  # noqa: NPY002
    try:
        for seed in range(25):
            np.random.seed(seed)  # noqa: NPY002
            draws.append(lag_categorical(w, y, ties="tryself"))
    finally:
        np.random.set_state(state)  # noqa: NPY002
    draws = np.stack(draws)
    ours = spatial_markov(y, w, discrete=True, lag_ties="lowest").lag_classes
    stable = (draws == draws[0]).all(axis=0)
    assert stable.sum() > 0.8 * stable.size
    np.testing.assert_array_equal(ours[stable], draws[0][stable])
    np.testing.assert_array_equal(ours[~stable], draws.min(axis=0)[~stable])


def test_categorical_lag_tie_rule_by_hand():
    # unit 0's neighbours 1 and 2 are in classes 1 and 2 (a tie): its own class 2 breaks it.
    # unit 3's neighbours 1 and 2 tie again, and its own class 0 leaves a three-way tie
    # (0, 1, 2 each 1/2 after adding the mean weight): the lowest class wins.
    y = np.array([["c", "c"], ["b", "b"], ["c", "c"], ["a", "a"]])
    w = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 1, 0]])
    sm = spatial_markov(y, w, discrete=True, lag_ties="lowest")
    assert sm.labels == ("a", "b", "c")
    np.testing.assert_array_equal(sm.lag_classes[:, 0], [2, 2, 2, 0])


# ---------------------------------------------------------------- weights


def test_weights_in_any_form(rpci, w, ours_55):
    dense_binary = (w.full()[0] > 0).astype(float)  # not row-standardised
    for form in (
        w,
        w.sparse,
        sparse.csr_matrix(dense_binary),
        sparse.coo_array(dense_binary),
        dense_binary,
        dense_binary.tolist(),
    ):
        ours = spatial_markov(rpci, form, k=5, m=5)
        np.testing.assert_allclose(ours.lag, ours_55.lag, rtol=0, atol=1e-14)
        np.testing.assert_allclose(ours.P, ours_55.P, atol=1e-12)


def test_lag_is_row_standardized_mean():
    y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]])
    w = np.array([[0, 2, 2], [1, 0, 0], [3, 1, 0]])
    sm = spatial_markov(y, w, cutoffs=[2.5], lag_cutoff_mode="same")
    np.testing.assert_allclose(sm.lag, [[4, 6.5], [1, 2], [1.5, 2.5]])


@pytest.mark.parametrize(
    ("w", "match"),
    [
        (np.ones((3, 4)), "square"),
        (np.ones((4, 4)) - np.eye(4), "4 × 4 but y has 3 units"),
        (np.ones(3), "2-D"),
        ([[0, 1, 0], [1, 0, 0], [0, 0, 0]], "unit 2 has no neighbours"),
        ([[0, -1, 2], [1, 0, 0], [1, 1, 0]], "non-negative"),
        ([[0, np.nan, 2], [1, 0, 0], [1, 1, 0]], "finite"),
        ([["a", "b", "c"]] * 3, "numeric"),
    ],
)
def test_bad_weights(w, match):
    y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with pytest.raises(DataValidationError, match=match):
        spatial_markov(y, w, cutoffs=[2.5])


def test_island_error_names_the_unit():
    y = np.arange(8, dtype=float).reshape(4, 2)
    w = sparse.csr_array(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]))
    with pytest.raises(DataValidationError) as err:
        spatial_markov(y, w, cutoffs=[3.5])
    assert err.value.data_row == 2 and "island" in str(err.value)


# ---------------------------------------------------------------- other input errors

Y = np.arange(12, dtype=float).reshape(4, 3)
W4 = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((Y[:, :1], W4), {"cutoffs": [3.0]}, "at least 2"),
        ((np.where(Y == 5, np.nan, Y), W4), {}, "unit 1, period 2"),
        ((Y, W4), {"k": 1}, "k must be"),
        ((Y, W4), {"m": 1}, "m must be"),
        ((Y, W4), {"k": 2, "m": 3, "lag_cutoff_mode": "same"}, "m = k = 2"),
        ((Y, W4), {"lag_cutoffs": [3.0], "lag_cutoff_mode": "same"}, "exclude"),
        ((Y, W4), {"lag_cutoffs": [3.0], "m": 3}, "define 2"),
        ((Y, W4), {"lag_cutoff_mode": "y"}, "lag_cutoff_mode"),
        ((Y, W4), {"discrete": True, "cutoffs": [3.0]}, "discrete"),
        ((np.zeros((4, 3), int), W4), {"discrete": True}, "only 1"),
        ((Y.astype(int) % 2, W4), {"discrete": True, "m": 3}, "m=3"),
        ((Y, W4), {"k": 2, "labels": ["x"]}, "1 names"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        spatial_markov(*args, **kwargs)


def test_lag_quantile_ties():
    # six of the eight lags equal 1: the lower lag quartiles coincide
    y = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 9.0]])
    w = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]])
    with pytest.raises(DataValidationError, match="spatial lag"):
        spatial_markov(y, w, cutoffs=[1.5], m=4)
    sm = spatial_markov(y, w, cutoffs=[1.5], m=4, ties="merge")
    np.testing.assert_allclose(sm.lag.ravel(), [1, 5, 1, 1, 1, 5, 1, 1])
    np.testing.assert_allclose(sm.lag_cutoffs, [1.0, 2.0])
    assert sm.m == 3 and sm.lag_labels == ("1", "2", "3")


# ---------------------------------------------------------------- results


def test_frame_layout(ours_55):
    frame = ours_55.to_frame()
    assert list(frame.columns) == ["邻域类型", "初始类型", "n", "1", "2", "3", "4", "5"]
    assert len(frame) == 25
    np.testing.assert_allclose(
        frame[["1", "2", "3", "4", "5"]].to_numpy(), ours_55.P.reshape(25, 5)
    )
    np.testing.assert_array_equal(frame["n"], ours_55.T.sum(axis=2).ravel())
    pooled = ours_55.to_frame(include_pooled=True)
    assert len(pooled) == 30 and (pooled["邻域类型"].iloc[:5] == "不考虑邻域").all()
    text = ours_55.summary().as_text()
    assert "空间马尔可夫链" in text and "170.659" in text


def test_pooled_equals_traditional_markov(rpci, w, ours_55):
    m = markov(rpci, k=5)
    np.testing.assert_array_equal(ours_55.transitions, m.transitions)
    np.testing.assert_allclose(ours_55.p, m.p)
    h = homogeneity(ours_55.T)
    assert (h.Q, h.LR, h.dof) == (ours_55.Q, ours_55.LR, ours_55.dof)


def test_dof_differs_from_giddy_only_for_empty_class(rpci, w):
    cc = np.array([0.8, 0.9, 1, 1.2, 5.0])  # nothing above 5: class 5 is empty
    ours = spatial_markov(rpci, w, cutoffs=cc, lag_cutoffs=cc[:4])
    ref = gm.Spatial_Markov(rpci, w, cutoffs=cc, lag_cutoffs=cc[:4])
    assert ours.T[:, 5].sum() == 0
    assert ours.dof == ref.dof_hom - 1
    np.testing.assert_allclose([ours.Q, ours.LR], [ref.Q, ref.LR], rtol=1e-12)


@st.composite
def panels(draw):
    n = draw(st.integers(3, 7))
    t = draw(st.integers(2, 5))
    y = draw(hnp.arrays(np.float64, (n, t), elements=st.integers(0, 20).map(float)))
    w = draw(hnp.arrays(np.float64, (n, n), elements=st.sampled_from([0.0, 1.0, 2.0])))
    np.fill_diagonal(w, 0.0)
    w[np.arange(n), (np.arange(n) + 1) % n] = 1.0  # no islands
    return y, w


@FAST
@given(panels(), st.booleans())
def test_properties(panel, fill):
    y, w = panel
    sm = spatial_markov(y, w, cutoffs=[5.0, 12.0], lag_cutoff_mode="same", fill_empty_classes=fill)
    n, t = y.shape
    assert sm.T.sum() == n * (t - 1)
    np.testing.assert_array_equal(sm.T.sum(axis=0), sm.transitions)
    sums = sm.P.sum(axis=2)
    observed = sm.T.sum(axis=2) > 0
    np.testing.assert_allclose(sums[observed], 1.0, atol=1e-12)
    np.testing.assert_allclose(sums[~observed], 1.0 if fill else 0.0)
    for S in sm.S_all:
        np.testing.assert_allclose(S.sum(axis=1), 1.0, atol=1e-12)
    assert sm.Q >= 0 and sm.LR >= -1e-9 and sm.dof >= 0
