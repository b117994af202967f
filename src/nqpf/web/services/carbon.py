"""Annual energy and carbon inventories (能源与碳排放盘查) of an enterprise.

Rules
-----
* Readers of the enterprise (its people, authorities in scope, providers it shared with)
  see its inventories; only its own members/admins and platform admins (``assess``)
  create, edit and delete them.  One inventory per enterprise and year (409 on ``year``).
* Every save carries the ``revision`` the client last saw; a stale one answers 409.  The
  check is an ``UPDATE … WHERE revision = :seen`` so two concurrent saves cannot both win.
* Inputs are validated here (field names ``year``, ``region``, ``grid_factor``,
  ``records[i].carrier`` / ``.quantity`` / ``.unit``, ``output``, ``revenue``,
  ``process_emissions``), then :func:`nqpf.assessment.carbon.account` computes the totals
  and the JSON summary is stored in ``result`` in the same transaction as the inputs, the
  revision and the audit event.  An engine error is a 422 naming the input field; nothing
  is written.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nqpf.assessment.carbon import CarbonResult, account, carriers, grid_factors
from nqpf.exceptions import DataValidationError
from nqpf.web import audit
from nqpf.web.authz import Actor, enterprise_for, may
from nqpf.web.errors import Conflict, FieldError, NotFound
from nqpf.web.models import CarbonInventory, Organization
from nqpf.web.services._transaction import committing

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
    "list_inventories",
    "provinces",
    "report_xlsx",
    "save",
    "year_over_year",
]

MAX_RECORDS = 100
MAX_NUMBER = 1e12  # quantities and denominators: anything larger is a typo
MAX_GRID_FACTOR = 10.0  # tCO2/MWh; real grids are < 1.2

CONFIDENCE_LABELS = {
    "official": "官方发布",
    "secondary": "二手来源（待与官方公告核对）",
    "unverified": "未核实（常用引用值，使用前请核对标准）",
    "user": "用户指定",
}
GRID_KIND_LABELS = {
    "national": "全国电力平均",
    "provincial": "省级电力平均",
    "user": "用户指定数值",
}


# ------------------------------------------------------------------------- tables
class CarrierInfo:
    """One energy carrier of the engine's table (name, kind, unit, accepted units)."""

    def __init__(self, name: str, kind: str, unit: str, units: list[str], missing: list[str]):
        self.name = name
        self.kind = kind
        self.unit = unit
        self.accepted_units = units
        self.factors_missing = missing

    @property
    def complete(self) -> bool:
        return not self.factors_missing


@functools.cache
def _carriers() -> dict[str, CarrierInfo]:
    table = carriers()
    out: dict[str, CarrierInfo] = {}
    for name, row in table.iterrows():
        units = [u.strip() for u in str(row["accepted_units"]).split(",") if u.strip()]
        missing = [f.strip() for f in str(row["factors_missing"]).split(",") if f.strip()]
        out[str(name)] = CarrierInfo(str(name), str(row["kind"]), str(row["unit"]), units, missing)
    return out


def carrier_table() -> list[CarrierInfo]:
    """The carriers records may use, in the engine's order."""
    return list(_carriers().values())


@functools.cache
def provinces() -> list[tuple[str, str, str]]:
    """(NBS code, short name, full name) of the provinces with a provincial grid factor."""
    return [(p.code, p.name, p.full_name) for p in grid_factors().provincial.regions]


@functools.cache
def factor_years() -> tuple[int, ...]:
    """Years with a grid factor (national or provincial) in the table."""
    gf = grid_factors()
    years = set(gf.national.values)
    for p in gf.provincial.regions:
        years |= set(p.values)
    return tuple(sorted(years))


def _province(value: Any) -> str | None:
    """The NBS 2-digit code of a province given as code or name; None for blank."""
    if value is None:
        return None
    key = str(value).strip()
    if not key:
        return None
    for code, name, full in provinces():
        if key in (code, name, full, code + "0000"):
            return code
    known = "、".join(f"{c} {n}" for c, n, _ in provinces())
    raise FieldError(
        f"省份 {key[:40]!r} 不在电网因子表中（须为国家统计局 2 位代码或省份名称：{known}；"
        "西藏无省级因子）",
        field="region",
    )


def _province_name(code: str | None) -> str | None:
    for c, name, _ in provinces():
        if c == code:
            return name
    return None


def _provincial_years(code: str) -> list[int]:
    for p in grid_factors().provincial.regions:
        if p.code == code:
            return sorted(p.values)
    return []


# ------------------------------------------------------------------------ validation
def _finite(value: Any, field: str, label: str, *, optional: bool = False) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise FieldError(f"{label}不能为空", field=field)
    if isinstance(value, bool):
        raise FieldError(f"{label}应为数字", field=field)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if len(text) > 40:
            raise FieldError(f"{label}应为数字", field=field)
        try:
            x = float(text)
        except ValueError:
            raise FieldError(f"{label}应为数字，收到 {value[:40]!r}", field=field) from None
    elif isinstance(value, int | float):
        try:
            x = float(value)
        except OverflowError:
            raise FieldError(f"{label}超出范围", field=field) from None
    else:
        raise FieldError(f"{label}应为数字", field=field)
    if not math.isfinite(x):
        raise FieldError(f"{label}应为有限数值", field=field)
    if x < 0:
        raise FieldError(f"{label}不能为负数（收到 {x:g}）", field=field)
    if x > MAX_NUMBER:
        raise FieldError(f"{label}超出范围（≤ {MAX_NUMBER:g}）", field=field)
    return x


def _year(value: Any) -> int:
    years = factor_years()
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise FieldError("核算年份应为整数", field="year") from None
    if value not in years:
        raise FieldError(
            f"{value} 年没有电网排放因子，无法核算；可选年份：{'、'.join(map(str, years))}",
            field="year",
        )
    return value


def _grid(value: Any, region: str | None, year: int) -> str | float:
    if isinstance(value, str) and value.strip() in ("national", "provincial"):
        kind = value.strip()
        if kind == "provincial":
            if region is None:
                raise FieldError("选择省级电网因子时须指定省份", field="grid_factor")
            years = _provincial_years(region)
            if year not in years:
                raise FieldError(
                    f"{_province_name(region)} 的省级电网因子仅有 "
                    f"{'、'.join(map(str, years))} 年；{year} 年请选择全国电网平均因子或填写数值"
                    "（不同年份的因子不混用）",
                    field="grid_factor",
                )
        return kind
    x = _finite(value, "grid_factor", "电网排放因子")
    assert x is not None
    if x > MAX_GRID_FACTOR:
        raise FieldError(
            f"电网排放因子 {x:g} tCO2/MWh 不合理（应 ≤ {MAX_GRID_FACTOR:g}）", field="grid_factor"
        )
    return x


def _records(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if len(records) > MAX_RECORDS:
        raise FieldError(f"能源记录最多 {MAX_RECORDS} 行", field="records")
    known = _carriers()
    out = []
    for i, rec in enumerate(records):
        f = f"records[{i}]"
        name = str(rec.get("carrier") or "").strip()
        if name not in known:
            shown = f"“{name[:40]}”" if name else "（空）"
            raise FieldError(
                f"第 {i + 1} 行：能源品种 {shown} 不在因子表中；可选：{'、'.join(known)}",
                field=f"{f}.carrier",
            )
        c = known[name]
        q = _finite(rec.get("quantity"), f"{f}.quantity", f"第 {i + 1} 行（{name}）的用量")
        unit = rec.get("unit")
        unit = str(unit).strip() if unit is not None else ""
        if not unit:
            unit = c.unit
        if unit not in c.accepted_units:
            raise FieldError(
                f"第 {i + 1} 行：单位 “{unit[:40]}” 不适用于{name}（表内单位 {c.unit}；"
                f"可用：{'、'.join(c.accepted_units)}）",
                field=f"{f}.unit",
            )
        out.append({"carrier": name, "quantity": q, "unit": unit})
    return out


def validate_inputs(
    *,
    year: Any,
    region: Any,
    grid_factor: Any,
    records: Sequence[Mapping[str, Any]],
    output: Any = None,
    revenue: Any = None,
    process_emissions: Any = None,
) -> tuple[int, dict[str, Any]]:
    """(year, normalised inputs) or :class:`FieldError` naming the field."""
    y = _year(year)
    code = _province(region)
    grid = _grid(grid_factor if grid_factor is not None else "national", code, y)
    recs = _records(records)
    out = _finite(output, "output", "工业总产值", optional=True)
    rev = _finite(revenue, "revenue", "营业收入", optional=True)
    proc = _finite(process_emissions, "process_emissions", "过程排放", optional=True)
    return y, {
        "region": code,
        "grid_factor": grid,
        "records": recs,
        "output": out,
        "revenue": rev,
        "process_emissions": proc or 0.0,
    }


# ------------------------------------------------------------------------ accounting
_ENGINE_FIELD = re.compile(r"^inventory\[(\d+)\](?:\.(quantity|unit))?$")
_OVERRIDE_FIELD = re.compile(r"^overrides\[(.+)\.(\w+)\]$")
_FACTOR_NAMES = {
    "ncv": "低位发热量",
    "carbon_content": "单位热值含碳量",
    "oxidation_rate": "碳氧化率",
    "tce": "折标煤系数",
    "ef": "排放因子",
}


def _input_field(exc: DataValidationError, inputs: Mapping[str, Any]) -> tuple[str, str]:
    """(input field, Chinese message) of an engine error."""
    field = exc.field or ""
    if m := _ENGINE_FIELD.match(field):
        return f"records[{m.group(1)}].{m.group(2) or 'carrier'}", f"无法核算：{exc.reason}"
    if m := _OVERRIDE_FIELD.match(field):
        carrier, factor = m.group(1), m.group(2)
        index = next((i for i, r in enumerate(inputs["records"]) if r["carrier"] == carrier), None)
        target = f"records[{index}].carrier" if index is not None else "records"
        return target, (
            f"能源品种“{carrier}”缺少{_FACTOR_NAMES.get(factor, factor)}（{factor}）：因子表未给出该值，"
            "平台不作猜测，暂不能核算此品种"
        )
    if field in ("year", "region", "grid_factor", "output", "revenue", "process_emissions"):
        return field, f"无法核算：{exc.reason}"
    return "records", f"无法核算：{exc.reason}"


def _note_zh(note: str) -> str:
    patterns = [
        (
            r"^factors tagged unverified used: (.+)$",
            "使用了标注为“未核实”的因子：{0}（使用前请核对标准原文）",
        ),
        (
            r"^tce of (\S+) derived from NCV \((.+)\): the table gives no 折标煤 coefficient$",
            "{0} 的折标煤系数表中未给出，按低位发热量折算（{1}）",
        ),
        (r"^grid factor set by user: (.+)$", "电网排放因子由用户指定：{0}"),
        (
            r"^region (\S+) given, but the national grid factor is used$",
            "已选择省份 {0}，但按全国电力平均因子核算",
        ),
        (
            r"^exported energy is subtracted from emissions, not from 综合能耗$",
            "输出能源从排放量中扣减，不从综合能耗中扣减",
        ),
    ]
    for pattern, text in patterns:
        if m := re.match(pattern, note):
            return text.format(*m.groups())
    return note


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _summary(result: CarbonResult) -> dict[str, Any]:
    grid = next((f for f in result.factors_used if f.key == "电力.ef"), None)
    kind = result.grid_factor_kind
    if kind == "provincial":
        years = "/".join(map(str, _provincial_years(result.region_code or "")))
        label = (
            f"区域电网因子为 {result.year} 年{result.region}省级电力平均（表内仅有 {years} 年"
            "省级平均；来源为公开实现转录，待与生态环境部/国家统计局公告核对）"
        )
    elif kind == "national":
        label = f"全国电力平均排放因子（{result.year} 年）"
    else:
        label = "电网排放因子由用户指定"
    return {
        "year": result.year,
        "region": result.region,
        "region_code": result.region_code,
        "electricity_convention": result.electricity_convention,
        "energy_tce": result.energy_tce,
        "e_total": result.e_total,
        "e_combustion": result.e_combustion,
        "e_process": result.e_process,
        "e_purchased_electricity": result.e_purchased_electricity,
        "e_purchased_heat": result.e_purchased_heat,
        "e_exported_electricity": result.e_exported_electricity,
        "e_exported_heat": result.e_exported_heat,
        "biomass_co2": result.biomass_co2,
        "intensities": [{"name": n, "value": v, "unit": u} for n, v, u in result.intensities],
        "grid_factor": {
            "kind": kind,
            "label": label,
            "value": grid.value if grid is not None else None,
            "unit": grid.unit if grid is not None else "tCO2/MWh",
            "source": grid.source if grid is not None else None,
            "confidence": grid.confidence if grid is not None else None,
            "used": grid is not None,
        },
        "tables": list(result.tables),
        "notes": [_note_zh(n) for n in result.notes],
        "lines": [
            {
                "carrier": r.carrier,
                "category": r.category,
                "quantity": r.quantity,
                "unit": r.unit,
                "tce": _num(r.tce),
                "activity": _num(r.activity),
                "activity_unit": r.activity_unit,
                "ef": _num(r.ef),
                "ef_unit": r.ef_unit,
                "tco2": _num(r.tco2),
                "sources": r.sources,
            }
            for r in result.lines
        ],
        "factors": [
            {
                "key": f.key,
                "carrier": f.carrier,
                "factor": f.factor,
                "value": f.value,
                "unit": f.unit,
                "source": f.source,
                "confidence": f.confidence,
                "overridden": f.overridden,
            }
            for f in result.factors_used
        ],
    }


def compute(year: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Run :func:`account` on validated inputs; the JSON summary, or FieldError."""
    output = inputs.get("output")
    revenue = inputs.get("revenue")
    try:
        result = account(
            [dict(r) for r in inputs["records"]],
            year=year,
            region=inputs.get("region"),
            grid_factor=inputs.get("grid_factor"),
            process_emissions=inputs.get("process_emissions") or 0.0,
            output=output if output else None,
            revenue=revenue if revenue else None,
        )
    except DataValidationError as exc:
        field, message = _input_field(exc, inputs)
        raise FieldError(message, field=field) from None
    return _summary(result)


def default_inputs(org: Organization, year: int) -> dict[str, Any]:
    """Inputs of a new inventory: the enterprise's province, its provincial factor when the
    table has one for ``year`` (else national), no records."""
    code = (org.profile.region_code if org.profile else "")[:2]
    region = code if _province_name(code) else None
    grid = "provincial" if region and year in _provincial_years(region) else "national"
    return {
        "region": region,
        "grid_factor": grid,
        "records": [],
        "output": None,
        "revenue": None,
        "process_emissions": 0.0,
    }


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
        enterprise_for(session, actor, row.enterprise_id, "read")
    except NotFound:  # the same answer as for a missing row: no existence oracle
        raise NotFound(f"碳排放盘查 {inventory_id} 不存在或无权查看") from None
    if action != "read":
        enterprise_for(session, actor, row.enterprise_id, "assess")  # Forbidden
    return row


def list_inventories(session: Session, actor: Actor, enterprise_id: int) -> list[CarbonInventory]:
    """The enterprise's inventories, newest year first."""
    org = enterprise_for(session, actor, enterprise_id, "read")
    return list(
        session.scalars(
            select(CarbonInventory)
            .where(CarbonInventory.enterprise_id == org.id)
            .order_by(CarbonInventory.year.desc())
        )
    )


def _change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0:
        return None
    return (b - a) / abs(a) * 100.0


def _intensity(result: Mapping[str, Any], name: str) -> float | None:
    for item in result.get("intensities") or []:
        if item.get("name") == name:
            return item.get("value")
    return None


YOY_METRICS = (
    ("energy_tce", "综合能耗", "tce"),
    ("e_total", "排放总量", "tCO2"),
    ("万元产值综合能耗", "万元产值综合能耗", "tce/万元"),
    ("万元产值碳排放", "万元产值碳排放", "tCO2/万元"),
    ("每百元营业收入综合能源消费量", "每百元营业收入综合能源消费量", "tce/百元"),
    ("每百元营业收入碳排放", "每百元营业收入碳排放", "tCO2/百元"),
)


def year_over_year(rows: Sequence[CarbonInventory]) -> list[dict[str, Any]]:
    """Each inventory (oldest first) against the previous one: values and change %."""
    ordered = sorted(rows, key=lambda r: r.year)
    out: list[dict[str, Any]] = []
    prev: CarbonInventory | None = None
    for row in ordered:
        result = row.result or {}
        metrics = []
        for key, label, unit in YOY_METRICS:
            value = result.get(key) if key in ("energy_tce", "e_total") else _intensity(result, key)
            before = None
            if prev is not None:
                pr = prev.result or {}
                before = pr.get(key) if key in ("energy_tce", "e_total") else _intensity(pr, key)
            metrics.append(
                {
                    "key": key,
                    "label": label,
                    "unit": unit,
                    "value": value,
                    "previous": before,
                    "change_pct": _change(before, value),
                }
            )
        out.append(
            {
                "year": row.year,
                "inventory_id": row.id,
                "previous_year": prev.year if prev is not None else None,
                "metrics": metrics,
            }
        )
        prev = row
    return out


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
    y = _year(year)
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
    before = {"year": row.year, "revision": row.revision, **_totals(row.result, row.inputs)}
    after = {"year": y, "revision": revision + 1, **_totals(result, inputs)}
    with committing(session, conflict=lambda: Conflict(f"{y} 年的碳排放盘查已存在", field="year")):
        done = session.execute(
            update(CarbonInventory)
            .where(CarbonInventory.id == row.id, CarbonInventory.revision == revision)
            .values(
                year=y,
                inputs=inputs,
                result=result,
                revision=revision + 1,
                updated_by=actor.user.id,
                updated_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise Conflict("盘查已在别处更新，请刷新后重试", field="revision")
        audit.record(
            session,
            actor,
            "save",
            "carbon_inventory",
            row.id,
            organization_id=row.enterprise_id,
            before=before,
            after=after,
        )
    session.refresh(row)
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
        session.delete(row)
    return enterprise_id


# --------------------------------------------------------------------------- report
def _cell(value: Any) -> Any:
    # text starting with = + - @ would be read as a formula by spreadsheet programs
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def report_xlsx(session: Session, actor: Actor, inventory_id: int) -> tuple[CarbonInventory, bytes]:
    """The inventory (lines, totals, factors with source/confidence, notes) as XLSX."""
    import pandas as pd

    row = get_inventory(session, actor, inventory_id)
    org = enterprise_for(session, actor, row.enterprise_id, "read")
    r = row.result or {}
    grid = r.get("grid_factor") or {}
    region = r.get("region") or "全国"
    totals = [
        ("企业", org.name),
        ("核算年份", row.year),
        ("地区", region),
        ("电网排放因子", GRID_KIND_LABELS.get(grid.get("kind"), grid.get("kind"))),
        ("电网排放因子取值 (tCO2/MWh)", grid.get("value")),
        ("电网排放因子说明", grid.get("label")),
        ("电力折标煤口径", r.get("electricity_convention")),
        ("综合能耗 (tce)", r.get("energy_tce")),
        ("化石燃料燃烧排放 E燃烧 (tCO2)", r.get("e_combustion")),
        ("过程排放 E过程 (tCO2)", r.get("e_process")),
        ("购入电力排放 E购入电 (tCO2)", r.get("e_purchased_electricity")),
        ("购入热力排放 E购入热 (tCO2)", r.get("e_purchased_heat")),
        ("输出电力排放 E输出电 (tCO2)", r.get("e_exported_electricity")),
        ("输出热力排放 E输出热 (tCO2)", r.get("e_exported_heat")),
        ("排放总量 E (tCO2)", r.get("e_total")),
        ("版本", row.revision),
    ]
    totals += [(f"{i['name']} ({i['unit']})", i["value"]) for i in r.get("intensities") or []]
    lines = pd.DataFrame(
        [
            {
                "能源品种": ln["carrier"],
                "类别": ln["category"],
                "用量": ln["quantity"],
                "单位": ln["unit"],
                "折标煤 (tce)": ln["tce"],
                "活动数据": ln["activity"],
                "活动数据单位": ln["activity_unit"],
                "排放因子": ln["ef"],
                "因子单位": ln["ef_unit"],
                "排放量 (tCO2)": ln["tco2"],
                "因子来源": ln["sources"],
            }
            for ln in r.get("lines") or []
        ],
        columns=[
            "能源品种", "类别", "用量", "单位", "折标煤 (tce)", "活动数据", "活动数据单位",
            "排放因子", "因子单位", "排放量 (tCO2)", "因子来源",
        ],
    )  # fmt: skip
    factors = pd.DataFrame(
        [
            {
                "能源品种": f["carrier"],
                "因子": f["factor"],
                "数值": f["value"],
                "单位": f["unit"],
                "来源": f["source"],
                "可信度": f["confidence"],
                "可信度说明": CONFIDENCE_LABELS.get(f["confidence"], f["confidence"]),
                "用户指定": "是" if f["overridden"] else "否",
            }
            for f in r.get("factors") or []
        ],
        columns=["能源品种", "因子", "数值", "单位", "来源", "可信度", "可信度说明", "用户指定"],
    )
    notes = [("说明", n) for n in r.get("notes") or []]
    notes += [("因子表", t) for t in r.get("tables") or []]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frames = {
            "汇总": pd.DataFrame(totals, columns=["项目", "数值"]),
            "分品种": lines,
            "因子": factors,
            "说明": pd.DataFrame(notes, columns=["类别", "内容"]),
        }
        for name, frame in frames.items():
            frame.map(_cell).to_excel(writer, sheet_name=name, index=False)
    return row, buffer.getvalue()
