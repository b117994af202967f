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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.assessment import Diagnosis, Framework, Roadmap, ScoreResult, diagnose, roadmap, score
from nqpf.assessment.outcomes import Outcome
from nqpf.assessment.schema import fmt_num
from nqpf.evaluation import ComparisonResult
from nqpf.io.atomic import xlsx_bytes
from nqpf.reports.html import Section
from nqpf.reports.labels import answer_text, confidence_label, question_numbers
from nqpf.reports.pdf import PdfEngineError, find_chromium
from nqpf.services.assess import score_tables

if TYPE_CHECKING:
    from nqpf.assessment.carbon import CarbonResult

__all__ = [
    "Analysis",
    "PdfEngineError",
    "analysis_of",
    "analyze",
    "effect_section",
    "outcome_html",
    "outcome_pdf",
    "outcome_xlsx",
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
    effect: Section | None = None,
) -> str:
    """The diagnosis report as one self-contained HTML page.

    ``enterprise`` holds the facts under the heading (``name``, ``credit_code``,
    ``industry``, ``region``); see :func:`nqpf.reports.assessment_report.enterprise_report`.
    ``effect`` is the effect section (:func:`effect_section`), added at the end.
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
            extra_sections=() if effect is None else (effect,),
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
    effect: Section | None = None,
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
        analysis, enterprise=enterprise, carbon=carbon, synthetic=synthetic, title=title,
        effect=effect,
    )  # fmt: skip
    return html_to_pdf_bytes(html, timeout=timeout)


# ----------------------------------------------------------------------------- effect
def _signed(x: float) -> str:
    return f"{x:+.4g}" if x else "0"


def effect_section(
    comparison: ComparisonResult,
    kpis: Sequence[Mapping[str, Any]] = (),
    *,
    t0: str = "T0",
    t1: str = "T1",
) -> Section:
    """The one-page effect section (效果评估) of the enterprise report: totals and level,
    the change per dimension, the scenes that moved, the T0 conditions closed, and the
    project KPIs (rows of :func:`nqpf.services.evaluation.project_kpis`)."""
    c = comparison
    change = c.level_change
    q = c.questions["change"].value_counts()
    text = [
        f"{t0} → {t1}：总分 {c.total_t0:.4g} → {c.total_t1:.4g}（{_signed(c.delta_total)}），"
        f"等级 {c.level_name_t0} → {c.level_name_t1}"
        f"（{'提升' if change > 0 else '下降' if change < 0 else '不变'}"
        f"{abs(change) or ''}{'级' if change else ''}）；题目提升 {q.get('提升', 0)} 道、"
        f"下降 {q.get('下降', 0)} 道、不变 {q.get('不变', 0)} 道。",
        "前后差值来自企业自评，含均值回归与自评偏高的可能；项目效果的因果估计见主管部门的项目评估。",
    ]
    dims = c.dimensions.rename(
        columns={"dimension": "维度", "max_points": "满分", "t0": t0, "t1": t1,
                 "delta": "变化", "delta_pct_of_max": "变化占满分%"}
    )  # fmt: skip
    tables = [("维度得分变化", dims)]
    moved = c.scenes[c.scenes["delta"] != 0]
    if len(moved):
        tables.append(
            ("等级变化的场景", moved[["name", "level_t0", "level_t1", "delta"]].rename(
                columns={"name": "场景", "level_t0": t0, "level_t1": t1, "delta": "变化"}))
        )  # fmt: skip
    if len(c.conditions):
        cond = c.conditions[["level_name", "label", "closed", "message"]].rename(
            columns={"level_name": "等级", "label": "条件", "closed": f"{t1} 已达成",
                     "message": "说明"}
        )  # fmt: skip
        tables.append((f"{t0} 时未满足的升级条件", cond))
    if kpis:
        frame = pd.DataFrame(list(kpis))[
            ["project", "name", "unit", "baseline", "target", "achieved", "pct_of_target",
             "status", "unit_check"]
        ].rename(columns={"project": "项目", "name": "指标", "unit": "单位", "baseline": "基线",
                          "target": "目标", "achieved": "实际", "pct_of_target": "完成目标增量%",
                          "status": "状态", "unit_check": "单位核对"})  # fmt: skip
        tables.append(("项目指标前后对比", frame))
    return Section("效果评估（前后对比）", text="\n\n".join(text), tables=tables)


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
    _readable_ids(fw, tables)
    return xlsx_bytes({_SHEETS[name]: _in_chinese(frame) for name, frame in tables.items()})


def _readable_ids(fw: Framework, tables: dict[str, pd.DataFrame]) -> None:
    """Questions and scenes by their number, coded answers by their label (no ids)."""
    asked = {q.id: q for q in fw.questions}
    for name, numbers in (
        ("questions", question_numbers(fw.questions)),
        ("scenes", question_numbers(fw.scenes)),
    ):
        frame = tables.get(name)
        if frame is None or "id" not in frame.columns:
            continue
        if name == "questions" and "answer" in frame.columns:
            pairs = zip(frame["id"], frame["answer"], strict=True)
            frame["answer"] = [  # a multi-select is stored joined by "|"
                answer_text(asked.get(i), tuple(a.split("|")) if isinstance(a, str) else a)
                for i, a in pairs
            ]
        frame["id"] = frame["id"].map(lambda i, n=numbers: n.get(i, i))


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


# ---------------------------------------------------------------- rule frameworks' reports
def outcome_html(
    outcome: Outcome, *, enterprise: Mapping[str, Any] | None = None, title: str | None = None
) -> str:
    """The report of a rule framework's outcome (CMMM, smart-factory tiers, 优质中小企业,
    green factory) as one self-contained HTML page: conclusion, unmet conditions, steps,
    every condition, notes."""
    from html import escape

    facts = "".join(
        f"<li>{escape(_FACT_LABELS.get(k, k))}：{escape(str(v))}</li>"
        for k, v in (enterprise or {}).items()
    )
    score = (
        f"<p>得分 {fmt_num(round(outcome.score, 3))} / {fmt_num(round(outcome.max_score, 3))}</p>"
        if outcome.score is not None and outcome.max_score
        else ""
    )

    def items(lines: tuple[str, ...], empty: str) -> str:
        return "".join(f"<li>{escape(x)}</li>" for x in lines) or f"<li>{escape(empty)}</li>"

    rows = "".join(
        f"<tr><td>{escape(c.group)}</td><td>{escape(c.text)}</td><td>{c.status_zh}</td>"
        f"<td>{escape(c.current)}</td><td>{escape(c.required)}</td></tr>"
        for c in outcome.checks
    )
    head = escape(title or outcome.name)
    return (
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{head}</title>"
        f"<style>{_OUTCOME_CSS}</style></head><body><h1>{head}</h1><ul>{facts}</ul>"
        f"<h2>结论：{escape(outcome.headline)}</h2>{score}"
        f"<p>可信度：{escape(confidence_label(outcome.confidence))}</p>"
        f"<h2>未满足的条件</h2><ol>{items(outcome.unmet, '无')}</ol>"
        f"<h2>提升路线</h2><ol>{items(outcome.roadmap, '已达最高层级')}</ol>"
        f"<h2>待确认</h2><ul>{items(outcome.unknown, '无')}</ul>"
        "<h2>全部条件</h2><table><thead><tr><th>分组</th><th>条件</th><th>状态</th>"
        f"<th>当前</th><th>要求</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>说明</h2><ul>{items(outcome.notes, '—')}</ul></body></html>"
    )


_FACT_LABELS = {
    "name": "企业",
    "credit_code": "统一社会信用代码",
    "industry": "行业",
    "region": "地区",
}
_OUTCOME_CSS = (
    "body{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:2em;line-height:1.5}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;"
    "vertical-align:top}th{background:#f3f3f3;white-space:nowrap}h2{break-after:avoid}"
)


def outcome_pdf(
    outcome: Outcome,
    *,
    enterprise: Mapping[str, Any] | None = None,
    title: str | None = None,
    timeout: float = 180.0,
) -> bytes:
    """:func:`outcome_html` printed to PDF by headless Chromium (raises PdfEngineError)."""
    from nqpf.reports.pdf import html_to_pdf_bytes

    html = outcome_html(outcome, enterprise=enterprise, title=title)
    return html_to_pdf_bytes(html, timeout=timeout)


def outcome_xlsx(outcome: Outcome) -> bytes:
    """A rule framework's outcome as an XLSX workbook: 概要, 条件, 路线图 (Chinese headers)."""
    summary = pd.DataFrame(
        {
            "项目": ["评测框架", "结论", "得分", "满分", "可信度"],
            "数值": [
                f"{outcome.name}（{outcome.framework}）",
                outcome.headline,
                outcome.score,
                outcome.max_score,
                confidence_label(outcome.confidence),
            ],
        }
    )
    checks = pd.DataFrame(
        [(c.group, c.text, c.status_zh, c.current, c.required) for c in outcome.checks],
        columns=["分组", "条件", "状态", "当前", "要求"],
    )
    steps = pd.DataFrame({"序号": range(1, len(outcome.roadmap) + 1), "事项": outcome.roadmap})
    return xlsx_bytes({"概要": summary, "条件": checks, "路线图": steps})
