"""Spatial weights and Moran's I (global and local): the names of both, in one place.

The code lives in :mod:`nqpf.disparity.weights` (:class:`SpatialWeights` and its
builders) and :mod:`nqpf.disparity.moran` (:func:`moran`, :func:`local_moran`); this
module keeps ``from nqpf.disparity.spatial import …`` working for every public name.

Examples
--------
The 3 × 3 rook lattice with y = 1 … 9 and binary weights (methods.md §14.1):

>>> w = spatial_weights(lattice_adjacency(3, 3), transform="b")
>>> r = moran(range(1, 10), w)
>>> round(r.I, 6), round(r.VI_norm, 6), round(r.VI_rand, 6)
(0.5, 0.053125, 0.059688)
"""

from nqpf.disparity.moran import LocalMoranResult, MoranResult, local_moran, moran
from nqpf.disparity.weights import (
    EARTH_RADIUS_KM,
    SpatialWeights,
    haversine,
    lattice_adjacency,
    parse_gal,
    province_weights,
    spatial_weights,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "LocalMoranResult",
    "MoranResult",
    "SpatialWeights",
    "haversine",
    "lattice_adjacency",
    "local_moran",
    "moran",
    "parse_gal",
    "province_weights",
    "spatial_weights",
]
