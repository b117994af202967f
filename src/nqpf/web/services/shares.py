"""Shares: an enterprise lets a service provider see its profile and submitted results.

Only the enterprise's own admins (and platform admins) list, add and remove its shares;
every change leaves an audit event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.web.authz import Actor, enterprise_for
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound
from nqpf.web.models import Organization, Share, User
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing

__all__ = [
    "ShareRow",
    "add_share",
    "list_providers",
    "list_shares",
    "may_manage_shares",
    "remove_share",
]


@dataclass
class ShareRow:
    provider_id: int
    provider_name: str
    created_at: Any
    created_by: str | None


def may_manage_shares(actor: Actor, organization: Organization) -> bool:
    """Only the enterprise's own admins (and platform admins) decide whom it shares with."""
    return actor.is_platform_admin or actor.roles.get(organization.id) == "admin"


def _share_enterprise(
    session: Session, actor: Actor, enterprise_id: int, *, write: bool
) -> Organization:
    organization = enterprise_for(session, actor, enterprise_id, "read")
    if not may_manage_shares(actor, organization):
        verb = "修改" if write else "查看"
        raise Forbidden(f"只有企业管理员可以{verb}企业 {enterprise_id} 的共享设置")
    return organization


def list_shares(session: Session, actor: Actor, enterprise_id: int) -> list[ShareRow]:
    """The providers ``enterprise_id`` shares with (its admins and platform admins)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=False)
    rows = session.execute(
        select(Share, Organization.name, User.display_name)
        .join(Organization, Organization.id == Share.provider_id)
        .outerjoin(User, User.id == Share.created_by)
        .where(Share.enterprise_id == organization.id)
        .order_by(Organization.name, Share.id)
    ).all()
    return [
        ShareRow(share.provider_id, name, share.created_at, creator)
        for share, name, creator in rows
    ]


def list_providers(session: Session) -> list[Organization]:
    """All service providers (to choose a share target)."""
    return list(
        session.scalars(
            select(Organization)
            .where(Organization.kind == "provider")
            .order_by(Organization.name, Organization.id)
        )
    )


def add_share(session: Session, actor: Actor, enterprise_id: int, provider_id: int) -> ShareRow:
    """Share the enterprise with the provider ``provider_id`` (409 if it already does)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=True)
    provider = session.get(Organization, provider_id)
    if provider is None or provider.kind != "provider":
        raise FieldError(f"服务商 {provider_id} 不存在", field="provider_id")

    def already_shared() -> Conflict:
        return Conflict(f"已与服务商“{provider.name}”共享", field="provider_id")

    exists = session.scalar(
        select(Share.id).where(
            Share.enterprise_id == organization.id, Share.provider_id == provider.id
        )
    )
    if exists is not None:
        raise already_shared()
    with committing(session, conflict=already_shared):
        share = Share(
            enterprise_id=organization.id, provider_id=provider.id, created_by=actor.user.id
        )
        session.add(share)
        session.flush()
        audit.record(
            session,
            actor,
            "share",
            "share",
            share.id,
            organization_id=organization.id,
            after={"enterprise_id": organization.id, "provider_id": provider.id},
        )
    return ShareRow(provider.id, provider.name, share.created_at, actor.user.display_name)


def remove_share(session: Session, actor: Actor, enterprise_id: int, provider_id: int) -> None:
    """Stop sharing with ``provider_id`` (404 when there is no such share)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=True)
    share = session.scalars(
        select(Share).where(
            Share.enterprise_id == organization.id, Share.provider_id == provider_id
        )
    ).first()
    if share is None:
        raise NotFound(f"企业 {enterprise_id} 未与服务商 {provider_id} 共享")
    with committing(session):
        audit.record(
            session,
            actor,
            "unshare",
            "share",
            share.id,
            organization_id=organization.id,
            before={"enterprise_id": organization.id, "provider_id": provider_id},
        )
        session.delete(share)
