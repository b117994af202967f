"""Benchmark of nqpf.disparity beside its peers (PySAL inequality, esda, giddy), in one run.

Sections (all by default; ``--sections`` picks some):

``grouped``
    Grouped statistics at n = 1e6 (``--n``), k = 8 groups, with the labels as users pass
    them: integer codes 0 … 7 in random order, province-like codes (11, 31, … 65), numpy
    strings 东部/中部/…, a pandas Series of strings and a pandas Categorical.  Printed as
    multiples of one ``np.sort(y)`` of the same float64 vector measured in the same run
    (target for Dagum: ≤ 3×), beside the cost of the old encoding
    ``np.unique(labels, return_inverse=True)`` and PySAL ``inequality.theil.TheilD``.
``methods``
    The methods issue 15 added, each beside its peer on the same data: local Moran with
    conditional moments (esda ``Moran_Local``), Moran's I of EB rates (esda
    ``Moran_Rate``), bivariate Moran global and local (esda ``Moran_BV``,
    ``Moran_Local_BV``), Theil permutation inference (inequality ``TheilDSim``), the
    discrete spatial Markov chain with its lag ties (giddy ``Spatial_Markov``), mobility
    indices and sojourn times (giddy ``markov_mobility``, ``prais``, ``sojourn_time``).
    esda's numba kernels are compiled in an untimed warm-up call.
``legacy``
    The earlier scripts ``bench_disparity_gini.py`` (Dagum/Gini/Theil by n) and
    ``bench_disparity_moran.py`` (Moran permutation engines), each in a subprocess.

Times are the best of several repeats (at least 3, until ~0.3 s is spent); every ratio is
of two times measured in this run.  The machine may be shared: repeat a run to see the
spread.

Usage::

    python benchmarks/bench_disparity.py
    python benchmarks/bench_disparity.py --sections grouped --n 1e6
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20250
K = 8
REGIONS = np.array(["东部", "中部", "西部", "东北", "华北", "华南", "西南", "西北"])
PROVINCE_CODES = np.array([44, 11, 65, 31, 23, 52, 37, 61])


def best_time(func, *, min_repeat: int = 3, budget: float = 0.3, max_repeat: int = 50, clock=None):
    """Best time of ``func()`` in seconds (wall clock unless ``clock`` is given), and its
    last return value."""
    clock = clock or time.perf_counter
    best, spent, reps, out = float("inf"), 0.0, 0, None
    while reps < min_repeat or (spent < budget and reps < max_repeat):
        t0 = clock()
        out = func()
        dt = clock() - t0
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    return best, out


def cpu_time(func, **kw):
    """Best CPU time of this process (``time.process_time``): the grouped statistics run
    on one thread, so on a shared machine this is steadier than the wall clock."""
    return best_time(func, clock=time.process_time, **kw)


def quiet(func, *args, **kw):
    """Call a peer without its warnings or prints."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return func(*args, **kw)


# --------------------------------------------------------------------------- grouped


def grouped(n: int) -> None:
    from inequality.theil import TheilD

    from nqpf.disparity import dagum, theil

    rng = np.random.default_rng(SEED)
    code = rng.integers(0, K, n)
    y = rng.lognormal(mean=0.0, sigma=0.7, size=n) * (1.0 + 0.15 * code)
    labels = {
        "int codes 0…7": code,
        "province codes": PROVINCE_CODES[code],
        "numpy str 东部…": REGIONS[code],
        "pandas Series str": pd.Series(REGIONS[code]),
        "pandas Categorical": pd.Series(REGIONS[code]).astype("category"),
    }
    t_sort, _ = cpu_time(lambda: np.sort(y), min_repeat=9)
    print(
        f"\n== grouped statistics: n = {n:,}, k = {K}; floor = one np.sort(y) = "
        f"{1e3 * t_sort:.2f} ms CPU =="
    )
    head = (
        f"{'labels':>22} {'np.unique enc':>14} {'dagum':>9} {'theil':>9} {'TheilD':>9} "
        f"{'|Δ T_b|':>9}"
    )
    print(head + "   (× np.sort, CPU time; [dagum × np.sort, wall clock])")
    print("-" * len(head))
    ref = theil(y, code)
    summary = []
    for name, g in labels.items():
        arr = np.asarray(g) if not isinstance(g, pd.Series) else None
        t_uni = cpu_time(
            lambda a=arr, s=g: np.unique(a if a is not None else np.asarray(s), return_inverse=True)
        )[0]
        t_sort = min(t_sort, cpu_time(lambda: np.sort(y), min_repeat=5)[0])
        t_dag, _ = cpu_time(lambda s=g: dagum(y, s), min_repeat=9)
        t_th, res = cpu_time(lambda s=g: theil(y, s), min_repeat=5)
        wall_sort, _ = best_time(lambda: np.sort(y), min_repeat=9)
        wall_dag, _ = best_time(lambda s=g: dagum(y, s), min_repeat=9)
        t_pd = float("nan")
        if name in ("int codes 0…7", "numpy str 东部…"):
            t_pd, _ = cpu_time(lambda s=g: TheilD(y, np.asarray(s)), min_repeat=1, budget=0)
        print(
            f"{name:>22} {t_uni / t_sort:>14.2f} {t_dag / t_sort:>9.2f} {t_th / t_sort:>9.2f} "
            f"{t_pd / t_sort:>9.2f} {abs(res.between - ref.between):>9.1e}"
            f"   [{wall_dag / wall_sort:.2f}]"
        )
        summary.append((name, t_dag / t_sort))
    worst = max(r for _, r in summary)
    print(f"dagum / np.sort (CPU): worst {worst:.2f}× over the label forms (target ≤ 3×)")


# --------------------------------------------------------------------------- methods


def _lattice(side: int):
    import libpysal

    from nqpf.disparity.weights import lattice_adjacency, spatial_weights

    w = spatial_weights(lattice_adjacency(side, side))
    wl = libpysal.weights.lat2W(side, side)
    wl.transform = "r"
    return w, wl


def _row(name, t_ours, t_peer, peer_name, delta, note=""):
    ratio = t_peer / t_ours if t_ours > 0 else float("nan")
    print(
        f"{name:>34} {1e3 * t_ours:>10.2f} {peer_name:>26} {1e3 * t_peer:>10.2f} "
        f"{ratio:>8.2f} {delta:>9.1e}  {note}"
    )


def methods(side: int, perms: int) -> None:
    import esda
    import giddy.markov as gm
    import giddy.mobility as gmob
    import libpysal
    import mapclassify as mc
    from inequality.theil import TheilDSim

    from nqpf.disparity import (
        local_moran,
        local_moran_bv,
        markov,
        mobility,
        moran_bv,
        moran_rate,
        sojourn_time,
        spatial_markov,
        theil,
    )

    n = side * side
    rng = np.random.default_rng(SEED)
    w, wl = _lattice(side)
    trend = np.arange(n) // side / side
    x = rng.normal(size=n) + trend
    y = rng.normal(size=n) + 0.8 * trend
    pop = rng.integers(500, 50_000, n).astype(float)
    events = rng.poisson(pop * (0.01 + 0.005 * trend)).astype(float)
    print(
        f"\n== methods vs peers: rook lattice {side} × {side} (n = {n:,}), "
        f"P = {perms} permutations =="
    )
    head = f"{'nqpf':>34} {'ms':>10} {'peer':>26} {'ms':>10} {'× nqpf':>8} {'|Δ|':>9}"
    print(head + "  (|Δ| of the deterministic statistic)")
    print("-" * len(head))

    # warm-up esda's numba kernels and nqpf's (compiled once, cached)
    quiet(esda.Moran_Local, x[:50], libpysal.weights.lat2W(5, 10), permutations=9, seed=1)
    quiet(
        esda.Moran_Local_BV, x[:50], y[:50], libpysal.weights.lat2W(5, 10), permutations=9, seed=1
    )
    local_moran(x, w, 9, rng=0)

    t_o, r = best_time(lambda: local_moran(x, w, perms, rng=1), min_repeat=2)
    t_p, ref = best_time(
        lambda: quiet(esda.Moran_Local, x, wl, permutations=perms, seed=1), min_repeat=2
    )
    d = max(
        np.abs(r.EIc - ref.EIc).max(), np.abs(r.VIc - ref.VIc).max(), np.abs(r.Is - ref.Is).max()
    )
    _row("local_moran (+ EIc, VIc, z_c)", t_o, t_p, "esda Moran_Local", d)

    t_o, r = best_time(lambda: moran_rate(events, pop, w, perms, rng=1), min_repeat=2)
    t_p, ref = best_time(
        lambda: quiet(esda.Moran_Rate, events, pop, wl, permutations=perms), min_repeat=2
    )
    _row("moran_rate (EB)", t_o, t_p, "esda Moran_Rate", abs(r.I - ref.I))

    t_o, r = best_time(lambda: moran_bv(x, y, w, perms, rng=1), min_repeat=2)
    t_p, ref = best_time(
        lambda: quiet(esda.Moran_BV, x, y, wl, permutations=perms), min_repeat=1, budget=0
    )
    _row("moran_bv", t_o, t_p, "esda Moran_BV", abs(r.I - ref.I))

    t_o, r = best_time(lambda: local_moran_bv(x, y, w, perms, rng=1), min_repeat=2)
    t_p, ref = best_time(
        lambda: quiet(esda.Moran_Local_BV, x, y, wl, permutations=perms, seed=1), min_repeat=2
    )
    _row("local_moran_bv", t_o, t_p, "esda Moran_Local_BV", np.abs(r.Is - ref.Is).max())

    groups = (np.arange(n) % side) * 4 // side  # 4 bands of columns
    inc = np.exp(x)
    t_o, r = best_time(lambda: theil(inc, groups, permutations=perms, rng=1), min_repeat=2)
    t_p, ref = best_time(lambda: quiet(TheilDSim, inc, groups, perms), min_repeat=1, budget=0)
    _row(
        "theil(permutations=P)",
        t_o,
        t_p,
        "inequality TheilDSim",
        abs(r.between - float(np.ravel(ref.bg)[0])),
        f"p {r.between_p_value:.3f} vs {float(np.ravel(ref.bg_pvalue)[0]):.3f}",
    )

    # discrete spatial Markov with ties: quintile classes of a 10-period panel
    t = 10
    panel = np.cumsum(rng.normal(size=(n, t)), axis=1) + trend[:, None] * 3
    classes = mc.Quantiles(panel.ravel(), k=5).yb.reshape(panel.shape)
    t_o, r = best_time(
        lambda: spatial_markov(classes, w, discrete=True, lag_ties="lowest"), min_repeat=2
    )
    t_p, ref = best_time(
        lambda: quiet(gm.Spatial_Markov, classes, wl, discrete=True), min_repeat=1, budget=0
    )
    t_f, rf = best_time(lambda: spatial_markov(classes, w, discrete=True), min_repeat=2)
    tied = int(rf.lag_tied.sum())
    _row(
        "spatial_markov discrete",
        t_o,
        t_p,
        "giddy Spatial_Markov",
        float(np.abs(r.transitions - ref.transitions).max()),
        f"fractional {1e3 * t_f:.1f} ms; {tied} of {n * t} unit-periods tied",
    )

    m = markov(classes=classes)
    t_o, res = best_time(lambda: mobility(m.p))
    t_p, _ = best_time(
        lambda: (
            [gmob.markov_mobility(m.p, measure=s) for s in ("P", "D", "L2", "B1", "B2")]
            + [gm.prais(m.p)]
        )
    )
    _row(
        "mobility (5 indices + Prais)",
        t_o,
        t_p,
        "giddy markov_mobility×5+prais",
        abs(res.shorrocks_trace - gmob.markov_mobility(m.p, measure="P")),
    )
    t_o, s = best_time(lambda: sojourn_time(m.p))
    t_p, s_ref = best_time(lambda: gm.sojourn_time(m.p, summary=False))
    _row("sojourn_time", t_o, t_p, "giddy sojourn_time", float(np.abs(s - s_ref).max()))


# --------------------------------------------------------------------------- legacy


def legacy(argv: list[str]) -> int:
    status = 0
    for script in ("bench_disparity_gini.py", "bench_disparity_moran.py"):
        print(f"\n=== {script} ===", flush=True)
        status |= subprocess.run([sys.executable, str(HERE / script), *argv]).returncode
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sections",
        nargs="+",
        default=["grouped", "methods", "legacy"],
        choices=["grouped", "methods", "legacy"],
    )
    parser.add_argument("--n", type=float, default=1e6, help="size of the grouped section")
    parser.add_argument("--side", type=int, default=55, help="lattice side of the methods")
    parser.add_argument("--perms", type=int, default=999)
    args = parser.parse_args(argv)
    # Build (or load) the kernel cache in the foreground: no background build competes.
    subprocess.run([sys.executable, "-m", "nqpf.warmup"], check=True, capture_output=True)
    import numba

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas "
        f"{pd.__version__}, numba {numba.__version__}, {platform.machine()}"
    )
    if "grouped" in args.sections:
        grouped(int(args.n))
    if "methods" in args.sections:
        methods(args.side, args.perms)
    if "legacy" in args.sections:
        return legacy([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
