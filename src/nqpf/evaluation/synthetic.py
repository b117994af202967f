"""Simulated staggered-adoption panels with a known effect (示例数据, not real statistics).

:func:`staggered_panel` draws firms that join a programme in different years, with an
effect that differs by cohort and grows with time since joining, and returns the truth
next to the panel, so tests, the benchmark and the examples can check that an estimator
recovers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["StaggeredTruth", "staggered_panel"]


@dataclass(frozen=True)
class StaggeredTruth:
    """The true effects of a simulated panel.

    Attributes
    ----------
    cells
        One row per treated cohort × post-treatment period: ``cohort``, ``period``,
        ``e`` (period − cohort), ``tau`` (the true mean effect of the cell's units) and
        ``n`` (units in the cohort).
    """

    cells: pd.DataFrame = field(repr=False)

    def att(self, *, before: float | None = None, cohorts: Any = None) -> float:
        """The CS "simple" target: Σ n·τ / Σ n over treated post cells (optionally only
        periods before ``before`` and the listed ``cohorts``)."""
        c = self.cells
        if before is not None:
            c = c[c["period"] < before]
        if cohorts is not None:
            c = c[c["cohort"].isin(list(cohorts))]
        return float((c["tau"] * c["n"]).sum() / c["n"].sum())

    def att_e(self) -> pd.Series:
        """The true effect by event time e ≥ 0 (cells weighted by cohort size)."""
        c = self.cells.assign(w=lambda d: d["tau"] * d["n"])
        g = c.groupby("e")
        return g["w"].sum() / g["n"].sum()


def staggered_panel(
    n_units: int = 1000,
    *,
    years: range | tuple[int, int] = (2015, 2024),
    cohorts: Mapping[int, tuple[float, float]] | None = None,
    never_share: float = 0.25,
    slope: float = 0.5,
    unit_sd: float = 2.0,
    noise_sd: float = 1.0,
    seed: Any = None,
) -> tuple[pd.DataFrame, StaggeredTruth]:
    """A balanced firm × year panel with staggered adoption and a known, dynamic effect.

    Parameters
    ----------
    n_units
        Number of firms.
    years
        ``(first, last)`` year, inclusive, or a range.
    cohorts
        Cohort (first treated year) → ``(base effect, share of firms)``; default
        2018/2020/2022 with base effects 3/2/1 and 25 % each.
    never_share
        Share of never-treated firms (0: all eventually treated).
    slope
        Growth of the effect per year since joining: τ = base_g + slope · e for e ≥ 0.
    unit_sd, noise_sd
        Standard deviations of the firm effect and of the idiosyncratic noise.
    seed
        ``numpy.random.Generator``, int seed or None.

    Returns
    -------
    (panel, truth)
        ``panel`` has columns ``firm`` (``F00001`` …), ``year``, ``cohort`` (0 = never
        treated), ``treated`` (0/1) and ``y`` = firm effect + common trend + τ + noise
        (parallel trends hold by construction); ``truth`` the true effects.

    Examples
    --------
    >>> panel, truth = staggered_panel(200, seed=1)
    >>> panel.shape, sorted(panel["cohort"].unique().tolist())
    ((2000, 5), [0, 2018, 2020, 2022])
    >>> bool(truth.att_e().loc[0] > 0), round(truth.att(), 2) > 0
    (True, True)
    """
    from nqpf.disparity.crand import as_rng

    gen = as_rng(seed)
    if cohorts is None:
        cohorts = {2018: (3.0, 0.25), 2020: (2.0, 0.25), 2022: (1.0, 0.25)}
    first, last = (years.start, years.stop - 1) if isinstance(years, range) else years
    yrs = np.arange(first, last + 1)
    t = len(yrs)
    gs = np.array([*cohorts, 0])
    p = np.array([s for _, s in cohorts.values()] + [never_share], dtype=float)
    g = gen.choice(gs, size=n_units, p=p / p.sum())
    base = dict(zip(cohorts, (b for b, _ in cohorts.values()), strict=True))
    fe = gen.normal(0.0, unit_sd, n_units)
    trend = np.linspace(0.0, 2.0, t)
    G = np.repeat(g, t)
    year = np.tile(yrs, n_units)
    e = year - G
    treated = (G > 0) & (e >= 0)
    b = np.array([base.get(int(x), 0.0) for x in g])
    tau = np.where(treated, np.repeat(b, t) + slope * e, 0.0)
    y = np.repeat(fe, t) + np.tile(trend, n_units) + tau + gen.normal(0.0, noise_sd, n_units * t)
    panel = pd.DataFrame(
        {
            "firm": np.repeat([f"F{i:05d}" for i in range(1, n_units + 1)], t),
            "year": year,
            "cohort": G,
            "treated": treated.astype(np.int64),
            "y": y,
        }
    )
    sizes = pd.Series(g).value_counts()
    cells = [
        {
            "cohort": c,
            "period": yr,
            "e": yr - c,
            "tau": base[c] + slope * (yr - c),
            "n": int(sizes.get(c, 0)),
        }
        for c in cohorts
        for yr in yrs
        if yr >= c and sizes.get(c, 0) > 0
    ]
    return panel, StaggeredTruth(pd.DataFrame(cells))
