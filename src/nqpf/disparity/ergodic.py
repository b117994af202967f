"""Long-run summaries of a Markov chain: steady states and mean first passage times.

As giddy keeps them in ``ergodic.py`` beside its estimators: :func:`steady_states` (one
stationary distribution per recurrent class), :func:`mfpt` and :func:`sojourn_time` take
a transition matrix, whatever estimated it.  :func:`fill_empty_rows` and :func:`recurrent_classes` also serve
the estimators in :mod:`nqpf.disparity.markov`.

Examples
--------
>>> steady_states([[0.9, 0.1], [0.5, 0.5]]).round(6)
array([[0.833333, 0.166667]])
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from nqpf.exceptions import DataValidationError

__all__ = ["mfpt", "sojourn_time", "steady_states"]


def fill_empty_rows(P: np.ndarray) -> np.ndarray:
    """A float copy of ``P`` (…, k, k) with 1 on the diagonal of every all-zero row.

    A class with no observed transitions becomes absorbing, as giddy's
    ``fill_empty_classes=True`` makes it.
    """
    P = np.array(P, dtype=np.float64)
    idx = np.arange(P.shape[-1])
    P[..., idx, idx] += P.sum(axis=-1) == 0
    return P


def _as_stochastic(p) -> np.ndarray:
    P = np.asarray(p, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] < 1:
        raise DataValidationError(
            f"p must be a square (k, k) matrix, got shape {P.shape}", field="p"
        )
    if not np.isfinite(P).all() or (P < 0).any():
        raise DataValidationError("p must hold finite, non-negative probabilities", field="p")
    sums = P.sum(axis=1)
    bad = (np.abs(sums - 1) > 1e-8) & (sums != 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"row {i} of p sums to {sums[i]:.10g}; rows must sum to 1 (or 0 for an empty class)",
            field="p",
        )
    return fill_empty_rows(P)


def recurrent_classes(P: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Closed communicating classes of a stochastic matrix, ordered by smallest state."""
    graph = sparse.csr_array(P > 0)
    ncomp, comp = connected_components(graph, directed=True, connection="strong")
    src, dst = graph.nonzero()
    leaks = np.zeros(ncomp, dtype=bool)
    leaks[comp[src][comp[src] != comp[dst]]] = True
    out = [tuple(np.flatnonzero(comp == c).tolist()) for c in range(ncomp) if not leaks[c]]
    return tuple(sorted(out))


def _stationary_irreducible(P: np.ndarray) -> np.ndarray:
    """π with πP = π, Σπ = 1 for an irreducible P: (Pᵀ − I)π = 0 with one row → sum."""
    k = P.shape[0]
    A = P.T - np.eye(k)
    A[-1] = 1.0
    b = np.zeros(k)
    b[-1] = 1.0
    pi = np.linalg.solve(A, b)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def steady_states(p) -> np.ndarray:
    """Stationary distributions of a transition matrix, one row per recurrent class.

    Parameters
    ----------
    p : array_like, shape (k, k)
        Transition probabilities; rows sum to 1, or to 0 for a class with no observed
        transitions.  Such empty rows are treated as absorbing (1 on the diagonal), as
        giddy's ``Markov.steady_state`` does.

    Returns
    -------
    ndarray, shape (r, k)
        For each recurrent (closed communicating) class, ordered by its smallest state,
        the stationary distribution that lives on it: πP = π, Σπ = 1, zero outside the
        class.  An ergodic chain (r = 1) has exactly one row, the unique steady state;
        with r > 1 the long-run distribution depends on the initial one and every convex
        combination of the rows is stationary.

    Notes
    -----
    Each row solves (P_Cᵀ − I) π_C = 0 with Σ π_C = 1 on the recurrent class C, a
    non-singular linear system once one equation is replaced by the sum constraint, which
    is more robust than picking an eigenvector of eigenvalue 1 numerically.

    Examples
    --------
    >>> steady_states([[0.5, 0.5, 0], [0.2, 0.8, 0], [0, 0, 1]]).round(8)
    array([[0.28571429, 0.71428571, 0.        ],
           [0.        , 0.        , 1.        ]])
    """
    P = _as_stochastic(p)
    k = P.shape[0]
    rec = recurrent_classes(P)
    out = np.zeros((len(rec), k))
    for r, cls in enumerate(rec):
        idx = np.asarray(cls)
        out[r, idx] = _stationary_irreducible(P[np.ix_(idx, idx)])
    return out


def mfpt(p) -> np.ndarray:
    """Mean first passage times m_ij: expected steps from state i to first reach j.

    Parameters
    ----------
    p : array_like, shape (k, k)
        Transition probabilities; empty rows are treated as absorbing (giddy's
        ``Markov.mfpt`` does the same through ``fill_empty_classes=True``).

    Returns
    -------
    ndarray, shape (k, k)
        Off the diagonal, the mean first passage time from i to j; on the diagonal, the
        mean recurrence time of j (= 1 / π_j for an ergodic chain).  An entry is ``inf``
        when the chain started in i does not reach j with probability 1 (j in another
        recurrent class, or reachable only on some paths); for an ergodic chain every
        entry is finite.

    Notes
    -----
    For each target j, m_ij (i ≠ j) solves m_i = 1 + Σ_{l ≠ j} p_il m_l on the set of
    states from which j is reached almost surely, and m_jj = 1 + Σ_{l ≠ j} p_jl m_lj.
    On an ergodic chain this equals the Kemeny & Snell (1976) fundamental-matrix formula
    M = (I − Z + E Z_dg) D used by giddy's ``mfpt``.

    Examples
    --------
    Land of Oz (Kemeny & Snell 1976, p. 218; giddy's docstring):

    >>> mfpt([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0.25, 0.25, 0.5]]).round(8)
    array([[2.5       , 4.        , 3.33333333],
           [2.66666667, 5.        , 2.66666667],
           [3.33333333, 4.        , 2.5       ]])
    """
    P = _as_stochastic(p)
    k = P.shape[0]
    pos = P > 0
    M = np.full((k, k), np.inf)
    for j in range(k):
        # states that can reach j (reverse breadth-first search)
        reach = np.zeros(k, dtype=bool)
        reach[j] = True
        frontier = reach.copy()
        while frontier.any():
            new = pos[:, frontier].any(axis=1) & ~reach
            reach |= new
            frontier = new
        # keep only states from which every path stays among states that reach j
        sure = reach.copy()
        while True:
            drop = sure & (pos & ~sure[None, :]).any(axis=1)
            drop[j] = False
            if not drop.any():
                break
            sure &= ~drop
        S = np.flatnonzero(sure & (np.arange(k) != j))
        if S.size:
            A = np.eye(S.size) - P[np.ix_(S, S)]
            M[S, j] = np.linalg.solve(A, np.ones(S.size))
        others = np.arange(k) != j
        leave = P[j, others]
        mj = M[others, j]
        if (leave[np.isinf(mj)] > 0).any():
            M[j, j] = np.inf
        else:
            M[j, j] = 1.0 + float(leave[np.isfinite(mj)] @ mj[np.isfinite(mj)])
    return M


def sojourn_time(p) -> np.ndarray:
    """Expected number of periods a chain stays in each state once it has entered it.

    Parameters
    ----------
    p : array_like, shape (k, k)
        Transition probabilities; empty rows are treated as absorbing (1 on the
        diagonal), as giddy's ``sojourn_time`` fills them.

    Returns
    -------
    ndarray, shape (k,)
        s_i = 1 / (1 − p_ii); ``inf`` for an absorbing state (p_ii = 1).

    Notes
    -----
    The number of periods spent in state i before leaving it is geometric with success
    probability 1 − p_ii, whose mean is 1/(1 − p_ii) (Ibe 2009, ch. 4).  It is the
    reciprocal of Prais' (1955) immobility complement: s_i = 1 / prais_i (see
    :func:`nqpf.disparity.mobility.prais`).  Same numbers as giddy's ``sojourn_time``
    (which also prints a message for absorbing states; nqpf does not print).

    References
    ----------
    Ibe, O. C. (2009). *Markov Processes for Stochastic Modeling*. Academic Press.
    Rey, S. J., Kang, W. & Wolf, L. (2016). giddy: ``giddy.markov.sojourn_time``.

    Examples
    --------
    giddy's docstring and tests:

    >>> sojourn_time([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0.25, 0.25, 0.5]])
    array([2., 1., 2.])
    >>> sojourn_time([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0, 0, 0]])
    array([ 2.,  1., inf])
    """
    pii = np.diagonal(_as_stochastic(p)).copy()
    out = np.full(pii.shape, np.inf)
    moving = pii < 1.0
    out[moving] = 1.0 / (1.0 - pii[moving])
    return out
