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
