"""``python -m nqpf.indices.warmup``: the same as ``python -m nqpf.warmup`` (kept path).

Builds or loads the numba cache of every nqpf kernel, index and disparity alike; see
:mod:`nqpf.warmup`.
"""

from __future__ import annotations

import sys

from nqpf.warmup import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
