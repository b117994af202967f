"""Effect evaluation (issue 12): an authority's programmes and their member enterprises.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("region_scope", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_key", sa.String(length=200), nullable=False),
        sa.Column("framework", sa.String(length=64), nullable=False),
        sa.Column("acceptance_rule", sa.String(length=64), nullable=False),
        sa.Column("subsidy_rule", sa.String(length=64), nullable=False),
        sa.Column("control", sa.String(length=8), nullable=False),
        sa.Column("evaluation", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('total', 'dimension', 'kpi', 'energy_intensity')",
            name=op.f("ck_programme_outcome"),
        ),
        sa.CheckConstraint("control IN ('never', 'notyet')", name=op.f("ck_programme_control")),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["organization.id"],
            name=op.f("fk_programme_authority_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_programme_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_programme_job_id_job"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_authority_id"), ["authority_id"])
    op.create_table(
        "programme_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organization.id"],
            name=op.f("fk_programme_member_enterprise_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_member_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_member")),
        sa.UniqueConstraint(
            "programme_id", "enterprise_id", name=op.f("uq_programme_member_programme_id")
        ),
    )
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_member_programme_id"), ["programme_id"])
        batch_op.create_index(batch_op.f("ix_programme_member_enterprise_id"), ["enterprise_id"])


def downgrade() -> None:
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_member_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_programme_member_programme_id"))
    op.drop_table("programme_member")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_authority_id"))
    op.drop_table("programme")
