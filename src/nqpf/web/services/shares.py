"""Shares: an enterprise lets a service provider see the data categories it names.

Categories (:data:`SHARE_CATEGORIES`): ``profile`` (the enterprise's profile: always
shared, or the provider could not know whom it serves), ``results`` (submitted
assessments and their levels), ``energy_carbon`` (carbon inventories: energy use and
emissions) and ``revenue_output`` (output value and revenue, and the intensities computed
from them).  A provider reads only the categories some share with it names
(:func:`require_category`, :func:`shared_categories`); the enterprise's own people, the
authorities over it and platform admins read everything.  Shares made before categories
existed were migrated to :data:`MIGRATED_CATEGORIES` (``narrowed``: the share list shows
a notice).

Only the enterprise's own admins (and platform admins) list, add and remove its shares;
every change leaves an audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nqpf.web.authz import Actor, enterprise_for, in_scope
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound
from nqpf.web.models import CarbonInventory, EnterpriseProfile, Organization, Share, User
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing

__all__ = [
    "MIGRATED_CATEGORIES",
    "SHARE_CATEGORIES",
    "ShareRow",
    "add_share",
    "clean_categories",
    "list_providers",
    "list_shares",
    "may_manage_shares",
    "may_read_category",
    "remove_share",
    "require_category",
    "results_visible",
    "shared_categories",
    "shared_inventory",
]

SHARE_CATEGORIES = {
    "profile": "企业概况",
    "results": "评测结果",
    "energy_carbon": "能源与碳排放",
    "revenue_output": "产值与营业收入",
}
REQUIRED_CATEGORY = "profile"
# what a share meant before it named categories ("profile and submitted results")
MIGRATED_CATEGORIES = ("profile", "results")


@dataclass
class ShareRow:
    provider_id: int
    provider_name: str
    created_at: Any
    created_by: str | None
    categories: list[str] = field(default_factory=lambda: list(MIGRATED_CATEGORIES))
    narrowed: bool = False


def clean_categories(values: Iterable[str] | None) -> list[str]:
    """The categories named (``profile`` always among them), in :data:`SHARE_CATEGORIES`
    order; FieldError ``categories`` for an unknown one."""
    chosen = set(values if values is not None else MIGRATED_CATEGORIES)
    unknown = sorted(chosen - set(SHARE_CATEGORIES))
    if unknown:
        names = "、".join(f"{k}（{v}）" for k, v in SHARE_CATEGORIES.items())
        raise FieldError(f"未知的共享类别：{', '.join(unknown)}；可选 {names}", field="categories")
    chosen.add(REQUIRED_CATEGORY)
    return [c for c in SHARE_CATEGORIES if c in chosen]


def shared_categories(
    session: Session, actor: Actor, organization: Organization
) -> frozenset | None:
    """The categories of ``organization`` that ``actor`` reads through shares, or None when
    ``actor`` reads it in its own right (its people, authorities over it, platform admins).

    Cached in ``session.info`` for the request.
    """
    if actor.is_platform_admin or organization.id in actor.enterprise_ids:
        return None
    region = organization.profile.region_code if organization.profile else None
    if any(in_scope(region, s) for s in actor.region_scopes()):
        return None
    cache: dict = session.info.setdefault("nqpf_share_categories", {})
    key = (actor.user.id, organization.id)
    if key not in cache:
        rows = (
            session.scalars(
                select(Share.categories).where(
                    Share.enterprise_id == organization.id,
                    Share.provider_id.in_(actor.provider_ids),
                )
            )
            if actor.provider_ids
            else []
        )
        cache[key] = frozenset(c for categories in rows for c in (categories or ()))
    return cache[key]


def may_read_category(
    session: Session, actor: Actor, organization: Organization, category: str
) -> bool:
    """Whether ``actor`` may read ``category`` of ``organization``."""
    categories = shared_categories(session, actor, organization)
    return categories is None or category in categories


def results_visible(actor: Actor) -> ColumnElement[bool]:
    """A condition on ``Organization`` (outer-joined to ``EnterpriseProfile``): the
    enterprises whose assessment results ``actor`` may read (for SQL lists)."""
    if actor.is_platform_admin:
        return true()
    own = Organization.id.in_(actor.enterprise_ids) if actor.enterprise_ids else false()
    scopes = [
        EnterpriseProfile.region_code.startswith(s, autoescape=True) for s in actor.region_scopes()
    ]
    shared = (
        Organization.id.in_(
            select(Share.enterprise_id).where(
                Share.provider_id.in_(actor.provider_ids),
                # JSON as text on SQLite and PostgreSQL alike: the quoted name is exact
                cast(Share.categories, String).contains('"results"'),
            )
        )
        if actor.provider_ids
        else false()
    )
    return or_(own, *scopes, shared)


def require_category(
    session: Session, actor: Actor, organization: Organization, category: str
) -> None:
    """Forbidden unless ``actor`` may read ``category`` of ``organization``."""
    categories = shared_categories(session, actor, organization)
    if categories is not None and category not in categories:
        raise Forbidden(
            f"企业“{organization.name}”未向贵单位共享{SHARE_CATEGORIES[category]}数据",
            field="category",
        )


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


# inventory fields of the revenue/output category: the inputs and what is computed from them
REVENUE_OUTPUT_INPUTS = ("output", "revenue")
REVENUE_OUTPUT_RESULTS = ("intensities",)


def shared_inventory(
    session: Session, actor: Actor, organization: Organization, row: CarbonInventory
) -> CarbonInventory:
    """``row`` as ``actor`` may read it: Forbidden without ``energy_carbon``; without
    ``revenue_output`` the output value, revenue and intensities are blanked (in the
    loaded object only: the blanks are marked as the stored values, so nothing is
    written back)."""
    require_category(session, actor, organization, "energy_carbon")
    categories = shared_categories(session, actor, organization)
    if categories is not None and "revenue_output" not in categories:
        inputs = {**(row.inputs or {}), **dict.fromkeys(REVENUE_OUTPUT_INPUTS)}
        result = {**(row.result or {}), **{k: [] for k in REVENUE_OUTPUT_RESULTS}}
        set_committed_value(row, "inputs", inputs)
        set_committed_value(row, "result", result)
    return row


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
        ShareRow(
            share.provider_id,
            name,
            share.created_at,
            creator,
            clean_categories(share.categories),
            share.narrowed,
        )
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


def add_share(
    session: Session,
    actor: Actor,
    enterprise_id: int,
    provider_id: int,
    categories: Iterable[str] | None = None,
) -> ShareRow:
    """Share the named ``categories`` of the enterprise (default
    :data:`MIGRATED_CATEGORIES`) with the provider ``provider_id`` (409 if it already
    does)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=True)
    chosen = clean_categories(categories)
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
            enterprise_id=organization.id,
            provider_id=provider.id,
            created_by=actor.user.id,
            categories=chosen,
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
            after={
                "enterprise_id": organization.id,
                "provider_id": provider.id,
                "categories": chosen,
            },
        )
    return ShareRow(provider.id, provider.name, share.created_at, actor.user.display_name, chosen)


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
            before={
                "enterprise_id": organization.id,
                "provider_id": provider_id,
                "categories": share.categories,
            },
        )
        session.delete(share)
