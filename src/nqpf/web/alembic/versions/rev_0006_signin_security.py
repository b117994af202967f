"""Sign-in security and data minimisation (issue 17): temporary passwords, TOTP two-factor
with one-time recovery codes, password-reset links, sign-in stages, API token scopes, and
the data categories of a share.

Existing shares are cut to the narrowest categories that keep what they promised
(``profile`` and ``results``: energy/carbon and revenue/output are no longer shared
unless the enterprise adds them), marked ``narrowed`` so the enterprise's share page shows
a notice, and each leaves an audit event.  Existing API tokens keep every scope they had
(read, write, admin); new ones get the scopes asked for.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NARROWEST = ["profile", "results"]


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scopes", sa.JSON(), nullable=False, server_default='["read", "write", "admin"]'
            )
        )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=16), nullable=False, server_default="full")
        )
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("categories", sa.JSON(), nullable=False, server_default=json.dumps(NARROWEST))
        )
        batch_op.add_column(
            sa.Column("narrowed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"])
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_reset_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_password_reset_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"])
    _narrow_existing_shares()


def _narrow_existing_shares() -> None:
    """Mark every existing share narrowed and record it in the enterprise's audit trail."""
    bind = op.get_bind()
    shares = sa.table(
        "share",
        sa.column("id", sa.Integer),
        sa.column("enterprise_id", sa.Integer),
        sa.column("provider_id", sa.Integer),
        sa.column("narrowed", sa.Boolean),
    )
    rows = bind.execute(sa.select(shares.c.id, shares.c.enterprise_id, shares.c.provider_id)).all()
    if not rows:
        return
    bind.execute(sa.update(shares).values(narrowed=True))
    events = sa.table(
        "audit_event",
        sa.column("actor_id", sa.Integer),
        sa.column("organization_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    bind.execute(
        sa.insert(events),
        [
            {
                "actor_id": None,
                "organization_id": enterprise_id,
                "action": "narrow_share",
                "object_type": "share",
                "object_id": str(share_id),
                "before": {"provider_id": provider_id, "categories": "all"},
                "after": {"provider_id": provider_id, "categories": NARROWEST},
                "at": now,
            }
            for share_id, enterprise_id, provider_id in rows
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.drop_column("narrowed")
        batch_op.drop_column("categories")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_column("stage")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scopes")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("must_change_password")
