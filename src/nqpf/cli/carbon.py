"""``nqpf carbon …``: enterprise energy use (综合能耗) and CO2 accounting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="碳排放与综合能耗核算 — energy and CO2 accounting.", no_args_is_help=True)
console = Console()


@app.command("account")
def account_cmd(
    inventory: Annotated[
        Path,
        typer.Argument(
            help="Inventory: .yaml/.json ({carrier: quantity} or {inventory: …}) "
            "or .csv/.xlsx (carrier, quantity[, unit])."
        ),
    ],
    year: Annotated[
        int | None, typer.Option("--year", help="Accounting year (selects the grid factor).")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Province name or NBS code, e.g. 广东 / 44.")
    ] = None,
    grid_factor: Annotated[
        str | None,
        typer.Option(
            "--grid-factor", help="provincial, national or a number in tCO2/MWh (e.g. 0.5)."
        ),
    ] = None,
    output: Annotated[
        float | None, typer.Option("--output-value", help="工业总产值, 万元 (for intensities).")
    ] = None,
    revenue: Annotated[
        float | None, typer.Option("--revenue", help="营业收入, 万元 (for intensities).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the result tables.")
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="Table format: xlsx, csv, parquet (repeatable)."),
    ] = None,
) -> None:
    """Print totals and intensities; write per-carrier and factors tables with -o."""
    from nqpf.services.carbon import CARBON_TABLES, account_file
    from nqpf.services.files import write_outputs

    outcome = account_file(
        inventory,
        year=year,
        region=region,
        grid_factor=grid_factor,
        output=output,
        revenue=revenue,
    )
    r = outcome.result
    summary = r.summary()
    view = Table(title=summary.title)
    view.add_column("项目 item")
    view.add_column("值 value", justify="right")
    for k, v in summary.rows:
        view.add_row(str(k), f"{v:,.4f}" if isinstance(v, float) else str(v))
    console.print(view)
    for note in summary.notes:
        console.print(f"[yellow]注 note:[/] {note}", highlight=False, soft_wrap=True)
    if out is not None:
        written = write_outputs(
            out,
            workbook="nqpf_carbon.xlsx",
            tables=outcome.tables,
            known_tables=CARBON_TABLES,
            formats=fmt or ("xlsx", "csv"),
            settings={
                "command": "carbon account",
                "file": str(inventory),
                "year": r.year,
                "region": r.region,
                "grid_factor": r.grid_factor_kind,
            },
        )
        for path in written:
            console.print(str(path), highlight=False, soft_wrap=True)
