"""Annual energy and carbon inventories (能源与碳排放盘查) of an enterprise.

Rules
-----
* Readers of the enterprise (its people, authorities in scope, providers it shared with)
  see its inventories; only its own members/admins and platform admins (``assess``)
  create, edit and delete them.  One inventory per enterprise and year (409 on ``year``).
* Every save carries the ``revision`` the client last saw; a stale one answers 409.  The
  check is an ``UPDATE … WHERE revision = :seen`` so two concurrent saves cannot both win.
* The inputs are checked and accounted by :mod:`nqpf.services.carbon` (the rules of
  :mod:`nqpf.assessment.carbon`); the JSON summary is stored in ``result`` in the same
  transaction as the inputs, the revision and the audit event.  A rule's error becomes a
  Chinese 422 naming the form field (``year``, ``region``, ``grid_factor``,
  ``records[i].carrier`` / ``.quantity`` / ``.unit``, ``output``, ``revenue``,
  ``process_emissions``); nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.assessment.carbon import (
    GRID_KIND_LABELS,
    MAX_NUMBER,
    MAX_RECORDS,
    CarrierInfo,
    carrier_infos,
    check_year,
    factor_years,
    inventory_years,
    provinces,
)
from nqpf.exceptions import DataValidationError
from nqpf.services import carbon as carbon_service
from nqpf.services.carbon import CONFIDENCE_LABELS
from nqpf.web.authz import Actor, enterprise_for, may
from nqpf.web.errors import Conflict, NotFound, field_error
from nqpf.web.models import CarbonInventory, Organization
from nqpf.web.services import audit, shares
from nqpf.web.services._transaction import committing, save_revision
from nqpf.web.services.carbon_summary import refresh_carbon_summary

__all__ = [
    "CONFIDENCE_LABELS",
    "GRID_KIND_LABELS",
    "MAX_NUMBER",
    "MAX_RECORDS",
    "CarrierInfo",
    "can_assess",
    "carrier_table",
    "create",
    "default_inputs",
    "delete",
    "factor_years",
    "get_inventory",
    "inventory_years",
    "list_inventories",
    "provinces",
    "report_xlsx",
    "save",
    "year_over_year",
]


def carrier_table() -> list[CarrierInfo]:
    """The carriers records may use, in the tables' order."""
    return list(carrier_infos())


# ------------------------------------------------------------------- rules → form fields
_LABELS = {
    "year": "核算年份",
    "region": "省份",
    "grid_factor": "电网排放因子",
    "output": "工业总产值",
    "revenue": "营业收入",
    "process_emissions": "过程排放",
    "inventory": "能源记录",
}
_ROW_FIELD = re.compile(r"^inventory\[(\d+)\](?:\.(carrier|quantity|unit))?$")
_MISSING_FACTOR = re.compile(r"^overrides\[(.+)\.\w+\]$")


@contextmanager
def _form_errors(records: Sequence[Mapping[str, Any]]) -> Iterator[None]:
    """A rule's error as the form's Chinese 422: ``inventory[i].x`` is ``records[i].x``,
    labelled by its row; a factor the tables lack (which the form cannot supply) is an
    error of the first row of that carrier."""
    try:
        yield
    except DataValidationError as exc:
        field = exc.field or ""
        if m := _ROW_FIELD.match(field):
            i, part = int(m.group(1)), m.group(2)
            carrier = str(records[i].get("carrier") or "").strip()
            label = (
                f"第 {i + 1} 行（{carrier}）的用量" if part == "quantity" else f"第 {i + 1} 行："
            )
            target = f"records[{i}]" + (f".{part}" if part else "")
            raise field_error(exc, field=target, label=label) from None
        if m := _MISSING_FACTOR.match(field):
            carrier = m.group(1)
            rows = [i for i, r in enumerate(records) if str(r.get("carrier")).strip() == carrier]
            if rows:
                raise field_error(
                    exc, field=f"records[{rows[0]}].carrier", label=f"第 {rows[0] + 1} 行："
                ) from None
        target = "records" if field == "inventory" else field or None
        raise field_error(exc, field=target, label=_LABELS.get(field, "")) from None


def validate_inputs(
    *, records: Sequence[Mapping[str, Any]], **inputs: Any
) -> tuple[int, dict[str, Any]]:
    """(year, inputs to store) by :func:`nqpf.services.carbon.inventory_inputs` (same
    keywords), or :class:`FieldError` naming the form field."""
    with _form_errors(records):
        return carbon_service.inventory_inputs(records=records, **inputs)


def compute(year: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON summary of validated inputs, or :class:`FieldError` naming the form field."""
    with _form_errors(inputs.get("records") or []):
        return carbon_service.inventory_summary(year, inputs)


def default_inputs(org: Organization, year: int) -> dict[str, Any]:
    """Inputs of a new inventory: the enterprise's province, its provincial factor when the
    table has one for ``year`` (else national), no records."""
    return carbon_service.default_inputs(org.profile.region_code if org.profile else None, year)


# --------------------------------------------------------------------------- lookups
def can_assess(session: Session, actor: Actor, enterprise_id: int) -> bool:
    org = session.get(Organization, enterprise_id)
    return org is not None and may(actor, org, "assess", session)


def get_inventory(
    session: Session, actor: Actor, inventory_id: int, action: str = "read"
) -> CarbonInventory:
    """The inventory if ``actor`` may read (``read``) or change (``assess``) it."""
    row = session.get(CarbonInventory, inventory_id)
    if row is None:
        raise NotFound(f"碳排放盘查 {inventory_id} 不存在或无权查看")
    try:
        org = enterprise_for(session, actor, row.enterprise_id, "read")
    except NotFound:  # the same answer as for a missing row: no existence oracle
        raise NotFound(f"碳排放盘查 {inventory_id} 不存在或无权查看") from None
    if action != "read":
        enterprise_for(session, actor, row.enterprise_id, "assess")  # Forbidden
    return shares.shared_inventory(session, actor, org, row)  # issue 17: shared categories


def list_inventories(session: Session, actor: Actor, enterprise_id: int) -> list[CarbonInventory]:
    """The enterprise's inventories, newest year first."""
    org = enterprise_for(session, actor, enterprise_id, "read")
    shares.require_category(session, actor, org, "energy_carbon")  # issue 17
    rows = session.scalars(
        select(CarbonInventory)
        .where(CarbonInventory.enterprise_id == org.id)
        .order_by(CarbonInventory.year.desc())
    )
    return [shares.shared_inventory(session, actor, org, row) for row in rows]  # issue 17


def year_over_year(rows: Sequence[CarbonInventory]) -> list[dict[str, Any]]:
    """Each inventory (oldest first) against the previous one: values and change %."""
    ids = {row.year: row.id for row in rows}
    by_year = carbon_service.year_over_year({row.year: row.result or {} for row in rows})
    return [
        {
            "year": y["year"],
            "inventory_id": ids[y["year"]],
            "previous_year": y["previous_year"],
            "metrics": y["metrics"],
        }
        for y in by_year
    ]


# --------------------------------------------------------------------------- writes
def _totals(row_result: Mapping[str, Any] | None, inputs: Mapping[str, Any] | None) -> dict:
    r = row_result or {}
    return {
        "energy_tce": r.get("energy_tce"),
        "e_total": r.get("e_total"),
        "records": len((inputs or {}).get("records") or []),
    }


def create(session: Session, actor: Actor, enterprise_id: int, year: Any) -> CarbonInventory:
    """A new (empty) inventory of ``year``; 409 on ``year`` when one exists."""
    org = enterprise_for(session, actor, enterprise_id, "assess")
    with _form_errors([]):
        y = check_year(year)
    exists = session.scalar(
        select(CarbonInventory.id).where(
            CarbonInventory.enterprise_id == org.id, CarbonInventory.year == y
        )
    )
    if exists is not None:
        raise Conflict(f"{y} 年的碳排放盘查已存在（编号 {exists}）", field="year")
    inputs = default_inputs(org, y)
    result = compute(y, inputs)
    row = CarbonInventory(
        enterprise_id=org.id,
        year=y,
        inputs=inputs,
        result=result,
        revision=0,
        created_by=actor.user.id,
        updated_by=actor.user.id,
    )
    with committing(session, conflict=lambda: Conflict(f"{y} 年的碳排放盘查已存在", field="year")):
        session.add(row)
        session.flush()
        refresh_carbon_summary(session, [row.enterprise_id])
        audit.record(
            session,
            actor,
            "create",
            "carbon_inventory",
            row.id,
            organization_id=org.id,
            after={"year": y, "revision": 0, **_totals(result, inputs)},
        )
    return row


def save(
    session: Session,
    actor: Actor,
    inventory_id: int,
    *,
    revision: int,
    year: Any = None,
    region: Any,
    grid_factor: Any,
    records: Sequence[Mapping[str, Any]],
    output: Any = None,
    revenue: Any = None,
    process_emissions: Any = None,
) -> CarbonInventory:
    """Replace the inputs, recompute the result; 409 on a stale ``revision`` or a taken year."""
    row = get_inventory(session, actor, inventory_id, "assess")
    if revision != row.revision:
        raise Conflict(
            f"盘查已在别处更新（当前版本 {row.revision}，你的版本 {revision}），请刷新后重试",
            field="revision",
        )
    y, inputs = validate_inputs(
        year=row.year if year is None else year,
        region=region,
        grid_factor=grid_factor,
        records=records,
        output=output,
        revenue=revenue,
        process_emissions=process_emissions,
    )
    if y != row.year:
        taken = session.scalar(
            select(CarbonInventory.id).where(
                CarbonInventory.enterprise_id == row.enterprise_id,
                CarbonInventory.year == y,
                CarbonInventory.id != row.id,
            )
        )
        if taken is not None:
            raise Conflict(f"{y} 年的碳排放盘查已存在（编号 {taken}）", field="year")
    result = compute(y, inputs)
    save_revision(
        session,
        actor,
        row,
        revision,
        {
            "year": y,
            "inputs": inputs,
            "result": result,
            "updated_by": actor.user.id,
            "updated_at": datetime.now(UTC),
        },
        action="save",
        object_type="carbon_inventory",
        before={"year": row.year, **_totals(row.result, row.inputs)},
        after={"year": y, **_totals(result, inputs)},
        stale="盘查已在别处更新，请刷新后重试",
        conflict=lambda: Conflict(f"{y} 年的碳排放盘查已存在", field="year"),
        also=lambda: refresh_carbon_summary(session, [row.enterprise_id]),
    )
    return row


def delete(session: Session, actor: Actor, inventory_id: int) -> int:
    """Delete an inventory; returns its enterprise id."""
    row = get_inventory(session, actor, inventory_id, "assess")
    enterprise_id = row.enterprise_id
    with committing(session):
        audit.record(
            session,
            actor,
            "delete",
            "carbon_inventory",
            row.id,
            organization_id=enterprise_id,
            before={"year": row.year, "revision": row.revision, **_totals(row.result, row.inputs)},
        )
        session.delete(row)  # its carbon_summary row goes by the foreign key
    return enterprise_id


# --------------------------------------------------------------------------- report
def report_xlsx(session: Session, actor: Actor, inventory_id: int) -> tuple[CarbonInventory, bytes]:
    """The inventory (lines, totals, factors with source/confidence, notes) as XLSX."""
    row = get_inventory(session, actor, inventory_id)
    org = enterprise_for(session, actor, row.enterprise_id, "read")
    data = carbon_service.carbon_xlsx(row.result or {}, enterprise=org.name, revision=row.revision)
    return row, data
