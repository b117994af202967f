"""Command-line entry point (Typer)."""

from __future__ import annotations

import typer

app = typer.Typer(help="nqpf — 新质生产力测度、诊断与转型引导", no_args_is_help=True)


def main() -> None:
    app()
