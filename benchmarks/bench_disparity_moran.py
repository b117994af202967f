"""Benchmark: Moran's I permutation inference, nqpf beside esda, in one run.

For each size n and weights kind (k-nearest with k = 6 on seeded random points, or a rook
lattice), every method runs in its own subprocess on the same seeded data:

- ``nqpf``      ``moran(y, w, permutations=P, rng=…)``: blocks of permuted z, W Zᵀ;
- ``esda``      ``esda.Moran(y, w, permutations=P)`` (one permutation and lag per loop);
- ``floor``     the unavoidable arithmetic: P spatial lags of an already permuted
                n × P block (one sparse product, no random numbers);
- ``nqpf-lisa`` / ``esda-lisa``  local Moran with P conditional permutations (esda's
                numba kernel is compiled in a warm-up call that is not timed).

Reported: best wall time of ``--repeat`` runs, × nqpf, extra peak memory (MB above the
process after data creation and warm-up), and |I − I_esda| (the statistic itself must be
identical; permutation results differ by Monte Carlo error only).

Usage::

    python benchmarks/bench_disparity_moran.py                  # n = 3000, P = 999
    python benchmarks/bench_disparity_moran.py --sizes 1000 3000 10000 --perms 999
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

SEED = 20241
METHODS = ("nqpf", "esda", "floor", "nqpf-lisa", "esda-lisa")


def make_data(n: int, kind: str):
    """Seeded y and nqpf weights (row-standardised) for ``kind`` = "knn" or "lattice"."""
    from nqpf.disparity.spatial import SpatialWeights, lattice_adjacency, spatial_weights

    rng = np.random.default_rng(SEED)
    if kind == "knn":
        lat, lon = rng.uniform(20, 45, n), rng.uniform(100, 125, n)
        w = SpatialWeights.from_coordinates(lat, lon, k=6, transform="b").transformed("r")
        y = rng.normal(size=n) + 0.2 * lat  # a north–south trend: positive autocorrelation
    else:
        side = math.isqrt(n)
        n = side * side
        w = spatial_weights(lattice_adjacency(side, side))
        y = rng.normal(size=n) + 0.05 * (np.arange(n) // side)  # trend down the rows
    return y, w


def to_libpysal(w):
    import libpysal

    return libpysal.weights.WSP(w.original.tocsr()).to_W(silence_warnings=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(method: str, n: int, kind: str, perms: int, repeat: int) -> dict:
    warnings.simplefilter("ignore")
    from nqpf.disparity.spatial import local_moran, moran

    y, w = make_data(n, kind)
    out: dict = {"n": w.n}
    if method.startswith("esda"):
        import esda

        wl = to_libpysal(w)
        wl.transform = "r"
        if method == "esda":
            esda.Moran(y, wl, permutations=9)

            def call():
                return esda.Moran(y, wl, permutations=perms)
        else:
            esda.Moran_Local(y, wl, permutations=9, seed=1)  # compile numba kernels

            def call():
                return esda.Moran_Local(y, wl, permutations=perms, seed=1)
    elif method == "floor":
        z = y - y.mean()
        rng = np.random.default_rng(1)
        Z = np.ascontiguousarray(rng.permuted(np.broadcast_to(z, (perms, w.n)), axis=1).T)
        W = w.sparse

        def call():
            L = W @ Z
            return np.einsum("ij,ij->j", Z, L)
    elif method == "nqpf":
        moran(y, w, permutations=9, rng=0)  # numba kernel (cached on disk after 1st run)

        def call():
            return moran(y, w, permutations=perms, rng=1)
    else:
        local_moran(y, w, permutations=9, rng=0)

        def call():
            return local_moran(y, w, permutations=perms, rng=1)

    base = peak_mb()
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    out["time"] = min(times)
    out["extra_mb"] = max(0.0, peak_mb() - base)
    if method in ("nqpf", "esda"):
        out["I"] = float(result.I)
        out["p_sim"] = float(result.p_sim)
    elif method.endswith("lisa"):
        out["Is0"] = float(result.Is[0])
        out["mean_p"] = float(np.mean(result.p_sim))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000])
    parser.add_argument(
        "--kinds", nargs="+", default=["knn", "lattice"], choices=["knn", "lattice"]
    )
    parser.add_argument("--perms", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "N", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, n, kind = args.child
        print(json.dumps(run_one(method, int(n), kind, args.perms, args.repeat)))
        return

    import numba
    import scipy

    try:
        import esda

        esda_version = esda.__version__
    except ImportError:  # pragma: no cover
        esda_version = "not installed"
    print(
        f"Moran's I, P = {args.perms} permutations, seed {SEED}; python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}, "
        f"esda {esda_version}; {os.cpu_count()} cores"
    )
    header = f"{'n':>7} {'W':>8} {'method':>10} {'time s':>9} {'× nqpf':>8} {'extra MB':>9}  check"
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        for kind in args.kinds:
            rows = {}
            for method in args.methods:
                cmd = [
                    sys.executable,
                    __file__,
                    "--child",
                    method,
                    str(n),
                    kind,
                    "--perms",
                    str(args.perms),
                    "--repeat",
                    str(args.repeat),
                ]
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    rows[method] = {"error": proc.stderr.strip().splitlines()[-1]}
                    continue
                rows[method] = json.loads(proc.stdout.strip().splitlines()[-1])
            for method, row in rows.items():
                if "error" in row:
                    print(f"{n:>7} {kind:>8} {method:>10}  failed: {row['error']}")
                    continue
                base = rows.get("nqpf-lisa" if method.endswith("lisa") else "nqpf", {}).get("time")
                ratio = row["time"] / base if base else float("nan")
                check = ""
                if method == "esda" and "I" in rows.get("nqpf", {}):
                    other = rows["nqpf"]
                    check = (
                        f"|ΔI| = {abs(row['I'] - other['I']):.1e}, "
                        f"p_sim {row['p_sim']:.3f} vs {other['p_sim']:.3f}"
                    )
                elif method == "esda-lisa" and "Is0" in rows.get("nqpf-lisa", {}):
                    other = rows["nqpf-lisa"]
                    check = (
                        f"|ΔI_0| = {abs(row['Is0'] - other['Is0']):.1e}, "
                        f"mean p {row['mean_p']:.3f} vs {other['mean_p']:.3f}"
                    )
                print(
                    f"{row['n']:>7} {kind:>8} {method:>10} {row['time']:>9.4f} {ratio:>8.2f} "
                    f"{row['extra_mb']:>9.1f}  {check}"
                )
            print()


if __name__ == "__main__":
    main()
