"""Enterprises: profiles, provider shares and bulk import (pages and JSON endpoints)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from nqpf.codes import province_names, region_label
from nqpf.services.enterprises import SIZE_CLASSES, STAGES
from nqpf.web.authz import Actor, may
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError, Forbidden
from nqpf.web.models import Organization
from nqpf.web.routes._shared import MAX_ID, download
from nqpf.web.services import enterprise_import, profiles, shares
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["enterprises"])
pages = APIRouter()

PAGE_SIZE = 50
EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID, description="Enterprise organization id")]
ProviderId = Annotated[int, Path(ge=1, le=MAX_ID, description="Provider organization id")]
SizeClass = Literal["large", "medium", "small", "micro"]
Stage = Literal["上游", "中游", "下游"]
ImportMode = Literal["all_or_nothing", "valid_only"]


# --------------------------------------------------------------------------- models


class Chain(BaseModel):
    chain: str = Field(min_length=1, max_length=50, description="Industry chain, e.g. 新能源汽车")
    stage: Stage = Field(description="上游 / 中游 / 下游")


class EnterpriseCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(
        min_length=1, max_length=24, description="统一社会信用代码 (check character verified)"
    )
    industry: str = Field(
        min_length=1, max_length=8, description="GB/T 4754 code: letter A–T + 2–4 digits"
    )
    region_code: str = Field(
        min_length=1, max_length=16, description="NBS region code, 6 or 12 digits"
    )
    size_class: str = Field(
        min_length=1, max_length=8, description="large/medium/small/micro or 大型/中型/小型/微型"
    )
    chains: list[Chain] = Field(default_factory=list, max_length=20)


class EnterprisePatch(BaseModel):
    """Only the fields sent are changed (``null`` = unchanged)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    credit_code: str | None = Field(default=None, min_length=1, max_length=24)
    industry: str | None = Field(default=None, min_length=1, max_length=8)
    region_code: str | None = Field(default=None, min_length=1, max_length=16)
    size_class: str | None = Field(default=None, min_length=1, max_length=8)
    chains: list[Chain] | None = Field(default=None, max_length=20)


class EnterpriseOut(BaseModel):
    id: int
    name: str
    credit_code: str | None
    industry: str | None
    region_code: str | None
    size_class: str | None
    chains: list[Chain]
    latest_level: str | None = Field(
        default=None, description="level_name of the latest submitted assessment"
    )


class EnterpriseList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EnterpriseOut]


class ShareIn(BaseModel):
    provider_id: int = Field(ge=1, le=MAX_ID)


class ShareOut(BaseModel):
    provider_id: int
    provider_name: str
    created_at: datetime | None
    created_by: str | None


class ImportRowError(BaseModel):
    row: int = Field(description="Spreadsheet row number (the header is row 1)")
    column: str = Field(description="The column header as written in the file")
    field: str = Field(description="Canonical field name")
    value: str
    message: str


class ImportResult(BaseModel):
    imported: int
    ids: list[int]
    errors: list[ImportRowError]
    dry_run: bool
    mode: ImportMode
    total_rows: int
    valid_rows: int


def _out(organization: Organization, level: str | None = None) -> EnterpriseOut:
    profile = organization.profile
    chains = [
        Chain.model_validate(c)
        for c in (profile.chains if profile is not None else None) or []
        if isinstance(c, dict) and c.get("stage") in STAGES and c.get("chain")
    ]
    return EnterpriseOut(
        id=organization.id,
        name=organization.name,
        credit_code=profile.credit_code if profile else None,
        industry=profile.industry if profile else None,
        region_code=profile.region_code if profile else None,
        size_class=profile.size_class if profile else None,
        chains=chains,
        latest_level=level,
    )


# --------------------------------------------------------------------------- JSON API


@api.get("/enterprises", response_model=EnterpriseList)
def list_enterprises(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=100, description="Name or credit code substring")] = "",
    region: Annotated[
        str, Query(max_length=12, pattern=r"^[0-9]*$", description="Region code prefix")
    ] = "",
    industry: Annotated[
        str, Query(max_length=5, pattern=r"^[A-Za-z]?[0-9]*$", description="Industry prefix")
    ] = "",
    size: SizeClass | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> EnterpriseList:
    """Enterprises the caller may see, sorted by name, with the latest submitted level."""
    page = profiles.list_enterprises(
        session, actor, q=q, region=region, industry=industry, size=size, limit=limit, offset=offset
    )
    return EnterpriseList(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[_out(o, page.levels.get(o.id)) for o in page.items],
    )


@api.post("/enterprises", response_model=EnterpriseOut, status_code=201)
def create_enterprise(
    body: EnterpriseCreate, session: SessionDep, actor: ActorDep
) -> EnterpriseOut:
    """Create an enterprise (platform admin, or authority admin within its region scope).

    422 names the bad field; 409 when the credit code is already registered."""
    organization = profiles.create_enterprise(session, actor, body.model_dump())
    return _out(organization)


@api.get("/enterprises/import/template.csv", response_class=Response)
def import_template(actor: ActorDep) -> Response:
    """The CSV template for the bulk import (header row + one example row marked 示例)."""
    return download(
        enterprise_import.import_template_csv(),
        "enterprises-template.csv",
        "text/csv; charset=utf-8",
    )


@api.post("/enterprises/import", response_model=ImportResult)
async def import_enterprises(
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
    mode: Annotated[ImportMode, Form()] = "all_or_nothing",
    dry_run: Annotated[bool, Form()] = False,
) -> ImportResult:
    """Bulk-create enterprises from a CSV/XLSX file (authority admin or platform admin).

    Every row is validated; ``errors`` lists each bad cell (row as the spreadsheet shows
    it, header = row 1).  ``all_or_nothing`` imports nothing if any row is bad,
    ``valid_only`` imports the good rows; ``dry_run`` only validates."""
    data = await file.read()
    report = enterprise_import.import_enterprises(
        session, actor, file.filename or "", data, mode=mode, dry_run=dry_run
    )
    return ImportResult.model_validate(report, from_attributes=True)


@api.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(
    enterprise_id: EnterpriseId, session: SessionDep, actor: ActorDep
) -> EnterpriseOut:
    """One enterprise (404 when it does not exist or the caller may not see it)."""
    organization = profiles.get_enterprise(session, actor, enterprise_id)
    level = profiles.latest_levels(session, [organization.id]).get(organization.id)
    return _out(organization, level)


@api.patch("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def update_enterprise(
    enterprise_id: EnterpriseId, body: EnterprisePatch, session: SessionDep, actor: ActorDep
) -> EnterpriseOut:
    """Change profile fields (enterprise admin, authority admin in scope, platform admin)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    organization = profiles.update_enterprise(session, actor, enterprise_id, changes)
    return _out(organization)


@api.get("/enterprises/{enterprise_id}/shares", response_model=list[ShareOut])
def list_shares(
    enterprise_id: EnterpriseId, session: SessionDep, actor: ActorDep
) -> list[ShareOut]:
    """Providers the enterprise shares its profile and results with (its admins)."""
    return [
        ShareOut.model_validate(s, from_attributes=True)
        for s in shares.list_shares(session, actor, enterprise_id)
    ]


@api.post("/enterprises/{enterprise_id}/shares", response_model=ShareOut, status_code=201)
def add_share(
    enterprise_id: EnterpriseId, body: ShareIn, session: SessionDep, actor: ActorDep
) -> ShareOut:
    """Share with a service provider (enterprise admin or platform admin; 409 if shared)."""
    row = shares.add_share(session, actor, enterprise_id, body.provider_id)
    return ShareOut.model_validate(row, from_attributes=True)


@api.delete("/enterprises/{enterprise_id}/shares/{provider_id}", status_code=204)
def remove_share(
    enterprise_id: EnterpriseId, provider_id: ProviderId, session: SessionDep, actor: ActorDep
) -> Response:
    """Stop sharing with a provider (404 when not shared)."""
    shares.remove_share(session, actor, enterprise_id, provider_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- pages


def _scope_labels(actor: Actor) -> list[str]:
    return [region_label(scope) for scope in sorted(set(actor.region_scopes()))]


def _form_values(organization: Organization | None = None) -> dict[str, str]:
    if organization is None:
        return dict.fromkeys(profiles.FIELDS, "")
    profile = organization.profile
    return {
        "name": organization.name,
        "credit_code": profile.credit_code if profile else "",
        "industry": profile.industry if profile else "",
        "region_code": profile.region_code if profile else "",
        "size_class": profile.size_class if profile else "",
        "chains": profiles.format_chains(profile.chains if profile else []),
    }


@pages.get("/enterprises")
def list_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    q: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    industry: Annotated[str, Query(max_length=5)] = "",
    size: Annotated[str, Query(max_length=8)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = {"q": q.strip(), "region": region.strip(), "industry": industry.strip(), "size": size}
    if filters["size"] not in ("", *SIZE_CLASSES):
        filters["size"] = ""
    result = profiles.list_enterprises(
        session,
        actor,
        q=filters["q"],
        region=filters["region"] if filters["region"].isdigit() else "",
        industry=filters["industry"],
        size=filters["size"],
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages_total = max(1, -(-result.total // PAGE_SIZE))
    return render(
        request,
        "enterprises/list.html",
        {
            "result": result,
            "filters": filters,
            "page": page,
            "pages_total": pages_total,
            "scopes": _scope_labels(actor),
            "can_create": profiles.can_create(actor),
            "format_chains": profiles.format_chains,
        },
    )


def _form_page(
    request: Request,
    *,
    organization: Organization | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "enterprises/form.html",
        {
            "organization": organization,
            "values": values,
            "errors": errors or {},
            "stages": STAGES,
        },
        status_code,
    )


def _submitted(
    name: str, credit_code: str, industry: str, region_code: str, size_class: str, chains: str
) -> dict[str, str]:
    return {
        "name": name,
        "credit_code": credit_code,
        "industry": industry,
        "region_code": region_code,
        "size_class": size_class,
        "chains": chains,
    }


def _save_form(
    request: Request,
    values: dict[str, str],
    save: Callable[[], Organization],
    shown: Callable[[], Organization | None],
) -> Response:
    """Save the form's ``values`` and go to the enterprise, or show the form again with
    the fields at fault (422) or the credit code taken (409); ``shown`` is the enterprise
    the form edits, read again after the failed transaction (None for a new one)."""
    try:
        organization = save()
    except profiles.InvalidInput as exc:
        errors, status_code = exc.errors, 422
    except Conflict as exc:
        errors, status_code = {exc.field or "credit_code": exc.message}, 409
    else:
        return RedirectResponse(f"/enterprises/{organization.id}", status_code=303)
    return _form_page(
        request, organization=shown(), values=values, errors=errors, status_code=status_code
    )


FormText = Annotated[str, Form(max_length=1000)]


@pages.get("/enterprises/new")
def new_page(request: Request, actor: PageActorDep) -> Response:
    if not profiles.can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以新建企业")
    return _form_page(request, organization=None, values=_form_values())


@pages.post("/enterprises/new")
def new_submit(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    name: FormText = "",
    credit_code: FormText = "",
    industry: FormText = "",
    region_code: FormText = "",
    size_class: FormText = "",
    chains: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    values = _submitted(name, credit_code, industry, region_code, size_class, chains)
    return _save_form(
        request,
        values,
        lambda: profiles.create_enterprise(session, actor, values),
        lambda: None,
    )


@pages.get("/enterprises/import")
def import_page(request: Request, actor: PageActorDep) -> Response:
    if not profiles.can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以批量导入企业")
    return render(
        request,
        "enterprises/import.html",
        {"report": None, "error": None, "mode": "all_or_nothing", "dry_run": False},
    )


@pages.post("/enterprises/import")
async def import_submit(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(max_length=20)] = "all_or_nothing",
    dry_run: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    dry = dry_run.lower() in ("1", "on", "true", "yes")
    data = await file.read()
    context: dict[str, Any] = {"report": None, "error": None, "mode": mode, "dry_run": dry}
    try:
        chosen: Any = mode if mode in ("all_or_nothing", "valid_only") else "?"
        context["report"] = enterprise_import.import_enterprises(
            session, actor, file.filename or "", data, mode=chosen, dry_run=dry
        )
    except FieldError as exc:
        context["error"] = exc.message
        return render(request, "enterprises/import.html", context, 422)
    return render(request, "enterprises/import.html", context)


@pages.get("/enterprises/{enterprise_id}")
def detail_page(
    request: Request, enterprise_id: EnterpriseId, session: SessionDep, actor: PageActorDep
) -> Response:
    organization = profiles.get_enterprise(session, actor, enterprise_id)
    share_admin = shares.may_manage_shares(actor, organization)
    shared = shares.list_shares(session, actor, enterprise_id) if share_admin else []
    shared_ids = {s.provider_id for s in shared}
    providers = (
        [p for p in shares.list_providers(session) if p.id not in shared_ids] if share_admin else []
    )
    return render(
        request,
        "enterprises/detail.html",
        {
            "org": organization,
            "profile": organization.profile,
            "level": profiles.latest_levels(session, [organization.id]).get(organization.id),
            "can_manage": may(actor, organization, "manage", session),
            "share_admin": share_admin,
            "shares": shared,
            "providers": providers,
            "province": province_names().get(
                (organization.profile.region_code if organization.profile else "")[:2], ""
            ),
        },
    )


@pages.get("/enterprises/{enterprise_id}/edit")
def edit_page(
    request: Request, enterprise_id: EnterpriseId, session: SessionDep, actor: PageActorDep
) -> Response:
    organization = profiles.get_enterprise(session, actor, enterprise_id)
    if not may(actor, organization, "manage", session):
        raise Forbidden(f"无权修改企业 {enterprise_id}")
    return _form_page(request, organization=organization, values=_form_values(organization))


@pages.post("/enterprises/{enterprise_id}/edit")
def edit_submit(
    request: Request,
    enterprise_id: EnterpriseId,
    session: SessionDep,
    actor: PageActorDep,
    name: FormText = "",
    credit_code: FormText = "",
    industry: FormText = "",
    region_code: FormText = "",
    size_class: FormText = "",
    chains: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    values = _submitted(name, credit_code, industry, region_code, size_class, chains)
    return _save_form(
        request,
        values,
        lambda: profiles.update_enterprise(session, actor, enterprise_id, values),
        lambda: profiles.get_enterprise(session, actor, enterprise_id),
    )


@pages.post("/enterprises/{enterprise_id}/shares")
def share_submit(
    enterprise_id: EnterpriseId,
    session: SessionDep,
    actor: PageActorDep,
    provider_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    shares.add_share(session, actor, enterprise_id, provider_id)
    return RedirectResponse(f"/enterprises/{enterprise_id}#shares", status_code=303)


@pages.post("/enterprises/{enterprise_id}/shares/{provider_id}/delete")
def unshare_submit(
    enterprise_id: EnterpriseId, provider_id: ProviderId, session: SessionDep, actor: PageActorDep
) -> Response:
    shares.remove_share(session, actor, enterprise_id, provider_id)
    return RedirectResponse(f"/enterprises/{enterprise_id}#shares", status_code=303)
