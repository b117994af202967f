"""The carbon inventories' summary (issue 13, speed of the park view and the carbon map):
one row per inventory with the numbers the carbon roll-up reads (tce, tCO₂, output),
indexed by year and enterprise so the views add up columns instead of result JSON.

Back-filled here from the stored inventories in batches
(:func:`nqpf.services.assess_rollup.carbon_totals`, the rule the platform applies when
an inventory is saved).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    op.create_table(
        "carbon_summary",
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("tce", sa.Float(), nullable=True),
        sa.Column("tco2", sa.Float(), nullable=True),
        sa.Column("output", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["carbon_inventory.id"],
            name=op.f("fk_carbon_summary_inventory_id_carbon_inventory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organization.id"],
            name=op.f("fk_carbon_summary_enterprise_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inventory_id", name=op.f("pk_carbon_summary")),
    )
    op.create_index(
        "ix_carbon_summary_year_enterprise", "carbon_summary", ["year", "enterprise_id"]
    )
    _backfill(op.get_bind())


def _backfill(bind: sa.engine.Connection) -> None:
    from nqpf.services.assess_rollup import carbon_totals

    inventory = sa.table(
        "carbon_inventory",
        sa.column("id", sa.Integer),
        sa.column("enterprise_id", sa.Integer),
        sa.column("year", sa.Integer),
        sa.column("result", sa.JSON),
        sa.column("inputs", sa.JSON),
    )
    summary = sa.table(
        "carbon_summary",
        *(sa.column(name) for name in ("inventory_id", "enterprise_id", "year")),
        *(sa.column(name, sa.Float) for name in ("tce", "tco2", "output")),
    )
    ids = sorted(bind.scalars(sa.select(inventory.c.id)))
    for start in range(0, len(ids), BATCH):
        records = bind.execute(
            sa.select(
                inventory.c.id,
                inventory.c.enterprise_id,
                inventory.c.year,
                inventory.c.result,
                inventory.c.inputs,
            ).where(inventory.c.id.in_(ids[start : start + BATCH]))
        ).all()
        rows = [
            {"inventory_id": i, "enterprise_id": e, "year": y, **carbon_totals(result, inputs)}
            for i, e, y, result, inputs in records
        ]
        if rows:
            bind.execute(sa.insert(summary), rows)


def downgrade() -> None:
    op.drop_index("ix_carbon_summary_year_enterprise", table_name="carbon_summary")
    op.drop_table("carbon_summary")
