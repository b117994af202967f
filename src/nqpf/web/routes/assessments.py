"""Assessments: questionnaire pages (autosaved drafts), results, comparison, reports, JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, StringConstraints
from starlette.datastructures import FormData

from nqpf.assessment import Framework
from nqpf.assessment.forms import RuleForm, derived
from nqpf.assessment.outcomes import compare_outcomes
from nqpf.assessment.schema import confidence_zh as confidence_label
from nqpf.assessment.schema import fmt_num
from nqpf.web import charts
from nqpf.web.authz import enterprise_for
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError
from nqpf.web.i18n import download_filename
from nqpf.web.models import Assessment, Organization
from nqpf.web.routes._shared import MAX_ID, XLSX, DbId, download
from nqpf.web.services import assessments as svc
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["assessments"])
pages = APIRouter()

QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
ANSWER_PREFIX = "a."


# ------------------------------------------------------------------------ JSON models
class FrameworkOut(BaseModel):
    key: str = Field(description="id-version, e.g. sme-digital-2024")
    id: str
    version: str
    name: str
    confidence: str
    questions: int
    scenes: int


class ProgressOut(BaseModel):
    answered_questions: int
    total_questions: int
    answered_scenes: int
    total_scenes: int
    percent: int
    complete: bool


class AssessmentOut(BaseModel):
    id: int
    enterprise_id: int
    framework: str = Field(description="id-version of the framework")
    framework_id: str
    framework_version: str
    seq: int
    label: str = Field(description="T0, T1, …")
    status: str
    revision: int
    responses: dict[str, Any]
    progress: ProgressOut
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class StartIn(BaseModel):
    framework: str = Field(
        default="sme-digital-2024",
        max_length=100,
        description="Framework key (sme-digital-2024) or id (latest version)",
    )


AnswerKey = Annotated[str, StringConstraints(max_length=64)]
AnswerValue = (
    Annotated[str, StringConstraints(max_length=200)]
    | Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=64)]
    | bool  # kept as bool (not coerced to 1/0) so that it is rejected with the question id
    | int
    | float
    | None
)


class PatchIn(BaseModel):
    revision: int = Field(ge=0, le=MAX_ID, description="The revision the client last saw")
    answers: dict[AnswerKey, AnswerValue] = Field(
        max_length=500,
        description="Question id → option id / option ids / number; scene id → 1–4; "
        "null clears an answer",
    )


class SubmitIn(BaseModel):
    revision: int | None = Field(default=None, ge=0, le=MAX_ID)


class DimensionOut(BaseModel):
    name: str
    points: float
    max_points: float | None
    share: float


class SceneOut(BaseModel):
    id: str
    name: str
    group: str
    binding: bool
    level: int
    required_level: int | None = Field(description="Scene level the next overall level asks for")
    target_level: int | None = Field(description="Level the roadmap lifts it to (None: unchanged)")
    current_text: str
    next_text: str | None


class QuestionOut(BaseModel):
    id: str
    title: str
    dimension: str
    answer: Any
    points: float
    max_points: float
    reason: str


class StepOut(BaseModel):
    kind: str
    id: str
    title: str
    detail: str
    points_gain: float
    cost: float
    binding: bool


class RoadmapOut(BaseModel):
    current_level: int
    target_level: int
    reachable: bool
    message: str
    total_cost: float | None
    cost_units: str
    cost_confidence: str
    steps: list[StepOut]


class ResultOut(BaseModel):
    assessment: AssessmentOut
    framework_name: str
    level: int
    level_name: str
    total: float
    max_total: float
    rule_confidence: str
    dimensions: list[DimensionOut]
    scenes: list[SceneOut]
    questions: list[QuestionOut]
    next_level: list[str] = Field(description="Unmet conditions of the next level")
    roadmap: RoadmapOut


class DeltaRow(BaseModel):
    name: str
    a: float
    b: float
    delta: float
    max_points: float | None = None


class CompareOut(BaseModel):
    a: AssessmentOut
    b: AssessmentOut
    level: DeltaRow
    total: DeltaRow
    dimensions: list[DeltaRow]
    scenes: list[DeltaRow]


# ------------------------------------------------------------------------- converters
def _progress(fw: Framework | RuleForm, row: Assessment) -> ProgressOut:
    p = svc.progress(fw, row.responses or {})
    return ProgressOut(
        answered_questions=p.answered_questions,
        total_questions=p.total_questions,
        answered_scenes=p.answered_scenes,
        total_scenes=p.total_scenes,
        percent=p.percent,
        complete=p.complete,
    )


def _out(row: Assessment) -> AssessmentOut:
    fw = svc.definition_of(row)
    return AssessmentOut(
        id=row.id,
        enterprise_id=row.enterprise_id,
        framework=fw.key,
        framework_id=row.framework_id,
        framework_version=row.framework_version,
        seq=row.seq,
        label=row.label,
        status=row.status,
        revision=row.revision,
        responses=dict(row.responses or {}),
        progress=_progress(fw, row),
        result=row.result,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
    )


def _dimensions(view: svc.ResultView) -> list[DimensionOut]:
    maxima = {d.name: d.points for d in view.analysis.framework.scored_dimensions}
    return [
        DimensionOut(
            name=name,
            points=points,
            max_points=maxima.get(name),
            share=charts.share(points, maxima.get(name)),
        )
        for name, points in view.analysis.result.dimensions.items()
    ]


def _scenes(view: svc.ResultView) -> list[SceneOut]:
    targets = {s.id: int(s.to) for s in view.analysis.roadmap.steps if s.kind == "scene"}
    return [
        SceneOut(
            id=s.id,
            name=s.name,
            group=s.group,
            binding=s.binding,
            level=s.level,
            required_level=s.required_level,
            target_level=targets.get(s.id),
            current_text=s.current_text,
            next_text=s.next_text,
        )
        for s in view.analysis.diagnosis.scenes
    ]


def _answer(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _result_out(view: svc.ResultView) -> ResultOut:
    r, rm = view.analysis.result, view.analysis.roadmap
    return ResultOut(
        assessment=_out(view.assessment),
        framework_name=view.analysis.framework.name,
        level=r.level,
        level_name=r.level_name,
        total=r.total,
        max_total=r.max_total,
        rule_confidence=r.rule_confidence,
        dimensions=_dimensions(view),
        scenes=_scenes(view),
        questions=[
            QuestionOut(
                id=q.id,
                title=q.title,
                dimension=q.dimension,
                answer=_answer(q.answer),
                points=q.points,
                max_points=q.max_points,
                reason=q.reason,
            )
            for q in r.questions
        ],
        next_level=[c.message for c in r.next_level],
        roadmap=RoadmapOut(
            current_level=rm.current_level,
            target_level=rm.target_level,
            reachable=rm.reachable,
            message=rm.message,
            total_cost=rm.total_cost if rm.reachable else None,
            cost_units=rm.cost_units,
            cost_confidence=rm.cost_confidence,
            steps=[
                StepOut(
                    kind=s.kind,
                    id=s.id,
                    title=s.title,
                    detail=s.detail,
                    points_gain=s.points_gain,
                    cost=s.cost,
                    binding=s.binding,
                )
                for s in rm.steps
            ],
        ),
    )


def _compare_out(first: svc.ResultView, second: svc.ResultView) -> CompareOut:
    a, b = first.analysis.result, second.analysis.result
    maxima = {d.name: d.points for d in second.analysis.framework.scored_dimensions}
    names = list(dict.fromkeys([*a.dimensions, *b.dimensions]))
    scenes = {s.id: s.name for s in first.analysis.framework.scenes} | {
        s.id: s.name for s in second.analysis.framework.scenes
    }

    def row(name: str, x: float, y: float, top: float | None = None) -> DeltaRow:
        return DeltaRow(name=name, a=x, b=y, delta=round(y - x, 6), max_points=top)

    return CompareOut(
        a=_out(first.assessment),
        b=_out(second.assessment),
        level=row("等级", a.level, b.level),
        total=row("总分", a.total, b.total, b.max_total),
        dimensions=[
            row(n, a.dimensions.get(n, 0.0), b.dimensions.get(n, 0.0), maxima.get(n)) for n in names
        ],
        scenes=[
            row(name, a.scenes.get(sid, 0), b.scenes.get(sid, 0), 4) for sid, name in scenes.items()
        ],
    )


# --------------------------------------------------------------------------- JSON API
@api.get("/frameworks", response_model=list[FrameworkOut])
def frameworks(actor: ActorDep) -> list[FrameworkOut]:
    """Assessment frameworks that can score responses: questionnaires with questions, and
    the rule frameworks filled as forms (``questions`` counts their fields)."""
    return [
        FrameworkOut(
            key=fw.key,
            id=fw.id,
            version=fw.version,
            name=fw.name,
            confidence=fw.confidence,
            questions=len(fw.questions),
            scenes=len(fw.scenes),
        )
        for fw in svc.available_frameworks().values()
    ] + [
        FrameworkOut(
            key=f.key,
            id=f.id,
            version=f.version,
            name=f.name,
            confidence=f.confidence,
            questions=len(f.counted),
            scenes=0,
        )
        for f in svc.rule_frameworks().values()
    ]


@api.get("/enterprises/{enterprise_id}/assessments", response_model=list[AssessmentOut])
def list_api(enterprise_id: DbId, session: SessionDep, actor: ActorDep) -> list[AssessmentOut]:
    """The enterprise's assessments (readers see submitted ones only)."""
    return [_out(r) for r in svc.list_assessments(session, actor, enterprise_id)]


@api.post(
    "/enterprises/{enterprise_id}/assessments",
    response_model=AssessmentOut,
    status_code=201,
    responses={200: {"description": "The open draft of this framework, returned again"}},
)
def start_api(
    enterprise_id: DbId,
    body: StartIn,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
) -> AssessmentOut:
    """Start a draft (201), or return the enterprise's open draft of that framework (200)."""
    row, created = svc.start(session, actor, enterprise_id, body.framework)
    if not created:
        response.status_code = 200
    return _out(row)


@api.get(
    "/enterprises/{enterprise_id}/assessments/compare",
    response_model=CompareOut,
)
def compare_api(
    enterprise_id: DbId, a: QueryId, b: QueryId, session: SessionDep, actor: ActorDep
) -> CompareOut:
    """Two submitted assessments side by side: level, total, dimensions, scenes, deltas (b − a)."""
    first, second = svc.compare(session, actor, enterprise_id, a, b)
    if isinstance(first, svc.RuleView):
        raise Conflict(
            "规则类评测的对比见 /api/v1/enterprises/{id}/assessments/compare-outcomes", field="a"
        )
    return _compare_out(first, second)


class PartDelta(BaseModel):
    name: str
    a: float
    b: float
    max_value: float


class ConditionChange(BaseModel):
    group: str
    text: str
    a: str = Field(description="Status in a (满足 / 不满足 / 无法判定 / 未列出)")
    b: str


class OutcomeCompareOut(BaseModel):
    a: AssessmentOut
    b: AssessmentOut
    outcome_a: str
    outcome_b: str
    rank_change: int
    score_change: float | None
    parts: list[PartDelta]
    changes: list[ConditionChange]


@api.get(
    "/enterprises/{enterprise_id}/assessments/compare-outcomes",
    response_model=OutcomeCompareOut,
)
def compare_outcomes_api(
    enterprise_id: DbId, a: QueryId, b: QueryId, session: SessionDep, actor: ActorDep
) -> OutcomeCompareOut:
    """Two submitted assessments of a rule framework: outcome, rank and score change, parts
    and the conditions whose status changed (b − a)."""
    first, second = svc.compare(session, actor, enterprise_id, a, b)
    if not isinstance(first, svc.RuleView) or not isinstance(second, svc.RuleView):
        raise Conflict("问卷类评测的对比见 /api/v1/enterprises/{id}/assessments/compare", field="a")
    delta = compare_outcomes(first.outcome, second.outcome)
    return OutcomeCompareOut(
        a=_out(first.assessment),
        b=_out(second.assessment),
        outcome_a=first.outcome.headline,
        outcome_b=second.outcome.headline,
        rank_change=delta.rank_change,
        score_change=delta.score_change,
        parts=[PartDelta(name=n, a=x, b=y, max_value=m) for n, x, y, m in delta.parts],
        changes=[ConditionChange(group=g, text=t, a=x, b=y) for g, t, x, y in delta.changes],
    )


@api.get("/assessments/{assessment_id}", response_model=AssessmentOut)
def get_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> AssessmentOut:
    """One assessment with its answers and progress (drafts: the enterprise's own people only)."""
    return _out(svc.get_assessment(session, actor, assessment_id))


@api.patch("/assessments/{assessment_id}", response_model=AssessmentOut)
def patch_api(
    assessment_id: DbId, body: PatchIn, session: SessionDep, actor: ActorDep
) -> AssessmentOut:
    """Autosave: set some answers of a draft (null clears one); 409 on a stale revision."""
    row = svc.save_answers(session, actor, assessment_id, body.answers, body.revision)
    return _out(row)


@api.post("/assessments/{assessment_id}/submit", response_model=AssessmentOut)
def submit_api(
    assessment_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    body: SubmitIn | None = None,
) -> AssessmentOut:
    """Score and freeze the draft; 422 names a missing answer, 409 when already submitted."""
    row = svc.submit(session, actor, assessment_id, body.revision if body else None)
    return _out(row)


@api.get("/assessments/{assessment_id}/result", response_model=ResultOut)
def result_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> ResultOut:
    """Level, total, dimensions, scene ladder, reasons, next-level conditions and roadmap."""
    return _result_out(svc.result_view(session, actor, assessment_id))


class CheckOut(BaseModel):
    group: str
    text: str
    status: str = Field(description="met / unmet / unknown")
    current: str
    required: str


class OutcomeOut(BaseModel):
    assessment: AssessmentOut
    framework_name: str
    outcome: str = Field(description="Level, tier or eligibility reached, in Chinese")
    rank: int
    ranks: list[str]
    score: float | None
    max_score: float | None
    checks: list[CheckOut]
    unmet: list[str] = Field(description="Each unmet condition, named in Chinese")
    unknown: list[str]
    roadmap: list[str]
    confidence: str


@api.get("/assessments/{assessment_id}/outcome", response_model=OutcomeOut)
def outcome_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> OutcomeOut:
    """The outcome of a submitted assessment of a rule framework (CMMM, smart-factory
    tiers, 优质中小企业, green factory): rank reached, every condition, unmet ones, steps."""
    view = svc.rule_view(session, actor, assessment_id)
    o = view.outcome
    return OutcomeOut(
        assessment=_out(view.assessment),
        framework_name=o.name,
        outcome=o.headline,
        rank=o.rank,
        ranks=list(o.ranks),
        score=o.score,
        max_score=o.max_score,
        checks=[CheckOut(**vars(c)) for c in o.checks],
        unmet=list(o.unmet),
        unknown=list(o.unknown),
        roadmap=list(o.roadmap),
        confidence=o.confidence,
    )


def _report_name(session: Any, row: Assessment, ext: str) -> str:
    """``企业名称-评测框架中文名-T0.pdf``: the download name a reader files."""
    key = f"{row.framework_id}-{row.framework_version}"
    names = {k: f.name for k, f in svc.available_frameworks().items()}
    names |= {k: f.name for k, f in svc.rule_frameworks().items()}
    org = session.get(Organization, row.enterprise_id)
    return download_filename(org.name if org else None, names.get(key, key), row.label, ext=ext)


@api.get(
    "/assessments/{assessment_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 503: {"description": "No Chromium"}},
)
def report_pdf_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The diagnosis report as PDF (headless Chromium; 503 when it is not installed)."""
    data = svc.report_pdf(session, actor, assessment_id)
    row = svc.get_assessment(session, actor, assessment_id)
    label = _report_name(session, row, "pdf")
    return download(data, f"assessment-{row.id}-{row.label}.pdf", "application/pdf", label)


@pages.post("/assessments/{assessment_id}/report-pdf-job")
def report_pdf_job_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    """Print the report PDF in the background; the job page shows progress and the file."""
    from nqpf.web import jobs

    row = svc.get_assessment(session, actor, assessment_id)
    queue = jobs.queue_for(request.app.state.settings.database_url)
    try:
        job = svc.report_pdf_job(
            session, queue, actor, assessment_id, file=f"assessment-{row.id}-{row.label}.pdf"
        )
    finally:
        queue.close()
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@api.get(
    "/assessments/{assessment_id}/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def report_xlsx_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The score tables (summary, dimensions, questions, scenes, conditions, roadmap) as XLSX."""
    data = svc.report_xlsx(session, actor, assessment_id)
    row = svc.get_assessment(session, actor, assessment_id)
    label = _report_name(session, row, "xlsx")
    return download(data, f"assessment-{row.id}-{row.label}.xlsx", label=label)


@api.get(
    "/assessments/{assessment_id}/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def template_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The fillable XLSX questionnaire of the assessment's framework (upload it back filled)."""
    key, data = svc.template_xlsx(session, actor, assessment_id)
    return download(data, f"{key}-template.xlsx")


@api.post("/assessments/{assessment_id}/upload", response_model=AssessmentOut)
def upload_api(
    assessment_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="A filled XLSX template")],
    revision: Annotated[int | None, Form(ge=0, le=MAX_ID)] = None,
) -> AssessmentOut:
    """Replace the draft's answers with a filled XLSX template (422 lists bad cells)."""
    data = file.file.read()
    row = svc.upload_template(session, actor, assessment_id, data, file.filename or "", revision)
    return _out(row)


@api.delete("/assessments/{assessment_id}", status_code=204)
def delete_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """Delete a draft (submitted assessments are kept: 409)."""
    svc.delete_draft(session, actor, assessment_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=1, max_fields=2000)


FormDep = Annotated[FormData, Depends(_form)]


def _display_values(fw: Framework, responses: dict[str, Any]) -> dict[str, Any]:
    """Stored answers in the shape the form shows (strings; lists for multi-selects)."""
    qs = {q.id: q for q in fw.questions}
    out: dict[str, Any] = {}
    for key, value in responses.items():
        q = qs.get(key)
        if q is not None and q.kind == "multi":
            out[key] = list(value) or [svc.NONE_OPTION]
        elif isinstance(value, float):
            out[key] = fmt_num(value)
        else:
            out[key] = str(value)
    return out


def _form_answers(fw: Framework, form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers for the service, raw values to show again) from a questionnaire form."""
    answers: dict[str, Any] = {}
    raw: dict[str, Any] = {}

    def text(key: str) -> str | None:
        value = form.get(ANSWER_PREFIX + key)
        return value[:200] if isinstance(value, str) else None

    for q in fw.questions:
        if q.kind == "multi":
            chosen = [v[:64] for v in form.getlist(ANSWER_PREFIX + q.id) if isinstance(v, str)]
            raw[q.id] = chosen
            answers[q.id] = chosen or None
        else:
            value = text(q.id)
            raw[q.id] = value or ""
            answers[q.id] = value.strip() if value and value.strip() else None
        for f in q.form_fields:
            value = text(f.id)
            raw[f.id] = value or ""
            answers[f.id] = value.strip() if value and value.strip() else None
    for s in fw.scenes:
        value = text(s.id)
        raw[s.id] = value or ""
        answers[s.id] = value if value else None
    for q in fw.questions:  # the page's "以上均无" box of a multi-select without '无'
        chosen = answers.get(q.id)
        if isinstance(chosen, list) and svc.NONE_OPTION in chosen:
            if len(chosen) > 1:
                raise _FormProblem(
                    FieldError(f"“{q.title}”：“以上均无”不能与其他选项同时选择", field=q.id),
                    raw,
                )
            answers[q.id] = []
    return answers, raw


def _rule_display(form: RuleForm, responses: dict[str, Any]) -> dict[str, Any]:
    """Stored answers of a rule form in the shape the page shows them."""
    out: dict[str, Any] = {}
    for key, value in responses.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list):
            out[key] = list(value) or [svc.NONE_OPTION]
        elif isinstance(value, float):
            out[key] = fmt_num(value)
        else:
            out[key] = str(value)
    return out


def _rule_answers(form: RuleForm, data: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers for the service, raw values to show again) from a rule framework's form."""
    answers: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for f in form.fields:
        if f.kind == "multi":
            chosen = [v[:64] for v in data.getlist(ANSWER_PREFIX + f.id) if isinstance(v, str)]
            raw[f.id] = chosen
            if svc.NONE_OPTION in chosen and len(chosen) > 1:
                raise _FormProblem(
                    FieldError(f"“{f.label}”：“以上均无”不能与其他选项同时选择", field=f.id), raw
                )
            answers[f.id] = [] if chosen == [svc.NONE_OPTION] else chosen or None
            continue
        value = data.get(ANSWER_PREFIX + f.id)
        text = value[:200].strip() if isinstance(value, str) else ""
        raw[f.id] = text
        answers[f.id] = text or None
    return answers, raw


class _FormProblem(Exception):
    def __init__(self, error: FieldError, raw: dict[str, Any]) -> None:
        self.error = error
        self.raw = raw


def _sections(fw: Framework) -> list[tuple[str, list[Any]]]:
    by_id = {q.id: q for q in fw.questions}
    out = []
    for d in fw.dimensions:
        qs = [by_id[i.question] for sub in d.sub_dimensions for i in sub.indicators]
        if qs:
            out.append((d.name, qs))
    return out


def _scene_groups(fw: Framework) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for s in fw.scenes:
        groups.setdefault(s.group, []).append(s)
    return list(groups.items())


def _questionnaire(
    request: Request,
    session: SessionDep,
    row: Assessment,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    field: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    fw = svc.definition_of(row)
    org = enterprise_for(session, request.state.actor, row.enterprise_id, "read")
    p = svc.progress(fw, row.responses or {})
    if isinstance(fw, RuleForm):
        responses = row.responses or {}
        return render(
            request,
            "assessments/rule_form.html",
            {
                "row": row,
                "org": org,
                "form": fw,
                "levels": sorted({f.level for f in fw.fields if f.level}),
                "values": values if values is not None else _rule_display(fw, responses),
                "derived": derived(fw, responses) if values is None else {},
                "progress": p,
                "error": error,
                "field": field,
                "label_of": lambda key: _label_of(fw, key),
                "message": message,
                "NONE_OPTION": svc.NONE_OPTION,
                "prefix": ANSWER_PREFIX,
                "fmt": fmt_num,
                "confidence": confidence_label,
            },
            status_code,
        )
    return render(
        request,
        "assessments/questionnaire.html",
        {
            "row": row,
            "org": org,
            "fw": fw,
            "sections": _sections(fw),
            "scene_groups": _scene_groups(fw),
            "values": values if values is not None else _display_values(fw, row.responses or {}),
            "progress": p,
            "error": error,
            "field": field,
            "message": message,
            "NONE_OPTION": svc.NONE_OPTION,
            "prefix": ANSWER_PREFIX,
            "fmt": fmt_num,
        },
        status_code,
    )


def _label_of(form: RuleForm, key: str) -> str:
    try:
        return form.field(key).label
    except KeyError:
        return key


def _revision(form: FormData) -> int | None:
    value = form.get("revision")
    if not isinstance(value, str) or not value.strip():
        return None
    if not value.strip().isdigit() or len(value.strip()) > 9:
        raise FieldError("版本号无效，请刷新页面", field="revision")
    return int(value.strip())


def _save_from_form(
    request: Request, session: SessionDep, actor: Any, assessment_id: int, form: FormData
) -> tuple[Assessment, Response | None]:
    """Save the whole questionnaire form; on a problem, the page to show again."""
    row = svc.get_assessment(session, actor, assessment_id, "assess")
    if row.status != "draft":
        raise Conflict(f"评测 {row.label} 已提交，不能再修改", field="status")
    fw = svc.definition_of(row)
    raw: dict[str, Any] = {}
    try:
        if isinstance(fw, RuleForm):
            answers, raw = _rule_answers(fw, form)
        else:
            answers, raw = _form_answers(fw, form)
        revision = _revision(form)
        row = svc.save_answers(session, actor, assessment_id, answers, revision, replace=True)
    except _FormProblem as exc:
        return row, _questionnaire(
            request, session, row, values=exc.raw, error=exc.error.message,
            field=exc.error.field, status_code=422,
        )  # fmt: skip
    except (FieldError, Conflict) as exc:
        session.rollback()
        row = svc.get_assessment(session, actor, assessment_id, "assess")
        if row.status != "draft":
            raise
        note = exc.message
        if isinstance(exc, Conflict):
            note += "。本页保留了你的输入，再次保存将覆盖其他窗口的修改。"
        return row, _questionnaire(
            request, session, row, values=raw or None, error=note, field=exc.field,
            status_code=exc.status,
        )  # fmt: skip
    return row, None


@pages.get("/enterprises/{enterprise_id}/assessments")
def list_page(
    request: Request, enterprise_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    org = enterprise_for(session, actor, enterprise_id, "read")
    rows = svc.list_assessments(session, actor, enterprise_id)
    return render(
        request,
        "assessments/list.html",
        {
            "org": org,
            "rows": rows,
            "submitted": [r for r in rows if r.status == "submitted"],
            "can_assess": svc.can_assess(session, actor, enterprise_id),
            "frameworks": list(svc.available_frameworks().values()),
            "rule_frameworks": list(svc.rule_frameworks().values()),
            "names": {k: f.name for k, f in svc.available_frameworks().items()}
            | {k: f.name for k, f in svc.rule_frameworks().items()},
            "fmt": fmt_num,
        },
    )


@pages.post("/enterprises/{enterprise_id}/assessments")
def start_page(
    enterprise_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    framework: Annotated[str, Form(max_length=100)] = "sme-digital-2024",
) -> Response:
    row, _created = svc.start(session, actor, enterprise_id, framework)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@pages.get("/enterprises/{enterprise_id}/assessments/compare")
def compare_page(
    request: Request,
    enterprise_id: DbId,
    a: QueryId,
    b: QueryId,
    session: SessionDep,
    actor: PageActorDep,
) -> Response:
    first, second = svc.compare(session, actor, enterprise_id, a, b)
    if isinstance(first, svc.RuleView):
        return _rule_compare_page(request, session, actor, enterprise_id, first, second)
    data = _compare_out(first, second)
    dims = [d for d in data.dimensions]
    radar = charts.radar_svg(
        [d.name for d in dims],
        [
            (first.assessment.label, [charts.share(d.a, d.max_points) for d in dims]),
            (second.assessment.label, [charts.share(d.b, d.max_points) for d in dims]),
        ],
        title="维度得分率对比",
    )
    org = enterprise_for(session, actor, enterprise_id, "read")
    return render(
        request,
        "assessments/compare.html",
        {"org": org, "first": first, "second": second, "data": data, "radar": radar,
         "fmt": fmt_num},
    )  # fmt: skip


def _rule_compare_page(
    request: Request,
    session: SessionDep,
    actor: Any,
    enterprise_id: int,
    first: svc.RuleView,
    second: svc.RuleView,
) -> Response:
    delta = compare_outcomes(first.outcome, second.outcome)
    parts = delta.parts
    radar = (
        charts.radar_svg(
            [p[0] for p in parts],
            [
                (first.assessment.label, [charts.share(p[1], p[3]) for p in parts]),
                (second.assessment.label, [charts.share(p[2], p[3]) for p in parts]),
            ],
            title="各部分达成率对比",
        )
        if len(parts) >= 3
        else None
    )
    org = enterprise_for(session, actor, enterprise_id, "read")
    return render(
        request,
        "assessments/rule_compare.html",
        {"org": org, "first": first, "second": second, "delta": delta, "radar": radar,
         "fmt": fmt_num},
    )  # fmt: skip


@pages.get("/assessments/{assessment_id}")
def questionnaire_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    row = svc.get_assessment(session, actor, assessment_id)
    if row.status == "submitted":
        return RedirectResponse(f"/assessments/{row.id}/result", status_code=303)
    saved = request.query_params.get("saved")
    message = {"1": "草稿已保存", "upload": "已导入模板中的答案"}.get(saved or "")
    return _questionnaire(request, session, row, message=message)


@pages.post("/assessments/{assessment_id}/save")
def save_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    _row, problem = _save_from_form(request, session, actor, assessment_id, form)
    if problem is not None:
        return problem
    return RedirectResponse(f"/assessments/{assessment_id}?saved=1", status_code=303)


@pages.post("/assessments/{assessment_id}/submit")
def submit_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    has_answers = any(k.startswith(ANSWER_PREFIX) for k in form)
    if has_answers or form.get("revision"):
        _row, problem = _save_from_form(request, session, actor, assessment_id, form)
        if problem is not None:
            return problem
    try:
        svc.submit(session, actor, assessment_id)
    except FieldError as exc:
        session.rollback()
        row = svc.get_assessment(session, actor, assessment_id, "assess")
        return _questionnaire(
            request, session, row, error=exc.message, field=exc.field, status_code=422
        )
    return RedirectResponse(f"/assessments/{assessment_id}/result", status_code=303)


@pages.post("/assessments/{assessment_id}/upload")
def upload_page(
    request: Request,
    assessment_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    try:
        svc.upload_template(session, actor, assessment_id, file.file.read(), file.filename or "")
    except FieldError as exc:
        session.rollback()
        row = svc.get_assessment(session, actor, assessment_id, "assess")
        return _questionnaire(
            request, session, row, error=exc.message, field="file", status_code=422
        )
    return RedirectResponse(f"/assessments/{assessment_id}?saved=upload", status_code=303)


@pages.post("/assessments/{assessment_id}/delete")
def delete_page(assessment_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    enterprise_id = svc.delete_draft(session, actor, assessment_id)
    return RedirectResponse(f"/enterprises/{enterprise_id}/assessments", status_code=303)


@pages.get("/assessments/{assessment_id}/result")
def result_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    row = svc.get_assessment(session, actor, assessment_id)
    if row.status != "submitted":
        return RedirectResponse(f"/assessments/{row.id}", status_code=303)
    if isinstance(svc.definition_of(row), RuleForm):
        return _rule_result_page(request, session, actor, assessment_id)
    view = svc.result_view(session, actor, assessment_id)
    data = _result_out(view)
    radar = charts.radar_svg(
        [d.name for d in data.dimensions],
        [(row.label, [d.share for d in data.dimensions])],
        title="维度得分率（得分 / 满分）",
    )
    org = enterprise_for(session, actor, row.enterprise_id, "read")
    return render(
        request,
        "assessments/result.html",
        {"org": org, "row": row, "view": view, "data": data, "radar": radar, "fmt": fmt_num,
         "confidence": confidence_label,
         "can_assess": svc.can_assess(session, actor, row.enterprise_id)},
    )  # fmt: skip


def _rule_result_page(
    request: Request, session: SessionDep, actor: Any, assessment_id: int
) -> Response:
    view = svc.rule_view(session, actor, assessment_id)
    parts = view.outcome.parts
    radar = (
        charts.radar_svg(
            [p[0] for p in parts],
            [(view.assessment.label, [charts.share(p[1], p[2]) for p in parts])],
            title="各部分达成率（当前 / 满分）",
        )
        if len(parts) >= 3
        else None
    )
    org = enterprise_for(session, actor, view.assessment.enterprise_id, "read")
    return render(
        request,
        "assessments/rule_result.html",
        {"org": org, "row": view.assessment, "view": view, "radar": radar, "fmt": fmt_num,
         "confidence": confidence_label},
    )  # fmt: skip
