"""Benchmark: staggered DiD on a large simulated panel (not a test).

Target (issue 12): Callaway–Sant'Anna on 50,000 firms × 10 years ≤ 10 s on the 2-core
project machine.

Usage: ``python benchmarks/bench_did.py [n_firms] [--years 10] [--repeat 3] [--also sa twfe did2s]``

For each repeat, on the same panel (:func:`nqpf.evaluation.synthetic.staggered_panel`,
示例数据: 3 cohorts + 25 % never treated, heterogeneous dynamic effect), it times

* ``nqpf cs``: :func:`nqpf.evaluation.did` end to end (panel checks, csdid ATT(g, t),
  simple and dynamic aggregation, pre-test, result object);
* ``csdid``: the same calls on csdid directly (``ATTgt(...).fit(bstrap=False)``,
  ``aggte("simple")``, ``aggte("dynamic")``) — the peer;
* ``floor``: one numpy pass over the outcome (per-unit and per-period sums, ``bincount``);
* optionally the other estimators through :func:`nqpf.evaluation.did`.

It prints wall and CPU seconds, the spread over repeats, nqpf / csdid ratios measured in
the same run, the estimates against the truth, and the machine (CPU, load, versions).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import time
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd

from nqpf.evaluation import did
from nqpf.evaluation.synthetic import staggered_panel


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def _csdid_direct(panel: pd.DataFrame):
    from csdid.att_gt import ATTgt

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ATTgt(yname="y", tname="year", idname="firm", gname="cohort", data=panel,
                  control_group=["nevertreated"])  # fmt: skip
        m.fit(est_method="dr", bstrap=False)
        att = m.aggte(typec="simple").atte["overall_att"]
        m.aggte(typec="dynamic")
    return float(att)


def _floor(panel: pd.DataFrame) -> float:
    ids = panel["firm"].to_numpy()
    t = panel["year"].to_numpy() - panel["year"].min()
    y = panel["y"].to_numpy()
    return float(np.bincount(ids, weights=y).sum() + np.bincount(t, weights=y).sum())


def _machine() -> str:
    load = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}; {os.cpu_count()} cores; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"python {platform.python_version()}, numpy {version('numpy')}, pandas {version('pandas')}, "
        f"csdid {version('csdid')}, pyfixest {version('pyfixest')}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n_firms", nargs="?", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--also", nargs="*", default=[], choices=["sa", "twfe", "did2s"])
    args = ap.parse_args()
    years = (2015, 2015 + args.years - 1)
    panel, truth = staggered_panel(args.n_firms, years=years, seed=2024)
    direct = panel.assign(firm=pd.factorize(panel["firm"])[0])
    print(f"machine: {_machine()}")
    print(f"panel: {args.n_firms:,} firms × {args.years} years = {len(panel):,} rows; "
          f"true ATT {truth.att():.4f}")  # fmt: skip
    # warm-up: imports (csdid, scipy, pyfixest) are paid once per process, not per estimate
    _timed(lambda: did(panel.head(2000 * args.years), unit="firm", time="year",
                       cohort="cohort", outcome="y"))  # fmt: skip
    rows = {"nqpf cs": [], "csdid": [], "floor": []}
    for name in args.also:
        rows[f"nqpf {name}"] = []
    estimates = {}
    for _ in range(args.repeat):
        r, wall, cpu = _timed(
            lambda: did(panel, unit="firm", time="year", cohort="cohort", outcome="y")
        )
        rows["nqpf cs"].append((wall, cpu))
        estimates["nqpf cs"] = (r.att, r.ci)
        att, wall, cpu = _timed(lambda: _csdid_direct(direct))
        rows["csdid"].append((wall, cpu))
        estimates["csdid"] = (att, None)
        _, wall, cpu = _timed(lambda: _floor(direct))
        rows["floor"].append((wall, cpu))
        for name in args.also:
            kw = {
                "unit": "firm",
                "time": "year",
                "cohort": "cohort",
                "outcome": "y",
                "method": name,
            }
            r, wall, cpu = _timed(lambda kw=kw: did(panel, **kw))
            rows[f"nqpf {name}"].append((wall, cpu))
            estimates[f"nqpf {name}"] = (r.att, r.ci)
    med = {k: statistics.median(w for w, _ in v) for k, v in rows.items()}
    print(f"{'':10} {'wall median':>12} {'min':>8} {'max':>8} {'CPU median':>11}  {'/ csdid':>8}")
    for k, v in rows.items():
        walls = [w for w, _ in v]
        cpus = [c for _, c in v]
        print(
            f"{k:10} {med[k]:12.3f} {min(walls):8.3f} {max(walls):8.3f} "
            f"{statistics.median(cpus):11.3f}  {med[k] / med['csdid']:8.2f}"
        )
    for k, (att, ci) in estimates.items():
        band = "" if ci is None else f"  95% CI [{ci[0]:.4f}, {ci[1]:.4f}]"
        print(f"{k:10} ATT {att:.4f}{band}  (truth {truth.att():.4f})")
    print(f"target: nqpf cs ≤ 10 s — median {med['nqpf cs']:.2f} s "
          f"({'met' if med['nqpf cs'] <= 10 else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    main()
