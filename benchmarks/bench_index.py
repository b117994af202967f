"""Benchmark: entropy weights + TOPSIS on n × 30, nqpf beside its peers, in one run.

Every (method, n) runs in its own subprocess on the same seeded matrix, so that the peak
resident memory of one method is not inflated by another.  Reported per size:

- wall time of "entropy weights + TOPSIS closeness" (data creation excluded);
- extra peak memory above the input matrix, and total peak / input size;
- ratio to nqpf, and to the floor (one numpy pass, ``X.sum()``, over the same bytes);
- max |difference| of weights and scores against the plain numpy version.

The pipelines compute the same thing where definitions allow: direction-aware min-max
normalisation with x' + 1e-4 and pooled extremes, entropy weights, TOPSIS on x' with the
ideals at the column extremes.  scikit-criteria and pymcdm are run with their own
definitions (raw-matrix entropy, their TOPSIS normalisation), so only their time and memory
are comparable, not their numbers (methods.md §2).

Usage::

    python benchmarks/bench_index.py                  # n = 1e4 … 1e7
    python benchmarks/bench_index.py --sizes 1e4 1e5  # quick
    python benchmarks/bench_index.py --peers-max 1e6  # skip the slow peers above 1e6
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

M = 30
SEED = 20241
SHIFT = 1e-4
DIRECTIONS = np.where(np.arange(M) % 5 == 4, -1, 1)  # every fifth indicator is a cost


def make_matrix(n: int) -> np.ndarray:
    """Seeded lognormal n × 30 matrix, filled in blocks to keep the peak at the input size."""
    X = np.empty((n, M))
    rng = np.random.default_rng(SEED)
    step = 200_000
    for a in range(0, n, step):
        b = min(n, a + step)
        X[a:b] = rng.lognormal(mean=1.0, sigma=0.6, size=(b - a, M))
    return X


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- the pipelines -----------------------------------------------------------------------


def run_nqpf(X):
    from nqpf.indices import entropy_weights, topsis

    ew = entropy_weights(X, DIRECTIONS, shift=SHIFT)
    lo, hi = ew.details["lo"], ew.details["hi"]  # reuse the extremes: no second pass
    return ew.weights, topsis(
        X, ew.weights, DIRECTIONS, normalization="minmax", lo=lo, hi=hi
    ).scores


def run_numpy(X):
    lo, hi = X.min(axis=0), X.max(axis=0)
    Xn = np.where(DIRECTIONS > 0, X - lo, hi - X) / (hi - lo) + SHIFT
    p = Xn / Xn.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(X.shape[0])
    d = 1 - e
    w = d / d.sum()
    V = Xn * w
    dp = np.sqrt(((V - V.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((V - V.min(axis=0)) ** 2).sum(axis=1))
    return w, dm / (dp + dm)


def prepare_polars(X):
    import polars as pl

    return pl.from_numpy(X, schema=[f"c{j}" for j in range(M)])


def run_polars(df):
    import polars as pl

    cols = df.columns
    ext = df.select(
        [pl.col(c).min().alias(f"lo{j}") for j, c in enumerate(cols)]
        + [pl.col(c).max().alias(f"hi{j}") for j, c in enumerate(cols)]
    ).row(0)
    lo, hi = np.array(ext[:M]), np.array(ext[M:])

    def xn(j):
        c = pl.col(cols[j])
        base = (c - lo[j]) if DIRECTIONS[j] > 0 else (hi[j] - c)
        return base / (hi[j] - lo[j]) + SHIFT

    sums = df.select(
        [xn(j).sum().alias(f"s{j}") for j in range(M)]
        + [(xn(j) * xn(j).log()).sum().alias(f"l{j}") for j in range(M)]
    ).row(0)
    S, L = np.array(sums[:M]), np.array(sums[M:])
    e = -(L / S - np.log(S)) / np.log(df.height)
    d = 1 - e
    w = d / d.sum()
    best = (1 + SHIFT) * w
    worst = SHIFT * w
    dp = pl.sum_horizontal([(xn(j) * w[j] - best[j]) ** 2 for j in range(M)]).sqrt()
    dm = pl.sum_horizontal([(xn(j) * w[j] - worst[j]) ** 2 for j in range(M)]).sqrt()
    out = df.select((dm / (dp + dm)).alias("c"))
    return w, out["c"].to_numpy()


def prepare_skcriteria(X):
    import skcriteria as skc

    return skc.mkdm(X, objectives=[max if d > 0 else min for d in DIRECTIONS])


def run_skcriteria(dm):
    import warnings

    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler
    from skcriteria.preprocessing.weighters import EntropyWeighter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = EntropyWeighter().transform(dm)
        scaled = VectorScaler(target="matrix").transform(weighted)
        rank = TOPSIS().evaluate(scaled)
    return weighted.weights.to_numpy(), rank.e_.similarity


def run_pymcdm(X):
    from pymcdm.methods import TOPSIS
    from pymcdm.weights import entropy_weights

    w = entropy_weights(X)
    return w, TOPSIS()(X, w, DIRECTIONS)


def run_floor(X):
    return None, np.array([X.sum()])


PIPELINES = {
    "nqpf": (None, run_nqpf),
    "numpy": (None, run_numpy),
    "polars": (prepare_polars, run_polars),
    "scikit-criteria": (prepare_skcriteria, run_skcriteria),
    "pymcdm": (None, run_pymcdm),
    "floor": (None, run_floor),
}
SLOW_PEERS = {"scikit-criteria", "pymcdm"}


def worker(name: str, n: int, out: str, repeat: int) -> None:
    X = make_matrix(n)
    prepare, run = PIPELINES[name]
    data = prepare(X) if prepare else X
    if prepare:
        del X
    if name == "nqpf":  # compile (or load cached) kernels outside the timing and the memory base
        from nqpf.indices import entropy_weights, topsis

        small = make_matrix(1000)
        w = entropy_weights(small, DIRECTIONS, engine="numba").weights
        topsis(small, w, DIRECTIONS, normalization="minmax", engine="numba")
    base = rss_bytes()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        w, s = run(data)
        best = min(best, time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.savez(out, w=np.asarray(w if w is not None else []), s=np.asarray(s))
    print(json.dumps({"time": best, "extra": max(0, peak - base)}))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument(
        "--peers-max", type=float, default=1e7, help="largest n for scikit-criteria and pymcdm"
    )
    ap.add_argument("--only", nargs="+", choices=list(PIPELINES), default=list(PIPELINES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", nargs=3, metavar=("NAME", "N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, n, out = args.worker
        worker(name, int(float(n)), out, args.repeat)
        return

    print(
        f"entropy weights + TOPSIS, n × {M}, seed {SEED}; python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    header = f"{'n':>10} {'method':>16} {'time s':>9} {'× nqpf':>8} {'× floor':>8} {'extra MB':>9} {'peak/in':>8} {'|Δw|':>9} {'|Δscore|':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for n in map(int, args.sizes):
            rows = {}
            input_bytes = n * M * 8
            for name in args.only:
                if name in SLOW_PEERS and n > args.peers_max:
                    continue
                out = str(Path(tmp) / f"{name}-{n}.npz")
                repeat = (
                    1
                    if (name in SLOW_PEERS or n >= 1e7) and name not in ("nqpf", "floor")
                    else args.repeat
                )
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--repeat",
                        str(repeat),
                        "--worker",
                        name,
                        str(n),
                        out,
                    ],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode != 0:
                    print(f"{n:>10} {name:>16}  failed: {proc.stderr.strip().splitlines()[-1:]}")
                    continue
                rows[name] = json.loads(proc.stdout.strip().splitlines()[-1]) | {"out": out}
            ref = np.load(rows["numpy"]["out"]) if "numpy" in rows else None
            for name, r in rows.items():
                t_n = rows.get("nqpf", {}).get("time")
                t_f = rows.get("floor", {}).get("time")
                dw = ds = float("nan")
                if ref is not None and name in ("nqpf", "polars"):
                    got = np.load(r["out"])
                    dw = float(np.abs(got["w"] - ref["w"]).max())
                    ds = float(np.abs(got["s"] - ref["s"]).max())
                print(
                    f"{n:>10} {name:>16} {r['time']:>9.4f} "
                    f"{(r['time'] / t_n if t_n else float('nan')):>8.2f} "
                    f"{(r['time'] / t_f if t_f else float('nan')):>8.1f} "
                    f"{r['extra'] / 2**20:>9.1f} {(input_bytes + r['extra']) / input_bytes:>8.2f} "
                    f"{dw:>9.1e} {ds:>9.1e}"
                )
            print()


if __name__ == "__main__":
    main()
