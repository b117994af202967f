"""Mobility indices of a Markov transition matrix (Prais, Shorrocks, Bartholomew …).

How much do regions change class?  Given a transition matrix P (k × k) — from
:func:`~nqpf.disparity.markov.markov`, a lag class of
:func:`~nqpf.disparity.markov.spatial_markov`, or any other estimate — these summarise
its mobility, as giddy's ``prais`` and ``markov_mobility`` do:

- :func:`prais`: per class, the probability of leaving it, 1 − p_ii (Prais 1955);
- :func:`shorrocks`: one number, (k − tr P)/(k − 1) (Shorrocks 1978; giddy ``"P"``) or
  1 − |det P| (``"D"``);
- :func:`mobility`: all of giddy's ``markov_mobility`` measures with the per-class Prais
  indices and sojourn times, as a :class:`MobilityResult`.

Examples
--------
>>> p = [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.2, 0.8]]
>>> prais(p).round(3)
array([0.1, 0.3, 0.2])
>>> round(shorrocks(p), 6)
0.3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nqpf.disparity._validation import check_choice
from nqpf.disparity.ergodic import sojourn_time
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = ["MobilityResult", "mobility", "prais", "shorrocks"]


def _transition_matrix(p) -> np.ndarray:
    """``p`` (or a Markov result's ``.p``) as a (k, k) row-stochastic float matrix.

    Rows that are all 0 (classes with no observed transitions) become absorbing, as for
    :func:`~nqpf.disparity.ergodic.steady_states`.
    """
    if hasattr(p, "p") and not isinstance(p, np.ndarray):
        p = p.p
    P = np.asarray(p, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] < 2:
        raise DataValidationError(
            f"p must be a square (k, k) transition matrix with k >= 2, got shape {P.shape}",
            field="p",
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
    idx = np.arange(P.shape[0])
    P = P.copy()
    P[idx, idx] += sums == 0
    return P


def prais(p) -> np.ndarray:
    """Prais' conditional mobility index of every class: 1 − p_ii.

    Parameters
    ----------
    p : array_like, shape (k, k), or a Markov result
        Transition probabilities (a :class:`~nqpf.disparity.markov.MarkovResult` is
        read through its ``p``).  An all-zero row is an absorbing class (index 0).

    Returns
    -------
    ndarray, shape (k,)
        The probability that a unit in class i is in another class one period later.

    Notes
    -----
    pr_i = 1 − p_ii (Prais 1955; giddy ``prais``).  The expected stay in class i is
    1 / pr_i (:func:`~nqpf.disparity.ergodic.sojourn_time`).

    References
    ----------
    Prais, S. J. (1955). Measuring social mobility. *Journal of the Royal Statistical
    Society A* 118(1): 56–66.

    Examples
    --------
    >>> prais([[0.5, 0.25, 0.25], [0.5, 0, 0.5], [0.25, 0.25, 0.5]])
    array([0.5, 1. , 0.5])
    """
    return 1.0 - np.diagonal(_transition_matrix(p))


def shorrocks(p, measure: str = "trace") -> float:
    """Shorrocks' (1978) mobility index of a transition matrix.

    Parameters
    ----------
    p : array_like, shape (k, k), or a Markov result
        Transition probabilities.
    measure : {"trace", "det"}, default "trace"
        ``"trace"``: M_P = (k − tr P)/(k − 1), the mean Prais index rescaled to [0, k/(k−1)]
        (0 for the identity, 1 when no unit stays; giddy ``markov_mobility(measure="P")``).
        ``"det"``: M_D = 1 − |det P| (giddy ``"D"``).

    Returns
    -------
    float

    References
    ----------
    Shorrocks, A. F. (1978). The measurement of mobility. *Econometrica* 46(5): 1013–1024.

    Examples
    --------
    >>> round(shorrocks([[0.9, 0.1], [0.3, 0.7]]), 6), round(shorrocks([[0.9, 0.1], [0.3, 0.7]], "det"), 6)
    (0.4, 0.4)
    """
    check_choice(measure, "measure", ("trace", "det"))
    P = _transition_matrix(p)
    k = P.shape[0]
    if measure == "trace":
        return float((k - np.trace(P)) / (k - 1))
    return float(1.0 - abs(np.linalg.det(P)))


@dataclass(frozen=True, eq=False)
class MobilityResult(Result):
    """Mobility indices of one transition matrix (giddy ``prais`` and ``markov_mobility``).

    Attributes
    ----------
    prais : ndarray, shape (k,)
        1 − p_ii of every class (Prais 1955).
    sojourn : ndarray, shape (k,)
        Expected stay 1/(1 − p_ii) in every class (``inf`` for an absorbing class).
    shorrocks_trace : float
        M_P = (k − tr P)/(k − 1) (Shorrocks 1978; giddy ``"P"``).
    shorrocks_det : float
        M_D = 1 − |det P| (Shorrocks 1978; giddy ``"D"``).
    eigenvalue : float
        M_L2 = 1 − |λ₂|, λ₂ the second largest eigenvalue in modulus (Sommers and Conlisk
        1979; giddy ``"L2"``): the speed of convergence to the steady state.
    bartholomew_1 : float
        M_B1 = (k − k Σ_i π_i p_ii)/(k − 1) (Bartholomew 1973; giddy ``"B1"``).
    bartholomew_2 : float
        M_B2 = Σ_i Σ_j π_i p_ij |i − j| / (k − 1) (giddy ``"B2"``): the expected number of
        classes moved, scaled.
    initial : ndarray, shape (k,)
        The initial distribution π of the Bartholomew indices.
    labels : tuple of str
        Class names.
    """

    prais: np.ndarray
    sojourn: np.ndarray
    shorrocks_trace: float
    shorrocks_det: float
    eigenvalue: float
    bartholomew_1: float
    bartholomew_2: float
    initial: np.ndarray
    labels: tuple[str, ...]

    @property
    def k(self) -> int:
        return int(self.prais.shape[0])

    def to_frame(self, table: str = "classes") -> pd.DataFrame:
        """``"classes"``: one row per class (prais, sojourn, initial); ``"indices"``: one
        row per summary index (name, value, source)."""
        check_choice(table, "table", ("classes", "indices"))
        if table == "classes":
            return pd.DataFrame(
                {"prais": self.prais, "sojourn": self.sojourn, "initial": self.initial},
                index=pd.Index(list(self.labels), name="class"),
            )
        rows = [
            ("shorrocks_trace", self.shorrocks_trace, "Shorrocks (1978) M_P; giddy 'P'"),
            ("shorrocks_det", self.shorrocks_det, "Shorrocks (1978) M_D; giddy 'D'"),
            ("eigenvalue", self.eigenvalue, "Sommers & Conlisk (1979) M_L2; giddy 'L2'"),
            ("bartholomew_1", self.bartholomew_1, "Bartholomew (1973) M_B1; giddy 'B1'"),
            ("bartholomew_2", self.bartholomew_2, "Bartholomew (1973) M_B2; giddy 'B2'"),
        ]
        return pd.DataFrame(rows, columns=["index", "value", "source"])

    def summary(self) -> Summary:
        rows = [
            ("Shorrocks M_P (trace)", self.shorrocks_trace),
            ("Shorrocks M_D (det)", self.shorrocks_det),
            ("1 − |λ₂|", self.eigenvalue),
            ("Bartholomew M_B1", self.bartholomew_1),
            ("Bartholomew M_B2", self.bartholomew_2),
            ("Prais 1 − p_ii", self.prais),
            ("平均停留期数 sojourn", self.sojourn),
        ]
        return Summary(title="流动性指数 (mobility indices)", rows=tuple(rows))


def mobility(p, initial=None, *, labels=None) -> MobilityResult:
    """Every mobility index of giddy's ``prais`` and ``markov_mobility`` for one matrix.

    Parameters
    ----------
    p : array_like, shape (k, k), or a Markov result
        Transition probabilities (a :class:`~nqpf.disparity.markov.MarkovResult` is read
        through ``p``, and its class labels are used).
    initial : array_like, shape (k,), optional
        Initial distribution π of the Bartholomew indices (non-negative, normalised to
        sum 1).  Default: uniform, 1/k each, as giddy when ``ini`` is not given.  Pass a
        result's ``initial`` (first-period shares) to weight by the observed start.
    labels : sequence of str, optional
        Class names; default the result's labels or "1" … "k".

    Returns
    -------
    MobilityResult

    Notes
    -----
    With P the k × k transition matrix and π the initial distribution (Formby, Smith and
    Zheng 2004 survey them; giddy implements the same set):

    - Prais: pr_i = 1 − p_ii; sojourn s_i = 1/(1 − p_ii);
    - M_P = (k − tr P)/(k − 1); M_D = 1 − |det P|; M_L2 = 1 − |λ₂|;
    - M_B1 = (k − k Σ_i π_i p_ii)/(k − 1); M_B2 = Σ_i Σ_j π_i p_ij |i − j| / (k − 1).

    All are 0 for the identity matrix (no mobility).

    References
    ----------
    Prais, S. J. (1955). Measuring social mobility. *JRSS A* 118(1): 56–66.
    Shorrocks, A. F. (1978). The measurement of mobility. *Econometrica* 46(5): 1013–1024.
    Sommers, P. M. and Conlisk, J. (1979). Eigenvalue immobility measures for Markov
    chains. *Journal of Mathematical Sociology* 6: 253–276.
    Bartholomew, D. J. (1973). *Stochastic Models for Social Processes*, 2nd ed. Wiley.
    Formby, J. P., Smith, W. J. and Zheng, B. (2004). Mobility measurement, transition
    matrices and statistical inference. *Journal of Econometrics* 120(1): 181–205.
    Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
    *Geographical Analysis* 33(3): 195–214 (mobility of US state incomes).

    Examples
    --------
    >>> r = mobility([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.2, 0.8]])
    >>> round(r.shorrocks_trace, 4), round(r.bartholomew_2, 4), r.sojourn.round(3).tolist()
    (0.3, 0.1, [10.0, 3.333, 5.0])
    """
    P = _transition_matrix(p)
    k = P.shape[0]
    if labels is None and hasattr(p, "labels"):
        labels = p.labels
    labels = (
        tuple(str(v) for v in labels)
        if labels is not None
        else tuple(str(i) for i in range(1, k + 1))
    )
    if len(labels) != k:
        raise DataValidationError(f"labels has {len(labels)} names for {k} classes", field="labels")
    if initial is None:
        pi = np.full(k, 1.0 / k)
    else:
        pi = np.asarray(initial, dtype=np.float64).ravel()
        if pi.shape != (k,) or not np.isfinite(pi).all() or (pi < 0).any() or pi.sum() <= 0:
            raise DataValidationError(
                f"initial must be {k} non-negative shares (a distribution over the classes)",
                field="initial",
            )
        pi = pi / pi.sum()
    diag = np.diagonal(P)
    moduli = np.sort(np.abs(np.linalg.eigvals(P)))
    steps = np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    return MobilityResult(
        prais=1.0 - diag,
        sojourn=sojourn_time(P),
        shorrocks_trace=float((k - np.trace(P)) / (k - 1)),
        shorrocks_det=float(1.0 - abs(np.linalg.det(P))),
        eigenvalue=float(1.0 - moduli[-2]),
        bartholomew_1=float((k - k * (pi * diag).sum()) / (k - 1)),
        bartholomew_2=float((pi[:, None] * P * steps).sum() / (k - 1)),
        initial=pi,
        labels=labels,
    )
