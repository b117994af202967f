"""Benchmark: the other index methods on n × 30, nqpf beside its peers, in one run.

Methods (each computes the same numbers in every implementation listed; the script checks
it and prints the largest difference from nqpf):

- ``std``: standard-deviation weights of the raw matrix (pymcdm
  ``standard_deviation_weights``, scikit-criteria ``std_weights``, numpy, Polars);
- ``variance``: variance weights of the min-max matrix (pymcdm ``variance_weights``,
  numpy, Polars);
- ``critic``: CRITIC on the min-max matrix, all columns benefit (pymcdm ``critic_weights``,
  scikit-criteria ``CRITIC``, numpy);
- ``critic-unscaled``: CRITIC on the raw matrix (scikit-criteria ``CRITIC(scale=False)``,
  numpy);
- ``grey``: grey relational grade to the ideal series, ρ = 0.5 (numpy; the peers have no
  grey relational analysis);
- ``gra-topsis``: grey-relational TOPSIS (numpy);
- ``norm-vector``: vector normalisation with cost columns as 1 − x/‖x‖ (pymcdm
  ``normalize_matrix(…, vector_normalization, types)``, numpy);
- ``norm-sum``: sum normalisation with cost columns as (1/x)/Σ(1/x) (pymcdm
  ``sum_normalization``, scikit-criteria ``InvertMinimize`` + ``SumScaler``, numpy).

The normalisations return the whole n × m matrix, so nqpf computes them with numpy too;
they are here to show that the new conventions cost what the peers' do.  Every (method,
implementation, n) runs in its own subprocess on the same seeded lognormal matrix as
``bench_index.py``; times are the median of ``--repeat`` runs (the peers above 1e5 once).

Usage::

    python benchmarks/bench_index_methods.py                     # n = 1e5, 1e6
    python benchmarks/bench_index_methods.py --sizes 1e7 --only nqpf numpy floor
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
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index import DIRECTIONS, SEED, M, make_matrix, rss_bytes

ONES = np.ones(M, dtype=int)


# -- nqpf -----------------------------------------------------------------------------------


def nqpf(method):
    import nqpf.indices as ix

    return {
        "std": lambda X: ix.std_weights(X).weights,
        "variance": lambda X: ix.variance_weights(X).weights,
        "critic": lambda X: ix.critic_weights(X).weights,
        "critic-unscaled": lambda X: ix.critic_weights(X, normalization="none").weights,
        "grey": lambda X: ix.grey_relation(X, None, DIRECTIONS).scores,
        "gra-topsis": lambda X: ix.gra_topsis(X, None, DIRECTIONS).scores,
        "norm-vector": lambda X: ix.vector(X, DIRECTIONS, cost="complement"),
        "norm-sum": lambda X: ix.proportion(X, DIRECTIONS),
    }[method]


# -- numpy twins ----------------------------------------------------------------------------


def _mm(X, d):
    lo, hi = X.min(axis=0), X.max(axis=0)
    return np.where(d > 0, X - lo, hi - X) / (hi - lo)


def _critic(Z):
    sd = Z.std(axis=0)
    c = sd * (1 - np.corrcoef(Z, rowvar=False)).sum(axis=0)
    return c / c.sum()


def _grey(R, x0, w):
    delta = np.abs(R - x0)
    dmin, dmax = delta.min(), delta.max()
    return ((dmin + 0.5 * dmax) / (delta + 0.5 * dmax)) @ w


def numpy_impl(method):
    w = np.full(M, 1 / M)

    def std(X):
        s = X.std(axis=0, ddof=1)
        return s / s.sum()

    def variance(X):
        v = _mm(X, ONES).var(axis=0, ddof=1)
        return v / v.sum()

    def gra_topsis(X):
        R = _mm(X, DIRECTIONS)
        rp, rm = _grey(R, R.max(axis=0), w), _grey(R, R.min(axis=0), w)
        return rp / (rp + rm)

    def norm_vector(X):
        R = X / np.sqrt((X * X).sum(axis=0))
        R[:, DIRECTIONS < 0] = 1 - R[:, DIRECTIONS < 0]
        return R

    def norm_sum(X):
        T = X.copy()
        T[:, DIRECTIONS < 0] = 1 / T[:, DIRECTIONS < 0]
        return T / T.sum(axis=0)

    return {
        "std": std,
        "variance": variance,
        "critic": lambda X: _critic(_mm(X, ONES)),
        "critic-unscaled": _critic,
        "grey": lambda X: (lambda R: _grey(R, R.max(axis=0), w))(_mm(X, DIRECTIONS)),
        "gra-topsis": gra_topsis,
        "norm-vector": norm_vector,
        "norm-sum": norm_sum,
    }.get(method)


# -- peers ----------------------------------------------------------------------------------


def polars_impl(method):
    import polars as pl

    def frame(X):
        return pl.from_numpy(X, schema=[f"c{j}" for j in range(M)])

    def std(df):
        s = np.array(df.select(pl.all().std(ddof=1)).row(0))
        return s / s.sum()

    def variance(df):
        lo = df.select(pl.all().min()).row(0)
        hi = df.select(pl.all().max()).row(0)
        exprs = [
            ((pl.col(c) - lo[j]) / (hi[j] - lo[j])).var(ddof=1) for j, c in enumerate(df.columns)
        ]
        v = np.array(df.select(exprs).row(0))
        return v / v.sum()

    impl = {"std": std, "variance": variance}.get(method)
    return None if impl is None else (frame, impl)


def pymcdm_impl(method):
    from pymcdm import weights as pw
    from pymcdm.helpers import normalize_matrix
    from pymcdm.normalizations import sum_normalization, vector_normalization

    return {
        "std": pw.standard_deviation_weights,
        "variance": pw.variance_weights,
        "critic": pw.critic_weights,
        "norm-vector": lambda X: normalize_matrix(X, vector_normalization, DIRECTIONS),
        "norm-sum": lambda X: normalize_matrix(X, sum_normalization, DIRECTIONS),
    }.get(method)


def skcriteria_impl(method):
    import skcriteria as skc
    from skcriteria.preprocessing.invert_objectives import InvertMinimize
    from skcriteria.preprocessing.scalers import SumScaler
    from skcriteria.preprocessing.weighters import CRITIC, std_weights

    def dm(X):
        return skc.mkdm(X, [max if d > 0 else min for d in DIRECTIONS])

    def dm_max(X):
        return skc.mkdm(X, [max] * M)

    impl = {
        "std": (None, std_weights),
        "critic": (dm_max, lambda d: CRITIC().transform(d).weights.to_numpy()),
        "critic-unscaled": (
            dm_max,
            lambda d: CRITIC(scale=False).transform(d).weights.to_numpy(),
        ),
        "norm-sum": (
            dm,
            lambda d: (
                SumScaler(target="matrix")
                .transform(InvertMinimize().transform(d))
                .matrix.to_numpy()
            ),
        ),
    }.get(method)
    return impl


def run_floor(X):
    return np.array([X.sum()])


def resolve(name, method):
    """(prepare, run) or None when the implementation has no such method."""
    if name == "nqpf":
        return None, nqpf(method)
    if name == "numpy":
        impl = numpy_impl(method)
        return None if impl is None else (None, impl)
    if name == "polars":
        return polars_impl(method)
    if name == "pymcdm":
        impl = pymcdm_impl(method)
        return None if impl is None else (None, impl)
    if name == "scikit-criteria":
        return skcriteria_impl(method)
    return None, run_floor


METHODS = (
    "std",
    "variance",
    "critic",
    "critic-unscaled",
    "grey",
    "gra-topsis",
    "norm-vector",
    "norm-sum",
)
IMPLS = ("nqpf", "numpy", "polars", "pymcdm", "scikit-criteria", "floor")
SLOW = {"pymcdm", "scikit-criteria"}


def worker(name: str, method: str, n: int, out: str, repeat: int) -> None:
    spec = resolve(name, method)
    if spec is None:
        print(json.dumps({"skip": True}))
        return
    prepare, run = spec
    X = make_matrix(n)
    data = prepare(X) if prepare else X
    if name == "nqpf":
        from nqpf.indices import _warmup

        _warmup.wait()
        run(make_matrix(10_000))  # threads started, kernels loaded
    base = rss_bytes()
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):
            t = time.perf_counter()
            result = run(data)
            times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.save(out, np.asarray(result)[:1000] if np.ndim(result) == 2 else np.asarray(result))
    rec = {"time": float(np.median(times)), "times": times, "extra": max(0, peak - base)}
    print(json.dumps(rec))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6])
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    ap.add_argument("--only", nargs="+", choices=IMPLS, default=list(IMPLS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, method, n, out = args.worker
        worker(name, method, int(float(n)), out, args.repeat)
        return
    # Build (or load) the kernel cache in the foreground first: no process then starts a
    # background cache build that would compete with the timings.
    subprocess.run([sys.executable, "-m", "nqpf.warmup"], check=True, capture_output=True)
    print(
        f"index methods, n × {M}, seed {SEED}; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'method':>15} {'n':>9} {'impl':>16} {'median s':>9} {'min–max s':>15} "
        f"{'× nqpf':>8} {'× floor':>8} {'extra MB':>9} {'|Δ| vs nqpf':>11}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods:
            for n in map(int, args.sizes):
                rows = {}
                for name in args.only:
                    out = str(Path(tmp) / f"{name}-{method}-{n}.npy")
                    repeat = 1 if name in SLOW and n > 1e5 else args.repeat
                    cmd = [sys.executable, __file__, "--repeat", str(repeat), "--worker"]
                    proc = subprocess.run(
                        [*cmd, name, method, str(n), out], capture_output=True, text=True
                    )
                    if proc.returncode != 0:
                        last = proc.stderr.strip().splitlines()[-1:]
                        print(f"{method:>15} {n:>9} {name:>16}  failed: {last}")
                        continue
                    rec = json.loads(proc.stdout.strip().splitlines()[-1])
                    if not rec.get("skip"):
                        rows[name] = rec | {"out": out}
                t_n = rows.get("nqpf", {}).get("time")
                t_f = rows.get("floor", {}).get("time")
                ref = np.load(rows["nqpf"]["out"]) if "nqpf" in rows else None
                for name, r in rows.items():
                    delta = float("nan")
                    if ref is not None and name not in ("nqpf", "floor"):
                        delta = float(np.abs(np.load(r["out"]) - ref).max())
                    spread = f"{min(r['times']):.4f}–{max(r['times']):.4f}"
                    print(
                        f"{method:>15} {n:>9} {name:>16} {r['time']:>9.4f} {spread:>15} "
                        f"{(r['time'] / t_n if t_n else float('nan')):>8.2f} "
                        f"{(r['time'] / t_f if t_f else float('nan')):>8.1f} "
                        f"{r['extra'] / 2**20:>9.1f} {delta:>11.1e}"
                    )
            print()


if __name__ == "__main__":
    main()
