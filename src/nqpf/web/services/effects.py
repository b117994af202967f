"""One enterprise's effect page (效果评估, 点): its own T0/T1 and its projects' KPI effects.

The comparison is :func:`nqpf.services.evaluation.compare_stored` of two stored response
mappings (scored with the framework they were answered in); the KPI effects are
:func:`nqpf.services.evaluation.project_kpis` of the stored project KPIs.

Who sees it: the enterprise's own members, the authorities over it and the platform
admin.  A provider the enterprise shares with does not (the page shows every answer);
anyone else gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.services import assess_report
from nqpf.services import evaluation as evaluation_service
from nqpf.web.authz import Actor, enterprise_for, in_scope
from nqpf.web.errors import Conflict, FieldError, NotFound
from nqpf.web.models import Assessment, Organization, Project
from nqpf.web.services.assessments import (
    ServiceUnavailable,
    available_frameworks,
    enterprise_facts,
    framework_of,
)

__all__ = ["EffectView", "Wave", "effect_report_html", "effect_report_pdf", "effect_view"]


@dataclass(frozen=True)
class Wave:
    """A submitted assessment as the pickers list it."""

    id: int
    label: str
    framework: str
    submitted_at: datetime | None
    total: float
    level_name: str


@dataclass(frozen=True)
class EffectView:
    enterprise: Organization
    waves: list[Wave]
    t0: Wave | None
    t1: Wave | None
    comparison: dict[str, Any] | None
    outcome: Any
    kpis: list[dict[str, Any]]


def _enterprise(session: Session, actor: Actor, enterprise_id: int) -> Organization:
    org = enterprise_for(session, actor, enterprise_id, "read")
    region = org.profile.region_code if org.profile else None
    if not (
        actor.is_platform_admin
        or org.id in actor.enterprise_ids
        or any(in_scope(region, s) for s in actor.region_scopes())
    ):
        raise NotFound(f"企业 {enterprise_id} 不存在或无权查看")
    return org


def _pick(waves: list[Wave], wanted: int, field: str) -> Wave:
    for w in waves:
        if w.id == wanted:
            return w
    raise FieldError(f"评测 {wanted} 不是本企业已提交的评测", field=field)


def effect_view(
    session: Session, actor: Actor, enterprise_id: int, a: int | None = None, b: int | None = None
) -> EffectView:
    """The effect page of an enterprise: T0 = ``a`` (default its first submitted
    assessment of the framework of its latest one), T1 = ``b`` (default the latest).
    Assessments of questionnaire frameworks are compared (the rule-framework forms have
    no questions to pair)."""
    org = _enterprise(session, actor, enterprise_id)
    rows = {
        r.id: r
        for r in session.scalars(
            select(Assessment)
            .where(Assessment.enterprise_id == org.id, Assessment.status == "submitted")
            .order_by(Assessment.submitted_at, Assessment.id)
        )
    }
    scorable = available_frameworks()  # questionnaires: compared question by question
    waves = [
        Wave(r.id, r.label, f"{r.framework_id}-{r.framework_version}", r.submitted_at,
             float((r.result or {}).get("total", 0.0)), (r.result or {}).get("level_name", ""))
        for r in rows.values()
        if f"{r.framework_id}-{r.framework_version}" in scorable
    ]  # fmt: skip
    projects = session.execute(
        select(Project.title, Project.kpis)
        .where(Project.enterprise_id == org.id)
        .order_by(Project.start_date, Project.id)
    ).all()
    kpis = evaluation_service.project_kpis([(t, k or []) for t, k in projects])
    if len(waves) < 2:
        return EffectView(org, waves, None, None, None, None, kpis)
    last = waves[-1]
    same = [w for w in waves if w.framework == last.framework]
    t0 = _pick(waves, a if a is not None else same[0].id, "a")
    t1 = _pick(waves, b if b is not None else last.id, "b")
    if t0.framework != t1.framework:
        raise FieldError("只能对比同一评测框架、同一版本的两次评测", field="b")
    if t0.id == t1.id:
        raise FieldError("请选择两次不同的评测", field="b")
    try:
        outcome = evaluation_service.compare_stored(
            rows[t0.id].responses or {}, rows[t1.id].responses or {},
            framework=framework_of(rows[t0.id]),
        )  # fmt: skip
    except DataValidationError as exc:  # stored answers a framework file no longer scores
        raise Conflict(f"评测 {t0.label}/{t1.label} 的答案无法重新评分：{exc.reason_zh}") from None
    return EffectView(
        org, waves, t0, t1, evaluation_service.compare_document(outcome), outcome, kpis
    )


def _report(
    session: Session, actor: Actor, enterprise_id: int, a: int | None, b: int | None
) -> tuple[Any, dict[str, Any]]:
    """The analysis of T1 and the report's keywords (heading and effect section)."""
    view = effect_view(session, actor, enterprise_id, a, b)
    if view.outcome is None or view.t1 is None:
        raise FieldError("至少需要两次已提交的评测才能生成效果报告", field="a")
    row = session.get(Assessment, view.t1.id)
    assert row is not None
    analysis = assess_report.analyze(framework_of(row), row.responses or {})
    return analysis, {
        "enterprise": enterprise_facts(view.enterprise),
        "title": f"{view.enterprise.name} 数字化水平诊断报告（{view.t1.label}，含效果评估）",
        "effect": assess_report.effect_section(
            view.outcome.result, view.kpis, t0=view.t0.label, t1=view.t1.label
        ),
    }


def effect_report_html(
    session: Session, actor: Actor, enterprise_id: int, a: int | None = None, b: int | None = None
) -> str:
    """The enterprise report of T1 with its one-page effect section (T0 → T1, the KPIs)."""
    analysis, keywords = _report(session, actor, enterprise_id, a, b)
    return assess_report.report_html(analysis, **keywords)


def effect_report_pdf(
    session: Session, actor: Actor, enterprise_id: int, a: int | None = None, b: int | None = None
) -> bytes:
    """:func:`effect_report_html` as PDF (503 without Chromium)."""
    analysis, keywords = _report(session, actor, enterprise_id, a, b)
    if not assess_report.pdf_available():
        raise ServiceUnavailable("服务器未安装 Chromium，暂时无法生成 PDF 报告；请下载 HTML 报告")
    try:
        return assess_report.report_pdf(analysis, timeout=120, **keywords)
    except assess_report.PdfEngineError as exc:
        raise ServiceUnavailable(f"PDF 生成失败：{exc}") from None
