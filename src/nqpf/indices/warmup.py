"""Build or load the numba cache of the index kernels now: ``python -m nqpf.indices.warmup``.

Run it once after installing nqpf (in a Docker build, a CI image, or after
``pip install -e .``) so that no process ever compiles a kernel on its first call.  Importing
:mod:`nqpf.indices` does the same in a background thread (see
:mod:`nqpf.indices._warmup`); this command does it in the foreground and prints where the
cache lives and how long each kernel took.
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str] | None = None) -> int:
    # Importing the package may already have started the background warm-up; numba's
    # compiler lock makes the two share the work.
    from nqpf.indices import _kernels

    t0 = time.perf_counter()
    spent = _kernels.warm_up()
    total = time.perf_counter() - t0
    for name, seconds in spent.items():
        dispatcher = _kernels.kernels()[name]
        print(f"{name:<22} {seconds:7.3f} s  {dispatcher._cache._cache_path}")
    print(f"{len(spent)} kernels ready in {total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
