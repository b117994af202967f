"""The latest result's summary (issue 13, speed of the officers' views): one row per
enterprise, framework id and version with the latest submitted assessment's level, total,
dimension points, scene levels and unmet next-level conditions, and the first one's level
and total, indexed so views and lists aggregate columns instead of result JSON.

Back-filled here from the submitted assessments, in batches of enterprises
(:func:`nqpf.services.assess_rollup.latest_summaries`, the rule the platform applies at
submit).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DIMENSIONS = 8  # nqpf.services.assess_rollup.SUMMARY_DIMENSIONS
SCENES = 32  # SUMMARY_SCENES
BATCH = 2_000


def _columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("level_name", sa.String(length=32), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("first_level", sa.Float(), nullable=True),
        sa.Column("first_total", sa.Float(), nullable=True),
        sa.Column("gaps", sa.Text(), nullable=False),
        *[sa.Column(f"dim_{i}", sa.Float(), nullable=True) for i in range(1, DIMENSIONS + 1)],
        *[sa.Column(f"scene_{i}", sa.Float(), nullable=True) for i in range(1, SCENES + 1)],
    ]


def upgrade() -> None:
    op.create_table(
        "assessment_latest",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_latest_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organization.id"],
            name=op.f("fk_assessment_latest_enterprise_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_latest")),
        sa.UniqueConstraint(
            "enterprise_id",
            "framework_id",
            "framework_version",
            name=op.f("uq_assessment_latest_enterprise_id"),
        ),
    )
    op.create_index(
        op.f("ix_assessment_latest_assessment_id"), "assessment_latest", ["assessment_id"]
    )
    for name, column in (("level", "level"), ("total", "total"), ("at", "submitted_at")):
        op.create_index(
            f"ix_assessment_latest_fw_{name}",
            "assessment_latest",
            ["framework_id", "framework_version", column],
        )
    _backfill(op.get_bind())


def _backfill(bind: sa.engine.Connection) -> None:
    from nqpf.assessment import load_framework
    from nqpf.exceptions import NqpfError
    from nqpf.services.assess_rollup import latest_summaries

    @functools.cache
    def framework(framework_id: str, version: str):  # type: ignore[no-untyped-def]
        try:
            return load_framework(f"{framework_id}-{version}")
        except NqpfError:
            return None

    assessment = sa.table(
        "assessment",
        sa.column("id", sa.Integer),
        sa.column("enterprise_id", sa.Integer),
        sa.column("framework_id", sa.String),
        sa.column("framework_version", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("status", sa.String),
        sa.column("submitted_at", sa.DateTime(timezone=True)),
        sa.column("result", sa.JSON),
    )
    latest = sa.table("assessment_latest", *[sa.column(c.name, c.type) for c in _columns()[1:]])
    submitted = assessment.c.status == "submitted"
    ids = sorted(
        bind.scalars(sa.select(assessment.c.enterprise_id).where(submitted).distinct())
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records = bind.execute(
            sa.select(
                assessment.c.enterprise_id,
                assessment.c.framework_id,
                assessment.c.framework_version,
                assessment.c.seq,
                assessment.c.id,
                assessment.c.submitted_at,
                assessment.c.result,
            ).where(submitted, assessment.c.enterprise_id.in_(chunk))
        ).all()
        rows = latest_summaries(records, framework)
        if rows:
            bind.execute(sa.insert(latest), rows)


def downgrade() -> None:
    for name in ("at", "total", "level"):
        op.drop_index(f"ix_assessment_latest_fw_{name}", table_name="assessment_latest")
    op.drop_index(op.f("ix_assessment_latest_assessment_id"), table_name="assessment_latest")
    op.drop_table("assessment_latest")
