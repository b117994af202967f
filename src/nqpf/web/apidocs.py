"""The OpenAPI documents at ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served from
locally bundled assets so that they work offline and under the app's CSP.

The JavaScript and CSS come from the ``fastapi-offline`` package (MIT; it ships Swagger UI,
Apache-2.0, and ReDoc, MIT, with their licence files) and are served at
``/docs-assets``; Swagger UI is started by ``static/apidocs.js`` (no inline script, which
the CSP's ``script-src 'self'`` forbids) with the validator badge off (it would call
validator.swagger.io).  ReDoc runs without its search (a ``blob:`` worker the CSP forbids)
from ``/docs-assets/redoc.js``: the package's bundle with its one remote image (the footer
logo on cdn.redoc.ly) replaced by an empty inline one, so nothing is fetched from outside.
``NQPF_OPENAPI_PUBLIC`` decides whether the three need a signed-in user (a browser session
or a bearer token with the ``read`` scope).
"""

from __future__ import annotations

import functools
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from nqpf.web.errors import LoginRequired, Unauthorized

__all__ = ["ASSETS_URL", "install_docs"]

ASSETS_URL = "/docs-assets"
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).with_name("static")


@functools.cache
def _redoc_bundle() -> bytes:
    text = (_assets_dir() / "redoc.standalone.js").read_text("utf-8")
    return text.replace(REDOC_REMOTE_LOGO, EMPTY_SVG).encode("utf-8")


def _signed_in(request: Request) -> bool:
    from nqpf.web.deps import SESSION_COOKIE
    from nqpf.web.services.auth import actor_for_session_token, token_access

    with request.app.state.session_factory() as session:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and actor_for_session_token(session, cookie) is not None:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            access = token_access(session, token.strip())
            return access is not None and "read" in access.scopes
    return False


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}</head><body>{body}</body></html>"
    )


def install_docs(app: FastAPI, *, public: bool) -> None:
    """Add ``/openapi.json``, ``/docs`` and ``/redoc`` (create the app with
    ``openapi_url=None, docs_url=None, redoc_url=None``)."""

    @app.get(f"{ASSETS_URL}/redoc.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(
            _redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount(ASSETS_URL, StaticFiles(directory=str(_assets_dir())), name="docs-assets")

    def guard(request: Request, *, page: bool) -> None:
        if not public and not _signed_in(request):
            raise (LoginRequired if page else Unauthorized)("请先登录后查看 API 文档")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json(request: Request) -> JSONResponse:
        guard(request, page=False)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        guard(request, page=True)
        head = f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">'
        body = (
            '<div id="swagger-ui" data-openapi-url="/openapi.json"></div>'
            f'<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>'
            '<script src="/static/apidocs.js"></script>'
        )
        return _page(f"{app.title} · API 文档（Swagger UI）", head, body)

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        guard(request, page=True)
        body = (
            '<redoc spec-url="/openapi.json" disable-search></redoc>'
            f'<script src="{ASSETS_URL}/redoc.js"></script>'
        )
        return _page(f"{app.title} · API 文档（ReDoc）", "", body)
