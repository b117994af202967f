"""FastAPI application factory: ``create_app(settings)``.

Every route lives in a module of :mod:`nqpf.web.routes` that exposes ``pages`` (HTML,
browser session) and ``api`` (JSON under ``/api/v1``, bearer token or session).  Routes
are thin: they take ``SessionDep`` and ``ActorDep``/``PageActorDep`` and call
:mod:`nqpf.web.services`, which raise :mod:`nqpf.web.errors` errors; the handlers here
turn those into JSON (``{"detail": …, "field": …}``) or an HTML error page.  The schema is
created by the migrations (``nqpf db upgrade``), not here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import nqpf
from nqpf.exceptions import DataValidationError
from nqpf.web import i18n_routes
from nqpf.web.apidocs import install_docs
from nqpf.web.config import Settings
from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.errors import (
    LoginRequired,
    PlatformError,
    RateLimited,
    field_error,
    validation_message_zh,
)
from nqpf.web.mail import smtp_mailer
from nqpf.web.routes import (
    admin,
    analytics,
    assessments,
    auth,
    carbon,
    dashboard,
    effects,
    enterprises,
    needs,
    programmes,
    projects,
    providers,
)
from nqpf.web.security import is_https
from nqpf.web.templating import render

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).with_name("static")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
]


class BodyLimitMiddleware:
    """Answer 413 to a request body larger than ``limit`` bytes (declared or streamed),
    before any route reads it; add the security headers to every answer (and HSTS with
    ``hsts_max_age`` seconds to those served over HTTPS, directly or through a trusted
    proxy)."""

    def __init__(
        self, app: ASGIApp, limit: int, hsts_max_age: int = 0, trusted: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.limit = limit
        self.hsts = [(b"strict-transport-security", f"max-age={hsts_max_age}".encode())]
        self.hsts_max_age = hsts_max_age
        self.trusted = list(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        extra = list(SECURITY_HEADERS)
        if self.hsts_max_age and is_https(scope, self.trusted):
            extra += self.hsts

        async def secure_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, secure_send)
        except _BodyTooLarge:
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"请求体超过上限 {self.limit} 字节", "field": "body"}, status_code=413
        )
        await response(scope, _no_receive, send)


class _BodyTooLarge(Exception):
    pass


async def _no_receive() -> Message:  # pragma: no cover - a JSONResponse never reads
    return {"type": "http.disconnect"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, status: int, detail: str, field: str | None) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"detail": detail}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=status)
    return render(
        request, "error.html", {"status": status, "detail": detail, "field": field}, status
    )


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# tags pydantic appends to a location for the branch of a union that failed
_UNION_TAGS = frozenset({"int", "float", "str", "bool", "list", "dict", "none", "decimal"})


def _field_name(loc: Sequence[Any]) -> str | None:
    """``records.0.carrier`` from pydantic's location, without its source ("body",
    "query", …) or union-branch tags such as ``literal['a','b']`` or ``float``."""
    parts: list[str] = []
    for part in list(loc)[1:]:
        if isinstance(part, int):
            parts.append(str(part))
        elif isinstance(part, str) and _IDENT.match(part) and part not in _UNION_TAGS:
            parts.append(part)
        else:
            break
    return ".".join(parts) or None


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PlatformError)
    async def _platform(request: Request, exc: PlatformError) -> Response:
        response = _error_response(request, exc.status, exc.message, exc.field)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(DataValidationError)
    async def _data(request: Request, exc: DataValidationError) -> Response:
        error = field_error(exc)
        return _error_response(request, 422, error.message, error.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if _wants_json(request):
            detail = [
                {
                    "loc": list(e.get("loc", ())),
                    "msg": validation_message_zh(e, field=_field_name(e.get("loc", ()))),
                    "type": e.get("type"),
                }
                for e in errors
            ]
            field = _field_name(errors[0].get("loc", ())) if errors else None
            return JSONResponse({"detail": detail, "field": field}, status_code=422)
        first = errors[0] if errors else {}
        field = _field_name(first.get("loc", ()))
        return _error_response(
            request, 422, f"输入有误：{validation_message_zh(first, field=field)}", field
        )


def _is_demo(app: FastAPI) -> bool:
    """True when the database holds the demo park: every page then shows the synthetic
    data banner."""
    from sqlalchemy.exc import SQLAlchemyError

    from nqpf.web.demo import is_demo_database

    try:
        with app.state.session_factory() as session:
            return is_demo_database(session)
    except SQLAlchemyError:  # not migrated yet
        return False


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the ``NQPF_*`` environment)."""
    settings = settings if settings is not None else Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="nqpf 平台",
        summary="新质生产力 — 企业数字化评测与区域监测平台 API",
        version=nqpf.__version__,
        lifespan=lifespan,
        openapi_url=None,  # served by install_docs, from local assets, maybe signed-in only
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.demo = _is_demo(app)
    app.state.mailer = smtp_mailer(settings)

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for module in (auth, enterprises, assessments, carbon, dashboard, admin, needs, providers,
                   projects, programmes, effects):  # fmt: skip
        app.include_router(module.api, prefix="/api/v1")
        app.include_router(module.pages, include_in_schema=False)
    # background jobs (/jobs, /api/v1/jobs) and regional analytics (/analytics)
    app.include_router(analytics.api, prefix="/api/v1")
    app.include_router(analytics.pages, include_in_schema=False)
    app.include_router(i18n_routes.pages, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    install_docs(app, public=settings.openapi_is_public)
    _install_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_upload_bytes,
        hsts_max_age=settings.hsts_max_age,
        trusted=settings.trusted_proxies,
    )
    return app
