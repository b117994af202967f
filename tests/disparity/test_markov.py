"""Traditional Markov chain (methods.md §13.1) against giddy, mapclassify and hand values.

Data: libpysal's bundled ``usjoin.csv``, per-capita income of the 48 lower US states,
1929–2009 (Bureau of Economic Analysis, Regional Economic Information System; the giddy
``Markov`` docstring example).  giddy and mapclassify are test-only oracles.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nqpf.disparity.markov import (
    default_labels,
    homogeneity,
    markov,
    mfpt,
    steady_states,
)
from nqpf.exceptions import DataValidationError

FAST = settings(max_examples=60, deadline=None, database=None)

# methods.md R9 [official: giddy/markov.py docstring]: 5 units (rows) × 3 periods.
R9 = [["b", "a", "c"], ["c", "c", "a"], ["c", "b", "c"], ["a", "a", "b"], ["a", "b", "c"]]
R9_P = [[0.25, 0.5, 0.25], [1 / 3, 0, 2 / 3], [1 / 3, 1 / 3, 1 / 3]]
R9_STEADY = [0.30769231, 0.28846154, 0.40384615]

OZ = np.array([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0.25, 0.25, 0.5]])  # Kemeny & Snell p. 218


@pytest.fixture(scope="module")
def pci() -> np.ndarray:
    """usjoin.csv per-capita incomes as (48 states × 81 years), giddy's orientation."""
    libpysal = pytest.importorskip("libpysal")
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    return df[[str(y) for y in range(1929, 2010)]].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def rpci(pci) -> np.ndarray:
    """Incomes relative to each year's mean (giddy docstring: ``pci / pci.mean(axis=0)``)."""
    return pci / pci.mean(axis=0)


def giddy_markov(class_ids, **kw):
    gm = pytest.importorskip("giddy.markov")
    return gm.Markov(np.asarray(class_ids), summary=False, **kw)


# ---------------------------------------------------------------- reference values


def test_r9_toy_example():
    m = markov(classes=R9)
    np.testing.assert_allclose(m.p, R9_P, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m.steady_state, R9_STEADY, rtol=0, atol=5e-9)
    assert m.transitions.sum(axis=1).tolist() == [4, 3, 3]
    assert m.labels == ("a", "b", "c")
    assert m.states.tolist() == ["a", "b", "c"]
    assert m.ergodic and m.scheme == "discrete" and m.cutoffs is None
    assert m.classes.shape == (5, 3)


def test_r9_against_giddy():
    g = giddy_markov(R9)
    m = markov(classes=R9)
    np.testing.assert_array_equal(m.transitions, g.transitions)
    np.testing.assert_allclose(m.p, g.p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.steady_state, g.steady_state, rtol=0, atol=1e-12)


def test_reducible_toy_from_giddy_docstring():
    # giddy: "1 Recurrent class [0], 1 transient class [1 2], 1 absorbing state [0]".
    c = [["b", "a", "a"], ["c", "c", "a"], ["c", "b", "c"]]
    m = markov(classes=c)
    assert m.recurrent_classes == ((0,),)
    assert not m.ergodic
    np.testing.assert_allclose(m.steady_state, [1, 0, 0], atol=1e-14)
    g = giddy_markov(c)
    np.testing.assert_allclose(m.steady_states, np.atleast_2d(g.steady_state), atol=1e-12)


def test_usjoin_relative_income_pooled_quintiles(rpci):
    """giddy docstring: rq = Quantiles(rpci.flatten()).yb; Markov(rq) (k = 5, pooled)."""
    mc = pytest.importorskip("mapclassify")
    rq = mc.Quantiles(rpci.flatten(), k=5).yb.reshape(rpci.shape)
    g = giddy_markov(rq)
    m = markov(rpci, k=5)
    np.testing.assert_array_equal(m.classes, rq)
    np.testing.assert_array_equal(m.transitions, g.transitions)
    np.testing.assert_allclose(m.p, g.p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.steady_state, g.steady_state, rtol=0, atol=1e-10)
    np.testing.assert_allclose(m.cutoffs, mc.Quantiles(rpci.flatten(), k=5).bins[:-1], atol=0)
    # the numbers printed in giddy's docstring
    printed = [
        [707, 58, 7, 1, 0],
        [50, 629, 80, 1, 1],
        [4, 79, 610, 73, 2],
        [0, 7, 72, 650, 37],
        [0, 0, 0, 48, 724],
    ]
    np.testing.assert_array_equal(m.transitions, printed)
    np.testing.assert_allclose(
        m.steady_state, [0.17957376, 0.21631443, 0.21499942, 0.21134662, 0.17776576], atol=5e-9
    )
    assert m.labels == ("1", "2", "3", "4", "5")


def test_usjoin_per_period_quintiles(pci):
    """giddy docstring: q5 = Quantiles(y).yb for each year of nominal pci."""
    mc = pytest.importorskip("mapclassify")
    q5 = np.array([mc.Quantiles(y, k=5).yb for y in pci.T]).T
    m = markov(pci, k=5, cutoff_scope="per_period")
    np.testing.assert_array_equal(m.classes, q5)
    printed = [
        [729, 71, 1, 0, 0],
        [72, 567, 80, 3, 0],
        [0, 81, 631, 86, 2],
        [0, 3, 86, 573, 56],
        [0, 0, 1, 57, 741],
    ]
    np.testing.assert_array_equal(m.transitions, printed)
    np.testing.assert_allclose(
        m.steady_state, [0.20774716, 0.18725774, 0.20740537, 0.18821787, 0.20937187], atol=5e-9
    )
    assert m.cutoffs.shape == (81, 4)
    assert m.scheme == "per_period"


def test_mfpt_against_giddy(rpci):
    ergodic = pytest.importorskip("giddy.ergodic")
    m = markov(rpci, k=5)
    np.testing.assert_allclose(m.mfpt(), ergodic.mfpt(m.p), rtol=1e-9, atol=0)
    # recurrence time = 1 / π_j on an ergodic chain
    np.testing.assert_allclose(np.diag(m.mfpt()), 1 / m.steady_state, rtol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # giddy multiplies 0 * inf
def test_mfpt_land_of_oz_and_reducible():
    expected = [[2.5, 4, 10 / 3], [8 / 3, 5, 8 / 3], [10 / 3, 4, 2.5]]
    np.testing.assert_allclose(mfpt(OZ), expected, rtol=1e-12)
    # giddy's reducible example: two communicating classes
    p = np.array([[0.5, 0.5, 0], [0.2, 0.8, 0], [0, 0, 1]])
    np.testing.assert_allclose(mfpt(p), [[3.5, 2, np.inf], [5, 1.4, np.inf], [np.inf] * 2 + [1]])
    ergodic = pytest.importorskip("giddy.ergodic")
    np.testing.assert_allclose(mfpt(p), ergodic.mfpt(p))


def test_mfpt_transient_state_reaches_only_surely():
    # state 0 moves to absorbing 1 or absorbing 2: it never reaches either with probability 1
    p = np.array([[0.0, 0.5, 0.5], [0, 1, 0], [0, 0, 1]])
    M = mfpt(p)
    assert np.isinf(M[0, 1]) and np.isinf(M[0, 2]) and np.isinf(M[0, 0])
    assert M[1, 1] == 1 and M[2, 2] == 1


def test_k_step_is_matrix_power(rpci):
    m = markov(rpci, k=5)
    for steps in (0, 1, 2, 7, 40):
        np.testing.assert_allclose(m.k_step(steps), np.linalg.matrix_power(m.p, steps))
    # converges to the steady state
    np.testing.assert_allclose(m.k_step(2000)[0], m.steady_state, atol=1e-9)
    with pytest.raises(DataValidationError, match="steps"):
        m.k_step(-1)


def test_initial_and_final_distributions():
    y = np.array([[1.0, 4.0], [2.0, 3.0], [3.0, 2.0], [4.0, 1.0], [5.0, 5.0], [6.0, 6.0]])
    m = markov(y, cutoffs=[2.5, 4.5])
    np.testing.assert_array_equal(m.classes, [[0, 1], [0, 1], [1, 0], [1, 0], [2, 2], [2, 2]])
    np.testing.assert_allclose(m.initial, [2 / 6, 2 / 6, 2 / 6])
    np.testing.assert_allclose(m.final, [2 / 6, 2 / 6, 2 / 6])


# ---------------------------------------------------------------- class assignment


def test_upper_bound_inclusive_like_mapclassify_userdefined():
    mc = pytest.importorskip("mapclassify")
    y = np.array([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0], [1.0, 2.0, 3.5]])
    m = markov(y, cutoffs=[1.0, 2.0, 3.0])
    # a value equal to a cutoff goes to the lower class
    np.testing.assert_array_equal(m.classes, [[0, 0, 1], [1, 2, 2], [0, 1, 3]])
    ud = mc.UserDefined(y.ravel(), [1.0, 2.0, 3.0, np.inf]).yb.reshape(y.shape)
    np.testing.assert_array_equal(m.classes, ud)
    assert m.k == 4 and m.labels == default_labels(4) == ("低", "中低", "中高", "高")
    assert m.scheme == "cutoffs"


def test_per_period_user_cutoffs():
    y = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    m = markov(y, cutoffs=[[1.5], [15.0]])
    np.testing.assert_array_equal(m.classes, [[0, 0], [1, 1], [1, 1]])
    with pytest.raises(DataValidationError, match="one row per period"):
        markov(y, cutoffs=[[1.5], [15.0], [3.0]])


def test_ties_raise_by_default():
    y = np.array([[0, 0, 0], [0, 0, 1], [0, 0, 2], [1, 2, 3]], dtype=float)
    with pytest.raises(DataValidationError, match="ties='merge'") as err:
        markov(y, k=4)
    assert "coincide" in str(err.value)


def test_ties_merge_pooled_matches_mapclassify():
    mc = pytest.importorskip("mapclassify")
    y = np.array([[0, 0, 0], [0, 0, 1], [0, 0, 2], [1, 2, 3]], dtype=float)
    m = markov(y, k=4, ties="merge")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        q = mc.Quantiles(y.ravel(), k=4)
    # mapclassify keeps q.k = 4 although it forms only len(q.bins) = 3 classes
    assert m.k == len(q.bins) == 3
    np.testing.assert_array_equal(m.classes, q.yb.reshape(y.shape))
    np.testing.assert_allclose(m.cutoffs, q.bins[:-1])
    assert m.labels == ("1", "2", "3")
    g = giddy_markov(q.yb.reshape(y.shape))
    np.testing.assert_allclose(m.p, g.p)


def test_ties_merge_per_period_keeps_k():
    y = np.array([[0, 0], [0, 1], [0, 2], [0, 3], [5, 4]], dtype=float)
    with pytest.raises(DataValidationError, match="period 0"):
        markov(y, k=4, cutoff_scope="per_period")
    m = markov(y, k=4, cutoff_scope="per_period", ties="merge")
    assert m.k == 4
    # period 0: cutoffs 0, 0, 0 → the four zeros in class 0, the 5 in class 3
    np.testing.assert_array_equal(m.classes[:, 0], [0, 0, 0, 0, 3])
    np.testing.assert_array_equal(m.classes[:, 1], [0, 0, 1, 2, 3])


def test_all_equal_values_cannot_be_merged():
    with pytest.raises(DataValidationError, match="only 1 class"):
        markov(np.ones((4, 3)), k=3, ties="merge")
    with pytest.raises(DataValidationError, match="only 1 class"):
        markov([[-1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], k=2, ties="merge")


def test_empty_rows_and_fill_empty_classes():
    # no value above 5: class 2 is never observed, so its row has no transitions
    y = np.array([[1.0, 4.0, 1.0], [4.0, 1.0, 4.0], [1.0, 1.0, 4.0]])
    m = markov(y, cutoffs=[2.0, 5.0])
    assert m.transitions[2].sum() == 0
    np.testing.assert_array_equal(m.p[2], [0, 0, 0])
    filled = markov(y, cutoffs=[2.0, 5.0], fill_empty_classes=True)
    np.testing.assert_array_equal(filled.p[2], [0, 0, 1])
    g = giddy_markov(m.classes, classes=np.arange(3), fill_empty_classes=True)
    np.testing.assert_allclose(filled.p, g.p)
    # steady states treat the empty row as absorbing (as giddy's Markov does): two
    # recurrent classes, so no unique steady state
    assert m.recurrent_classes == ((0, 1), (2,))
    assert np.isnan(m.steady_state).all()
    np.testing.assert_allclose(m.steady_states, g.steady_state, atol=1e-12)
    assert "无转移观测" in m.summary().as_text()
    assert "常返类" in m.summary().as_text()


def test_entering_an_absorbing_class():
    # class 2 only appears in the last period: entered, never left
    y = np.array([[1.0, 1.0, 9.0], [4.0, 1.0, 4.0], [1.0, 4.0, 1.0]])
    m = markov(y, cutoffs=[2.0, 5.0])
    assert m.recurrent_classes == ((2,),)
    np.testing.assert_allclose(m.steady_state, [0, 0, 1], atol=1e-14)


def test_top_cutoff_equal_to_maximum_is_a_tie():
    mc = pytest.importorskip("mapclassify")
    y = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [9, 9, 9]], dtype=float)
    with pytest.raises(DataValidationError, match="the maximum"):
        markov(y, k=4)
    m = markov(y, k=4, ties="merge")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        q = mc.Quantiles(y.ravel(), k=4)
    assert m.k == len(q.bins) == 3
    np.testing.assert_array_equal(m.classes, q.yb.reshape(y.shape))


def test_states_with_unobserved_class():
    m = markov(classes=[[0, 1], [1, 0]], states=[0, 1, 2])
    assert m.k == 3 and m.labels == ("1", "2", "3")
    np.testing.assert_array_equal(m.p[2], [0, 0, 0])
    with pytest.raises(DataValidationError, match="not in states"):
        markov(classes=[[0, 3], [1, 0]], states=[0, 1, 2])


def test_labels_and_frame():
    y = np.arange(24, dtype=float).reshape(6, 4)
    m = markov(y, k=2, labels=["落后", "领先"])
    frame = m.to_frame()
    assert list(frame.columns) == ["n", "落后", "领先"]
    assert list(frame.index) == ["落后", "领先"] and frame.index.name == "初始类型"
    np.testing.assert_array_equal(frame["n"], m.transitions.sum(axis=1))
    np.testing.assert_allclose(frame[["落后", "领先"]].to_numpy(), m.p)
    text = m.summary().as_text()
    assert "稳态分布" in text and "传统马尔可夫链" in text
    assert "<table" in m.summary().as_html()
    with pytest.raises(DataValidationError, match="3 names"):
        markov(y, k=2, labels=["a", "b", "c"])


def test_default_labels():
    assert default_labels(4) == ("低", "中低", "中高", "高")
    assert default_labels(3) == ("1", "2", "3")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y": [[1.0], [2.0], [3.0]]}, "at least 2"),
        ({"y": [1.0, 2.0, 3.0]}, "2-D"),
        ({"y": [[1.0, 2.0], [3.0, np.nan]]}, "unit 1, period 1"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "k": 1}, "k must be"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "k": 2.5}, "k must be"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "cutoffs": [2.0, 2.0]}, "strictly increasing"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "cutoffs": [np.nan]}, "finite"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "cutoff_scope": "yearly"}, "cutoff_scope"),
        ({"y": [[1.0, 2.0], [3.0, 4.0]], "ties": "drop"}, "ties"),
        ({}, "either y"),
        ({"y": [[1.0, 2.0]], "classes": [["a", "b"]]}, "either y"),
        ({"classes": [["a"], ["b"]]}, "at least 2"),
        ({"classes": [["a", None], ["b", "a"]]}, "unit 0, period 1"),
        ({"classes": [[1.0, 2.0], [np.nan, 1.0]]}, "unit 1, period 0"),
        ({"classes": [["a", "a"], ["a", "a"]]}, "only 1"),
        ({"classes": [["a", "b"], ["b", "a"]], "cutoffs": [1.0]}, "cutoffs"),
        ({"y": [["x", "y"], ["z", "w"]]}, "numeric"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        markov(**kwargs)


def test_nan_error_names_the_cell():
    with pytest.raises(DataValidationError) as err:
        markov([[1.0, 2.0, 3.0], [3.0, 4.0, np.inf]])
    assert err.value.data_row == 1 and err.value.column == "#2"


def test_stochastic_matrix_validation():
    with pytest.raises(DataValidationError, match="row 0"):
        steady_states([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(DataValidationError, match="square"):
        mfpt([[1.0, 0.0]])


# ---------------------------------------------------------------- homogeneity


def test_homogeneity_matches_giddy_on_random_counts():
    gm = pytest.importorskip("giddy.markov")
    rng = np.random.default_rng(3)
    T = rng.integers(0, 6, size=(3, 4, 4)).astype(float)
    T[:, 0, 3] = 0  # a structural zero
    ours = homogeneity(T)
    ref = gm.homogeneity(T)
    assert ours.dof == ref.dof
    for name in ("Q", "LR", "Q_p_value", "LR_p_value"):
        assert getattr(ours, name) == pytest.approx(getattr(ref, name), abs=1e-10)
    assert list(ours.to_frame().index) == ["Q", "LR"]
    assert "Bickenbach" in ours.summary().title


def test_homogeneity_dof_skips_empty_class():
    gm = pytest.importorskip("giddy.markov")
    T = np.array([[[5, 1, 0], [2, 4, 0], [0, 0, 0]], [[3, 3, 0], [1, 6, 0], [0, 0, 0]]], float)
    ours = homogeneity(T)
    ref = gm.homogeneity(T)
    # giddy adds (0 - 1)(0 - 1) = 1 for the class with no transitions at all
    assert ours.dof == ref.dof - 1 == 2
    np.testing.assert_allclose([ours.Q, ours.LR], [ref.Q, ref.LR], rtol=1e-12)


def test_homogeneity_zero_dof_gives_nan_p_values():
    h = homogeneity([[[3, 0], [0, 2]], [[1, 0], [0, 4]]])
    assert h.dof == 0 and h.Q == 0 and np.isnan(h.Q_p_value) and np.isnan(h.LR_p_value)


# ---------------------------------------------------------------- properties


@st.composite
def class_panels(draw):
    n = draw(st.integers(1, 8))
    t = draw(st.integers(2, 6))
    k = draw(st.integers(2, 5))
    ids = draw(hnp.arrays(np.int64, (n, t), elements=st.integers(0, k - 1)))
    return ids, k


@FAST
@given(class_panels(), st.booleans())
def test_rows_sum_to_one_or_zero(panel, fill):
    ids, k = panel
    m = markov(classes=ids, states=list(range(k)), fill_empty_classes=fill)
    sums = m.p.sum(axis=1)
    observed = m.transitions.sum(axis=1) > 0
    np.testing.assert_allclose(sums[observed], 1.0, atol=1e-12)
    np.testing.assert_allclose(sums[~observed], 1.0 if fill else 0.0, atol=0)
    assert m.transitions.sum() == ids.shape[0] * (ids.shape[1] - 1)


@FAST
@given(class_panels())
def test_steady_states_are_stationary(panel):
    ids, k = panel
    m = markov(classes=ids, states=list(range(k)), fill_empty_classes=True)
    for pi in m.steady_states:
        assert pi.sum() == pytest.approx(1.0, abs=1e-12)
        assert (pi >= 0).all()
        np.testing.assert_allclose(pi @ m.p, pi, atol=1e-10)
    if len(m.recurrent_classes) == 1:
        np.testing.assert_allclose(m.steady_state, m.steady_states[0])
    else:
        assert np.isnan(m.steady_state).all()


@FAST
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(4, 10), st.integers(2, 5)), elements=st.floats(-1e3, 1e3)
    ),
    st.integers(2, 4),
)
def test_continuous_classes_cover_quantile_bins(y, k):
    try:
        m = markov(y, k=k, ties="merge")
    except DataValidationError as err:
        assert "only 1 class" in str(err)
        return
    assert m.classes.min() >= 0 and m.classes.max() <= m.k - 1
    # upper bound inclusive: every value lies in (cutoff_{c-1}, cutoff_c]
    bounds = np.concatenate([[-np.inf], m.cutoffs, [np.inf]])
    assert (y > bounds[m.classes]).all() and (y <= bounds[m.classes + 1]).all()
