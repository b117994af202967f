"""Sign in and out (pages), API tokens and ``/me`` (JSON)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from nqpf.web.authz import load_actor
from nqpf.web.deps import SESSION_COOKIE, ActorDep, PageActorDep, SessionDep, SettingsDep
from nqpf.web.errors import Forbidden, PlatformError
from nqpf.web.models import Organization
from nqpf.web.routes._shared import NO_CONTROL
from nqpf.web.services import auth as auth_service
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["auth"])
pages = APIRouter()

LOGIN_CSRF_COOKIE = "nqpf_login_csrf"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # only same-site paths: never redirect to another host after signing in
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(
    request: Request,
    *,
    next_: str,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_, "error": error, "email": email},
        status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
    )
    return response


@pages.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_=_safe_next(next))


@pages.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            next_=_safe_next(next),
            email=email,
            status_code=403,
            error="页面已过期，请重新登录",
        )
    try:
        user = auth_service.authenticate(session, settings, email, password, _client(request))
    except PlatformError as exc:
        response = _login_page(
            request, next_=_safe_next(next), email=email, error=exc.message, status_code=exc.status
        )
        if hasattr(exc, "retry_after"):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token, _row = auth_service.start_web_session(session, settings, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@pages.post("/logout")
def logout(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    auth_service.end_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/")
def home(actor: PageActorDep) -> Response:
    """Enterprise users land on their enterprise; everyone else on the enterprise list."""
    if len(actor.enterprise_ids) == 1 and not actor.is_platform_admin and not actor.scopes:
        return RedirectResponse(f"/enterprises/{actor.enterprise_ids[0]}", status_code=303)
    return RedirectResponse("/enterprises", status_code=303)


@pages.get("/account")
def account(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    """The signed-in user: memberships and organizations."""
    return render(request, "account.html", {"me": me(session, actor)})


class TokenRequest(BaseModel):
    email: str = Field(max_length=254, pattern=NO_CONTROL)
    password: str = Field(max_length=1024)
    name: str = Field(
        default="", max_length=100, pattern=NO_CONTROL, description="A label for the token"
    )
    days: float | None = Field(default=30, gt=0, le=366, description="Lifetime in days")


class TokenOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown once")
    token_type: str = "bearer"
    expires_at: datetime | None


class MembershipOut(BaseModel):
    organization_id: int
    organization_name: str
    kind: str
    role: str
    region_scope: str | None


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    memberships: list[MembershipOut]


@api.post("/auth/token", response_model=TokenOut, status_code=201)
def create_token(
    body: TokenRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    """Exchange e-mail and password for a bearer token (rate-limited like the sign-in)."""
    user = auth_service.authenticate(session, settings, body.email, body.password, _client(request))
    actor = load_actor(session, user, via="token")
    token, row = auth_service.issue_api_token(session, actor, body.name, body.days)
    return TokenOut(token=token, expires_at=row.expires_at)


@api.delete("/auth/token", status_code=204)
def revoke_token(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    """Revoke the bearer token this request was made with."""
    if actor.via != "token":
        raise Forbidden("只能吊销本次请求所用的 API 令牌")
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    auth_service.revoke_api_token(session, actor, token)
    return Response(status_code=204)


@api.get("/me", response_model=MeOut)
def me(session: SessionDep, actor: ActorDep) -> MeOut:
    """The caller and its memberships."""
    orgs = {
        o.id: o
        for o in session.scalars(select(Organization).where(Organization.id.in_(list(actor.roles))))
    }
    return MeOut(
        id=actor.user.id,
        email=actor.user.email,
        display_name=actor.user.display_name,
        is_platform_admin=actor.is_platform_admin,
        memberships=[
            MembershipOut(
                organization_id=oid,
                organization_name=orgs[oid].name,
                kind=orgs[oid].kind,
                role=role,
                region_scope=orgs[oid].region_scope,
            )
            for oid, role in sorted(actor.roles.items())
        ],
    )
