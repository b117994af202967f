"""``nqpf analyze …``: regional disparity and dynamics of a panel variable from a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nqpf.cli._options import Formats, OutDir, Quiet, Report, progress_printer

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
    from nqpf.services.analyze_output import write_analyze_outputs
    from nqpf.services.analyze_run import load_analyze_config, run_analyze

    cfg = load_analyze_config(config)
    say = progress_printer(console, quiet)
    result = run_analyze(cfg, progress=say)
    written = write_analyze_outputs(result, out_dir=out, formats=fmt, report=report)
    if not quiet:
        for name in ("dagum", "moran", "beta"):
            res = result.results.get(name)
            if res is None:
                continue
            if name == "dagum":
                last = list(res.results)[-1]
                r = res[last]
                s = r.shares
                console.print(
                    f"[bold]Dagum {last}[/]: G = {r.total:.4f}; 组内 {100 * s['within']:.1f}% · "
                    f"组间 {100 * s['between']:.1f}% · 超变密度 {100 * s['transvariation']:.1f}%"
                )
            elif name == "moran":
                last = list(res)[-1]
                r = res[last]
                console.print(
                    f"[bold]Moran's I {last}[/]: I = {r.I:.4f}, z = {r.z_norm:.3f}, p = {r.p_norm:.4f}"
                )
            else:
                console.print(
                    f"[bold]β 收敛[/]: β = {res.beta:.4f} (p = {res.p:.4f}), 收敛速度 {res.speed:.4f}, "
                    f"半衰期 {res.half_life:.1f}"
                )
        if cfg.data.synthetic:
            console.print("[bold yellow]注意：示例数据，非真实统计 (synthetic demo data)[/]")
    for path in written:
        console.print(str(path), highlight=False, soft_wrap=True)
