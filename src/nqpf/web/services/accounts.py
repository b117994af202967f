"""Organizations, users and memberships: creation, roles, activation and passwords.

Rules
-----
* Only the platform admin creates organizations.  An authority needs a ``region_scope``:
  an NBS code prefix of 2, 4, 6, 9 or 12 digits whose first two digits are one of the 31
  province codes; enterprises and providers have none.
* The platform admin manages the users of every organization; an organization's admin
  manages the users of that organization.  Everyone else may at most look (members see
  their own organizations: 403 on changes); other organizations answer 404.
* An organization keeps at least one admin (409 otherwise).
* A password reset by an admin sets a generated temporary password (shown once), deletes
  the user's browser sessions and revokes their API tokens; the user must replace it at
  the next sign-in.  Instead, an admin may issue a one-time reset link
  (:func:`issue_reset_link`), or clear a user's two-factor set-up after a lost phone
  (:func:`reset_totp`: the user sets it up again at the next sign-in).
* New passwords pass :func:`nqpf.web.passwords.check` (length, zxcvbn score, common
  Chinese patterns; ``min_score`` is ``NQPF_PASSWORD_MIN_SCORE``).
* Every write leaves an audit event; passwords and their hashes never appear in it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from nqpf.codes import SCOPE_LENGTHS, province_codes, validate_region_prefix
from nqpf.exceptions import DataValidationError
from nqpf.web import passwords
from nqpf.web.authz import Actor
from nqpf.web.config import Settings
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound, field_error
from nqpf.web.models import (
    MEMBERSHIP_ROLES,
    ORGANIZATION_KINDS,
    ApiToken,
    Membership,
    Organization,
    RecoveryCode,
    User,
    WebSession,
)
from nqpf.web.security import hash_password, verify_password
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing

__all__ = [
    "EMAIL_PATTERN",
    "MIN_PASSWORD_LENGTH",
    "MemberRow",
    "add_member",
    "change_own_password",
    "change_role",
    "create_organization",
    "get_organization",
    "issue_reset_link",
    "list_members",
    "manageable_organizations",
    "normalize_email",
    "province_codes",
    "remove_member",
    "reset_password",
    "reset_totp",
    "set_active",
    "validate_region_scope",
]

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
TEMPORARY_PASSWORD_BYTES = 15  # token_urlsafe(15) → 20 characters
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
_EMAIL = re.compile(EMAIL_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

USER_FIELDS = ("email", "display_name", "is_active", "is_platform_admin")


def normalize_email(email: str) -> str:
    """An e-mail address as accounts store and look it up: stripped, lower-case."""
    return email.strip().lower()


def _clean_text(value: str | None, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise FieldError(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise FieldError(f"{label}不能超过 {max_length} 个字符", field=field)
    if _CONTROL.search(text):
        raise FieldError(f"{label}不能包含控制字符", field=field)
    return text


def _clean_email(email: str | None) -> str:
    value = normalize_email(email or "")
    if not value:
        raise FieldError("邮箱不能为空", field="email")
    if len(value) > 254 or not _EMAIL.match(value):
        raise FieldError("邮箱格式不正确", field="email")
    return value


def _check_password(
    password: str | None, field: str = "password", *, personal: tuple = (), min_score: int = 3
) -> str:
    value = password or ""
    verdict = passwords.check(value, personal=personal, min_score=min_score)
    if not verdict.ok:
        raise FieldError(verdict.message, field=field)
    return value


def validate_region_scope(scope: str | None) -> str:
    """The cleaned region scope of an authority (FieldError ``region_scope`` otherwise)."""
    if not (scope or "").strip():
        raise FieldError("主管部门必须填写区域范围（行政区划代码前缀）", field="region_scope")
    try:
        return validate_region_prefix(scope, field="region_scope", lengths=SCOPE_LENGTHS)
    except DataValidationError as exc:
        raise field_error(exc, label="区域范围") from None


# -- organizations -------------------------------------------------------------------------


def create_organization(
    session: Session, actor: Actor, *, name: str, kind: str, region_scope: str | None = None
) -> Organization:
    """A new organization (platform admin only)."""
    if not actor.is_platform_admin:
        raise Forbidden("只有平台管理员可以创建组织")
    name = _clean_text(name, "name", "组织名称", 200)
    if kind not in ORGANIZATION_KINDS:
        raise FieldError("组织类型应为 企业、服务商 或 主管部门", field="kind")
    if kind == "authority":
        scope: str | None = validate_region_scope(region_scope)
    else:
        if (region_scope or "").strip():
            raise FieldError("只有主管部门设置区域范围", field="region_scope")
        scope = None
    org = Organization(name=name, kind=kind, region_scope=scope)
    with committing(session):
        session.add(org)
        session.flush()
        audit.record(
            session,
            actor,
            "create",
            "organization",
            org.id,
            organization_id=org.id,
            after={"name": org.name, "kind": org.kind, "region_scope": org.region_scope},
        )
    return org


def get_organization(session: Session, actor: Actor, organization_id: int) -> Organization:
    """The organization if ``actor`` is a member of it or the platform admin (404 else).

    Authorities and providers never see another authority this way; enterprises in an
    authority's scope are read through the enterprise pages.
    """
    org = session.get(Organization, organization_id)
    if org is None or not (actor.is_platform_admin or organization_id in actor.roles):
        raise NotFound(f"组织 {organization_id} 不存在或无权查看")
    return org


def _org_for_admin(session: Session, actor: Actor, organization_id: int) -> Organization:
    org = get_organization(session, actor, organization_id)
    if not actor.is_admin_of(organization_id):
        raise Forbidden("只有该组织的管理员或平台管理员可以管理成员")
    return org


def manageable_organizations(session: Session, actor: Actor) -> list[Organization]:
    """All organizations for the platform admin, else those ``actor`` administers."""
    query = select(Organization).order_by(Organization.id)
    if not actor.is_platform_admin:
        ids = [oid for oid, role in actor.roles.items() if role == "admin"]
        if not ids:
            return []
        query = query.where(Organization.id.in_(ids))
    return list(session.scalars(query))


def member_counts(session: Session, organization_ids: Sequence[int]) -> dict[int, int]:
    if not organization_ids:
        return {}
    rows = session.execute(
        select(Membership.organization_id, func.count())
        .where(Membership.organization_id.in_(list(organization_ids)))
        .group_by(Membership.organization_id)
    ).all()
    return {oid: n for oid, n in rows}


# -- members -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    email: str
    display_name: str
    role: str
    is_active: bool
    is_platform_admin: bool
    joined_at: object


def list_members(session: Session, actor: Actor, organization_id: int) -> list[MemberRow]:
    """The members of a visible organization (404 otherwise), by e-mail."""
    get_organization(session, actor, organization_id)
    rows = session.execute(
        select(User, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.email)
    ).all()
    return [
        MemberRow(
            user_id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=role,
            is_active=u.is_active,
            is_platform_admin=u.is_platform_admin,
            joined_at=joined,
        )
        for u, role, joined in rows
    ]


def _check_role(role: str) -> str:
    if role not in MEMBERSHIP_ROLES:
        raise FieldError("角色应为 成员 或 管理员", field="role")
    return role


def add_member(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    email: str,
    role: str = "member",
    display_name: str | None = None,
    password: str | None = None,
    min_score: int = 3,
) -> Membership:
    """Add a user to an organization.

    With ``password`` a new user is created (409 ``email`` if the address is taken);
    without, the existing user with ``email`` joins (422 ``email`` if there is none,
    409 if already a member).
    """
    org = _org_for_admin(session, actor, organization_id)
    email = _clean_email(email)
    role = _check_role(role)
    existing = session.scalars(select(User).where(User.email == email)).first()
    with committing(
        session, conflict=lambda: Conflict("该邮箱已被注册或已是本组织成员", field="email")
    ):
        if password:
            name = _clean_text(display_name, "display_name", "姓名", 100)
            _check_password(password, personal=(email, name), min_score=min_score)
            if existing is not None:
                raise Conflict("该邮箱已被注册", field="email")
            user = User(email=email, display_name=name, password_hash=hash_password(password))
            session.add(user)
            session.flush()
            audit.record(
                session,
                actor,
                "create",
                "user",
                user.id,
                organization_id=org.id,
                after={**audit.snapshot(user, USER_FIELDS), "password": "set"},
            )
        else:
            if existing is None:
                raise FieldError("该邮箱尚无账户：请填写姓名和初始密码以新建用户", field="email")
            user = existing
            already = session.scalar(
                select(Membership.id).where(
                    Membership.user_id == user.id, Membership.organization_id == org.id
                )
            )
            if already is not None:
                raise Conflict("该用户已是本组织成员", field="email")
        membership = Membership(user_id=user.id, organization_id=org.id, role=role)
        session.add(membership)
        session.flush()
        audit.record(
            session,
            actor,
            "add_member",
            "membership",
            membership.id,
            organization_id=org.id,
            after={"user_id": user.id, "email": user.email, "role": role},
        )
    return membership


def _membership(session: Session, organization_id: int, user_id: int) -> Membership:
    row = session.scalars(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    ).first()
    if row is None:
        raise NotFound(f"用户 {user_id} 不是该组织的成员")
    return row


def _admin_count(session: Session, organization_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organization_id == organization_id, Membership.role == "admin")
    )


def change_role(
    session: Session, actor: Actor, organization_id: int, user_id: int, role: str
) -> Membership:
    """Set a member's role; the organization keeps at least one admin (409)."""
    _org_for_admin(session, actor, organization_id)
    role = _check_role(role)
    row = _membership(session, organization_id, user_id)
    before = row.role
    if before == role:
        return row
    with committing(session):
        if before == "admin" and _admin_count(session, organization_id) <= 1:
            raise Conflict("组织至少需要保留一名管理员", field="role")
        row.role = role
        audit.record(
            session,
            actor,
            "change_role",
            "membership",
            row.id,
            organization_id=organization_id,
            before={"user_id": user_id, "role": before},
            after={"user_id": user_id, "role": role},
        )
    return row


def remove_member(session: Session, actor: Actor, organization_id: int, user_id: int) -> None:
    """Remove a membership (the user account stays); the last admin stays (409)."""
    _org_for_admin(session, actor, organization_id)
    row = _membership(session, organization_id, user_id)
    with committing(session):
        if row.role == "admin" and _admin_count(session, organization_id) <= 1:
            raise Conflict("不能移除组织的最后一名管理员", field="user_id")
        user = session.get(User, user_id)
        audit.record(
            session,
            actor,
            "remove_member",
            "membership",
            row.id,
            organization_id=organization_id,
            before={"user_id": user_id, "email": user.email if user else None, "role": row.role},
        )
        session.delete(row)


# -- users ---------------------------------------------------------------------------------


def _user_org_ids(session: Session, user_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Membership.organization_id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.organization_id)
        )
    )


def _user_for_admin(
    session: Session, actor: Actor, user_id: int, *, all_orgs: bool
) -> tuple[User, int | None]:
    """The user and the organization the event belongs to, if ``actor`` may manage them.

    404 when the user shares no organization with ``actor``; 403 when ``actor`` is not an
    admin of one of them (``all_orgs``: of every one of them) or the user is a platform
    admin and ``actor`` is not.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在或无权查看")
    orgs = _user_org_ids(session, user_id)
    if actor.is_platform_admin:
        return user, orgs[0] if orgs else None
    shared = [o for o in orgs if o in actor.roles]
    if not shared:
        raise NotFound(f"用户 {user_id} 不存在或无权查看")
    admin_of = [o for o in orgs if actor.roles.get(o) == "admin"]
    allowed = (len(admin_of) == len(orgs)) if all_orgs else bool(admin_of)
    if not allowed or user.is_platform_admin:
        raise Forbidden("无权管理该用户")
    return user, admin_of[0]


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate or reactivate a user (platform admin, or the admin of every one of the
    user's organizations).  A deactivated user can no longer sign in or use tokens."""
    user, org_id = _user_for_admin(session, actor, user_id, all_orgs=True)
    if user.id == actor.user.id and not active:
        raise Conflict("不能停用自己的账户", field="user_id")
    if user.is_active == active:
        return user
    with committing(session):
        user.is_active = active
        if not active:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session,
            actor,
            "activate" if active else "deactivate",
            "user",
            user.id,
            organization_id=org_id,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user


def _end_all_access(session: Session, user_id: int) -> tuple[int, int]:
    sessions = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    tokens = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    return sessions.rowcount or 0, tokens.rowcount or 0


def generate_temporary_password() -> str:
    """A random temporary password (20 URL-safe characters)."""
    return secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)


def reset_password(session: Session, actor: Actor, user_id: int) -> str:
    """Set a generated temporary password (returned, shown once) that must be replaced at
    the next sign-in; end the user's browser sessions and revoke their API tokens."""
    user, org_id = _user_for_admin(session, actor, user_id, all_orgs=False)
    temporary = generate_temporary_password()
    with committing(session):
        user.password_hash = hash_password(temporary)
        user.must_change_password = True
        ended, revoked = _end_all_access(session, user.id)
        audit.record(
            session,
            actor,
            "reset_password",
            "user",
            user.id,
            organization_id=org_id,
            after={"password": "reset", "sessions_ended": ended, "tokens_revoked": revoked},
        )
    return temporary


def issue_reset_link(session: Session, settings: Settings, actor: Actor, user_id: int) -> str:
    """A one-time password-reset token for the user (same rule as :func:`reset_password`);
    the admin hands the link over, so it works without e-mail."""
    # the sign-in service owns reset links and imports this module: imported here
    from nqpf.web.services import auth as auth_service

    user, org_id = _user_for_admin(session, actor, user_id, all_orgs=False)
    return auth_service.issue_reset_link(session, settings, actor, user, org_id)


def reset_totp(session: Session, actor: Actor, user_id: int) -> User:
    """Clear a user's two-factor set-up and recovery codes (a lost phone); the user sets
    it up again at the next sign-in where the role requires it.  Browser sessions end."""
    user, org_id = _user_for_admin(session, actor, user_id, all_orgs=False)
    with committing(session):
        had = user.totp_enabled_at is not None
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session,
            actor,
            "reset_totp",
            "user",
            user.id,
            organization_id=org_id,
            before={"totp": had},
            after={"totp": False},
        )
    return user


def change_own_password(
    session: Session,
    actor: Actor,
    old_password: str,
    new_password: str,
    *,
    min_score: int = 3,
) -> None:
    """Change the caller's password (the old one is required, the new one passes the
    password policy)."""
    user = session.get(User, actor.user.id)
    if user is None:  # pragma: no cover - the actor was just loaded
        raise NotFound("用户不存在")
    if not verify_password(user.password_hash, old_password or ""):
        raise FieldError("原密码不正确", field="old_password")
    _check_password(
        new_password,
        "new_password",
        personal=(user.email, user.display_name),
        min_score=min_score,
    )
    if new_password == old_password:
        raise FieldError("新密码不能与原密码相同", field="new_password")
    with committing(session):
        user.password_hash = hash_password(new_password)
        audit.record(
            session, actor, "change_password", "user", user.id, after={"password": "changed"}
        )


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    """A user ``actor`` may see: themselves, a member of a shared organization, or any
    user for the platform admin (404 otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在或无权查看")
    if actor.is_platform_admin or user.id == actor.user.id:
        return user
    if not any(o in actor.roles for o in _user_org_ids(session, user_id)):
        raise NotFound(f"用户 {user_id} 不存在或无权查看")
    return user
