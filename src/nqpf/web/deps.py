"""Request dependencies: the database session and the authenticated, CSRF-checked actor.

``ActorDep`` (JSON API) accepts a bearer token or a browser session cookie and answers
401 without one; ``PageActorDep`` (pages) redirects to the sign-in page instead.  With a
cookie, every unsafe request (POST, PUT, PATCH, DELETE) must carry the session's CSRF
token in the form field ``csrf_token`` or the header ``X-CSRF-Token``; bearer-token calls
need none (a browser never attaches them by itself), but each token carries scopes and a
request its token's scopes do not cover answers 403
(:func:`nqpf.web.security.required_scopes`).  :func:`client_ip` is the caller's address,
taking ``X-Forwarded-For`` only from the proxies in ``NQPF_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from nqpf.web.authz import Actor, load_actor
from nqpf.web.config import Settings
from nqpf.web.errors import Forbidden, LoginRequired, Unauthorized
from nqpf.web.security import client_address, required_scopes
from nqpf.web.services.auth import actor_for_session_token, token_access

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ActorDep",
    "PageActorDep",
    "SessionDep",
    "SettingsDep",
    "client_ip",
    "get_actor",
    "get_page_actor",
    "get_session",
]

SESSION_COOKIE = "nqpf_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="API token from POST /api/v1/auth/token")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def client_ip(request: Request) -> str:
    """The caller's address (the TCP peer, or what a trusted proxy forwarded)."""
    peer = request.client.host if request.client else None
    settings: Settings = request.app.state.settings
    return client_address(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def _check_csrf(request: Request, actor: Actor) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the endpoint reads it again
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not actor.csrf_token or not hmac.compare_digest(sent, actor.csrf_token):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试", field=CSRF_FIELD)


def _authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor | None:
    # sync: FastAPI runs it in the thread pool, so the queries never block the event loop
    if credentials is not None:
        if credentials.scheme.lower() != "bearer":
            return None
        access = token_access(session, credentials.credentials)
        if access is None:
            return None
        missing = required_scopes(request.method, request.url.path) - access.scopes
        if missing:
            raise Forbidden(f"API 令牌缺少权限范围：{'、'.join(sorted(missing))}", field="scopes")
        return load_actor(session, access.user, via="token")
    cookie = request.cookies.get(SESSION_COOKIE)
    return actor_for_session_token(session, cookie) if cookie else None


def _authenticate_cookie(request: Request, session: SessionDep) -> Actor | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return actor_for_session_token(session, cookie) if cookie else None


async def get_actor(
    request: Request, actor: Annotated[Actor | None, Depends(_authenticate)]
) -> Actor:
    if actor is None:
        raise Unauthorized("未登录或登录已过期")
    if actor.via == "session":
        await _check_csrf(request, actor)
    request.state.actor = actor
    return actor


async def get_page_actor(
    request: Request, actor: Annotated[Actor | None, Depends(_authenticate_cookie)]
) -> Actor:
    if actor is None:
        raise LoginRequired("请先登录")
    await _check_csrf(request, actor)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
PageActorDep = Annotated[Actor, Depends(get_page_actor)]
