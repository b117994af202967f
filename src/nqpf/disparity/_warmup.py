"""Load (or build) the numba cache of the disparity kernels in a background thread.

Started at ``import nqpf.disparity``, like :mod:`nqpf.indices`' own warm-up (same switch:
``NQPF_NUMBA_WARMUP=0``, or ``NUMBA_DISABLE_JIT=1``, turns it off).  The thread runs
:func:`warm_up` (each compiled path once on a few values); a call that needs a kernel the thread has not
reached yet compiles or loads it itself, and numba's compiler lock prevents double work.
Before ``os.fork`` the parent waits for the thread (no child inherits a held compiler
lock); at interpreter exit the thread stops after its current step and is joined.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable

ENV = "NQPF_NUMBA_WARMUP"

_lock = threading.Lock()
_stop = threading.Event()
_thread: threading.Thread | None = None
#: The exception that ended the background warm-up, if any (the first call then compiles).
error: BaseException | None = None


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


def enabled() -> bool:
    """False when ``NQPF_NUMBA_WARMUP`` is 0/false/no/off or numba's JIT is disabled."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


def _run() -> None:
    global error
    try:
        atexit.register(_finish)  # after numba's own hooks are registered: runs first
        warm_up(stop=_stop.is_set)
    except BaseException as exc:  # an optimisation only: the first call compiles instead
        error = exc


def start() -> threading.Thread | None:
    """Start the background warm-up once per process (no-op when disabled)."""
    global _thread
    if not enabled():
        return None
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_run, name="nqpf-disparity-warmup", daemon=True)
            atexit.register(_finish)
            _thread.start()
    return _thread


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (or ``timeout`` seconds); True when done."""
    thread = _thread
    if thread is None or thread is threading.current_thread():
        return True
    thread.join(timeout)
    return not thread.is_alive()


def _finish() -> None:
    _stop.set()
    wait()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=wait)
