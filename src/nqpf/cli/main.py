"""Command-line entry point (Typer): ``nqpf index …``.

The CLI is a thin layer over :mod:`nqpf.services`.  It is the only place that imports
Rich; every :class:`~nqpf.exceptions.NqpfError` becomes one red line and exit code 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from nqpf.cli import analyze as analyze_cli
from nqpf.cli import assess as assess_cli
from nqpf.cli import carbon as carbon_cli
from nqpf.cli import evaluate as evaluate_cli
from nqpf.cli import index as index_cli
from nqpf.cli import match as match_cli
from nqpf.cli import web as web_cli
from nqpf.exceptions import NqpfError

app = typer.Typer(
    help="nqpf — 新质生产力测度、诊断与转型引导 (measure, diagnose and steer NQPF).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(index_cli.app, name="index")
app.add_typer(analyze_cli.app, name="analyze")
app.add_typer(assess_cli.app, name="assess")
app.add_typer(carbon_cli.app, name="carbon")
app.add_typer(match_cli.app, name="match")
app.add_typer(evaluate_cli.app, name="evaluate")
app.add_typer(web_cli.db_app, name="db")
app.command("serve")(web_cli.serve_cmd)
app.command("demo")(web_cli.demo_cmd)
app.command("worker")(web_cli.worker_cmd)


def _print_version(value: bool) -> None:
    if value:
        import nqpf

        typer.echo(f"nqpf {nqpf.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    """nqpf — 新质生产力测度、诊断与转型引导."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line and exit with code 2.

    Usage errors and ``--help`` are handled by click's standalone mode (exit 2 / 0);
    every :class:`~nqpf.exceptions.NqpfError` raised by a command becomes one red line.
    """
    try:
        app(args=argv, prog_name="nqpf")
    except NqpfError as exc:
        Console(stderr=True).print(
            f"[bold red]错误 error:[/] {exc}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
