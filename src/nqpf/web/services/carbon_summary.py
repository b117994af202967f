"""The carbon inventories' summary (``carbon_summary``) kept right as inventories change.

One row per inventory holds what the park view and the map's carbon measure add up
(:func:`nqpf.services.assess_rollup.carbon_totals`: tce, tCO₂, output).
:func:`refresh_carbon_summary` rebuilds rows from the ``carbon_inventory`` table inside
the caller's transaction; creating and saving an inventory call it (deleting one deletes
its row by the foreign key), and so must any writer that adds or changes inventories by
bulk SQL (the demo, benchmarks).  The ``carbon_summary`` migration back-fills the table
for existing databases.  :func:`carbon_sum_columns` and :func:`carbon_group` are the SQL
sums of a group and the roll-up's figures of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.orm import Session

from nqpf.services.assess_rollup import carbon_from_sums, carbon_totals
from nqpf.web.models import CarbonInventory, CarbonSummary

__all__ = ["carbon_group", "carbon_sum_columns", "refresh_carbon_summary"]

BATCH = 2_000  # enterprises per read (an inventory's JSON is a few kB)


def refresh_carbon_summary(session: Session, enterprise_ids: Iterable[int] | None = None) -> int:
    """Rebuild the summary rows of the inventories of ``enterprise_ids`` (None: every
    inventory) from the stored inventories, in the session's transaction (no commit);
    returns the rows written."""
    if enterprise_ids is None:
        ids = sorted(set(session.scalars(select(CarbonInventory.enterprise_id))))
        session.execute(delete(CarbonSummary))
    else:
        ids = sorted(set(enterprise_ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if enterprise_ids is not None:
            session.execute(delete(CarbonSummary).where(CarbonSummary.enterprise_id.in_(chunk)))
        records = session.execute(
            select(
                CarbonInventory.id,
                CarbonInventory.enterprise_id,
                CarbonInventory.year,
                CarbonInventory.result,
                CarbonInventory.inputs,
            ).where(CarbonInventory.enterprise_id.in_(chunk))
        ).all()
        rows = [
            {"inventory_id": i, "enterprise_id": e, "year": y, **carbon_totals(result, inputs)}
            for i, e, y, result, inputs in records
        ]
        if rows:
            session.execute(insert(CarbonSummary), rows)
        written += len(rows)
    return written


# ------------------------------------------------------------------- sums in the database
def carbon_sum_columns(source: Any = CarbonSummary) -> list[Any]:
    """The additive sums of a group of inventories (rows of ``carbon_summary``, possibly
    outer-joined: a row without an inventory adds nothing; or of ``source``, anything with
    its columns ``inventory_id``, ``tce``, ``tco2``, ``output``, such as a CTE's ``c``),
    labelled as :func:`nqpf.services.assess_rollup.carbon_from_sums` takes them: ``n``,
    ``tce``, ``tco2`` (missing values count 0) and over the inventories with a non-zero
    output ``n_output``, ``output``, ``tco2_output``, ``tce_output``."""
    has_output = and_(source.output.is_not(None), source.output != 0)

    def with_output(column: Any) -> Any:
        return func.sum(case((has_output, func.coalesce(column, 0.0)), else_=0.0))

    return [
        func.count(source.inventory_id).label("n"),
        func.sum(func.coalesce(source.tce, 0.0)).label("tce"),
        func.sum(func.coalesce(source.tco2, 0.0)).label("tco2"),
        func.sum(case((has_output, 1), else_=0)).label("n_output"),
        with_output(source.output).label("output"),
        with_output(source.tco2).label("tco2_output"),
        with_output(source.tce).label("tce_output"),
    ]


SUM_NAMES = ("n", "tce", "tco2", "n_output", "output", "tco2_output", "tce_output")


def carbon_group(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The roll-up's figures (``n``, ``tce``, ``tco2``, ``output``, intensities) of the
    sums in ``rows`` (rows of :func:`carbon_sum_columns`, added up)."""
    sums = dict.fromkeys(SUM_NAMES, 0.0)
    for row in rows:
        for name in SUM_NAMES:
            sums[name] += row[name] or 0
    return carbon_from_sums(**{**sums, "n": int(sums["n"]), "n_output": int(sums["n_output"])})
