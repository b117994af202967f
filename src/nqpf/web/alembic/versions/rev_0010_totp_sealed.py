"""TOTP secrets encrypted at rest: ``user_account.totp_secret`` grows to 128 characters
and every secret stored in clear is sealed under ``NQPF_SECRET_KEY``
(:func:`nqpf.web.totp.seal_secret`, AES-256-GCM under an HKDF sub-key); the downgrade
opens them again.  Both read ``NQPF_SECRET_KEY`` (and ``NQPF_ENV``) from the environment,
as ``nqpf db upgrade`` does, and only when a secret is stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _is_sealed(stored: str) -> bool:
    return ":" in stored  # a clear secret is base32: letters and digits only


def _rewrite(change: Callable[[str, str], str], sealed: bool) -> None:
    """Apply ``change(value, secret_key)`` to every stored secret whose sealed state is
    ``sealed``."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None))
    ).all()
    rows = [(uid, value) for uid, value in rows if _is_sealed(value) == sealed]
    if not rows:
        return
    from nqpf.web.config import Settings

    key = Settings().secret_key
    for uid, value in rows:
        connection.execute(
            sa.update(_users).where(_users.c.id == uid).values(totp_secret=change(value, key))
        )


def upgrade() -> None:
    from nqpf.web.totp import seal_secret

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=128)
        )
    _rewrite(seal_secret, sealed=False)


def downgrade() -> None:
    from nqpf.web.totp import open_secret

    _rewrite(open_secret, sealed=True)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=128), type_=sa.String(length=64)
        )
