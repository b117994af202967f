"""The enterprise diagnosis report (诊断报告) of one response, shared by the CLI and the web.

* :func:`analyze` — score, diagnosis and cheapest roadmap of a response (remembered, as
  the web shows one stored response again and again); :func:`analysis_of` — the same
  for a response already scored;
* :func:`report_html`, :func:`report_pdf` — the report as an HTML page or PDF bytes, with
  the carbon accounting when given;
* :func:`report_xlsx` — its tables as an XLSX workbook with Chinese sheet and column names.

``nqpf assess report`` writes the HTML or PDF to a file; the web answers them as
downloads.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.assessment import Diagnosis, Framework, Roadmap, ScoreResult, diagnose, roadmap, score
from nqpf.io.atomic import xlsx_bytes
from nqpf.reports.labels import confidence_label
from nqpf.reports.pdf import PdfEngineError, find_chromium
from nqpf.services.assess import score_tables

if TYPE_CHECKING:
    from nqpf.assessment.carbon import CarbonResult

__all__ = [
    "Analysis",
    "PdfEngineError",
    "analysis_of",
    "analyze",
    "pdf_available",
    "report_html",
    "report_pdf",
    "report_xlsx",
]


@dataclass(frozen=True)
class Analysis:
    """A scored response with its diagnosis and the roadmap to the target level."""

    framework: Framework
    result: ScoreResult
    diagnosis: Diagnosis
    roadmap: Roadmap


def analysis_of(
    result: ScoreResult, framework: Framework, *, target_level: int | None = None
) -> Analysis:
    """Diagnose ``result`` and find its cheapest roadmap to ``target_level`` (None: next)."""
    return Analysis(
        framework,
        result,
        diagnose(result, framework=framework),
        roadmap(result, target_level, framework=framework),
    )


def analyze(
    framework: Framework, responses: Mapping[str, Any], *, target_level: int | None = None
) -> Analysis:
    """Score ``responses`` (JSON-like: as stored) and :func:`analysis_of` the result.

    Raises
    ------
    DataValidationError
        From :func:`nqpf.assessment.score`: a missing or bad answer, naming its field.
    """
    text = json.dumps(dict(responses), sort_keys=True, ensure_ascii=False)
    return _analyze(framework, text, target_level)


@functools.lru_cache(maxsize=512)
def _analyze(framework: Framework, responses_json: str, target_level: int | None) -> Analysis:
    result = score(framework, json.loads(responses_json))
    return analysis_of(result, framework, target_level=target_level)


_RENDER_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe


def report_html(
    analysis: Analysis,
    *,
    enterprise: Mapping[str, Any] | None = None,
    carbon: CarbonResult | None = None,
    synthetic: bool = False,
    title: str | None = None,
) -> str:
    """The diagnosis report as one self-contained HTML page.

    ``enterprise`` holds the facts under the heading (``name``, ``credit_code``,
    ``industry``, ``region``); see :func:`nqpf.reports.assessment_report.enterprise_report`.
    """
    # imported here: the charts load matplotlib, which a web worker needs only now
    from nqpf.reports.assessment_report import enterprise_report

    with _RENDER_LOCK:
        return enterprise_report(
            analysis.result,
            roadmap=analysis.roadmap,
            diagnosis=analysis.diagnosis,
            carbon=carbon,
            enterprise=enterprise,
            synthetic=synthetic,
            framework=analysis.framework,
            title=title,
        )


def pdf_available() -> bool:
    """Whether this machine can print PDF reports (a headless Chromium is installed)."""
    return find_chromium() is not None


def report_pdf(
    analysis: Analysis,
    *,
    enterprise: Mapping[str, Any] | None = None,
    carbon: CarbonResult | None = None,
    synthetic: bool = False,
    title: str | None = None,
    timeout: float = 180.0,
) -> bytes:
    """:func:`report_html` printed to PDF by headless Chromium (``timeout`` in seconds).

    Raises
    ------
    PdfEngineError
        No Chromium is installed, or it failed to print.
    """
    from nqpf.reports.pdf import html_to_pdf_bytes

    html = report_html(
        analysis, enterprise=enterprise, carbon=carbon, synthetic=synthetic, title=title
    )
    return html_to_pdf_bytes(html, timeout=timeout)


# ------------------------------------------------------------------------------- XLSX
_SHEETS = {
    "summary": "概要",
    "dimensions": "维度",
    "questions": "题目",
    "scenes": "场景",
    "conditions": "条件",
    "roadmap": "路线图",
}
_HEADERS = {
    "dimension": "维度",
    "points": "得分",
    "max_points": "满分",
    "id": "编号",
    "title": "题目",
    "answer": "作答",
    "reason": "得分依据",
    "name": "场景",
    "group": "场景组",
    "binding": "约束性",
    "level": "等级",
    "level_name": "等级名称",
    "kind": "类型",
    "label": "条件",
    "current": "当前",
    "required": "要求",
    "met": "已满足",
    "next_level_unmet": "下一等级未满足",
    "message": "说明",
    "order": "序号",
    "from": "调整前",
    "to": "调整后",
    "points_gain": "加分",
    "cost": "成本",
    "typical_scenes": "典型场景",
    "detail": "调整",
}
_KINDS = {
    "single": "单选题",
    "multi": "多选题",
    "number": "数值题",
    "scene": "场景",
    "score": "总分",
    "scenes": "场景数",
    "binding": "约束性场景数",
}


def report_xlsx(analysis: Analysis) -> bytes:
    """The report's tables as an XLSX workbook: 概要, 维度, 题目, 场景, 条件, 路线图.

    The same tables as ``nqpf assess score`` writes, plus the roadmap's steps, with
    Chinese sheet names, headers, kinds, yes/no and confidence labels.
    """
    fw, result = analysis.framework, analysis.result
    tables = score_tables(fw, result)
    tables["summary"] = pd.DataFrame(
        {
            "项目": ["评测框架", "总分", "满分", "等级", "等级名称", "等级规则可信度"],
            "数值": [
                f"{fw.name}（{result.framework}）",
                result.total,
                result.max_total,
                result.level,
                result.level_name,
                confidence_label(result.rule_confidence),
            ],
        }
    )
    tables["roadmap"] = analysis.roadmap.to_frame().rename(columns={"title": "事项"})
    return xlsx_bytes({_SHEETS[name]: _in_chinese(frame) for name, frame in tables.items()})


def _in_chinese(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers, kinds and booleans of a score table as the Chinese workbook shows them."""
    out = frame.copy()
    for column in out.columns:
        if column == "kind":
            out[column] = out[column].map(lambda k: _KINDS.get(k, k))
        elif out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"})
        elif out[column].map(lambda v: isinstance(v, tuple)).any():
            out[column] = out[column].map(lambda v: "|".join(v) if isinstance(v, tuple) else v)
    return out.rename(columns=_HEADERS)
