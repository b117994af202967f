"""``nqpf assess …``: frameworks, XLSX templates, scoring one response or a table, and the
enterprise diagnosis report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="企业数字化水平评测 — enterprise assessment frameworks and scoring.",
    no_args_is_help=True,
)
console = Console()

FrameworkOpt = Annotated[
    str | None,
    typer.Option(
        "--framework", help="Framework key (sme-digital-2024), id (latest version) or YAML path."
    ),
]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option("--format", "-f", help="Table format: xlsx, csv, parquet (repeatable)."),
]


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


@app.command("frameworks")
def frameworks() -> None:
    """List the shipped frameworks with version and confidence."""
    from rich import box

    from nqpf.services.assess import frameworks_table

    view = Table(title="评测框架 frameworks", box=box.SIMPLE)
    view.add_column("key", no_wrap=True)
    for col in ("version", "confidence", "rule", "questions", "scenes"):
        view.add_column(col, no_wrap=True)
    table = frameworks_table()
    for _, r in table.iterrows():
        view.add_row(
            r["key"],
            r["version"],
            r["confidence"],
            r["rule_confidence"],
            str(r["questions"]) if r["can_score"] else "—",
            str(r["scenes"]),
        )
    console.print(view)
    for _, r in table.iterrows():
        note = "" if r["can_score"] else "（无题目，不能评分 cannot score）"
        console.print(
            f"{r['key']}: {r['name']} — 可信度 confidence {r['confidence']}, "
            f"等级规则 rule {r['rule_confidence']}{note}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("template")
def template(
    framework: Annotated[
        str, typer.Option("--framework", help="Framework key, e.g. sme-digital-2024.")
    ] = "sme-digital",
    out: Annotated[Path, typer.Option("--out", "-o", help="XLSX file to write.")] = Path(
        "评测模板.xlsx"
    ),
) -> None:
    """Write the XLSX questionnaire (Chinese, dropdowns, one sheet per dimension)."""
    from nqpf.services.assess import make_template, resolve_framework

    fw = resolve_framework(framework)
    path = make_template(fw, out)
    console.print(f"{fw.name} ({fw.key}) 模板 template: {path}", highlight=False, soft_wrap=True)


@app.command("score")
def score_cmd(
    file: Annotated[Path, typer.Argument(help="Filled template (.xlsx), .json or .yaml.")],
    framework: FrameworkOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the result tables.")
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Score one response: total, level, dimension points, unmet next-level conditions."""
    from nqpf.services.assess import SCORE_TABLES, score_file
    from nqpf.services.files import write_outputs

    outcome = score_file(file, framework)
    r = outcome.result
    console.print(f"[bold]{outcome.framework.name}[/] ({r.framework})", highlight=False)
    console.print(f"总分 total: [bold]{_fmt(r.total)}[/] / {_fmt(r.max_total)}", highlight=False)
    console.print(f"等级 level: [bold]{r.level_name}[/] ({r.level})", highlight=False)
    view = Table(title="维度得分 dimensions")
    view.add_column("维度")
    view.add_column("得分", justify="right")
    view.add_column("满分", justify="right")
    max_by = {d.name: d.points or 0 for d in outcome.framework.scored_dimensions}
    for name, pts in r.dimensions.items():
        view.add_row(name, _fmt(pts), _fmt(max_by.get(name, 0)))
    console.print(view)
    if r.next_level:
        console.print("下一等级未满足条件 unmet conditions of the next level:")
        for c in r.next_level:
            console.print(f"  • {c.message}", highlight=False, soft_wrap=True)
    else:
        console.print("已达最高等级 top level reached.")
    if r.rule_confidence != "official":
        console.print(
            f"[yellow]等级规则的可信度为 {r.rule_confidence}，须以官方文件核对。[/]",
            highlight=False,
        )
    if out is not None:
        written = write_outputs(
            out,
            workbook="nqpf_assess.xlsx",
            tables=outcome.tables,
            known_tables=SCORE_TABLES,
            formats=fmt or ("xlsx", "csv"),
            settings={"command": "assess score", "file": str(file), "framework": r.framework},
        )
        for path in written:
            console.print(str(path), highlight=False, soft_wrap=True)


@app.command("batch")
def batch(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX, one row per enterprise.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for scores and errors.")],
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Framework key (sme-digital-2024), id (sme-digital: the latest version, or "
            "the version a row's framework_version names) or YAML path.  May be left out "
            "when the table has a framework / framework_version column.",
        ),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column with the enterprise id.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    fmt: FormatOpt = None,
    enterprises: Annotated[
        Path | None,
        typer.Option(
            "--enterprises",
            help="Enterprise file (CSV/XLSX): id, industry (GB/T 4754), region (NBS code), …",
        ),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Roll up by industry, region or chain (repeatable; default: what the "
            "--enterprises / --chains files allow).",
        ),
    ] = None,
    industry_level: Annotated[
        str,
        typer.Option(
            "--industry-level",
            help="GB/T 4754 level: 门类 (letter in the code), 大类, 中类, 小类.",
        ),
    ] = "大类",
    region_level: Annotated[
        str, typer.Option("--region-level", help="NBS region level: province, city, county.")
    ] = "province",
    chains: Annotated[
        Path | None,
        typer.Option("--chains", help="Chain file (YAML): chains → ordered stages → members."),
    ] = None,
    weak_metric: Annotated[
        str,
        typer.Option("--weak-metric", help="Weak links by mean_total or share (≥ 二级)."),
    ] = "mean_total",
    weak_threshold: Annotated[
        float | None,
        typer.Option(
            "--weak-threshold",
            help="Weak link = stage below the chain value by more than this (default: the "
            "lowest stage of each chain).",
        ),
    ] = None,
) -> None:
    """Score every row; bad rows are reported in errors.csv, good rows are scored.

    A framework_version (or framework) column scores each row by the version it names;
    a row naming another version than --framework asks for stops the run (nothing is
    written), naming the rows.

    With --enterprises / --chains also writes roll-up tables (rollup_industry.csv,
    rollup_region.csv, rollup_chain.csv, weak_links.csv, rollup_problems.csv …).

    Exits 0 when at least one row was scored (printing how many rows were bad), 2 when
    nothing could be read or scored.
    """
    from nqpf.exceptions import DataValidationError
    from nqpf.services.assess import BATCH_TABLES, batch_file
    from nqpf.services.assess_rollup import ROLLUP_TABLES, rollup_batch
    from nqpf.services.files import write_outputs

    outcome = batch_file(file, framework, id_column=id_column, sheet=sheet)
    tables = dict(outcome.tables)
    known = [*BATCH_TABLES, *ROLLUP_TABLES]  # stale roll-ups of an earlier run are removed
    roll = None
    if enterprises is not None or chains is not None or by:
        roll = rollup_batch(
            outcome,
            by=by or (),
            enterprises=enterprises,
            chains=chains,
            id_column=id_column,
            industry_level=industry_level,
            region_level=region_level,
            sheet=sheet,
            weak_metric=weak_metric,
            weak_threshold=weak_threshold,
        )
        tables.update(roll.tables)
    formats = list(fmt or ("xlsx", "csv"))
    if "csv" not in formats:
        formats.append("csv")  # errors.csv is always written
    settings: dict[str, object] = {
        "command": "assess batch",
        "file": str(file),
        "framework": outcome.framework.key,
        "frameworks": [fw.key for fw in outcome.frameworks],
        "id_column": id_column,
    }
    if roll is not None:
        settings.update(
            {
                "enterprises": str(enterprises) if enterprises else None,
                "chains": str(chains) if chains else None,
                "by": list(by or ()),
                "industry_level": industry_level,
                "region_level": region_level,
                "weak_metric": weak_metric,
                "weak_threshold": weak_threshold,
            }
        )
    written = write_outputs(
        out,
        workbook="nqpf_batch.xlsx",
        tables=tables,
        known_tables=known,
        formats=formats,
        settings=settings,
    )
    console.print(
        f"{outcome.result.framework}: 共 {outcome.n_rows} 行 rows, 已评分 scored "
        f"{outcome.n_valid}, 有问题 bad rows {outcome.n_bad_rows} ({len(outcome.errors)} 个问题 "
        "problems)",
        highlight=False,
    )
    if len(outcome.frameworks) > 1:
        used = outcome.scores["framework"].value_counts(sort=False)
        console.print(
            "按行所列框架评分 scored by each row's framework: "
            + "，".join(f"{k} {n}" for k, n in used.items()),
            highlight=False,
            soft_wrap=True,
        )
    _print_problems(outcome.errors)
    ok = outcome.scores[outcome.scores["valid"]]
    if len(ok):
        counts = ok["level_name"].value_counts()
        console.print(
            "等级分布 levels: " + "，".join(f"{k} {v}" for k, v in counts.items()),
            highlight=False,
        )
    if outcome.n_bad_rows:
        console.print(
            f"[yellow]{outcome.n_bad_rows} 行有问题，见 bad rows, see {Path(out) / 'errors.csv'}[/]",
            highlight=False,
            soft_wrap=True,
        )
    if roll is not None:
        for name, r in roll.results.items():
            console.print(
                f"汇总 roll-up {name}（{r.key_level}）: {len(r.groups)} 组 groups"
                + (f", {r.n_unassigned} 行未分组 unassigned" if r.n_unassigned else ""),
                highlight=False,
            )
        if roll.chains is not None and roll.weak is not None:
            console.print(
                f"产业链 chains: {len(roll.chains.chains)}, 环节 stages {len(roll.chains.stages)}",
                highlight=False,
            )
            for _, w in roll.weak.links.iterrows():
                console.print(
                    f"  薄弱环节 weak link: {w['chain_name']} / {w['stage_name']} "
                    f"({roll.weak.metric} {w['value']:.3g}, 链 chain {w['chain_value']:.3g})",
                    highlight=False,
                    soft_wrap=True,
                )
        if len(roll.problems):
            console.print(
                f"[yellow]{len(roll.problems)} 个编号未匹配 unmatched ids, see "
                f"{Path(out) / 'rollup_problems.csv'}[/]",
                highlight=False,
                soft_wrap=True,
            )
    for path in written:
        console.print(str(path), highlight=False, soft_wrap=True)
    if outcome.n_valid == 0:
        raise DataValidationError(
            f"no row could be scored ({outcome.n_rows} rows, all bad); see "
            f"{Path(out) / 'errors.csv'}",
            file=file.name,
        )


def _print_problems(errors, limit: int = 5) -> None:
    """The batch's problems grouped by column and reason, with their rows (at most
    ``limit`` groups; errors.csv has them all)."""
    if errors.empty:
        return
    groups = errors.groupby(["column", "message_en"], sort=False, dropna=False)["row"].agg(list)
    for (column, message), rows in list(groups.items())[:limit]:
        shown = ", ".join(map(str, rows[:10])) + (
            f", … ({len(rows)} rows)" if len(rows) > 10 else ""
        )
        console.print(
            f"  • row{'s' if len(rows) > 1 else ''} {shown} [{column}]: {message}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    if len(groups) > limit:
        console.print(f"  • … {len(groups) - limit} more kinds of problem", highlight=False)


_REPORT_SUFFIXES = (".html", ".htm", ".pdf")


@app.command("report")
def report(
    file: Annotated[Path, typer.Argument(help="Filled template (.xlsx), .json or .yaml.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Report to write: report.html or report.pdf.")
    ],
    framework: FrameworkOpt = None,
    target_level: Annotated[
        int | None,
        typer.Option("--target-level", help="Level the roadmap aims at (default: next)."),
    ] = None,
    carbon: Annotated[
        Path | None,
        typer.Option("--carbon", help="Energy inventory (YAML, JSON, CSV, XLSX)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Accounting year of the inventory.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Province for the grid factor (name or NBS code)."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="企业名称.")] = None,
    credit_code: Annotated[
        str | None, typer.Option("--credit-code", help="统一社会信用代码.")
    ] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="所属行业.")] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="所在地区 shown in the report.")
    ] = None,
    synthetic: Annotated[
        bool, typer.Option("--synthetic", help="Mark the report as 示例数据，非真实统计.")
    ] = False,
) -> None:
    """Write the enterprise diagnosis report (level, radar, scene ladder, roadmap, carbon)."""
    from nqpf.exceptions import DataValidationError
    from nqpf.services import assess_report
    from nqpf.services.assess import score_file
    from nqpf.services.carbon import account_file
    from nqpf.services.files import output_lock, publish_file

    if out.suffix.lower() not in _REPORT_SUFFIXES:
        raise DataValidationError(
            f"cannot write {out.suffix or 'a file without a suffix'!r}; use .html or .pdf",
            file=out.name,
        )
    if not out.parent.is_dir():
        raise DataValidationError(f"folder {str(out.parent)!r} does not exist", file=str(out))
    with output_lock(out):  # held from the start: a second run refuses before computing
        outcome = score_file(file, framework)
        analysis = assess_report.analysis_of(
            outcome.result, outcome.framework, target_level=target_level
        )
        enterprise = {
            "name": name,
            "credit_code": credit_code,
            "industry": industry,
            "region": location,
        }
        accounted = account_file(carbon, year=year, region=region).result if carbon else None
        if out.suffix.lower() == ".pdf":
            document = assess_report.report_pdf(
                analysis, enterprise=enterprise, carbon=accounted, synthetic=synthetic
            )
        else:
            html = assess_report.report_html(
                analysis, enterprise=enterprise, carbon=accounted, synthetic=synthetic
            )
            document = html.encode("utf-8")
        publish_file(out, lambda fh: fh.write(document))
    r = analysis.result
    typer.echo(f"{r.level_name}，总分 {r.total:g} → {out}")
