"""Organizations, users, memberships, password resets and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from nqpf.web import crud
from nqpf.web.deps import ActorDep, SessionDep

__all__ = ["api", "pages"]

api = APIRouter(tags=["admin"])
pages = APIRouter()


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    region_scope: str | None


@api.get("/organizations", response_model=list[OrganizationOut])
def list_organizations(session: SessionDep, actor: ActorDep) -> list[OrganizationOut]:
    """Organizations the caller may see (all of them for a platform admin)."""
    return [
        OrganizationOut.model_validate(o)
        for o in crud.organizations_visible_to(session, actor.user)
    ]
