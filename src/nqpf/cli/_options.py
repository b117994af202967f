"""Options and output helpers shared by the config-driven ``run`` commands (``index run``,
``analyze run``): progress bars, the data-quality table and the list of written files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

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
    """A ``progress`` callback that prints a bullet line per event with a message (not for
    the files being written, which are listed at the end), or nothing when quiet."""

    def show(event: Any) -> None:
        text = getattr(event, "message", event)
        if getattr(event, "stage", None) != "write" and text:
            console.print(f"[cyan]•[/] {text}", highlight=False)

    return (lambda _e: None) if quiet else show


@contextlib.contextmanager
def progress_display(console, quiet: bool) -> Iterator[Any]:
    """The ``progress`` callback of a run for the terminal.

    On a terminal: one Rich progress bar per stage (loading, quality, weighting,
    aggregation, writing …), fed by the services' :class:`~nqpf.services.progress.Progress`
    events, with the latest message beside it.  Elsewhere (a pipe, a log file): a bullet
    line per step, as :func:`progress_printer`.  Quiet: nothing.
    """
    if quiet or not console.is_terminal:
        yield progress_printer(console, quiet)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("[cyan]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def update(event: Any) -> None:
        stage = getattr(event, "stage", None)
        if stage is None:  # a plain text line from an older service
            console.print(f"[cyan]•[/] {event}", highlight=False)
            return
        if stage not in tasks:
            tasks[stage] = bars.add_task(event.label, total=max(event.total, 1), note="")
        note = event.message if stage != "write" else (event.message or "")
        bars.update(
            tasks[stage], completed=event.done, total=max(event.total, 1), note=note[:60]
        )

    with bars:
        yield update


def print_quality(console, quality: Any, *, quiet: bool) -> None:
    """The data-quality report of a run as a Rich table (what the service found).

    The table lists what is worth reading: what was read, fixed or warned about (checks
    that passed are in ``quality.html``).  Quiet, only the warnings are printed, on
    standard error, so that standard output keeps only the paths.
    """
    if quality is None:
        return
    from rich.console import Console
    from rich.table import Table

    shown = [f for f in quality.findings if f.status != "ok"]
    if quiet:
        err = Console(stderr=True)
        for f in quality.warnings:
            err.print(f"[yellow]警告 warning:[/] {f.message}", highlight=False, soft_wrap=True)
        return
    passed = len(quality.findings) - len(shown)
    view = Table(
        title=quality.summary().title,
        caption=f"其余 {passed} 项检查通过 (the other {passed} checks passed); 详见 quality.html",
    )
    view.add_column("检查 check")
    view.add_column("状态 status")
    view.add_column("结果 finding", overflow="fold")
    colours = {"warn": "yellow", "fixed": "cyan", "error": "red", "info": "white"}
    for f in shown:
        colour = colours.get(f.status, "white")
        view.add_row(f.check, f"[{colour}]{f.status}[/]", f.message)
    console.print(view)


def print_written(console, written, *, synthetic: bool, quiet: bool) -> None:
    """The synthetic-data warning (unless quiet), then every output path on a line of its own."""
    if synthetic and not quiet:
        console.print("[bold yellow]注意：示例数据，非真实统计 (synthetic demo data)[/]")
    for path in written:
        console.print(str(path), highlight=False, soft_wrap=True)
