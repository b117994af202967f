"""Benchmark: scoring SME digital-level (2024) responses, batch and single.

Targets: 1,000,000 responses in ≤ 2 s with ``batch_score`` from a DataFrame, from an
Arrow table and from a list of dicts alike (issue 15; the first target, issue "Enterprise
assessment engine", was ≤ 20 s from a DataFrame), one ``score()`` in ≤ 2 ms.  Each input
form is timed ``--repeat`` times (wall and CPU time of this process, medians); the
conversion from the caller's form is inside the timing, and the list of dicts is also
timed as a caller would convert it first (``pd.DataFrame``, ``polars.from_dicts``), with
CPU ratios to the DataFrame run.  The synthetic answers draw every
multi-select subset at random, so about 16,000 distinct cells are checked one by one —
far more than real questionnaires have.

Usage: ``python benchmarks/bench_assessment.py [n_rows] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from nqpf.assessment import batch_score, load_framework, score

FW = load_framework("sme-digital-2024")


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """Random valid responses: rates in [0, 100], random options, multi-selects, scene levels."""
    rng = np.random.default_rng(seed)
    cols: dict = {}
    for q in FW.questions:
        if q.kind == "number":
            cols[q.id] = rng.uniform(0, 100, n).round(1)
        elif q.kind == "single":
            ids = np.array([o.id for o in q.options], dtype=object)
            cols[q.id] = ids[rng.integers(0, len(ids), n)]
        else:
            opts = [o.id for o in q.options if not o.exclusive]
            keys = (rng.random((n, len(opts))) < 0.5) @ (1 << np.arange(len(opts)))
            uniq, inv = np.unique(keys, return_inverse=True)
            text = ["|".join(o for b, o in enumerate(opts) if k >> b & 1) for k in uniq]
            cols[q.id] = np.array(text, dtype=object)[inv]
    for s in FW.scene_ids:
        cols[s] = rng.integers(1, 5, n)
    return pd.DataFrame(cols)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.median(cpus)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = int(args.n)
    table = synthetic(n)
    forms = {
        "DataFrame": table,
        "Arrow table": pa.Table.from_pandas(table, preserve_index=False),
        "list of dicts": table.to_dict("records"),
    }
    print(
        f"batch_score sme-digital-2024, {n:,} responses; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (target ≤ 2 s each)"
    )
    print(f"{'input':>26} {'wall s':>8} {'CPU s':>8} {'CPU ÷ DataFrame':>16} {'met':>5}")
    records = forms["list of dicts"]
    runs = {name: (lambda d=data: batch_score(FW, d)) for name, data in forms.items()}
    # Peers for the list of dicts: the caller converting it first, with pandas or Polars.
    runs["pd.DataFrame(list) first"] = lambda: batch_score(FW, pd.DataFrame(records))
    try:
        import polars as pl

        runs["pl.from_dicts(list) first"] = lambda: batch_score(FW, pl.from_dicts(records))
    except ImportError:
        pass
    base = None
    for name, run in runs.items():
        wall, cpu, out = timed(run, args.repeat)
        assert out.n_valid == n
        base = base or cpu
        met = "yes" if wall <= 2 else "no"
        print(f"{name:>26} {wall:>8.2f} {cpu:>8.2f} {cpu / base:>16.2f} {met:>5}")
    row = table.iloc[0].to_dict()
    t0 = time.perf_counter()
    for _ in range(1000):
        score(FW, row)
    single = (time.perf_counter() - t0) / 1000
    print(f"score(): {single * 1e3:.3f} ms per response (target ≤ 2 ms)")


if __name__ == "__main__":
    main()
