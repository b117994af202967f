"""PDF renders as background jobs: the generic step and the roll-up report (kind
``rollup_pdf``).

A long PDF (a park's roll-up, an enterprise report) is printed by headless Chromium,
which takes seconds; as a job it runs on the worker with progress instead of holding a
request.  :func:`pdf_output` is the step any PDF kind ends with: HTML in, one result file
out (or a Chinese error when this machine has no Chromium).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.services.assess import resolve_framework
from nqpf.services.jobs import JobOutput, JobProgress, OutputFile, job_kind

__all__ = ["pdf_output", "run_rollup_pdf"]


def pdf_output(
    html: str,
    name: str,
    progress: JobProgress,
    *,
    start: float = 0.3,
    summary: Mapping[str, Any] | None = None,
) -> JobOutput:
    """Print ``html`` to the PDF result file ``name`` (progress ``start`` → 1).

    Raises
    ------
    DataValidationError
        No Chromium is installed (the job fails with that reason in Chinese).
    """
    from nqpf.reports.pdf import find_chromium, html_to_pdf_bytes

    if find_chromium() is None:
        raise DataValidationError(
            "no headless Chromium is installed to print PDF",
            field="pdf",
            zh="本机未安装 Chromium，无法生成 PDF（可下载 HTML 报告后打印）",
        )
    progress(start, "排版打印 PDF")
    data = html_to_pdf_bytes(html)
    return JobOutput(
        files=(OutputFile(name, "application/pdf", data),),
        summary={"bytes": len(data), **(summary or {})},
    )


@job_kind("rollup_pdf", "汇总报告 PDF")
def run_rollup_pdf(
    config: Mapping[str, Any], inputs: Mapping[str, bytes], progress: JobProgress
) -> JobOutput:
    """The roll-up report of a park or region as PDF.

    ``config``: ``title``, ``framework`` (key of a framework version), ``synthetic``,
    ``meta`` (facts under the heading) and ``tables``: roll-up tables by name
    (``rollup_region``, ``rollup_industry`` …) as lists of rows with the columns of
    :mod:`nqpf.assessment.rollup` (group, ``n``, ``n_valid``, ``n_<level name>``,
    ``share_ge_<level name>``, ``mean_total``); optionally ``programmes``: evaluated
    programmes (``name``, ``evaluation``: :func:`nqpf.services.evaluation.programme_evaluation`)
    added after the roll-up.
    """
    from nqpf.reports.assessment_report import rollup_report
    from nqpf.services.evaluation import programme_sections

    progress(0.05, "整理汇总表")
    tables = {name: pd.DataFrame(rows) for name, rows in config["tables"].items() if rows}
    if not tables:
        raise DataValidationError(
            "nothing to report: every roll-up table is empty",
            field="tables",
            zh="没有可汇总的企业（当前范围内无已评测企业）",
        )
    progress(0.1, "绘制图表")
    html = rollup_report(
        tables,
        title=str(config["title"]),
        synthetic=bool(config.get("synthetic")),
        framework=resolve_framework(str(config["framework"]), allow_path=False),
        meta=config.get("meta") or {},
        extra_sections=[
            section
            for p in config.get("programmes") or []
            for section in programme_sections(p["evaluation"], name=str(p["name"]))
        ],
    )
    return pdf_output(html, "rollup.pdf", progress, summary={"tables": sorted(tables)})
