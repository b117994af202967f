"""Theil index T and its decomposition by groups, one or two levels (methods.md §11).

T = (1/n) Σ_i (y_i/μ) ln(y_i/μ) with 0·ln 0 := 0 exactly (no ``finfo.tiny`` substitute),
so zero values are allowed.  With groups, T = T_b + T_w where the within part is computed
directly as T_w = Σ_g s_g T_g — never as T − T_b, the subtraction that made PySAL's
``TheilD`` report a negative within-group value for zero incomes (pysal/inequality #15,
fixed in PR #92) — and the identity is checked on every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import xlogy

from nqpf.disparity._panel import per_column_or_period
from nqpf.disparity._validation import (
    drop_empty,
    encode_groups,
    encode_once,
    nonnegative_values,
    python_scalar,
    unit_weights,
)
from nqpf.disparity.crand import TIE_RTOL, as_rng, check_permutations, permutation_blocks
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary, pick_table

__all__ = ["TheilResult", "theil"]

#: Relative tolerance of the identity checks T = T_b + T_w (and the nested ones).
IDENTITY_RTOL = 1e-12

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class TheilResult(Result):
    """Theil index T and, with groups, its between/within decomposition.

    Attributes
    ----------
    total : float
        Theil's T.
    between : float or None
        T_b = Σ_g s_g ln(s_g / p_g), between groups (None without groups).
    within : float or None
        T_w = Σ_g s_g T_g, within groups (None without groups).
    groups : tuple or None
        Group labels (sorted), the order of every group-indexed array.
    sizes : ndarray or None
        Units per group.
    pop_share : ndarray or None
        p_g = n_g / n (weight share W_g / W with ``weights``).
    share : ndarray or None
        s_g, the group's share of the total value (Σ w y).
    means : ndarray or None
        Group means (weighted with ``weights``).
    T_g : ndarray or None
        Theil index inside each group; NaN for a group whose values are all 0 (it is
        skipped: its share is 0, so it contributes nothing).
    contribution : ndarray or None
        s_g T_g, the group's part of T_w (0 for skipped groups).
    between_terms : ndarray or None
        s_g ln(s_g / p_g), the group's term of T_b (0 when s_g = 0).
    between_subgroups, within_subgroups : float or None
        Two-level (``nested=``) decomposition: T = between + between_subgroups +
        within_subgroups, where between_subgroups = Σ_g s_g (Theil between the subgroups
        of g) and within_subgroups = Σ_sg s_sg T_sg; also within = between_subgroups +
        within_subgroups.
    subgroups : tuple of (group, subgroup) or None
        The second-level units.
    sub_table : DataFrame or None
        One row per subgroup: group, subgroup, n, pop_share, share, mean, T, contribution.
    n : int
    weighted : bool
    permutations : int
        Random permutations of the units over the group labels (0: no inference).
    between_p_value : float
        One-sided pseudo p-value of T_b (and of the between share T_b / T, the same test):
        (M + 1)/(P + 1) with M the permutations whose T_b is ≥ the observed one (PySAL
        ``TheilDSim.bg_pvalue``).  NaN without permutations.
    between_sim : ndarray or None
        The P permuted values of T_b.
    """

    total: float
    between: float | None = None
    within: float | None = None
    groups: tuple | None = None
    sizes: np.ndarray | None = None
    pop_share: np.ndarray | None = None
    share: np.ndarray | None = None
    means: np.ndarray | None = None
    T_g: np.ndarray | None = None
    contribution: np.ndarray | None = None
    between_terms: np.ndarray | None = None
    between_subgroups: float | None = None
    within_subgroups: float | None = None
    subgroups: tuple | None = None
    sub_table: pd.DataFrame | None = field(default=None, repr=False)
    n: int = 0
    weighted: bool = False
    permutations: int = 0
    between_p_value: float = _NAN
    between_sim: np.ndarray | None = field(default=None, repr=False)

    def __float__(self) -> float:
        return float(self.total)

    @property
    def between_share(self) -> float | None:
        """T_b / T, the between-group share (None without groups, NaN when T = 0)."""
        if self.between is None:
            return None
        return self.between / self.total if self.total > 0 else _NAN

    def _pct(self, value: float) -> float:
        return 100.0 * value / self.total if self.total > 0 else _NAN

    def to_frame(self, table: str = "all") -> pd.DataFrame:
        """Tidy tables.

        Parameters
        ----------
        table : {"all", "components", "groups", "subgroups"}
            ``"components"``: one row per component (total, between, within and, nested,
            between_subgroups, within_subgroups) with ``value`` and ``contribution_pct``.
            ``"groups"``: one row per group (n, pop_share, share, mean, T_g, its within
            contribution s_g T_g in value and %, its between term).  ``"subgroups"``: the
            nested table.  ``"all"`` (default) stacks those that exist with a leading
            ``table`` column.
        """
        comps = [("total", "泰尔指数 T", self.total)]
        if self.between is not None:
            comps += [("between", "组间差异 T_b", self.between)]
            comps += [("within", "组内差异 T_w", self.within)]
        if self.between_subgroups is not None:
            comps += [("between_subgroups", "组内子组间差异", self.between_subgroups)]
            comps += [("within_subgroups", "子组内差异", self.within_subgroups)]
        components = pd.DataFrame(comps, columns=["component", "label", "value"])
        components["contribution_pct"] = [self._pct(v) for v in components["value"]]
        if self.permutations:
            components["p_value"] = [
                self.between_p_value if c == "between" else _NAN for c in components["component"]
            ]
        tables = {"components": components}
        if self.groups is not None:
            tables["groups"] = pd.DataFrame(
                {
                    "group": list(self.groups),
                    "n": self.sizes,
                    "pop_share": self.pop_share,
                    "share": self.share,
                    "mean": self.means,
                    "T_g": self.T_g,
                    "contribution": self.contribution,
                    "contribution_pct": [self._pct(v) for v in self.contribution],
                    "between_term": self.between_terms,
                }
            )
        if self.sub_table is not None:
            sub = self.sub_table.copy()
            sub["contribution_pct"] = [self._pct(v) for v in sub["contribution"]]
            tables["subgroups"] = sub
        return pick_table(tables, table)

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [("T 泰尔指数", self.total)]
        if self.between is not None:
            rows += [
                ("T_b 组间", self.between),
                ("T_w 组内", self.within),
                ("贡献率 T_b %", self._pct(self.between)),
                ("贡献率 T_w %", self._pct(self.within)),
            ]
            if self.permutations:
                rows += [
                    ("置换次数", self.permutations),
                    ("T_b 置换检验 p 值", self.between_p_value),
                ]
        if self.between_subgroups is not None:
            rows += [
                ("组内子组间", self.between_subgroups),
                ("子组内", self.within_subgroups),
            ]
        if self.groups is not None:
            rows += [(f"T_g {g}", v) for g, v in zip(self.groups, self.T_g, strict=True)]
        notes = (f"n = {self.n}" + (", population-weighted" if self.weighted else ""),)
        return Summary(title="泰尔指数分解 (Theil)", rows=tuple(rows), notes=notes)


def theil(
    y, groups=None, *, periods=None, weights=None, nested=None, permutations: int = 0, rng=None
):
    """Theil index T, optionally decomposed between and within groups (one or two levels).

    Parameters
    ----------
    y : array_like, shape (n,) or (n, t)
        Non-negative values; zeros are allowed (0·ln 0 := 0).  A 2-D ``y`` is t periods
        (columns), as PySAL ``Theil``/``TheilD`` accept, and gives a
        :class:`~nqpf.disparity._panel.ByPeriod` keyed by column position 0 … t − 1
        (``[r.total for r in res.results.values()]`` is the vector PySAL returns).
    groups : array_like, shape (n,), optional
        Group label of every unit (e.g. region).  Without it only T is computed.
    periods : array_like, shape (n,), optional
        Period label of every row of a long panel: one result per period.
    weights : array_like, shape (n,) or (n, t), optional
        Population weights: the population-weighted Theil of mathmodels ``theil(y, pop)``,
        T = Σ_i (w_i/W)(y_i/Ȳ) ln(y_i/Ȳ) with Ȳ = Σ w y / W, and p_g = W_g / W in the
        decomposition.  Default: every unit counts once (PySAL ``Theil``).
    nested : array_like, shape (n,), optional
        Second-level labels (e.g. province within region) for the two-level nested
        decomposition T = T_between-groups + T_between-subgroups-within-groups +
        T_within-subgroups (mathmodels ``theil_g2_nest``).  The second-level units are the
        (group, nested) pairs, so a label need only be unique within its group.
        Requires ``groups``.
    permutations : int, default 0
        Number P of random permutations for the inference on the between-group component
        (PySAL ``TheilDSim``): the units (with their weights) are shuffled over the group
        labels, keeping the group sizes, and T_b is recomputed each time.  0 skips it.
        Requires ``groups``.
    rng : numpy.random.Generator, int or None
        Source of the permutations (seed it for a reproducible p-value).  Every period
        (column of a 2-D ``y``, or ``periods=`` block) draws its own permutations from it,
        in period order; PySAL applies one permutation of the rows to all columns.

    Returns
    -------
    TheilResult or ByPeriod

    Raises
    ------
    DataValidationError
        Negative or missing values, fewer than 2 values, all values 0, lengths that
        differ (naming the field), ``nested`` without ``groups``.

    Notes
    -----
    With s_g = Y_g / Y the value share and p_g = n_g / n the population share of group g
    (methods.md §11; PySAL ``TheilD``):

    - T_b = Σ_g s_g ln(s_g / p_g)  (= Σ_g s_g ln(s_g n / n_g));
    - T_w = Σ_g s_g T_g, computed directly, skipping groups with zero total;
    - T = T_b + T_w is asserted to a relative 1e-12 (:data:`IDENTITY_RTOL`).

    Nested: with subgroups sg in group g, T_between-subgroups = Σ_g s_g Σ_{sg∈g}
    (s_sg/s_g) ln((s_sg/s_g)/(p_sg/p_g)) and T_within-subgroups = Σ_sg s_sg T_sg; both
    identities (T and T_w) are checked.

    PySAL replaces y = 0 by ``finfo.tiny`` before taking logs; nqpf uses the limit
    0·ln 0 = 0 instead.  With no zeros the two agree to rounding.

    Permutation inference (Rey and Sastre-Gutiérrez 2010; PySAL ``TheilDSim``): under the
    null that the group labels are unrelated to the values, every assignment of the n
    units to the labels (group sizes fixed) is equally likely.  T is the same for every
    assignment, so the test of T_b is also the test of the share T_b / T.  The p-value
    is (M + 1)/(P + 1), M = #{permuted T_b ≥ observed T_b} (one-sided; values equal to
    the observed one up to a relative 1e-10 count as ≥).  Each permutation costs O(n)
    (one weighted ``bincount`` of the permuted values by group); blocks of permutations
    come from the shared engine of :mod:`nqpf.disparity.crand`.

    References
    ----------
    Theil, H. (1967). *Economics and Information Theory*.  Shorrocks, A. F. (1980). The
    class of additively decomposable inequality measures. *Econometrica* 48: 613–625.
    Rey, S. J. and Sastre-Gutiérrez, M. L. (2010). Interregional inequality dynamics in
    Mexico. *Spatial Economic Analysis* 5(3): 277–298 (the permutation test of T_b).

    Examples
    --------
    The zero-income toy of the PySAL test suite (methods.md R8):

    >>> from nqpf.disparity.theil import theil
    >>> r = theil([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1])
    >>> round(r.total, 12), round(r.between, 12), r.within
    (0.693147180560, 0.693147180560, 0.0)

    Is the between-group share larger than a random split into groups of 3 would give?
    Only 2 of the 20 splits separate the zeros from the tens, so p ≈ 0.1:

    >>> r = theil([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1], permutations=999, rng=3)
    >>> round(r.between_share, 6), round(r.between_p_value, 2)
    (1.0, 0.1)
    """
    Y = nonnegative_values(y, what="Theil index")
    W = None if weights is None else unit_weights(weights, Y.shape)
    if nested is not None and groups is None:
        raise DataValidationError(
            "nested= gives the second level of a two-level decomposition; pass groups= too",
            field="nested",
        )
    permutations = check_permutations(permutations)
    if permutations and groups is None:
        raise DataValidationError(
            "permutations test the between-group component; pass groups= too",
            field="permutations",
        )
    inference = {"permutations": permutations, "rng": as_rng(rng)} if permutations else {}
    return per_column_or_period(
        _theil_one,
        Y,
        periods,
        {
            "groups": encode_once(groups, Y.shape),
            "weights": W,
            "nested": encode_once(nested, Y.shape, field="nested"),
        },
        "Theil",
        **inference,
    )


def _check_identity(total: float, parts: float, scale: float, what: str) -> None:
    tol = IDENTITY_RTOL * max(1.0, scale)
    if not abs(total - parts) <= tol:  # also catches NaN
        raise ArithmeticError(
            f"Theil identity {what} failed: {total!r} vs {parts!r} (tolerance {tol:.1e})"
        )


def _theil_one(
    y: np.ndarray, groups, weights: np.ndarray | None, nested, permutations: int = 0, rng=None
) -> TheilResult:
    n = y.shape[0]
    if n < 2:
        raise DataValidationError(f"the Theil index needs at least 2 values, got {n}")
    w = np.ones(n) if weights is None else weights
    Wt = float(w.sum())
    if Wt <= 0:
        raise DataValidationError("weights sum to 0", field="weights")
    wy = w * y
    Yt = float(wy.sum())
    if Yt <= 0:
        raise DataValidationError(
            "all values (with positive weight) are 0, so the mean is 0 and the Theil index "
            "is undefined",
            field="y",
        )
    mu = Yt / Wt
    r = y / mu
    term = w * xlogy(r, r)  # 0·ln 0 = 0
    total = 0.0 if y.min() == y.max() else max(float(term.sum()) / Wt, 0.0)
    scale = float(np.abs(term).sum()) / Wt
    weighted = weights is not None
    if groups is None:
        return TheilResult(total=total, n=n, weighted=weighted)

    labels, codes = encode_groups(groups, n)
    k = labels.shape[0]
    counts = np.bincount(codes, minlength=k)
    present = counts > 0
    Wg = np.bincount(codes, weights=w, minlength=k)
    Yg = np.bincount(codes, weights=wy, minlength=k)
    T_g, s, p, bterm, means = _group_terms(y, w, codes, Wg, Yg, Wt, Yt)
    contribution = np.where(s > 0, s * np.nan_to_num(T_g), 0.0)
    between = float(bterm.sum())
    within = float(contribution.sum())
    _check_identity(total, between + within, scale, "T = T_b + T_w")

    keep = np.flatnonzero(present)
    res = dict(
        total=total,
        between=between,
        within=within,
        groups=tuple(python_scalar(v) for v in labels[keep]),
        sizes=counts[keep].astype(np.int64),
        pop_share=p[keep],
        share=s[keep],
        means=means[keep],
        T_g=T_g[keep],
        contribution=contribution[keep],
        between_terms=bterm[keep],
        n=n,
        weighted=weighted,
    )
    if permutations:
        sim = _between_sim(
            y,
            weights,
            codes,
            k,
            permutation_blocks(np.arange(n, dtype=np.float64), permutations, rng),
        )
        tol = TIE_RTOL * (abs(between) + total)
        res.update(
            permutations=permutations,
            between_p_value=float(((sim >= between - tol).sum() + 1.0) / (permutations + 1.0)),
            between_sim=sim,
        )
    if nested is None:
        return TheilResult(**res)

    sub_labels, sub_codes = encode_groups(nested, n, field="nested")
    pair = codes.astype(np.int64) * sub_labels.shape[0] + sub_codes
    pair_keys, pcode = drop_empty(*encode_groups(pair, n, field="nested"))  # sorted pairs
    K = pair_keys.shape[0]
    pg = pair_keys // sub_labels.shape[0]  # group code of each subgroup
    Ws = np.bincount(pcode, weights=w, minlength=K)
    Ys = np.bincount(pcode, weights=wy, minlength=K)
    T_s, s_s, p_s, _, means_s = _group_terms(y, w, pcode, Ws, Ys, Wt, Yt)
    # between subgroups within their group: s_sg ln((s_sg/p_sg) / (s_g/p_g)), 0 if s_sg = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (s_s / p_s) / (s[pg] / p[pg])
    b_sub = np.where(s_s > 0, s_s * np.log(np.where(s_s > 0, ratio, 1.0)), 0.0)
    w_sub = np.where(s_s > 0, s_s * np.nan_to_num(T_s), 0.0)
    between_sub, within_sub = float(b_sub.sum()), float(w_sub.sum())
    _check_identity(within, between_sub + within_sub, scale, "T_w = T_bs + T_ws")
    _check_identity(total, between + between_sub + within_sub, scale, "T = T_b + T_bs + T_ws")
    sub_table = pd.DataFrame(
        {
            "group": [python_scalar(labels[g]) for g in pg],
            "subgroup": [python_scalar(sub_labels[c]) for c in pair_keys % sub_labels.shape[0]],
            "n": np.bincount(pcode, minlength=K),
            "pop_share": p_s,
            "share": s_s,
            "mean": means_s,
            "T": T_s,
            "contribution": w_sub,
            "between_term": b_sub,
        }
    )
    res.update(
        between_subgroups=between_sub,
        within_subgroups=within_sub,
        subgroups=tuple(zip(sub_table["group"], sub_table["subgroup"], strict=True)),
        sub_table=sub_table,
    )
    return TheilResult(**res)


def _between_sim(y, weights, codes, k: int, blocks) -> np.ndarray:
    """T_b for each permutation of the units over the labels, from blocks of index rows.

    A block holds m permutations π (rows of positions, as floats or ints); permutation r
    gives unit i the value (and weight) of unit π_r(i) and keeps its label.  The group
    sums of all m rows come from one ``bincount`` over (row, group) keys.
    """
    Yt = float((y if weights is None else weights * y).sum())
    Wt = float(len(y) if weights is None else weights.sum())
    out = []
    for block in blocks:
        idx = block.astype(np.intp, copy=False)
        m = idx.shape[0]
        keys = (np.arange(m)[:, None] * k + codes[None, :]).ravel()
        if weights is None:
            Yg = np.bincount(keys, weights=y[idx].ravel(), minlength=m * k).reshape(m, k)
            Wg = np.broadcast_to(np.bincount(codes, minlength=k).astype(np.float64), (m, k))
        else:
            Yg = np.bincount(keys, weights=(weights * y)[idx].ravel(), minlength=m * k)
            Yg = Yg.reshape(m, k)
            Wg = np.bincount(keys, weights=weights[idx].ravel(), minlength=m * k).reshape(m, k)
        s, p = Yg / Yt, Wg / Wt
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(
                s > 0, s * np.log(np.where(s > 0, s, 1.0) / np.where(s > 0, p, 1.0)), 0.0
            )
        out.append(term.sum(axis=1))
    return np.concatenate(out) if out else np.zeros(0)


def _group_terms(y, w, codes, Wg, Yg, Wt, Yt):
    """Per group: T_g (NaN for zero total), s_g, p_g, s_g ln(s_g/p_g) and the mean.

    T_g ≥ 0 by Jensen's inequality; rounding residue below 0 is cut off, and a group whose
    values are all equal gets exactly 0 (its rounded mean need not equal the value).
    """
    k = Wg.shape[0]
    s = Yg / Yt
    p = Wg / Wt
    rep = np.zeros(k)
    rep[codes] = y  # any member's value
    constant = np.bincount(codes, weights=(y != rep[codes]), minlength=k) == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(Wg > 0, Yg / Wg, _NAN)
        safe = np.where(Yg > 0, means, 1.0)
        r = y / safe[codes]
        T_g = np.bincount(codes, weights=w * xlogy(r, r), minlength=k) / Wg
        bterm = np.where(s > 0, s * np.log(np.where(s > 0, s / p, 1.0)), 0.0)
    T_g = np.where(constant, 0.0, np.maximum(T_g, 0.0))
    T_g = np.where(Yg > 0, T_g, _NAN)
    return T_g, s, p, bterm, means
