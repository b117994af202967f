"""Sign in and out with their steps (two-factor code, first-time set-up, temporary
password), password-reset links, two-factor settings of the account (pages); API tokens
and ``/me`` (JSON)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from nqpf.web import totp
from nqpf.web.authz import Actor
from nqpf.web.deps import (
    SESSION_COOKIE,
    ActorDep,
    PageActorDep,
    SessionDep,
    SettingsDep,
    client_ip,
)
from nqpf.web.errors import FieldError, Forbidden, LoginRequired, PlatformError
from nqpf.web.mail import reset_mail
from nqpf.web.models import Organization, User, WebSession
from nqpf.web.routes._shared import NO_CONTROL
from nqpf.web.services import auth as auth_service
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["auth"])
pages = APIRouter()

LOGIN_CSRF_COOKIE = "nqpf_login_csrf"
STEP_PAGES = {"totp": "/login/totp", "enrol": "/login/enrol", "password": "/login/password"}
TokenPath = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _safe_next(target: str | None) -> str:
    # only same-site paths: never redirect to another host after signing in
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _after(stage: str, next_: str) -> str:
    """Where a sign-in in ``stage`` goes next."""
    if stage == "full":
        return _safe_next(next_)
    return f"{STEP_PAGES[stage]}?next={quote(_safe_next(next_))}"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


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
        {
            "login_csrf": token,
            "next": next_,
            "error": error,
            "email": email,
            "self_service_reset": request.app.state.settings.smtp_host is not None,
        },
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


def _pending(request: Request, session: SessionDep) -> tuple[WebSession, User] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return auth_service.pending_session(session, cookie) if cookie else None


@pages.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    pending = _pending(request, session)
    if pending is not None:  # a sign-in owing a step resumes there
        return RedirectResponse(_after(pending[0].stage, next), status_code=303)
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
        user = auth_service.authenticate(session, settings, email, password, client_ip(request))
    except PlatformError as exc:
        response = _login_page(
            request, next_=_safe_next(next), email=email, error=exc.message, status_code=exc.status
        )
        if hasattr(exc, "retry_after"):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token, row = auth_service.start_web_session(session, settings, user)
    response = RedirectResponse(_after(row.stage, next), status_code=303)
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


def _step(
    request: Request, session: SessionDep, stage: str, *, post: bool = False
) -> tuple[WebSession, User]:
    """The pending sign-in of this browser if it is in ``stage``; else the page sends
    the browser to sign in and a form post is refused (403: nothing to act on)."""
    pending = _pending(request, session)
    if pending is None or pending[0].stage != stage:
        if post:
            raise Forbidden("登录已过期或已完成，请重新登录", field="csrf_token")
        raise LoginRequired("请先登录")
    return pending


def _check_step_csrf(row: WebSession, sent: str) -> None:
    if not sent or not hmac.compare_digest(sent, row.csrf_token):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试", field="csrf_token")


def _step_page(
    request: Request,
    name: str,
    row: WebSession,
    next_: str,
    status_code: int = 200,
    **context: object,
) -> Response:
    ctx = {"step_csrf": row.csrf_token, "next": _safe_next(next_), "errors": {}, **context}
    return _no_store(render(request, f"auth/{name}.html", ctx, status_code))


@pages.get("/login/totp")
def totp_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    """Second step: the code from the authenticator app, or a recovery code."""
    row, _user = _step(request, session, "totp")
    return _step_page(request, "totp", row, next)


@pages.post("/login/totp")
def totp_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    row, user = _step(request, session, "totp", post=True)
    _check_step_csrf(row, csrf_token)
    try:
        auth_service.verify_second_factor(session, settings, row, user, code, client_ip(request))
    except PlatformError as exc:
        if exc.status not in (401, 429):
            raise
        response = _step_page(request, "totp", row, next, exc.status, errors={"code": exc.message})
        if hasattr(exc, "retry_after"):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return RedirectResponse(_after(row.stage, next), status_code=303)


def _enrol_context(settings: SettingsDep, user: User, secret: str) -> dict[str, object]:
    uri = totp.provisioning_uri(secret, user.email, settings.totp_issuer)
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": totp.qr_data_uri(uri), "secret": spaced}


@pages.get("/login/enrol")
def enrol_form(
    request: Request, session: SessionDep, settings: SettingsDep, next: str = "/"
) -> Response:
    """Set up two-factor sign-in (required for this role) before the first use."""
    row, user = _step(request, session, "enrol")
    secret = auth_service.begin_enrolment(session, settings, user)
    return _step_page(request, "enrol", row, next, **_enrol_context(settings, user, secret))


@pages.post("/login/enrol")
def enrol_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    row, user = _step(request, session, "enrol", post=True)
    _check_step_csrf(row, csrf_token)
    try:
        codes = auth_service.confirm_enrolment(session, settings, user, code, row)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        secret = auth_service.begin_enrolment(session, settings, user)
        context = _enrol_context(settings, user, secret)
        return _step_page(request, "enrol", row, next, 422, errors={"code": exc.message}, **context)
    return _no_store(
        render(
            request,
            "auth/recovery_codes.html",
            {"codes": codes, "continue_to": _after(row.stage, next)},
        )
    )


@pages.get("/login/password")
def first_password_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    """A temporary password from an admin reset must be replaced before anything else."""
    row, _user = _step(request, session, "password")
    return _step_page(request, "password", row, next)


@pages.post("/login/password")
def first_password_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    new_password: Annotated[str, Form(max_length=1024)] = "",
    new_password2: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    row, user = _step(request, session, "password", post=True)
    _check_step_csrf(row, csrf_token)
    try:
        if new_password != new_password2:
            raise FieldError("两次输入的新密码不一致", field="new_password2")
        auth_service.complete_password_change(session, settings, row, user, new_password)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        errors = {exc.field or "new_password": exc.message}
        return _step_page(request, "password", row, next, 422, errors=errors)
    return RedirectResponse(_after(row.stage, next), status_code=303)


@pages.post("/logout")
def logout(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    auth_service.end_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- password-reset links ------------------------------------------------------------------
def _reset_page(
    request: Request, token: str, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(32)
    response = render(
        request, "auth/reset.html", {"token": token, "errors": errors or {}, "csrf": csrf},
        status_code,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/reset",
    )
    return _no_store(response)


def _check_reset_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("页面已过期，请重新打开链接", field="csrf_token")


@pages.get("/reset")
def reset_request_form(request: Request) -> Response:
    """Ask for a reset link by e-mail (when SMTP is configured; else: ask an admin)."""
    return _reset_page(request, "")


@pages.post("/reset")
def reset_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Mail a reset link if the address has an account; the answer is the same either
    way (it does not tell which addresses exist)."""
    _check_reset_csrf(request, csrf_token)
    mailer = request.app.state.mailer
    if mailer is None:
        raise Forbidden("本平台未配置邮件发送：请联系组织管理员签发密码重置链接")
    user = auth_service.user_for_reset_request(session, email)
    if user is not None:
        token = auth_service.issue_reset_link(session, settings, None, user, None)
        base = settings.public_url or str(request.base_url)
        mailer(reset_mail(settings, user.email, f"{base.rstrip('/')}/reset/{token}"))
    return render(request, "auth/reset_sent.html", {})


@pages.get("/reset/{token}")
def reset_form(token: TokenPath, request: Request, session: SessionDep) -> Response:
    """Choose a new password through a one-time link."""
    if auth_service.reset_link_user(session, token) is None:
        raise Forbidden("重置链接无效、已使用或已过期，请联系管理员重新签发")
    return _reset_page(request, token)


@pages.post("/reset/{token}")
def reset_submit(
    token: TokenPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    new_password: Annotated[str, Form(max_length=1024)] = "",
    new_password2: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    _check_reset_csrf(request, csrf_token)
    if new_password != new_password2:
        return _reset_page(
            request, token, errors={"new_password2": "两次输入的新密码不一致"}, status_code=422
        )
    try:
        auth_service.reset_with_link(session, settings, token, new_password)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        errors = {exc.field or "new_password": exc.message}
        return _reset_page(request, token, errors=errors, status_code=422)
    return RedirectResponse("/login?reset=1", status_code=303)


# -- the account ---------------------------------------------------------------------------
@pages.get("/")
def home(actor: PageActorDep) -> Response:
    """Enterprise users land on their enterprise; everyone else on the enterprise list."""
    if len(actor.enterprise_ids) == 1 and not actor.is_platform_admin and not actor.scopes:
        return RedirectResponse(f"/enterprises/{actor.enterprise_ids[0]}", status_code=303)
    return RedirectResponse("/enterprises", status_code=303)


@pages.get("/account")
def account(
    request: Request, session: SessionDep, settings: SettingsDep, actor: PageActorDep
) -> Response:
    """The signed-in user: memberships, organizations and two-factor sign-in."""
    return render(request, "account.html", _account_context(session, settings, actor))


def _account_context(session: SessionDep, settings: SettingsDep, actor: Actor) -> dict:
    user = session.get(User, actor.user.id)
    assert user is not None
    return {
        "me": me(session, actor),
        "totp_enabled": user.totp_enabled_at is not None,
        "totp_required": auth_service.totp_required(session, settings, user),
        "recovery_left": auth_service.recovery_codes_left(session, user),
    }


@pages.get("/account/totp")
def account_totp_form(
    request: Request, session: SessionDep, settings: SettingsDep, actor: PageActorDep
) -> Response:
    """Set up two-factor sign-in (optional for this role)."""
    user = session.get(User, actor.user.id)
    assert user is not None
    secret = auth_service.begin_enrolment(session, settings, user)
    context = {"errors": {}, "action": "/account/totp", **_enrol_context(settings, user, secret)}
    return _no_store(render(request, "auth/enrol.html", context))


@pages.post("/account/totp")
def account_totp(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = session.get(User, actor.user.id)
    assert user is not None
    try:
        codes = auth_service.confirm_enrolment(session, settings, user, code)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        secret = auth_service.begin_enrolment(session, settings, user)
        context = {
            "errors": {"code": exc.message},
            "action": "/account/totp",
            **_enrol_context(settings, user, secret),
        }
        return _no_store(render(request, "auth/enrol.html", context, 422))
    return _no_store(
        render(request, "auth/recovery_codes.html", {"codes": codes, "continue_to": "/account"})
    )


@pages.post("/account/totp/recovery-codes")
def account_new_recovery_codes(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """New recovery codes (the old ones stop working); needs a current code."""
    try:
        codes = auth_service.renew_recovery_codes(session, settings, actor, code)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        context = {**_account_context(session, settings, actor), "errors": {"code": exc.message}}
        return render(request, "account.html", context, 422)
    return _no_store(
        render(request, "auth/recovery_codes.html", {"codes": codes, "continue_to": "/account"})
    )


@pages.post("/account/totp/disable")
def account_disable_totp(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActorDep,
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Turn two-factor sign-in off (only where the role does not require it)."""
    try:
        auth_service.disable_totp(session, settings, actor, password)
    except PlatformError as exc:
        if exc.status != 422:
            raise
        context = {
            **_account_context(session, settings, actor),
            "errors": {"password": exc.message},
        }
        return render(request, "account.html", context, 422)
    return RedirectResponse("/account", status_code=303)


# -- API -----------------------------------------------------------------------------------
Scope = Literal["read", "write", "admin"]


class TokenRequest(BaseModel):
    email: str = Field(max_length=254, pattern=NO_CONTROL)
    password: str = Field(max_length=1024)
    name: str = Field(
        default="", max_length=100, pattern=NO_CONTROL, description="A label for the token"
    )
    totp_code: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[0-9 ]*$",
        description="The current two-factor code (required for users with two-factor sign-in)",
    )
    hours: float | None = Field(
        default=None, gt=0, description="Lifetime in hours (default NQPF_API_TOKEN_HOURS, 8)"
    )
    days: float | None = Field(
        default=None, gt=0, le=366, description="Lifetime in days (instead of hours)"
    )
    scopes: list[Scope] = Field(
        default_factory=lambda: ["read"],
        max_length=3,
        description="read: GET requests; write: changes; admin: the administration API",
    )


class TokenOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown once")
    token_type: str = "bearer"
    expires_at: datetime | None
    scopes: list[str]


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
    """Exchange e-mail, password (and the two-factor code, for users who have it) for a
    bearer token with the given scopes, valid ``hours`` (default 8) or ``days``; sign-in
    lockout applies."""
    client = client_ip(request)
    user = auth_service.authenticate(session, settings, body.email, body.password, client)
    hours = body.days * 24 if body.days is not None else body.hours
    token, row = auth_service.exchange_for_token(
        session,
        settings,
        user,
        name=body.name,
        hours=hours,
        scopes=list(body.scopes),
        totp_code=body.totp_code,
        client=client,
    )
    return TokenOut(token=token, expires_at=row.expires_at, scopes=list(row.scopes))


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
