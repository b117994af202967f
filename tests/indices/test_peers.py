"""Cross-checks against scikit-criteria and pymcdm where the definitions coincide.

What each peer does (read from their source in site-packages, scikit-criteria 0.10 and
pymcdm 1.4) and where it differs from nqpf:

scikit-criteria
- ``EntropyWeighter`` / ``weighters.entropy_weights``: 1 − scipy.stats.entropy(matrix,
  base=n_rows, axis=0), normalised.  It runs on the *raw* matrix (scipy sum-normalises each
  column) and ignores the objectives (methods.md §2).  nqpf's default first min-max
  normalises with directions and adds a shift, so the two agree only when nqpf is given the
  same matrix with ``normalized=True`` (or skcriteria is given nqpf's x').
- ``CRITIC``: ``matrix_scale_by_cenit_distance`` — direction-aware min-max, the same Z as
  nqpf — then ``np.std`` (ddof = 0) and ``pandas.DataFrame.corr`` (pearson/spearman).
  Same definition as nqpf.
- ``TOPSIS``: no normalisation of its own: it weights whatever matrix it gets.  With a
  ``VectorScaler(target="matrix")`` first it is the classic vector TOPSIS of nqpf; on the raw
  matrix it is nqpf's ``normalization="none"``; after ``InvertMinimize`` (cost x → 1/x) and
  ``VectorScaler`` it is nqpf's ``vector_cost="reciprocal"``.
- ``CRITIC(scale=False)``: σ and r of the raw matrix → nqpf ``normalization="none"``.
- ``std_weights``: σ (ddof = 1) of the raw matrix, as pymcdm.
- ``mkdm`` gives every criterion weight 1 unless told otherwise; nqpf accepts such weights
  with ``weight_sum="any"`` (TOPSIS closeness does not depend on their scale; a weighted sum
  does).

pymcdm
- ``weights.entropy_weights``: sum-normalises the columns; a column containing a 0 gets
  entropy 0 (maximal weight) in older versions (methods.md §2), and in 1.4
  ``sum_normalization`` rejects non-positive values outright.  nqpf uses 0·ln 0 := 0.
- ``weights.critic_weights``: min-max normalisation **without criteria types** (every
  column treated as a benefit), ``np.std(ddof=1)``, Pearson.  The ddof cancels, so it
  equals nqpf's CRITIC with all directions "+"; with a cost column it differs from nqpf
  (and from scikit-criteria), because flipping a column flips the sign of its correlations.
- ``methods.TOPSIS``: default normalisation is direction-aware min-max → nqpf's
  ``normalization="minmax"``.  With ``vector_normalization`` a cost column becomes
  1 − x/‖x‖; that is a reflection plus translation of the column, which leaves all
  distances to the ideal/anti-ideal unchanged, so it equals classic vector TOPSIS
  (nqpf ``vector_cost="complement"`` gives the same matrix and the same closeness).
- ``normalizations.sum_normalization``: cost columns as (1/x)/Σ(1/x) → nqpf ``proportion``.
- ``weights.standard_deviation_weights``: σ (ddof = 1) of the *raw* matrix → nqpf
  ``std_weights`` (default ``normalization="none"``); ``weights.variance_weights``: variance
  (ddof = 1) of the min-max matrix without types → nqpf ``variance_weights`` (default).
  A constant column is mapped to 1 by pymcdm's min-max; nqpf raises instead.
- ``weights.subjective.AHP``: principal eigenvector (same weights), but RI from Tummala &
  Ling (1998) (0.5799 for n = 3, 0.8921 for n = 4) instead of Saaty's 0.58 / 0.90, so CR
  differs slightly while CI is identical.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nqpf.indices import (
    ahp_weights,
    critic_weights,
    entropy_weights,
    minmax,
    proportion,
    std_weights,
    topsis,
    variance_weights,
    vector,
    weighted_sum,
)

RNG = np.random.default_rng(2024)
X = RNG.uniform(1, 10, size=(9, 4)) * np.array([1, 10, 0.1, 100])
D = np.array([1, -1, 1, -1])
W = np.array([0.1, 0.2, 0.3, 0.4])


def skc_objectives(d):
    return [max if x > 0 else min for x in d]


# --------------------------------------------------------------------------------------------
# scikit-criteria
# --------------------------------------------------------------------------------------------


def test_entropy_vs_skcriteria_on_same_positive_matrix():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import EntropyWeighter

    dm = skc.mkdm(X, skc_objectives(D))
    theirs = EntropyWeighter().transform(dm).weights.to_numpy()
    ours = entropy_weights(X, normalized=True).weights
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_entropy_skcriteria_ignores_objectives_so_feed_it_our_xprime():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import EntropyWeighter

    # Same objectives, raw matrix: skcriteria ignores the cost directions, nqpf does not.
    raw = EntropyWeighter().transform(skc.mkdm(X, skc_objectives(D))).weights.to_numpy()
    ours = entropy_weights(X, D).weights
    assert np.abs(raw - ours).max() > 1e-2
    # On nqpf's own x' (direction-aware min-max + 1e-4) the two definitions coincide.
    xp = minmax(X, D)
    theirs = EntropyWeighter().transform(skc.mkdm(xp, [max] * 4)).weights.to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_entropy_with_zero_cell_matches_skcriteria():
    pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import entropy_weights as skc_entropy

    # Both use 0·ln 0 := 0 (scipy.special.entr): a zero cell is no special case.
    xp = minmax(X, D, shift=0)  # has exact zeros and ones
    np.testing.assert_allclose(
        entropy_weights(xp, normalized=True).weights, skc_entropy(xp), rtol=0, atol=1e-14
    )


@pytest.mark.parametrize("correlation", ["pearson", "spearman"])
def test_critic_vs_skcriteria(correlation):
    skc = pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import CRITIC

    dm = skc.mkdm(X, skc_objectives(D))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "CRITIC with minimisation objectives"
        theirs = CRITIC(correlation=correlation).transform(dm).weights.to_numpy()
    ours = critic_weights(X, D, correlation=correlation).weights
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_vector_topsis_vs_skcriteria():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    dm = skc.mkdm(X, skc_objectives(D), weights=W)
    scaled = VectorScaler(target="matrix").transform(dm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "TOPSIS with minimisation objectives"
        theirs = TOPSIS().evaluate(scaled).e_.similarity
    np.testing.assert_allclose(topsis(X, W, D).scores, theirs, rtol=0, atol=1e-14)


def test_r2_cases_through_skcriteria():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    A = [[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]]
    dm = VectorScaler(target="matrix").transform(skc.mkdm(A, [max] * 3, weights=[0.3, 0.4, 0.3]))
    theirs = TOPSIS().evaluate(dm).e_.similarity
    np.testing.assert_allclose(topsis(A, [0.3, 0.4, 0.3]).scores, theirs, atol=1e-14)
    # Case 2: skcriteria applied to the raw matrix = nqpf normalization="none".
    B = [[1, 0, 3], [0, 5, 6]]
    theirs = TOPSIS().evaluate(skc.mkdm(B, [max] * 3)).e_.similarity
    np.testing.assert_allclose(topsis(B, normalization="none").scores, theirs, atol=1e-14)


# --------------------------------------------------------------------------------------------
# pymcdm
# --------------------------------------------------------------------------------------------


def test_entropy_vs_pymcdm_on_positive_matrix():
    pytest.importorskip("pymcdm")
    from pymcdm.weights import entropy_weights as pm_entropy

    np.testing.assert_allclose(
        entropy_weights(X, normalized=True).weights, pm_entropy(X), rtol=0, atol=1e-14
    )


def test_entropy_pymcdm_zero_cell_differs():
    pytest.importorskip("pymcdm")
    from pymcdm.weights import entropy_weights as pm_entropy

    P = X.copy()
    P[0, 1] = 0.0
    p = P / P.sum(axis=0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(P.shape[0])  # 0·ln 0 := 0
    ours = entropy_weights(P, normalized=True).weights
    np.testing.assert_allclose(ours, (1 - e) / (1 - e).sum(), rtol=0, atol=1e-14)
    try:
        theirs = pm_entropy(P)
    except ValueError as exc:
        # pymcdm 1.4: sum_normalization rejects non-positive values.
        assert "positive" in str(exc)
        return
    # Older pymcdm: the column's entropy is forced to 0, i.e. maximal divergence.
    e_pm = e.copy()
    e_pm[1] = 0.0
    np.testing.assert_allclose(theirs, (1 - e_pm) / (1 - e_pm).sum(), atol=1e-14)
    assert theirs[1] > ours[1]


def test_critic_vs_pymcdm_all_benefit():
    pytest.importorskip("pymcdm")
    from pymcdm.weights import critic_weights as pm_critic

    # pymcdm: min-max without types, ddof = 1 → same as nqpf with every direction "+".
    np.testing.assert_allclose(
        critic_weights(X, [1, 1, 1, 1]).weights, pm_critic(X), rtol=0, atol=1e-14
    )
    # With cost columns nqpf flips them; pymcdm cannot (no types argument).
    assert np.abs(critic_weights(X, D).weights - pm_critic(X)).max() > 1e-3


def test_minmax_topsis_vs_pymcdm_default():
    pytest.importorskip("pymcdm")
    from pymcdm.methods import TOPSIS

    theirs = TOPSIS()(X, W, D)
    ours = topsis(X, W, D, normalization="minmax", engine="numpy").scores
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_vector_topsis_vs_pymcdm_vector_normalization():
    pytest.importorskip("pymcdm")
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import vector_normalization

    theirs = TOPSIS(vector_normalization)(X, W, D)
    np.testing.assert_allclose(topsis(X, W, D).scores, theirs, rtol=0, atol=1e-14)


@pytest.mark.parametrize(
    ("A", "ri_saaty", "ri_pymcdm"),
    [
        (np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]), 0.58, 0.5799),
        (
            np.array(
                [[1, 2, 4, 3], [1 / 2, 1, 3, 2], [1 / 4, 1 / 3, 1, 1 / 2], [1 / 3, 1 / 2, 2, 1]]
            ),
            0.90,
            0.8921,
        ),
    ],
)
def test_ahp_vs_pymcdm(A, ri_saaty, ri_pymcdm):
    pytest.importorskip("pymcdm")
    from pymcdm.weights.subjective import AHP

    ahp = AHP(matrix=A)
    ours = ahp_weights(A)
    np.testing.assert_allclose(ours.weights, ahp(), rtol=0, atol=1e-12)
    # Same CI, different RI tables.
    assert ours.details["RI"] == ri_saaty
    assert ours.details["CR"] * ri_saaty == pytest.approx(ahp.get_cr() * ri_pymcdm, abs=1e-12)
    assert ours.details["CR"] != pytest.approx(ahp.get_cr(), abs=1e-6)


# --------------------------------------------------------------------------------------------
# Issue 15: the peers' conventions as nqpf parameters
# --------------------------------------------------------------------------------------------

XP = X + 1.0  # strictly positive (the reciprocal forms need x > 0)


def test_std_and_variance_weights_vs_pymcdm():
    pytest.importorskip("pymcdm")
    from pymcdm.weights import standard_deviation_weights
    from pymcdm.weights import variance_weights as pm_variance

    np.testing.assert_allclose(std_weights(X).weights, standard_deviation_weights(X), atol=1e-15)
    np.testing.assert_allclose(variance_weights(X).weights, pm_variance(X), atol=1e-15)


def test_std_weights_vs_skcriteria():
    pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import std_weights as skc_std

    np.testing.assert_allclose(std_weights(X).weights, skc_std(X), rtol=0, atol=1e-15)


def test_vector_complement_and_sum_reciprocal_vs_pymcdm():
    pytest.importorskip("pymcdm")
    from pymcdm.helpers import normalize_matrix
    from pymcdm.normalizations import sum_normalization, vector_normalization

    np.testing.assert_allclose(
        vector(XP, D, cost="complement"),
        normalize_matrix(XP, vector_normalization, D),
        rtol=0,
        atol=1e-15,
    )
    np.testing.assert_allclose(
        proportion(XP, D), normalize_matrix(XP, sum_normalization, D), rtol=0, atol=1e-15
    )


def test_vector_topsis_complement_vs_pymcdm():
    pytest.importorskip("pymcdm")
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import vector_normalization

    theirs = TOPSIS(vector_normalization)(XP, W, D)
    for engine in ("numpy", "numba"):
        ours = topsis(XP, W, D, vector_cost="complement", engine=engine).scores
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_reciprocal_forms_vs_skcriteria_invert_minimize():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.invert_objectives import InvertMinimize
    from skcriteria.preprocessing.scalers import SumScaler, VectorScaler

    dm = InvertMinimize().transform(skc.mkdm(XP, skc_objectives(D), weights=W))
    np.testing.assert_allclose(
        VectorScaler(target="matrix").transform(dm).matrix.to_numpy(),
        vector(XP, D, cost="reciprocal"),
        rtol=0,
        atol=1e-15,
    )
    np.testing.assert_allclose(
        SumScaler(target="matrix").transform(dm).matrix.to_numpy(),
        proportion(XP, D),
        rtol=0,
        atol=1e-15,
    )
    theirs = TOPSIS().evaluate(VectorScaler(target="matrix").transform(dm)).e_.similarity
    for engine in ("numpy", "numba"):
        ours = topsis(XP, W, D, vector_cost="reciprocal", engine=engine).scores
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_critic_unscaled_vs_skcriteria():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.preprocessing.weighters import CRITIC

    dm = skc.mkdm(X, [max] * X.shape[1])
    theirs = CRITIC(scale=False).transform(dm).weights.to_numpy()
    for engine in ("numpy", "numba"):
        ours = critic_weights(X, normalization="none", engine=engine).weights
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_default_weights_of_one_vs_skcriteria():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    dm = skc.mkdm(XP, [max] * XP.shape[1])  # no weights given: 1 per criterion
    ones = dm.weights.to_numpy()
    np.testing.assert_array_equal(ones, np.ones(XP.shape[1]))
    scaled = VectorScaler(target="matrix").transform(dm)
    theirs = TOPSIS().evaluate(scaled).e_.similarity
    ours = topsis(XP, ones, weight_sum="any").scores
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)
    # The weighted sum is not scale-free: Σ_j 1·x'_ij, exactly as skcriteria sums it.
    theirs = WeightedSumModel().evaluate(scaled).e_.score
    ours = weighted_sum(vector(XP), ones, weight_sum="any")
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)
