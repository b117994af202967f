"""``nqpf analyze …``: regional disparity and dynamics of a panel variable from a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nqpf.cli._options import (
    Formats,
    OutDir,
    Quiet,
    Report,
    print_quality,
    print_written,
    progress_display,
)

app = typer.Typer(
    help="区域差异与动态演进 — disparity, dynamics and spatial analysis.", no_args_is_help=True
)
console = Console()


@app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="YAML config (data, weights, analyses, output).")],
    out: OutDir = None,
    fmt: Formats = None,
    report: Report = None,
    quiet: Quiet = False,
) -> None:
    """Gini/Dagum, Theil, kernel density, Markov chains, Moran's I and convergence from CONFIG."""
    from nqpf.services.analyze_run import load_analyze_config, run_analysis
    from nqpf.services.files import check_formats, output_lock, run_output_dir, write_run

    cfg = load_analyze_config(config)
    check_formats(fmt or cfg.output.formats)
    target = run_output_dir(cfg, out)  # checked, and locked, before computing
    with output_lock(target), progress_display(console, quiet) as progress:
        result = run_analysis(cfg, progress=progress)
        written = write_run(result, out_dir=target, formats=fmt, report=report, progress=progress)
    print_quality(console, getattr(result, "quality", None), quiet=quiet)
    if not quiet:
        _print_headlines(result.results)
    print_written(console, written, synthetic=cfg.data.synthetic, quiet=quiet)


def _print_headlines(results) -> None:
    """The last year's Dagum decomposition and Moran's I, and β convergence, where run."""
    if "dagum" in results:
        last = list(results["dagum"].results)[-1]
        r = results["dagum"][last]
        s = r.shares
        console.print(
            f"[bold]Dagum {last}[/]: G = {r.total:.4f}; 组内 {100 * s['within']:.1f}% · "
            f"组间 {100 * s['between']:.1f}% · 超变密度 {100 * s['transvariation']:.1f}%"
        )
    if "moran" in results:
        last = list(results["moran"])[-1]
        r = results["moran"][last]
        console.print(
            f"[bold]Moran's I {last}[/]: I = {r.I:.4f}, z = {r.z_norm:.3f}, p = {r.p_norm:.4f}"
        )
    if "beta" in results:
        b = results["beta"]
        console.print(
            f"[bold]β 收敛[/]: β = {b.beta:.4f} (p = {b.p:.4f}), 收敛速度 {b.speed:.4f}, "
            f"半衰期 {b.half_life:.1f}"
        )
