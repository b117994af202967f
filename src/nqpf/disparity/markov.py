"""Markov chains of class transitions: traditional and spatial (Rey 2001).

Data layout follows giddy: ``y`` is an (n units × t periods) array, each row one unit's
path through time (methods.md §13.1).  Continuous values are cut into k ordered classes
(:mod:`nqpf.disparity.classify`); transitions between consecutive periods are pooled over
all periods and estimated by maximum likelihood, P_ab = n_ab / Σ_b n_ab.  Steady states
and mean first passage times come from :mod:`nqpf.disparity.ergodic` and are re-exported
here.

The spatial Markov chain conditions each transition on the class of the unit's spatial
lag at the start of the transition, giving one k × k matrix per lag class, and tests
whether they differ with the Bickenbach & Bode (2003) Q and LR statistics
(methods.md §13.2).

Conventions (each a parameter, methods.md §16):

- classes closed on the right, quantile cutoffs pooled or per period, ties raise unless
  ``ties="merge"`` (see :mod:`nqpf.disparity.classify`);
- lag cutoffs from quantiles of the lag (giddy) or the same cutoffs as y (the
  "邻域类型" convention of Chinese studies);
- rows with no transitions stay zero unless ``fill_empty_classes=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from nqpf.disparity._validation import as_panel, check_choice
from nqpf.disparity.classify import LABELS_4 as LABELS_4  # its old home: keep the import path
from nqpf.disparity.classify import class_labels, classify, default_labels, encode_classes
from nqpf.disparity.ergodic import fill_empty_rows, mfpt, recurrent_classes, steady_states
from nqpf.disparity.weights import as_weights
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "HomogeneityResult",
    "MarkovResult",
    "SpatialMarkovResult",
    "default_labels",
    "homogeneity",
    "markov",
    "mfpt",
    "spatial_markov",
    "steady_states",
]

# --------------------------------------------------------------------------------------
# input checks and transition counts
# --------------------------------------------------------------------------------------


def _check_k(k, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 2:
        raise DataValidationError(f"{name} must be an integer >= 2, got {k!r}", field=name)
    return int(k)


def _counts(ids: np.ndarray, k: int, lag_ids: np.ndarray | None = None, m: int = 1) -> np.ndarray:
    """Transition counts (k, k) of class ids (n, t); with ``lag_ids``, one (k, k) block for
    each of the m lag classes at the start of the transition: (m, k, k)."""
    a = ids[:, :-1].ravel()
    b = ids[:, 1:].ravel()
    if lag_ids is None:
        return np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    c = lag_ids[:, :-1].ravel()
    return np.bincount((c * k + a) * k + b, minlength=m * k * k).reshape(m, k, k)


def _probabilities(T: np.ndarray, fill_empty_classes: bool) -> np.ndarray:
    """Row-normalise counts (…, k, k); empty rows stay 0 or get 1 on the diagonal."""
    rows = T.sum(axis=-1, keepdims=True)
    P = T / np.where(rows == 0, 1, rows)
    if fill_empty_classes:
        P = fill_empty_rows(P)
    return P


# --------------------------------------------------------------------------------------
# traditional Markov chain
# --------------------------------------------------------------------------------------


def _matrix_frame(p, counts, labels, index_name="初始类型") -> pd.DataFrame:
    frame = pd.DataFrame(p, index=pd.Index(list(labels), name=index_name), columns=list(labels))
    frame.insert(0, "n", counts.sum(axis=1))
    return frame


@dataclass(frozen=True, eq=False)
class MarkovResult(Result):
    """A traditional (aspatial) Markov chain estimated from a panel of classes.

    Attributes
    ----------
    transitions : ndarray of int, shape (k, k)
        Counts n_ab of moves from class a at t to class b at t + 1, pooled over periods.
    p : ndarray, shape (k, k)
        Transition probabilities n_ab / Σ_b n_ab; empty rows are 0 (or 1 on the diagonal
        with ``fill_empty_classes``).
    steady_state : ndarray, shape (k,)
        The unique stationary distribution when the chain has one recurrent class;
        all NaN when it has several (see ``steady_states``).
    steady_states : ndarray, shape (r, k)
        One stationary distribution per recurrent class (giddy's 2-D ``steady_state``).
    recurrent_classes : tuple of tuple of int
        States of each recurrent class (empty rows count as absorbing states).
    classes : ndarray of int, shape (n, t)
        Class index (0 … k − 1) of every unit and period.
    cutoffs : ndarray or None
        Upper class bounds used: (k − 1,) pooled or user cutoffs, (t, k − 1) per period,
        ``None`` for discrete input.
    labels : tuple of str
        Class names, lowest class first.
    states : ndarray or None
        The original class values for discrete input, in class-index order.
    scheme : str
        How classes were formed: ``"pooled"``, ``"per_period"``, ``"cutoffs"`` or
        ``"discrete"``.
    fill_empty_classes : bool
    """

    transitions: np.ndarray
    p: np.ndarray
    steady_state: np.ndarray
    steady_states: np.ndarray
    recurrent_classes: tuple[tuple[int, ...], ...]
    classes: np.ndarray
    cutoffs: np.ndarray | None
    labels: tuple[str, ...]
    states: np.ndarray | None
    scheme: str
    fill_empty_classes: bool

    @property
    def k(self) -> int:
        """Number of classes."""
        return self.p.shape[0]

    @property
    def n(self) -> int:
        """Number of units."""
        return self.classes.shape[0]

    @property
    def t(self) -> int:
        """Number of periods."""
        return self.classes.shape[1]

    @property
    def ergodic(self) -> bool:
        """True when every class communicates with every other (one recurrent class of k)."""
        return len(self.recurrent_classes) == 1 and len(self.recurrent_classes[0]) == self.k

    @property
    def initial(self) -> np.ndarray:
        """Share of units in each class in the first period."""
        return np.bincount(self.classes[:, 0], minlength=self.k) / self.n

    @property
    def final(self) -> np.ndarray:
        """Share of units in each class in the last period."""
        return np.bincount(self.classes[:, -1], minlength=self.k) / self.n

    def mfpt(self) -> np.ndarray:
        """Mean first passage times (k, k); see :func:`mfpt` (``inf`` where unreachable)."""
        return mfpt(self.p)

    def k_step(self, steps: int) -> np.ndarray:
        """The ``steps``-step transition matrix Pᵏ (empty rows stay as in ``p``)."""
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
            raise DataValidationError(
                f"steps must be an integer >= 0, got {steps!r}", field="steps"
            )
        return np.linalg.matrix_power(self.p, int(steps))

    def to_frame(self) -> pd.DataFrame:
        """The transition matrix as papers print it: one row per initial class (t),
        the number of transitions ``n`` leaving it, then the probability of each class at
        t + 1."""
        return _matrix_frame(self.p, self.transitions, self.labels)

    def summary(self) -> Summary:
        rows = [
            ("类型数 k", self.k),
            ("样本 (单元 × 时期)", f"{self.n} × {self.t}"),
            ("转移次数", int(self.transitions.sum())),
            ("分类方式", self.scheme),
        ]
        if self.cutoffs is not None:
            rows.append(("分界点 (上限含)", self.cutoffs))
        rows += [
            ("类型", ", ".join(self.labels)),
            ("保持概率 (对角线)", np.diag(self.p).copy()),
            ("稳态分布", self.steady_state),
            ("期初分布", self.initial),
            ("期末分布", self.final),
        ]
        notes = []
        if not self.ergodic:
            notes.append(
                f"链不可约性不成立: {len(self.recurrent_classes)} 个常返类 "
                f"{list(self.recurrent_classes)}"
            )
        empty = np.flatnonzero(self.transitions.sum(axis=1) == 0)
        if empty.size:
            notes.append(f"无转移观测的类型: {[self.labels[i] for i in empty]}")
        return Summary(title="传统马尔可夫链 (Markov chain)", rows=tuple(rows), notes=tuple(notes))


def _chain(T: np.ndarray, fill_empty_classes: bool):
    P = _probabilities(T, fill_empty_classes)
    S = steady_states(P)
    rec = recurrent_classes(fill_empty_rows(P))
    ss = S[0].copy() if S.shape[0] == 1 else np.full(P.shape[0], np.nan)
    return P, ss, S, rec


def markov(
    y=None,
    k: int = 4,
    *,
    classes=None,
    states: Sequence | None = None,
    cutoffs=None,
    cutoff_scope: str = "pooled",
    ties: str = "error",
    fill_empty_classes: bool = False,
    labels: Sequence[str] | None = None,
) -> MarkovResult:
    """Traditional Markov chain of class transitions (methods.md §13.1).

    Parameters
    ----------
    y : array_like, shape (n units, t periods), optional
        Continuous values, one row per unit (giddy's orientation), t >= 2.  Give either
        ``y`` or ``classes``.
    k : int, default 4
        Number of quantile classes (quartiles, as in most Chinese studies).  Ignored when
        ``cutoffs`` or ``classes`` are given.
    classes : array_like, shape (n, t), optional
        Already discrete classes (ints or labels such as ``'a'``, ``'b'``), as giddy's
        ``Markov(class_ids)``.
    states : sequence, optional
        With ``classes``: every class in order, also those never observed (giddy's
        ``classes`` argument).  Default: the sorted distinct values of ``classes``.
    cutoffs : array_like, optional
        User cutoffs: k − 1 increasing upper bounds (then k = len + 1), or a
        (t, k − 1) array of per-period cutoffs.
    cutoff_scope : {"pooled", "per_period"}, default "pooled"
        Quantile cutoffs from the pooled n·t sample (giddy ``fixed=True``, classes
        comparable across years) or recomputed each period (``fixed=False``, relative
        position in that year).
    ties : {"error", "merge"}, default "error"
        Quantile cutoffs that coincide, or a last cutoff equal to the maximum, would
        leave classes empty (tied data).  ``"error"`` raises naming the cutoffs;
        ``"merge"`` merges the tied classes.  Pooled: duplicate cutoffs (and a last
        cutoff equal to the maximum) are dropped and k shrinks, which reproduces
        mapclassify ``Quantiles`` and giddy.  Per period: k is kept, a value equal to
        a tied cutoff goes to the lowest tied class and the classes emptied by the tie
        stay empty in that period.
    fill_empty_classes : bool, default False
        Put 1 on the diagonal of rows with no transitions (giddy), so that ``p`` is
        stochastic.  Otherwise those rows stay 0.
    labels : sequence of str, optional
        Class names; default 低/中低/中高/高 for k = 4, "1" … "k" otherwise, or the
        class values themselves for non-integer ``classes``.

    Returns
    -------
    MarkovResult

    Notes
    -----
    Classes are closed on the right: with cutoffs c_1 < … < c_{k−1}, a value v is in
    class 0 when v ≤ c_1, in class j when c_j < v ≤ c_{j+1}, and in class k − 1 when
    v > c_{k−1} (mapclassify's rule).  Quantiles use linear interpolation at j/k.
    P_ab = n_ab / Σ_b n_ab with n_ab pooled over all t → t + 1 (maximum likelihood).
    The steady state solves πP = π, Σπ = 1 (see :func:`steady_states`).

    References
    ----------
    Rey, S. J., Kang, W. & Wolf, L. (2016). giddy: ``giddy.markov.Markov``.
    Kemeny, J. G. & Snell, J. L. (1976). *Finite Markov Chains*. Springer.

    Examples
    --------
    giddy's toy example (methods.md R9):

    >>> c = [["b", "a", "c"], ["c", "c", "a"], ["c", "b", "c"], ["a", "a", "b"], ["a", "b", "c"]]
    >>> m = markov(classes=c)
    >>> m.p.round(4)
    array([[0.25  , 0.5   , 0.25  ],
           [0.3333, 0.    , 0.6667],
           [0.3333, 0.3333, 0.3333]])
    >>> m.steady_state.round(8)
    array([0.30769231, 0.28846154, 0.40384615])
    >>> m.to_frame()["n"].tolist()
    [4, 3, 3]
    """
    check_choice(cutoff_scope, "cutoff_scope", ("pooled", "per_period"))
    check_choice(ties, "ties", ("error", "merge"))
    if (y is None) == (classes is None):
        raise DataValidationError(
            "give either y (continuous values) or classes (discrete classes), not both",
            field="y" if y is None else "classes",
        )
    if classes is not None:
        if cutoffs is not None:
            raise DataValidationError(
                "cutoffs cannot be used with discrete classes", field="cutoffs"
            )
        ids, st = encode_classes(classes, states, "classes")
        kk, cut, scheme = st.size, None, "discrete"
        if kk < 2:
            raise DataValidationError(
                f"classes holds only {kk} distinct class; a chain needs at least 2 (pass states)",
                field="classes",
            )
    else:
        if states is not None:
            raise DataValidationError("states is only used with classes", field="states")
        A = as_panel(y, "y")
        kk = _check_k(k) if cutoffs is None else k
        ids, cut, kk = classify(A, kk, cutoffs, cutoff_scope, ties, what="y", cutoff_name="cutoffs")
        st = None
        scheme = "cutoffs" if cutoffs is not None else cutoff_scope
    T = _counts(ids, kk)
    P, ss, S, rec = _chain(T, fill_empty_classes)
    return MarkovResult(
        transitions=T,
        p=P,
        steady_state=ss,
        steady_states=S,
        recurrent_classes=rec,
        classes=ids,
        cutoffs=cut,
        labels=class_labels(labels, kk, st),
        states=st,
        scheme=scheme,
        fill_empty_classes=bool(fill_empty_classes),
    )


# --------------------------------------------------------------------------------------
# homogeneity tests
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HomogeneityResult(Result):
    """Bickenbach & Bode (2003) tests that transition probabilities are equal across regimes.

    Attributes
    ----------
    Q, Q_p_value : float
        Pearson χ² statistic and its p-value under χ²(dof).
    LR, LR_p_value : float
        Likelihood-ratio statistic and its p-value under χ²(dof).
    dof : int
        Degrees of freedom corrected for empty cells.
    p_pooled : ndarray, shape (k, k)
        Transition probabilities under H0 (all regimes pooled).
    """

    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    p_pooled: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "statistic": [self.Q, self.LR],
                "dof": [self.dof, self.dof],
                "p_value": [self.Q_p_value, self.LR_p_value],
            },
            index=pd.Index(["Q", "LR"], name="test"),
        )

    def summary(self) -> Summary:
        return Summary(
            title="马尔可夫链同质性检验 (Bickenbach & Bode 2003)",
            rows=(
                ("Q", self.Q),
                ("Q p 值", self.Q_p_value),
                ("LR", self.LR),
                ("LR p 值", self.LR_p_value),
                ("自由度", self.dof),
            ),
        )


def homogeneity(T) -> HomogeneityResult:
    """Test that m regime-specific transition matrices share one law (Bickenbach & Bode 2003).

    Parameters
    ----------
    T : array_like, shape (m, k, k)
        Transition counts n_ab(l) for each regime l (spatial lag class, region …).

    Returns
    -------
    HomogeneityResult

    Notes
    -----
    With pooled p_ab = Σ_l n_ab(l) / Σ_l n_a(l), p_ab(l) = n_ab(l) / n_a(l):

    - Q = Σ_l Σ_a Σ_{b: p_ab > 0} n_a(l) (p_ab(l) − p_ab)² / p_ab;
    - LR = 2 Σ_l Σ_a Σ_{b: n_ab(l) > 0} n_ab(l) ln(p_ab(l) / p_ab);
    - dof = Σ_{a: n_a > 0} (A_a − 1)(B_a − 1), A_a = number of regimes with
      n_a(l) > 0, B_a = number of b with p_ab > 0.

    These match giddy's ``Homogeneity_Results`` term by term (checked against its code and
    numbers), except that a class with no transitions in any regime adds nothing to dof;
    giddy adds (0 − 1)(0 − 1) = 1 for each such class.  Both statistics are referred to
    χ²(dof); with dof = 0 the p-values are NaN.

    References
    ----------
    Bickenbach, F. & Bode, E. (2003). Evaluating the Markov property in studies of economic
    convergence. *International Regional Science Review* 26(3): 363–392.

    Examples
    --------
    >>> h = homogeneity([[[8, 2], [3, 7]], [[5, 5], [1, 9]]])
    >>> round(h.Q, 6), round(h.LR, 6), h.dof
    (3.228022, 3.324025, 2)
    """
    M = np.asarray(T, dtype=np.float64)
    if M.ndim != 3 or M.shape[1] != M.shape[2]:
        raise DataValidationError(f"T must be (m, k, k) counts, got shape {M.shape}", field="T")
    if not np.isfinite(M).all() or (M < 0).any():
        raise DataValidationError("T must hold non-negative counts", field="T")
    pooled = M.sum(axis=0)
    n_a = pooled.sum(axis=1)
    p = pooled / np.where(n_a == 0, 1, n_a)[:, None]
    n_al = M.sum(axis=2)
    p_l = M / np.where(n_al == 0, 1, n_al)[:, :, None]
    pos = p > 0
    den = np.where(pos, p, 1.0)
    Q = float((n_al[:, :, None] * np.where(pos, (p_l - p) ** 2 / den, 0.0)).sum())
    cells = M > 0
    ratio = np.where(cells, p_l, 1.0) / np.where(cells, den, 1.0)
    LR = float(2.0 * (M * np.log(ratio)).sum())
    A = (n_al > 0).sum(axis=0)
    B = pos.sum(axis=1)
    dof = int(((A - 1) * (B - 1))[n_a > 0].sum())
    if dof > 0:
        qp, lp = float(stats.chi2.sf(Q, dof)), float(stats.chi2.sf(LR, dof))
    else:
        qp = lp = float("nan")
    return HomogeneityResult(Q, qp, LR, lp, dof, p)


# --------------------------------------------------------------------------------------
# spatial Markov chain
# --------------------------------------------------------------------------------------


def _row_standardised(w, n: int) -> sparse.csr_array:
    """``w`` (any form :func:`~nqpf.disparity.weights.as_weights` takes) as a
    row-standardised CSR matrix, checked against n units."""
    W = as_weights(w, n, transform="none", self_links=True).sparse
    rs = np.asarray(W.sum(axis=1)).ravel()
    islands = np.flatnonzero(rs == 0)
    if islands.size:
        raise DataValidationError(
            f"unit {int(islands[0])} has no neighbours (an island; {islands.size} in all: "
            f"{islands[:10].tolist()}), so its spatial lag is undefined. Give islands a "
            "neighbour (e.g. the nearest unit) or drop them",
            field="w",
            data_row=int(islands[0]),
        )
    if np.all(np.abs(rs - 1.0) <= 1e-12):
        return W  # already row-standardised: keep the weights bit for bit
    return sparse.csr_array(sparse.diags_array(1.0 / rs) @ W)


def _categorical_lag(W: sparse.csr_array, ids: np.ndarray, k: int) -> np.ndarray:
    """Most common class among neighbours, weighted; deterministic ties (see spatial_markov)."""
    n, t = ids.shape
    nnz = np.diff(W.indptr)
    mean_w = np.asarray(W.sum(axis=1)).ravel() / np.maximum(nnz, 1)
    out = np.empty((n, t), dtype=np.intp)
    rows = np.arange(n)
    for j in range(t):
        onehot = np.zeros((n, k))
        onehot[rows, ids[:, j]] = 1.0
        tally = np.asarray(W @ onehot)
        top = tally.max(axis=1, keepdims=True)
        tied = (tally >= top - 1e-12 * top).sum(axis=1) > 1
        tally[rows[tied], ids[tied, j]] += mean_w[tied]
        top = tally.max(axis=1, keepdims=True)
        out[:, j] = np.argmax(tally >= top - 1e-12 * top, axis=1)
    return out


@dataclass(frozen=True, eq=False)
class SpatialMarkovResult(Result):
    """Markov chains conditioned on the class of the spatial lag (Rey 2001).

    Attributes
    ----------
    P : ndarray, shape (m, k, k)
        Transition probabilities given lag class l at the start of the transition.
    T : ndarray of int, shape (m, k, k)
        Transition counts per lag class.
    p : ndarray, shape (k, k)
        Pooled (aspatial) transition probabilities.
    transitions : ndarray of int, shape (k, k)
        Pooled counts (= T.sum(axis=0)).
    s : ndarray, shape (k,)
        Steady state of ``p`` (NaN when not unique).
    S : ndarray, shape (m, k)
        Steady state of each P[l]; a row is NaN when that chain has several recurrent
        classes (see ``S_all``).
    S_all : tuple of ndarray
        Per lag class, one stationary distribution per recurrent class (r_l, k).
    Q, Q_p_value, LR, LR_p_value : float
        Bickenbach & Bode homogeneity tests (see :func:`homogeneity`).
    dof : int
        Their degrees of freedom, corrected for empty cells.
    classes, lag_classes : ndarray of int, shape (n, t)
        Class of each unit's value and of its spatial lag.
    lag : ndarray, shape (n, t) or None
        The spatial lag W y (``None`` for discrete input).
    cutoffs, lag_cutoffs : ndarray or None
        Class upper bounds of y and of the lag ((·,) or (t, ·) per period).
    labels, lag_labels : tuple of str
        Names of the y classes (初始类型) and of the lag classes (邻域类型).
    lag_cutoff_mode : str
        ``"quantile"``, ``"same"``, ``"cutoffs"`` (user) or ``"categorical"``.
    """

    P: np.ndarray
    T: np.ndarray
    p: np.ndarray
    transitions: np.ndarray
    s: np.ndarray
    S: np.ndarray
    S_all: tuple[np.ndarray, ...]
    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    classes: np.ndarray
    lag_classes: np.ndarray
    lag: np.ndarray | None
    cutoffs: np.ndarray | None
    lag_cutoffs: np.ndarray | None
    labels: tuple[str, ...]
    lag_labels: tuple[str, ...]
    lag_cutoff_mode: str
    cutoff_scope: str
    fill_empty_classes: bool

    @property
    def k(self) -> int:
        """Number of classes of y."""
        return self.P.shape[1]

    @property
    def m(self) -> int:
        """Number of lag classes."""
        return self.P.shape[0]

    def F(self) -> np.ndarray:
        """Mean first passage times of each conditional chain, (m, k, k); see :func:`mfpt`."""
        return np.stack([mfpt(P) for P in self.P])

    def to_frame(self, include_pooled: bool = False) -> pd.DataFrame:
        """Stacked conditional matrices as Chinese papers print them.

        Columns: 邻域类型 (lag class), 初始类型 (class at t), ``n`` (transitions leaving
        it), then the probability of each class at t + 1.  ``include_pooled=True`` puts
        the aspatial matrix first, with 邻域类型 = "不考虑邻域".
        """
        parts = []
        blocks = [(label, self.P[i], self.T[i]) for i, label in enumerate(self.lag_labels)]
        if include_pooled:
            blocks.insert(0, ("不考虑邻域", self.p, self.transitions))
        for name, P, T in blocks:
            frame = _matrix_frame(P, T, self.labels).reset_index()
            frame.insert(0, "邻域类型", name)
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> Summary:
        rows = [
            ("类型数 k", self.k),
            ("邻域类型数 m", self.m),
            ("样本 (单元 × 时期)", f"{self.classes.shape[0]} × {self.classes.shape[1]}"),
            ("转移次数", int(self.T.sum())),
            ("分类方式", self.cutoff_scope),
            ("邻域分类", self.lag_cutoff_mode),
        ]
        if self.cutoffs is not None:
            rows.append(("分界点 (上限含)", self.cutoffs))
        if self.lag_cutoffs is not None:
            rows.append(("邻域分界点", self.lag_cutoffs))
        rows += [
            ("Q", self.Q),
            ("Q p 值", self.Q_p_value),
            ("LR", self.LR),
            ("LR p 值", self.LR_p_value),
            ("自由度", self.dof),
        ]
        for i, label in enumerate(self.lag_labels):
            rows.append((f"保持概率 | 邻域 {label}", np.diag(self.P[i]).copy()))
        notes = []
        empty = [
            (self.lag_labels[i], self.labels[a])
            for i, a in zip(*np.nonzero(self.T.sum(axis=2) == 0), strict=True)
        ]
        if empty:
            notes.append(f"无转移观测的 (邻域, 初始) 组合: {empty[:12]}")
        return Summary(
            title="空间马尔可夫链 (spatial Markov chain)", rows=tuple(rows), notes=tuple(notes)
        )


def spatial_markov(
    y,
    w,
    k: int = 4,
    *,
    m: int | None = None,
    cutoffs=None,
    lag_cutoffs=None,
    lag_cutoff_mode: str = "quantile",
    cutoff_scope: str = "pooled",
    ties: str = "error",
    fill_empty_classes: bool = False,
    discrete: bool = False,
    labels: Sequence[str] | None = None,
    lag_labels: Sequence[str] | None = None,
) -> SpatialMarkovResult:
    """Spatial Markov chain: transitions conditioned on the neighbours' class (Rey 2001).

    Parameters
    ----------
    y : array_like, shape (n units, t periods)
        Continuous values (or classes with ``discrete=True``), rows in the unit order of
        ``w``, t >= 2.
    w : array_like, scipy.sparse matrix or libpysal ``W``, shape (n, n)
        Spatial weights: a dense array, a sparse matrix, or any object with a ``.sparse``
        attribute (a libpysal ``W``, whose ``.sparse`` is used).  Row ``i`` holds unit
        ``i``'s neighbours, in the row order of ``y``.  It is row-standardised here
        whatever its transformation (rows already summing to 1 within 1e-12 are used as
        given, so a libpysal ``W`` with ``transform = "r"`` gives giddy's lag bit for
        bit); negative weights are an error, and so is a unit with no neighbour (an
        island, row sum 0: its lag is undefined), naming the unit.
    k : int, default 4
        Number of classes of y (ignored with ``cutoffs`` or ``discrete``).
    m : int, optional
        Number of lag classes; default k (giddy's defaults are k = m = 4).  Must equal
        k with ``lag_cutoff_mode="same"`` and len(lag_cutoffs) + 1 with ``lag_cutoffs``.
    cutoffs : array_like, optional
        User cutoffs of y: (k − 1,) or (t, k − 1); see :func:`markov`.
    lag_cutoffs : array_like, optional
        User cutoffs of the lag: (m − 1,) or (t, m − 1).
    lag_cutoff_mode : {"quantile", "same"}, default "quantile"
        ``"quantile"``: lag classes cut at quantiles of the lag (giddy's default).
        ``"same"``: the lag is classified with the cutoffs of y, so 邻域类型 means "the
        neighbours' average is in class l" (the usual convention in Chinese studies;
        giddy's ``lag_cutoffs=cutoffs``).
    cutoff_scope : {"pooled", "per_period"}, default "pooled"
        Quantiles of y and of the lag from the pooled sample (giddy ``fixed=True``) or
        per period (``fixed=False``).
    ties : {"error", "merge"}, default "error"
        Coinciding quantile cutoffs of y or of the lag; see :func:`markov`.
    fill_empty_classes : bool, default False
        Put 1 on the diagonal of empty rows of every P[l] and of ``p`` (giddy).
    discrete : bool, default False
        ``y`` already holds classes; the lag class is then the weighted most common
        class among the neighbours (giddy ``discrete=True``), and m = k.
    labels, lag_labels : sequence of str, optional
        Names of the classes and lag classes; see :func:`default_labels`.

    Returns
    -------
    SpatialMarkovResult

    Notes
    -----
    L_it = Σ_j w_ij y_jt with row-standardised W.  A transition of unit i from t to
    t + 1 is counted in the matrix of the lag class of L_it (the lag at the start).
    Lag classes follow the same rule as y: upper bounds inclusive, a lag equal to a
    cutoff goes to the lower class, so there is no random tie breaking.

    With ``discrete=True`` the categorical lag is the class with the largest total weight
    among the neighbours.  Ties (within a relative 1e-12) are broken as libpysal's
    ``lag_categorical(ties="tryself")``: the unit's own class is added with the mean
    neighbour weight; where that still leaves a tie, giddy draws at random but nqpf
    takes the lowest tied class, so results are reproducible.

    The homogeneity statistics are those of :func:`homogeneity` on ``T``; dof differs
    from giddy's ``dof_hom`` only when a class has no transitions at all (giddy adds 1
    for each such class).  Steady states treat empty rows as absorbing; giddy raises
    for them unless ``fill_empty_classes=True``.

    References
    ----------
    Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
    *Geographical Analysis* 33(3): 195–214.
    Bickenbach, F. & Bode, E. (2003). *International Regional Science Review* 26(3).

    Examples
    --------
    Four units on a line, three periods, classes cut at 1.5 and 2.5, and the neighbours'
    mean judged with the same cutoffs:

    >>> y = [[1, 1, 1], [1, 2, 2], [3, 3, 2], [3, 3, 3]]
    >>> w = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    >>> sm = spatial_markov(y, w, cutoffs=[1.5, 2.5], lag_cutoff_mode="same")
    >>> sm.lag_classes.tolist()
    [[0, 1, 1], [1, 1, 0], [1, 1, 1], [2, 2, 1]]
    >>> sm.T[1].tolist()
    [[1, 1, 0], [0, 1, 0], [0, 1, 1]]
    >>> sm.to_frame().columns.tolist()
    ['邻域类型', '初始类型', 'n', '1', '2', '3']
    """
    check_choice(lag_cutoff_mode, "lag_cutoff_mode", ("quantile", "same"))
    check_choice(cutoff_scope, "cutoff_scope", ("pooled", "per_period"))
    check_choice(ties, "ties", ("error", "merge"))
    if m is not None:
        m = _check_k(m, "m")
    if discrete:
        classes = _discrete_lag_classes(y, w, m, cutoffs, lag_cutoffs)
    else:
        classes = _continuous_lag_classes(
            y, w, k, m, cutoffs, lag_cutoffs, lag_cutoff_mode, cutoff_scope, ties
        )
    T = _counts(classes.ids, classes.k, classes.lag_ids, classes.m)
    return _spatial_markov_result(T, classes, fill_empty_classes, labels, lag_labels)


@dataclass(frozen=True)
class _LagClasses:
    """Classes of y and of its spatial lag, and how they were formed."""

    ids: np.ndarray  # (n, t) class of y
    lag_ids: np.ndarray  # (n, t) class of the lag
    k: int  # number of classes of y
    m: int  # number of lag classes
    cutoffs: np.ndarray | None
    lag_cutoffs: np.ndarray | None
    lag: np.ndarray | None  # W y (None for discrete input)
    lag_cutoff_mode: str
    cutoff_scope: str
    states: np.ndarray | None  # class values of discrete input


def _discrete_lag_classes(y, w, m: int | None, cutoffs, lag_cutoffs) -> _LagClasses:
    """Discrete y: its classes and the weighted most common class among the neighbours."""
    for name, value in (("cutoffs", cutoffs), ("lag_cutoffs", lag_cutoffs)):
        if value is not None:
            raise DataValidationError(f"{name} cannot be used with discrete=True", field=name)
    ids, st = encode_classes(y, None, "y")
    kk = st.size
    if kk < 2:
        raise DataValidationError("y holds only 1 distinct class", field="y")
    if m is not None and m != kk:
        raise DataValidationError(
            f"with discrete=True the lag classes are the {kk} classes of y, got m={m}",
            field="m",
        )
    W = _row_standardised(w, ids.shape[0])
    lag_ids = _categorical_lag(W, ids, kk)
    return _LagClasses(ids, lag_ids, kk, kk, None, None, None, "categorical", "discrete", st)


def _continuous_lag_classes(
    y, w, k, m: int | None, cutoffs, lag_cutoffs, lag_cutoff_mode, cutoff_scope, ties
) -> _LagClasses:
    """Continuous y: classes of y, its spatial lag W y and the lag's classes."""
    A = as_panel(y, "y")
    W = _row_standardised(w, A.shape[0])
    kk = _check_k(k) if cutoffs is None else k
    ids, cut, kk = classify(A, kk, cutoffs, cutoff_scope, ties, what="y", cutoff_name="cutoffs")
    lag = np.asarray(W @ A)
    scope = "cutoffs" if cutoffs is not None else cutoff_scope
    if lag_cutoffs is not None:
        if lag_cutoff_mode == "same":
            raise DataValidationError(
                "lag_cutoffs and lag_cutoff_mode='same' exclude each other", field="lag_cutoffs"
            )
        lag_ids, lag_cut, mm = classify(
            lag,
            2,
            lag_cutoffs,
            "pooled",
            ties,
            what="the spatial lag",
            cutoff_name="lag_cutoffs",
        )
        if m is not None and m != mm:
            raise DataValidationError(f"m={m} but lag_cutoffs define {mm} lag classes", field="m")
        mode = "cutoffs"
    elif lag_cutoff_mode == "same":
        if m is not None and m != kk:
            raise DataValidationError(
                f"lag_cutoff_mode='same' gives m = k = {kk} lag classes, got m={m}", field="m"
            )
        lag_cut, mm = cut, kk
        if cut.ndim == 1:
            lag_ids = np.searchsorted(cut, lag, side="left")
        else:
            lag_ids = np.column_stack(
                [np.searchsorted(cut[j], lag[:, j], side="left") for j in range(lag.shape[1])]
            )
        lag_ids = lag_ids.astype(np.intp)
        mode = "same"
    else:
        mm = kk if m is None else m
        lag_ids, lag_cut, mm = classify(
            lag, mm, None, cutoff_scope, ties, what="the spatial lag", cutoff_name="lag_cutoffs"
        )
        mode = "quantile"
    return _LagClasses(ids, lag_ids, kk, mm, cut, lag_cut, lag, mode, scope, None)


def _spatial_markov_result(
    T: np.ndarray, classes: _LagClasses, fill_empty_classes: bool, labels, lag_labels
) -> SpatialMarkovResult:
    """Conditional and pooled chains, their steady states and the homogeneity tests."""
    kk, st = classes.k, classes.states
    P = _probabilities(T, fill_empty_classes)
    pooled = T.sum(axis=0)
    p, s, _, _ = _chain(pooled, fill_empty_classes)
    S_all = tuple(steady_states(Pl) for Pl in P)
    S = np.stack([Sl[0] if Sl.shape[0] == 1 else np.full(kk, np.nan) for Sl in S_all])
    h = homogeneity(T)
    return SpatialMarkovResult(
        P=P,
        T=T,
        p=p,
        transitions=pooled,
        s=s,
        S=S,
        S_all=S_all,
        Q=h.Q,
        Q_p_value=h.Q_p_value,
        LR=h.LR,
        LR_p_value=h.LR_p_value,
        dof=h.dof,
        classes=classes.ids,
        lag_classes=classes.lag_ids,
        lag=classes.lag,
        cutoffs=classes.cutoffs,
        lag_cutoffs=classes.lag_cutoffs,
        labels=class_labels(labels, kk, st),
        lag_labels=class_labels(lag_labels, classes.m, st, "lag_labels"),
        lag_cutoff_mode=classes.lag_cutoff_mode,
        cutoff_scope=classes.cutoff_scope,
        fill_empty_classes=bool(fill_empty_classes),
    )
