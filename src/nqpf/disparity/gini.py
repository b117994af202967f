"""Gini coefficient and the Dagum (1997) decomposition by groups (methods.md §10).

Both work on non-negative values (incomes, outputs, index scores), take optional unit
weights (e.g. population) and run in O(n log n): nothing ever forms the n × n matrix of
pairwise differences.

- :func:`gini` sorts once and uses the rank form of the mean absolute difference.
- :func:`dagum` sorts once by (value, group) and accumulates, in one pass over the sorted
  sample, how many members of every group lie below each value (sorted prefix counts).
  Every within-group and between-group sum of absolute differences follows from those
  k × k sums, so all k(k − 1)/2 group pairs cost one pass together (Notes of
  :func:`dagum`).

One call handles a panel: ``periods=`` (one label per row) or a 2-D ``y`` whose columns
are periods returns a :class:`~nqpf.disparity._panel.ByPeriod`, as PySAL ``Theil`` does
for an (n, t) matrix (methods.md §11, API consistency).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from nqpf.disparity._panel import per_column_or_period
from nqpf.disparity._validation import (
    Groups,
    drop_empty,
    encode_groups,
    encode_once,
    nonnegative_values,
    python_scalar,
    unit_weights,
)
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary, pick_table

__all__ = ["DagumResult", "GiniResult", "dagum", "gini"]

#: Up to this many groups the pair sums come from one pass of prefix counts (cost ∝ n·k
#: multiply-adds, compiled); above it from one sorted search per group pair (§10.4).
PREFIX_MAX_GROUPS = 48

_NAN = float("nan")


# -- Gini --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GiniResult(Result):
    """Gini coefficient of one sample.

    Attributes
    ----------
    G : float
        The Gini coefficient.
    n : int
        Number of values.
    mean : float
        Mean of the values (weighted mean with ``weights``).
    method : str
        ``"population"``, ``"small-sample n/(n-1)"`` or ``"population, weighted"``.
    """

    G: float
    n: int
    mean: float
    method: str

    def __float__(self) -> float:
        return float(self.G)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``G``, ``n``, ``mean``, ``method``."""
        return pd.DataFrame(
            {"G": [self.G], "n": [self.n], "mean": [self.mean], "method": [self.method]}
        )

    def summary(self) -> Summary:
        return Summary(
            title="基尼系数 (Gini)",
            rows=(("G", self.G), ("n", self.n), ("mean", self.mean), ("method", self.method)),
        )


def gini(y, weights=None, *, periods=None, small_sample: bool = False):
    """Gini coefficient (population form), optionally weighted.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, t)
        Non-negative values.  A 2-D ``y`` is treated as t periods (columns), as PySAL
        ``Theil`` does, and gives a :class:`~nqpf.disparity._panel.ByPeriod` keyed by
        column position 0 … t − 1.
    weights : array_like, shape (n,) or (n, t), optional
        Non-negative unit weights, e.g. population; need not sum to 1.  Integer weights
        give the Gini of the sample in which unit i is repeated w_i times.
    periods : array_like, shape (n,), optional
        Period label of every value of a long panel; the Gini is computed per period and a
        :class:`~nqpf.disparity._panel.ByPeriod` is returned.
    small_sample : bool, default False
        Multiply by n/(n − 1), the small-sample (unbiased mean-difference) version
        (methods.md §10.1; IneqPy #8, #12 trace package mismatches to this choice).  The
        default is the population Gini, which PySAL ``inequality.gini.Gini`` returns.
        Only for unweighted data: with weights the correction is not defined here.

    Returns
    -------
    GiniResult or ByPeriod

    Raises
    ------
    DataValidationError
        Negative or missing values, fewer than 2 values, a zero mean (all zeros), bad
        weights, or ``small_sample`` with weights.

    Notes
    -----
    G = Σ_i Σ_r |y_i − y_r| / (2 n² μ).  With y sorted ascending and i = 1 … n,
    Σ_i Σ_r |y_i − y_r| = 2 Σ_i (2i − n − 1) y_(i), so G = Σ_i (2i − n − 1) y_(i) / (n Σ y)
    in O(n log n) (methods.md §10.1; PySAL ``_gini``; QuantEcon.py PR #937).

    Weighted: G = Σ_i Σ_r w_i w_r |y_i − y_r| / (2 W² μ_w), W = Σ w, μ_w = Σ w y / W.
    With y sorted and C_i the cumulative weight of the values before i,
    G = Σ_i w_i y_i (2 C_i + w_i − W) / (W Σ w y).

    An all-equal sample gives exactly 0.0 (tested for equality before the formula, so no
    rounding residue).  The population Gini lies in [0, 1 − 1/n].

    References
    ----------
    Gini, C. (1912). *Variabilità e mutabilità*.  Rey, S. J. and Smith, R. J. (2013). A
    spatial decomposition of the Gini coefficient. *Letters in Spatial and Resource
    Sciences* 6: 55–70 (PySAL ``inequality``).

    Examples
    --------
    mathmodels ``gini0(c(10, 20, 30, 40, 100))`` (methods.md R7):

    >>> from nqpf.disparity.gini import gini
    >>> gini([10, 20, 30, 40, 100]).G
    0.4
    >>> round(gini([8, 5, 1, 3, 5, 6, 7, 6, 3], small_sample=True).G, 6)
    0.267045

    Population weights (a unit of weight 2 counts as two units):

    >>> gini([1, 2, 3], weights=[2, 1, 1]).G == gini([1, 1, 2, 3]).G
    True
    """
    Y = nonnegative_values(y, what="Gini coefficient")
    W = None if weights is None else unit_weights(weights, Y.shape)
    if small_sample and W is not None:
        raise DataValidationError(
            "small_sample=True is only defined for unweighted data; drop weights or use the "
            "population Gini",
            field="small_sample",
        )
    return per_column_or_period(
        _gini_one, Y, periods, {"weights": W}, "Gini", small_sample=small_sample
    )


def _gini_one(y: np.ndarray, weights: np.ndarray | None, small_sample: bool) -> GiniResult:
    n = y.shape[0]
    if n < 2:
        raise DataValidationError(f"the Gini coefficient needs at least 2 values, got {n}")
    if weights is None:
        ys = np.sort(y)
        total = float(ys.sum())
        if total <= 0:
            raise DataValidationError(
                "all values are 0, so the mean is 0 and the Gini coefficient is undefined",
                field="y",
            )
        G = 0.0 if ys[0] == ys[-1] else max(_rank_sum(ys, total) / (n * total), 0.0)
        method = "population"
        if small_sample:
            G *= n / (n - 1)
            method = "small-sample n/(n-1)"
        return GiniResult(G, n, total / n, method)
    order = np.argsort(y)  # ties contribute 0 in any order
    ys, ws = y[order], weights[order]
    Wt = float(ws.sum())
    if Wt <= 0:
        raise DataValidationError("weights sum to 0", field="weights")
    wy = ws * ys
    T = float(wy.sum())
    if T <= 0:
        raise DataValidationError(
            "the weighted mean is 0 (every value with positive weight is 0), so the Gini "
            "coefficient is undefined",
            field="y",
        )
    pos = ws > 0
    lo, hi = ys[pos][0], ys[pos][-1]
    if lo == hi:
        G = 0.0
    else:
        cw = np.cumsum(ws)
        G = max(_dot(wy, 2.0 * cw - ws - Wt) / (Wt * T), 0.0)
    return GiniResult(G, n, T / Wt, "population, weighted")


def _rank_sum(ys: np.ndarray, total: float) -> float:
    """Σ_i (2i − n − 1) y_(i) for sorted ``ys`` (i = 1 … n), in blocks (no n-long arange)."""
    n = ys.shape[0]
    step = min(n, 1 << 16)
    base = np.arange(step, dtype=np.float64)
    acc = 0.0  # Σ_i (i − 1) y_(i)
    for start in range(0, n, step):
        blk = ys[start : start + step]
        acc += _dot(blk, base[: blk.shape[0]]) + start * float(blk.sum())
    return 2.0 * acc - (n - 1) * total


# -- Dagum -------------------------------------------------------------------------------

_COMPONENT_LABELS = {
    "total": "总体基尼系数 G",
    "within": "组内差异 G_w",
    "between": "组间净差异 G_nb",
    "transvariation": "超变密度 G_t",
}


@dataclass(frozen=True, eq=False)
class DagumResult(Result):
    """Dagum (1997) decomposition G = G_w + G_nb + G_t.

    Group-indexed arrays follow ``groups`` (ascending mean by default, Dagum's order).

    Attributes
    ----------
    total : float
        Overall Gini G (population form; equals :func:`gini` of the same data).
    within : float
        G_w = Σ_j G_jj p_j s_j, within-group contribution (组内差异).
    between : float
        G_nb, net between-group contribution (组间净差异).
    transvariation : float
        G_t, transvariation (超变密度): the part of between-group differences that comes
        from overlapping distributions.
    groups : tuple
        Group labels, in the order of every group-indexed array.
    G_jj : ndarray, shape (k,)
        Gini within each group (0 for a group with one member).
    G_jh : ndarray, shape (k, k)
        Between-group Gini of each pair; symmetric, with G_jj on the diagonal (the formula
        of G_jh at h = j is G_jj).
    D_jh : ndarray, shape (k, k)
        Relative economic affluence of each pair, in [0, 1]; symmetric, 0 on the diagonal.
    p, s : ndarray, shape (k,)
        Population share n_j / n and value share n_j μ_j / (n μ) (weight shares with
        ``weights``).
    means : ndarray, shape (k,)
        Group means μ_j (weighted with ``weights``).
    sizes : ndarray, shape (k,)
        Number of units per group.
    within_j : ndarray, shape (k,)
        Contribution p_j s_j G_jj of every group to G_w.
    between_jh, transvariation_jh : ndarray, shape (k, k)
        Contribution of every pair to G_nb and G_t; symmetric, 0 on the diagonal, so
        G_nb = ``between_jh.sum() / 2``.
    n : int
    mean : float
    weighted : bool
    order : str
        ``"ascending mean"`` or ``"given"`` (``group_order``).
    """

    total: float
    within: float
    between: float
    transvariation: float
    groups: tuple
    G_jj: np.ndarray
    G_jh: np.ndarray
    D_jh: np.ndarray
    p: np.ndarray
    s: np.ndarray
    means: np.ndarray
    sizes: np.ndarray
    within_j: np.ndarray
    between_jh: np.ndarray
    transvariation_jh: np.ndarray
    n: int
    mean: float
    weighted: bool = False
    order: str = "ascending mean"

    @property
    def shares(self) -> dict[str, float]:
        """Contribution rates (贡献率) G_w/G, G_nb/G, G_t/G as fractions (NaN when G = 0)."""
        G = self.total
        return {
            k: (getattr(self, k) / G if G > 0 else _NAN)
            for k in ("within", "between", "transvariation")
        }

    @property
    def k(self) -> int:
        return len(self.groups)

    def _pct(self, value: float) -> float:
        return 100.0 * value / self.total if self.total > 0 else _NAN

    def to_frame(self, table: str = "all") -> pd.DataFrame:
        """The tables papers print, as tidy frames.

        Parameters
        ----------
        table : {"all", "components", "groups", "pairs"}
            ``"components"``: one row per component (total, within, between,
            transvariation) with ``value`` and ``contribution_pct`` (贡献率 %).
            ``"groups"``: one row per group with n, mean, p, s, G_jj and its contribution
            ``within`` (p_j s_j G_jj) in value and %.
            ``"pairs"``: one row per pair (in group order) with G_jh, D_jh and its
            contributions to G_nb and G_t in value and %.
            ``"all"`` (default) stacks the three with a leading ``table`` column.
        """
        k = self.k
        comps = pd.DataFrame(
            {
                "component": list(_COMPONENT_LABELS),
                "label": list(_COMPONENT_LABELS.values()),
                "value": [self.total, self.within, self.between, self.transvariation],
            }
        )
        comps["contribution_pct"] = [self._pct(v) for v in comps["value"]]
        groups = pd.DataFrame(
            {
                "group": list(self.groups),
                "n": self.sizes,
                "mean": self.means,
                "p": self.p,
                "s": self.s,
                "G_jj": self.G_jj,
                "within": self.within_j,
                "within_pct": [self._pct(v) for v in self.within_j],
            }
        )
        a, b = np.triu_indices(k, 1)
        pairs = pd.DataFrame(
            {
                "group": [self.groups[i] for i in a],
                "other": [self.groups[j] for j in b],
                "pair": [f"{self.groups[i]}–{self.groups[j]}" for i, j in zip(a, b, strict=True)],
                "G_jh": self.G_jh[a, b],
                "D_jh": self.D_jh[a, b],
                "between": self.between_jh[a, b],
                "transvariation": self.transvariation_jh[a, b],
                "between_pct": [self._pct(v) for v in self.between_jh[a, b]],
                "transvariation_pct": [self._pct(v) for v in self.transvariation_jh[a, b]],
            }
        )
        tables = {"components": comps, "groups": groups, "pairs": pairs}
        return pick_table(tables, table)

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("G 总体", self.total),
            ("G_w 组内差异", self.within),
            ("G_nb 组间净差异", self.between),
            ("G_t 超变密度", self.transvariation),
        ]
        for key, label in (("within", "G_w"), ("between", "G_nb"), ("transvariation", "G_t")):
            rows.append((f"贡献率 {label} %", 100.0 * self.shares[key]))
        rows += [(f"G_jj {g}", v) for g, v in zip(self.groups, self.G_jj, strict=True)]
        a, b = np.triu_indices(self.k, 1)
        rows += [
            (f"G_jh {self.groups[i]}–{self.groups[j]}", self.G_jh[i, j])
            for i, j in zip(a, b, strict=True)
        ]
        notes = (
            f"n = {self.n}, k = {self.k} groups ({self.order})"
            + (", population-weighted" if self.weighted else ""),
        )
        return Summary(title="Dagum 基尼系数分解", rows=tuple(rows), notes=notes)


def dagum(y, groups, weights=None, *, periods=None, group_order: Sequence | None = None):
    """Dagum (1997) decomposition of the Gini coefficient by groups.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, t)
        Non-negative values.  A 2-D ``y`` is t periods (columns), giving a
        :class:`~nqpf.disparity._panel.ByPeriod` keyed by column position.
    groups : array_like, shape (n,)
        Group label of every unit (e.g. 东部/中部/西部/东北); at least 2 distinct labels.
    weights : array_like, shape (n,) or (n, t), optional
        Non-negative unit weights (population).  Every quantity then counts unit i w_i
        times: μ_j and μ are weighted means, p_j = W_j / W, s_j = W_j μ_j / (W μ) and the
        pair sums are Σ w_i w_r |y_i − y_r| (the weighting of Mussard's
        ``Gini_decomp_weight``).  Default: every unit counts once.
    periods : array_like, shape (n,), optional
        Period label of every row of a long panel: one decomposition per period.
    group_order : sequence of labels, optional
        Order of the groups in the result (e.g. ``["东部", "中部", "西部", "东北"]``, as a
        paper's tables list them).  Default: ascending group mean, the indexing of
        Dagum (1997) and methods.md §10.2 (ties keep label order).  The components do
        not depend on the order; D_jh always compares the richer group of the pair with
        the poorer one.  Labels absent from a period are skipped.

    Returns
    -------
    DagumResult or ByPeriod

    Raises
    ------
    DataValidationError
        Negative or missing values, lengths that differ (naming the field), fewer than 2
        groups, a group whose mean is 0 (naming the group), zero weights for a whole
        group, or a ``group_order`` that does not list every group.

    Notes
    -----
    Definitions (methods.md §10.2): with n_j, μ_j the size and mean of group j,
    p_j = n_j / n and s_j = n_j μ_j / (n μ),

    - G_jj = Σ_i Σ_r |y_ji − y_jr| / (2 n_j² μ_j);  G_w = Σ_j G_jj p_j s_j;
    - G_jh = Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (μ_j + μ_h));
    - for μ_j ≥ μ_h, d_jh = Σ max(y_ji − y_hr, 0) / (n_j n_h), p_jh the same with the
      roles swapped, D_jh = (d_jh − p_jh) / (d_jh + p_jh);
    - G_nb = Σ_{j>h} G_jh (p_j s_h + p_h s_j) D_jh;
      G_t = Σ_{j>h} G_jh (p_j s_h + p_h s_j) (1 − D_jh).

    Since d_jh − p_jh = μ_j − μ_h (methods.md §10.3), D_jh is computed as
    n_j n_h |μ_j − μ_h| / S_jh with S_jh = Σ_i Σ_r |y_ji − y_hr|, and each pair adds
    n_j n_h |μ_j − μ_h| / (n² μ) to G_nb (so G_nb is the Gini of the vector of group
    means) and (S_jh − n_j n_h |μ_j − μ_h|) / (n² μ) = 2 min(S⁺, S⁻) / (n² μ) to G_t.
    When both groups of a pair are the same constant, S_jh = 0 and D_jh := 0.  A group
    with one member has G_jj = 0.  Contribution rates are NaN when G = 0.

    Algorithm (O(n log n) for the sort plus O(n k) multiply-adds for the counts; no
    pairwise matrix).  The group labels are encoded in O(n) (no sort of the labels:
    :func:`~nqpf.disparity._validation.encode_groups`).  The sample is sorted once by
    (value, group) — for unweighted data as one ``uint64`` sort of keys that hold the
    value's exact bit pattern and the group code.  One compiled pass over the sorted
    sample keeps C_h(x) = number of members of group h at or before x (a prefix count)
    and accumulates M_jh = Σ_{x∈j} x C_h(x) for all j, h (a k-wide vector update per
    value).  Then Σ_{x,y∈j} |x − y| = 2 (2 M_jj − (n_j + 1) T_j) and
    S_jh = 2 (M_jh + M_hj) − n_h T_j − n_j T_h, with T_j the group total; ties contribute
    0 in any order.  Above :data:`PREFIX_MAX_GROUPS` groups the pair sums use sorted
    searches instead (methods.md §10.4).

    References
    ----------
    Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality
    ratio. *Empirical Economics* 22(4): 515–531.

    Examples
    --------
    Two regions whose distributions overlap (西's 12 lies above 东's 5 and 10):

    >>> from nqpf.disparity.gini import dagum
    >>> r = dagum([1, 2, 3, 12, 5, 10, 14, 20], ["西", "西", "西", "西", "东", "东", "东", "东"])
    >>> r.groups  # ascending mean
    ('西', '东')
    >>> round(r.total, 6), round(r.within + r.between + r.transvariation, 6)
    (0.419776, 0.419776)
    >>> {k: round(v, 4) for k, v in r.shares.items()}
    {'within': 0.3689, 'between': 0.5511, 'transvariation': 0.08}
    >>> r.to_frame("pairs")[["pair", "G_jh", "D_jh"]].round(4)
        pair    G_jh    D_jh
    0  西–东  0.5299  0.8732
    """
    Y = nonnegative_values(y, what="Gini coefficient")
    W = None if weights is None else unit_weights(weights, Y.shape)
    groups = encode_once(groups, Y.shape)
    order = None
    if group_order is not None:
        order = [python_scalar(v) for v in np.asarray(group_order, dtype=object).ravel()]
        if len(set(order)) != len(order):
            raise DataValidationError("group_order lists a label twice", field="group_order")
        if isinstance(groups, Groups):
            used = np.bincount(groups.codes, minlength=groups.labels.shape[0]) > 0
            present = {python_scalar(v) for v in groups.labels[used]}
        else:  # per-cell labels: checked against every label that occurs
            present = {python_scalar(v) for v in np.asarray(groups).ravel()}
        extra = [v for v in order if v not in present]
        if extra:
            raise DataValidationError(
                f"group_order has label(s) {extra} that do not occur in groups",
                field="group_order",
            )
    return per_column_or_period(
        _dagum_one,
        Y,
        periods,
        {"groups": groups, "weights": W},
        "Dagum Gini decomposition",
        group_order=order,
    )


def _dagum_one(y: np.ndarray, groups, weights: np.ndarray | None, group_order) -> DagumResult:
    n = y.shape[0]
    if n < 2:
        raise DataValidationError(f"the Dagum decomposition needs at least 2 values, got {n}")
    labels, codes = encode_groups(groups, n)
    if labels.shape[0] > _LANES:  # e.g. province codes 11 … 65: 55 slots, 8 groups
        labels, codes = drop_empty(labels, codes)
    slots = labels.shape[0]
    if slots < 2:
        raise DataValidationError(
            f"the Dagum decomposition needs at least 2 groups, got {slots}", field="groups"
        )
    ys, cs, ws = _sort_by_value_and_group(y, codes, slots, weights)
    if slots <= PREFIX_MAX_GROUPS:
        counts, Wj, Tj, within_abs, cross = _pair_sums_prefix(ys, cs, ws, slots)
    else:
        counts, Wj, Tj, within_abs, cross = _pair_sums_search(ys, cs, ws, slots)

    keep = np.flatnonzero(counts > 0)
    if keep.size < 2:
        raise DataValidationError(
            f"the Dagum decomposition needs at least 2 groups, got {keep.size}", field="groups"
        )
    labels, counts, Wj, Tj = labels[keep], counts[keep], Wj[keep], Tj[keep]
    within_abs, cross = within_abs[keep], cross[np.ix_(keep, keep)]
    for j in range(keep.size):
        if Wj[j] <= 0:
            raise DataValidationError(
                f"group {python_scalar(labels[j])!r} has total weight 0", field="weights"
            )
        if Tj[j] <= 0:
            raise DataValidationError(
                f"group {python_scalar(labels[j])!r} has mean 0 (all its values are 0), so its "
                "Gini coefficient G_jj is undefined",
                field="groups",
            )
    means = Tj / Wj

    if group_order is None:
        perm = np.argsort(means, kind="stable")
        order_name = "ascending mean"
    else:
        where = {python_scalar(v): i for i, v in enumerate(labels)}
        missing = [v for v in where if v not in group_order]
        if missing:
            raise DataValidationError(
                f"group_order does not list group(s) {missing}", field="group_order"
            )
        perm = np.array([where[v] for v in group_order if v in where], dtype=np.intp)
        order_name = "given"
    labels, counts, Wj, Tj, means = (a[perm] for a in (labels, counts, Wj, Tj, means))
    within_abs, cross = within_abs[perm], cross[np.ix_(perm, perm)]

    return dagum_from_sums(
        tuple(python_scalar(v) for v in labels), counts, Wj, Tj, within_abs, cross,
        n=n, weighted=weights is not None, order=order_name,
    )  # fmt: skip


def dagum_from_sums(
    labels: tuple, counts: np.ndarray, Wj: np.ndarray, Tj: np.ndarray,
    within_abs: np.ndarray, cross: np.ndarray, *, n: int, weighted: bool = False,
    order: str = "ascending mean",
) -> DagumResult:  # fmt: skip
    """The decomposition from group sums, groups already in their order: sizes ``counts``,
    weights ``Wj``, weighted totals ``Tj``, within-group pair sums ``within_abs`` and the
    between-group pair-sum matrix ``cross`` (Σ_i Σ_r w w |y_ji − y_hr|).  Shared with the
    engines, which compute the same sums where the data lie."""
    cross = cross.copy()
    Wt, T = float(Wj.sum()), float(Tj.sum())
    WT = Wt * T
    means = Tj / Wj
    G_jj = within_abs / (2.0 * Wj * Tj)
    ww = np.multiply.outer(Wj, Wj)
    gap = ww * np.abs(np.subtract.outer(means, means))  # n_j n_h |μ_j − μ_h|
    np.fill_diagonal(cross, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        G_jh = cross / (ww * np.add.outer(means, means))
        D_jh = np.where(cross > 0, np.minimum(gap / cross, 1.0), 0.0)
    np.fill_diagonal(G_jh, G_jj)
    np.fill_diagonal(D_jh, 0.0)
    between_jh = gap / WT
    trans_jh = np.maximum(cross - gap, 0.0) / WT
    np.fill_diagonal(between_jh, 0.0)
    within_j = within_abs / (2.0 * WT)
    iu = np.triu_indices(len(labels), 1)
    total = (float(within_abs.sum()) + 2.0 * float(cross[iu].sum())) / (2.0 * WT)
    return DagumResult(
        total=max(total, 0.0),
        within=float(within_j.sum()),
        between=float(between_jh[iu].sum()),
        transvariation=float(trans_jh[iu].sum()),
        groups=tuple(labels),
        G_jj=G_jj,
        G_jh=G_jh,
        D_jh=D_jh,
        p=Wj / Wt,
        s=Tj / T,
        means=means,
        sizes=np.asarray(counts).astype(np.int64),
        within_j=within_j,
        between_jh=between_jh,
        transvariation_jh=trans_jh,
        n=n,
        mean=T / Wt,
        weighted=weighted,
        order=order,
    )


@numba.njit(cache=True, nogil=True)
def _bit_bounds(bits):  # pragma: no cover - compiled
    """Smallest non-zero and largest bit pattern of non-negative doubles, and the zeros."""
    lo = np.uint64(0xFFFFFFFFFFFFFFFF)
    hi = np.uint64(0)
    zeros = 0
    for i in range(bits.shape[0]):
        v = bits[i]
        if v == 0:
            zeros += 1
        else:
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi, zeros


@numba.njit(cache=True, nogil=True)
def _encode_keys(bits, codes, off, b, out):  # pragma: no cover - compiled
    """out = (bits − off) << b | code, with 0 for a value 0 (see _sort_by_value_and_group)."""
    for i in range(bits.shape[0]):
        v = bits[i]
        k = v - off if v > off else np.uint64(0)
        out[i] = (k << b) | np.uint64(codes[i])


@numba.njit(cache=True, nogil=True)
def _decode_keys(keys, off, b, cs):  # pragma: no cover - compiled
    """In place: keys → the bit patterns of the values; their low b bits → ``cs``."""
    mask = (np.uint64(1) << b) - np.uint64(1)
    for i in range(keys.shape[0]):
        k = keys[i]
        cs[i] = k & mask
        v = k >> b
        keys[i] = v + off if v != 0 else np.uint64(0)


def _sort_by_value_and_group(
    y: np.ndarray, codes: np.ndarray, slots: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The sample sorted by (value, group code): values, codes and weights in that order.

    For unweighted data the values and codes travel together in one ``uint64`` key: a
    non-negative double's bit pattern is monotone in its value, so
    key = (bits(y) − bits(smallest positive y) + 1) << b | code (0 for y = 0) sorts by
    value, then code, and decodes exactly.  Building and decoding the keys are one
    compiled pass each around numpy's in-place sort.  It fits when the values span fewer
    than 2^(64 − b − 52) binary orders of magnitude (b = bits of the code), e.g. ratios up
    to 1e154 for 8 groups; otherwise, and with weights (which must follow the
    permutation), the rows are arg-sorted.
    """
    y = np.ascontiguousarray(y)
    n = y.shape[0]
    b = max(1, (slots - 1).bit_length())
    bits = y.view(np.uint64)
    lo, hi, _ = _bit_bounds(bits)
    if hi == 0:
        raise DataValidationError(
            "all values are 0, so the mean is 0 and the Gini coefficient is undefined",
            field="y",
        )
    off = int(lo) - 1
    fits = int(hi) - off < (1 << (64 - b))
    if fits:
        key = np.empty(n, dtype=np.uint64)
        _encode_keys(bits, codes, np.uint64(off), np.uint64(b), key)
        if weights is None:
            key.sort()
            cs = np.empty(n, dtype=codes.dtype)
            _decode_keys(key, np.uint64(off), np.uint64(b), cs)
            return key.view(np.float64), cs, None
        order = np.argsort(key)
    else:
        order = np.lexsort((codes, y))
    return y[order], codes[order], None if weights is None else weights[order]


#: Width of the SIMD lanes of the prefix kernel: the group axis is padded to a multiple.
_LANES = 8
#: Rows accumulated in a local block before they are added to the running totals (keeps
#: the rounding error of the n-term sums near that of a pairwise sum).
_BLOCK_ROWS = 1 << 14


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Σ a·b without BLAS (``ddot`` goes multi-threaded above 10 000 elements)."""
    return float(np.einsum("i,i->", a, b))


@numba.njit(cache=True, nogil=True)
def _prefix_moments(ys, cs, ws, k, block):  # pragma: no cover - compiled
    """One pass over the sorted sample: M_jh = Σ_{p∈j} w_p y_p C_h(p), T_j = Σ_{p∈j} w_p y_p
    and W_j = Σ_{p∈j} w_p, with C_h(p) the weight of group h at positions ≤ p.

    ``ws`` is ``None`` for unweighted data (a separate compiled specialisation, with
    w = 1).  The group axis is stored as (lanes, :data:`_LANES`) so that the inner update
    M[c, :] += w y C runs in fixed-width vector steps (one lane for k ≤ 8, the usual
    case, in its own loop); partial sums are kept per block of ``block`` rows
    (:data:`_BLOCK_ROWS`) before they join the running totals.
    """
    n = ys.shape[0]
    L = (k + _LANES - 1) // _LANES
    C = np.zeros((L, _LANES))
    M = np.zeros((k, L, _LANES))
    T = np.zeros(k)
    Mb = np.zeros((k, L, _LANES))
    Tb = np.zeros(k)
    C0 = np.zeros(_LANES)
    Mb0 = np.zeros((k, _LANES))
    for start in range(0, n, block):
        Mb[:] = 0.0
        Mb0[:] = 0.0
        Tb[:] = 0.0
        stop = min(n, start + block)
        if L == 1:
            for p in range(start, stop):
                c = cs[p]
                if ws is None:  # noqa: SIM108 - an if statement lets numba prune the branch
                    w = 1.0
                else:
                    w = ws[p]
                C0[c] += w
                wy = w * ys[p]
                Tb[c] += wy
                for h in range(_LANES):
                    Mb0[c, h] += wy * C0[h]
            Mb[:, 0, :] += Mb0
        else:
            for p in range(start, stop):
                c = cs[p]
                if ws is None:  # noqa: SIM108 - an if statement lets numba prune the branch
                    w = 1.0
                else:
                    w = ws[p]
                C[c // _LANES, c % _LANES] += w
                wy = w * ys[p]
                Tb[c] += wy
                for lane in range(L):
                    for h in range(_LANES):
                        Mb[c, lane, h] += wy * C[lane, h]
        M += Mb
        T += Tb
    if L == 1:
        C[0] = C0
    return M.reshape(k, L * _LANES)[:, :k], T, C.ravel()[:k]


def _pair_sums_prefix(ys, cs, ws, k):
    """Within- and between-group sums of |differences| from sorted prefix counts.

    Input sorted by (value, code).  Returns counts n_j, weights W_j, totals T_j = Σ w y,
    A_j = Σ_{x,y∈j} w_x w_y |x − y| and the symmetric matrix S_jh = Σ_{x∈j,y∈h} w w |x − y|.

    With C_h(p) the (weighted) count of group h at positions ≤ p,
    M_jh = Σ_{p∈j} w_p y_p C_h(p) for all j, h comes from one compiled pass
    (:func:`_prefix_moments`, n·k multiply-adds).  Then
    A_j = 2 (2 M_jj − Σ_{p∈j} w_p² y_p − W_j T_j) and S_jh = 2 (M_jh + M_hj) − W_h T_j − W_j T_h.
    """
    weighted = ws is not None
    M, Tj, Wj = _prefix_moments(ys, cs, ws, k, _BLOCK_ROWS)
    if weighted:
        counts = np.bincount(cs, minlength=k)
        w2y = np.bincount(cs, weights=ws * ws * ys, minlength=k)
    else:
        counts = np.rint(Wj).astype(np.int64)
        w2y = Tj
    within_abs = 2.0 * (2.0 * np.diagonal(M) - w2y - Wj * Tj)
    cross = 2.0 * (M + M.T) - np.multiply.outer(Tj, Wj) - np.multiply.outer(Wj, Tj)
    return counts, Wj, Tj, np.maximum(within_abs, 0.0), np.maximum(cross, 0.0)


def _pair_sums_search(ys, cs, ws, k):
    """As :func:`_pair_sums_prefix`, by sorted search per group pair (methods.md §10.4).

    Each group's values are already sorted (a stable partition of the sorted sample);
    for a pair (a, b) the right-side insertion index c_i of every a_i in b with the
    prefix sums P of b give S⁺ = Σ w_a (a C_b(c) − P_b(c)) and
    S⁻ = Σ w_a ((P_b(end) − P_b(c)) − a (W_b − C_b(c))), S = S⁺ + S⁻.
    """
    part = np.argsort(cs, kind="stable")
    counts = np.bincount(cs, minlength=k)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    vals, wts = ys[part], (None if ws is None else ws[part])
    seg_v, seg_cw, seg_pw = [], [], []
    Wj, Tj, within_abs = np.zeros(k), np.zeros(k), np.zeros(k)
    for j in range(k):
        v = vals[bounds[j] : bounds[j + 1]]
        w = np.ones_like(v) if wts is None else wts[bounds[j] : bounds[j + 1]]
        cw = np.concatenate([[0.0], np.cumsum(w)])
        pw = np.concatenate([[0.0], np.cumsum(w * v)])
        seg_v.append(v)
        seg_cw.append((w, cw))
        seg_pw.append(pw)
        Wj[j], Tj[j] = cw[-1], pw[-1]
        # Σ_{x,y} w w |x − y| = 2 Σ_i w_i v_i (2 C_{<i} + w_i − W)
        within_abs[j] = 2.0 * _dot(w * v, 2.0 * cw[:-1] + w - cw[-1]) if v.size else 0.0
    cross = np.zeros((k, k))
    for a in range(k):
        va, (wa, _) = seg_v[a], seg_cw[a]
        for b in range(a + 1, k):
            if not va.size or not seg_v[b].size:
                continue
            vb, cwb, pwb = seg_v[b], seg_cw[b][1], seg_pw[b]
            c = np.searchsorted(vb, va, side="right")
            splus = _dot(wa, va * cwb[c] - pwb[c])
            sminus = _dot(wa, (pwb[-1] - pwb[c]) - va * (cwb[-1] - cwb[c]))
            cross[a, b] = cross[b, a] = splus + sminus
    return counts, Wj, Tj, np.maximum(within_abs, 0.0), cross
