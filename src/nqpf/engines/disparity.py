"""Disparity measures of a distributed result, from engine aggregates (docs/engines.md).

Every measure here reduces to sums the engine computes per period (and group), so the
values never come to the driver:

- **Theil** T and its between/within split: n_g, Σ y and Σ y ln y per (period, group).
- **Gini**: the sorted form G = 2 Σ_i i·y_(i) / (n Σ y) − (n + 1)/n needs each value's rank
  within its period — an engine sort (a window ``rank`` over the period), then one sum.
- **Dagum** (1997): the pair sums Σ_{i∈j} Σ_{r∈h} |y_i − y_r| of every pair of groups, from
  running counts and sums of each group along the period's sorted values (window
  ``cum_sum`` ordered by value): for row i, Σ_{r∈h} |y_i − y_r| = y_i c_h − s_h +
  (S_h − s_h) − y_i (n_h − c_h), with c_h, s_h the count and sum of group h up to row i.
- **Kernel density** on a grid: Σ_i φ((x_g − y_i)/h) for every grid point x_g, one sum per
  point; the rule-of-thumb bandwidth needs the standard deviation and the quartiles.

The results are the core's result objects, equal to :func:`nqpf.disparity.theil`,
:func:`~nqpf.disparity.gini`, :func:`~nqpf.disparity.dagum` and :func:`~nqpf.disparity.kde`
on the same values to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from nqpf.disparity.gini import DagumResult, dagum_from_sums
from nqpf.exceptions import DataValidationError


def _per_period(frame: nw.LazyFrame, keys: Sequence[str], *exprs: nw.Expr) -> pd.DataFrame:
    return frame.group_by(list(keys)).agg(*exprs).sort(list(keys)).collect().to_pandas()


def theil_by_period(
    frame: nw.LazyFrame, value: str, period: str, group: str | None = None
) -> pd.DataFrame:
    """Theil's T per period and, with ``group``, T_b = Σ s_g ln(s_g/p_g) and
    T_w = Σ s_g T_g (methods.md §11), from n, Σ y and Σ y ln y per (period, group).

    Returns
    -------
    DataFrame
        ``period, total`` (and ``between, within`` with groups).
    """
    y = nw.col(value)
    ylny = nw.when(y > 0).then(y * y.log()).otherwise(nw.lit(0.0))
    keys = [period] if group is None else [period, group]
    sums = _per_period(frame, keys, nw.len().alias("n"), y.sum().alias("Y"), ylny.sum().alias("L"))
    rows = []
    for label, part in sums.groupby(period, sort=True):
        n, Y, L = part["n"].to_numpy(float), part["Y"].to_numpy(), part["L"].to_numpy()
        total = L.sum() / Y.sum() - math.log(Y.sum() / n.sum())
        row = {period: label, "total": total}
        if group is not None:
            s, p = Y / Y.sum(), n / n.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                Tg = np.where(Y > 0, L / Y - np.log(Y / n), 0.0)
                between = np.where(s > 0, s * np.log(s / p), 0.0)
            row.update(between=float(between.sum()), within=float((s * Tg).sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def gini_by_period(frame: nw.LazyFrame, value: str, period: str) -> pd.DataFrame:
    """The population Gini of each period from its sorted values (an engine window sort):
    G = 2 Σ_i i·y_(i) / (n Σ y) − (n + 1)/n (methods.md §10.1)."""
    y = nw.col(value)
    ranked = frame.with_columns(y.rank(method="ordinal").over(period).alias("__i"))
    sums = _per_period(
        ranked,
        [period],
        nw.len().alias("n"),
        y.sum().alias("Y"),
        (nw.col("__i").cast(nw.Float64) * y).sum().alias("IY"),
    )
    n = sums["n"].to_numpy(float)
    g = 2.0 * sums["IY"] / (n * sums["Y"]) - (n + 1.0) / n
    return pd.DataFrame({period: sums[period], "n": sums["n"], "gini": g.clip(lower=0.0)})


def dagum_by_period(
    frame: nw.LazyFrame, value: str, period: str, group: str, tie_break: str
) -> dict[Any, DagumResult]:
    """The Dagum (1997) decomposition of each period from engine pair sums.

    ``tie_break`` (e.g. the unit column) orders equal values the same way in every running
    sum, so that each tie is counted on one side only.
    """
    labels = sorted(frame.select(nw.col(group)).unique().collect().to_pandas()[group].tolist())
    y, order = nw.col(value), [value, tie_break]
    running = []
    for h, label in enumerate(labels):
        mine = nw.col(group) == label
        running += [
            nw.when(mine)
            .then(nw.lit(1.0))
            .otherwise(nw.lit(0.0))
            .cum_sum()
            .over(period, order_by=order)
            .alias(f"__c{h}"),
            nw.when(mine)
            .then(y)
            .otherwise(nw.lit(0.0))
            .cum_sum()
            .over(period, order_by=order)
            .alias(f"__s{h}"),
        ]
    sums = _per_period(
        frame.with_columns(running),
        [period, group],
        nw.len().alias("n"),
        y.sum().alias("Y"),
        *(
            e
            for h in range(len(labels))
            for e in (
                (y * nw.col(f"__c{h}")).sum().alias(f"A{h}"),
                nw.col(f"__s{h}").sum().alias(f"B{h}"),
            )
        ),
    )
    out = {}
    for when, part in sums.groupby(period, sort=True):
        part = part.set_index(group).reindex(labels)
        present = part["n"].notna().to_numpy()
        k = len(labels)
        n = part["n"].fillna(0).to_numpy(float)
        Y = part["Y"].fillna(0).to_numpy(float)
        A = part[[f"A{h}" for h in range(k)]].fillna(0).to_numpy(float)
        B = part[[f"B{h}" for h in range(k)]].fillna(0).to_numpy(float)
        # cross_jh = Σ_{i∈j} [2 y_i c_h − 2 s_h] + n_j S_h − n_h Y_j
        cross = 2.0 * A - 2.0 * B + np.outer(n, Y) - np.outer(Y, n)
        cross = (cross + cross.T) / 2.0  # the same sum seen from both groups
        keep = np.flatnonzero(present)
        out[when] = _dagum_from_sums(
            [labels[i] for i in keep], n[keep], Y[keep], cross[np.ix_(keep, keep)]
        )
    return out


def _dagum_from_sums(labels: list, n: np.ndarray, Y: np.ndarray, cross: np.ndarray) -> DagumResult:
    """G_w, G_nb, G_t and their parts from group sizes, totals and pair sums (the formulas
    of :func:`nqpf.disparity.dagum`, groups in ascending-mean order)."""
    if len(labels) < 2:
        raise DataValidationError(
            f"the Dagum decomposition needs at least 2 groups, got {len(labels)}", field="groups"
        )
    if (Y <= 0).any():
        j = int(np.argmax(Y <= 0))
        raise DataValidationError(
            f"group {labels[j]!r} has mean 0 (all its values are 0), so its Gini coefficient "
            "G_jj is undefined",
            field="groups",
        )
    perm = np.argsort(Y / n, kind="stable")
    cross = cross[np.ix_(perm, perm)]
    return dagum_from_sums(
        tuple(labels[i] for i in perm), n[perm], n[perm], Y[perm], np.diag(cross).copy(), cross,
        n=int(n.sum()),
    )


#: Rule-of-thumb factors of :func:`nqpf.disparity.kde.bandwidth_rule`.
_RULES = {"silverman": 0.9, "scott": 1.059}


def kde_by_period(
    frame: nw.LazyFrame,
    value: str,
    period: str,
    *,
    bandwidth: str | float = "silverman",
    grid: Sequence[float] | None = None,
    grid_size: int = 256,
    cut: float = 3.0,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Gaussian kernel density of each period on one grid: f(x) = Σ_i φ((x − y_i)/h) / (n h),
    one engine sum per grid point (as :func:`nqpf.disparity.kde`, evaluated directly).

    ``bandwidth`` is a positive number or a rule applied per period from engine
    aggregates: 0.9 (silverman) or 1.059 (scott) · min(sd, IQR/1.349) · n^(−1/5), the
    quartiles interpolated linearly.  The default grid spans every period's
    [min − cut·h, max + cut·h] in ``grid_size`` points.

    Returns
    -------
    grid : ndarray
    DataFrame
        ``period, n, h`` and the density at each grid point (columns ``f0`` … in grid order).
    """
    y = nw.col(value)
    stats = _per_period(
        frame,
        [period],
        nw.len().alias("n"),
        y.std(ddof=1).alias("sd"),
        y.quantile(0.25, interpolation="linear").alias("q25"),
        y.quantile(0.75, interpolation="linear").alias("q75"),
        y.min().alias("lo"),
        y.max().alias("hi"),
    )
    if isinstance(bandwidth, str):
        iqr = ((stats["q75"] - stats["q25"]) / 1.349).to_numpy()
        sd = stats["sd"].to_numpy()
        A = np.where(iqr > 0, np.minimum(sd, iqr), sd)
        if not (A > 0).all():
            when = stats[period].iloc[int(np.argmin(A > 0))]
            raise DataValidationError(
                f"period {when!r}: all values are equal, so the {bandwidth} bandwidth is 0; "
                "pass a numeric bandwidth",
                field="bandwidth",
            )
        h = _RULES[bandwidth] * A * stats["n"].to_numpy(float) ** (-0.2)
    else:
        h = np.full(len(stats), float(bandwidth))
    if grid is None:
        lo = float((stats["lo"] - cut * h).min())
        hi = float((stats["hi"] + cut * h).max())
        x = np.linspace(lo, hi, int(grid_size))
    else:
        x = np.asarray(grid, dtype=np.float64)
    width = nw.lit(float(h[-1]))
    for label, hh in zip(stats[period].iloc[:-1][::-1], h[:-1][::-1], strict=True):
        width = nw.when(nw.col(period) == label).then(nw.lit(float(hh))).otherwise(width)
    framed = frame.with_columns(width.alias("__h"))
    u = [(float(g) - y) / nw.col("__h") for g in x]
    sums = _per_period(
        framed, [period], *((-0.5 * (v * v)).exp().sum().alias(f"f{k}") for k, v in enumerate(u))
    )
    n = stats["n"].to_numpy(float)
    dens = (
        sums[[f"f{k}" for k in range(x.size)]].to_numpy()
        / (n * h * math.sqrt(2.0 * math.pi))[:, None]
    )
    out = pd.DataFrame(dens, columns=[f"f{k}" for k in range(x.size)])
    out.insert(0, "h", h)
    out.insert(0, "n", stats["n"].to_numpy())
    out.insert(0, period, stats[period].to_numpy())
    return x, out
