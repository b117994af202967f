"""Mobility indices and sojourn times against giddy (``prais``, ``markov_mobility``,
``sojourn_time``): giddy's published test numbers and runs of giddy on random matrices.

Data: libpysal's bundled ``usjoin.csv`` (per-capita income of the 48 lower US states,
1929–2009, BEA), in quintiles per year — giddy's ``test_prais``, ``MarkovMobility_Tester``
and ``Markov_Tester``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nqpf.disparity import (
    MobilityResult,
    markov,
    mobility,
    prais,
    shorrocks,
    sojourn_time,
    spatial_markov,
)
from nqpf.exceptions import DataValidationError

FAST = settings(max_examples=40, deadline=None, database=None)

libpysal = pytest.importorskip("libpysal")
gm = pytest.importorskip("giddy.markov")
gmob = pytest.importorskip("giddy.mobility")

PI = np.array([0.1, 0.2, 0.2, 0.4, 0.1])


@pytest.fixture(scope="module")
def pci() -> np.ndarray:
    """(48 states × 81 years)."""
    df = pd.read_csv(libpysal.examples.get_path("usjoin.csv"))
    return df[[str(y) for y in range(1929, 2010)]].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def q5(pci):
    """Quintiles of every year, nqpf's per-period classification (giddy: mc.Quantiles per year)."""
    return markov(pci, k=5, cutoff_scope="per_period")


def test_giddy_published_prais_and_indices(q5):
    """giddy tests: test_prais, Shorrock_Tester, MarkovMobility_Tester (pi = .1 .2 .2 .4 .1)."""
    np.testing.assert_allclose(
        prais(q5), [0.08988764, 0.21468144, 0.21125, 0.20194986, 0.07259074], atol=5e-9
    )
    r = mobility(q5, PI)
    assert isinstance(r, MobilityResult)
    assert r.shorrocks_trace == pytest.approx(0.19758992000997844, abs=1e-12)
    assert r.shorrocks_det == pytest.approx(0.60684854623695594, abs=1e-12)
    assert r.eigenvalue == pytest.approx(0.039782002308159647, abs=1e-12)
    assert r.bartholomew_1 == pytest.approx(0.2277675878319787, abs=1e-12)
    assert r.bartholomew_2 == pytest.approx(0.046366601194789261, abs=1e-12)
    assert shorrocks(q5) == r.shorrocks_trace and shorrocks(q5.p, "det") == r.shorrocks_det


def test_giddy_published_sojourn_times(pci, q5):
    """giddy Markov_Tester: sojourn times of the full chain, of the first two years (two
    absorbing classes) and of 30 states over 2 years with pooled quintiles."""
    np.testing.assert_allclose(
        q5.sojourn_time(), [11.125, 4.65806452, 4.73372781, 4.95172414, 13.77586207], atol=5e-8
    )
    two = markov(pci[:, :2], k=5, cutoff_scope="per_period")
    np.testing.assert_allclose(two.sojourn_time(), [np.inf, 9.0, 5.5, np.inf, 10.0])
    # giddy's q5_fix = mc.Quantiles(pci.flatten()).yb on its (years × states) array, and
    # Markov(q5_fix[:30, -4:-2]) reads 30 years as units and 2 states as periods
    q5_fix = markov(pci, k=5).classes.T
    few = markov(classes=q5_fix[:30, -4:-2], states=range(5))
    np.testing.assert_allclose(few.sojourn_time(), [np.inf, 2.14285714, 1.0, np.inf, np.inf])


def test_giddy_published_sojourn_function():
    """giddy Sojourn_time_Tester and the sojourn_time docstring."""
    p = [[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0.25, 0.25, 0.5]]
    np.testing.assert_allclose(sojourn_time(p), [2.0, 1.0, 2.0])
    np.testing.assert_allclose(
        sojourn_time([[0.5, 0.5, 0], [0.3, 0.7, 0], [0, 0, 1]]), [2.0, 3.33333333, np.inf]
    )
    np.testing.assert_allclose(
        sojourn_time([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0, 0, 0]]), [2.0, 1.0, np.inf]
    )


@st.composite
def transition_matrices(draw):
    k = draw(st.integers(2, 6))
    raw = draw(hnp.arrays(np.float64, (k, k), elements=st.floats(0, 10, allow_subnormal=False)))
    raw[np.arange(k), np.arange(k)] += 0.1  # no empty row
    return raw / raw.sum(axis=1, keepdims=True)


@FAST
@given(transition_matrices(), st.booleans())
def test_every_index_equals_giddy(p, uniform):
    k = p.shape[0]
    ini = None if uniform else np.arange(1.0, k + 1) / np.arange(1.0, k + 1).sum()
    r = mobility(p, ini)
    for attr, measure in (
        ("shorrocks_trace", "P"),
        ("shorrocks_det", "D"),
        ("eigenvalue", "L2"),
        ("bartholomew_1", "B1"),
        ("bartholomew_2", "B2"),
    ):
        ref = gmob.markov_mobility(p, measure=measure, ini=ini)
        assert getattr(r, attr) == pytest.approx(ref, abs=1e-10), measure
    np.testing.assert_allclose(r.prais, gm.prais(p), atol=1e-15)
    np.testing.assert_allclose(r.sojourn, gm.sojourn_time(p, summary=False), rtol=1e-12)
    # sojourn = 1 / Prais; the identity has no mobility
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(r.sojourn, 1.0 / r.prais, rtol=1e-12)
    still = mobility(np.eye(k))
    indices = [still.shorrocks_trace, still.shorrocks_det, still.eigenvalue]
    np.testing.assert_allclose([*indices, still.bartholomew_1, still.bartholomew_2], 0, atol=1e-15)
    assert np.isinf(still.sojourn).all()


def test_result_tables_and_observed_start(q5):
    r = q5.mobility("observed")
    np.testing.assert_allclose(r.initial, q5.initial)
    classes = r.to_frame()
    assert list(classes.columns) == ["prais", "sojourn", "initial"] and len(classes) == 5
    indices = r.to_frame("indices")
    assert indices["index"].tolist()[0] == "shorrocks_trace"
    assert "Shorrocks" in r.summary().as_text()
    with pytest.raises(DataValidationError, match="table"):
        r.to_frame("pairs")


def test_spatial_markov_sojourn_per_lag_class(pci):
    rpci = pci / pci.mean(axis=0)
    w = np.zeros((48, 48))
    w[np.arange(48), (np.arange(48) + 1) % 48] = w[(np.arange(48) + 1) % 48, np.arange(48)] = 1
    sm = spatial_markov(rpci, w, k=4)
    S = sm.sojourn_time()
    assert S.shape == (4, 4)
    np.testing.assert_allclose(S[2], sojourn_time(sm.P[2]))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[0.5, 0.5]],), "square"),
        (([[0.5, 0.6], [0.5, 0.5]],), "row 0"),
        (([[1.0, 0.0], [0.0, 1.0]], [0.5]), "initial"),
        (([[1.0, -0.0001], [0.0, 1.0]],), "non-negative"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(DataValidationError, match=match):
        mobility(*args)
