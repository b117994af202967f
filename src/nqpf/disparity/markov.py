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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.disparity._validation import as_panel, check_choice
from nqpf.disparity.classify import LABELS_4 as LABELS_4  # its old home: keep the import path
from nqpf.disparity.classify import (
    check_k,
    class_labels,
    classify,
    default_labels,
    encode_classes,
)
from nqpf.disparity.crand import as_rng
from nqpf.disparity.ergodic import (
    fill_empty_rows,
    mfpt,
    recurrent_classes,
    sojourn_time,
    steady_states,
)
from nqpf.disparity.mobility import MobilityResult, mobility
from nqpf.disparity.spatial_lag import (
    LAG_TIES,
    LagClasses,
    continuous_lag_classes,
    discrete_lag_classes,
)
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


def _counts(ids: np.ndarray, k: int) -> np.ndarray:
    """Transition counts (k, k) of class ids (n, t), pooled over t → t + 1 (the counts by
    lag class are :meth:`~nqpf.disparity.spatial_lag.LagClasses.counts`)."""
    a = ids[:, :-1].ravel()
    b = ids[:, 1:].ravel()
    return np.bincount(a * k + b, minlength=k * k).reshape(k, k)


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

    def sojourn_time(self) -> np.ndarray:
        """Expected stay 1/(1 − p_ii) in each class (k,); see
        :func:`~nqpf.disparity.ergodic.sojourn_time` (giddy ``Markov.sojourn_time``)."""
        return sojourn_time(self.p)

    def mobility(self, initial=None) -> MobilityResult:
        """Prais, Shorrocks, Bartholomew … indices of ``p``; see
        :func:`~nqpf.disparity.mobility.mobility` (``initial="observed"`` uses the
        first-period class shares, default uniform as giddy)."""
        if isinstance(initial, str) and initial == "observed":
            initial = self.initial
        return mobility(self.p, initial, labels=self.labels)

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
        kk = check_k(k) if cutoffs is None else k
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
        Degrees of freedom corrected for empty cells (see ``dof_convention``).
    p_pooled : ndarray, shape (k, k)
        Transition probabilities under H0 (all regimes pooled).
    dof_convention : {"observed", "giddy"}
        How a class without transitions counted in ``dof`` (see :func:`homogeneity`).
    """

    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    p_pooled: np.ndarray
    dof_convention: str = "observed"

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


def homogeneity(T, *, dof_convention: str = "observed") -> HomogeneityResult:
    """Test that m regime-specific transition matrices share one law (Bickenbach & Bode 2003).

    Parameters
    ----------
    T : array_like, shape (m, k, k)
        Transition counts n_ab(l) for each regime l (spatial lag class, region …); they
        may be fractional (``spatial_markov(lag_ties="fractional")``).
    dof_convention : {"observed", "giddy"}, default "observed"
        Degrees of freedom of a class a with no transitions in any regime (a pooled row
        of zeros).  ``"observed"`` (nqpf): it adds nothing — it has no free parameter
        under either hypothesis and no term in Q or LR.  ``"giddy"``: it adds
        (0 − 1)(0 − 1) = 1, as giddy's ``Homogeneity_Results.dof`` (its formula applied to
        every row).  The two differ only when such a class exists.

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
    numbers).  The sum in dof runs over the observed classes (n_a > 0); with
    ``dof_convention="giddy"`` it runs over all k classes, so each empty class adds
    (0 − 1)(0 − 1) = 1 and Q, LR and dof equal giddy's in every case.  Both statistics
    are referred to χ²(dof); with dof = 0 the p-values are NaN.

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
    from scipy import stats  # here, not at import (0.4 s)

    check_choice(dof_convention, "dof_convention", ("observed", "giddy"))
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
    terms = (A - 1) * (B - 1)
    dof = int(terms.sum() if dof_convention == "giddy" else terms[n_a > 0].sum())
    if dof > 0:
        qp, lp = float(stats.chi2.sf(Q, dof)), float(stats.chi2.sf(LR, dof))
    else:
        qp = lp = float("nan")
    return HomogeneityResult(Q, qp, LR, lp, dof, p, dof_convention)


# --------------------------------------------------------------------------------------
# spatial Markov chain
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SpatialMarkovResult(Result):
    """Markov chains conditioned on the class of the spatial lag (Rey 2001).

    Attributes
    ----------
    P : ndarray, shape (m, k, k)
        Transition probabilities given lag class l at the start of the transition.
    T : ndarray, shape (m, k, k)
        Transition counts per lag class: integers, or floats with
        ``lag_ties="fractional"`` (a transition whose lag class tied counts 1/c in each of
        its c tied classes).
    p : ndarray, shape (k, k)
        Pooled (aspatial) transition probabilities.
    transitions : ndarray of int, shape (k, k)
        Pooled counts (T.sum(axis=0), as integers: pooling does not depend on the lag).
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
        Class of each unit's value and of its spatial lag.  Where the lag class tied
        (``lag_tied``), ``lag_classes`` holds the class the tie rule chose — for
        ``"fractional"`` the lowest tied class, while ``T`` splits the transition.
    lag_tied : ndarray of bool, shape (n, t)
        Unit-periods whose lag class was tied after the rule's deterministic step.
    lag_tie_classes : ndarray of bool, shape (lag_tied.sum(), m)
        The tied lag classes of each of those unit-periods (row-major order).
    lag_ties : str
        The tie rule used (see :func:`spatial_markov`).
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
    lag_ties: str = "fractional"
    lag_tied: np.ndarray | None = field(default=None, repr=False)
    lag_tie_classes: np.ndarray | None = field(default=None, repr=False)
    dof_convention: str = "observed"

    @property
    def k(self) -> int:
        """Number of classes of y."""
        return self.P.shape[1]

    def lag_membership(self) -> np.ndarray:
        """Share of every unit-period in every lag class, (n, t, m): 1 in its lag class,
        or 1/c in each of c tied classes under ``lag_ties="fractional"``.

        ``T[l, a, b]`` is the sum of the shares in l of the unit-periods that move from
        a to b.
        """
        n, t = self.lag_classes.shape
        M = np.zeros((n, t, self.m))
        M[np.arange(n)[:, None], np.arange(t)[None, :], self.lag_classes] = 1.0
        if self.lag_ties == "fractional" and self.lag_tied is not None and self.lag_tied.any():
            c = self.lag_tie_classes
            M[self.lag_tied] = c / c.sum(axis=1, keepdims=True)
        return M

    @property
    def m(self) -> int:
        """Number of lag classes."""
        return self.P.shape[0]

    def F(self) -> np.ndarray:
        """Mean first passage times of each conditional chain, (m, k, k); see :func:`mfpt`."""
        return np.stack([mfpt(P) for P in self.P])

    def sojourn_time(self) -> np.ndarray:
        """Expected stay in each class under each lag class, (m, k): 1/(1 − P[l]_ii)."""
        return np.stack([sojourn_time(P) for P in self.P])

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
        tied = 0 if self.lag_tied is None else int(self.lag_tied.sum())
        rows.append(("邻域类型并列 (单元-时期)", f"{tied} ({self.lag_ties})"))
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
        if tied and self.lag_ties == "fractional":
            notes.append(
                f"{tied} 个单元-时期的邻域类型并列, 其转移按 1/c 分摊到并列的 c 个邻域类型"
            )
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
    lag_ties: str = "fractional",
    rng=None,
    fill_empty_classes: bool = False,
    discrete: bool = False,
    dof_convention: str = "observed",
    labels: Sequence[str] | None = None,
    lag_labels: Sequence[str] | None = None,
) -> SpatialMarkovResult:
    """Spatial Markov chain: transitions conditioned on the neighbours' class (Rey 2001).

    Parameters
    ----------
    y : array_like, shape (n units, t periods)
        Continuous values (or classes with ``discrete=True``), rows in the unit order of
        ``w``, t >= 2.
    w : SpatialWeights, array_like, scipy.sparse matrix, libpysal ``W``, mapping or list
        Spatial weights in any form :func:`~nqpf.disparity.weights.as_weights` accepts
        (a dense n × n array, a sparse matrix, a libpysal ``W``, ``{id: [neighbours]}``,
        a list of neighbour lists), converted once.  Row ``i`` holds unit ``i``'s
        neighbours, in the row order of ``y``.  It is row-standardised here whatever its
        transformation (rows already summing to 1 within 1e-12 are used as given, so a
        libpysal ``W`` with ``transform = "r"`` gives giddy's lag bit for bit); negative
        weights are an error, and so is a unit with no neighbour (an island, row sum 0:
        its lag is undefined), naming the unit.
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
        Coinciding quantile cutoffs of y or of the lag; see :func:`markov`.  (How a unit
        whose *lag class* ties is counted is ``lag_ties``.)
    lag_ties : {"fractional", "tryself", "random", "lowest"}, default "fractional"
        What a transition does when its lag class is not unique — a continuous lag on a
        class boundary, or several equally heavy neighbour classes of a discrete y:

        - ``"fractional"`` (default): it counts 1/c in each of the c tied lag classes
          (after the own-class step for discrete y), so ``T`` holds fractions.  The
          expectation of a random tie-break, deterministic, and no lag class is favoured.
        - ``"tryself"``: giddy's rule (libpysal ``lag_categorical(ties="tryself")``): the
          unit's own class joins its neighbours with their mean weight; a remaining tie
          is drawn uniformly from ``rng``.  For a continuous lag it is ``"random"``.
        - ``"random"``: a uniform draw from ``rng`` among the tied classes (libpysal
          ``ties="random"``, no own-class step).
        - ``"lowest"``: the lowest tied class (after the own-class step), and for a
          continuous lag the closed-right class: nqpf's behaviour before this option
          existed, biased towards the lower lag classes.
    rng : numpy.random.Generator, int or None
        Source of the draws of ``"tryself"`` and ``"random"`` (seed it for reproducible
        classes); unused by the other rules.
    fill_empty_classes : bool, default False
        Put 1 on the diagonal of empty rows of every P[l] and of ``p`` (giddy).
    discrete : bool, default False
        ``y`` already holds classes; the lag class is then the weighted most common
        class among the neighbours (giddy ``discrete=True``), and m = k.
    dof_convention : {"observed", "giddy"}, default "observed"
        Degrees of freedom of the homogeneity tests when a class has no transitions; see
        :func:`homogeneity`.
    labels, lag_labels : sequence of str, optional
        Names of the classes and lag classes; see :func:`default_labels`.

    Returns
    -------
    SpatialMarkovResult

    Notes
    -----
    L_it = Σ_j w_ij y_jt with row-standardised W.  A transition of unit i from t to
    t + 1 is counted in the matrix of the lag class of L_it (the lag at the start).
    Lag classes follow the same rule as y — upper bounds inclusive — so a lag equal to a
    cutoff c (within a relative 1e-12) lies between the class that ends at c and the one
    that starts at c: a tie, resolved by ``lag_ties``.

    With ``discrete=True`` the categorical lag is the class with the largest total weight
    among the neighbours; classes within a relative 1e-12 of it tie.  giddy (through
    libpysal's ``lag_categorical``) adds the unit's own class with the mean neighbour
    weight and draws among the classes still tied with ``numpy.random`` (unseeded).  On
    giddy's own discrete example (US incomes 1929–2009 in quintiles, states48.gal) 524 of
    the 3,888 unit-periods stay tied after that step; taking the lowest of them, as nqpf
    did, inflates the transitions counted in lag class 0 relative to an unbiased rule
    (see tests/disparity/test_spatial_markov_ties.py).  ``"fractional"`` counts each tied
    transition by its expected share, the expectation over giddy's draws, so
    ``T_fractional = E[T_tryself]``.  With fractional counts P = T / row sums and the
    Q and LR statistics are computed exactly as with integer counts.

    The homogeneity statistics are those of :func:`homogeneity` on ``T``; with
    ``dof_convention="observed"`` dof differs from giddy's ``dof_hom`` only when a class
    has no transitions at all (giddy adds 1 for each such class; pass ``"giddy"`` for its
    count).  Steady states treat empty rows as absorbing; giddy raises for them unless
    ``fill_empty_classes=True``.

    References
    ----------
    Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
    *Geographical Analysis* 33(3): 195–214.
    Bickenbach, F. & Bode, E. (2003). *International Regional Science Review* 26(3).
    Rey, S. J., Kang, W. & Wolf, L. (2016). The properties of tests for spatial effects in
    discrete Markov chain models of regional income distribution dynamics. *Journal of
    Geographical Systems* 18: 377–398 (giddy; the categorical lag and its tie rule).

    Examples
    --------
    Four units on a line, three periods, classes cut at 1.5 and 2.5, and the neighbours'
    mean judged with the same cutoffs.  Three lags fall on a cutoff; the one that starts
    a transition is unit 2's in period 1, (2 + 3)/2 = 2.5, between lag classes 1 and 2
    (0-based), so its move from class 2 to class 1 counts ½ in each:

    >>> y = [[1, 1, 1], [1, 2, 2], [3, 3, 2], [3, 3, 3]]
    >>> w = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    >>> sm = spatial_markov(y, w, cutoffs=[1.5, 2.5], lag_cutoff_mode="same")
    >>> sm.lag.tolist()
    [[1.0, 2.0, 2.0], [2.0, 2.0, 1.5], [2.0, 2.5, 2.5], [3.0, 3.0, 2.0]]
    >>> sm.lag_tied.nonzero()
    (array([1, 2, 2]), array([2, 1, 2]))
    >>> sm.T[1, 2].tolist(), sm.T[2, 2].tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.5, 2.0])

    nqpf's earlier rule, kept as ``lag_ties="lowest"``, gave the whole move to class 1:

    >>> low = spatial_markov(y, w, cutoffs=[1.5, 2.5], lag_cutoff_mode="same", lag_ties="lowest")
    >>> low.T[1, 2].tolist(), low.T[2, 2].tolist()
    ([0, 1, 1], [0, 0, 2])
    >>> sm.to_frame().columns.tolist()
    ['邻域类型', '初始类型', 'n', '1', '2', '3']
    """
    check_choice(lag_cutoff_mode, "lag_cutoff_mode", ("quantile", "same"))
    check_choice(cutoff_scope, "cutoff_scope", ("pooled", "per_period"))
    check_choice(ties, "ties", ("error", "merge"))
    check_choice(lag_ties, "lag_ties", LAG_TIES)
    check_choice(dof_convention, "dof_convention", ("observed", "giddy"))
    gen = as_rng(rng)
    if m is not None:
        m = check_k(m, "m")
    if discrete:
        classes = discrete_lag_classes(y, w, m, cutoffs, lag_cutoffs, lag_ties, gen)
    else:
        classes = continuous_lag_classes(
            y, w, k, m, cutoffs, lag_cutoffs, lag_cutoff_mode, cutoff_scope, ties, lag_ties, gen
        )
    return _spatial_markov_result(classes, fill_empty_classes, labels, lag_labels, dof_convention)


def _spatial_markov_result(
    classes: LagClasses, fill_empty_classes: bool, labels, lag_labels, dof_convention: str
) -> SpatialMarkovResult:
    """Conditional and pooled chains, their steady states and the homogeneity tests."""
    kk, st = classes.k, classes.states
    T = classes.counts()
    P = _probabilities(T, fill_empty_classes)
    pooled = _counts(classes.ids, kk)
    p, s, _, _ = _chain(pooled, fill_empty_classes)
    S_all = tuple(steady_states(Pl) for Pl in P)
    S = np.stack([Sl[0] if Sl.shape[0] == 1 else np.full(kk, np.nan) for Sl in S_all])
    h = homogeneity(T, dof_convention=dof_convention)
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
        lag_ties=classes.ties,
        lag_tied=classes.tied,
        lag_tie_classes=classes.candidates,
        dof_convention=dof_convention,
    )
