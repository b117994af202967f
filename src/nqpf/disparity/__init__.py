"""Regional disparity, dynamics and spatial analysis of a panel variable (面).

Inequality (:func:`gini`, :func:`dagum`, :func:`theil` with permutation inference),
distribution dynamics (:func:`kde`, :func:`markov`, :func:`spatial_markov`, mobility
indices :func:`mobility`, :func:`prais`, :func:`shorrocks`, :func:`sojourn_time`),
spatial dependence (:func:`spatial_weights`, :func:`province_weights`, :func:`moran`,
:func:`local_moran`, :func:`moran_rate`, :func:`moran_bv`, :func:`local_moran_bv`) and
convergence (:func:`sigma_convergence`, :func:`beta_convergence`).  Functions take numpy
arrays; ``periods=`` runs a cross-section method for every period in one call and returns a
:class:`ByPeriod`; spatial statistics take weights in any plain form
(:func:`~nqpf.disparity.weights.as_weights`).

Modules, one subject each: ``gini`` (Gini, Dagum), ``theil``, ``kde``, ``classify``
(Markov classes), ``ergodic`` (steady states, first passage and sojourn times),
``mobility`` (mobility indices), ``spatial_lag`` (the spatial lag's classes and their tie
rules), ``markov`` (Markov and spatial Markov chains, homogeneity), ``weights`` (spatial
weights), ``moran`` (global, local, rate and bivariate Moran), ``crand`` (the permutation
engines those share), ``convergence``; ``spatial`` re-exports ``weights`` and ``moran``.
Shared input checks live in ``_validation`` (with the O(n) label encoding, compiled parts in
``_labels``), the per-period dispatch in ``_panel``; ``warmup`` loads the numba cache.
"""

from nqpf.disparity._panel import ByPeriod
from nqpf.disparity.convergence import (
    BetaConvergenceResult,
    SigmaConvergenceResult,
    beta_convergence,
    sigma_convergence,
)
from nqpf.disparity.ergodic import mfpt, sojourn_time, steady_states
from nqpf.disparity.gini import DagumResult, GiniResult, dagum, gini
from nqpf.disparity.kde import KDEResult, kde
from nqpf.disparity.markov import (
    MarkovResult,
    SpatialMarkovResult,
    homogeneity,
    markov,
    spatial_markov,
)
from nqpf.disparity.mobility import MobilityResult, mobility, prais, shorrocks
from nqpf.disparity.moran import (
    LocalMoranBVResult,
    LocalMoranResult,
    MoranBVResult,
    MoranRateResult,
    MoranResult,
    eb_standardized_rates,
    local_moran,
    local_moran_bv,
    moran,
    moran_bv,
    moran_rate,
)
from nqpf.disparity.theil import TheilResult, theil
from nqpf.disparity.weights import SpatialWeights, province_weights, spatial_weights

__all__ = [
    "BetaConvergenceResult",
    "ByPeriod",
    "DagumResult",
    "GiniResult",
    "KDEResult",
    "LocalMoranBVResult",
    "LocalMoranResult",
    "MarkovResult",
    "MobilityResult",
    "MoranBVResult",
    "MoranRateResult",
    "MoranResult",
    "SigmaConvergenceResult",
    "SpatialMarkovResult",
    "SpatialWeights",
    "TheilResult",
    "beta_convergence",
    "dagum",
    "eb_standardized_rates",
    "gini",
    "homogeneity",
    "kde",
    "local_moran",
    "local_moran_bv",
    "markov",
    "mfpt",
    "mobility",
    "moran",
    "moran_bv",
    "moran_rate",
    "prais",
    "province_weights",
    "shorrocks",
    "sigma_convergence",
    "sojourn_time",
    "spatial_markov",
    "spatial_weights",
    "steady_states",
    "theil",
]

# Load (or, in a fresh environment, build) the numba cache of the disparity kernels in the
# background, so that the first large call does not compile; see nqpf.disparity._warmup
# (NQPF_NUMBA_WARMUP=0 turns it off) and ``python -m nqpf.disparity.warmup``.
from nqpf.disparity._warmup import start as _start_warmup

_start_warmup()
