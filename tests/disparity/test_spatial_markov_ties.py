"""Ties of the spatial-lag class in the spatial Markov chain (issue 15, item 1).

When a unit's lag class is not unique — a continuous lag on a class boundary, or several
equally heavy neighbour classes of discrete data — nqpf used to take the lowest class,
which piles transitions into the low lag classes.  ``lag_ties`` now chooses the rule:
``"fractional"`` (default), ``"tryself"`` (giddy's), ``"random"`` and ``"lowest"``.

Oracles: hand-built panels with known ties; giddy 2.3 / libpysal 4.14 (``lag_categorical``,
with its ``numpy.random.choice`` replaced by min / max so that both ends of every tie it
draws from are visible) on giddy's own discrete example — US state incomes 1929–2009
relative to the yearly mean, in pooled quintiles (libpysal ``usjoin.csv``,
``states48.gal``, read from the installed wheel).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nqpf.disparity.markov import homogeneity, spatial_markov
from nqpf.exceptions import DataValidationError

FAST = settings(max_examples=40, deadline=None, database=None)
RULES = ("fractional", "tryself", "random", "lowest")

gm = pytest.importorskip("giddy.markov")
libpysal = pytest.importorskip("libpysal")
mc = pytest.importorskip("mapclassify")


# --------------------------------------------------------------- constructed ties

# Discrete: units 0 and 3 both have neighbours 1 (class b) and 2 (class c): a b–c tie.
# Unit 0 is itself c, so its own vote settles it (tryself → c).  Unit 3 is a: after its
# vote a, b and c weigh ½ each, a three-way tie.
Y_DISCRETE = np.array([["c", "c"], ["b", "b"], ["c", "c"], ["a", "a"]])
W_DISCRETE = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 1, 0]])


def test_discrete_lowest_and_fractional_by_hand():
    low = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True, lag_ties="lowest")
    np.testing.assert_array_equal(low.lag_classes[:, 0], [2, 2, 2, 0])
    frac = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True)
    assert frac.lag_ties == "fractional"
    # only unit 3 stays tied (in both periods), over all three classes
    np.testing.assert_array_equal(frac.lag_tied, [[0, 0], [0, 0], [0, 0], [1, 1]])
    np.testing.assert_array_equal(frac.lag_tie_classes, [[1, 1, 1], [1, 1, 1]])
    # unit 3 moves a → a once: 1/3 in each lag class; the others count whole
    expected = np.zeros((3, 3, 3))
    expected[2, 2, 2] = 2  # units 0 and 2: c → c, neighbours' class c
    expected[2, 1, 1] = 1  # unit 1: b → b, neighbours (c, c)
    expected[:, 0, 0] += 1 / 3
    np.testing.assert_allclose(frac.T, expected, atol=1e-15)
    np.testing.assert_allclose(frac.lag_membership()[3, 0], [1 / 3] * 3)


def test_discrete_random_rules_draw_from_the_right_sets():
    seen = {rule: {0: set(), 3: set()} for rule in ("tryself", "random")}
    for seed in range(40):
        for rule in ("tryself", "random"):
            sm = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True, lag_ties=rule, rng=seed)
            seen[rule][0].add(int(sm.lag_classes[0, 0]))
            seen[rule][3].add(int(sm.lag_classes[3, 0]))
    assert seen["tryself"] == {0: {2}, 3: {0, 1, 2}}  # own vote settles unit 0
    assert seen["random"] == {0: {1, 2}, 3: {1, 2}}  # no own vote: b or c for both
    a = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True, lag_ties="tryself", rng=7)
    b = spatial_markov(
        Y_DISCRETE, W_DISCRETE, discrete=True, lag_ties="tryself", rng=np.random.default_rng(7)
    )
    np.testing.assert_array_equal(a.lag_classes, b.lag_classes)  # seeded


# Continuous: classes cut at 1.5 and 2.5, neighbours' mean judged with the same cutoffs.
Y_LINE = np.array([[1, 1, 1], [1, 2, 2], [3, 3, 2], [3, 3, 3]], dtype=float)
W_LINE = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])


def test_continuous_boundary_by_hand():
    kw = {"cutoffs": [1.5, 2.5], "lag_cutoff_mode": "same"}
    sm = spatial_markov(Y_LINE, W_LINE, **kw)
    # lags 1.5 (unit 1, period 2) and 2.5 (unit 2, periods 1 and 2) sit on cutoffs
    np.testing.assert_array_equal(np.argwhere(sm.lag_tied), [[1, 2], [2, 1], [2, 2]])
    np.testing.assert_array_equal(sm.lag_tie_classes, [[1, 1, 0], [0, 1, 1], [0, 1, 1]])
    low = spatial_markov(Y_LINE, W_LINE, lag_ties="lowest", **kw)
    np.testing.assert_array_equal(low.lag_classes[sm.lag_tied], [0, 1, 1])  # closed right
    # unit 2 moves class 2 → 1 from lag 2.5: all in lag class 1 (lowest), ½–½ (fractional)
    assert low.T[1, 2, 1] == 1 and low.T[2, 2, 1] == 0
    assert sm.T[1, 2, 1] == sm.T[2, 2, 1] == 0.5
    for seed in range(20):
        r = spatial_markov(Y_LINE, W_LINE, lag_ties="random", rng=seed, **kw)
        assert r.lag_classes[2, 1] in (1, 2)
        t = spatial_markov(Y_LINE, W_LINE, lag_ties="tryself", rng=seed, **kw)
        np.testing.assert_array_equal(t.lag_classes, r.lag_classes)  # no vote to add


def test_lag_on_a_quantile_cutoff_of_tied_lags():
    """Six of eight lags equal 1; the merged lag cutoffs are [1, 2]: every lag of 1 lies
    between lag classes 0 and 1."""
    y = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 9.0]])
    w = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]])
    sm = spatial_markov(y, w, cutoffs=[1.5], m=4, ties="merge")
    assert sm.lag_tied.sum() == 6
    low = spatial_markov(y, w, cutoffs=[1.5], m=4, ties="merge", lag_ties="lowest")
    # every transition starts in period 0, where all four lags are 1: lowest counts all
    # four under lag class 0, fractional half of each
    assert low.T[0].sum() == 4 and sm.T[0].sum() == pytest.approx(2.0)


def test_bad_tie_rule():
    with pytest.raises(DataValidationError, match="lag_ties"):
        spatial_markov(Y_LINE, W_LINE, cutoffs=[1.5, 2.5], lag_ties="first")
    with pytest.raises(DataValidationError, match="rng"):
        spatial_markov(Y_LINE, W_LINE, cutoffs=[1.5, 2.5], rng=np.random.RandomState(0))


# --------------------------------------------------------------- giddy's discrete example


@pytest.fixture(scope="module")
def us_quintiles():
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    pci = df[[str(y) for y in range(1929, 2010)]].to_numpy(dtype=float)
    rpci = pci / pci.mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.io.open(libpysal.examples.get_path("states48.gal")).read()
    w.transform = "r"
    return mc.Quantiles(rpci.flatten(), k=5).yb.reshape(rpci.shape), w


@pytest.fixture(scope="module")
def libpysal_ends(us_quintiles):
    """libpysal's categorical lag with its random draw replaced by min and by max."""
    from libpysal.weights import lag_categorical

    y, w = us_quintiles
    out = []
    for pick in (np.min, np.max):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(np.random, "choice", lambda a, *args, _p=pick, **kw: _p(a))
            out.append(lag_categorical(w, y, ties="tryself"))
    return out


def test_tie_sets_equal_giddys(us_quintiles, libpysal_ends):
    """nqpf's tied unit-periods and their tied classes are those libpysal draws from."""
    y, w = us_quintiles
    lo, hi = libpysal_ends
    sm = spatial_markov(y, w, discrete=True)
    np.testing.assert_array_equal(sm.lag_tied, lo != hi)
    assert sm.lag_tied.sum() == 427  # of 3,888 unit-periods
    cand = sm.lag_tie_classes
    np.testing.assert_array_equal(np.argmax(cand, axis=1), lo[sm.lag_tied])
    np.testing.assert_array_equal(
        cand.shape[1] - 1 - np.argmax(cand[:, ::-1], axis=1), hi[sm.lag_tied]
    )
    # where giddy's rule leaves no tie, every rule with the own-class step agrees with it
    for rule in ("fractional", "tryself", "lowest"):
        r = spatial_markov(y, w, discrete=True, lag_ties=rule, rng=0)
        np.testing.assert_array_equal(r.lag_classes[~sm.lag_tied], lo[~sm.lag_tied])
    np.testing.assert_array_equal(
        spatial_markov(y, w, discrete=True, lag_ties="lowest").lag_classes, lo
    )


def test_lowest_inflates_lag_class_0_and_fractional_does_not(us_quintiles, libpysal_ends):
    """The bias: taking the lowest tied class adds ~13 % to the transitions counted under
    lag class 0; the fractional counts equal the mean over seeded tryself draws (giddy's
    rule), so no class is favoured."""
    y, w = us_quintiles
    frac = spatial_markov(y, w, discrete=True)
    low = spatial_markov(y, w, discrete=True, lag_ties="lowest")
    assert frac.T.sum() == pytest.approx(low.T.sum()) == 48 * 80
    row0_low, row0_frac = low.T[0].sum(axis=1), frac.T[0].sum(axis=1)
    assert low.T[0].sum() > 1.10 * frac.T[0].sum()
    assert (row0_low >= row0_frac - 1e-9).all()  # every row of lag class 0 gains
    draws = np.stack(
        [spatial_markov(y, w, discrete=True, lag_ties="tryself", rng=s).T for s in range(30)]
    )
    se = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - frac.T) <= 4.5 * se + 1e-9)
    # giddy's own random draws (libpysal lag_categorical, unseeded numpy.random) centre on
    # the same count of transitions under lag class 0, below lowest's
    from libpysal.weights import lag_categorical

    counts = []
    state = np.random.get_state()  # noqa: NPY002
    try:
        for s in range(3):
            np.random.seed(s)  # noqa: NPY002
            counts.append(int((lag_categorical(w, y, ties="tryself")[:, :-1] == 0).sum()))
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert abs(np.mean(counts) - frac.T[0].sum()) < 0.03 * frac.T[0].sum()
    assert max(counts) < low.T[0].sum()


def test_homogeneity_runs_on_fractional_counts(us_quintiles):
    y, w = us_quintiles
    frac = spatial_markov(y, w, discrete=True)
    h = homogeneity(frac.T)
    assert (frac.Q, frac.LR, frac.dof) == (h.Q, h.LR, h.dof)
    assert np.isfinite([frac.Q, frac.LR]).all() and frac.dof > 0
    np.testing.assert_allclose(frac.P.sum(axis=2)[frac.T.sum(axis=2) > 0], 1.0)
    assert "并列" in frac.summary().as_text()


# --------------------------------------------------------------- properties


@st.composite
def discrete_panels(draw):
    n = draw(st.integers(4, 8))
    t = draw(st.integers(2, 4))
    k = draw(st.integers(2, 4))
    y = draw(hnp.arrays(np.int64, (n, t), elements=st.integers(0, k - 1)))
    w = draw(hnp.arrays(np.float64, (n, n), elements=st.sampled_from([0.0, 1.0])))
    np.fill_diagonal(w, 0.0)
    w[np.arange(n), (np.arange(n) + 1) % n] = 1.0  # no islands
    perm = draw(st.permutations(range(k)))
    return y, w, k, np.array(perm)


@FAST
@given(discrete_panels())
def test_fractional_does_not_depend_on_the_order_of_the_classes(panel):
    """Relabelling the classes relabels T: no class is favoured by its position.

    ``"lowest"`` fails this wherever a tie is broken (it favours the class listed first).
    """
    y, w, _, perm = panel
    if len(np.unique(y)) < 2:
        return
    a = spatial_markov(y, w, discrete=True)
    b = spatial_markov(perm[y], w, discrete=True)
    # classes are the sorted distinct values; map a's class indices to b's
    ua, ub = np.unique(y), np.unique(perm[y])
    to_b = np.searchsorted(ub, perm[ua])
    Ta = np.zeros_like(b.T)
    Ta[np.ix_(to_b, to_b, to_b)] = a.T
    np.testing.assert_allclose(b.T, Ta, atol=1e-12)
    np.testing.assert_allclose(a.T.sum(), y.shape[0] * (y.shape[1] - 1))


@FAST
@given(discrete_panels(), st.sampled_from(RULES), st.integers(0, 3))
def test_counts_follow_the_membership(panel, rule, seed):
    y, w, _, _ = panel
    if len(np.unique(y)) < 2:
        return
    sm = spatial_markov(y, w, discrete=True, lag_ties=rule, rng=seed)
    M = sm.lag_membership()
    np.testing.assert_allclose(M.sum(axis=2), 1.0)
    k = sm.k
    T = np.zeros_like(sm.T, dtype=float)
    for i, j in np.ndindex(y.shape[0], y.shape[1] - 1):
        T[:, sm.classes[i, j], sm.classes[i, j + 1]] += M[i, j]
    np.testing.assert_allclose(sm.T, T, atol=1e-12)
    assert sm.T.shape == (k, k, k)
    if rule != "fractional":
        assert sm.T.dtype.kind == "i"


def test_lowest_depends_on_the_order_of_the_classes():
    """Unit 3's three-way tie: lowest gives it to whichever label sorts first — 'a', and
    after relabelling a ↔ c again the first label, not the image of its old class."""
    flipped = np.vectorize({"a": "c", "b": "b", "c": "a"}.get)(Y_DISCRETE)
    a = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True, lag_ties="lowest")
    b = spatial_markov(flipped, W_DISCRETE, discrete=True, lag_ties="lowest")
    image = {0: 2, 1: 1, 2: 0}  # a ↔ c
    assert a.lag_classes[3, 0] == 0 and b.lag_classes[3, 0] == 0 != image[0]
    fa = spatial_markov(Y_DISCRETE, W_DISCRETE, discrete=True)
    fb = spatial_markov(flipped, W_DISCRETE, discrete=True)
    order = [2, 1, 0]
    np.testing.assert_allclose(fb.T, fa.T[np.ix_(order, order, order)], atol=1e-15)


# --------------------------------------------------------------- homogeneity dof


def test_dof_convention_giddy_equals_giddy():
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    pci = df[[str(y) for y in range(1929, 2010)]].to_numpy(dtype=float)
    rpci = pci / pci.mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.io.open(libpysal.examples.get_path("states48.gal")).read()
    w.transform = "r"
    cc = np.array([0.8, 0.9, 1, 1.2, 5.0])  # nothing above 5: class 5 has no transition
    ref = gm.Spatial_Markov(rpci, w, cutoffs=cc, lag_cutoffs=cc[:4])
    ours = spatial_markov(rpci, w, cutoffs=cc, lag_cutoffs=cc[:4], dof_convention="giddy")
    assert ours.dof == ref.dof_hom and ours.dof_convention == "giddy"
    assert ours.Q_p_value == pytest.approx(ref.Q_p_value, abs=1e-8)
    assert ours.LR_p_value == pytest.approx(ref.LR_p_value, abs=1e-8)
    observed = spatial_markov(rpci, w, cutoffs=cc, lag_cutoffs=cc[:4])
    assert observed.dof == ref.dof_hom - 1
    h = gm.homogeneity(ours.T)  # giddy's own function on the same counts
    assert homogeneity(ours.T, dof_convention="giddy").dof == h.dof
    with pytest.raises(DataValidationError, match="dof_convention"):
        homogeneity(ours.T, dof_convention="bb")
