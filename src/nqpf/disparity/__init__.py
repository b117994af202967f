"""Regional disparity, dynamics and spatial analysis of a panel variable (面).

Inequality (:func:`gini`, :func:`dagum`, :func:`theil`), distribution dynamics
(:func:`kde`, :func:`markov`, :func:`spatial_markov`), spatial dependence
(:func:`spatial_weights`, :func:`province_weights`, :func:`moran`, :func:`local_moran`) and
convergence (:func:`sigma_convergence`, :func:`beta_convergence`).  Functions take numpy
arrays; ``periods=`` runs a cross-section method for every period in one call and returns a
:class:`ByPeriod`.
"""

from nqpf.disparity._panel import ByPeriod
from nqpf.disparity.convergence import (
    BetaConvergenceResult,
    SigmaConvergenceResult,
    beta_convergence,
    sigma_convergence,
)
from nqpf.disparity.gini import DagumResult, GiniResult, dagum, gini
from nqpf.disparity.kde import KDEResult, kde
from nqpf.disparity.markov import (
    MarkovResult,
    SpatialMarkovResult,
    homogeneity,
    markov,
    mfpt,
    spatial_markov,
    steady_states,
)
from nqpf.disparity.spatial import (
    LocalMoranResult,
    MoranResult,
    SpatialWeights,
    local_moran,
    moran,
    province_weights,
    spatial_weights,
)
from nqpf.disparity.theil import TheilResult, theil

__all__ = [
    "BetaConvergenceResult",
    "ByPeriod",
    "DagumResult",
    "GiniResult",
    "KDEResult",
    "LocalMoranResult",
    "MarkovResult",
    "MoranResult",
    "SigmaConvergenceResult",
    "SpatialMarkovResult",
    "SpatialWeights",
    "TheilResult",
    "beta_convergence",
    "dagum",
    "gini",
    "homogeneity",
    "kde",
    "local_moran",
    "markov",
    "mfpt",
    "moran",
    "province_weights",
    "sigma_convergence",
    "spatial_markov",
    "spatial_weights",
    "steady_states",
    "theil",
]
