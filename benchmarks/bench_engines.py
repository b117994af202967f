"""Benchmark: ``nqpf index run`` on the local, duckdb and spark engines, same data, one run.

The panel is seeded and synthetic (示例数据): ``--rows`` enterprise-years (default 1e7 =
1e6 firms × 10 years) × ``--indicators`` indicators (default 30, in three dimensions, every
fifth a cost indicator), written once as Parquet in row groups of one year.  Each engine
runs the real command line (``python -m nqpf index run CONFIG --engine E -f parquet
--no-report``) in a fresh process: entropy weights pooled over the panel, weighted sum,
dimension sub-indices, ranks per year and the top-3 obstacles.

Measured per run: wall time, and peak resident memory of the whole process tree (the
Python process plus its children: for Spark the driver JVM, which in local mode also runs
the executors), sampled every 50 ms; the JVM's own peak is shown apart.  The local engine
holds the panel in memory: where it cannot (its memory check refuses the file), it runs on
``--local-rows`` rows instead and the ratios are taken at that size too.  Afterwards the
weights and the index of every engine are compared with the local run's (max |Δ|).

Usage::

    python benchmarks/bench_engines.py                          # 1e7 × 30, all engines
    python benchmarks/bench_engines.py --rows 1e6 --engines local duckdb

The machine may be shared by other work: read the ratios of one run, and the load printed
with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

SEED = 20261207
YEARS = 10


def write_system(path: Path, m: int) -> list[str]:
    """An indicator system of ``m`` indicators in three dimensions (a benchmark fixture)."""
    ids = [f"x{j + 1:02d}" for j in range(m)]
    dims = {"劳动者": [], "劳动资料": [], "劳动对象": []}
    for j, i in enumerate(ids):
        dims[list(dims)[j * 3 // m]].append(i)
    lines = [
        "id: bench-engines",
        'version: "1"',
        "name: 基准测试指标体系（示例）",
        "source: nqpf benchmark fixture (synthetic)",
        "confidence: unverified",
        "dimensions:",
    ]
    for dim, members in dims.items():
        lines += [f"  - name: {dim}", "    sub_dimensions:"]
        half = (len(members) + 1) // 2
        for k, part in enumerate((members[:half], members[half:])):
            lines += [f"      - name: {dim}{k + 1}", "        indicators:"]
            for i in part:
                sign = "-" if int(i[1:]) % 5 == 0 else "+"
                lines += [
                    f"          - id: {i}",
                    f"            name: 指标{i}",
                    f'            direction: "{sign}"',
                ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def write_panel(path: Path, rows: int, ids: list[str]) -> None:
    """Seeded lognormal firm panel: firm effect × growth trend × noise, one row group a year."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    firms = rows // YEARS
    rng = np.random.default_rng(SEED)
    effects = rng.normal(0.0, 0.6, size=(firms, len(ids))).astype(np.float64)
    code = np.char.add("F", np.char.zfill(np.arange(firms).astype(str), 7))
    industry = np.char.add("C", (13 + np.arange(firms) % 30).astype(str))
    writer = None
    for t in range(YEARS):
        columns = {
            "firm": pa.array(code),
            "year": pa.array(np.full(firms, 2015 + t, dtype=np.int64)),
            "industry": pa.array(industry),
        }
        for j, name in enumerate(ids):
            noise = rng.normal(0.0, 0.15, firms)
            columns[name] = pa.array(np.exp(2.0 + 0.1 * j + effects[:, j] + 0.04 * t + noise))
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def write_config(folder: Path, data: Path, system: Path) -> Path:
    path = folder / f"{data.stem}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            title: 企业新质生产力指数（基准测试，示例数据）
            data: {{path: {data}, entity: firm, period: year, keep: [industry], synthetic: true}}
            system: {system}
            method: {{weighting: entropy, aggregation: weighted_sum}}
            quality: {{outliers: warn}}
            spark: {{master: "local[2]", driver_memory: 1g}}
            output: {{dir: out, formats: [parquet], report: false}}
            """
        ),
        encoding="utf-8",
    )
    return path


def _tree(proc) -> list:
    try:
        return [proc, *proc.children(recursive=True)]
    except Exception:
        return [proc]


def run(config: Path, engine: str, out: Path) -> dict:
    """One ``nqpf index run`` in a fresh process: wall time, peak RSS of its tree and JVM."""
    import psutil

    cmd = [sys.executable, "-m", "nqpf", "index", "run", str(config), "--engine", engine]
    cmd += ["--out", str(out), "-f", "parquet", "--no-report", "-q"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = peak_jvm = 0
    while proc.poll() is None:
        total = jvm = 0
        for p in _tree(root):
            try:
                rss = p.memory_info().rss
                name = p.name()
            except psutil.Error:
                continue
            total += rss
            jvm += rss if name == "java" else 0
        peak, peak_jvm = max(peak, total), max(peak_jvm, jvm)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    _, stderr = proc.communicate()
    return {
        "engine": engine,
        "code": proc.returncode,
        "wall_s": wall,
        "peak_gib": peak / 2**30,
        "jvm_gib": peak_jvm / 2**30,
        "message": (stderr.strip().splitlines() or [""])[-1][:200],
    }


def numbers(out: Path, engine: str) -> tuple[np.ndarray, np.ndarray]:
    """The weights and the index (sorted by year, firm) of an output folder."""
    import pyarrow.parquet as pq

    weights = pq.read_table(out / "weights.parquet", columns=["weight"])["weight"].to_numpy()
    source = out / ("index.parquet" if engine == "local" else "units")
    table = pq.read_table(source, columns=["firm", "year", "index"])
    order = np.lexsort((table["firm"].to_numpy(), table["year"].to_numpy().astype(np.int64)))
    return weights, table["index"].to_numpy()[order]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--local-rows", type=float, default=1e6)
    ap.add_argument("--indicators", type=int, default=30)
    ap.add_argument("--engines", nargs="+", default=["local", "duckdb", "spark"])
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "nqpf-bench-engines")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    system = args.data / f"system-{args.indicators}.yaml"
    ids = write_system(system, args.indicators)
    results, outputs = [], {}

    def measure(rows: int, engines: list[str]) -> None:
        data = args.data / f"panel-{rows}x{args.indicators}.parquet"
        if not data.exists():
            t0 = time.perf_counter()
            write_panel(data, rows, ids)
            size = data.stat().st_size / 2**30
            print(f"wrote {data} ({size:.2f} GiB) in {time.perf_counter() - t0:.0f} s", flush=True)
        config = write_config(args.data, data, system)
        for engine in engines:
            out = args.data / f"out-{engine}-{rows}"
            res = {"rows": rows, **run(config, engine, out)}
            results.append(res)
            if res["code"] == 0:
                outputs[rows, engine] = out
            print(json.dumps(res, ensure_ascii=False), flush=True)

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start", flush=True)
    sizes = [int(args.rows)]
    measure(sizes[0], args.engines)
    if "local" in args.engines and (sizes[0], "local") not in outputs:
        # The local engine refused the full size: compare all engines where it runs.
        sizes.append(int(args.local_rows))
        measure(sizes[1], args.engines)
    print(f"load {os.getloadavg()[0]:.1f} at end\n")

    print(
        f"{'rows':>12} {'engine':>7} {'time s':>8} {'peak GiB':>9} {'JVM GiB':>8}  ratio to local (time, memory)"
    )
    for r in results:
        base = next(
            (
                b
                for b in results
                if b["engine"] == "local" and b["rows"] == r["rows"] and b["code"] == 0
            ),
            None,
        )
        if r["code"]:
            print(f"{r['rows']:>12,} {r['engine']:>7}  refused: {r['message']}")
            continue
        ratio = (
            f"{r['wall_s'] / base['wall_s']:.2f}×, {r['peak_gib'] / base['peak_gib']:.2f}×"
            if base
            else "—"
        )
        print(
            f"{r['rows']:>12,} {r['engine']:>7} {r['wall_s']:8.1f} {r['peak_gib']:9.2f} {r['jvm_gib']:8.2f}  {ratio}"
        )
    print()
    for rows in sizes:
        done = [e for e in args.engines if (rows, e) in outputs]
        if len(done) < 2:
            continue
        ref = done[0]
        w0, i0 = numbers(outputs[rows, ref], ref)
        for e in done[1:]:
            w, i = numbers(outputs[rows, e], e)
            print(
                f"{rows:,} rows: {e} vs {ref}: max |Δ weight| {np.abs(w - w0).max():.2e}, max |Δ index| {np.abs(i - i0).max():.2e}"
            )


if __name__ == "__main__":
    main()
