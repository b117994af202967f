"""The spatial lag of a panel and its classes, with the rules that break ties.

The spatial Markov chain (:func:`nqpf.disparity.markov.spatial_markov`) conditions every
transition on the class of the unit's spatial lag at its start.  This module forms that
class: the lag W y of continuous data cut at lag cutoffs (quantiles of the lag, y's own
cutoffs, or the user's), or the weighted most common class among the neighbours of
discrete data (libpysal ``lag_categorical``) — and decides what happens when the class is
not unique:

- a continuous lag on a class boundary (within a relative 1e-12 of a cutoff) lies between
  the class below and the class above;
- a categorical lag whose largest neighbour weight is shared by several classes.

Tie rules (``lag_ties``; see :data:`LAG_TIES`):

``"fractional"`` (default)
    The transition counts 1/c in each of the c tied lag classes — the expectation of a
    uniform random choice, without its noise, so no lag class gains transitions from the
    tie.  For the categorical lag the unit's own class is added first (giddy's
    ``tryself``), so ``"fractional"`` is the expectation of ``"tryself"``.
``"tryself"``
    giddy / libpysal ``lag_categorical(ties="tryself")``: add the unit's own class with the
    mean neighbour weight; if a tie remains, draw one of the tied classes uniformly from
    ``rng``.  For a continuous lag there is no vote to add the unit to, so it is
    ``"random"``.
``"random"``
    Draw one of the tied classes uniformly from ``rng`` (libpysal ``ties="random"``; no
    own-class step).
``"lowest"``
    The lowest tied class, after the own-class step for the categorical lag; for a
    continuous lag the closed-right class (a lag equal to a cutoff goes to the class
    below, as mapclassify and giddy classify it).  nqpf's only rule before issue 15: it
    piles the tied transitions into the lower classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from nqpf.disparity._validation import as_panel
from nqpf.disparity.classify import check_k, classify, encode_classes
from nqpf.disparity.weights import as_weights
from nqpf.exceptions import DataValidationError

__all__ = [
    "LAG_TIES",
    "LagClasses",
    "categorical_candidates",
    "continuous_lag_classes",
    "discrete_lag_classes",
    "row_standardized",
]

#: The tie rules of the lag class, default first.
LAG_TIES = ("fractional", "tryself", "random", "lowest")
#: Relative tolerance for "on a cutoff" and "as heavy as the heaviest class".
TIE_RTOL = 1e-12


def row_standardized(w, n: int) -> sparse.csr_array:
    """``w`` (any form :func:`~nqpf.disparity.weights.as_weights` takes) as a
    row-standardised CSR matrix, checked against n units.

    Rows that already sum to 1 within 1e-12 are kept bit for bit (so a libpysal ``W`` with
    ``transform="r"`` gives giddy's lag exactly); w_ii ≠ 0 is accepted, as giddy does;
    an island (row sum 0) is an error naming the unit.
    """
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
        return W
    return sparse.csr_array(sparse.diags_array(1.0 / rs) @ W)


@dataclass(frozen=True)
class LagClasses:
    """Classes of y and of its spatial lag, how they were formed and where they tied.

    Attributes
    ----------
    ids, lag_ids : ndarray of intp, shape (n, t)
        Class of y and of its lag.  Where the lag tied, ``lag_ids`` holds the class the
        rule chose, and for ``"fractional"`` the lowest tied class.
    k, m : int
        Numbers of classes of y and of the lag.
    cutoffs, lag_cutoffs, lag, lag_cutoff_mode, cutoff_scope, states
        How the classes were formed (see :class:`~nqpf.disparity.markov.SpatialMarkovResult`).
    ties : str
        The tie rule (one of :data:`LAG_TIES`).
    tied : ndarray of bool, shape (n, t)
        Unit-periods whose lag class was left tied by the rule's deterministic step
        (a boundary value, or several equally heavy classes after ``tryself``).
    candidates : ndarray of bool, shape (tied.sum(), m)
        The tied classes of each of those unit-periods, in row-major (unit, period) order.
    """

    ids: np.ndarray
    lag_ids: np.ndarray
    k: int
    m: int
    cutoffs: np.ndarray | None
    lag_cutoffs: np.ndarray | None
    lag: np.ndarray | None
    lag_cutoff_mode: str
    cutoff_scope: str
    states: np.ndarray | None
    ties: str
    tied: np.ndarray
    candidates: np.ndarray

    def membership(self) -> np.ndarray:
        """Share of every unit-period in every lag class, (n, t, m): 1 in its class, or
        1/c in each of c tied classes under ``"fractional"``."""
        n, t = self.lag_ids.shape
        M = np.zeros((n, t, self.m))
        M[np.arange(n)[:, None], np.arange(t)[None, :], self.lag_ids] = 1.0
        if self.ties == "fractional" and self.candidates.shape[0]:
            M[self.tied] = self.candidates / self.candidates.sum(axis=1, keepdims=True)
        return M

    def counts(self) -> np.ndarray:
        """Transition counts (m, k, k) by lag class at the start of the transition.

        Integers, except under ``"fractional"``, where a tied transition adds 1/c to each
        of its c candidate lag classes (float counts).
        """
        k, m = self.k, self.m
        a = self.ids[:, :-1].ravel()
        b = self.ids[:, 1:].ravel()
        c = self.lag_ids[:, :-1].ravel()
        if self.ties != "fractional":
            return np.bincount((c * k + a) * k + b, minlength=m * k * k).reshape(m, k, k)
        split = self.tied[:, :-1].ravel()
        whole = np.bincount(((c * k + a) * k + b)[~split], minlength=m * k * k).astype(np.float64)
        if split.any():
            # rows of `candidates` that start a transition (the last period starts none)
            starts = self.tied.copy()
            starts[:, -1] = False
            cand = self.candidates[starts[self.tied]]
            share = 1.0 / cand.sum(axis=1)
            cell, cls = np.nonzero(cand)
            ab = (a[split] * k + b[split])[cell]
            whole += np.bincount(cls * k * k + ab, weights=share[cell], minlength=m * k * k)
        return whole.reshape(m, k, k)


def _choose(candidates: np.ndarray, ties: str, rng: np.random.Generator | None) -> np.ndarray:
    """One class per row of a (r, m) boolean candidate matrix under the rule ``ties``."""
    if not candidates.shape[0]:
        return np.zeros(0, dtype=np.intp)
    first = np.argmax(candidates, axis=1)
    if ties in ("lowest", "fractional"):
        return first
    count = candidates.sum(axis=1)
    pick = np.minimum((rng.random(count.shape[0]) * count).astype(np.intp), count - 1)
    rank = np.cumsum(candidates, axis=1) - 1  # position of each candidate among its row's
    return np.argmax(candidates & (rank == pick[:, None]), axis=1)


def categorical_candidates(
    W: sparse.csr_array, ids: np.ndarray, k: int, tryself: bool
) -> np.ndarray:
    """Classes tied for the weighted most common class among the neighbours, (n, t, k).

    The tally of unit i in period j is Σ_{neighbours h} w_ih [class of h = c]; classes
    within a relative 1e-12 of the largest tally tie.  With ``tryself`` a unit whose top
    is tied adds its own class with the mean weight of its neighbours and the top is
    taken again (libpysal ``lag_categorical(ties="tryself")`` before its random draw).
    """
    n, t = ids.shape
    nnz = np.diff(W.indptr)
    mean_w = np.asarray(W.sum(axis=1)).ravel() / np.maximum(nnz, 1)
    out = np.empty((n, t, k), dtype=bool)
    rows = np.arange(n)
    for j in range(t):
        onehot = np.zeros((n, k))
        onehot[rows, ids[:, j]] = 1.0
        tally = np.asarray(W @ onehot)
        top = tally.max(axis=1, keepdims=True)
        top_set = tally >= top - TIE_RTOL * top
        if tryself:
            tied = top_set.sum(axis=1) > 1
            tally[rows[tied], ids[tied, j]] += mean_w[tied]
            top = tally.max(axis=1, keepdims=True)
            top_set = tally >= top - TIE_RTOL * top
        out[:, j] = top_set
    return out


def _resolve(
    candidates_all: np.ndarray, ties: str, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lag_ids, tied, candidates of the tied cells) from (n, t, m) candidate sets."""
    tied = candidates_all.sum(axis=2) > 1
    lag_ids = np.argmax(candidates_all, axis=2).astype(np.intp)
    cand = candidates_all[tied]
    lag_ids[tied] = _choose(cand, ties, rng)
    return lag_ids, tied, cand


def discrete_lag_classes(y, w, m: int | None, cutoffs, lag_cutoffs, ties: str, rng) -> LagClasses:
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
    W = row_standardized(w, ids.shape[0])
    cand = categorical_candidates(W, ids, kk, tryself=ties != "random")
    lag_ids, tied, tie_sets = _resolve(cand, ties, rng)
    return LagClasses(
        ids, lag_ids, kk, kk, None, None, None, "categorical", "discrete", st, ties, tied, tie_sets
    )


def _boundary_candidates(lag: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """(n, t, m) candidate classes of a continuous lag: its class, or the two classes
    either side of a cutoff it lies on (within a relative :data:`TIE_RTOL`).

    Cutoffs are upper bounds (closed right), so the class of v is #(cutoffs < v); a value
    on cutoff c lies between the class that ends at c and the class that starts at c
    (coinciding per-period cutoffs leave empty classes between them, which are skipped).
    """
    n, t = lag.shape
    m = cut.shape[-1] + 1
    lo = np.empty((n, t), dtype=np.intp)
    hi = np.empty((n, t), dtype=np.intp)
    for j in range(t):
        c = cut if cut.ndim == 1 else cut[j]
        band = TIE_RTOL * np.abs(c)
        lo[:, j] = np.searchsorted(c + band, lag[:, j], side="left")
        hi[:, j] = np.searchsorted(c - band, lag[:, j], side="right")
    out = np.zeros((n, t, m), dtype=bool)
    ii, jj = np.indices((n, t))
    out[ii, jj, lo] = True
    out[ii, jj, hi] = True
    return out


def continuous_lag_classes(
    y,
    w,
    k,
    m: int | None,
    cutoffs,
    lag_cutoffs,
    lag_cutoff_mode: str,
    cutoff_scope: str,
    quantile_ties: str,
    ties: str,
    rng,
) -> LagClasses:
    """Continuous y: classes of y, its spatial lag W y and the lag's classes."""
    A = as_panel(y, "y")
    W = row_standardized(w, A.shape[0])
    kk = check_k(k) if cutoffs is None else k
    ids, cut, kk = classify(
        A, kk, cutoffs, cutoff_scope, quantile_ties, what="y", cutoff_name="cutoffs"
    )
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
            quantile_ties,
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
            lag,
            mm,
            None,
            cutoff_scope,
            quantile_ties,
            what="the spatial lag",
            cutoff_name="lag_cutoffs",
        )
        mode = "quantile"
    cand = _boundary_candidates(lag, lag_cut)
    tied = cand.sum(axis=2) > 1
    tie_sets = cand[tied]
    if ties != "lowest":  # "lowest" keeps the closed-right class of every value
        lag_ids = lag_ids.copy()
        lag_ids[tied] = _choose(tie_sets, ties, rng)
    return LagClasses(
        ids, lag_ids, kk, mm, cut, lag_cut, lag, mode, scope, None, ties, tied, tie_sets
    )
