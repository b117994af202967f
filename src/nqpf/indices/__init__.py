"""Composite indices on panel data.

Normalisation (:func:`minmax`, :func:`zscore`, :func:`vector`, :func:`proportion`), weights
(:func:`entropy_weights`, :func:`critic_weights`, :func:`std_weights`,
:func:`variance_weights`, :func:`cv_weights`, :func:`ahp_weights`, :func:`combine_weights`),
aggregation (:func:`weighted_sum`, :func:`topsis`,
:func:`grey_relation`, :func:`gra_topsis`), :func:`coupling_coordination`,
:func:`obstacle_degree` and the :class:`CompositeIndex` estimator.
"""

# ruff: noqa: E402 - the imports below come after the warm-up has started.

# Start the numba warm-up before the other imports, so that numba's start-up (its target
# context) overlaps them; it loads or, in a fresh environment, has a builder process compile
# the kernel cache (see nqpf.warmup; NQPF_NUMBA_WARMUP=0 turns it off).
from nqpf.indices import _warmup

_warmup.start()

from nqpf.indices.aggregate import (
    AggregateResult,
    ScoreResult,
    gra_topsis,
    grey_relation,
    topsis,
    weighted_sum,
)
from nqpf.indices.composite import CompositeIndex, CompositeResult
from nqpf.indices.coupling import CouplingResult, coupling_coordination
from nqpf.indices.normalize import minmax, proportion, vector, zscore
from nqpf.indices.obstacle import ObstacleResult, obstacle_degree
from nqpf.indices.weights import (
    WeightResult,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    given_weights,
    std_weights,
    variance_weights,
)

__all__ = [
    "AggregateResult",
    "CompositeIndex",
    "CompositeResult",
    "CouplingResult",
    "ObstacleResult",
    "ScoreResult",
    "WeightResult",
    "ahp_weights",
    "combine_weights",
    "coupling_coordination",
    "critic_weights",
    "cv_weights",
    "entropy_weights",
    "given_weights",
    "gra_topsis",
    "grey_relation",
    "minmax",
    "obstacle_degree",
    "proportion",
    "std_weights",
    "topsis",
    "variance_weights",
    "vector",
    "weighted_sum",
    "zscore",
]
