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

``--baseline REV`` also times the list of dicts through ``batch_score`` as of git revision
``REV`` (its scoring module loaded beside today's), in paired rounds (old, new, old, new…)
so that a change to the reader is measured in one run on the same data, whatever the
machine's load; the ratio printed is the median of the rounds' CPU ratios.

Usage: ``python benchmarks/bench_assessment.py [n_rows] [--repeat 3] [--baseline REV]``

Measured 2026-12-07 06:02 UTC, quiet machine (load 0.6), 10⁶ responses, ``--repeat 5
--baseline 4de577d``: DataFrame 0.56 s (first call 1.21 s), Arrow table 0.55 s, list of
dicts 0.90 s (first 0.89 s; the compiled reader, ``_records.c``); ``pd.DataFrame(list)``
first 3.85 s, ``pl.from_dicts(list)`` first 2.04 s; the list of dicts at 0.30× the CPU of
4de577d (the Python reader, 2.81 s) in paired rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from nqpf.assessment import batch_score, load_framework, score

FW = load_framework("sme-digital-2024")
ROOT = Path(__file__).resolve().parents[1]


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


def timed(fn, repeat: int) -> tuple[float, float, object, float]:
    """Median wall and CPU seconds of ``repeat`` calls, the last result, and the first
    call's wall seconds (it also pays for the memory the process had not yet touched)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.median(cpus)), out, walls[0]


def batch_score_at(rev: str):
    """``batch_score`` as of git revision ``rev``: its ``scoring.py`` run as a module of
    its own (the rest of nqpf is today's, which that file imports)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:src/nqpf/assessment/scoring.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    name = "nqpf.assessment._scoring_at_rev"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scoring_at_rev.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return module.batch_score


def paired(old, new, repeat: int) -> tuple[list[float], list[float]]:
    """CPU seconds of ``old`` and ``new`` in alternating rounds."""
    olds, news = [], []
    for _ in range(repeat):
        olds.append(timed(old, 1)[1])
        news.append(timed(new, 1)[1])
    return olds, news


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", metavar="REV", help="also time the list of dicts as of REV")
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
    print(
        f"{'input':>26} {'wall s':>8} {'CPU s':>8} {'first s':>8} {'CPU ÷ DataFrame':>16} "
        f"{'met':>5}"
    )
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
        wall, cpu, out, first = timed(run, args.repeat)
        assert out.n_valid == n
        base = base or cpu
        met = "yes" if wall <= 2 else "no"
        print(f"{name:>26} {wall:>8.2f} {cpu:>8.2f} {first:>8.2f} {cpu / base:>16.2f} {met:>5}")
    row = table.iloc[0].to_dict()
    t0 = time.perf_counter()
    for _ in range(1000):
        score(FW, row)
    single = (time.perf_counter() - t0) / 1000
    print(f"score(): {single * 1e3:.3f} ms per response (target ≤ 2 ms)")
    if args.baseline:
        before = batch_score_at(args.baseline)
        olds, news = paired(
            lambda: before(FW, records), lambda: batch_score(FW, records), args.repeat
        )
        ratios = np.array(news) / np.array(olds)
        print(
            f"list of dicts, paired rounds: {args.baseline} CPU {np.median(olds):.2f} s, "
            f"now {np.median(news):.2f} s, now ÷ {args.baseline} {np.median(ratios):.2f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
