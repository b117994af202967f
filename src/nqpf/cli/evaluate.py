"""``nqpf evaluate …``: a programme's effect (staggered DiD) and one enterprise's T0/T1.

``nqpf evaluate did PANEL --unit U --time T --cohort G --outcome Y [--method cs|sa|did2s|twfe]
[--control never|notyet] [--cluster C] [--json]`` estimates; ``nqpf evaluate compare T0 T1``
compares two assessments of one enterprise; ``nqpf evaluate rules`` lists the shipped
acceptance and subsidy rules.  See docs/evaluation-guide.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="效果评估 — a programme's effect (staggered DiD) and an enterprise's T0/T1 comparison.",
    no_args_is_help=True,
)
console = Console()
FormatOpt = Annotated[
    list[str] | None,
    typer.Option("--format", "-f", help="Table format: xlsx, csv, parquet (repeatable)."),
]


def _g(x: float | None) -> str:
    return "—" if x is None or x != x else f"{x:.4g}"


@app.command("did")
def did_cmd(
    panel: Annotated[Path, typer.Argument(help="Long panel: .csv, .xlsx or .parquet.")],
    unit: Annotated[str, typer.Option("--unit", help="Unit (enterprise) column.")],
    time: Annotated[str, typer.Option("--time", help="Period column (whole numbers).")],
    outcome: Annotated[str, typer.Option("--outcome", help="Outcome column (numbers).")],
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", help="First treated period column; empty or 0 = never treated."),
    ] = None,
    treatment: Annotated[
        str | None,
        typer.Option("--treatment", help="Instead of --cohort: a 0/1 treated column per period."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="cs (Callaway–Sant'Anna), sa, did2s or twfe.")
    ] = "cs",
    control: Annotated[
        str | None,
        typer.Option("--control", help="never or notyet (default: the method's own)."),
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Cluster column (default: the unit).")
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 − confidence level.")] = 0.05,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write the event-study chart (PNG).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the result tables.")
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Estimate a programme's effect with staggered adoption (交错双重差分)."""
    from nqpf.services.evaluation import DID_TABLES, did_file, event_study_png
    from nqpf.services.files import write_outputs

    outcome_ = did_file(
        panel, unit=unit, time=time, outcome=outcome, cohort=cohort, treatment=treatment,
        method=method, control=control, cluster=cluster, alpha=alpha, sheet=sheet,
    )  # fmt: skip
    r = outcome_.result
    if chart is not None:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(event_study_png(r))
    if out is not None:
        settings = {"command": "evaluate did", "file": str(panel), "unit": unit, "time": time,
                    "outcome": outcome, "cohort": cohort, "treatment": treatment,
                    "method": r.method, "control": r.control, "cluster": cluster, "alpha": alpha}  # fmt: skip
        written = write_outputs(
            out, workbook="nqpf_evaluate_did.xlsx", tables=outcome_.tables,
            known_tables=DID_TABLES, formats=fmt or ("xlsx", "csv"), settings=settings,
        )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(outcome_.document, ensure_ascii=False, indent=2) + "\n")
        return
    s = r.summary()
    view = Table(title=s.title, show_header=False)
    view.add_column("项目")
    view.add_column("值")
    for k, v in s.rows:
        view.add_row(k, str(v))
    console.print(view)
    es = Table(title="事件研究 event study（e = 期间 − 参与批次）")
    for col in ("e", "ATT", "SE", "CI low", "CI high"):
        es.add_column(col, justify="right")
    for row in r.event_study.itertuples(index=False):
        es.add_row(str(int(row.e)), _g(row.att), _g(row.se), _g(row.ci_lo), _g(row.ci_hi))
    console.print(es)
    for w in r.warnings:
        console.print(f"[yellow]注意 {w.code}:[/] {w.message}", highlight=False, soft_wrap=True)
    if chart is not None:
        console.print(f"图 chart: {chart}", highlight=False, soft_wrap=True)
    if out is not None:
        for path in written:
            console.print(str(path), highlight=False, soft_wrap=True)


@app.command("compare")
def compare_cmd(
    t0: Annotated[
        Path, typer.Argument(help="T0 responses: filled template (.xlsx), .json or .yaml.")
    ],
    t1: Annotated[Path, typer.Argument(help="T1 responses of the same enterprise and framework.")],
    framework: Annotated[
        str | None, typer.Option("--framework", help="Framework key (default: the files').")
    ] = None,
    kpis: Annotated[
        Path | None,
        typer.Option("--kpis", help="Project KPIs: .json/.yaml list or .csv/.xlsx table."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the result tables.")
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Compare one enterprise's T1 re-assessment with its T0 (per dimension, question, scene)."""
    from nqpf.services.evaluation import COMPARE_TABLES, compare_document, compare_files
    from nqpf.services.files import write_outputs

    outcome = compare_files(t0, t1, framework=framework, kpis=kpis)
    if out is not None:
        settings = {"command": "evaluate compare", "file": str(t1), "t0": str(t0), "t1": str(t1),
                    "kpis": None if kpis is None else str(kpis), "framework": framework}  # fmt: skip
        written = write_outputs(
            out, workbook="nqpf_evaluate_compare.xlsx", tables=outcome.tables,
            known_tables=COMPARE_TABLES, formats=fmt or ("xlsx", "csv"), settings=settings,
        )  # fmt: skip
    if as_json:
        doc = compare_document(outcome)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    r = outcome.result
    for summary in (r.summary(), *(() if outcome.kpis is None else (outcome.kpis.summary(),))):
        view = Table(title=summary.title, show_header=False)
        view.add_column("项目")
        view.add_column("值")
        for k, v in summary.rows:
            view.add_row(k, str(v))
        console.print(view)
        for note in summary.notes:
            console.print(f"  • {note}", highlight=False, soft_wrap=True)
    if out is not None:
        for path in written:
            console.print(str(path), highlight=False, soft_wrap=True)


@app.command("rules")
def rules_cmd() -> None:
    """List the shipped acceptance and subsidy rules with source and confidence."""
    from nqpf.evaluation import list_rules, load_rule

    for name in list_rules():
        rule = load_rule(name)
        console.print(
            f"[bold]{name}[/] ({rule.kind}, {rule.key}, 可信度 confidence {rule.confidence}): "
            f"{rule.name}\n  来源 source: {rule.source}",
            highlight=False,
            soft_wrap=True,
        )
