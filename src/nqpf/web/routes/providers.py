"""The solution catalogue and the provider register (服务商库): pages and JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from nqpf.matching import DEPLOYMENTS, PRICE_BANDS, SIZE_CLASSES, scene_label, scenes
from nqpf.services import register as register_rules
from nqpf.web.authz import Actor
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError, Forbidden
from nqpf.web.models import Organization, Solution
from nqpf.web.routes._loop import (
    MULTILINE,
    LongText,
    QueryPage,
    QueryPerPage,
    Revision,
    Short,
    check_text,
    form_revision,
)
from nqpf.web.routes._shared import MAX_ID, NO_CONTROL, XLSX, DbId, download
from nqpf.web.services import providers as register_svc
from nqpf.web.services import solutions as svc
from nqpf.web.services.loop_common import SOLUTION_STATUS_LABELS
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["providers"])
pages = APIRouter()

OrgId = Annotated[int, Field(ge=1, le=MAX_ID)]
Cell = Annotated[str, Field(max_length=4000, pattern=MULTILINE)]
Ref = Annotated[str, Field(max_length=64, pattern=NO_CONTROL)]
Name = Annotated[str, Field(max_length=200, pattern=NO_CONTROL)]


# ------------------------------------------------------------------------ JSON models
class SolutionFields(BaseModel):
    """A solution in the catalogue template's columns (see docs/matching-guide.md):
    ``more_scenes`` ``能耗管理:2-3``, ``industries`` ``C35；C3981``, ``prerequisites``
    ``equipment_network_rate >= 40 %；has_erp == true``, ``evidence`` ``C3511 OEE提升=12 %``
    (every KPI with a unit) …  Bad input answers 422 naming the column."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    scene: Short
    from_level: int = Field(ge=1, le=4)
    to_level: int = Field(ge=1, le=4)
    more_scenes: Cell = ""
    industries: Cell = ""
    sizes: Cell = ""
    deployment: Short = Field(description="SaaS / 私有化 / 均可")
    price_band: Short = Field(default="", description="e.g. 20–50万; or both prices")
    price_min: float | None = Field(default=None, ge=0, le=1e7, allow_inf_nan=False)
    price_max: float | None = Field(default=None, ge=0, le=1e7, allow_inf_nan=False)
    delivery_weeks: float = Field(gt=0, le=520, allow_inf_nan=False)
    prerequisites: Cell = ""
    improves: Cell = ""
    evidence: Cell = ""
    description: Cell = ""


class SolutionIn(SolutionFields):
    ref: Ref = Field(default="", description="方案编号 (unique per provider; blank: made up)")
    provider_id: OrgId | None = Field(default=None, description="Blank: the caller's only one")


class SolutionPut(SolutionFields):
    revision: Revision


class SolutionOut(BaseModel):
    id: int
    ref: str
    provider_id: int
    provider_name: str
    name: str
    scene: str
    scene_label: str
    price_min: float
    price_max: float
    delivery_weeks: float
    status: str
    status_label: str
    revision: int
    solution: dict[str, Any] = Field(description="The engine's solution (scenes, prerequisites …)")
    fields: dict[str, str] = Field(description="The template columns, as the edit form shows")
    created_at: datetime
    updated_at: datetime


class SolutionListOut(BaseModel):
    items: list[SolutionOut]
    total: int
    page: int
    per_page: int
    capped: bool = Field(
        default=False, description="More rows than ``total``: lists count up to 1,000"
    )


class UploadOut(BaseModel):
    mode: str
    filename: str
    n_rows: int
    created: int
    updated: int
    saved: bool
    errors: list[dict[str, Any]] = Field(description="{row, column, field, message} per bad row")


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority_id: OrgId
    statement: LongText = Field(min_length=1, description="服务能力说明")
    provider_id: OrgId | None = None


class ActIn(BaseModel):
    """One step of the register (:mod:`nqpf.services.register`): ``review`` (experts,
    score, opinion, passed, notice_days), ``admit``, ``sanction`` (kind, reason), ``lift``
    (reason), ``appeal`` (reason), ``decide_appeal`` (upheld, opinion)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["review", "admit", "sanction", "lift", "appeal", "decide_appeal"]
    revision: Revision | None = None
    experts: list[Annotated[str, Field(max_length=100, pattern=NO_CONTROL)]] | None = Field(
        default=None, max_length=50
    )
    score: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    opinion: LongText | None = None
    passed: bool | None = None
    notice_days: int | None = Field(default=None, ge=1, le=30)
    kind: Literal["warning", "suspension", "removal"] | None = None
    reason: LongText | None = None
    upheld: bool | None = None


class EventOut(BaseModel):
    id: int
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    detail: dict[str, Any]
    actor_id: int | None
    at: datetime


class RegistrationOut(BaseModel):
    id: int
    authority_id: int
    authority_name: str
    provider_id: int
    provider_name: str
    status: str
    status_label: str
    standing: str | None = Field(description="The matching engine's standing")
    notice_until: date | None
    appeal: str
    statement: str
    revision: int
    rating: float | None
    actions: list[str] = Field(description="What the state allows next")
    events: list[EventOut]


def _solution_out(session: SessionDep, row: Solution, provider_name: str) -> SolutionOut:
    engine = svc.engine_solution(row, provider_name)
    return SolutionOut(
        id=row.id,
        ref=row.ref,
        provider_id=row.provider_id,
        provider_name=provider_name,
        name=row.name,
        scene=row.scene,
        scene_label=scene_label(row.scene),
        price_min=row.price_min,
        price_max=row.price_max,
        delivery_weeks=row.delivery_weeks,
        status=row.status,
        status_label=SOLUTION_STATUS_LABELS[row.status],
        revision=row.revision,
        solution=engine.model_dump(mode="json"),
        fields=svc.form_fields(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _registration_out(v: register_svc.RegistrationView) -> RegistrationOut:
    r = v.row
    return RegistrationOut(
        id=r.id,
        authority_id=r.authority_id,
        authority_name=v.authority_name,
        provider_id=r.provider_id,
        provider_name=v.provider_name,
        status=r.status,
        status_label=register_rules.STATUS_LABELS[r.status],
        standing=register_rules.standing(r.status),
        notice_until=r.notice_until,
        appeal=r.appeal,
        statement=r.statement,
        revision=r.revision,
        rating=v.rating,
        actions=list(v.actions),
        events=[
            EventOut(**e, action_label=register_rules.ACTION_LABELS.get(e["action"], e["action"]))
            for e in v.events
        ],
    )


def _fields(body: SolutionFields) -> dict[str, str]:
    values = body.model_dump(exclude={"ref", "provider_id", "revision"})
    return {k: "" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
            for k, v in values.items()}  # fmt: skip


# --------------------------------------------------------------------------- JSON API
@api.get("/solutions", response_model=SolutionListOut)
def list_api(
    session: SessionDep,
    actor: ActorDep,
    scene: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL)] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL)] = None,
    provider: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mine: bool = False,
    page: QueryPage = 1,
    per_page: QueryPerPage = 50,
) -> SolutionListOut:
    """The catalogue: published solutions (and the caller's own withdrawn ones), newest
    first; filters: scene, name text, provider, only mine."""
    result = svc.list_solutions(
        session,
        actor,
        scene=scene,
        q=q,
        provider_id=provider,
        mine=mine,
        page=page,
        per_page=per_page,
    )
    return SolutionListOut(
        items=[_solution_out(session, r.row, r.provider_name) for r in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        capped=result.capped,
    )


@api.post("/solutions", response_model=SolutionOut, status_code=201)
def create_api(body: SolutionIn, session: SessionDep, actor: ActorDep) -> SolutionOut:
    """Publish a solution (a provider's members)."""
    row = svc.create(session, actor, _fields(body), ref=body.ref, provider_id=body.provider_id)
    return _solution_out(session, row, session.get(Organization, row.provider_id).name)  # type: ignore[union-attr]


@api.get(
    "/solutions/template.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}}
)
def template_api(actor: ActorDep) -> Response:
    """The catalogue template: XLSX with dropdowns, help, scenes and facts."""
    return download(
        svc.template_xlsx(), "solution-catalogue-template.xlsx", label="方案目录模板.xlsx"
    )


@api.post("/solutions/upload", response_model=UploadOut)
def upload_api(
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="Catalogue table: .xlsx, .csv or .parquet")],
    mode: Annotated[Literal["all_or_nothing", "valid_only"], Form()] = "all_or_nothing",
    provider_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> UploadOut:
    """Publish or update solutions from a catalogue file (keyed by 方案编号).  Every bad
    row is reported by row and column; ``all_or_nothing`` stores nothing when a row is
    bad, ``valid_only`` stores the good rows (``saved``)."""
    data = file.file.read()
    report = svc.upload(
        session, actor, data, file.filename or "", mode=mode, provider_id=provider_id
    )
    return UploadOut(**vars(report))


@api.get("/solutions/{solution_id}", response_model=SolutionOut)
def get_api(solution_id: DbId, session: SessionDep, actor: ActorDep) -> SolutionOut:
    """One solution (public once published)."""
    r = svc.get_solution(session, actor, solution_id)
    return _solution_out(session, r.row, r.provider_name)


@api.put("/solutions/{solution_id}", response_model=SolutionOut)
def put_api(
    solution_id: DbId, body: SolutionPut, session: SessionDep, actor: ActorDep
) -> SolutionOut:
    """Replace a solution's fields (its provider; 409 on a stale revision)."""
    svc.update_solution(session, actor, solution_id, _fields(body), body.revision)
    r = svc.get_solution(session, actor, solution_id)
    return _solution_out(session, r.row, r.provider_name)


@api.post("/solutions/{solution_id}/withdraw", response_model=SolutionOut)
def withdraw_api(solution_id: DbId, session: SessionDep, actor: ActorDep) -> SolutionOut:
    """Take a solution out of the catalogue (下架)."""
    svc.set_status(session, actor, solution_id, "withdrawn")
    r = svc.get_solution(session, actor, solution_id)
    return _solution_out(session, r.row, r.provider_name)


@api.post("/solutions/{solution_id}/publish", response_model=SolutionOut)
def publish_api(solution_id: DbId, session: SessionDep, actor: ActorDep) -> SolutionOut:
    """Put a withdrawn solution back in the catalogue."""
    svc.set_status(session, actor, solution_id, "published")
    r = svc.get_solution(session, actor, solution_id)
    return _solution_out(session, r.row, r.provider_name)


@api.get("/register", response_model=list[RegistrationOut])
def register_api(session: SessionDep, actor: ActorDep) -> list[RegistrationOut]:
    """The register entries the caller sees: an authority's register, a provider's own
    applications (history not included: see one entry)."""
    return [_registration_out(v) for v in register_svc.list_registrations(session, actor)]


@api.post("/register", response_model=RegistrationOut, status_code=201)
def apply_api(body: ApplyIn, session: SessionDep, actor: ActorDep) -> RegistrationOut:
    """A provider applies to an authority's register (自愿申报; again after a rejection)."""
    row = register_svc.apply(
        session, actor, body.authority_id, body.statement, provider_id=body.provider_id
    )
    return _registration_out(register_svc.get_registration(session, actor, row.id))


@api.get("/register/{registration_id}", response_model=RegistrationOut)
def registration_api(
    registration_id: DbId, session: SessionDep, actor: ActorDep
) -> RegistrationOut:
    """One register entry with its history (every step, who and why)."""
    return _registration_out(register_svc.get_registration(session, actor, registration_id))


@api.post("/register/{registration_id}/actions", response_model=RegistrationOut)
def act_api(
    registration_id: DbId, body: ActIn, session: SessionDep, actor: ActorDep
) -> RegistrationOut:
    """Take one step: the authority's admins review, admit (after the public notice; never
    without a passed review), sanction, lift and decide appeals; the provider appeals.
    409 when the state does not allow it."""
    details = body.model_dump(exclude={"action", "revision"}, exclude_none=True)
    register_svc.act(session, actor, registration_id, body.action, details, revision=body.revision)
    return _registration_out(register_svc.get_registration(session, actor, registration_id))


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=200)


FormDep = Annotated[FormData, Depends(_form)]


def _common() -> dict[str, Any]:
    return {
        "scene_label": scene_label,
        "SOLUTION_STATUS_LABELS": SOLUTION_STATUS_LABELS,
        "STATUS_LABELS_REG": register_rules.STATUS_LABELS,
        "ACTION_LABELS": register_rules.ACTION_LABELS,
        "SANCTION_LABELS": {k: v[0] for k, v in register_rules.SANCTIONS.items()},
    }


@pages.get("/solutions")
def catalogue_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    scene: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL)] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL)] = None,
    provider: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mine: bool = False,
    page: QueryPage = 1,
) -> Response:
    error = None
    try:
        result = svc.list_solutions(
            session, actor, scene=scene, q=q, provider_id=provider, mine=mine, page=page
        )
    except FieldError as exc:
        error = exc.message
        result = svc.list_solutions(session, actor, provider_id=provider, mine=mine, page=page)
    rated = register_svc.ratings(session, {r.row.provider_id for r in result.items})
    return render(
        request,
        "providers/catalogue.html",
        {
            **_common(),
            "result": result,
            "scene": scene or "",
            "q": q or "",
            "mine": mine,
            "provider": provider,
            "ratings": rated,
            "scene_options": [(s.key, s.label) for s in scenes()],
            "is_provider": bool(actor.provider_ids),
            "error": error,
        },
        422 if error else 200,
    )


def _solution_form(
    request: Request,
    values: dict[str, str],
    *,
    row: Solution | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "providers/solution_form.html",
        {
            **_common(),
            "v": values,
            "row": row,
            "error": error,
            "field": field,
            "labels": svc.FIELD_LABELS,
            "scene_options": [(s.label, s.key) for s in scenes()],
            "bands": list(PRICE_BANDS),
            "deployments": [*DEPLOYMENTS.values(), "均可"],
            "sizes": list(SIZE_CLASSES.values()),
        },
        status_code,
    )


_FORM_FIELDS = ("ref", *svc.FIELDS)
_FORM_LIMITS = {
    "ref": 64,
    "name": 200,
    "scene": 100,
    "from_level": 10,
    "to_level": 10,
    "deployment": 100,
    "price_band": 100,
    "price_min": 40,
    "price_max": 40,
    "delivery_weeks": 40,
}


def _form_values(form: FormData) -> dict[str, str]:
    out = {}
    for key in _FORM_FIELDS:
        value = form.get(key)
        out[key] = value if isinstance(value, str) else ""
    return out


def _checked(values: dict[str, str]) -> dict[str, str]:
    """The form's texts, each within its length and without control characters."""
    out = {}
    for key, value in values.items():
        limit = _FORM_LIMITS.get(key, 4000)
        label = svc.FIELD_LABELS.get(key, "方案编号")
        if len(value) > limit:
            raise FieldError(f"{label}不能超过 {limit} 字", field=key)
        out[key] = check_text(value, key, label, multiline=limit == 4000)
    return out


@pages.get("/solutions/new")
def new_page(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    if not actor.provider_ids:
        raise Forbidden("只有服务商成员可以发布方案")
    return _solution_form(request, dict.fromkeys(_FORM_FIELDS, ""))


@pages.post("/solutions/new")
def create_page(
    request: Request, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    values = _form_values(form)
    try:
        checked = _checked(values)
        row = svc.create(session, actor, {k: checked[k] for k in svc.FIELDS}, ref=checked["ref"])
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _solution_form(
            request, values, error=exc.message, field=exc.field, status_code=exc.status
        )
    return RedirectResponse(f"/solutions/{row.id}", status_code=303)


@pages.get("/solutions/upload")
def upload_form(request: Request, actor: PageActorDep) -> Response:
    if not actor.provider_ids:
        raise Forbidden("只有服务商成员可以上传方案目录")
    return render(request, "providers/upload.html", {"report": None, "mode": "all_or_nothing"})


@pages.post("/solutions/upload")
def upload_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(max_length=20)] = "all_or_nothing",
) -> Response:
    try:
        if mode not in ("all_or_nothing", "valid_only"):
            raise FieldError("请选择保存方式", field="mode")
        report = svc.upload(session, actor, file.file.read(), file.filename or "", mode=mode)  # type: ignore[arg-type]
    except (FieldError, Conflict) as exc:
        session.rollback()
        return render(
            request,
            "providers/upload.html",
            {"report": None, "mode": mode, "error": exc.message, "field": exc.field},
            exc.status,
        )
    status = 200 if report.saved or not report.errors else 422
    return render(request, "providers/upload.html", {"report": report, "mode": mode}, status)


@pages.get("/solutions/{solution_id}")
def solution_page(
    request: Request, solution_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    r = svc.get_solution(session, actor, solution_id)
    engine = svc.engine_solution(r.row, r.provider_name)
    mine = actor.is_platform_admin or r.row.provider_id in actor.provider_ids
    rating = register_svc.ratings(session, [r.row.provider_id]).get(r.row.provider_id)
    return render(
        request,
        "providers/solution.html",
        {
            **_common(),
            "r": r,
            "s": engine,
            "mine": mine,
            "rating": rating,
            "fields": svc.form_fields(r.row),
            "labels": svc.FIELD_LABELS,
        },
    )


@pages.get("/solutions/{solution_id}/edit")
def edit_page(
    request: Request, solution_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    from nqpf.web.authz import solution_for

    row = solution_for(session, actor, solution_id, "edit")
    return _solution_form(request, {"ref": row.ref, **svc.form_fields(row)}, row=row)


@pages.post("/solutions/{solution_id}/edit")
def edit_submit(
    request: Request, solution_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    from nqpf.web.authz import solution_for

    row = solution_for(session, actor, solution_id, "edit")
    values = _form_values(form)
    values["ref"] = row.ref
    try:
        seen = form_revision(form)
        checked = _checked(values)
        svc.update_solution(session, actor, solution_id, {k: checked[k] for k in svc.FIELDS}, seen)
    except (FieldError, Conflict) as exc:
        session.rollback()
        row = solution_for(session, actor, solution_id, "edit")
        return _solution_form(
            request, values, row=row, error=exc.message, field=exc.field, status_code=exc.status
        )
    return RedirectResponse(f"/solutions/{solution_id}", status_code=303)


@pages.post("/solutions/{solution_id}/withdraw")
def withdraw_page(solution_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    svc.set_status(session, actor, solution_id, "withdrawn")
    return RedirectResponse(f"/solutions/{solution_id}", status_code=303)


@pages.post("/solutions/{solution_id}/publish")
def publish_page(solution_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    svc.set_status(session, actor, solution_id, "published")
    return RedirectResponse(f"/solutions/{solution_id}", status_code=303)


def _register_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    views = register_svc.list_registrations(session, actor)
    applied = {v.row.authority_id for v in views if v.row.provider_id in actor.provider_ids}
    choices = (
        [a for a in register_svc.authorities(session) if a.id not in applied]
        if actor.provider_ids
        else []
    )
    return render(
        request,
        "providers/register.html",
        {
            **_common(),
            "views": views,
            "choices": choices,
            "error": error,
            "field": field,
            "v": values or {"authority_id": "", "statement": ""},
            "is_provider": bool(actor.provider_ids),
        },
        status_code,
    )


@pages.get("/register")
def register_page(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    return _register_page(request, session, actor)


@pages.post("/register")
def apply_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    authority_id: Annotated[str, Form(max_length=12)] = "",
    statement: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    values = {"authority_id": authority_id, "statement": statement}
    try:
        if not authority_id.strip().isdigit() or not 1 <= int(authority_id) <= MAX_ID:
            raise FieldError("请选择主管部门", field="authority_id")
        text = check_text(statement, "statement", "申请说明", multiline=True)
        row = register_svc.apply(session, actor, int(authority_id), text)
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _register_page(
            request,
            session,
            actor,
            values=values,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/register/{row.id}", status_code=303)


def _registration_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    registration_id: int,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    view = register_svc.get_registration(session, actor, registration_id)
    r = view.row
    side = {
        "authority": actor.is_admin_of(r.authority_id),
        "provider": actor.is_platform_admin or r.provider_id in actor.provider_ids,
    }
    actions = [a for a in view.actions if a != "apply" and side[register_rules.ACTIONS[a]]]
    return render(
        request,
        "providers/registration.html",
        {
            **_common(),
            "view": view,
            "actions": actions,
            "error": error,
            "field": field,
            "v": values or {},
            "standing": register_rules.standing(r.status),
        },
        status_code,
    )


@pages.get("/register/{registration_id}")
def registration_page(
    request: Request, registration_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    return _registration_page(request, session, actor, registration_id)


_ACT_LIMITS = {
    "action": 20,
    "revision": 12,
    "experts": 2000,
    "score": 20,
    "passed": 5,
    "notice_days": 5,
    "kind": 20,
    "upheld": 5,
    "opinion": 4000,
    "reason": 4000,
}


@pages.post("/register/{registration_id}/act")
def act_page(
    request: Request, registration_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    values = {k: (form.get(k) if isinstance(form.get(k), str) else "") for k in _ACT_LIMITS}
    try:
        for key, limit in _ACT_LIMITS.items():
            if len(values[key]) > limit:  # type: ignore[arg-type]
                raise FieldError("输入过长", field=key)
        action = str(values["action"])
        details: dict[str, Any] = {}
        if values["experts"]:
            details["experts"] = [
                check_text(e, "experts", "专家名单")
                for e in str(values["experts"]).replace("，", ",").replace("、", ",").split(",")
                if e.strip()
            ]
        if values["score"]:
            try:
                details["score"] = float(str(values["score"]))
            except ValueError:
                raise FieldError("评审得分应为 0–100 的数字", field="score") from None
        if values["notice_days"]:
            text = str(values["notice_days"]).strip()
            if not text.isdigit():
                raise FieldError("公示天数应为 1–30 的整数", field="notice_days")
            details["notice_days"] = int(text)
        for key in ("passed", "upheld"):
            if values[key]:
                details[key] = values[key] == "1"
        for key in ("opinion", "reason"):
            if values[key]:
                details[key] = check_text(str(values[key]), key, "说明", multiline=True)
        if values["kind"]:
            details["kind"] = values["kind"]
        seen = form_revision(form) if values["revision"] else None
        register_svc.act(session, actor, registration_id, action, details, revision=seen)
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _registration_page(
            request,
            session,
            actor,
            registration_id,
            values=values,  # type: ignore[arg-type]
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/register/{registration_id}", status_code=303)
