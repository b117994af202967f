"""Organizations, users, memberships, password resets and the audit trail."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from nqpf.services.maps import region_path
from nqpf.web import crud
from nqpf.web.authz import Actor
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep, SettingsDep
from nqpf.web.errors import Forbidden, PlatformError
from nqpf.web.routes._shared import MAX_ID, NO_CONTROL
from nqpf.web.services import accounts
from nqpf.web.services import audit as audit_service
from nqpf.web.services import auth as auth_service
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["admin"])
pages = APIRouter()

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
SCOPE_PATTERN = r"^[0-9]*$"

OrgKind = Literal["enterprise", "provider", "authority"]
Role = Literal["member", "admin"]


# -- models --------------------------------------------------------------------------------


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    region_scope: str | None


class OrganizationDetail(OrganizationOut):
    created_at: datetime
    member_count: int = Field(description="Number of memberships")


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=NO_CONTROL)
    kind: OrgKind
    region_scope: str | None = Field(
        default=None,
        max_length=12,
        pattern=SCOPE_PATTERN,
        description="NBS region code prefix (2/4/6/9/12 digits); authorities only",
    )


class MemberOut(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: str
    is_active: bool
    is_platform_admin: bool


class MemberCreate(BaseModel):
    email: str = Field(max_length=254, pattern=accounts.EMAIL_PATTERN)
    role: Role = "member"
    display_name: str | None = Field(
        default=None, max_length=100, pattern=NO_CONTROL, description="Required for a new user"
    )
    password: str | None = Field(
        default=None,
        min_length=accounts.MIN_PASSWORD_LENGTH,
        max_length=accounts.MAX_PASSWORD_LENGTH,
        description="Initial password: creates a new user.  Omit to add an existing user.",
    )


class RoleUpdate(BaseModel):
    role: Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    is_active: bool
    is_platform_admin: bool


class PasswordResetOut(BaseModel):
    user_id: int
    temporary_password: str = Field(
        description="Shown once; give it to the user, who must replace it at the next sign-in"
    )


class ResetLinkOut(BaseModel):
    user_id: int
    reset_url: str = Field(description="One-time link to set a new password; shown once")
    expires_at: datetime


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD_LENGTH)
    new_password: str = Field(
        min_length=accounts.MIN_PASSWORD_LENGTH, max_length=accounts.MAX_PASSWORD_LENGTH
    )


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_email: str | None
    organization_id: int | None
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    total: int
    page: int
    per_page: int


def _member_out(row: accounts.MemberRow) -> MemberOut:
    return MemberOut.model_validate(row, from_attributes=True)


def _org_detail(session: SessionDep, org: Any) -> OrganizationDetail:
    counts = accounts.member_counts(session, [org.id])
    return OrganizationDetail(
        id=org.id,
        name=org.name,
        kind=org.kind,
        region_scope=org.region_scope,
        created_at=org.created_at,
        member_count=counts.get(org.id, 0),
    )


# -- API -----------------------------------------------------------------------------------


@api.get("/organizations", response_model=list[OrganizationOut])
def list_organizations(session: SessionDep, actor: ActorDep) -> list[OrganizationOut]:
    """Organizations the caller may see (all of them for a platform admin)."""
    return [
        OrganizationOut.model_validate(o)
        for o in crud.organizations_visible_to(session, actor.user)
    ]


@api.post("/organizations", response_model=OrganizationDetail, status_code=201)
def create_organization(
    body: OrganizationCreate, session: SessionDep, actor: ActorDep
) -> OrganizationDetail:
    """Create an organization (platform admin).  An authority needs ``region_scope``."""
    org = accounts.create_organization(
        session, actor, name=body.name, kind=body.kind, region_scope=body.region_scope
    )
    return _org_detail(session, org)


@api.get("/organizations/{organization_id}", response_model=OrganizationDetail)
def get_organization(
    organization_id: IdPath, session: SessionDep, actor: ActorDep
) -> OrganizationDetail:
    """One organization the caller belongs to (any for the platform admin); 404 else."""
    return _org_detail(session, accounts.get_organization(session, actor, organization_id))


@api.get("/organizations/{organization_id}/members", response_model=list[MemberOut])
def list_members(organization_id: IdPath, session: SessionDep, actor: ActorDep) -> list[MemberOut]:
    """Members of an organization the caller belongs to (any for the platform admin)."""
    return [_member_out(r) for r in accounts.list_members(session, actor, organization_id)]


def _one_member(session: SessionDep, actor: Actor, organization_id: int, user_id: int) -> MemberOut:
    for row in accounts.list_members(session, actor, organization_id):
        if row.user_id == user_id:
            return _member_out(row)
    raise PlatformError("membership vanished")  # pragma: no cover


@api.post("/organizations/{organization_id}/members", response_model=MemberOut, status_code=201)
def add_member(
    organization_id: IdPath,
    body: MemberCreate,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> MemberOut:
    """Add a member: with ``password`` (and ``display_name``) a new user is created
    (409 if the e-mail is taken); without, an existing user joins by e-mail.
    Organization admins and the platform admin only."""
    membership = accounts.add_member(
        session,
        actor,
        organization_id,
        email=body.email,
        role=body.role,
        display_name=body.display_name,
        password=body.password,
        min_score=settings.password_min_score,
    )
    return _one_member(session, actor, organization_id, membership.user_id)


@api.patch("/organizations/{organization_id}/members/{user_id}", response_model=MemberOut)
def change_role(
    organization_id: IdPath,
    user_id: IdPath,
    body: RoleUpdate,
    session: SessionDep,
    actor: ActorDep,
) -> MemberOut:
    """Change a member's role; the last admin cannot be demoted (409)."""
    accounts.change_role(session, actor, organization_id, user_id, body.role)
    return _one_member(session, actor, organization_id, user_id)


@api.delete("/organizations/{organization_id}/members/{user_id}", status_code=204)
def remove_member(
    organization_id: IdPath, user_id: IdPath, session: SessionDep, actor: ActorDep
) -> Response:
    """Remove a membership (the account stays); the last admin cannot be removed (409)."""
    accounts.remove_member(session, actor, organization_id, user_id)
    return Response(status_code=204)


@api.post("/users/{user_id}/password-reset", response_model=PasswordResetOut)
def reset_password(user_id: IdPath, session: SessionDep, actor: ActorDep) -> PasswordResetOut:
    """Set a generated temporary password (returned once); the user's browser sessions
    end and their API tokens are revoked.  Platform admin or an admin of one of the
    user's organizations."""
    temporary = accounts.reset_password(session, actor, user_id)
    return PasswordResetOut(user_id=user_id, temporary_password=temporary)


def _reset_url(request: Request, settings: SettingsDep, token: str) -> str:
    base = settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/reset/{token}"


@api.post("/users/{user_id}/password-reset-link", response_model=ResetLinkOut)
def password_reset_link(
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> ResetLinkOut:
    """Issue a one-time link with which the user chooses a new password (returned once,
    valid ``NQPF_PASSWORD_RESET_HOURS``); same rule as the password reset."""
    token = accounts.issue_reset_link(session, settings, actor, user_id)
    row = auth_service.reset_link_user(session, token)
    assert row is not None
    return ResetLinkOut(
        user_id=user_id,
        reset_url=_reset_url(request, settings, token),
        expires_at=row[0].expires_at,
    )


@api.post("/users/{user_id}/totp-reset", response_model=UserOut)
def totp_reset(user_id: IdPath, session: SessionDep, actor: ActorDep) -> UserOut:
    """Clear a user's two-factor set-up and recovery codes (a lost phone); they set it up
    again at the next sign-in where their role requires it."""
    return UserOut.model_validate(accounts.reset_totp(session, actor, user_id))


@api.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate_user(user_id: IdPath, session: SessionDep, actor: ActorDep) -> UserOut:
    """Deactivate a user: sign-in and tokens are refused (platform admin, or the admin of
    every organization the user belongs to)."""
    return UserOut.model_validate(accounts.set_active(session, actor, user_id, False))


@api.post("/users/{user_id}/activate", response_model=UserOut)
def activate_user(user_id: IdPath, session: SessionDep, actor: ActorDep) -> UserOut:
    """Reactivate a user (same rule as deactivation)."""
    return UserOut.model_validate(accounts.set_active(session, actor, user_id, True))


@api.post("/account/password", status_code=204)
def change_own_password(
    body: PasswordChange, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    """Change the caller's own password (the old one is required; the new one passes the
    password policy: length, strength estimate, common patterns)."""
    accounts.change_own_password(
        session, actor, body.old_password, body.new_password, min_score=settings.password_min_score
    )
    return Response(status_code=204)


@api.get("/audit", response_model=AuditPageOut)
def browse_audit(
    session: SessionDep,
    actor: ActorDep,
    actor_email: Annotated[str | None, Query(max_length=254, pattern=NO_CONTROL)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
    object_type: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=audit_service.MAX_PER_PAGE)] = 50,
) -> AuditPageOut:
    """Audit events, newest first: all for the platform admin, those of the organizations
    they administer for an organization admin; 403 for everyone else."""
    result = audit_service.browse(
        session,
        actor,
        audit_service.AuditFilter(actor_email, action, object_type, date_from, date_to),
        page=page,
        per_page=per_page,
    )
    return AuditPageOut(
        items=[AuditEventOut(**vars(r)) for r in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
    )


# -- pages ---------------------------------------------------------------------------------


def _compact_json(value: Any) -> str:
    """Compact JSON text (autoescaped by the template like any other text)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _admin_index(
    request: Request,
    session: SessionDep,
    actor: Actor,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    listing: dict[str, Any] | None = None,
) -> Response:
    """The admin index: the organisations the actor manages, filtered (name, id or region
    scope; kind) and paged by :data:`ORG_PAGE_SIZE`, and the create form."""
    orgs = accounts.manageable_organizations(session, actor)
    if not orgs and not actor.is_platform_admin:
        raise Forbidden("只有平台管理员和组织管理员可以进入管理页面")
    listing = listing or {}
    q = (listing.get("q") or "").strip()
    kind = listing.get("kind") or ""
    shown = [
        o for o in orgs
        if (not q or q.lower() in o.name.lower() or q == str(o.id)
            or (o.region_scope or "").startswith(q))
        and (not kind or o.kind == kind)
    ]  # fmt: skip
    pages_total = max(1, -(-len(shown) // ORG_PAGE_SIZE))
    page = min(max(int(listing.get("page") or 1), 1), pages_total)
    page_orgs = shown[(page - 1) * ORG_PAGE_SIZE : page * ORG_PAGE_SIZE]
    counts = accounts.member_counts(session, [o.id for o in page_orgs])
    query = urlencode({k: v for k, v in (("q", q), ("kind", kind)) if v})
    return render(
        request,
        "admin/index.html",
        {
            "organizations": page_orgs,
            "counts": counts,
            "form": form or {"name": "", "kind": "enterprise", "region_scope": ""},
            "errors": errors or {},
            "listing": {"q": q, "kind": kind, "total": len(shown), "all": len(orgs)},
            "page": page,
            "pages_total": pages_total,
            "page_query": query,
            "region_path": region_path,
        },
        status_code,
    )


ORG_PAGE_SIZE = 50
# Chinese labels of the audit actions of sign-in and administration (others show as is)
AUDIT_ACTION_LABELS = {
    **audit_service.ACTION_LABELS,
    **auth_service.ACTION_LABELS,
    "reset_password": "重置密码（临时密码）",
    "reset_totp": "重置两步验证",
    "change_password": "修改密码",
    "narrow_share": "共享范围收窄（迁移）",
}


@pages.get("/admin")
def admin_index(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    q: Annotated[str, Query(max_length=100, pattern=NO_CONTROL)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Platform admin: every organization (filtered, 50 a page) and the create form; org
    admins: theirs."""
    listing = {"q": q, "kind": kind if kind in ("enterprise", "provider", "authority") else "",
               "page": page}  # fmt: skip
    return _admin_index(request, session, actor, listing=listing)


@pages.post("/admin/organizations")
def admin_create_organization(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    name: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    region_scope: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = {"name": name, "kind": kind, "region_scope": region_scope}
    try:
        org = accounts.create_organization(
            session, actor, name=name, kind=kind, region_scope=region_scope
        )
    except PlatformError as exc:
        if exc.status != 422:
            raise
        return _admin_index(
            request,
            session,
            actor,
            form=form,
            errors={exc.field or "name": exc.message},
            status_code=422,
        )
    return RedirectResponse(f"/admin/organizations/{org.id}", status_code=303)


def _org_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    organization_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    temporary: dict[str, Any] | None = None,
    reset_link: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org = accounts.get_organization(session, actor, organization_id)
    if not actor.is_admin_of(organization_id):
        raise Forbidden("只有该组织的管理员或平台管理员可以管理成员")
    members = accounts.list_members(session, actor, organization_id)
    response = render(
        request,
        "admin/organization.html",
        {
            "org": org,
            "members": members,
            "form": form or {"email": "", "display_name": "", "role": "member"},
            "errors": errors or {},
            "notice": notice,
            "temporary": temporary,
            "reset_link": reset_link,
        },
        status_code,
    )
    return _no_store(response)


@pages.get("/admin/organizations/{organization_id}")
def admin_organization(
    organization_id: IdPath, request: Request, session: SessionDep, actor: PageActorDep
) -> Response:
    """Members of one organization: add, change role, remove, reset password, deactivate."""
    return _org_page(request, session, actor, organization_id)


@pages.post("/admin/organizations/{organization_id}/members")
def admin_add_member(
    organization_id: IdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    display_name: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    role: Annotated[str, Form(max_length=32)] = "member",
) -> Response:
    form = {"email": email, "display_name": display_name, "role": role}
    try:
        accounts.add_member(
            session,
            actor,
            organization_id,
            email=email,
            role=role,
            display_name=display_name,
            password=password or None,
            min_score=settings.password_min_score,
        )
    except PlatformError as exc:
        if exc.status not in (409, 422):
            raise
        return _org_page(
            request,
            session,
            actor,
            organization_id,
            form=form,
            errors={exc.field or "email": exc.message},
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/organizations/{organization_id}", status_code=303)


def _member_action(
    request: Request,
    session: SessionDep,
    actor: Actor,
    organization_id: int,
    action: Any,
) -> Response:
    try:
        action()
    except PlatformError as exc:
        if exc.status not in (409, 422):
            raise
        return _org_page(
            request, session, actor, organization_id, notice=exc.message, status_code=exc.status
        )
    return RedirectResponse(f"/admin/organizations/{organization_id}", status_code=303)


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/role")
def admin_change_role(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    return _member_action(
        request,
        session,
        actor,
        organization_id,
        lambda: accounts.change_role(session, actor, organization_id, user_id, role),
    )


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/remove")
def admin_remove_member(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
) -> Response:
    return _member_action(
        request,
        session,
        actor,
        organization_id,
        lambda: accounts.remove_member(session, actor, organization_id, user_id),
    )


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/active")
def admin_set_active(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    active: Annotated[str, Form(max_length=8)] = "0",
) -> Response:
    accounts.get_organization(session, actor, organization_id)
    return _member_action(
        request,
        session,
        actor,
        organization_id,
        lambda: accounts.set_active(session, actor, user_id, active == "1"),
    )


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/reset-password")
def admin_reset_password(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
) -> Response:
    """Shows the temporary password once (this answer is not cached and not repeated)."""
    accounts.get_organization(session, actor, organization_id)
    temporary = accounts.reset_password(session, actor, user_id)
    user = accounts.get_user(session, actor, user_id)
    return _org_page(
        request,
        session,
        actor,
        organization_id,
        temporary={"email": user.email, "password": temporary},
    )


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/reset-link")
def admin_reset_link(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
) -> Response:
    """Shows a one-time password-reset link once (for the admin to hand over)."""
    accounts.get_organization(session, actor, organization_id)
    token = accounts.issue_reset_link(session, settings, actor, user_id)
    user = accounts.get_user(session, actor, user_id)
    link = {
        "email": user.email,
        "url": _reset_url(request, settings, token),
        "hours": settings.password_reset_hours,
    }
    return _org_page(request, session, actor, organization_id, reset_link=link)


@pages.post("/admin/organizations/{organization_id}/members/{user_id}/reset-totp")
def admin_reset_totp(
    organization_id: IdPath,
    user_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
) -> Response:
    accounts.get_organization(session, actor, organization_id)
    return _member_action(
        request,
        session,
        actor,
        organization_id,
        lambda: accounts.reset_totp(session, actor, user_id),
    )


@pages.get("/admin/audit")
def admin_audit(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    actor_email: Annotated[str, Query(max_length=254, pattern=NO_CONTROL)] = "",
    action: Annotated[str, Query(max_length=64, pattern=NO_CONTROL)] = "",
    object_type: Annotated[str, Query(max_length=64, pattern=NO_CONTROL)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The audit trail the caller may see, with filters."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            days[key] = date.fromisoformat(value) if value else None
        except ValueError:
            errors[key] = "日期格式应为 YYYY-MM-DD"
            days[key] = None
    filters = audit_service.AuditFilter(
        actor_email or None, action or None, object_type or None, days["date_from"], days["date_to"]
    )
    try:
        result = audit_service.browse(session, actor, filters, page=page, per_page=50)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        errors[exc.field or "date_from"] = exc.message
        result = audit_service.browse(
            session, actor, audit_service.AuditFilter(actor_email or None), page=1, per_page=50
        )
    actions, types = audit_service.distinct_values(session, actor)
    query = {
        "actor_email": actor_email,
        "action": action,
        "object_type": object_type,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(
        request,
        "admin/audit.html",
        {
            "result": result,
            "q": query,
            "errors": errors,
            "actions": actions,
            "object_types": types,
            "action_labels": AUDIT_ACTION_LABELS,
            "compact": _compact_json,
        },
        422 if errors else 200,
    )


@pages.get("/account/password")
def account_password_form(
    request: Request, actor: PageActorDep, changed: Annotated[str, Query(max_length=1)] = ""
) -> Response:
    return render(request, "admin/password.html", {"errors": {}, "done": changed == "1"})


@pages.post("/account/password")
def account_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
    old_password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    new_password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    new_password2: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Change the signed-in user's password."""
    if new_password != new_password2:
        errors = {"new_password2": "两次输入的新密码不一致"}
        return render(request, "admin/password.html", {"errors": errors, "done": False}, 422)
    try:
        accounts.change_own_password(
            session, actor, old_password, new_password, min_score=settings.password_min_score
        )
    except PlatformError as exc:
        if exc.status != 422:
            raise
        errors = {exc.field or "new_password": exc.message}
        return render(request, "admin/password.html", {"errors": errors, "done": False}, 422)
    return RedirectResponse("/account/password?changed=1", status_code=303)
