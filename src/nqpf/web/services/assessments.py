"""Assessments of an enterprise: drafts (autosaved answers), submission, results, reports.

Rules
-----
* Only the enterprise's own members/admins (and platform admins) fill assessments
  (``assess``); there is at most one open draft per enterprise and framework id, and
  starting again returns it.  ``seq`` numbers the assessments of an enterprise per
  framework id (T0, T1, …).
* Every save carries the ``revision`` the client last saw; a stale one answers 409.  The
  check is an ``UPDATE … WHERE revision = :seen`` so two concurrent saves cannot both win.
* Submitting scores the answers with :func:`nqpf.assessment.score` and stores a JSON
  summary in ``result`` together with the status, the audit event and the revision, in
  one transaction.  A submitted assessment is frozen.
* Readers of the enterprise (authorities in scope, providers it shared with) see
  submitted assessments only; a draft is 404 for them.

Frameworks are offered when they can score responses: the questionnaires with questions
(SME digital level) and the rule frameworks filled as forms (:func:`rule_frameworks`:
CMMM self-check, smart-factory tiers, 优质中小企业 2022/2026, green factory), whose
answers are checked, derived and scored by :mod:`nqpf.assessment.forms` through
:func:`nqpf.services.assess.score_rule_form` and stored as the outcome's summary.

The rules themselves (answer checks, scoring, the template, the report) live in
:mod:`nqpf.assessment.answers`, :mod:`nqpf.services.assess` and
:mod:`nqpf.services.assess_report`; this module adds authorisation, SQL, transactions,
revisions and audit, and answers their errors in Chinese (:func:`~nqpf.web.errors.field_error`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nqpf.assessment import (
    Framework,
    ScoreResult,
    list_frameworks,
    load_framework,
    score,
    version_key,
)
from nqpf.assessment.answers import normalize_answer, normalize_answers
from nqpf.assessment.forms import (
    RuleForm,
    answered,
    check_answers,
    normalize_form_answers,
    rule_forms,
)
from nqpf.assessment.outcomes import Outcome
from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.services import assess_report, maps
from nqpf.services.assess import (
    resolve_framework,
    responses_from_template,
    score_rule_form,
    template_bytes,
)
from nqpf.services.assess_report import Analysis, analyze
from nqpf.web.authz import Actor, enterprise_for, may
from nqpf.web.errors import Conflict, FieldError, NotFound, PlatformError, field_error
from nqpf.web.models import Assessment, Organization
from nqpf.web.services import audit, shares
from nqpf.web.services._transaction import committing, save_revision
from nqpf.web.services.latest_results import refresh_latest

__all__ = [
    "NONE_OPTION",
    "Progress",
    "ResultView",
    "RuleView",
    "ServiceUnavailable",
    "any_view",
    "available_frameworks",
    "can_assess",
    "compare",
    "definition_for",
    "definition_of",
    "delete_draft",
    "framework_for",
    "framework_of",
    "get_assessment",
    "list_assessments",
    "progress",
    "report_pdf",
    "report_xlsx",
    "result_view",
    "rule_frameworks",
    "rule_view",
    "save_answers",
    "start",
    "submit",
    "template_xlsx",
    "upload_template",
    "validate_answer",
]

#: Checkbox value of "none of these" for a multi-select without its own '无' option.
NONE_OPTION = "__none__"


class ServiceUnavailable(PlatformError):
    """A needed engine (Chromium for PDF) is not installed (503)."""

    status = 503


# ------------------------------------------------------------------------- frameworks
@functools.cache
def available_frameworks() -> dict[str, Framework]:
    """Frameworks that can score responses, by key (``sme-digital-2024``), loaded once."""
    out: dict[str, Framework] = {}
    for key in list_frameworks(kind="questionnaire"):
        try:
            fw = load_framework(key)
        except NqpfError:  # pragma: no cover - a broken shipped file must not hide others
            continue
        if fw.questions:
            out[fw.key] = fw
    return out


def framework_for(key_or_id: str) -> Framework:
    """A scorable framework from its key (``sme-digital-2024``) or id (latest version)."""
    fws = available_frameworks()
    key = (key_or_id or "").strip()
    try:
        fw = resolve_framework(key, allow_path=False)
    except NqpfError:
        fw = None
    if fw is not None and fw.key in fws:
        return fws[fw.key]
    known = "、".join(fws)
    raise FieldError(f"评测框架 {key!r} 不存在或不能评分；可选：{known}", field="framework")


def framework_of(row: Assessment) -> Framework:
    """The framework (id and version) an assessment was started with."""
    fw = available_frameworks().get(f"{row.framework_id}-{row.framework_version}")
    if fw is None:  # pragma: no cover - a framework file was removed after use
        raise Conflict(f"评测框架 {row.framework_id}-{row.framework_version} 已不可用")
    return fw


def rule_frameworks() -> dict[str, RuleForm]:
    """The rule frameworks filled as forms, by key: 智能制造能力成熟度自评 (cmmm-selfcheck-1),
    智能工厂梯度培育 (smart-factory-tiers-2025), 优质中小企业梯度培育 (quality-sme-2022 /
    2026) and 绿色工厂 (green-factory-2025); see :mod:`nqpf.assessment.forms`."""
    return rule_forms()


def definition_for(key_or_id: str) -> Framework | RuleForm:
    """What an assessment is started with: a scorable questionnaire (:func:`framework_for`)
    or a rule framework, by key or by id (its latest version)."""
    key = (key_or_id or "").strip()
    forms = rule_forms()
    if key in forms:
        return forms[key]
    same_id = sorted(
        (f for f in forms.values() if f.id == key), key=lambda f: version_key(f.version)
    )
    if same_id:
        return same_id[-1]
    try:
        return framework_for(key)
    except FieldError:
        known = "、".join([*available_frameworks(), *forms])
        raise FieldError(
            f"评测框架 {key!r} 不存在或不能评分；可选：{known}", field="framework"
        ) from None


def definition_of(row: Assessment) -> Framework | RuleForm:
    """The questionnaire or rule framework an assessment was started with."""
    form = rule_forms().get(f"{row.framework_id}-{row.framework_version}")
    return form if form is not None else framework_of(row)


# --------------------------------------------------------------------------- answers
def validate_answer(fw: Framework, key: str, value: Any) -> Any:
    """The normalised answer ``value`` to question/scene/form field ``key``.

    The rule is :func:`nqpf.assessment.answers.normalize_answer`; its problems (an
    unknown id or option, a number out of range, '无' combined with another option, a
    scene level not 1–4) answer as a Chinese :class:`FieldError` naming ``key``.
    """
    try:
        return normalize_answer(fw, key, value)
    except DataValidationError as exc:
        raise field_error(exc) from None


def _normalized(fw: Framework | RuleForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    try:
        if isinstance(fw, RuleForm):
            return normalize_form_answers(fw, answers)
        return normalize_answers(fw, answers)
    except DataValidationError as exc:
        raise field_error(exc) from None


@dataclass(frozen=True)
class Progress:
    answered_questions: int
    total_questions: int
    answered_scenes: int
    total_scenes: int

    @property
    def answered(self) -> int:
        return self.answered_questions + self.answered_scenes

    @property
    def total(self) -> int:
        return self.total_questions + self.total_scenes

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def progress(fw: Framework | RuleForm, responses: Mapping[str, Any]) -> Progress:
    """How many questions and scenes of ``fw`` have an answer in ``responses`` (of a rule
    framework: how many of its fields have one, given or derived)."""
    if isinstance(fw, RuleForm):
        return Progress(answered(fw, responses), len(fw.counted), 0, 0)
    return Progress(
        sum(1 for q in fw.questions if responses.get(q.id) is not None),
        len(fw.questions),
        sum(1 for s in fw.scenes if responses.get(s.id) is not None),
        len(fw.scenes),
    )


# ------------------------------------------------------------------------- lookups
def can_assess(session: Session, actor: Actor, enterprise_id: int) -> bool:
    org = session.get(Organization, enterprise_id)
    return org is not None and may(actor, org, "assess", session)


def _row(session: Session, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise NotFound(f"评测 {assessment_id} 不存在或无权查看")
    return row


def get_assessment(
    session: Session, actor: Actor, assessment_id: int, action: str = "read"
) -> Assessment:
    """The assessment if ``actor`` may see it (``read``) or change it (``assess``).

    Drafts are visible only to those who may assess the enterprise (404 otherwise);
    a submitted one is readable by the enterprise's readers, who get 403 for ``assess``.
    """
    row = _row(session, assessment_id)
    try:
        org = enterprise_for(session, actor, row.enterprise_id, "read")
    except NotFound:  # the same answer as for a missing assessment: no existence oracle
        raise NotFound(f"评测 {assessment_id} 不存在或无权查看") from None
    assessor = may(actor, org, "assess", session)
    if row.status == "draft" and not assessor:
        raise NotFound(f"评测 {assessment_id} 不存在或无权查看")
    if action == "assess" and not assessor:
        enterprise_for(session, actor, row.enterprise_id, "assess")  # raises Forbidden
    shares.require_category(session, actor, org, "results")  # issue 17: shared categories
    return row


def _editable(session: Session, actor: Actor, assessment_id: int) -> Assessment:
    row = get_assessment(session, actor, assessment_id, "assess")
    if row.status != "draft":
        raise Conflict(f"评测 {row.label} 已提交，不能再修改", field="status")
    return row


def list_assessments(session: Session, actor: Actor, enterprise_id: int) -> list[Assessment]:
    """The enterprise's assessments (drafts only for those who may assess), newest first."""
    org = enterprise_for(session, actor, enterprise_id, "read")
    shares.require_category(session, actor, org, "results")  # issue 17: shared categories
    query = select(Assessment).where(Assessment.enterprise_id == org.id)
    if not may(actor, org, "assess", session):
        query = query.where(Assessment.status == "submitted")
    return list(
        session.scalars(
            query.order_by(Assessment.framework_id, Assessment.seq.desc(), Assessment.id)
        )
    )


# --------------------------------------------------------------------------- writes
def start(
    session: Session, actor: Actor, enterprise_id: int, framework: str
) -> tuple[Assessment, bool]:
    """Start a draft of ``framework`` for the enterprise, or return its open draft.

    Returns ``(assessment, created)``.
    """
    org = enterprise_for(session, actor, enterprise_id, "assess")
    fw = definition_for(framework)

    def open_draft() -> Assessment | None:
        return session.scalars(
            select(Assessment).where(
                Assessment.enterprise_id == org.id,
                Assessment.framework_id == fw.id,
                Assessment.status == "draft",
            )
        ).first()

    existing = open_draft()
    if existing is not None:
        return existing, False
    seq = session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(Assessment.enterprise_id == org.id, Assessment.framework_id == fw.id)
    )
    row = Assessment(
        enterprise_id=org.id,
        framework_id=fw.id,
        framework_version=fw.version,
        seq=int(seq or 0),
        status="draft",
        responses={},
        # ``result`` is left out on purpose: an explicit None would be stored as JSON
        # 'null' (not SQL NULL) and fail the result-iff-submitted CHECK
        revision=0,
        created_by=actor.user.id,
    )
    try:
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "create",
            "assessment",
            row.id,
            organization_id=org.id,
            after={"framework": fw.key, "seq": row.seq, "status": "draft"},
        )
        session.commit()
    except IntegrityError:
        # another request started the same T-number first: hand out its draft
        session.rollback()
        existing = open_draft()
        if existing is not None:
            return existing, False
        raise Conflict("评测编号冲突，请重试", field="framework") from None
    except BaseException:
        session.rollback()
        raise
    return row, True


def _apply(
    session: Session,
    actor: Actor,
    row: Assessment,
    revision: int | None,
    new_responses: dict[str, Any],
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    extra: Mapping[str, Any] | None = None,
    also: Callable[[], None] | None = None,
) -> Assessment:
    """Write ``new_responses`` if the row is still the draft at ``revision``; audit; commit."""
    seen = row.revision if revision is None else revision
    if seen != row.revision:
        raise Conflict(
            f"草稿已在别处更新（当前版本 {row.revision}，你的版本 {seen}），请刷新后重试",
            field="revision",
        )
    values = {"responses": new_responses, "updated_at": datetime.now(UTC), **(extra or {})}
    save_revision(
        session,
        actor,
        row,
        seen,
        values,
        action=action,
        object_type="assessment",
        before=before,
        after=after,
        stale="草稿已在别处更新或已提交，请刷新后重试",
        where=[Assessment.status == "draft"],
        also=also,
    )
    return row


def save_answers(
    session: Session,
    actor: Actor,
    assessment_id: int,
    answers: Mapping[str, Any],
    revision: int | None,
    *,
    replace: bool = False,
) -> Assessment:
    """Save (part of) the answers of a draft; ``None`` clears an answer.

    ``revision`` is the one the client last saw (``None``: no check, for the no-JS form
    whose page carried it anyway).  ``replace`` drops the answers not given.
    """
    row = _editable(session, actor, assessment_id)
    fw = definition_of(row)
    given = _normalized(fw, answers)
    old = dict(row.responses or {})
    new = {} if replace else dict(old)
    for k, v in given.items():
        if v is None:
            new.pop(k, None)
        else:
            new[k] = v
    if isinstance(fw, RuleForm):  # answers that contradict each other are not saved
        try:
            check_answers(fw, new)
        except DataValidationError as exc:
            raise field_error(exc) from None
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return _apply(
        session,
        actor,
        row,
        revision,
        new,
        "save",
        {"answers": {k: old.get(k) for k in changed}},
        {"answers": {k: new.get(k) for k in changed}},
    )


def result_summary(fw: Framework, result: ScoreResult) -> dict[str, Any]:
    """The JSON stored in ``Assessment.result`` at submit (lists, dashboards, compare)."""
    return {
        "framework": result.framework,
        "total": result.total,
        "max_total": result.max_total,
        "level": result.level,
        "level_name": result.level_name,
        "dimensions": dict(result.dimensions),
        "dimension_max": {d.name: d.points for d in fw.scored_dimensions},
        "scenes": dict(result.scenes),
        "next_level": [c.message for c in result.next_level],
        "rule_confidence": result.rule_confidence,
    }


def _score(fw: Framework, responses: Mapping[str, Any]) -> ScoreResult:
    try:
        return score(fw, responses)
    except DataValidationError as exc:
        raise field_error(exc, label="无法提交：") from None


def submit(
    session: Session, actor: Actor, assessment_id: int, revision: int | None = None
) -> Assessment:
    """Score the draft and freeze it (result, status, audit event: one transaction)."""
    row = _editable(session, actor, assessment_id)
    form = definition_of(row)
    if isinstance(form, RuleForm):
        return _submit_rules(session, actor, row, form, revision)
    fw = framework_of(row)
    responses = dict(row.responses or {})
    result = _score(fw, responses)
    summary = result_summary(fw, result)
    now = datetime.now(UTC)
    return _apply(
        session,
        actor,
        row,
        revision,
        responses,
        "submit",
        {"status": "draft"},
        {"status": "submitted", "total": result.total, "level": result.level},
        extra={
            "status": "submitted",
            "result": summary,
            "submitted_at": now,
            "submitted_by": actor.user.id,
        },
        # the new latest result supersedes the old in the views' summary, same commit
        also=lambda: refresh_latest(session, [row.enterprise_id]),
    )


def _submit_rules(
    session: Session, actor: Actor, row: Assessment, form: RuleForm, revision: int | None
) -> Assessment:
    """Submit a rule framework's draft: the engine's outcome is stored as ``result``."""
    responses = dict(row.responses or {})
    try:
        _result, outcome = score_rule_form(form, responses)
    except DataValidationError as exc:
        raise field_error(exc, label="无法提交：") from None
    return _apply(
        session,
        actor,
        row,
        revision,
        responses,
        "submit",
        {"status": "draft"},
        {"status": "submitted", "outcome": outcome.headline, "rank": outcome.rank},
        extra={
            "status": "submitted",
            "result": outcome.summary_json(),
            "submitted_at": datetime.now(UTC),
            "submitted_by": actor.user.id,
        },
        also=lambda: refresh_latest(session, [row.enterprise_id]),
    )


def delete_draft(session: Session, actor: Actor, assessment_id: int) -> int:
    """Delete a draft; returns its enterprise id."""
    row = _editable(session, actor, assessment_id)
    enterprise_id = row.enterprise_id
    with committing(session):
        audit.record(
            session,
            actor,
            "delete",
            "assessment",
            row.id,
            organization_id=enterprise_id,
            before={
                "framework": f"{row.framework_id}-{row.framework_version}",
                "seq": row.seq,
                "revision": row.revision,
                "answers": len(row.responses or {}),
            },
        )
        session.delete(row)
    return enterprise_id


def upload_template(
    session: Session,
    actor: Actor,
    assessment_id: int,
    data: bytes,
    filename: str = "upload.xlsx",
    revision: int | None = None,
) -> Assessment:
    """Replace a draft's answers with those of a filled XLSX template."""
    row = _editable(session, actor, assessment_id)
    _refuse_rules(row)
    fw = framework_of(row)
    if not data:
        raise FieldError("请选择已填写的评测模板（.xlsx）", field="file")
    try:
        new = responses_from_template(data, fw)
    except DataValidationError as exc:
        raise field_error(exc, field=exc.field or "file", label="模板有误：") from None
    name = Path(filename or "").name[:100]
    return _apply(
        session,
        actor,
        row,
        revision,
        new,
        "upload",
        {"answers": len(row.responses or {})},
        {"answers": len(new), "file": name},
    )


# ------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ResultView:
    """A submitted assessment and its analysis (score, diagnosis, roadmap), recomputed."""

    assessment: Assessment
    analysis: Analysis


@dataclass(frozen=True)
class RuleView:
    """A submitted assessment of a rule framework: the engine's result and its outcome,
    recomputed from the stored answers."""

    assessment: Assessment
    form: RuleForm
    result: Any
    outcome: Outcome


def _submitted(session: Session, actor: Actor, assessment_id: int) -> Assessment:
    row = get_assessment(session, actor, assessment_id)
    if row.status != "submitted":
        raise Conflict(f"评测 {row.label} 尚未提交，没有结果", field="status")
    return row


def rule_view(session: Session, actor: Actor, assessment_id: int) -> RuleView:
    """The outcome of a submitted assessment of a rule framework (404/409 otherwise)."""
    row = _submitted(session, actor, assessment_id)
    form = definition_of(row)
    if not isinstance(form, RuleForm):
        raise Conflict(f"评测 {row.label} 不是规则类评测", field="framework")
    try:
        result, outcome = score_rule_form(form, row.responses or {})
    except DataValidationError as exc:  # pragma: no cover - stored responses were scored
        raise Conflict(f"评测 {row.label} 的答案无法重新评分：{exc.reason_zh}") from None
    return RuleView(row, form, result, outcome)


def any_view(session: Session, actor: Actor, assessment_id: int) -> ResultView | RuleView:
    """:func:`result_view` or :func:`rule_view`, as the assessment's framework is."""
    row = _submitted(session, actor, assessment_id)
    if isinstance(definition_of(row), RuleForm):
        return rule_view(session, actor, assessment_id)
    return result_view(session, actor, assessment_id)


def result_view(session: Session, actor: Actor, assessment_id: int) -> ResultView:
    """Score, diagnosis and roadmap of a submitted assessment (404/409 otherwise)."""
    row = _submitted(session, actor, assessment_id)
    if isinstance(definition_of(row), RuleForm):
        raise Conflict(
            f"评测 {row.label} 属于规则类评测框架，其结果见 /api/v1/assessments/{row.id}/outcome",
            field="framework",
        )
    try:
        analysis = analyze(framework_of(row), row.responses or {})
    except DataValidationError as exc:  # pragma: no cover - stored responses were scored
        raise Conflict(f"评测 {row.label} 的答案无法重新评分：{exc.reason_zh}") from None
    return ResultView(row, analysis)


def compare(
    session: Session, actor: Actor, enterprise_id: int, a: int, b: int
) -> tuple[ResultView, ResultView] | tuple[RuleView, RuleView]:
    """Two submitted assessments of the enterprise, of one framework id."""
    org = enterprise_for(session, actor, enterprise_id, "read")
    views = []
    for aid in (a, b):
        row = get_assessment(session, actor, aid)
        if row.enterprise_id != org.id:
            raise NotFound(f"评测 {aid} 不存在或无权查看")
        if row.status != "submitted":
            raise FieldError(f"评测 {row.label} 尚未提交，不能对比", field="a" if aid == a else "b")
        views.append(any_view(session, actor, aid))
    first, second = views
    if first.assessment.framework_id != second.assessment.framework_id:
        raise FieldError("只能对比同一评测框架的两次评测", field="b")
    return first, second  # type: ignore[return-value]


def enterprise_facts(org: Organization) -> dict[str, str]:
    """The enterprise lines of a report: names first, codes beside them."""
    facts = {"name": org.name}
    if org.profile is not None:
        p = org.profile
        facts.update(
            credit_code=p.credit_code,
            industry=f"{maps.industry_display(p.industry)}（{p.industry}）",
            region=f"{maps.region_path(p.region_code)}（{p.region_code}）",
        )
    return facts


def _report_heading(session: Session, view: ResultView | RuleView) -> dict[str, Any]:
    """The enterprise facts and the title of the report of ``view``."""
    org = session.get(Organization, view.assessment.enterprise_id)
    assert org is not None
    what = f"{view.form.name} 评测报告" if isinstance(view, RuleView) else "数字化水平诊断报告"
    return {
        "enterprise": enterprise_facts(org),
        "title": f"{org.name} {what}（{view.assessment.label}）",
    }


def report_html(session: Session, view: ResultView | RuleView) -> str:
    """The HTML diagnosis report of a submitted assessment."""
    if isinstance(view, RuleView):
        return assess_report.outcome_html(view.outcome, **_report_heading(session, view))
    return assess_report.report_html(view.analysis, **_report_heading(session, view))


def report_pdf(session: Session, actor: Actor, assessment_id: int) -> bytes:
    """The diagnosis report of a submitted assessment as PDF (503 without Chromium)."""
    view = any_view(session, actor, assessment_id)
    if not assess_report.pdf_available():
        raise ServiceUnavailable(
            "服务器未安装 Chromium，暂时无法生成 PDF 报告；请下载 XLSX 报告，或联系管理员安装 chromium"
        )
    heading = _report_heading(session, view)
    try:
        if isinstance(view, RuleView):
            return assess_report.outcome_pdf(view.outcome, timeout=120, **heading)
        return assess_report.report_pdf(view.analysis, timeout=120, **heading)
    except assess_report.PdfEngineError as exc:
        raise ServiceUnavailable(f"PDF 生成失败：{exc}") from None


def report_xlsx(session: Session, actor: Actor, assessment_id: int) -> bytes:
    """The report's tables of a submitted assessment as an XLSX workbook."""
    view = any_view(session, actor, assessment_id)
    if isinstance(view, RuleView):
        return assess_report.outcome_xlsx(view.outcome)
    return assess_report.report_xlsx(view.analysis)


@functools.cache
def _template_bytes(key: str) -> bytes:
    return template_bytes(available_frameworks()[key])


def template_xlsx(session: Session, actor: Actor, assessment_id: int) -> tuple[str, bytes]:
    """``(framework key, bytes)`` of the fillable XLSX template of the assessment's framework."""
    row = get_assessment(session, actor, assessment_id)
    _refuse_rules(row)
    fw = framework_of(row)
    return fw.key, _template_bytes(fw.key)


def _refuse_rules(row: Assessment) -> None:
    if isinstance(definition_of(row), RuleForm):
        raise Conflict("该评测框架没有 Excel 模板，请在页面上填写", field="file")


# -- the report PDF as a background job (issue 17: a PDF render shows its progress) --------
def report_pdf_job(
    session: Session, queue: Any, actor: Actor, assessment_id: int, *, file: str
) -> Any:
    """Start printing the report of a submitted assessment as a job (kind ``report_pdf``):
    the HTML is written now and stored as the job's input; the job page shows the
    progress and offers the PDF ``file``.  Returns the job."""
    from nqpf.services.jobs_report_pdf import REPORT_HTML
    from nqpf.web import jobs

    view = any_view(session, actor, assessment_id)
    row = view.assessment
    html = report_html(session, view)

    # the job belongs to an organization of the reader, so that its page is theirs
    owner = (
        row.enterprise_id
        if row.enterprise_id in actor.roles
        else min(actor.roles, default=row.enterprise_id)
    )

    def audited(job: Any) -> None:
        audit.record(session, actor, "job.submit", "job", job.id, organization_id=owner,
                     after={"kind": "report_pdf", "assessment": row.id})  # fmt: skip

    return jobs.submit(
        session,
        queue,
        organization_id=owner,
        owner_id=actor.user.id,
        kind="report_pdf",
        title=f"评测报告 PDF（{row.label}）",
        config={"file": file, "assessment": row.id},
        inputs=[jobs.InputFile(REPORT_HTML, "text/html", html.encode("utf-8"))],
        audit=audited,
    )
