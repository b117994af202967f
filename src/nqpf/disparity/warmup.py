"""``python -m nqpf.disparity.warmup``: the same as ``python -m nqpf.warmup`` (kept path).

Builds or loads the numba cache of every nqpf kernel, disparity and index alike; see
:mod:`nqpf.warmup`.  :func:`warm_up` runs the disparity paths alone.
"""

from __future__ import annotations

import sys

from nqpf.disparity._warmup import warm_up
from nqpf.warmup import main

__all__ = ["main", "warm_up"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
