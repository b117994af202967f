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
from nqpf.web.models import (
    EnterpriseProfile,
    Membership,
    Need,
    NeedShare,
    Organization,
    Project,
    ProviderRegistration,
    Share,
    Solution,
    User,
)

__all__ = [
    "Action",
    "Actor",
    "enterprise_for",
    "in_scope",
    "load_actor",
    "may",
    "need_for",
    "project_for",
    "registration_for",
    "solution_for",
    "visible_enterprises",
    "visible_needs",
    "visible_projects",
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


# ------------------------------------------------------------------------------ the loop
# Needs, projects, solutions and register entries (issue 11).  The same rules: deny by
# default, 404 for what the caller may not see, 403 for what it may see but not do.
#
# * A need belongs to its enterprise: its members see it (drafts too) and edit it, its
#   admins share it with providers and accept proposals; an authority sees its
#   enterprises' needs once published; a provider sees only needs shared with it.
# * A project is seen by its enterprise's and its provider's members (both update it;
#   the enterprise's admins close it) and by the authorities over the enterprise.
# * A published solution is public to every signed-in user (the catalogue); a withdrawn
#   one only to its provider.  Only the provider's members change its solutions.
# * A register entry is seen by the authority that runs the register and by the
#   provider; the authority's admins decide, the provider's members apply and appeal.

NeedAction = Literal["read", "match", "edit", "manage"]
ProjectAction = Literal["read", "update", "close"]


def _region_of(session: Session, enterprise_id: int) -> str | None:
    org = enterprise_for_cache(session, enterprise_id)
    return org.profile.region_code if org is not None and org.profile is not None else None


def enterprise_for_cache(session: Session, enterprise_id: int) -> Organization | None:
    """The enterprise organization (with its profile), cached for the request."""
    cache: dict[int, Organization | None] = session.info.setdefault("nqpf_enterprises", {})
    if enterprise_id not in cache:
        cache[enterprise_id] = session.get(
            Organization, enterprise_id, options=[joinedload(Organization.profile)]
        )
    return cache[enterprise_id]


def _oversees(actor: Actor, region: str | None, *, admin_only: bool = False) -> bool:
    return any(in_scope(region, s) for s in actor.region_scopes(admin_only=admin_only))


def visible_needs(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Need`` (outer-joined to the enterprise's ``EnterpriseProfile``
    on ``Need.enterprise_id``) selecting the needs ``actor`` may read."""
    if actor.is_platform_admin:
        return Need.id.is_not(None)
    own = Need.enterprise_id.in_(actor.enterprise_ids) if actor.enterprise_ids else false()
    scopes = actor.region_scopes()
    overseen = (_scope_clause(scopes) & (Need.status != "draft")) if scopes else false()
    shared = (
        Need.id.in_(select(NeedShare.need_id).where(NeedShare.provider_id.in_(actor.provider_ids)))
        & (Need.status != "draft")
        if actor.provider_ids
        else false()
    )
    return or_(own, overseen, shared)


def need_for(session: Session, actor: Actor, need_id: int, action: NeedAction = "read") -> Need:
    """The need ``need_id`` if ``actor`` may do ``action`` to it.

    ``read``: see it; ``match``: see its ranked matches (the enterprise and the
    authorities over it, not providers); ``edit``: change, publish, close it (the
    enterprise's members); ``manage``: share it and decide proposals (its admins).

    Raises
    ------
    NotFound
        No such need, or one ``actor`` may not read.
    Forbidden
        ``actor`` may read it but not do ``action``.
    """
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(f"需求 {need_id} 不存在或无权查看")
    own = actor.is_platform_admin or need.enterprise_id in actor.enterprise_ids
    overseen = need.status != "draft" and _oversees(actor, _region_of(session, need.enterprise_id))
    shared = (
        need.status != "draft"
        and bool(actor.provider_ids)
        and session.scalar(
            select(NeedShare.id).where(
                NeedShare.need_id == need.id, NeedShare.provider_id.in_(actor.provider_ids)
            )
        )
        is not None
    )
    if not (own or overseen or shared):
        raise NotFound(f"需求 {need_id} 不存在或无权查看")
    allowed = {
        "read": True,
        "match": own or overseen,
        "edit": own,
        "manage": actor.is_platform_admin or actor.roles.get(need.enterprise_id) == "admin",
    }[action]
    if not allowed:
        raise Forbidden(f"无权对需求 {need_id} 执行此操作")
    return need


def visible_projects(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Project`` (outer-joined to the enterprise's
    ``EnterpriseProfile`` on ``Project.enterprise_id``) selecting what ``actor`` may read."""
    if actor.is_platform_admin:
        return Project.id.is_not(None)
    own = Project.enterprise_id.in_(actor.enterprise_ids) if actor.enterprise_ids else false()
    provider = Project.provider_id.in_(actor.provider_ids) if actor.provider_ids else false()
    scopes = actor.region_scopes()
    return or_(own, provider, _scope_clause(scopes) if scopes else false())


def project_for(
    session: Session, actor: Actor, project_id: int, action: ProjectAction = "read"
) -> Project:
    """The project ``project_id`` if ``actor`` may do ``action`` to it.

    ``read``: the enterprise's and the provider's members, the authorities over the
    enterprise; ``update``: both sides' members; ``close``: the enterprise's admins.
    """
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"项目 {project_id} 不存在或无权查看")
    enterprise_side = project.enterprise_id in actor.enterprise_ids
    provider_side = project.provider_id in actor.provider_ids
    overseen = _oversees(actor, _region_of(session, project.enterprise_id))
    if not (actor.is_platform_admin or enterprise_side or provider_side or overseen):
        raise NotFound(f"项目 {project_id} 不存在或无权查看")
    allowed = {
        "read": True,
        "update": actor.is_platform_admin or enterprise_side or provider_side,
        "close": actor.is_platform_admin or actor.roles.get(project.enterprise_id) == "admin",
    }[action]
    if not allowed:
        raise Forbidden(f"无权对项目 {project_id} 执行此操作")
    return project


def solution_for(
    session: Session, actor: Actor, solution_id: int, action: Literal["read", "edit"] = "read"
) -> Solution:
    """The solution ``solution_id``: published ones are public, withdrawn ones are the
    provider's; ``edit`` is for the provider's members."""
    solution = session.get(Solution, solution_id)
    if solution is None:
        raise NotFound(f"方案 {solution_id} 不存在或无权查看")
    mine = actor.is_platform_admin or solution.provider_id in actor.provider_ids
    if solution.status != "published" and not mine:
        raise NotFound(f"方案 {solution_id} 不存在或无权查看")
    if action == "edit" and not mine:
        raise Forbidden(f"只有服务商本身可以修改方案 {solution_id}")
    return solution


def registration_for(
    session: Session,
    actor: Actor,
    registration_id: int,
    action: Literal["read", "authority", "provider"] = "read",
) -> ProviderRegistration:
    """A register entry, seen by its authority's and its provider's members; ``authority``
    actions are for the authority's admins, ``provider`` actions for the provider's
    members."""
    row = session.get(ProviderRegistration, registration_id)
    if row is None:
        raise NotFound(f"入库记录 {registration_id} 不存在或无权查看")
    authority = row.authority_id in actor.roles
    provider = row.provider_id in actor.provider_ids
    if not (actor.is_platform_admin or authority or provider):
        raise NotFound(f"入库记录 {registration_id} 不存在或无权查看")
    allowed = {
        "read": True,
        "authority": actor.is_admin_of(row.authority_id),
        "provider": provider or actor.is_platform_admin,
    }[action]
    if not allowed:
        raise Forbidden(f"无权对入库记录 {registration_id} 执行此操作")
    return row
