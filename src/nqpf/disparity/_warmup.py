"""The disparity kernels' part of nqpf's one numba warm-up (see :mod:`nqpf.warmup`).

``import nqpf.disparity`` calls :func:`start`; ``python -m nqpf.warmup`` builds this
package's cache with :func:`warm_up`, which runs each compiled path once on a few values,
so that the compiled signatures are exactly those of real calls.  :func:`cache_complete`
reads numba's cache index of every compiled function of :data:`KERNEL_MODULES` without
loading anything.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

from nqpf import warmup as _shared

ENV = _shared.ENV
enabled = _shared.enabled
wait = _shared.wait

#: The modules that hold the disparity package's compiled (``cache=True``) functions.
KERNEL_MODULES = ("nqpf.disparity.gini", "nqpf.disparity._labels", "nqpf.disparity.crand")


def start():
    """Start the background warm-up for the disparity kernels (once per process)."""
    return _shared.start("disparity")


def _steps() -> list[tuple[str, Callable[[], object]]]:
    import numpy as np
    import pandas as pd

    from nqpf.disparity.gini import dagum
    from nqpf.disparity.moran import moran
    from nqpf.disparity.theil import theil
    from nqpf.disparity.weights import lattice_adjacency

    y = np.linspace(1.0, 4.0, 16) ** 2
    codes = np.arange(16) % 4
    names = np.array(["东部", "中部", "西部", "东北"])[codes]
    longer = np.array(["东部地区", "中部地区", "西部地区", "东北地区"])[codes]
    w = lattice_adjacency(4, 4)
    return [
        ("dagum", lambda: dagum(y, codes)),
        ("dagum weighted", lambda: dagum(y, codes, np.ones(16))),
        ("labels: numpy str", lambda: dagum(y, names)),
        ("labels: pandas str", lambda: dagum(y, pd.Series(names, dtype="str"))),
        ("labels: long pandas str", lambda: dagum(y, pd.Series(longer, dtype="str"))),
        ("theil permutations", lambda: theil(y, codes, permutations=3, rng=0)),
        ("moran permutations", lambda: moran(y, w, permutations=3, rng=0)),
    ]


def warm_up(progress=None, stop=None) -> dict[str, float]:
    """Run every compiled path once; returns the seconds spent per step.

    ``progress(name)`` is called before each step; ``stop()`` returning True ends the loop
    between steps.  Safe to call from several threads (numba serialises compilation).
    """
    spent = {}
    for name, step in _steps():
        if stop is not None and stop():
            break
        if progress is not None:
            progress(name)
        t = time.perf_counter()
        step()
        spent[name] = time.perf_counter() - t
    return spent


def kernels() -> dict:
    """Qualified name → numba dispatcher of every cached function of :data:`KERNEL_MODULES`."""
    from numba.core.dispatcher import Dispatcher

    out = {}
    for module_name in KERNEL_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module_name:
                out[f"{module_name}.{name}"] = obj
    return out


def cache_complete() -> bool:
    """True when numba's cache holds a fresh entry for every disparity kernel.

    The paths of :func:`warm_up` compile each kernel for the signatures real calls use; a
    kernel with no fresh entry at all means the cache was never built for this source.
    """
    return all(d._cache._cache_file._load_index() for d in kernels().values())
