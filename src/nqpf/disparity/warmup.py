"""Build or load the numba cache of the disparity kernels now: ``python -m nqpf.disparity.warmup``.

The compiled kernels of :mod:`nqpf.disparity` — the Dagum prefix pass and sort keys
(:mod:`~nqpf.disparity.gini`), the label hash table (:mod:`~nqpf.disparity._labels`) and
the permutation shuffle (:mod:`~nqpf.disparity.crand`) — are ``cache=True``: numba keeps
their machine code in ``__pycache__`` (or the user's cache directory where that is
read-only) and reloads it in later processes.  In a fresh environment the first call
would compile them (about 10 s in all).  :func:`warm_up` (from
:mod:`nqpf.disparity._warmup`) compiles or loads every one by running each path once on a
few values, so that the signatures are exactly those of real calls.  Importing
:mod:`nqpf.disparity` runs it in a background thread (off with ``NQPF_NUMBA_WARMUP=0``, as
for :mod:`nqpf.indices`); this command runs it in the foreground after an install (Docker
image, CI, ``pip install -e .``) and prints what each step took.
"""

from __future__ import annotations

import sys
import time

from nqpf.disparity._warmup import warm_up

__all__ = ["main", "warm_up"]


def main(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    spent = warm_up()
    for name, seconds in spent.items():
        print(f"{name:<26} {seconds:7.3f} s")
    print(f"{len(spent)} paths ready in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
