"""``nqpf match …``: rank a solution catalogue for a need, and the catalogue template.

``nqpf match NEED.json CATALOGUE.csv [--assessment A.json] [--top 10] [--json]`` ranks
(the ``rank`` sub-command, taken when the first argument is not a sub-command);
``nqpf match template -o catalogue.xlsx`` writes the XLSX catalogue template.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from nqpf.exceptions import DataValidationError


class _RankByDefault(TyperGroup):
    """A group whose ``rank`` sub-command may be left out: ``nqpf match NEED CATALOGUE``."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["rank", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RankByDefault,
    help="技术匹配 — rank a solution catalogue for an enterprise need, with reasons.",
    no_args_is_help=True,
)
console = Console()


@app.command("rank")
def rank_cmd(
    need: Annotated[
        Path, typer.Argument(help="The need: .json or .yaml (see docs/matching-guide.md).")
    ],
    catalogue: Annotated[
        Path, typer.Argument(help="The catalogue: .csv, .xlsx, .parquet (or .json/.yaml).")
    ],
    assessment: Annotated[
        Path | None,
        typer.Option(
            "--assessment",
            help="The enterprise's SME-2024 assessment (filled template, .json/.yaml "
            "responses, or {facts: …}): prerequisites are checked against it.",
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="How many matches to list.")] = 10,
    near_misses: Annotated[
        int, typer.Option("--near-misses", min=0, help="How many near misses to list.")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    keep_good_rows: Annotated[
        bool,
        typer.Option("--keep-good-rows", help="Rank the good catalogue rows, skipping bad ones."),
    ] = False,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="A weights YAML (default: the shipped one).")
    ] = None,
) -> None:
    """Rank the catalogue for the need: a table of matches with reasons, then near misses."""
    from nqpf.services.matching import match_files

    err = Console(stderr=True)
    try:
        outcome = match_files(
            need, catalogue, assessment, top=top, near_misses=near_misses,
            keep_good_rows=keep_good_rows, weights=weights,
        )  # fmt: skip
    except DataValidationError as exc:
        for problem in getattr(exc, "problems", ()):
            err.print(f"[red]•[/] {problem}", highlight=False, soft_wrap=True)
        raise
    for problem in outcome.catalogue.errors:
        err.print(f"[yellow]跳过 skipped:[/] {problem}", highlight=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(outcome.document, ensure_ascii=False, indent=2) + "\n")
        return
    result = outcome.result
    view = Table(title=f"技术匹配 {result.need.level_text}")
    view.add_column("#", justify="right")
    view.add_column("方案 solution")
    view.add_column("编号 id", no_wrap=True)
    view.add_column("服务商 provider")
    view.add_column("得分 score", justify="right")
    for m in result.matches:
        view.add_row(
            str(m.rank), m.name, m.solution_id, m.provider_name or m.provider_id, f"{m.score:.1f}"
        )
    console.print(view)
    # reasons are long Chinese sentences: listed under the table, one per line
    for m in result.matches:
        console.print(f"[bold]{m.rank}. {m.name}[/]（{m.solution_id}）", highlight=False)
        for reason in m.reasons:
            console.print(f"   · {reason}", highlight=False, soft_wrap=True)
    if result.near_misses:
        console.print("[bold]差一点 near misses[/]", highlight=False)
        for n in result.near_misses:
            console.print(f"[bold]{n.name}[/]（{n.solution_id}）", highlight=False)
            for missing in n.missing:
                console.print(f"   · {missing}", highlight=False, soft_wrap=True)
    for note in result.summary().notes:
        console.print(f"[yellow]注 note:[/] {note}", highlight=False, soft_wrap=True)


@app.command("template")
def template_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="XLSX file to write.")] = Path(
        "方案目录模板.xlsx"
    ),
) -> None:
    """Write the XLSX catalogue template (dropdowns for scenes, levels, deployment, prices)."""
    from nqpf.services.matching import write_catalogue_template

    console.print(str(write_catalogue_template(out)), highlight=False, soft_wrap=True)
