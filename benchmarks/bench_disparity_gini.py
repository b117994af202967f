"""Benchmark: Gini, Dagum decomposition and Theil — nqpf beside its peers, in one run.

For every n (k = 8 groups, seeded lognormal values with group-dependent scale) it times

- the floor: one ``np.sort(y)`` of the same float64 vector;
- ``nqpf.disparity.gini.dagum(y, groups)`` — target: at most 4 × the floor at n = 1e6;
- ``nqpf.disparity.gini.gini(y)`` beside PySAL ``inequality.gini.Gini(y)``;
- the all-pairs Dagum twin (straight from the definitions, one broadcast |y_i − y_r| block
  per group pair) only where it is feasible, n ≤ 2e4 — nothing is extrapolated;
- ``nqpf.disparity.theil.theil(y, groups)`` beside PySAL ``inequality.theil.TheilD``.

Times are the best of several repeats (at least 3, until ~0.3 s is spent); "peak MB" is the
peak of numpy/Python allocations during one call (tracemalloc), "|Δ|" the largest difference
from the reference number of that row's family (nqpf for the peers, the twin for dagum).

Usage::

    python benchmarks/bench_disparity_gini.py                 # n = 1e4, 1e5, 1e6
    python benchmarks/bench_disparity_gini.py --sizes 1e4 2e4
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc

import numpy as np

K = 8
SEED = 20250
TWIN_MAX_N = 20_000


def make_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    g = rng.integers(0, K, n)
    y = rng.lognormal(mean=0.0, sigma=0.7, size=n) * (1.0 + 0.15 * g)
    return y, g


def best_time(func, *, min_repeat: int = 3, budget: float = 0.3, max_repeat: int = 50):
    """Best wall time of ``func()`` in seconds, and its last return value."""
    best, spent, reps, out = float("inf"), 0.0, 0, None
    while reps < min_repeat or (spent < budget and reps < max_repeat):
        t0 = time.perf_counter()
        out = func()
        dt = time.perf_counter() - t0
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    return best, out


def peak_mb(func) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def dagum_twin(y: np.ndarray, g: np.ndarray) -> tuple[float, float, float, float]:
    """(G, G_w, G_nb, G_t) from the all-pairs definitions of methods.md §10.2."""
    labels = np.unique(g)
    parts = [y[g == v] for v in labels]
    n, mu = y.size, y.mean()
    nj = np.array([p.size for p in parts], dtype=float)
    mj = np.array([p.mean() for p in parts])
    order = np.argsort(mj, kind="stable")
    parts, nj, mj = [parts[i] for i in order], nj[order], mj[order]
    p, s = nj / n, nj * mj / (n * mu)
    k = len(parts)
    Gw = Gnb = Gt = 0.0
    total = 0.0
    for j in range(k):
        for h in range(k):
            diff = parts[j][:, None] - parts[h][None, :]
            absum = np.abs(diff).sum()
            total += absum
            G_jh = absum / (nj[j] * nj[h] * (mj[j] + mj[h]))
            if j == h:
                Gw += G_jh * p[j] * s[j]
            elif j > h:
                d = np.maximum(diff, 0).sum()
                q = np.maximum(-diff, 0).sum()
                D = (d - q) / (d + q) if d + q > 0 else 0.0
                weight = G_jh * (p[j] * s[h] + p[h] * s[j])
                Gnb += weight * D
                Gt += weight * (1 - D)
    return total / (2 * n * n * mu), Gw, Gnb, Gt


def measure(n: int) -> tuple[list[tuple], float]:
    """Rows (name, seconds, × its nqpf counterpart, peak MB, |Δ|) for size n."""
    from inequality.gini import Gini
    from inequality.theil import TheilD

    from nqpf.disparity.gini import dagum, gini
    from nqpf.disparity.theil import theil

    y, g = make_data(n)
    rows = []
    t_sort, _ = best_time(lambda: np.sort(y))
    rows.append(("np.sort(y)  [floor]", t_sort, None, peak_mb(lambda: np.sort(y)), None))

    t_dag, res = best_time(lambda: dagum(y, g))
    comps = np.array([res.total, res.within, res.between, res.transvariation])
    delta_dag = None
    if n <= TWIN_MAX_N:
        t_twin, twin = best_time(lambda: dagum_twin(y, g), min_repeat=1, budget=0)
        delta_dag = float(np.abs(comps - np.array(twin)).max())
    rows.append(("nqpf dagum", t_dag, None, peak_mb(lambda: dagum(y, g)), delta_dag))
    if delta_dag is not None:
        rows.append(("all-pairs Dagum twin", t_twin, t_twin / t_dag, None, delta_dag))

    t_gini, gres = best_time(lambda: gini(y))
    t_pg, pg = best_time(lambda: Gini(y).g)
    rows.append(("nqpf gini", t_gini, None, peak_mb(lambda: gini(y)), None))
    rows.append(
        ("inequality Gini", t_pg, t_pg / t_gini, peak_mb(lambda: Gini(y)), abs(pg - gres.G))
    )

    t_th, tres = best_time(lambda: theil(y, g))
    t_pt, pt = best_time(lambda: TheilD(y, g))
    d_th = max(abs(float(pt.bg[0]) - tres.between), abs(float(pt.wg[0]) - tres.within))
    rows.append(("nqpf theil (T_b, T_w)", t_th, None, peak_mb(lambda: theil(y, g)), None))
    rows.append(("inequality TheilD", t_pt, t_pt / t_th, peak_mb(lambda: TheilD(y, g)), d_th))
    return rows, t_sort


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    args = parser.parse_args(argv)

    print(
        f"Gini / Dagum / Theil, k = {K} groups, seed {SEED}; python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.machine()}"
    )
    header = (
        f"{'n':>9} {'method':>26} {'time ms':>10} {'× sort':>8} {'× nqpf':>8} "
        f"{'peak MB':>8} {'|Δ|':>9}"
    )
    print(header)
    print("-" * len(header))
    summary = []
    for n in (int(s) for s in args.sizes):
        rows, t_sort = measure(n)
        for name, t, vs, mb, delta in rows:
            print(
                f"{n:>9} {name:>26} {1e3 * t:>10.3f} {t / t_sort:>8.2f} "
                f"{'' if vs is None else f'{vs:.2f}':>8} {'' if mb is None else f'{mb:.1f}':>8} "
                f"{'' if delta is None else f'{delta:.1e}':>9}"
            )
        print()
        summary.append((n, rows[1][1] / t_sort))
    print("dagum / np.sort(y): " + ", ".join(f"n={n}: {r:.2f}×" for n, r in summary))
    print("target at n = 1e6: ≤ 4×")


if __name__ == "__main__":
    main()
