"""Benchmark: ``nqpf index run`` end to end on a seeded firm panel (issue 14's speed case).

The panel is ``--firms`` firms × ``--years`` years × the 18 indicators of the shipped
``nqpf-three-factor`` system (default 50,000 × 20 = 1e6 rows), written once as CSV with a
fixed seed.  Each repetition runs the real command line (``python -m nqpf index run``) in a
fresh process, so interpreter start-up, imports, loading, the quality report, weighting,
aggregation, coupling (three subsystems) and writing CSV + Parquet are all counted.
Reported per repetition: wall time and peak resident memory of that process; then the
median and the spread (min–max), and peak memory as a multiple of the input (the CSV's
bytes, and the float64 matrix of the indicator values).

``--profile`` runs the same thing once more in-process under :mod:`cProfile`, prints the
time between the services' progress events (stage name, done, total) and the top
functions by cumulative time.  ``--check OTHER_OUT`` compares every table of the last run
with an earlier output folder (same tables to 1e-12, as the issue requires of a speed-up).

Usage::

    python benchmarks/bench_index_run.py                     # 1e6 rows, 3 repetitions
    python benchmarks/bench_index_run.py --firms 5000 --repeat 5 --profile
    python benchmarks/bench_index_run.py --keep out-before   # keep the outputs to compare
    python benchmarks/bench_index_run.py --check out-before
    git archive <commit> src | tar -x -C /tmp/before   # then, interleaved before/after:
    python benchmarks/bench_index_run.py --baseline /tmp/before/src

The machine may be shared: repeat and read the spread, not one number.

At 10× the rows (``--firms 500000 --repeat 1``, 2026-12-07 06:50 UTC, load 1.6, tree of
cffe9bb): CSV 1,480 MiB, 68.6 s wall (90.6 s CPU), peak 2,737 MiB = 1.85× the CSV — the
fixed 244 MiB of imports that keep the 1e6 run at 3.8× weigh little there.

``--stages`` runs once more per tree without a profiler and prints, per stage (from one
progress event of the services to the next stage's first), wall and CPU time, the
resident memory at its end and the stage's own peak (the kernel's peak is reset at each
event through ``/proc/self/clear_refs``); "imports" waits for numba's start-up thread.
It also times the data-quality report apart (its checks run inside loading, its
weight-shift refit inside weighting — once scored, in coupling, from 9d9165b to bd6be46 —
and quality.html/xlsx inside writing).

History (all on this 2-core machine, 2026-12-07): the run took ~90 s and 2.1 GB when the
issue was filed; a0b8c41 → 3ec2415 streamed the writers and scored in chunks (peak 1592 →
930 MiB); then the labels' string pools, coupling categories, dropping the input matrix
once scored (``keep_values=False``) and before coupling brought it to 703 MiB (4de577d);
the CSV streamed into one matrix sorted in place, chunk arrays let go early and ranks
period by period to 608 MiB (849090e).

Measured 2026-12-07 06:41 UTC (load average 0.7–1.1: other agents at work), ``--repeat
3 --stages --check`` with ``--baseline`` the tree of 8e81d7b, runs interleaved; CSV 148
MiB, float64 matrix 137 MiB.  Peak of the whole ``nqpf index run`` process (median of
3): 606 → 560 MiB = 4.1× → 3.8× the CSV; above the imports (244 MiB with numba's
start-up) 362 → 316 MiB = 2.4× → 2.1× the CSV.  Wall 8.55 → 8.06 s (spread 7.72–8.39),
CPU 10.74 → 9.88 s; outputs the same (``--check``, max |diff| 0; every CSV and Parquet
file byte for byte).  Per stage (one run each; peak = the stage's own):

=========  ===============================  ===============================
stage      before: wall s, CPU s, peak MiB  after: wall s, CPU s, peak MiB
=========  ===============================  ===============================
imports    0.83   1.03   244                0.77   0.94   244
load       1.59   1.86   553                1.77   1.77   470
weights    0.30   0.33   467                0.44   0.49   449
aggregate  0.61   0.61   591                0.66   0.66   462
coupling   0.42   0.46   601                0.17   0.17   494
tables     0.19   0.28   572                0.15   0.15   510
write      3.51   5.17   596                3.05   4.86   550
=========  ===============================  ===============================

What changed: the CSV's matrix lives in an anonymous memory map, and scoring gives each
chunk's rows back to the system as it goes (``CompositeIndex.transform(release_input=
True)``, ``keep_values=False`` only), so the matrix shrinks while the results grow
(aggregate 591 → 462); the outliers' weight-shift refit runs before scoring, on the
matrix clipped in place and put back bit for bit (it is back in weights), and fit takes
the pooled extremes a chunk at a time (weights 467 → 449); the CSV pieces are parsed on
the calling thread (Arrow's pool threads each kept their freed blocks: ~20 MiB in every
stage, for ~0.2 s more loading), blank rows and outliers are found 65,536 rows at a
time, the panel's input-order codes go once sorted (load 553 → 470); the subsystem scores are one column-major matrix the coupling model
reads uncopied, in 65,536-row chunks, and the panel without its values keeps its label
codes instead of factorizing 1e6 labels again (coupling 601 → 494, tables 572 → 510);
wide tables are views of each period's rows, the period column is the panel's own, units
a categorical of its codes, and Parquet slices are converted on one thread (write 596 →
550).

The 3× goal (444 MiB for the whole process) is still not met, and no stage but the
quality mark meets it.  What stands, above the imports' 244 MiB: loading ends at 428
MiB — the matrix (137), the panel's per-row labels and codes (two int64 codes, an int64
period and an object entity per row: ~33) and ~14 MiB the allocators keep — and each of
load, weights and aggregate adds 20–40 MiB of working arrays on top (the labels' sort,
the weight-shift refit's kept cells and chunks, the scoring chunks): 449–470.  From
coupling on, the per-row results (index, rank, 9 sub-indices, top obstacles and degrees,
dimension obstacles: 133) sit beside the coupling's U, C, T, D and two class columns
(61) and the labels (~37): writing starts at ~501 MiB and the two writer threads add
~50.  Coming under 444 there needs the per-row tables written as they are scored (a run
that streams chunks of rows to the writers instead of returning every result array
first), which ``write_run``'s whole-folder design does not allow yet; before it, a panel
that keeps codes but no per-row label arrays.  ``ARROW_DEFAULT_MEMORY_POOL=system`` in
the environment lowers the write stage by ~15 MiB more (PyArrow's mimalloc keeps the
writers' freed blocks), the other stages no longer; switching pools inside the process
does not help (PyArrow's C++ writers keep their default).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

SEED = 20241
SYSTEM = "nqpf-three-factor"

_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    t0 = time.perf_counter()
    from nqpf.cli.main import main
    try:
        main(sys.argv[2:])
    except SystemExit as exc:
        code = exc.code or 0
    else:
        code = 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    info = {"code": code, "peak_mib": usage.ru_maxrss / 1024, "inner_s": time.perf_counter() - t0,
            "cpu_s": usage.ru_utime + usage.ru_stime}
    with open(sys.argv[1], "w") as fh:
        json.dump(info, fh)
    """
)


_STAGES_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    t0, c0 = time.perf_counter(), time.process_time()

    def rss():
        status = open("/proc/self/status").read().splitlines()
        kv = dict(line.split(":", 1) for line in status if ":" in line)
        try:  # reset the peak: the next mark's peak is that stage's own (Linux)
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            pass
        return int(kv["VmRSS"].split()[0]) / 1024, int(kv["VmHWM"].split()[0]) / 1024

    marks = [[time.perf_counter() - t0, time.process_time() - c0, "imports", *rss()]]
    from nqpf.services.files import write_run
    from nqpf.services.index_run import load_index_config, run_index
    try:  # numba's start-up (a background thread at import) counted with the imports
        from nqpf.warmup import wait
        wait(10)
    except ImportError:
        pass
    marks.append([time.perf_counter() - t0, time.process_time() - c0, "imports", *rss()])

    def record(event):
        at, cpu = time.perf_counter() - t0, time.process_time() - c0
        marks.append([at, cpu, str(getattr(event, "stage", event)), *rss()])

    # The data-quality report runs inside other stages (its checks while loading, the
    # weight-shift refit while weighting, quality.html/xlsx while writing): timed apart.
    spent = {}

    def timed(owner, name):
        fn = getattr(owner, name, None)
        if fn is None:
            return

        def wrapper(*args, **kwargs):
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                old = spent.get(name, [0.0, 0.0])
                spent[name] = [old[0] + time.perf_counter() - w, old[1] + time.process_time() - c]

        setattr(owner, name, wrapper)

    import nqpf.services.index_run as index_run
    from nqpf.io import quality

    for owner, name in ((quality.QualityChecker, "clean"), (quality.QualityChecker, "check_panel"),
                        (index_run, "_weight_shift"), (quality.QualityReport, "to_html"),
                        (quality.QualityReport, "to_xlsx")):
        timed(owner, name)
    cfg = load_index_config(sys.argv[2])
    try:  # as `nqpf index run` calls it (a tree before keep_values: without)
        run = run_index(cfg, progress=record, keep_values=False)
    except TypeError:
        run = run_index(cfg, progress=record)
    try:
        write_run(run, progress=record)
    except TypeError:
        write_run(run)
    record("write")
    with open(sys.argv[1], "w") as fh:
        json.dump({"marks": marks, "quality": spent}, fh)
    """
)


def make_panel(path: Path, firms: int, years: int) -> None:
    """Seeded lognormal firm panel: firm effect × growth trend × noise, 4 decimals."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from nqpf.systems import load_system

    system = load_system(SYSTEM)
    ids = list(system.indicator_ids)
    rng = np.random.default_rng(SEED)
    firm = np.repeat(np.arange(firms), years)
    year = np.tile(np.arange(2024 - years, 2024), firms)
    columns = {
        "firm": pa.array(np.char.add("F", np.char.zfill(firm.astype(str), 6))),
        "year": pa.array(year),
    }
    t = (year - year.min()) / max(1, years - 1)
    for j, name in enumerate(ids):
        effect = rng.normal(0.0, 0.6, firms)[firm]
        growth = 0.3 + 0.05 * j
        noise = rng.normal(0.0, 0.15, firm.size)
        value = np.exp(2.0 + 0.1 * j + effect + growth * t + noise)
        columns[name] = pa.array(np.round(value, 4))
    pacsv.write_csv(pa.table(columns), path)


def write_config(folder: Path, data: Path, out: Path, report: bool) -> Path:
    text = textwrap.dedent(
        f"""\
        title: 企业新质生产力指数（基准测试，示例数据）
        data:
          path: {data}
          entity: firm
          period: year
          synthetic: true
        system: {SYSTEM}
        coupling: {{method: standard}}
        output:
          dir: {out}
          formats: [csv, parquet]
          report: {str(report).lower()}
        """
    )
    path = folder / "bench-index.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_once(config: Path, tmp: Path, source: Path | None = None) -> dict:
    """One ``nqpf index run`` in a fresh process; ``source`` runs another nqpf tree (its
    ``src`` folder first on the path), e.g. the code before a change."""
    stats = tmp / "child.json"
    stats.unlink(missing_ok=True)
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")]).strip(
            os.pathsep
        )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(stats), "index", "run", str(config), "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not stats.exists():
        sys.exit(f"run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    info = json.loads(stats.read_text())
    if info["code"] != 0:
        sys.exit(f"nqpf exited {info['code']}:\n{proc.stdout}\n{proc.stderr}")
    info["wall_s"] = wall
    return info


def stages(config: Path, tmp: Path, source: Path | None = None) -> list[list]:
    """One run in a fresh process without a profiler: per stage (from one progress event
    of the services to the next stage's first) wall time, CPU time (all threads), the
    resident memory at its end and its own peak (the kernel's peak is reset at each
    event through ``/proc/self/clear_refs``; elsewhere the peak so far)."""
    marks_file = tmp / "stages.json"
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")]).strip(
            os.pathsep
        )
    proc = subprocess.run(
        [sys.executable, "-c", _STAGES_CHILD, str(marks_file), str(config)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        sys.exit(f"stages run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    seen: list[list] = []
    last = last_cpu = 0.0
    found = json.loads(marks_file.read_text())
    if isinstance(found, list):  # a tree from before the quality report was timed
        found = {"marks": found, "quality": {}}
    for at, cpu, stage, rss, hwm in found["marks"]:
        if seen and seen[-1][0] == stage:
            seen[-1][1] += at - last
            seen[-1][2] += cpu - last_cpu
            seen[-1][3:] = [rss, max(seen[-1][4], hwm)]
        else:
            seen.append([stage, at - last, cpu - last_cpu, rss, hwm])
        last, last_cpu = at, cpu
    if found["quality"]:
        wall, cpu = (sum(v[k] for v in found["quality"].values()) for k in (0, 1))
        seen.append(["(quality)", wall, cpu, float("nan"), float("nan"), found["quality"]])
    return seen


def print_stages(runs: dict[str, list[list]], input_mib: float) -> None:
    """The per-stage table of :func:`stages`, one column group per tree (before, after)."""
    names = list(dict.fromkeys(s[0] for r in runs.values() for s in r))
    head = "".join(f" | {k:^37}" for k in runs)
    print(f"\nper stage (no profiler){head}")
    print(f"{'':<10}" + " | wall s  CPU s  RSS MiB  peak MiB ×in" * len(runs))
    names = [n for n in names if n != "(quality)"]
    for name in names:
        cells = []
        for r in runs.values():
            row = next((s for s in r if s[0] == name), None)
            if row is None:
                cells.append(" | " + " " * 37)
            else:
                _, wall, cpu, rss, hwm = row
                cells.append(
                    f" | {wall:6.2f} {cpu:6.2f} {rss:8.0f} {hwm:8.0f} {hwm / input_mib:4.1f}"
                )
        print(f"{name:<10}" + "".join(cells))
    totals = [
        f" | {sum(s[1] for s in r if s[0] in names):6.2f} "
        f"{sum(s[2] for s in r if s[0] in names):6.2f}" + " " * 23
        for r in runs.values()
    ]
    print(f"{'total':<10}" + "".join(totals))
    for key, r in runs.items():
        q = next((s for s in r if s[0] == "(quality)"), None)
        if q is None:
            continue
        total = sum(s[1] for s in r if s[0] in names)
        total_cpu = sum(s[2] for s in r if s[0] in names)
        parts = ", ".join(f"{k} {v[0]:.2f}" for k, v in q[5].items())
        print(
            f"{key}: the data-quality report (inside load, weights, write: {parts} s wall) "
            f"{q[1]:.2f} s wall = {100 * q[1] / total:.0f}% of the run, CPU {q[2]:.2f} s = "
            f"{100 * q[2] / total_cpu:.0f}%"
        )
    for key, r in runs.items():  # the imports' memory is the same whatever the input
        r = [s for s in r if s[0] != "(quality)"]
        above = max(s[4] for s in r) - r[0][3]
        print(
            f"{key}: peak {above:.0f} MiB above the imports' {r[0][3]:.0f} MiB "
            f"= {above / input_mib:.1f}× the CSV"
        )


def profile(config: Path, top: int) -> None:
    """One in-process run under cProfile: stage times from progress events, top functions."""
    import cProfile
    import pstats

    from nqpf.services.files import write_run
    from nqpf.services.index_run import load_index_config, run_index

    marks: list[tuple[float, float, str]] = []
    memory: dict[str, tuple[float, float]] = {}
    t0, c0 = time.perf_counter(), time.process_time()

    def record(event) -> None:
        stage = str(getattr(event, "stage", event))
        marks.append((time.perf_counter() - t0, time.process_time() - c0, stage))
        memory[stage] = _rss()

    prof = cProfile.Profile()
    prof.enable()
    cfg = load_index_config(config)
    try:  # as `nqpf index run` calls it (a tree before keep_values: without)
        run = run_index(cfg, progress=record, keep_values=False)
    except TypeError:
        run = run_index(cfg, progress=record)
    write_run(run, progress=record) if _accepts_progress(write_run) else write_run(run)
    prof.disable()
    marks.append((time.perf_counter() - t0, time.process_time() - c0, "end"))
    print("\nstages (wall and CPU time until each progress event, from the previous one;")
    print("the profiler slows the run down):")
    last = last_cpu = 0.0
    seen: list[list] = []
    for at, cpu, stage in marks:
        if seen and seen[-1][0] == stage:
            seen[-1][1] += at - last
            seen[-1][2] += cpu - last_cpu
        else:
            seen.append([stage, at - last, cpu - last_cpu])
        last, last_cpu = at, cpu
    for stage, spent, cpu in seen:
        rss, hwm = memory.get(stage, (float("nan"), float("nan")))
        print(
            f"  {stage:<10} {spent:7.2f} s wall {cpu:7.2f} s CPU   RSS at its end {rss:6.0f} MiB, "
            f"peak so far {hwm:6.0f} MiB"
        )
    stats = pstats.Stats(prof)
    quality = {
        "QualityChecker.clean": ("quality.py", "clean"),
        "QualityChecker.check_panel": ("quality.py", "check_panel"),
        "weight shift (one more fit)": ("index_run.py", "_weight_shift"),
        "quality.html": ("quality.py", "to_html"),
        "quality.xlsx": ("quality.py", "to_xlsx"),
    }
    total = sum(v[3] for k, v in stats.stats.items() if k[2] in ("run_index", "write_run"))
    spent = 0.0
    print("\nthe data-quality report (cumulative time under the profiler):")
    for label, (file, func) in quality.items():
        t = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(file) and k[2] == func)
        spent += t
        print(f"  {label:<30} {t:6.2f} s")
    print(
        f"  {'together':<30} {spent:6.2f} s = {100 * spent / total:.0f}% of the run ({total:.2f} s)"
    )
    print(f"\ntop {top} functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)


def _rss() -> tuple[float, float]:
    """Current and peak resident memory of this process (MiB), from /proc (Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan"), float("nan")
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def _accepts_progress(fn) -> bool:
    import inspect

    return "progress" in inspect.signature(fn).parameters


def compare(a: Path, b: Path) -> None:
    """Every CSV/Parquet table of folder ``b`` equals the one in ``a`` (floats to 1e-12)."""
    import pandas as pd

    worst = 0.0
    names = sorted(p.name for p in b.iterdir() if p.suffix in (".csv", ".parquet"))
    for name in names:
        x = pd.read_parquet(a / name) if name.endswith(".parquet") else pd.read_csv(a / name)
        y = pd.read_parquet(b / name) if name.endswith(".parquet") else pd.read_csv(b / name)
        if name.startswith("metadata."):  # the run's time differs from run to run
            x, y = (t[~t["item"].str.startswith("运行时间")].reset_index(drop=True) for t in (x, y))
        assert list(x.columns) == list(y.columns), name
        assert len(x) == len(y), name
        for c in x.columns:
            if x[c].dtype.kind == "f" or y[c].dtype.kind == "f":
                fx, fy = x[c].to_numpy(float), y[c].to_numpy(float)
                both = np.isnan(fx) & np.isnan(fy)
                diff = np.abs(fx - fy)[~both]
                d = float(diff.max()) if diff.size else 0.0
                assert d <= 1e-12, (name, c, d)
                worst = max(worst, d)
            else:
                assert x[c].astype(str).tolist() == y[c].astype(str).tolist(), (name, c)
    print(f"compared {len(names)} tables with {a}: same (max |diff| {worst:.3g})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--firms", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--report", action="store_true", help="also write the HTML report")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument(
        "--stages",
        action="store_true",
        help="one more run per tree without a profiler: time and memory per stage",
    )
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--keep", type=Path, help="copy the last output folder here")
    ap.add_argument("--check", type=Path, help="compare the outputs with this folder")
    ap.add_argument("--data-dir", type=Path, help="where the generated CSV is cached")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="the src folder of another nqpf tree (e.g. `git archive <commit> src`), run "
        "interleaved with this one on the same panel",
    )
    args = ap.parse_args()

    cache = args.data_dir or Path(tempfile.gettempdir()) / "nqpf-bench-index-run"
    cache.mkdir(parents=True, exist_ok=True)
    data = cache / f"firms-{args.firms}x{args.years}-seed{SEED}.csv"
    if not data.exists():
        t = time.perf_counter()
        make_panel(data, args.firms, args.years)
        print(f"generated {data} in {time.perf_counter() - t:.1f} s")
    n = args.firms * args.years
    input_mib = data.stat().st_size / 2**20
    matrix_mib = n * 18 * 8 / 2**20
    print(
        f"panel: {args.firms} firms × {args.years} years = {n:,} rows × 18 indicators; "
        f"CSV {input_mib:.0f} MiB, float64 matrix {matrix_mib:.0f} MiB"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        out = tmp / "out"
        config = write_config(tmp, data, out, args.report)
        runs, before = [], []
        for k in range(args.repeat):
            if args.baseline is not None:  # interleaved, so both see the same machine load
                info = run_once(config, tmp, args.baseline)
                before.append(info)
                print(
                    f"  before {k + 1}: {info['wall_s']:6.2f} s wall, CPU {info['cpu_s']:.2f} s, "
                    f"peak RSS {info['peak_mib']:.0f} MiB, load average {os.getloadavg()[0]:.1f}"
                )
            info = run_once(config, tmp)
            runs.append(info)
            print(
                f"  run {k + 1}: {info['wall_s']:6.2f} s wall "
                f"({info['inner_s']:.2f} s after start-up), CPU {info['cpu_s']:.2f} s, "
                f"peak RSS {info['peak_mib']:.0f} MiB, load average {os.getloadavg()[0]:.1f}"
            )
        if before:
            for key, what in (("wall_s", "wall"), ("cpu_s", "CPU"), ("peak_mib", "peak RSS")):
                b = statistics.median(r[key] for r in before)
                a = statistics.median(r[key] for r in runs)
                print(f"before/after {what}: {b:.2f} / {a:.2f} = {b / a:.2f}×")
        walls = [r["wall_s"] for r in runs]
        cpus = [r["cpu_s"] for r in runs]
        peaks = [r["peak_mib"] for r in runs]
        print(
            f"nqpf index run: median {statistics.median(walls):.2f} s "
            f"(spread {min(walls):.2f}–{max(walls):.2f} s over {len(walls)}; "
            f"CPU median {statistics.median(cpus):.2f} s on {os.cpu_count()} cores); "
            f"peak RSS median {statistics.median(peaks):.0f} MiB = "
            f"{statistics.median(peaks) / input_mib:.2f}× the CSV, "
            f"{statistics.median(peaks) / matrix_mib:.2f}× the matrix"
        )
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
        print(f"outputs: {len(sizes)} files, {sum(sizes.values()) / 2**20:.0f} MiB")
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.copytree(out, args.keep)
        if args.check:
            compare(args.check, out)
        if args.stages:
            per = {}
            if args.baseline is not None:
                per["before"] = stages(config, tmp, args.baseline)
            per["after" if args.baseline is not None else "this tree"] = stages(config, tmp)
            print_stages(per, input_mib)
        if args.profile:
            profile(config, args.top)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
