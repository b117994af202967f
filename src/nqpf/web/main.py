"""FastAPI application factory: ``create_app(settings)``.

Routes are thin; they take ``SessionDep`` and ``CurrentUser`` (``Annotated``
dependencies) and call :mod:`nqpf.web.crud`.  Authorisation is deny-by-default: every
``/api`` route depends on ``CurrentUser``, which answers 401 without a valid bearer
token.  The schema is created by the migrations (``nqpf db upgrade``), not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

import nqpf
from nqpf.web import crud
from nqpf.web.config import Settings
from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.models import User

__all__ = ["CurrentUser", "SessionDep", "create_app"]

_bearer = HTTPBearer(auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    user = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = crud.user_for_token(session, credentials.credentials)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    region_scope: str | None


api = APIRouter(prefix="/api/v1")


@api.get("/organizations", response_model=list[OrganizationOut])
def list_organizations(session: SessionDep, user: CurrentUser) -> list[OrganizationOut]:
    """Organizations the caller may see (all of them for a platform admin)."""
    return [OrganizationOut.model_validate(o) for o in crud.organizations_visible_to(session, user)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the ``NQPF_*`` environment)."""
    settings = settings if settings is not None else Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="nqpf 平台", version=nqpf.__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api)
    return app
