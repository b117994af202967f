"""``nqpf index run`` in little memory: the outliers' weight shift refitted on the
panel's own matrix, clipped and put back."""

from __future__ import annotations

import numpy as np

from nqpf.io.quality import QualityChecker, QualityPolicy
from nqpf.panel import Panel
from nqpf.panel.memory import releasable


def _panel(rows_per_period: int = 40_000) -> Panel:
    rng = np.random.default_rng(11)
    n = 3 * rows_per_period
    X = releasable(n, 3)
    X[:] = np.exp(rng.normal(size=(n, 3)))
    X[::997] *= 60  # outliers in every column
    return Panel(
        X,
        np.tile(np.arange(rows_per_period), 3),
        np.repeat([2021, 2022, 2023], rows_per_period),
        ("a", "b", "c"),
    )


def test_clipped_in_place_is_the_winsorised_copy_and_puts_the_cells_back():
    for scope in ("pooled", "per_period"):
        panel = _panel()
        before = panel.values.copy()
        checker = QualityChecker(QualityPolicy(outlier_scope=scope))
        want = checker.winsorised(panel).values
        assert (want != before).sum() > 100
        with checker.clipped(panel) as clipped:
            assert clipped is panel  # no second matrix
            np.testing.assert_array_equal(panel.values, want)
        np.testing.assert_array_equal(panel.values, before)  # every bit back


def test_a_matrix_that_cannot_be_written_is_clipped_in_a_copy():
    panel = _panel(100)
    values = panel.values.copy()
    values.flags.writeable = False  # e.g. a caller's array the panel may not write
    frozen = Panel(values, panel.entities, panel.periods, panel.indicators)
    checker = QualityChecker(QualityPolicy())
    with checker.clipped(frozen) as clipped:
        assert clipped is not frozen
        np.testing.assert_array_equal(clipped.values, checker.winsorised(frozen).values)


def test_wide_tables_of_a_balanced_panel_are_views_of_the_periods_rows():
    """index_wide / rank_wide: each period's column a view of its rows, the table the
    grid of the pivot gives (also for a panel with a unit missing in a period)."""
    import pandas as pd

    from nqpf.services.index_run import _wide

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"unit": np.tile(["b", "a", "c"], 2), "year": np.repeat([2021, 2022], 3)})
    frame["x"] = rng.normal(size=6)
    panel = Panel.from_frame(frame, entity="unit", period="year")
    values = rng.normal(size=panel.n_obs)
    wide = _wide(panel, values, "unit", "year")
    long = pd.DataFrame({"unit": panel.entities, "year": panel.periods, "v": values}).pivot(
        index="unit", columns="year", values="v"
    )
    assert wide.columns.tolist() == ["unit", 2021, 2022] and wide.columns.name == "year"
    np.testing.assert_array_equal(wide[[2021, 2022]].to_numpy(), long.to_numpy())
    assert np.shares_memory(wide[2022].to_numpy(), values)
    gap = Panel.from_frame(frame.iloc[1:], entity="unit", period="year")
    wide = _wide(gap, values[1:], "unit", "year")
    assert np.isnan(wide.loc[wide["unit"] == "b", 2021]).all()
    assert not np.shares_memory(wide[2022].to_numpy(), values)


def test_outliers_found_chunk_by_chunk_are_those_of_the_whole_matrix():
    """The outlier cells counted and the most extreme listed, 65,536 rows at a time: the
    count per indicator and the list (by deviation, ties by position) of one pass over
    all cells."""
    from nqpf.io.quality import MAX_LISTED

    for scope in ("pooled", "per_period"):
        panel = _panel()
        vals = panel.values.copy()
        vals[5:3000:7, 1] = vals[4, 1] * 200  # ties among the most extreme
        panel = Panel(vals, panel.entities, panel.periods, panel.indicators)
        checker = QualityChecker(QualityPolicy(outlier_scope=scope))
        checker.check_panel(panel)
        LO, HI, blocks = checker.fences(panel)
        lo, hi = np.empty_like(vals), np.empty_like(vals)
        for t, rows in enumerate(blocks):
            lo[rows], hi[rows] = LO[t], HI[t]
        i, j = np.nonzero((vals < lo) | (vals > hi))
        width = np.where(hi[i, j] - lo[i, j] > 0, hi[i, j] - lo[i, j], 1.0)
        dev = np.where(vals[i, j] > hi[i, j], vals[i, j] - hi[i, j], lo[i, j] - vals[i, j]) / width
        order = np.argsort(-dev, kind="stable")[:MAX_LISTED]
        table = checker.tables["outliers"]
        assert len(table) == MAX_LISTED < i.size
        np.testing.assert_array_equal(table["value"].to_numpy(), vals[i, j][order])
        np.testing.assert_array_equal(table["entity"].to_numpy(), panel.entities[i[order]])
        assert checker.report().finding("outliers").count == i.size


def test_coupling_in_chunks_of_rows_is_the_model_on_all_rows(monkeypatch):
    """The coupling model run COUPLING_ROWS rows at a time: every bit of C, T, D and
    both classes as one call on all rows (U column-major, as the run holds it)."""
    import pandas as pd

    from nqpf.indices import coupling_coordination
    from nqpf.services import index_run
    from nqpf.services.index_config import CouplingSection

    monkeypatch.setattr(index_run, "COUPLING_ROWS", 1000)
    U = np.random.default_rng(2).uniform(0.01, 1.0, size=(3, 4323)).T
    scores = pd.DataFrame(U, columns=["a", "b", "c"], copy=False)
    panel = _panel(1441)
    got = index_run._coupling(CouplingSection(method="standard"), panel, scores, None)
    want = coupling_coordination(U, None, "standard", names=["a", "b", "c"])
    for name in ("C", "T", "D", "D_class", "C_stage"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert got.subsystems == want.subsystems and got.method == want.method
