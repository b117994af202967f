"""Build or load the numba cache of the index kernels now: ``python -m nqpf.indices.warmup``.

Run it once after installing nqpf (in a Docker build, a CI image, or after
``pip install -e .``) so that no process ever compiles a kernel.  Importing
:mod:`nqpf.indices` starts the same build in a separate background process when the cache
is incomplete (see :mod:`nqpf.indices._warmup`); this command does it in the foreground
and prints where the cache lives and how long each kernel took.  It holds the build lock,
so concurrent builds wait for each other instead of compiling twice.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nqpf.indices.warmup", description=__doc__)
    ap.add_argument("--background", action="store_true", help="lower priority and print nothing")
    args = ap.parse_args(argv)
    if args.background and hasattr(os, "nice"):
        os.nice(10)
    from nqpf.indices import _kernels, _warmup

    t0 = time.perf_counter()
    with _warmup.build_lock():
        spent = _kernels.warm_up()
    total = time.perf_counter() - t0
    if not args.background:
        for name, seconds in spent.items():
            path = _kernels.kernels()[name]._cache.cache_path
            print(f"{name:<22} {seconds:7.3f} s  {path}")
        print(f"{len(spent)} kernels ready in {total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
