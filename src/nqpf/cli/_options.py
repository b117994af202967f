"""Options shared by the config-driven ``run`` commands (``index run``, ``analyze run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutDir = Annotated[
    Path | None, typer.Option("--out", "-o", help="Output folder (overrides the config).")
]
Formats = Annotated[
    list[str] | None,
    typer.Option("--format", "-f", help="Table format: xlsx, csv, parquet (repeatable)."),
]
Report = Annotated[bool | None, typer.Option("--report/--no-report", help="Write the HTML report.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the output paths.")]


def progress_printer(console, quiet: bool):
    """The ``progress`` callback of a service: a bullet line per step, or nothing."""
    return (lambda _m: None) if quiet else (lambda m: console.print(f"[cyan]•[/] {m}"))


def print_written(console, written, *, synthetic: bool, quiet: bool) -> None:
    """The synthetic-data warning (unless quiet), then every output path on a line of its own."""
    if synthetic and not quiet:
        console.print("[bold yellow]注意：示例数据，非真实统计 (synthetic demo data)[/]")
    for path in written:
        console.print(str(path), highlight=False, soft_wrap=True)
