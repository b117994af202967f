"""Benchmark: the cost of the first fused call in a fresh process.

Each run starts a new interpreter that imports :mod:`nqpf.indices`, then times the first
``entropy_weights`` + vector ``topsis`` on a 2 000 × 30 matrix through the fused kernels
(``engine="numba"``) and the same call again; the overhead is first − second.  The
warm-up starts at the top of ``nqpf.indices``' import, so part of numba's start-up is paid
inside the import: the last column, import + first call, is the whole cost a script sees.
Scenarios:

- ``cache, warm-up``: the numba cache exists (the normal case after one run or after
  ``python -m nqpf.warmup``) and ``import nqpf.indices`` starts the background
  warm-up (the default); the call comes right after the import;
- ``cache, warm-up, 0.5 s work``: the same, with half a second of other work (here a sleep,
  as when reading a file) between the import and the call;
- ``cache, no warm-up``: ``NQPF_NUMBA_WARMUP=0``, the call loads the kernels itself;
- ``no cache``: an empty ``NUMBA_CACHE_DIR`` and no warm-up: the call compiles (what a
  fresh install paid before the warm-up existed).

Usage::

    python benchmarks/bench_first_call.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import json, os, time
t0 = time.perf_counter()
import numpy as np
import nqpf.indices as ix
t1 = time.perf_counter()
pause = float(os.environ.get("BENCH_PAUSE", "0"))
if pause:
    time.sleep(pause)
X = np.random.default_rng(7).lognormal(size=(2000, 30))
d = np.where(np.arange(30) % 5 == 4, -1, 1)

def call():
    t = time.perf_counter()
    w = ix.entropy_weights(X, d, engine="numba").weights
    ix.topsis(X, w, d, engine="numba")
    return time.perf_counter() - t

first = call()
second = min(call() for _ in range(3))
print(json.dumps({"import": t1 - t0, "first": first, "second": second}))
"""


def run(env_extra: dict[str, str]) -> dict[str, float]:
    env = os.environ | env_extra
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-cold", action="store_true", help="skip the no-cache scenario")
    args = ap.parse_args()
    # Build the cache once so that the "cache" scenarios find it.
    subprocess.run([sys.executable, "-m", "nqpf.warmup"], check=True, capture_output=True)
    scenarios = {
        "cache, warm-up": {},
        "cache, warm-up, 0.5 s work": {"BENCH_PAUSE": "0.5"},
        "cache, no warm-up": {"NQPF_NUMBA_WARMUP": "0"},
    }
    if not args.skip_cold:
        scenarios["no cache"] = {"NQPF_NUMBA_WARMUP": "0", "NUMBA_CACHE_DIR": ""}
    print(
        f"first fused entropy + vector TOPSIS call, 2000 × 30, {args.runs} fresh processes per "
        f"scenario; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'scenario':>28} {'overhead s (median)':>20} {'min–max':>15} {'import s':>9} "
        f"{'import+first s':>15}"
    )
    for label, extra in scenarios.items():
        over, imp, whole = [], [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as cache:
                env = {k: (cache if k == "NUMBA_CACHE_DIR" else v) for k, v in extra.items()}
                r = run(env)
            over.append(r["first"] - r["second"])
            imp.append(r["import"])
            whole.append(r["import"] + r["first"])
        print(
            f"{label:>28} {np.median(over):>20.3f} "
            f"{f'{min(over):.3f}–{max(over):.3f}':>15} {np.median(imp):>9.2f} "
            f"{np.median(whole):>15.2f}"
        )


if __name__ == "__main__":
    main()
