"""``nqpf assess report``: the enterprise diagnosis report as HTML or PDF.

:func:`register` adds the ``report`` command to a Typer app (``nqpf assess``); it scores
the response file, diagnoses it, finds the cheapest roadmap to the target level and,
with ``--carbon``, accounts the inventory, then writes HTML or PDF by the suffix of
``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import atomic_write

__all__ = ["register"]

_HTML = (".html", ".htm")


def _write_text_atomic(text: str, path: Path) -> None:
    if not path.parent.is_dir():
        raise DataValidationError(f"folder {str(path.parent)!r} does not exist", file=str(path))
    with atomic_write(path, "w") as fh:
        fh.write(text)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report(
        file: Annotated[Path, typer.Argument(help="Filled template (.xlsx), .json or .yaml.")],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Report to write: report.html or report.pdf.")
        ],
        framework: Annotated[
            str | None,
            typer.Option(
                "--framework",
                help="Framework key (sme-digital-2024), id (latest version) or YAML path.",
            ),
        ] = None,
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
        from nqpf.assessment import diagnose, roadmap
        from nqpf.reports.assessment_report import enterprise_report
        from nqpf.services.assess import score_file
        from nqpf.services.carbon import account_file

        suffix = out.suffix.lower()
        if suffix not in (*_HTML, ".pdf"):
            raise DataValidationError(
                f"cannot write {out.suffix or 'a file without a suffix'!r}; use .html or .pdf",
                file=out.name,
            )
        outcome = score_file(file, framework)
        result, fw = outcome.result, outcome.framework
        diag = diagnose(result, framework=fw)
        plan = None
        if target_level is not None or diag.next_level is not None:
            plan = roadmap(result, target_level, framework=fw)
        carbon_result = None
        if carbon is not None:
            carbon_result = account_file(carbon, year=year, region=region).result
        enterprise = {
            "name": name,
            "credit_code": credit_code,
            "industry": industry,
            "region": location,
        }
        html = enterprise_report(
            result,
            roadmap=plan,
            diagnosis=diag,
            carbon=carbon_result,
            enterprise={k: v for k, v in enterprise.items() if v},
            synthetic=synthetic,
            framework=fw,
        )
        if suffix == ".pdf":
            from nqpf.reports.pdf import html_to_pdf

            html_to_pdf(html, out)
        else:
            _write_text_atomic(html, out)
        typer.echo(f"{result.level_name}，总分 {result.total:g} → {out}")
