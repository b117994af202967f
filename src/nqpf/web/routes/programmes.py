"""Programmes (项目效果评估, 面/线): pages and JSON API of an authority's programmes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from nqpf.services.evaluation import rule_choices
from nqpf.web import jobs as job_queue
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError, Forbidden
from nqpf.web.models import Programme
from nqpf.web.routes._loop import Revision, Title, form_revision
from nqpf.web.routes._shared import NO_CONTROL, DbId, download
from nqpf.web.services import programmes as svc
from nqpf.web.services.assessments import available_frameworks
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["programmes"])
pages = APIRouter()

Key = Annotated[str, Field(max_length=200, pattern=NO_CONTROL)]
Rule = Annotated[str, Field(max_length=64, pattern=NO_CONTROL)]


# ------------------------------------------------------------------------ JSON models
class ProgrammeIn(BaseModel):
    """A programme's definition."""

    model_config = ConfigDict(extra="forbid")

    name: Title
    outcome: Literal["total", "dimension", "kpi", "energy_intensity"] = "total"
    outcome_key: Key = Field(default="", description="The dimension's or the KPI's name")
    framework: Rule = "sme-digital-2024"
    acceptance_rule: Rule = "acceptance-sme-pilot-2023"
    subsidy_rule: Rule = "subsidy-longyan-2025"
    control: Literal["never", "notyet"] = "never"


class ProgrammePut(ProgrammeIn):
    revision: Revision


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: int = Field(ge=1, le=2**31 - 1)
    start_year: int = Field(ge=1990, le=2100, description="First year in the programme")
    scale: Literal["", "规上", "规下"] = ""


class MembersPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: Revision
    members: list[MemberIn] = Field(max_length=100_000)


class MemberOut(BaseModel):
    enterprise_id: int
    name: str
    credit_code: str
    region_code: str
    start_year: int
    scale: str


class ProgrammeOut(BaseModel):
    id: int
    authority_id: int
    authority_name: str
    region_scope: str
    name: str
    outcome: str
    outcome_key: str
    outcome_label: str
    framework: str
    acceptance_rule: str
    subsidy_rule: str
    control: str
    revision: int
    members: list[MemberOut]
    evaluated_at: datetime | None = None
    job: dict[str, Any] | None = Field(
        default=None, description="The evaluation job (id, state, progress, stage, error)"
    )
    evaluation: dict[str, Any] | None = Field(
        default=None, description="The stored evaluation (nqpf.services.evaluation)"
    )


def _out(v: svc.ProgrammeView, *, evaluation: bool = True) -> ProgrammeOut:
    p = v.programme
    doc = p.evaluation
    if doc is not None and not evaluation:
        doc = None
    elif doc is not None:  # the chart's PNG is for reports, not for the API
        doc = {**doc, "did": {k: x for k, x in doc["did"].items() if k != "chart_png"}}
    return ProgrammeOut(
        id=p.id,
        authority_id=p.authority_id,
        authority_name=v.authority_name,
        region_scope=p.region_scope,
        name=p.name,
        outcome=p.outcome,
        outcome_key=p.outcome_key,
        outcome_label=v.outcome,
        framework=p.framework,
        acceptance_rule=p.acceptance_rule,
        subsidy_rule=p.subsidy_rule,
        control=p.control,
        revision=p.revision,
        members=[MemberOut(**m.__dict__) for m in v.members],
        evaluated_at=p.evaluated_at,
        job=v.job.__dict__ if v.job is not None else None,
        evaluation=doc,
    )


def _queue(request: Request) -> job_queue.JobQueue:
    return job_queue.queue_for(request.app.state.settings.database_url)


def _job_rows(request: Request) -> int:
    return svc.job_threshold(request.app.state.settings)


# --------------------------------------------------------------------------- JSON API
@api.get("/programmes", response_model=list[ProgrammeOut])
def list_api(session: SessionDep, actor: ActorDep) -> list[ProgrammeOut]:
    """The programmes of the caller's authorities (without their evaluations)."""
    return [
        _out(svc.get_view(session, actor, p.id), evaluation=False)
        for p, _ in svc.list_programmes(session, actor)
    ]


@api.post("/programmes", response_model=ProgrammeOut, status_code=201)
def create_api(body: ProgrammeIn, session: SessionDep, actor: ActorDep) -> ProgrammeOut:
    """Define a programme of the caller's authority (officers; 403 for anyone else)."""
    row = svc.create(session, actor, body.model_dump())
    return _out(svc.get_view(session, actor, row.id))


@api.get("/programmes/{programme_id}", response_model=ProgrammeOut)
def get_api(programme_id: DbId, session: SessionDep, actor: ActorDep) -> ProgrammeOut:
    """One programme with its members and stored evaluation (404 for another authority's)."""
    return _out(svc.get_view(session, actor, programme_id))


@api.put("/programmes/{programme_id}", response_model=ProgrammeOut)
def put_api(
    programme_id: DbId, body: ProgrammePut, session: SessionDep, actor: ActorDep
) -> ProgrammeOut:
    """Change the definition (409 on a stale revision; drops the stored evaluation)."""
    values = body.model_dump()
    svc.update(session, actor, programme_id, values.pop("revision"), values)
    return _out(svc.get_view(session, actor, programme_id))


@api.put("/programmes/{programme_id}/members", response_model=ProgrammeOut)
def members_api(
    programme_id: DbId, body: MembersPut, session: SessionDep, actor: ActorDep
) -> ProgrammeOut:
    """Replace the members (422 naming ``members[i]`` for an enterprise outside the scope
    or listed twice; nothing is written then)."""
    svc.set_members(
        session, actor, programme_id, body.revision, [m.model_dump() for m in body.members]
    )
    return _out(svc.get_view(session, actor, programme_id))


@api.post("/programmes/{programme_id}/evaluate", response_model=ProgrammeOut)
def evaluate_api(
    request: Request, programme_id: DbId, session: SessionDep, actor: ActorDep
) -> ProgrammeOut:
    """Evaluate the programme and store the result (422 in Chinese on bad input); a large
    panel is queued as a background job instead (``job`` in the answer, the result is
    adopted when it is done)."""
    svc.evaluate(session, actor, programme_id, queue=_queue(request), job_rows=_job_rows(request))
    return _out(svc.get_view(session, actor, programme_id))


@api.get(
    "/programmes/{programme_id}/evaluation.xlsx",
    response_class=Response,
    responses={200: {"content": {"application/vnd.ms-excel": {}}}},
)
def xlsx_api(programme_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The stored evaluation's tables as XLSX (409 before the first evaluation)."""
    data = svc.evaluation_xlsx(session, actor, programme_id)
    return download(data, f"programme-{programme_id}.xlsx", label=f"项目评估-{programme_id}.xlsx")


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=200)


FormDep = Annotated[FormData, Depends(_form)]
_DEFINITION = ("name", "outcome", "outcome_key", "framework", "acceptance_rule",
               "subsidy_rule", "control")  # fmt: skip


def _values(form: FormData) -> dict[str, str]:
    return {k: v[:201] if isinstance(v := form.get(k), str) else "" for k in _DEFINITION}


def _choices() -> dict[str, Any]:
    return {
        "outcomes": svc.OUTCOME_LABELS,
        "controls": svc.CONTROL_LABELS,
        "frameworks": {k: f.name for k, f in available_frameworks().items()},
        "dimensions": {k: [d.name for d in f.scored_dimensions]
                       for k, f in available_frameworks().items()},
        "rules": rule_choices(),
    }  # fmt: skip


def _list_page(
    request: Request,
    session: SessionDep,
    actor: Any,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "programmes/list.html",
        {
            "rows": svc.list_programmes(session, actor),
            "may_create": bool(actor.orgs_of_kind("authority")),
            "v": values
            or {"framework": "sme-digital-2024", "outcome": "total", "control": "never"},
            "error": error,
            "field": field,
            **_choices(),
        },
        status_code,
    )


@pages.get("/programmes")
def list_page(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    return _list_page(request, session, actor)


@pages.post("/programmes")
def create_page(
    request: Request, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    values = _values(form)
    try:
        row = svc.create(session, actor, values)
    except (FieldError, Forbidden) as exc:
        session.rollback()
        return _list_page(request, session, actor, values=values, error=exc.message,
                          field=exc.field, status_code=exc.status)  # fmt: skip
    return RedirectResponse(f"/programmes/{row.id}?saved=created", status_code=303)


def _detail_page(
    request: Request,
    session: SessionDep,
    actor: Any,
    programme_id: int,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    view = svc.get_view(session, actor, programme_id)
    p: Programme = view.programme
    q = request.query_params.get("q", "")[:100]
    return render(
        request,
        "programmes/detail.html",
        {
            "view": view,
            "p": p,
            "doc": p.evaluation,
            "v": values or {k: getattr(p, k) for k in _DEFINITION},
            "candidates": svc.scope_candidates(session, p, q=q),
            "q": q,
            "error": error,
            "field": field,
            "message": message,
            **_choices(),
        },
        status_code,
    )


_MESSAGES = {"created": "项目已创建", "1": "已保存", "members": "成员已更新",
             "evaluated": "评估已完成", "queued": "评估已提交后台运行"}  # fmt: skip


@pages.get("/programmes/{programme_id}")
def detail_page(
    request: Request, programme_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    message = _MESSAGES.get(request.query_params.get("saved", ""))
    return _detail_page(request, session, actor, programme_id, message=message)


def _act(
    request: Request,
    session: SessionDep,
    actor: Any,
    programme_id: int,
    action: Any,
    saved: str,
    values: dict[str, str] | None = None,
) -> Response:
    """Run ``action()``; on a refused input show the page again with the error."""
    try:
        action()
    except (FieldError, Conflict) as exc:
        session.rollback()
        note = exc.message
        if isinstance(exc, Conflict) and exc.field == "revision":
            note += "。请刷新页面查看最新内容后再试。"
        return _detail_page(request, session, actor, programme_id, values=values, error=note,
                            field=exc.field, status_code=exc.status)  # fmt: skip
    return RedirectResponse(f"/programmes/{programme_id}?saved={saved}", status_code=303)


@pages.post("/programmes/{programme_id}/save")
def save_page(
    request: Request, programme_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    values = _values(form)
    return _act(
        request, session, actor, programme_id,
        lambda: svc.update(session, actor, programme_id, form_revision(form), values),
        "1", values,
    )  # fmt: skip


@pages.post("/programmes/{programme_id}/members/add")
def add_member_page(
    request: Request, programme_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    def add() -> None:
        view = svc.get_view(session, actor, programme_id)
        current = [{"enterprise_id": m.enterprise_id, "start_year": m.start_year,
                    "scale": m.scale} for m in view.members]  # fmt: skip
        picked = form.getlist("enterprise_id")
        if not picked:
            raise FieldError("请选择要加入的企业", field="enterprise_id")
        year, scale = form.get("start_year"), form.get("scale") or ""
        added = [{"enterprise_id": e, "start_year": year, "scale": scale} for e in picked]
        svc.set_members(session, actor, programme_id, form_revision(form), current + added)

    return _act(request, session, actor, programme_id, add, "members")


@pages.post("/programmes/{programme_id}/members/remove")
def remove_member_page(
    request: Request, programme_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    def remove() -> None:
        text = form.get("enterprise_id")
        if not isinstance(text, str) or not text.isdigit():
            raise FieldError("企业编号无效", field="enterprise_id")
        svc.remove_member(session, actor, programme_id, form_revision(form), int(text))

    return _act(request, session, actor, programme_id, remove, "members")


@pages.post("/programmes/{programme_id}/members/upload")
def upload_members_page(
    request: Request,
    programme_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    file: Annotated[UploadFile, File()],
    revision: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    return _act(
        request, session, actor, programme_id,
        lambda: svc.import_members(session, actor, programme_id, form_revision(None, revision),
                                   file.file.read(), file.filename or "members.csv"),
        "members",
    )  # fmt: skip


@pages.post("/programmes/{programme_id}/evaluate")
def evaluate_page(
    request: Request, programme_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    queued: list[bool] = []

    def run() -> None:
        row = svc.evaluate(
            session, actor, programme_id, queue=_queue(request), job_rows=_job_rows(request)
        )
        queued.append(row.job_id is not None)

    response = _act(request, session, actor, programme_id, run, "evaluated")
    if queued and queued[0]:
        return RedirectResponse(f"/programmes/{programme_id}?saved=queued", status_code=303)
    return response
