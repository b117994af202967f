"""Disparity from engine aggregates equals the core's on the same values: Theil with its
between/within split, Gini (engine sort), the Dagum decomposition (pair sums from running
sums) and kernel densities on a grid."""

from __future__ import annotations

import duckdb
import narwhals as nw
import numpy as np
import pytest

from nqpf.disparity import dagum, gini, kde, theil
from nqpf.engines import disparity as D


@pytest.fixture(scope="module")
def panel(firm_frame):
    """The firm panel's telecom_per_capita, with ties (rounded) and an industry group."""
    frame = firm_frame[["firm", "year", "industry", "telecom_per_capita"]].copy()
    frame["y"] = frame.pop("telecom_per_capita").round(1)
    frame.loc[frame.index[:6], "y"] = frame["y"].iloc[6]  # ties across firms and groups
    return frame


@pytest.fixture(scope="module")
def lazy(panel):
    return nw.from_native(duckdb.connect().from_df(panel))


def test_theil(panel, lazy):
    got = D.theil_by_period(lazy, "y", "year", "industry")
    want = theil(
        panel["y"].to_numpy(), panel["industry"].to_numpy(), periods=panel["year"].to_numpy()
    )
    for _, row in got.iterrows():
        ref = want[row["year"]]
        assert row["total"] == pytest.approx(ref.total, abs=1e-12)
        assert row["between"] == pytest.approx(ref.between, abs=1e-12)
        assert row["within"] == pytest.approx(ref.within, abs=1e-12)
    assert len(got) == 6


def test_gini(panel, lazy):
    got = D.gini_by_period(lazy, "y", "year")
    want = gini(panel["y"].to_numpy(), periods=panel["year"].to_numpy())
    np.testing.assert_allclose(got["gini"], [want[p].G for p in got["year"]], rtol=0, atol=1e-12)
    assert (got["gini"] > 0.05).all()


def test_dagum(panel, lazy):
    got = D.dagum_by_period(lazy, "y", "year", "industry", tie_break="firm")
    for year, res in got.items():
        part = panel[panel["year"] == year]
        ref = dagum(part["y"].to_numpy(), part["industry"].to_numpy())
        assert res.groups == ref.groups
        for name in ("total", "within", "between", "transvariation"):
            assert getattr(res, name) == pytest.approx(getattr(ref, name), abs=1e-12), name
        np.testing.assert_allclose(res.G_jh, ref.G_jh, atol=1e-12)
        np.testing.assert_allclose(res.D_jh, ref.D_jh, atol=1e-12)
        assert res.total == pytest.approx(res.within + res.between + res.transvariation)


def test_kde(panel, lazy):
    grid, got = D.kde_by_period(lazy, "y", "year", grid_size=64)
    want = kde(panel["y"].to_numpy(), periods=panel["year"].to_numpy(), grid_size=64)
    np.testing.assert_allclose(grid, want.grid, rtol=1e-12)
    np.testing.assert_allclose(got["h"], want.bandwidth, rtol=1e-12)
    dens = got[[f"f{k}" for k in range(64)]].to_numpy()
    np.testing.assert_allclose(dens, want.density, rtol=1e-9, atol=1e-15)
