"""An enterprise's assessment report printed as a background job (kind ``report_pdf``).

Printing a report with headless Chromium takes seconds; the web starts this job instead of
holding the request, and the job page shows its progress and offers the PDF when done.
The report's HTML is written when the job is started (what the reader saw) and stored as
the job's input ``report.html``; the worker only prints it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nqpf.exceptions import DataValidationError
from nqpf.services.jobs import JobOutput, JobProgress, job_kind
from nqpf.services.jobs_pdf import pdf_output

__all__ = ["REPORT_HTML", "run_report_pdf"]

REPORT_HTML = "report.html"
"""Name of the job's input file: the report's HTML."""


@job_kind("report_pdf", "评测报告 PDF")
def run_report_pdf(
    config: Mapping[str, Any], inputs: Mapping[str, bytes], progress: JobProgress
) -> JobOutput:
    """Print the stored report HTML to the PDF ``config["file"]`` (default ``report.pdf``)."""
    progress(0.1, "读取报告")
    html = inputs.get(REPORT_HTML)
    if not html:
        raise DataValidationError(
            "the job has no report HTML", field=REPORT_HTML, zh="任务缺少报告内容，请重新生成"
        )
    name = str(config.get("file") or "report.pdf")
    return pdf_output(html.decode("utf-8"), name, progress, start=0.2)
