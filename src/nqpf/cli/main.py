"""Command-line entry point (Typer): ``nqpf index …``.

The CLI is a thin layer over :mod:`nqpf.services`.  It is the only place that imports
Rich; every :class:`~nqpf.exceptions.NqpfError` becomes one red line and exit code 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from nqpf.cli import index as index_cli
from nqpf.exceptions import NqpfError

app = typer.Typer(
    help="nqpf — 新质生产力测度、诊断与转型引导 (measure, diagnose and steer NQPF).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(index_cli.app, name="index")


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        import nqpf

        typer.echo(f"nqpf {nqpf.__version__}")
        raise typer.Exit()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line and exit with code 2."""
    err = Console(stderr=True)
    try:
        app(args=argv, standalone_mode=False)
    except NqpfError as exc:
        err.print(f"[bold red]错误 error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("[red]aborted[/]")
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
