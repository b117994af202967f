"""Deployment projects (场景落地): pages and JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from nqpf.services.projects import EXTRA_UNITS, MAX_KPIS, MAX_MILESTONES
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep, SettingsDep
from nqpf.web.errors import Conflict, FieldError
from nqpf.web.models import Project
from nqpf.web.routes._loop import (
    MULTILINE,
    Amount,
    QueryPage,
    QueryPerPage,
    Revision,
    Title,
    check_text,
    form_list,
    form_revision,
)
from nqpf.web.routes._shared import NO_CONTROL, DbId, attachment
from nqpf.web.services import projects as svc
from nqpf.web.services.loop_common import PROJECT_STATUS_LABELS, today
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["projects"])
pages = APIRouter()

Unit = Annotated[str, Field(max_length=20, pattern=NO_CONTROL)]
Number = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Note = Annotated[str, Field(max_length=1000, pattern=MULTILINE)]


# ------------------------------------------------------------------------ JSON models
class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    due: date = Field(description="Not before the project start")
    done: date | None = Field(default=None, description="Not before the start, not in the future")
    note: Note = ""


class KpiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Title
    baseline: Number
    target: Number
    actual: Number | None = None
    unit: Unit = Field(description="Required: a unit of nqpf.codes.units or %, 天, 小时, 件 …")


class ProjectPut(BaseModel):
    """The plan as it should be (parts left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    revision: Revision
    start: date | None = None
    end: date | None = None
    status: Literal["active", "paused"] | None = None
    budget: Amount | None = None
    spend: Amount | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=MAX_MILESTONES)
    kpis: list[KpiIn] | None = Field(default=None, max_length=MAX_KPIS)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: Revision
    satisfaction: int = Field(ge=1, le=5, description="The enterprise's satisfaction, 1–5")
    note: Annotated[str, Field(max_length=2000, pattern=MULTILINE)] = ""


class DocumentOut(BaseModel):
    id: int
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    organization_id: int | None
    uploaded_at: datetime


class ProjectOut(BaseModel):
    id: int
    need_id: int
    proposal_id: int | None
    enterprise_id: int
    enterprise_name: str
    provider_id: int
    provider_name: str
    solution_id: int | None
    title: str
    start_date: date
    end_date: date | None
    status: str
    status_label: str
    budget: float | None
    spend: float
    milestones: list[dict[str, Any]]
    kpis: list[dict[str, Any]]
    next_due: date | None
    overdue: list[dict[str, Any]] = Field(description="Milestones past due and not done")
    satisfaction: int | None
    satisfaction_note: str
    revision: int
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProjectListItem(BaseModel):
    id: int
    title: str
    enterprise_id: int
    enterprise_name: str
    provider_id: int
    provider_name: str
    status: str
    status_label: str
    start_date: date
    next_due: date | None
    overdue: bool


class ProjectListOut(BaseModel):
    items: list[ProjectListItem]
    total: int
    page: int
    per_page: int
    capped: bool = Field(
        default=False, description="More rows than ``total``: lists count up to 1,000"
    )


def _out(v: svc.ProjectView) -> ProjectOut:
    p = v.project
    return ProjectOut(
        id=p.id,
        need_id=p.need_id,
        proposal_id=p.proposal_id,
        enterprise_id=p.enterprise_id,
        enterprise_name=v.enterprise_name,
        provider_id=p.provider_id,
        provider_name=v.provider_name,
        solution_id=p.solution_id,
        title=p.title,
        start_date=p.start_date,
        end_date=p.end_date,
        status=p.status,
        status_label=PROJECT_STATUS_LABELS[p.status],
        budget=p.budget,
        spend=p.spend,
        milestones=list(p.milestones or []),
        kpis=list(p.kpis or []),
        next_due=p.next_due,
        overdue=v.overdue,
        satisfaction=p.satisfaction,
        satisfaction_note=p.satisfaction_note,
        revision=p.revision,
        closed_at=p.closed_at,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _doc_out(d: Any) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        title=d.title,
        filename=d.filename,
        content_type=d.content_type,
        size=d.size,
        sha256=d.sha256,
        organization_id=d.organization_id,
        uploaded_at=d.uploaded_at,
    )


# --------------------------------------------------------------------------- JSON API
@api.get("/projects", response_model=ProjectListOut)
def list_api(
    session: SessionDep,
    actor: ActorDep,
    status: Literal["active", "paused", "closed"] | None = None,
    overdue: bool = False,
    page: QueryPage = 1,
    per_page: QueryPerPage = 50,
) -> ProjectListOut:
    """The projects the caller may read (its enterprise's, its provider's, those of the
    enterprises an authority oversees), overdue first; ``overdue=true`` only those with a
    milestone past due."""
    result = svc.list_projects(
        session, actor, status=status, overdue_only=overdue, page=page, per_page=per_page
    )
    return ProjectListOut(
        items=[
            ProjectListItem(
                id=r.project.id,
                title=r.project.title,
                enterprise_id=r.project.enterprise_id,
                enterprise_name=r.enterprise_name,
                provider_id=r.project.provider_id,
                provider_name=r.provider_name,
                status=r.project.status,
                status_label=PROJECT_STATUS_LABELS[r.project.status],
                start_date=r.project.start_date,
                next_due=r.project.next_due,
                overdue=r.overdue,
            )
            for r in result.items
        ],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        capped=result.capped,
    )


@api.get("/projects/{project_id}", response_model=ProjectOut)
def get_api(project_id: DbId, session: SessionDep, actor: ActorDep) -> ProjectOut:
    """One project with its plan and overdue milestones."""
    return _out(svc.get_project(session, actor, project_id))


@api.put("/projects/{project_id}", response_model=ProjectOut)
def put_api(project_id: DbId, body: ProjectPut, session: SessionDep, actor: ActorDep) -> ProjectOut:
    """Update the plan (either side; 422 names the field — a milestone before the start,
    a KPI without a unit …; 409 on a stale revision; nothing half-saved)."""
    svc.save(
        session,
        actor,
        project_id,
        body.revision,
        start=body.start,
        end=body.end,
        status=body.status,
        budget=body.budget,
        spend=body.spend,
        milestones=None if body.milestones is None else [m.model_dump() for m in body.milestones],
        kpis=None if body.kpis is None else [k.model_dump() for k in body.kpis],
    )
    return _out(svc.get_project(session, actor, project_id))


@api.post("/projects/{project_id}/close", response_model=ProjectOut)
def close_api(project_id: DbId, body: CloseIn, session: SessionDep, actor: ActorDep) -> ProjectOut:
    """Close the project with the enterprise's satisfaction (its admins): the need closes,
    the provider's rating is recomputed."""
    svc.close(session, actor, project_id, body.revision, body.satisfaction, body.note)
    return _out(svc.get_project(session, actor, project_id))


@api.get("/projects/{project_id}/documents", response_model=list[DocumentOut])
def documents_api(project_id: DbId, session: SessionDep, actor: ActorDep) -> list[DocumentOut]:
    """The project's documents (metadata)."""
    return [_doc_out(d) for d in svc.list_documents(session, actor, project_id)]


@api.post("/projects/{project_id}/documents", response_model=DocumentOut, status_code=201)
def add_document_api(
    project_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=200, pattern=NO_CONTROL)],
    file: Annotated[UploadFile, File(description="A small file (the upload limit applies)")],
) -> DocumentOut:
    """Attach a document (contract, acceptance report …) to the project (either side)."""
    doc = svc.add_document(
        session,
        actor,
        project_id,
        title=title,
        filename=file.filename,
        content_type=file.content_type,
        data=file.file.read(),
        max_bytes=settings.max_upload_bytes,
    )
    return _doc_out(doc)


@api.get(
    "/projects/{project_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def document_api(
    project_id: DbId, document_id: DbId, session: SessionDep, actor: ActorDep
) -> Response:
    """Download a document (always as an attachment, never shown inline)."""
    d = svc.get_document(session, actor, project_id, document_id)
    return Response(
        d.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment(f"document-{d.id}", d.filename)},
    )


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=1000)


FormDep = Annotated[FormData, Depends(_form)]
BLANK_MILESTONES = 3
BLANK_KPIS = 2


def _plan_values(p: Project) -> dict[str, Any]:
    def num(x: Any) -> str:
        return "" if x is None else f"{x:g}"

    return {
        "start": p.start_date.isoformat(),
        "end": p.end_date.isoformat() if p.end_date else "",
        "status": p.status,
        "budget": num(p.budget),
        "spend": num(p.spend),
        "milestones": [
            {
                "title": m["title"],
                "due": m["due"],
                "done": m.get("done") or "",
                "note": m.get("note") or "",
            }
            for m in p.milestones or []
        ],
        "kpis": [
            {
                "name": k["name"],
                "baseline": num(k["baseline"]),
                "target": num(k["target"]),
                "actual": num(k.get("actual")),
                "unit": k["unit"],
            }
            for k in p.kpis or []
        ],
    }


def _project_page(
    request: Request,
    session: SessionDep,
    actor: Any,
    project_id: int,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    field: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    view = svc.get_project(session, actor, project_id)
    shown = values if values is not None else _plan_values(view.project)
    return render(
        request,
        "projects/detail.html",
        {
            "view": view,
            "p": view.project,
            "v": shown,
            "error": error,
            "field": field,
            "message": message,
            "documents": svc.list_documents(session, actor, project_id),
            "blank_milestones": BLANK_MILESTONES,
            "blank_kpis": BLANK_KPIS,
            "units": EXTRA_UNITS,
            "PROJECT_STATUS_LABELS": PROJECT_STATUS_LABELS,
            "today": today(),
        },
        status_code,
    )


@pages.get("/projects")
def list_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    overdue: bool = False,
    page: QueryPage = 1,
) -> Response:
    result = svc.list_projects(session, actor, overdue_only=overdue, page=page)
    return render(
        request,
        "projects/list.html",
        {
            "result": result,
            "overdue": overdue,
            "PROJECT_STATUS_LABELS": PROJECT_STATUS_LABELS,
            "n_overdue": svc.overdue_count(session, actor),
        },
    )


@pages.get("/projects/{project_id}")
def detail_page(
    request: Request, project_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    message = {"1": "已保存", "doc": "文件已上传", "closed": "项目已关闭"}.get(
        request.query_params.get("saved", "")
    )
    return _project_page(request, session, actor, project_id, message=message)


def _rows(form: FormData, keys: tuple[str, ...], prefix: str, limit: int) -> list[dict[str, str]]:
    columns = {k: form_list(form, f"{prefix}_{k}", limit) for k in keys}
    n = max((len(v) for v in columns.values()), default=0)
    rows = []
    for i in range(n):
        row = {k: (columns[k][i] if i < len(columns[k]) else "") for k in keys}
        if any(row.values()):
            rows.append(row)
    return rows


@pages.post("/projects/{project_id}/save")
def save_page(
    request: Request, project_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    def text(key: str, limit: int = 40) -> str:
        value = form.get(key)
        return value[: limit + 1] if isinstance(value, str) else ""

    values: dict[str, Any] = {
        "start": text("start"),
        "end": text("end"),
        "status": text("status"),
        "budget": text("budget"),
        "spend": text("spend"),
        "milestones": _rows(form, ("title", "due", "done", "note"), "m", 1001),
        "kpis": _rows(form, ("name", "baseline", "target", "actual", "unit"), "k", 201),
    }
    try:
        seen = form_revision(form)
        for key in ("start", "end", "status", "budget", "spend"):
            if len(values[key]) > 40:
                raise FieldError("输入过长", field=key)
            check_text(values[key], key, "输入")
        for i, m in enumerate(values["milestones"]):
            for k, v in m.items():
                limit = 1000 if k == "note" else 200
                if len(v) > limit:
                    raise FieldError(f"第 {i + 1} 个里程碑的内容过长", field=f"milestones[{i}].{k}")
                check_text(v, f"milestones[{i}].{k}", "里程碑", multiline=k == "note")
        for i, k_ in enumerate(values["kpis"]):
            for k, v in k_.items():
                if len(v) > 200:
                    raise FieldError(f"第 {i + 1} 个指标的内容过长", field=f"kpis[{i}].{k}")
                check_text(v, f"kpis[{i}].{k}", "指标")
        svc.save(
            session,
            actor,
            project_id,
            seen,
            start=values["start"],
            end=values["end"] or "",
            status=values["status"] or None,
            budget=values["budget"],
            spend=values["spend"],
            milestones=values["milestones"],
            kpis=values["kpis"],
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        note = exc.message
        if isinstance(exc, Conflict) and exc.field == "revision":
            note += "。本页保留了你的输入；请刷新页面查看最新内容后再保存。"
        return _project_page(
            request,
            session,
            actor,
            project_id,
            values=values,
            error=note,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/projects/{project_id}?saved=1", status_code=303)


@pages.post("/projects/{project_id}/documents")
def document_page(
    request: Request,
    project_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        svc.add_document(
            session,
            actor,
            project_id,
            title=check_text(title, "title", "文件说明"),
            filename=file.filename,
            content_type=file.content_type,
            data=file.file.read(),
            max_bytes=settings.max_upload_bytes,
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _project_page(
            request,
            session,
            actor,
            project_id,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/projects/{project_id}?saved=doc#documents", status_code=303)


@pages.post("/projects/{project_id}/close")
def close_page(
    request: Request,
    project_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    revision: Annotated[str, Form(max_length=12)] = "",
    satisfaction: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        seen = form_revision(None, revision)
        svc.close(
            session,
            actor,
            project_id,
            seen,
            satisfaction.strip(),
            check_text(note, "note", "评价说明", multiline=True),
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _project_page(
            request,
            session,
            actor,
            project_id,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/projects/{project_id}?saved=closed", status_code=303)
