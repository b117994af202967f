"""Who may see and do what: deny by default, decided per request from the memberships.

Rules
-----
* A platform admin sees and manages everything.
* An enterprise's members see their enterprise and fill its assessments; its admins also
  edit its profile, share it with service providers and manage its users.
* An authority (a park or a region) sees the enterprises whose NBS region code starts with
  its ``region_scope`` and their submitted results; its admins also create, import and
  edit those enterprises.  It never sees another authority's organization.
* A service provider sees only the enterprises that shared with it (and their submitted
  results).
* Objects the caller may not see answer 404 (their existence is not revealed); objects it
  may see but not change answer 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, joinedload

from nqpf.web.errors import Forbidden, NotFound
from nqpf.web.models import EnterpriseProfile, Membership, Organization, Share, User

__all__ = [
    "Action",
    "Actor",
    "enterprise_for",
    "in_scope",
    "load_actor",
    "may",
    "visible_enterprises",
]

Action = Literal["read", "assess", "manage"]


@dataclass(frozen=True)
class Actor:
    """The signed-in user and what their memberships grant.

    ``via`` is ``session`` (browser cookie; unsafe requests carry the CSRF token) or
    ``token`` (API bearer token).
    """

    user: User
    roles: Mapping[int, str] = field(default_factory=dict)  # organization id → role
    kinds: Mapping[int, str] = field(default_factory=dict)  # organization id → kind
    scopes: Mapping[int, str] = field(default_factory=dict)  # authority id → region scope
    via: Literal["session", "token"] = "session"
    csrf_token: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.user.is_platform_admin)

    def orgs_of_kind(self, kind: str, *, role: str | None = None) -> list[int]:
        return [
            org
            for org, k in self.kinds.items()
            if k == kind and (role is None or self.roles[org] == role)
        ]

    @property
    def enterprise_ids(self) -> list[int]:
        return self.orgs_of_kind("enterprise")

    @property
    def provider_ids(self) -> list[int]:
        return self.orgs_of_kind("provider")

    def is_admin_of(self, organization_id: int) -> bool:
        return self.is_platform_admin or self.roles.get(organization_id) == "admin"

    def region_scopes(self, *, admin_only: bool = False) -> list[str]:
        return [
            scope
            for org, scope in self.scopes.items()
            if scope and (not admin_only or self.roles.get(org) == "admin")
        ]


def load_actor(
    session: Session,
    user: User,
    *,
    via: Literal["session", "token"] = "session",
    csrf_token: str | None = None,
) -> Actor:
    """The :class:`Actor` of ``user`` from its memberships (one query)."""
    rows = session.execute(
        select(
            Membership.organization_id,
            Membership.role,
            Organization.kind,
            Organization.region_scope,
        )
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user.id)
    ).all()
    return Actor(
        user=user,
        roles={r.organization_id: r.role for r in rows},
        kinds={r.organization_id: r.kind for r in rows},
        scopes={r.organization_id: r.region_scope or "" for r in rows if r.kind == "authority"},
        via=via,
        csrf_token=csrf_token,
    )


def in_scope(region_code: str | None, scope: str) -> bool:
    """True when the NBS ``region_code`` lies in ``scope`` (a code prefix: 44, 4403, …)."""
    return bool(region_code) and bool(scope) and str(region_code).startswith(scope)


def _scope_clause(scopes: list[str]) -> ColumnElement[bool]:
    if not scopes:
        return false()
    return or_(*(EnterpriseProfile.region_code.startswith(s, autoescape=True) for s in scopes))


def visible_enterprises(actor: Actor, *, action: Action = "read") -> ColumnElement[bool]:
    """A WHERE clause on ``Organization`` (outer-joined to ``EnterpriseProfile``) selecting
    the enterprises ``actor`` may ``read`` (or ``manage``)."""
    is_enterprise = Organization.kind == "enterprise"
    if actor.is_platform_admin:
        return is_enterprise
    if action == "read":
        own = actor.enterprise_ids
        scopes = actor.region_scopes()
        shared = (
            Organization.id.in_(
                select(Share.enterprise_id).where(Share.provider_id.in_(actor.provider_ids))
            )
            if actor.provider_ids
            else false()
        )
    elif action == "manage":
        own = actor.orgs_of_kind("enterprise", role="admin")
        scopes = actor.region_scopes(admin_only=True)
        shared = false()
    else:  # assess: only the enterprise's own people
        own = actor.enterprise_ids
        scopes = []
        shared = false()
    own_clause = Organization.id.in_(own) if own else false()
    return is_enterprise & or_(own_clause, _scope_clause(scopes), shared)


def may(actor: Actor, organization: Organization, action: Action, session: Session) -> bool:
    """Whether ``actor`` may do ``action`` to the enterprise ``organization``."""
    if organization.kind != "enterprise":
        return False
    if actor.is_platform_admin:
        return True
    region = organization.profile.region_code if organization.profile else None
    if action == "assess":
        return organization.id in actor.enterprise_ids
    if action == "manage":
        return actor.roles.get(organization.id) == "admin" or any(
            in_scope(region, s) for s in actor.region_scopes(admin_only=True)
        )
    if organization.id in actor.enterprise_ids:
        return True
    if any(in_scope(region, s) for s in actor.region_scopes()):
        return True
    if actor.provider_ids:
        shared = session.scalar(
            select(Share.id).where(
                Share.enterprise_id == organization.id, Share.provider_id.in_(actor.provider_ids)
            )
        )
        return shared is not None
    return False


def enterprise_for(
    session: Session, actor: Actor, enterprise_id: int, action: Action = "read"
) -> Organization:
    """The enterprise ``enterprise_id`` if ``actor`` may do ``action`` to it.

    Raises
    ------
    NotFound
        No such enterprise, or one ``actor`` may not even read.
    Forbidden
        ``actor`` may read it but not do ``action``.
    """
    # kept in session.info for the request: the identity map holds objects weakly, and
    # one request often authorises the same enterprise several times
    cache: dict[int, Organization | None] = session.info.setdefault("nqpf_enterprises", {})
    if enterprise_id not in cache:
        cache[enterprise_id] = session.get(
            Organization, enterprise_id, options=[joinedload(Organization.profile)]
        )
    organization = cache[enterprise_id]
    if organization is None or not may(actor, organization, "read", session):
        raise NotFound(f"企业 {enterprise_id} 不存在或无权查看")
    if action != "read" and not may(actor, organization, action, session):
        raise Forbidden(f"无权对企业 {enterprise_id} 执行此操作（{action}）")
    return organization
