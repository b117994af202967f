"""Benchmark of nqpf.disparity beside PySAL, in one run.

Runs the two disparity benchmarks and prints their tables:

- ``bench_disparity_gini.py``: Dagum decomposition (n = 1e4 … 1e6, k = 8 groups) against one
  ``np.sort(y)`` (target ≤ 4×) and the all-pairs twin; Gini and Theil against
  ``inequality`` (PySAL);
- ``bench_disparity_moran.py``: global and local Moran's I with 999 permutations on
  n ≈ 3,000 with sparse weights against ``esda`` (target: no slower).

Usage: ``python benchmarks/bench_disparity.py``
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    status = 0
    for script in ("bench_disparity_gini.py", "bench_disparity_moran.py"):
        print(f"\n=== {script} ===", flush=True)
        status |= subprocess.run([sys.executable, str(HERE / script), *sys.argv[1:]]).returncode
    sys.exit(status)
