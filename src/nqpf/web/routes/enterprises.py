"""Enterprises: profiles, provider shares and bulk import (pages and JSON endpoints)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from nqpf.codes import province_names, region_label
from nqpf.services.assess_rollup import rollup_xlsx
from nqpf.services.enterprises import STAGES
from nqpf.services.maps import industry_display, region_display, region_path
from nqpf.web.authz import Actor, may
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError, Forbidden
from nqpf.web.models import Organization
from nqpf.web.routes._shared import MAX_ID, XLSX, download
from nqpf.web.services import enterprise_import, profiles, shares
from nqpf.web.services.dashboard import BEIJING, beijing_time
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
    region_name: str | None = Field(
        default=None, description="Full region name (广东省深圳市南山区) or 未知地区（code）"
    )
    industry_name: str | None = Field(
        default=None, description="GB/T 4754-2017 name or 未知行业（code）"
    )
    latest_total: float | None = Field(
        default=None, description="Total of the latest submitted assessment of the list's framework"
    )
    latest_at: datetime | None = Field(default=None, description="When it was submitted (UTC)")


class EnterpriseList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EnterpriseOut]


ShareCategory = Literal["profile", "results", "energy_carbon", "revenue_output"]


class ShareIn(BaseModel):
    provider_id: int = Field(ge=1, le=MAX_ID)
    categories: list[ShareCategory] = Field(
        default_factory=lambda: list(shares.MIGRATED_CATEGORIES),
        max_length=4,
        description="Data shared: profile (always), results, energy_carbon, revenue_output",
    )


class ShareOut(BaseModel):
    provider_id: int
    provider_name: str
    created_at: datetime | None
    created_by: str | None
    categories: list[str]
    narrowed: bool = Field(description="Narrowed to profile and results by the migration")


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


def _out(organization: Organization, level: str | None = None, latest: Any = None) -> EnterpriseOut:
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
        region_name=region_path(profile.region_code) if profile else None,
        industry_name=industry_display(profile.industry) if profile else None,
        latest_total=latest.total if latest is not None else None,
        latest_at=latest.submitted_at if latest is not None else None,
    )


# --------------------------------------------------------------------------- JSON API


ListStatus = Literal["assessed", "unassessed", "stale", "due"]
ListSort = Literal["name", "region", "industry", "size", "level", "total", "assessed_at"]
FrameworkQ = Annotated[
    str,
    Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$", description="Framework key"),
]
RegionQ = Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$", description="Region prefix")]
IndustryQ = Annotated[
    str, Query(max_length=5, pattern=r"^[A-Za-z]?[0-9]*$", description="Industry prefix")
]
ChainQ = Annotated[str, Query(max_length=50, description="Industry chain name")]
ScoreQ = Annotated[float | None, Query(ge=0, le=1000, description="Score band bound")]
LevelQ = Annotated[int | None, Query(ge=0, le=10, description="Latest level (0 = 未达一级)")]


def _list_filters(**raw: Any) -> profiles.ListFilters:
    return profiles.clean_list_filters(**raw)


@api.get("/enterprises", response_model=EnterpriseList)
def list_enterprises(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=100, description="Name or credit code substring")] = "",
    region: RegionQ = "",
    industry: IndustryQ = "",
    size: SizeClass | None = None,
    chain: ChainQ = "",
    stage: Stage | None = None,
    level: LevelQ = None,
    score_min: ScoreQ = None,
    score_max: ScoreQ = None,
    status: ListStatus | None = None,
    framework: FrameworkQ = profiles.DEFAULT_LIST_FRAMEWORK,
    sort: ListSort = "name",
    desc: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> EnterpriseList:
    """Enterprises the caller may see, filtered (region, industry, size, chain and stage,
    latest level, score band, assessment status of ``framework``: ``stale`` = latest
    older than a year, ``due`` = none or stale), sorted (missing values last) and paged,
    with names and the latest submitted level."""
    f = _list_filters(
        q=q, region=region, industry=industry, size=size or "", chain=chain, stage=stage or "",
        level=level, score_min=score_min, score_max=score_max, status=status or "",
        framework=framework, sort=sort, desc=desc,
    )  # fmt: skip
    page = profiles.list_enterprises(session, actor, filters=f, limit=limit, offset=offset)
    return EnterpriseList(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[_out(o, page.levels.get(o.id), page.latest.get(o.id)) for o in page.items],
    )


_EXPORT_HEAD = [
    "企业名称", "统一社会信用代码", "地区", "地区代码", "行业", "行业代码", "规模", "产业链",
    "最新等级", "最新总分", "最近提交（北京时间）",
]  # fmt: skip


def _export_cells(r: profiles.ExportRow) -> list[Any]:
    return [
        r.name, r.credit_code, region_path(r.region_code) if r.region_code else "",
        r.region_code, industry_display(r.industry) if r.industry else "", r.industry,
        SIZE_NAMES.get(r.size_class, r.size_class), profiles.format_chains(r.chains),
        r.level_name or ("未评测" if r.level is None else ""),
        None if r.total is None else round(r.total, 1),
        beijing_time(r.submitted_at, "%Y-%m-%d %H:%M") if r.submitted_at else "",
    ]  # fmt: skip


SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def _about(f: profiles.ListFilters, title: str, n: int, demo: bool) -> list[list[Any]]:
    from datetime import UTC
    from datetime import datetime as dt

    rows: list[list[Any]] = [["标题", title]]
    if demo:
        rows.append(["数据性质", "示例数据，非真实统计"])
    shown = {
        "名称/代码": f.q, "地区": region_path(f.region) if f.region else "", "行业":
        industry_display(f.industry) if f.industry else "", "规模": SIZE_NAMES.get(f.size, ""),
        "产业链": f.chain, "环节": f.stage, "等级": "" if f.level is None else str(f.level),
        "分数下限": "" if f.score_min is None else f.score_min,
        "分数上限": "" if f.score_max is None else f.score_max,
        "评测状态": STATUS_NAMES.get(f.status, ""),
    }  # fmt: skip
    rows += [[k, v] for k, v in shown.items() if v not in ("", None)]
    rows += [
        ["评测框架", f.framework],
        ["企业数", n],
        [
            "生成时间",
            dt.now(UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）",
        ],
    ]
    return rows


STATUS_NAMES = {
    "assessed": "已评测",
    "unassessed": "未评测",
    "stale": "最近评测已超过一年",
    "due": "待评测（未评测或超过一年）",
}


@api.get(
    "/enterprises.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The filtered list as XLSX"}},
)
def export_enterprises(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=100)] = "",
    region: RegionQ = "",
    industry: IndustryQ = "",
    size: SizeClass | None = None,
    chain: ChainQ = "",
    stage: Stage | None = None,
    level: LevelQ = None,
    score_min: ScoreQ = None,
    score_max: ScoreQ = None,
    status: ListStatus | None = None,
    framework: FrameworkQ = profiles.DEFAULT_LIST_FRAMEWORK,
    sort: ListSort = "name",
    desc: bool = False,
) -> Response:
    """Every enterprise of the filtered list (same filters and order as the list) as an
    XLSX workbook: names and codes of region and industry, level, total, time."""
    f = _list_filters(
        q=q, region=region, industry=industry, size=size or "", chain=chain, stage=stage or "",
        level=level, score_min=score_min, score_max=score_max, status=status or "",
        framework=framework, sort=sort, desc=desc,
    )  # fmt: skip
    rows = profiles.export_rows(session, actor, f)
    demo = bool(getattr(request.app.state, "demo", False))
    body = rollup_xlsx(
        {
            "说明": (["项目", "内容"], _about(f, "企业名单", len(rows), demo)),
            "企业名单": (_EXPORT_HEAD, [_export_cells(r) for r in rows]),
        }
    )
    return download(body, "enterprises.xlsx", label="企业名单.xlsx")


@api.get(
    "/enterprises/reminders.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The reminder list for mail merge"}},
)
def export_reminders(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    region: RegionQ = "",
    industry: IndustryQ = "",
    chain: ChainQ = "",
    framework: FrameworkQ = profiles.DEFAULT_LIST_FRAMEWORK,
) -> Response:
    """The reminder list for mail merge: enterprises without a submitted assessment of
    ``framework`` or whose latest is older than a year, one row per enterprise admin
    (联系人, 邮箱) — enterprises without an admin keep one row with empty contact."""
    f = _list_filters(
        region=region, industry=industry, chain=chain, status="due", framework=framework,
        sort="assessed_at",
    )  # fmt: skip
    rows = profiles.export_rows(session, actor, f, contacts=True)
    head = ["联系人", "邮箱", *_EXPORT_HEAD, "提醒原因"]
    cells = []
    for r in rows:
        reason = "尚未提交评测" if r.submitted_at is None else "最近一次评测已超过一年"
        for name, email in r.contacts or (("", ""),):
            cells.append([name, email, *_export_cells(r), reason])
    demo = bool(getattr(request.app.state, "demo", False))
    body = rollup_xlsx(
        {
            "说明": (
                ["项目", "内容"],
                _about(f, "待评测企业提醒名单（邮件合并）", len(rows), demo),
            ),
            "提醒名单": (head, cells),
        }
    )
    return download(body, "reminders.xlsx", label="待评测企业提醒名单.xlsx")


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
    level = (
        profiles.latest_levels(session, [organization.id]).get(organization.id)
        if shares.may_read_category(session, actor, organization, "results")
        else None
    )
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
    row = shares.add_share(session, actor, enterprise_id, body.provider_id, body.categories)
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
    return [region_label(scope, style="full") for scope in sorted(set(actor.region_scopes()))]


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


LIST_PARAMS = ("q", "region", "industry", "size", "chain", "stage", "level", "score_min",
               "score_max", "status", "framework", "sort", "desc")  # fmt: skip
PageText = Annotated[str, Query(max_length=100)]


def _number(text: str, kind: type) -> Any:
    try:
        return kind(text) if text.strip() else None
    except ValueError:
        return "bad"


def _list_page(
    request: Request,
    session: Any,
    actor: Actor,
    raw: dict[str, str],
    page: int,
    *,
    reminders: bool = False,
) -> Response:
    values = {k: (raw.get(k) or "").strip() for k in LIST_PARAMS}
    if reminders:
        values["status"] = "due"
        values["sort"] = values["sort"] or "assessed_at"
    error = None
    numbers = {
        "level": _number(values["level"], int),
        "score_min": _number(values["score_min"], float),
        "score_max": _number(values["score_max"], float),
    }
    try:
        bad = next((k for k, v in numbers.items() if v == "bad"), None)
        if bad:
            raise FieldError(f"{bad} 应为数字", field=bad)
        f = profiles.clean_list_filters(
            **{k: values[k] for k in LIST_PARAMS if k not in numbers and k != "desc"},
            **numbers,
            desc=values["desc"] in ("1", "true", "on"),
        )
    except FieldError as exc:
        error = exc
        f = profiles.clean_list_filters(status="due" if reminders else "")
    result = profiles.list_enterprises(
        session, actor, filters=f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages_total = max(1, -(-result.total // PAGE_SIZE))
    applied = {k: v for k, v in values.items() if v} if error is None else {}
    if reminders:
        applied.pop("status", None)
    query = urlencode(applied)
    api_query = urlencode({k: v for k, v in applied.items() if k != "desc" or v})
    return render(
        request,
        "enterprises/list.html",
        {
            "result": result,
            "filters": values,
            "error": error,
            "page": page,
            "pages_total": pages_total,
            "scopes": _scope_labels(actor),
            "can_create": profiles.can_create(actor),
            "format_chains": profiles.format_chains,
            "region_path": region_path,
            "industry_display": industry_display,
            "region_name": region_display,
            "beijing": beijing_time,
            "query": query,
            "sort_url": lambda key: (
                "?"
                + urlencode(
                    {
                        **{k: v for k, v in applied.items() if k not in ("sort", "desc")},
                        "sort": key,
                        **({"desc": "1"} if f.sort == key and not f.desc else {}),
                    }
                )
            ),
            "sort": f.sort,
            "desc": f.desc,
            "stages": STAGES,
            "statuses": STATUS_NAMES,
            "export_url": (
                "/api/v1/enterprises/reminders.xlsx" if reminders else "/api/v1/enterprises.xlsx"
            )
            + (f"?{api_query}" if api_query else ""),
            "reminders": reminders,
            "framework": f.framework,
        },
        422 if error else 200,
    )


@pages.get("/enterprises")
def list_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    q: PageText = "",
    region: Annotated[str, Query(max_length=12)] = "",
    industry: Annotated[str, Query(max_length=5)] = "",
    size: Annotated[str, Query(max_length=8)] = "",
    chain: Annotated[str, Query(max_length=50)] = "",
    stage: Annotated[str, Query(max_length=8)] = "",
    level: Annotated[str, Query(max_length=4)] = "",
    score_min: Annotated[str, Query(max_length=10)] = "",
    score_max: Annotated[str, Query(max_length=10)] = "",
    status: Annotated[str, Query(max_length=12)] = "",
    framework: Annotated[str, Query(max_length=64)] = "",
    sort: Annotated[str, Query(max_length=12)] = "",
    desc: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The officers' enterprise list: filters, sort, pages, XLSX export."""
    raw = dict(q=q, region=region, industry=industry, size=size, chain=chain, stage=stage,
               level=level, score_min=score_min, score_max=score_max, status=status,
               framework=framework, sort=sort, desc=desc)  # fmt: skip
    return _list_page(request, session, actor, raw, page)


@pages.get("/enterprises/reminders")
def reminders_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    region: Annotated[str, Query(max_length=12)] = "",
    industry: Annotated[str, Query(max_length=5)] = "",
    chain: Annotated[str, Query(max_length=50)] = "",
    framework: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The reminder list: enterprises not yet assessed or last assessed over a year ago."""
    raw = dict(region=region, industry=industry, chain=chain, framework=framework)
    return _list_page(request, session, actor, raw, page, reminders=True)


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
            "level": profiles.latest_levels(session, [organization.id]).get(organization.id)
            if shares.may_read_category(session, actor, organization, "results")
            else None,
            "share_categories": shares.SHARE_CATEGORIES,
            "can_manage": may(actor, organization, "manage", session),
            "share_admin": share_admin,
            "shares": shared,
            "providers": providers,
            "province": province_names().get(
                (organization.profile.region_code if organization.profile else "")[:2], ""
            ),
            "region_name": region_path(organization.profile.region_code)
            if organization.profile
            else "",
            "beijing": beijing_time,
            "industry_name": industry_display(organization.profile.industry)
            if organization.profile
            else "",
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
    categories: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    shares.add_share(session, actor, enterprise_id, provider_id, categories)
    return RedirectResponse(f"/enterprises/{enterprise_id}#shares", status_code=303)


@pages.post("/enterprises/{enterprise_id}/shares/{provider_id}/delete")
def unshare_submit(
    enterprise_id: EnterpriseId, provider_id: ProviderId, session: SessionDep, actor: PageActorDep
) -> Response:
    shares.remove_share(session, actor, enterprise_id, provider_id)
    return RedirectResponse(f"/enterprises/{enterprise_id}#shares", status_code=303)
