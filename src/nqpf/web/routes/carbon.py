"""Carbon inventory (能源与碳排放盘查) pages and JSON endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.datastructures import FormData

from nqpf.web.authz import enterprise_for
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError
from nqpf.web.i18n import download_filename
from nqpf.web.models import CarbonInventory, Organization
from nqpf.web.routes._shared import MAX_ID, XLSX, DbId, download
from nqpf.web.services import carbon as svc
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["carbon"])
pages = APIRouter()

Year = Annotated[int, Field(ge=1900, le=2100, description="Accounting year (must have factors)")]
# bounded, finite; the sign and the carrier's unit are checked by the service (422 naming
# records[i].quantity / .unit, like the page form)
Number = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
ShortText = Annotated[str, StringConstraints(max_length=40)]


# ------------------------------------------------------------------------ JSON models
class CarrierOut(BaseModel):
    name: str
    kind: str = Field(description="fuel | electricity | heat")
    unit: str = Field(description="The table (canonical) activity unit")
    accepted_units: list[str]
    factors_missing: list[str] = Field(
        description="Factors the tables do not give: records of this carrier cannot be accounted"
    )


class CreateIn(BaseModel):
    year: Year


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: ShortText
    quantity: Number = Field(description="≥ 0, in ``unit``")
    unit: Annotated[str, StringConstraints(max_length=20)] | None = Field(
        default=None, description="Blank: the carrier's table unit"
    )


class SaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=0, le=MAX_ID, description="The revision the client last saw")
    year: Year | None = None
    region: ShortText | None = Field(
        default=None, description="Province: NBS 2-digit code or name; null: none (national)"
    )
    grid_factor: Literal["national", "provincial"] | Number = Field(
        default="national", description="national, provincial or a value in tCO2/MWh"
    )
    records: list[RecordIn] = Field(default_factory=list, max_length=svc.MAX_RECORDS)
    output: Number | None = Field(default=None, description="工业总产值, 万元")
    revenue: Number | None = Field(default=None, description="营业收入, 万元")
    process_emissions: Number | None = Field(default=None, description="E过程, tCO2")


class InventoryOut(BaseModel):
    id: int
    enterprise_id: int
    year: int
    revision: int
    inputs: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class MetricOut(BaseModel):
    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change_pct: float | None


class YearOut(BaseModel):
    year: int
    inventory_id: int
    previous_year: int | None
    metrics: list[MetricOut]


def _out(row: CarbonInventory) -> InventoryOut:
    return InventoryOut(
        id=row.id,
        enterprise_id=row.enterprise_id,
        year=row.year,
        revision=row.revision,
        inputs=dict(row.inputs or {}),
        result=dict(row.result or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# --------------------------------------------------------------------------- JSON API
@api.get("/carbon/carriers", response_model=list[CarrierOut])
def carriers_api(actor: ActorDep) -> list[CarrierOut]:
    """Energy carriers of the factor tables: name, kind, table unit, accepted units."""
    return [
        CarrierOut(
            name=c.name,
            kind=c.kind,
            unit=c.unit,
            accepted_units=c.accepted_units,
            factors_missing=c.factors_missing,
        )
        for c in svc.carrier_table()
    ]


@api.get("/enterprises/{enterprise_id}/carbon", response_model=list[InventoryOut])
def list_api(enterprise_id: DbId, session: SessionDep, actor: ActorDep) -> list[InventoryOut]:
    """The enterprise's annual carbon inventories, newest year first."""
    return [_out(r) for r in svc.list_inventories(session, actor, enterprise_id)]


@api.get("/enterprises/{enterprise_id}/carbon/yoy", response_model=list[YearOut])
def yoy_api(enterprise_id: DbId, session: SessionDep, actor: ActorDep) -> list[YearOut]:
    """Year-over-year: energy, CO2 and intensities of each year against the previous one."""
    rows = svc.list_inventories(session, actor, enterprise_id)
    return [YearOut.model_validate(y) for y in svc.year_over_year(rows)]


@api.post("/enterprises/{enterprise_id}/carbon", response_model=InventoryOut, status_code=201)
def create_api(
    enterprise_id: DbId, body: CreateIn, session: SessionDep, actor: ActorDep
) -> InventoryOut:
    """Start the inventory of a year (409 on ``year`` when it exists)."""
    return _out(svc.create(session, actor, enterprise_id, body.year))


@api.get("/carbon/{inventory_id}", response_model=InventoryOut)
def get_api(inventory_id: DbId, session: SessionDep, actor: ActorDep) -> InventoryOut:
    """One inventory: its inputs and the computed result."""
    return _out(svc.get_inventory(session, actor, inventory_id))


@api.put("/carbon/{inventory_id}", response_model=InventoryOut)
def put_api(inventory_id: DbId, body: SaveIn, session: SessionDep, actor: ActorDep) -> InventoryOut:
    """Replace the inputs and recompute (422 names the field; 409 on a stale revision)."""
    row = svc.save(
        session,
        actor,
        inventory_id,
        revision=body.revision,
        year=body.year,
        region=body.region,
        grid_factor=body.grid_factor,
        records=[r.model_dump() for r in body.records],
        output=body.output,
        revenue=body.revenue,
        process_emissions=body.process_emissions,
    )
    return _out(row)


@api.delete("/carbon/{inventory_id}", status_code=204)
def delete_api(inventory_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """Delete an inventory."""
    svc.delete(session, actor, inventory_id)
    return Response(status_code=204)


@api.get(
    "/carbon/{inventory_id}/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def report_xlsx_api(inventory_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """Per-carrier lines, totals, factors used (source, confidence) and notes as XLSX."""
    row, data = svc.report_xlsx(session, actor, inventory_id)
    org = session.get(Organization, row.enterprise_id)
    label = download_filename(org.name if org else None, "碳排放盘查", f"{row.year}年", ext="xlsx")
    return download(data, f"carbon-{row.enterprise_id}-{row.year}.xlsx", label=label)


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=2000)


FormDep = Annotated[FormData, Depends(_form)]
BLANK_ROWS = 10


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _values(row: CarbonInventory) -> dict[str, Any]:
    """The stored inputs in the shape the form shows (strings)."""
    inputs = row.inputs or {}
    grid = inputs.get("grid_factor", "national")
    return {
        "year": str(row.year),
        "region": inputs.get("region") or "",
        "grid_mode": grid if isinstance(grid, str) else "user",
        "grid_value": "" if isinstance(grid, str) else _plain(grid),
        "output": _plain(inputs.get("output")),
        "revenue": _plain(inputs.get("revenue")),
        "process_emissions": _plain(inputs.get("process_emissions") or None),
        "rows": [
            {"carrier": r["carrier"], "quantity": _plain(r["quantity"]), "unit": r.get("unit", "")}
            for r in inputs.get("records") or []
        ],
    }


def _text(form: FormData, key: str, limit: int = 100) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _form_values(form: FormData) -> dict[str, Any]:
    """Raw form input (kept to show again); rows without carrier and quantity dropped."""

    def column(key: str, limit: int) -> list[str]:
        return [v.strip()[:limit] if isinstance(v, str) else "" for v in form.getlist(key)]

    carriers, quantities, units = (
        column("carrier", 100),
        column("quantity", 100),
        column("unit", 100),
    )
    n = max(len(carriers), len(quantities), len(units))
    rows = []
    for i in range(n):
        row = {
            "carrier": carriers[i] if i < len(carriers) else "",
            "quantity": quantities[i] if i < len(quantities) else "",
            "unit": units[i] if i < len(units) else "",
        }
        if row["carrier"] or row["quantity"]:
            rows.append(row)
    return {
        "year": _text(form, "year", 10),
        "region": _text(form, "region"),
        "grid_mode": _text(form, "grid_mode", 20) or "national",
        "grid_value": _text(form, "grid_value"),
        "output": _text(form, "output"),
        "revenue": _text(form, "revenue"),
        "process_emissions": _text(form, "process_emissions"),
        "rows": rows,
    }


def _revision(form: FormData) -> int:
    value = _text(form, "revision", 12)
    if not value.isdigit() or len(value) > 9:
        raise FieldError("版本号无效，请刷新页面", field="revision")
    return int(value)


def _inventory_page(
    request: Request,
    session: SessionDep,
    row: CarbonInventory,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    field: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    actor = request.state.actor
    org = enterprise_for(session, actor, row.enterprise_id, "read")
    can_edit = svc.can_assess(session, actor, row.enterprise_id)
    shown = values if values is not None else _values(row)
    blanks = max(BLANK_ROWS - len(shown["rows"]), 2) if can_edit else 0
    return render(
        request,
        "carbon/inventory.html",
        {
            "org": org,
            "row": row,
            "r": row.result or {},
            "v": shown,
            "blank_rows": blanks,
            "can_edit": can_edit,
            "error": error,
            "field": field,
            "message": message,
            "carriers": svc.carrier_table(),
            "units": sorted({u for c in svc.carrier_table() for u in c.accepted_units}),
            "provinces": svc.provinces(),
            "years": svc.inventory_years(),
            "CONFIDENCE_LABELS": svc.CONFIDENCE_LABELS,
            "GRID_KIND_LABELS": svc.GRID_KIND_LABELS,
            "fmt": _fmt,
        },
        status_code,
    )


def _list_page(
    request: Request,
    session: SessionDep,
    enterprise_id: int,
    *,
    error: str | None = None,
    field: str | None = None,
    year: str = "",
    status_code: int = 200,
) -> Response:
    actor = request.state.actor
    org = enterprise_for(session, actor, enterprise_id, "read")
    rows = svc.list_inventories(session, actor, enterprise_id)
    taken = {r.year for r in rows}
    free = [y for y in svc.inventory_years() if y not in taken]
    return render(
        request,
        "carbon/list.html",
        {
            "org": org,
            "rows": rows,
            "yoy": svc.year_over_year(rows),
            "can_assess": svc.can_assess(session, actor, enterprise_id),
            "years": svc.inventory_years(),
            "free_years": free,
            "year": year,
            "error": error,
            "field": field,
            "fmt": _fmt,
            "pct": _pct,
        },
        status_code,
    )


@pages.get("/enterprises/{enterprise_id}/carbon")
def list_page(
    request: Request, enterprise_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    return _list_page(request, session, enterprise_id)


@pages.post("/enterprises/{enterprise_id}/carbon")
def create_page(
    request: Request,
    enterprise_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    year: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        row = svc.create(session, actor, enterprise_id, year)
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _list_page(
            request, session, enterprise_id, error=exc.message, field=exc.field,
            year=year, status_code=exc.status,
        )  # fmt: skip
    return RedirectResponse(f"/carbon/{row.id}", status_code=303)


@pages.get("/carbon/{inventory_id}")
def inventory_page(
    request: Request, inventory_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    row = svc.get_inventory(session, actor, inventory_id)
    message = "已保存并重新核算" if request.query_params.get("saved") == "1" else None
    return _inventory_page(request, session, row, message=message)


@pages.post("/carbon/{inventory_id}/save")
def save_page(
    request: Request, inventory_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    row = svc.get_inventory(session, actor, inventory_id, "assess")
    values = _form_values(form)
    mode = values["grid_mode"]
    try:
        revision = _revision(form)
        svc.save(
            session,
            actor,
            inventory_id,
            revision=revision,
            year=values["year"] or None,
            region=values["region"],
            grid_factor=values["grid_value"] if mode == "user" else mode,
            records=values["rows"],
            output=values["output"],
            revenue=values["revenue"],
            process_emissions=values["process_emissions"],
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        row = svc.get_inventory(session, actor, inventory_id, "assess")
        note = exc.message
        if isinstance(exc, Conflict) and exc.field == "revision":
            note += "。本页保留了你的输入；请刷新页面查看最新内容后再保存。"
        return _inventory_page(
            request, session, row, values=values, error=note, field=exc.field,
            status_code=exc.status,
        )  # fmt: skip
    return RedirectResponse(f"/carbon/{inventory_id}?saved=1", status_code=303)


@pages.post("/carbon/{inventory_id}/delete")
def delete_page(inventory_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    enterprise_id = svc.delete(session, actor, inventory_id)
    return RedirectResponse(f"/enterprises/{enterprise_id}/carbon", status_code=303)
