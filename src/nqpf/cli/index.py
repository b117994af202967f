"""``nqpf index …``: composite indices from a config file, indicator systems, demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nqpf.cli._options import (
    Formats,
    OutDir,
    Quiet,
    Report,
    print_quality,
    print_written,
    progress_display,
)

app = typer.Typer(help="综合指数测度 — composite indices on panel data.", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="YAML config (data, system, method, output).")],
    out: OutDir = None,
    fmt: Formats = None,
    report: Report = None,
    quiet: Quiet = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="local (in memory), duckdb (files larger than memory) or spark; "
            "default the config's engine (local)."
        ),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(help="Spark master: local[2] (default), spark://host:7077, yarn, k8s://…"),
    ] = None,
    duckdb_memory_limit: Annotated[
        str | None,
        typer.Option(
            help="DuckDB's memory cap (duckdb.memory_limit), e.g. 768MB (default) or 2GiB; "
            "it spills to disk beyond it."
        ),
    ] = None,
) -> None:
    """Compute index, sub-indices, weights, ranks, coupling and obstacles from CONFIG."""
    from nqpf.services.files import check_formats, output_lock, run_output_dir, write_run
    from nqpf.services.index_checks import check_engine
    from nqpf.services.index_run import load_index_config, run_index

    cfg = load_index_config(config).with_engine(engine, spark_master, duckdb_memory_limit)
    check_formats(fmt or cfg.output.formats)
    check_engine(cfg)  # the engine can run here: before the output folder is touched
    target = run_output_dir(cfg, out)  # checked, and locked, before computing
    with output_lock(target), progress_display(console, quiet) as progress:
        result = run_index(cfg, progress=progress, formats=fmt, keep_values=False)
        written = write_run(result, out_dir=target, formats=fmt, report=report, progress=progress)
    print_quality(console, getattr(result, "quality", None), quiet=quiet)
    if not quiet and cfg.engine == "local":
        _print_top(result)
    print_written(console, written, synthetic=cfg.data.synthetic, quiet=quiet)


def _print_top(result) -> None:
    table = result.tables["index"]
    ent, per = result.config.data.entity, result.config.data.period
    last = table[per].max()
    top = table[table[per] == last].sort_values("rank").head(10)
    console.print(f"[bold]{result.config.title}[/] — {last} 年前 10 名")
    view = Table()
    for col in ("rank", ent, "index"):
        view.add_column(str(col), justify="right" if col != ent else "left")
    for _, row in top.iterrows():
        view.add_row(str(row["rank"]), str(row[ent]), f"{row['index']:.4f}")
    console.print(view)


@app.command("systems")
def systems() -> None:
    """List the shipped indicator systems."""
    from nqpf.systems import list_systems, load_system

    view = Table(title="指标体系 indicator systems")
    for col in ("id", "version", "name", "indicators", "confidence"):
        view.add_column(col)
    for sid in list_systems():
        s = load_system(sid)
        view.add_row(
            s.id,
            s.version,
            s.name,
            str(len(s.indicator_ids)),
            f"{s.confidence} (verified={s.verified})",
        )
    console.print(view)


@app.command("system")
def system(
    name: Annotated[str, typer.Argument(help="System id or path to a system YAML file.")],
) -> None:
    """Show one indicator system (validates a user file too)."""
    from nqpf.systems import load_system

    s = load_system(name)
    view = Table(title=f"{s.name} ({s.id} v{s.version})", caption=f"来源 source: {s.source}")
    frame = s.to_frame()
    for col in ("dimension", "sub_dimension", "id", "name", "unit", "direction"):
        view.add_column(col)
    for _, row in frame.iterrows():
        view.add_row(
            *(
                str(row[c])
                for c in ("dimension", "sub_dimension", "id", "name", "unit", "direction")
            )
        )
    console.print(view)


@app.command("demo-data")
def demo_data(
    path: Annotated[Path, typer.Argument(help="CSV file to write.")],
    system: Annotated[
        str, typer.Option(help="Indicator system the panel covers.")
    ] = "nqpf-three-factor",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 20241,
    start: Annotated[int, typer.Option(help="First year.")] = 2012,
    end: Annotated[int, typer.Option(help="Last year.")] = 2023,
) -> None:
    """Write a synthetic 31-province panel (示例数据，非真实统计) for SYSTEM."""
    from nqpf.services.demo import write_demo_panel

    written = write_demo_panel(path, system=system, seed=seed, years=range(start, end + 1))
    console.print(f"{written}  [yellow](示例数据，非真实统计, seed={seed})[/]", highlight=False)
