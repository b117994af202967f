"""Scoring a panel a chunk of rows at a time gives the numbers of scoring it whole."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import CompositeIndex
from nqpf.indices.composite import CHUNK_ROWS, _row_chunks


def _pair(demo_panel, **params):
    whole = CompositeIndex(system=_system(), chunk_rows=None, **params).fit(demo_panel)
    chunked = CompositeIndex(system=_system(), chunk_rows=3, **params).fit(demo_panel)
    return whole, chunked


def _system():
    from nqpf.systems import load_system

    return load_system("nqpf-three-factor")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"aggregation": "topsis"},
        {"aggregation": "grey", "rho": 0.3},
        {"aggregation": "gra_topsis"},
        {"weighting": "critic", "shift": 0.01, "scale": 100},
        {"extremes": "per_period"},
    ],
)
def test_chunks_give_the_same_bits(demo_panel, params):
    whole, chunked = _pair(demo_panel, **params)
    np.testing.assert_array_equal(chunked.best01_, whole.best01_)
    np.testing.assert_array_equal(chunked.worst01_, whole.worst01_)
    assert chunked.delta_ranges_ == whole.delta_ranges_
    a, b = whole.transform(demo_panel), chunked.transform(demo_panel)
    for name in ("index", "rank", "normalized"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
    for level, frame in a.sub_indices.items():
        np.testing.assert_array_equal(b.sub_indices[level].to_numpy(), frame.to_numpy())
        assert list(b.sub_indices[level].columns) == list(frame.columns)
    for name in ("degrees", "by_group", "top", "top_degrees", "mean_degrees"):
        np.testing.assert_array_equal(getattr(b.obstacles, name), getattr(a.obstacles, name))


def test_without_matrices_the_per_row_results_are_the_same(demo_panel):
    whole, chunked = _pair(demo_panel)
    a, b = whole.transform(demo_panel), chunked.transform(demo_panel, matrices=False)
    assert b.normalized is None and b.obstacles.degrees is None
    np.testing.assert_array_equal(b.index, a.index)
    np.testing.assert_array_equal(b.obstacles.top_degrees, a.obstacles.top_degrees)
    np.testing.assert_array_equal(b.obstacles.by_group, a.obstacles.by_group)
    # the mean is summed by chunks: the same to rounding
    np.testing.assert_allclose(b.obstacles.mean_degrees, a.obstacles.degrees.mean(axis=0), 1e-13)
    rows = np.arange(a.index.size)[:, None]
    np.testing.assert_array_equal(
        a.obstacles.top_degrees, a.obstacles.degrees[rows, a.obstacles.top]
    )
    assert b.obstacles.top_frame().equals(a.obstacles.top_frame())
    with pytest.raises(DataValidationError, match="matrices=False"):
        b.obstacles.to_frame()


def test_an_error_names_the_row_of_the_whole_panel(demo_panel):
    whole, chunked = _pair(demo_panel)
    X = demo_panel.values.copy()
    X[37, 4] = np.nan  # a row of the last chunk but one
    for est in (whole, chunked):
        with pytest.raises(DataValidationError, match="row 37") as err:
            est.transform(X, demo_panel.periods, indicators=demo_panel.indicators)
        assert err.value.data_row == 37


def test_a_fit_in_chunks_has_the_extremes_and_errors_of_all_rows(demo_panel):
    """fit takes the pooled extremes a chunk at a time: the same bits, and a bad cell
    named by its row of the whole matrix."""
    whole, chunked = _pair(demo_panel)
    np.testing.assert_array_equal(chunked.lo_, whole.lo_)
    np.testing.assert_array_equal(chunked.hi_, whole.hi_)
    X = demo_panel.values.copy()
    X[37, 4] = np.inf
    for rows in (None, 3):
        est = CompositeIndex(system=_system(), chunk_rows=rows)
        with pytest.raises(DataValidationError, match="row 37") as err:
            est.fit(X, demo_panel.periods, indicators=demo_panel.indicators)
        assert err.value.data_row == 37


def test_row_chunks():
    assert _row_chunks(10, None) == [slice(0, 10)]
    assert _row_chunks(10, 4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    # a last chunk of one row joins the one before (the core takes at least two rows)
    assert _row_chunks(9, 4) == [slice(0, 4), slice(4, 9)]
    assert _row_chunks(3, CHUNK_ROWS) == [slice(0, 3)]
    with pytest.raises(DataValidationError, match="at least 2"):
        _row_chunks(10, 1)


def test_rank_within_periods_as_rankdata():
    from scipy.stats import rankdata

    from nqpf.indices.composite import _rank_within

    rng = np.random.default_rng(7)
    values = rng.integers(0, 6, 300).astype(float) / 4  # many ties
    values[:5] = [0.0, -0.0, 0.5, 0.5, 1.25]
    periods = rng.choice([2021, 2019, 2020], 300)
    rank = _rank_within(values, periods)
    for p in np.unique(periods):
        rows = periods == p
        expected = rankdata(-values[rows], method="min").astype(np.int64)
        np.testing.assert_array_equal(rank[rows], expected)


@pytest.mark.parametrize("params", [{}, {"aggregation": "topsis"}])
def test_rows_given_back_as_scored_give_the_same_results(params):
    """``release_input``: a matrix in a memory map gives each chunk's rows back once
    scored (they read as zeros afterwards) and the results keep every bit."""
    from nqpf.panel.memory import releasable

    rng = np.random.default_rng(7)
    n, m = 6000, 4
    A = np.exp(rng.normal(size=(n, m)))
    periods = np.repeat(np.arange(3), n // 3)
    est = CompositeIndex(chunk_rows=1024, directions=[1, -1, 1, 1], **params)
    est.fit(A, periods)
    want = est.transform(A, periods, matrices=False)
    X = releasable(n, m)
    X[:] = A
    got = est.transform(X, periods, matrices=False, release_input=True)
    np.testing.assert_array_equal(got.index, want.index)
    np.testing.assert_array_equal(got.rank, want.rank)
    np.testing.assert_array_equal(got.obstacles.top, want.obstacles.top)
    np.testing.assert_array_equal(got.obstacles.mean_degrees, want.obstacles.mean_degrees)
    assert (X == 0).all(axis=1).sum() > n // 2  # most rows were given back
