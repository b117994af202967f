"""Bulk import of enterprises from a CSV or XLSX upload.

The file is read and its rows checked by :func:`nqpf.services.enterprises.read_import_table`
(headers in Chinese or English, every cell against the profile rules, duplicates within
the file).  This module adds what needs the platform: the importer's right and region
scope, credit codes already registered, the transaction (all or nothing, or the good rows
only; a dry run writes nothing) and the audit events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.services.enterprises import (
    IMPORT_COLUMNS,
    ImportRow,
    ImportTable,
    has_control_characters,
    import_template_csv,
    read_import_table,
)
from nqpf.web.authz import Actor
from nqpf.web.errors import Conflict, FieldError, Forbidden, field_error
from nqpf.web.models import EnterpriseProfile
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing
from nqpf.web.services.profiles import (
    FIELDS,
    can_create,
    field_label,
    field_messages,
    insert_enterprise,
    scope_error,
)

__all__ = ["IMPORT_COLUMNS", "ImportReport", "import_enterprises", "import_template_csv"]

ImportMode = Literal["all_or_nothing", "valid_only"]
#: credit codes looked up per query (well below every database's bound-parameter limit)
LOOKUP_CHUNK = 500


@dataclass
class ImportReport:
    mode: str
    dry_run: bool
    total_rows: int = 0
    valid_rows: int = 0
    imported: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _printable(filename: str | None) -> str:
    """The upload's name without control characters (it is shown and audited)."""
    return "".join(ch for ch in filename or "" if not has_control_characters(ch))


def _registered(session: Session, codes: list[str]) -> set[str]:
    """Those of ``codes`` some enterprise on the platform already has."""
    taken: set[str] = set()
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = codes[start : start + LOOKUP_CHUNK]
        taken.update(
            session.scalars(
                select(EnterpriseProfile.credit_code).where(
                    EnterpriseProfile.credit_code.in_(chunk)
                )
            )
        )
    return taken


def _row_errors(
    actor: Actor, table: ImportTable, row: ImportRow, registered: set[str]
) -> list[dict[str, Any]]:
    """The report's entries for ``row``: its rule errors, then the platform's own checks
    (region outside the importer's scope, credit code already on the platform)."""
    faults = {
        name: (row.cells.get(name, ""), message)
        for name, message in field_messages(row.errors).items()
    }
    region = row.clean.get("region_code")
    if region is not None and (outside := scope_error(actor, region)):
        faults["region_code"] = (row.cells["region_code"], outside)
    code = row.clean.get("credit_code")
    if code in registered and "credit_code" not in faults:
        faults["credit_code"] = (code, f"{field_label('credit_code')} {code} 已存在于平台")
    return [
        {
            "row": row.row,
            "column": table.headers[name],
            "field": name,
            "value": value,
            "message": message,
        }
        for name, (value, message) in faults.items()
    ]


def import_enterprises(
    session: Session,
    actor: Actor,
    filename: str,
    data: bytes,
    *,
    mode: ImportMode = "all_or_nothing",
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row of a CSV/XLSX upload and create the enterprises in one transaction.

    ``all_or_nothing`` imports nothing when any row is bad; ``valid_only`` imports the good
    rows; ``dry_run`` only validates.  Each created enterprise gets a ``create`` audit event
    (``via: import``) and the import one ``import`` event with the count and ids.
    """
    if not can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以批量导入企业")
    if mode not in ("all_or_nothing", "valid_only"):
        raise FieldError("导入模式（mode）应为 all_or_nothing 或 valid_only", field="mode")
    filename = _printable(filename)
    try:
        table = read_import_table(data, filename)
    except DataValidationError as exc:
        raise field_error(exc) from None
    registered = _registered(
        session, [r.clean["credit_code"] for r in table.rows if "credit_code" not in r.errors]
    )
    order = {name: i for i, name in enumerate(FIELDS)}
    report = ImportReport(mode=mode, dry_run=dry_run, total_rows=len(table.rows))
    good = []
    for row in table.rows:
        errors = _row_errors(actor, table, row, registered)
        report.errors += sorted(errors, key=lambda e: order[e["field"]])
        if not errors:
            good.append(row.clean)
    report.valid_rows = len(good)
    if dry_run or not good or (mode == "all_or_nothing" and report.errors):
        session.rollback()
        return report
    with committing(
        session,
        conflict=lambda: Conflict(
            "导入期间统一社会信用代码与已有企业冲突，请重试", field="credit_code"
        ),
    ):
        for clean in good:
            organization = insert_enterprise(session, actor, clean, via="import")
            report.ids.append(organization.id)
        report.imported = len(report.ids)
        audit.record(
            session,
            actor,
            "import",
            "enterprise_import",
            None,
            after={
                "file": filename[:200],
                "mode": mode,
                "count": report.imported,
                "ids": report.ids,
                "rejected_rows": sorted({e["row"] for e in report.errors}),
            },
        )
    return report
