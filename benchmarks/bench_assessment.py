"""Benchmark: scoring SME digital-level (2024) responses, batch and single.

Targets (issue "Enterprise assessment engine"): 1,000,000 responses in ≤ 20 s with
``batch_score``, one ``score()`` in ≤ 2 ms.

Usage: ``python benchmarks/bench_assessment.py [n_rows]``
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

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


if __name__ == "__main__":
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    table = synthetic(n)
    t0 = time.perf_counter()
    out = batch_score(FW, table)
    batch = time.perf_counter() - t0
    assert out.n_valid == n
    row = table.iloc[0].to_dict()
    t0 = time.perf_counter()
    for _ in range(1000):
        score(FW, row)
    single = (time.perf_counter() - t0) / 1000
    print(f"batch_score sme-digital-2024: {n:,} rows in {batch:.2f} s (target ≤ 20 s)")
    print(f"score(): {single * 1e3:.3f} ms per response (target ≤ 2 ms)")
