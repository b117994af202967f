"""Queries used by the routes (routes hold no SQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.web.models import ApiToken, Membership, Organization, User
from nqpf.web.security import hash_token

__all__ = ["organizations_visible_to", "user_for_token"]


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning the unrevoked, unexpired bearer ``token``, else None."""
    row = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    ).first()
    if row is None:
        return None
    if row.expires_at is not None:
        expires = row.expires_at
        if expires.tzinfo is None:  # SQLite drops the zone; stored values are UTC
            expires = expires.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user


def organizations_visible_to(session: Session, user: User) -> list[Organization]:
    """All organizations for a platform admin; otherwise those the user is a member of."""
    query = select(Organization).order_by(Organization.id)
    if not user.is_platform_admin:
        query = query.join(Membership).where(Membership.user_id == user.id)
    return list(session.scalars(query))
