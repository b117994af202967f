"""The index kernels' part of nqpf's one numba warm-up (see :mod:`nqpf.warmup`).

``import nqpf.indices`` calls :func:`start`; ``python -m nqpf.warmup`` builds this
package's cache with :func:`warm_up` (every signature of
:data:`nqpf.indices._kernels.SIGNATURES`).  :func:`cache_complete` reads numba's cache index
for each of those signatures without loading anything.
"""

from __future__ import annotations

from nqpf import warmup as _shared

ENV = _shared.ENV
enabled = _shared.enabled
wait = _shared.wait


def start():
    """Start the background warm-up for the index kernels (once per process)."""
    return _shared.start("indices")


def cache_complete() -> bool:
    """True when numba's cache holds every declared signature of the index kernels."""
    return _shared._kernels().cache_complete()


def warm_up(progress=None, stop=None) -> dict[str, float]:
    """Load (or compile and cache) every index kernel; seconds per kernel."""
    return _shared._kernels().warm_up(progress=progress, stop=stop)
