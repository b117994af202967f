"""Benchmark: entropy weights + TOPSIS on n × 30, nqpf beside its peers, in one run, for
every TOPSIS normalisation ("path").

Every (method, n) runs in its own subprocess on the same seeded matrix, so that the peak
resident memory of one method is not inflated by another.  Reported per size:

- wall time of "entropy weights + TOPSIS closeness" (data creation excluded): the median of
  ``--repeat`` runs and their spread (the peers above 1e6, and numpy at 1e7, run once), and
  the median CPU time of the process (all its threads: on a machine loaded by others the
  wall time waits for a core, the CPU time much less);
- extra peak memory above the input matrix, and total peak / input size;
- ratio to nqpf, and to the floor (one numpy pass, ``X.sum()``, over the same bytes);
- max |difference| of weights and scores against the plain numpy version.

The pipelines compute the same thing where definitions allow: entropy weights of the
direction-aware min-max matrix with x' + 1e-4 and pooled extremes, then TOPSIS with global
ideals on

- ``minmax``: x' (the "熵权-TOPSIS" of the Chinese literature);
- ``vector``: x/‖x‖, ideal at the column min of a cost column (Hwang & Yoon);
- ``vector-complement``: cost columns as 1 − x/‖x‖ (pymcdm);
- ``vector-reciprocal``: cost columns as (1/x)/‖1/x‖ (scikit-criteria ``InvertMinimize``).

numpy and Polars pipelines write out the same maths (the Polars one as expressions, reading
the frame column by column).  scikit-criteria and pymcdm are run with their own definitions
(raw-matrix entropy; their TOPSIS normalisation for the path: ``VectorScaler``, with
``InvertMinimize`` first for the reciprocal form; pymcdm's min-max or
``vector_normalization``, none for the reciprocal form), so only their time and memory are
comparable, not their numbers (methods.md §2).

Usage::

    python benchmarks/bench_index.py                  # n = 1e4 … 1e7, every path
    python benchmarks/bench_index.py --sizes 1e4 1e5  # quick
    python benchmarks/bench_index.py --paths vector --sizes 1e7 --peers-max 1e6 --numpy-max 1e6
    python benchmarks/bench_index.py --pairs --sizes 1e7 --repeat 5   # nqpf vs Polars, paired
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

PATHS = ("minmax", "vector", "vector-complement", "vector-reciprocal")
COST = {"vector": "keep", "vector-complement": "complement", "vector-reciprocal": "reciprocal"}


def run_nqpf(X, path):
    from nqpf.indices import entropy_weights, topsis

    ew = entropy_weights(X, DIRECTIONS, shift=SHIFT)
    if path == "minmax":
        lo, hi = ew.details["lo"], ew.details["hi"]  # reuse the extremes: no second pass
        scores = topsis(X, ew.weights, DIRECTIONS, normalization="minmax", lo=lo, hi=hi).scores
    else:
        scores = topsis(X, ew.weights, DIRECTIONS, vector_cost=COST[path]).scores
    return ew.weights, scores


def _numpy_entropy(X):
    lo, hi = X.min(axis=0), X.max(axis=0)
    Xn = np.where(DIRECTIONS > 0, X - lo, hi - X) / (hi - lo) + SHIFT
    p = Xn / Xn.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(X.shape[0])
    d = 1 - e
    return d / d.sum(), Xn


def run_numpy(X, path):
    w, Xn = _numpy_entropy(X)
    if path == "minmax":
        V = Xn * w
        best, worst = V.max(axis=0), V.min(axis=0)
    else:
        del Xn
        cost = DIRECTIONS < 0
        T = X.copy()
        if path == "vector-reciprocal":
            T[:, cost] = 1.0 / T[:, cost]
        R = T / np.sqrt((T * T).sum(axis=0))
        d = DIRECTIONS
        if path != "vector":
            d = np.ones_like(DIRECTIONS)
            if path == "vector-complement":
                R[:, cost] = 1.0 - R[:, cost]
        V = R * w
        vmax, vmin = V.max(axis=0), V.min(axis=0)
        best, worst = np.where(d > 0, vmax, vmin), np.where(d > 0, vmin, vmax)
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    return w, dm / (dp + dm)


def prepare_polars(X):
    import polars as pl

    return pl.from_numpy(X, schema=[f"c{j}" for j in range(M)])


def run_polars(df, path):
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
    if path == "minmax":
        best = (1 + SHIFT) * w
        worst = SHIFT * w

        def v(j):
            return xn(j) * w[j]
    else:
        recip = path == "vector-reciprocal"

        def t(j):
            c = pl.col(cols[j])
            return 1.0 / c if recip and DIRECTIONS[j] < 0 else c

        norm = df.select([(t(j) ** 2).sum().alias(f"n{j}") for j in range(M)]).row(0)
        norm = np.sqrt(np.array(norm))
        # r_j = (t − ref_j)·k_j: 1 − t/‖t‖ for a complemented cost column, t/‖t‖ otherwise.
        comp = (DIRECTIONS < 0) & (path == "vector-complement")
        ref = np.where(comp, norm, 0.0)
        k = np.where(comp, -1.0, 1.0) / norm
        t_lo = np.where(recip & (DIRECTIONS < 0), 1.0 / hi, lo)
        t_hi = np.where(recip & (DIRECTIONS < 0), 1.0 / lo, hi)
        a, b = (t_lo - ref) * k * w, (t_hi - ref) * k * w
        vmax, vmin = np.maximum(a, b), np.minimum(a, b)
        dd = DIRECTIONS if path == "vector" else np.ones(M)
        best, worst = np.where(dd > 0, vmax, vmin), np.where(dd > 0, vmin, vmax)

        def v(j):
            return (t(j) - ref[j]) * (k[j] * w[j])

    dp = pl.sum_horizontal([(v(j) - best[j]) ** 2 for j in range(M)]).sqrt()
    dm = pl.sum_horizontal([(v(j) - worst[j]) ** 2 for j in range(M)]).sqrt()
    out = df.select((dm / (dp + dm)).alias("c"))
    return w, out["c"].to_numpy()


def prepare_skcriteria(X):
    import skcriteria as skc

    return skc.mkdm(X, objectives=[max if d > 0 else min for d in DIRECTIONS])


def run_skcriteria(dm, path):
    import warnings

    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.invert_objectives import InvertMinimize
    from skcriteria.preprocessing.scalers import MinMaxScaler, VectorScaler
    from skcriteria.preprocessing.weighters import EntropyWeighter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = EntropyWeighter().transform(dm)
        if path == "minmax":
            scaled = MinMaxScaler(target="matrix").transform(weighted)
        elif path == "vector-reciprocal":
            scaled = VectorScaler(target="matrix").transform(InvertMinimize().transform(weighted))
        else:  # skcriteria has no 1 − x/‖x‖ form; the closeness is the same as "keep"
            scaled = VectorScaler(target="matrix").transform(weighted)
        rank = TOPSIS().evaluate(scaled)
    return weighted.weights.to_numpy(), rank.e_.similarity


def run_pymcdm(X, path):
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import minmax_normalization, vector_normalization
    from pymcdm.weights import entropy_weights

    if path == "vector-reciprocal":
        raise NotImplementedError("pymcdm has no reciprocal vector form")
    norm = minmax_normalization if path == "minmax" else vector_normalization
    w = entropy_weights(X)
    return w, TOPSIS(norm)(X, w, DIRECTIONS)


def run_floor(X, path):
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


def worker(name: str, path: str, n: int, out: str, repeat: int) -> None:
    X = make_matrix(n)
    prepare, run = PIPELINES[name]
    data = prepare(X) if prepare else X
    if prepare:
        del X
    if name == "nqpf":  # load (or compile) the cached kernels outside the timing and memory base
        from nqpf.indices import _warmup

        _warmup.wait()
        run(make_matrix(10_000), path)  # above the fused-path threshold: starts the threads
    base = rss_bytes()
    times, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        try:
            w, s = run(data, path)
        except NotImplementedError as exc:
            print(json.dumps({"skip": str(exc)}))
            return
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.savez(out, w=np.asarray(w if w is not None else []), s=np.asarray(s))
    record = {
        "time": float(np.median(times)),
        "times": times,
        "cpu": float(np.median(cpus)),
        "extra": max(0, peak - base),
    }
    print(json.dumps(record))


def pair_worker(path: str, n: int, rounds: int) -> None:
    """nqpf and the Polars pipeline alternately in one process, so that both see the same
    machine load; prints the per-round times and ratios."""
    from nqpf.indices import _warmup

    X = make_matrix(n)
    df = prepare_polars(X)
    _warmup.wait()
    run_nqpf(make_matrix(10_000), path)
    t_n, t_p = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        w1, s1 = run_nqpf(X, path)
        t_n.append(time.perf_counter() - t)
        t = time.perf_counter()
        w2, s2 = run_polars(df, path)
        t_p.append(time.perf_counter() - t)
    t = time.perf_counter()
    X.sum()
    floor = time.perf_counter() - t
    delta = float(max(np.abs(w1 - w2).max(), np.abs(s1 - s2).max()))
    print(json.dumps({"nqpf": t_n, "polars": t_p, "floor": floor, "delta": delta}))


def _run_pairs(args) -> None:
    print(
        f"paired rounds, nqpf then Polars in one process; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'path':>17} {'n':>9} {'nqpf median s':>13} {'min–max':>13} {'polars median s':>15} "
        f"{'ratio median':>12} {'ratio min–max':>14} {'nqpf/floor':>10} {'|Δ|':>8}"
    )
    print(header)
    print("-" * len(header))
    for path in args.paths:
        for n in map(int, args.sizes):
            cmd = [sys.executable, __file__, "--pair-worker", path, str(n), str(args.repeat)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{path:>17} {n:>9} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            tn, tp = np.array(r["nqpf"]), np.array(r["polars"])
            ratio = tp / tn
            print(
                f"{path:>17} {n:>9} {np.median(tn):>13.3f} "
                f"{f'{tn.min():.3f}–{tn.max():.3f}':>13} {np.median(tp):>15.3f} "
                f"{np.median(ratio):>12.1f} {f'{ratio.min():.1f}–{ratio.max():.1f}':>14} "
                f"{np.median(tn) / r['floor']:>10.1f} {r['delta']:>8.1e}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    ap.add_argument(
        "--peers-max", type=float, default=1e7, help="largest n for scikit-criteria and pymcdm"
    )
    ap.add_argument(
        "--numpy-max", type=float, default=1e7, help="largest n for the numpy pipeline (5× input)"
    )
    ap.add_argument("--only", nargs="+", choices=list(PIPELINES), default=list(PIPELINES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--pairs",
        action="store_true",
        help="time nqpf and Polars alternately in one process (--repeat rounds) and print "
        "the per-round ratios: the fair comparison on a busy machine",
    )
    ap.add_argument(
        "--worker", nargs=4, metavar=("NAME", "PATH", "N", "OUT"), help=argparse.SUPPRESS
    )
    ap.add_argument("--pair-worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, path, n, out = args.worker
        worker(name, path, int(float(n)), out, args.repeat)
        return
    if args.pair_worker:
        path, n, rounds = args.pair_worker
        pair_worker(path, int(float(n)), int(rounds))
        return
    # Build (or load) the kernel cache in the foreground first: no process then starts a
    # background cache build that would compete with the timings.
    subprocess.run([sys.executable, "-m", "nqpf.warmup"], check=True, capture_output=True)
    if args.pairs:
        _run_pairs(args)
        return

    print(
        f"entropy weights + TOPSIS, n × {M}, seed {SEED}; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'path':>17} {'n':>9} {'method':>16} {'median s':>8} {'min–max s':>15} {'CPU s':>7} "
        f"{'× nqpf':>8} "
        f"{'× floor':>8} {'extra MB':>9} {'peak/in':>8} {'|Δw|':>8} {'|Δscore|':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.paths:
            for n in map(int, args.sizes):
                _run_size(args, path, n, tmp)
            print()


def _run_size(args, path: str, n: int, tmp: str) -> None:
    rows = {}
    input_bytes = n * M * 8
    for name in args.only:
        if name in SLOW_PEERS and n > args.peers_max:
            continue
        if name == "numpy" and n > args.numpy_max:
            continue
        out = str(Path(tmp) / f"{name}-{path}-{n}.npz")
        slow = (name in SLOW_PEERS or n >= 1e7) and name not in ("nqpf", "floor", "polars")
        repeat = 1 if slow else args.repeat
        cmd = [sys.executable, __file__, "--repeat", str(repeat), "--worker", name, path]
        proc = subprocess.run([*cmd, str(n), out], capture_output=True, text=True)
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()[-1:]
            print(f"{path:>17} {n:>9} {name:>16}  failed: {last}")
            continue
        record = json.loads(proc.stdout.strip().splitlines()[-1])
        if "skip" in record:
            print(f"{path:>17} {n:>9} {name:>16}  n/a: {record['skip']}")
            continue
        rows[name] = record | {"out": out}
    # The same maths in plain numpy is the reference; above --numpy-max, nqpf and Polars
    # are compared with each other.
    ref_name = "numpy" if "numpy" in rows else "polars"
    ref = np.load(rows[ref_name]["out"]) if ref_name in rows else None
    t_n = rows.get("nqpf", {}).get("time")
    t_f = rows.get("floor", {}).get("time")
    for name, r in rows.items():
        dw = ds = float("nan")
        if ref is not None and name in ("nqpf", "polars") and name != ref_name:
            got = np.load(r["out"])
            dw = float(np.abs(got["w"] - ref["w"]).max())
            ds = float(np.abs(got["s"] - ref["s"]).max())
        spread = f"{min(r['times']):.4f}–{max(r['times']):.4f}"
        print(
            f"{path:>17} {n:>9} {name:>16} {r['time']:>8.4f} {spread:>15} {r['cpu']:>7.2f} "
            f"{(r['time'] / t_n if t_n else float('nan')):>8.2f} "
            f"{(r['time'] / t_f if t_f else float('nan')):>8.1f} "
            f"{r['extra'] / 2**20:>9.1f} {(input_bytes + r['extra']) / input_bytes:>8.2f} "
            f"{dw:>8.1e} {ds:>8.1e}"
        )
    if "nqpf" in rows and "polars" in rows:
        ratio = rows["polars"]["time"] / rows["nqpf"]["time"]
        print(f"{'':>17} {'':>9} polars / nqpf = {ratio:.1f}× (medians)")


if __name__ == "__main__":
    main()
