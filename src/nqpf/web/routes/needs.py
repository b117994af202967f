"""Needs (需求), technical matching (技术匹配), shares and proposals: pages and JSON API."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.datastructures import FormData

from nqpf.matching import GATES, load_facts, scene_label, scenes
from nqpf.matching.scenes import LEVEL_NAMES
from nqpf.web.authz import Actor, enterprise_for, need_for
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import Conflict, FieldError
from nqpf.web.models import Need, Organization, Solution
from nqpf.web.routes._loop import (
    Amount,
    FactId,
    LongText,
    QueryPage,
    QueryPerPage,
    Revision,
    Short,
    Title,
    Weeks,
    check_text,
    form_list,
    form_revision,
    optional_date,
    optional_float,
    split_items,
)
from nqpf.web.routes._shared import MAX_ID, DbId
from nqpf.web.services import needs as svc
from nqpf.web.services import projects as project_svc
from nqpf.web.services.loop_common import NEED_STATUS_LABELS, PROPOSAL_STATUS_LABELS
from nqpf.web.services.shares import list_providers
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["needs"])
pages = APIRouter()

NeedStatus = Literal["draft", "published", "matched", "in_project", "closed"]
ProviderId = Annotated[int, Field(ge=1, le=MAX_ID)]


# ------------------------------------------------------------------------ JSON models
class NeedIn(BaseModel):
    """A need written by hand.  ``scene``: an SME-2024 scene (设备管理) or one of the 40
    典型场景 by name; levels 1–4, target ≥ current; ``addresses``: fact ids; amounts in
    万元."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(default="", description="Blank: 场景（当前等级→目标等级）")
    scene: Short
    current_level: int = Field(ge=1, le=4)
    target_level: int = Field(ge=1, le=4)
    addresses: list[FactId] = Field(default_factory=list, max_length=50)
    budget_min: Amount | None = None
    budget_max: Amount | None = None
    deadline: dt.date | None = None
    text: LongText = ""


class NeedPatch(BaseModel):
    """Fields to change (those left out stay); ``revision`` as last seen (409 if stale)."""

    model_config = ConfigDict(extra="forbid")

    revision: Revision
    title: Title | None = None
    scene: Short | None = None
    current_level: int | None = Field(default=None, ge=1, le=4)
    target_level: int | None = Field(default=None, ge=1, le=4)
    addresses: list[FactId] | None = Field(default=None, max_length=50)
    budget_min: Amount | None = None
    budget_max: Amount | None = None
    deadline: dt.date | None = None
    text: LongText | None = None


class NeedOut(BaseModel):
    id: int
    enterprise_id: int
    enterprise_name: str
    assessment_id: int | None
    steps: list[str] = Field(description="Roadmap steps it was made from")
    title: str
    scene: str
    scene_label: str
    current_level: int
    target_level: int
    addresses: list[str]
    budget_min: float | None
    budget_max: float | None
    deadline: dt.date | None
    text: str
    status: str
    status_label: str
    revision: int
    project_id: int | None
    created_at: datetime
    updated_at: datetime


class NeedListOut(BaseModel):
    items: list[NeedOut]
    total: int
    page: int
    per_page: int
    capped: bool = Field(
        default=False, description="More rows than ``total``: lists count up to 1,000"
    )


class RoadmapStepOut(BaseModel):
    step_id: str
    kind: str
    title: str
    detail: str
    scene: str
    scene_label: str
    current_level: int
    target_level: int
    addresses: list[str]


class RoadmapOut(BaseModel):
    assessment_id: int
    enterprise_id: int
    reachable: bool
    message: str
    target_level: int
    steps: list[RoadmapStepOut]


class FromRoadmapIn(BaseModel):
    """Roadmap steps to turn into draft needs (one per scene); ``scenes`` gives a step
    another scene; budget, deadline and text apply to every need made."""

    model_config = ConfigDict(extra="forbid")

    steps: list[FactId] = Field(min_length=1, max_length=100)
    scenes: dict[FactId, Short] = Field(default_factory=dict, max_length=100)
    budget_min: Amount | None = None
    budget_max: Amount | None = None
    deadline: dt.date | None = None
    text: LongText = ""


class MatchOut(BaseModel):
    rank: int
    solution_id: int
    name: str
    provider_id: int
    provider_name: str
    score: float = Field(description="0–100")
    components: dict[str, float]
    reasons: list[str] = Field(description="Why, in Chinese")


class NearMissOut(BaseModel):
    solution_id: int
    name: str
    provider_id: int
    provider_name: str
    score: float
    gates: list[str]
    missing: list[str] = Field(description="What is missing, in Chinese")


class MatchesOut(BaseModel):
    need: dict[str, Any]
    matches: list[MatchOut]
    near_misses: list[NearMissOut]
    catalogue_size: int
    passed: int
    excluded: dict[str, int]
    facts_used: bool = Field(description="Facts of the latest submitted SME-2024 assessment")
    assessment_id: int | None
    weights: str
    as_of: dt.date
    skipped_rows: list[dict[str, Any]]


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_ids: list[ProviderId] = Field(min_length=1, max_length=50)


class ShareOut(BaseModel):
    provider_id: int
    provider_name: str
    created_at: datetime


class ProposalIn(BaseModel):
    """A provider's proposal for a need shared with it (price 万元, time weeks)."""

    model_config = ConfigDict(extra="forbid")

    text: LongText = Field(min_length=1)
    price: Amount | None = None
    weeks: Weeks | None = None
    solution_id: ProviderId | None = Field(default=None, description="One of its solutions")
    provider_id: ProviderId | None = Field(default=None, description="Blank: the only one")


class ProposalOut(BaseModel):
    id: int
    need_id: int
    provider_id: int
    provider_name: str
    solution_id: int | None
    solution_name: str | None
    text: str
    price: float | None
    weeks: float | None
    status: str
    status_label: str
    created_at: datetime
    decided_at: datetime | None
    project_id: int | None = None


def _need_out(session: SessionDep, n: Need, name: str | None = None) -> NeedOut:
    if name is None:
        org = session.get(Organization, n.enterprise_id)
        name = org.name if org else ""
    project = svc.project_of(session, n.id) if n.status in ("in_project", "closed") else None
    return NeedOut(
        id=n.id,
        enterprise_id=n.enterprise_id,
        enterprise_name=name,
        assessment_id=n.assessment_id,
        steps=list(n.steps or []),
        title=n.title,
        scene=n.scene,
        scene_label=scene_label(n.scene),
        current_level=n.current_level,
        target_level=n.target_level,
        addresses=list(n.addresses or []),
        budget_min=n.budget_min,
        budget_max=n.budget_max,
        deadline=n.deadline,
        text=n.text,
        status=n.status,
        status_label=NEED_STATUS_LABELS[n.status],
        revision=n.revision,
        project_id=project.id if project else None,
        created_at=n.created_at,
        updated_at=n.updated_at,
    )


def _proposal_out(r: svc.ProposalRow, project_id: int | None = None) -> ProposalOut:
    p = r.proposal
    return ProposalOut(
        id=p.id,
        need_id=p.need_id,
        provider_id=p.provider_id,
        provider_name=r.provider_name,
        solution_id=p.solution_id,
        solution_name=r.solution_name,
        text=p.text,
        price=p.price,
        weeks=p.weeks,
        status=p.status,
        status_label=PROPOSAL_STATUS_LABELS[p.status],
        created_at=p.created_at,
        decided_at=p.decided_at,
        project_id=project_id,
    )


def _suggestion_out(s: Any) -> RoadmapStepOut:
    return RoadmapStepOut(
        step_id=s.step_id,
        kind=s.kind,
        title=s.title,
        detail=s.detail,
        scene=s.scene,
        scene_label=s.scene_label,
        current_level=s.current_level,
        target_level=s.target_level,
        addresses=list(s.addresses),
    )


# --------------------------------------------------------------------------- JSON API
@api.get("/needs", response_model=NeedListOut)
def list_api(
    session: SessionDep,
    actor: ActorDep,
    status: NeedStatus | None = None,
    page: QueryPage = 1,
    per_page: QueryPerPage = 50,
) -> NeedListOut:
    """The needs the caller may read: its enterprise's (drafts too), the published needs
    of the enterprises an authority oversees, those shared with a provider."""
    result = svc.list_needs(session, actor, status=status, page=page, per_page=per_page)
    return NeedListOut(
        items=[_need_out(session, r.need, r.enterprise_name) for r in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        capped=result.capped,
    )


@api.get("/enterprises/{enterprise_id}/needs", response_model=NeedListOut)
def enterprise_needs_api(
    enterprise_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    page: QueryPage = 1,
    per_page: QueryPerPage = 50,
) -> NeedListOut:
    """One enterprise's needs the caller may read."""
    org = enterprise_for(session, actor, enterprise_id, "read")
    result = svc.list_needs(session, actor, enterprise_id=org.id, page=page, per_page=per_page)
    return NeedListOut(
        items=[_need_out(session, r.need, r.enterprise_name) for r in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        capped=result.capped,
    )


@api.post("/enterprises/{enterprise_id}/needs", response_model=NeedOut, status_code=201)
def create_api(enterprise_id: DbId, body: NeedIn, session: SessionDep, actor: ActorDep) -> NeedOut:
    """Write a need by hand (a draft; the enterprise's members).  422 names the field
    (unknown scene, target below current, budget upside down …); nothing is stored."""
    row = svc.create(session, actor, enterprise_id, body.model_dump())
    return _need_out(session, row)


@api.get("/assessments/{assessment_id}/roadmap-needs", response_model=RoadmapOut)
def roadmap_api(assessment_id: DbId, session: SessionDep, actor: ActorDep) -> RoadmapOut:
    """The roadmap steps of a submitted SME-2024 assessment, each as a suggested need."""
    c = svc.roadmap_choices(session, actor, assessment_id)
    return RoadmapOut(
        assessment_id=c.assessment.id,
        enterprise_id=c.enterprise.id,
        reachable=c.reachable,
        message=c.message,
        target_level=c.target_level,
        steps=[_suggestion_out(s) for s in c.suggestions],
    )


@api.post("/assessments/{assessment_id}/needs", response_model=list[NeedOut], status_code=201)
def from_roadmap_api(
    assessment_id: DbId, body: FromRoadmapIn, session: SessionDep, actor: ActorDep
) -> list[NeedOut]:
    """Turn roadmap steps into draft needs in one action (one need per scene)."""
    rows = svc.from_roadmap(
        session,
        actor,
        assessment_id,
        body.steps,
        scenes=body.scenes,
        budget_min=body.budget_min,
        budget_max=body.budget_max,
        deadline=body.deadline,
        text=body.text,
    )
    return [_need_out(session, r) for r in rows]


@api.get("/needs/{need_id}", response_model=NeedOut)
def get_api(need_id: DbId, session: SessionDep, actor: ActorDep) -> NeedOut:
    """One need (its enterprise, the authorities over it, providers it is shared with)."""
    return _need_out(session, svc.get_need(session, actor, need_id))


@api.patch("/needs/{need_id}", response_model=NeedOut)
def patch_api(need_id: DbId, body: NeedPatch, session: SessionDep, actor: ActorDep) -> NeedOut:
    """Change a need (not once in a project; 409 on a stale revision)."""
    values = body.model_dump(exclude_unset=True)
    revision = values.pop("revision")
    return _need_out(session, svc.update_need(session, actor, need_id, values, revision))


def _status_api(action: str) -> Any:
    def endpoint(need_id: DbId, session: SessionDep, actor: ActorDep) -> NeedOut:
        return _need_out(session, svc.set_status(session, actor, need_id, action))

    return endpoint


for _action, _doc in (
    ("publish", "Publish a draft need (发布)."),
    ("close", "Close an open need (关闭)."),
    ("reopen", "Publish a closed need again (never one whose project ran)."),
):
    api.post(
        f"/needs/{{need_id}}/{_action}",
        response_model=NeedOut,
        description=_doc,
        name=f"need_{_action}",
    )(_status_api(_action))


@api.delete("/needs/{need_id}", status_code=204)
def delete_api(need_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """Delete a draft need."""
    svc.delete_draft(session, actor, need_id)
    return Response(status_code=204)


@api.get("/needs/{need_id}/matches", response_model=MatchesOut)
def matches_api(
    need_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
) -> MatchesOut:
    """Ranked solutions for the need with the engine's Chinese reasons, and the best near
    misses with what is missing (facts: the enterprise's latest submitted SME-2024
    assessment).  Ids are the platform's."""
    view = svc.matches(session, actor, need_id, top=top)
    return MatchesOut.model_validate(view.document)


@api.get("/needs/{need_id}/shares", response_model=list[ShareOut])
def shares_api(need_id: DbId, session: SessionDep, actor: ActorDep) -> list[ShareOut]:
    """The providers the need is shared with."""
    return [ShareOut(**vars(s)) for s in svc.shares(session, actor, need_id)]


@api.post("/needs/{need_id}/shares", response_model=list[ShareOut], status_code=201)
def share_api(need_id: DbId, body: ShareIn, session: SessionDep, actor: ActorDep) -> list[ShareOut]:
    """Share a published need with providers (the enterprise's admins: consent)."""
    added = set(svc.share(session, actor, need_id, body.provider_ids))
    return [
        ShareOut(**vars(s)) for s in svc.shares(session, actor, need_id) if s.provider_id in added
    ]


@api.delete("/needs/{need_id}/shares/{provider_id}", status_code=204)
def unshare_api(need_id: DbId, provider_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """Stop sharing the need with a provider (its open proposal is withdrawn)."""
    svc.unshare(session, actor, need_id, provider_id)
    return Response(status_code=204)


@api.get("/needs/{need_id}/proposals", response_model=list[ProposalOut])
def proposals_api(need_id: DbId, session: SessionDep, actor: ActorDep) -> list[ProposalOut]:
    """The need's proposals (a provider sees its own)."""
    return [_proposal_out(r) for r in svc.list_proposals(session, actor, need_id)]


@api.post("/needs/{need_id}/proposals", response_model=ProposalOut, status_code=201)
def propose_api(
    need_id: DbId, body: ProposalIn, session: SessionDep, actor: ActorDep
) -> ProposalOut:
    """A provider the need is shared with proposes (one open proposal at a time)."""
    p = svc.propose(session, actor, need_id, **body.model_dump())
    return _proposal_row(session, actor, p.id)


def _proposal_row(session: SessionDep, actor: Actor, proposal_id: int) -> ProposalOut:
    p, need = svc.proposal_for(session, actor, proposal_id)
    row = next(r for r in svc.list_proposals(session, actor, need.id) if r.proposal.id == p.id)
    project = svc.project_of(session, need.id) if p.status == "accepted" else None
    return _proposal_out(row, project.id if project else None)


@api.post("/proposals/{proposal_id}/accept", response_model=ProposalOut)
def accept_api(proposal_id: DbId, session: SessionDep, actor: ActorDep) -> ProposalOut:
    """Accept a proposal (the enterprise's admins): the deployment project is created
    (``project_id``), the other open proposals declined, the need 已立项."""
    svc.decide(session, actor, proposal_id, True)
    return _proposal_row(session, actor, proposal_id)


@api.post("/proposals/{proposal_id}/decline", response_model=ProposalOut)
def decline_api(proposal_id: DbId, session: SessionDep, actor: ActorDep) -> ProposalOut:
    """Decline a proposal (the enterprise's admins)."""
    svc.decide(session, actor, proposal_id, False)
    return _proposal_row(session, actor, proposal_id)


@api.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut)
def withdraw_api(proposal_id: DbId, session: SessionDep, actor: ActorDep) -> ProposalOut:
    """Withdraw an open proposal (the provider)."""
    svc.withdraw(session, actor, proposal_id)
    return _proposal_row(session, actor, proposal_id)


# ------------------------------------------------------------------------------ pages
async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=500)


FormDep = Annotated[FormData, Depends(_form)]


def _facts() -> list[tuple[str, str]]:
    return [(f.id, f.label) for f in load_facts() if "." not in f.id]


def _scene_options() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in scenes()]


def _common() -> dict[str, Any]:
    return {
        "LEVEL_NAMES": LEVEL_NAMES,
        "NEED_STATUS_LABELS": NEED_STATUS_LABELS,
        "PROPOSAL_STATUS_LABELS": PROPOSAL_STATUS_LABELS,
        "scene_label": scene_label,
    }


@pages.get("/needs")
def list_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    status: NeedStatus | None = None,
    page: QueryPage = 1,
) -> Response:
    result = svc.list_needs(session, actor, status=status, page=page)
    entry = []
    for org_id in actor.enterprise_ids:
        org = session.get(Organization, org_id)
        latest = svc.latest_assessment(session, org_id)
        entry.append((org, latest))
    return render(
        request,
        "needs/list.html",
        {
            **_common(),
            "result": result,
            "status": status,
            "entry": entry,
            "overdue": project_svc.overdue_count(session, actor),
        },
    )


def _need_values(n: Need | None = None) -> dict[str, str]:
    if n is None:
        return {
            "title": "",
            "scene": "",
            "current_level": "1",
            "target_level": "2",
            "addresses": "",
            "budget_min": "",
            "budget_max": "",
            "deadline": "",
            "text": "",
        }
    fmt = lambda x: "" if x is None else f"{x:g}"  # noqa: E731
    return {
        "title": n.title,
        "scene": n.scene,
        "current_level": str(n.current_level),
        "target_level": str(n.target_level),
        "addresses": "；".join(n.addresses or []),
        "budget_min": fmt(n.budget_min),
        "budget_max": fmt(n.budget_max),
        "deadline": n.deadline.isoformat() if n.deadline else "",
        "text": n.text,
    }


def _form_page(
    request: Request,
    org: Organization,
    values: dict[str, str],
    *,
    need: Need | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "needs/form.html",
        {
            **_common(),
            "org": org,
            "need": need,
            "v": values,
            "error": error,
            "field": field,
            "scene_options": _scene_options(),
            "facts": _facts(),
        },
        status_code,
    )


NeedForm = Annotated[str, Form(max_length=4000)]


def _values_from(
    title: str,
    scene: str,
    current_level: str,
    target_level: str,
    addresses: str,
    budget_min: str,
    budget_max: str,
    deadline: str,
    text: str,
) -> dict[str, str]:
    return {
        "title": title,
        "scene": scene,
        "current_level": current_level,
        "target_level": target_level,
        "addresses": addresses,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "deadline": deadline,
        "text": text,
    }


def _parsed(v: dict[str, str]) -> dict[str, Any]:
    """The form's texts as the service takes them (blank → None; the rules check them)."""
    out: dict[str, Any] = {
        "title": check_text(v["title"], "title", "标题"),
        "scene": check_text(v["scene"], "scene", "场景"),
        "text": check_text(v["text"], "text", "需求描述", multiline=True),
        "addresses": [
            check_text(a, "addresses", "未满足条件") for a in split_items(v["addresses"])
        ],
    }
    for key in ("current_level", "target_level", "budget_min", "budget_max", "deadline"):
        text = check_text(v[key], key, svc.FIELD_LABELS[key])
        out[key] = text or None
    return out


@pages.get("/enterprises/{enterprise_id}/needs/new")
def new_page(
    request: Request, enterprise_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    org = enterprise_for(session, actor, enterprise_id, "assess")
    return _form_page(request, org, _need_values())


@pages.post("/enterprises/{enterprise_id}/needs")
def create_page(
    request: Request,
    enterprise_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    title: Annotated[str, Form(max_length=200)] = "",
    scene: Annotated[str, Form(max_length=100)] = "",
    current_level: Annotated[str, Form(max_length=10)] = "",
    target_level: Annotated[str, Form(max_length=10)] = "",
    addresses: Annotated[str, Form(max_length=2000)] = "",
    budget_min: Annotated[str, Form(max_length=40)] = "",
    budget_max: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=20)] = "",
    text: NeedForm = "",
) -> Response:
    org = enterprise_for(session, actor, enterprise_id, "assess")
    values = _values_from(
        title, scene, current_level, target_level, addresses, budget_min, budget_max, deadline, text
    )
    try:
        row = svc.create(session, actor, org.id, _parsed(values))
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _form_page(
            request, org, values, error=exc.message, field=exc.field, status_code=exc.status
        )
    return RedirectResponse(f"/needs/{row.id}", status_code=303)


@pages.get("/assessments/{assessment_id}/needs")
def roadmap_page(
    request: Request, assessment_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    return _roadmap_page(request, session, actor, assessment_id)


def _roadmap_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    assessment_id: int,
    *,
    chosen: list[str] | None = None,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    c = svc.roadmap_choices(session, actor, assessment_id)
    return render(
        request,
        "needs/roadmap.html",
        {
            **_common(),
            "c": c,
            "chosen": set(chosen) if chosen is not None else {s.step_id for s in c.suggestions},
            "v": values
            or {"budget_min": "", "budget_max": "", "deadline": "", "text": "", "scenes": {}},
            "scene_options": _scene_options(),
            "error": error,
            "field": field,
        },
        status_code,
    )


@pages.post("/assessments/{assessment_id}/needs")
def from_roadmap_page(
    request: Request,
    assessment_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    form: FormDep,
) -> Response:
    steps = form_list(form, "step", 65)
    sids, scene_texts = form_list(form, "sid", 65), form_list(form, "scene", 101)
    values: dict[str, Any] = {
        "budget_min": str(form.get("budget_min") or "")[:40],
        "budget_max": str(form.get("budget_max") or "")[:40],
        "deadline": str(form.get("deadline") or "")[:20],
        "text": str(form.get("text") or "")[:4001],
        "scenes": {k: v for k, v in zip(sids, scene_texts, strict=False) if v},
    }
    try:
        if len(values["text"]) > 4000:
            raise FieldError("需求描述不能超过 4000 字", field="text")
        known = {x.step_id for x in svc.roadmap_choices(session, actor, assessment_id).suggestions}
        for sid in (*sids, *steps):
            if sid not in known:
                raise FieldError(f"步骤“{sid[:40]}”不在该评测的路线图中", field="step")
        for k, v in values["scenes"].items():
            if len(v) > 100:
                raise FieldError("场景名称过长", field=f"scenes.{k}")
            check_text(v, f"scenes.{k}", "场景")
        rows = svc.from_roadmap(
            session,
            actor,
            assessment_id,
            steps,
            scenes=values["scenes"],
            budget_min=optional_float(values["budget_min"], "budget_min", "预算下限"),
            budget_max=optional_float(values["budget_max"], "budget_max", "预算上限"),
            deadline=optional_date(values["deadline"], "deadline", "期望完成日期"),
            text=check_text(values["text"], "text", "需求描述", multiline=True),
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _roadmap_page(
            request,
            session,
            actor,
            assessment_id,
            chosen=steps,
            values=values,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    if len(rows) == 1:
        return RedirectResponse(f"/needs/{rows[0].id}", status_code=303)
    return RedirectResponse("/needs?status=draft", status_code=303)


def _detail_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    need_id: int,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    need = svc.get_need(session, actor, need_id)
    org = session.get(Organization, need.enterprise_id)
    may = {a: _may(session, actor, need_id, a) for a in ("match", "edit", "manage")}
    shared = svc.shares(session, actor, need_id)
    proposals = svc.list_proposals(session, actor, need_id)
    shared_ids = {s.provider_id for s in shared}
    my_shared = [p for p in actor.provider_ids if p in shared_ids]
    my_solutions = (
        list(
            session.scalars(
                select(Solution)
                .where(Solution.provider_id.in_(my_shared), Solution.status == "published")
                .order_by(Solution.name)
            )
        )
        if my_shared
        else []
    )
    open_mine = any(
        r.proposal.status == "submitted" and r.proposal.provider_id in actor.provider_ids
        for r in proposals
    )
    return render(
        request,
        "needs/detail.html",
        {
            **_common(),
            "need": need,
            "org": org,
            "may": may,
            "shares": shared,
            "proposals": proposals,
            "project": svc.project_of(session, need.id),
            "can_propose": bool(my_shared) and need.status in svc.OPEN and not open_mine,
            "my_solutions": my_solutions,
            "providers": [p for p in list_providers(session) if p.id not in shared_ids]
            if may["manage"]
            else [],
            "facts": dict(_facts()),
            "error": error,
            "field": field,
            "v": values or {"text": "", "price": "", "weeks": "", "solution_id": ""},
        },
        status_code,
    )


def _may(session: SessionDep, actor: Actor, need_id: int, action: Any) -> bool:
    try:
        need_for(session, actor, need_id, action)
    except Exception:  # Forbidden (the caller reads it)
        return False
    return True


@pages.get("/needs/{need_id}")
def detail_page(
    request: Request, need_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    return _detail_page(request, session, actor, need_id)


@pages.get("/needs/{need_id}/edit")
def edit_page(
    request: Request, need_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    need = need_for(session, actor, need_id, "edit")
    org = session.get(Organization, need.enterprise_id)
    assert org is not None
    return _form_page(request, org, _need_values(need), need=need)


@pages.post("/needs/{need_id}/edit")
def edit_submit(
    request: Request,
    need_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    revision: Annotated[str, Form(max_length=12)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    scene: Annotated[str, Form(max_length=100)] = "",
    current_level: Annotated[str, Form(max_length=10)] = "",
    target_level: Annotated[str, Form(max_length=10)] = "",
    addresses: Annotated[str, Form(max_length=2000)] = "",
    budget_min: Annotated[str, Form(max_length=40)] = "",
    budget_max: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=20)] = "",
    text: NeedForm = "",
) -> Response:
    need = need_for(session, actor, need_id, "edit")
    org = session.get(Organization, need.enterprise_id)
    assert org is not None
    values = _values_from(
        title, scene, current_level, target_level, addresses, budget_min, budget_max, deadline, text
    )
    try:
        seen = form_revision(None, revision)
        svc.update_need(session, actor, need_id, _parsed(values), seen)
    except (FieldError, Conflict) as exc:
        session.rollback()
        need = need_for(session, actor, need_id, "edit")
        return _form_page(
            request,
            org,
            values,
            need=need,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/needs/{need_id}", status_code=303)


def _status_page(action: str) -> Any:
    def endpoint(
        request: Request, need_id: DbId, session: SessionDep, actor: PageActorDep
    ) -> Response:
        try:
            svc.set_status(session, actor, need_id, action)
        except Conflict as exc:
            session.rollback()
            return _detail_page(
                request,
                session,
                actor,
                need_id,
                error=exc.message,
                field=exc.field,
                status_code=exc.status,
            )
        return RedirectResponse(f"/needs/{need_id}", status_code=303)

    return endpoint


for _action in ("publish", "close", "reopen"):
    pages.post(f"/needs/{{need_id}}/{_action}", name=f"need_{_action}_page")(_status_page(_action))


@pages.post("/needs/{need_id}/delete")
def delete_page(need_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    svc.delete_draft(session, actor, need_id)
    return RedirectResponse("/needs", status_code=303)


@pages.get("/needs/{need_id}/matches")
def matches_page(
    request: Request,
    need_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    view = svc.matches(session, actor, need_id, top=top)
    may_share = _may(session, actor, need_id, "manage") and view.need.status in svc.OPEN
    return render(
        request,
        "needs/matches.html",
        {
            **_common(),
            "view": view,
            "doc": view.document,
            "GATES": GATES,
            "may_share": may_share,
            "top": top,
        },
    )


@pages.post("/needs/{need_id}/shares")
def share_page(
    request: Request, need_id: DbId, session: SessionDep, actor: PageActorDep, form: FormDep
) -> Response:
    raw = form_list(form, "provider_id", 12)
    try:
        ids = []
        for v in raw:
            if not v.isdigit() or not 1 <= int(v) <= MAX_ID:
                raise FieldError("服务商编号无效", field="provider_id")
            ids.append(int(v))
        svc.share(session, actor, need_id, ids)
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _detail_page(
            request,
            session,
            actor,
            need_id,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/needs/{need_id}#shares", status_code=303)


@pages.post("/needs/{need_id}/shares/{provider_id}/delete")
def unshare_page(
    request: Request, need_id: DbId, provider_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    try:
        svc.unshare(session, actor, need_id, provider_id)
    except Conflict as exc:
        session.rollback()
        return _detail_page(
            request,
            session,
            actor,
            need_id,
            error=exc.message,
            field=exc.field,
            status_code=exc.status,
        )
    return RedirectResponse(f"/needs/{need_id}#shares", status_code=303)


@pages.post("/needs/{need_id}/proposals")
def propose_page(
    request: Request,
    need_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    text: NeedForm = "",
    price: Annotated[str, Form(max_length=40)] = "",
    weeks: Annotated[str, Form(max_length=40)] = "",
    solution_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    values = {"text": text, "price": price, "weeks": weeks, "solution_id": solution_id}
    try:
        sid = solution_id.strip()
        if sid and (not sid.isdigit() or not 1 <= int(sid) <= MAX_ID):
            raise FieldError("方案编号无效", field="solution_id")
        w = optional_float(weeks, "weeks", "工期（周）")
        if w is not None and w > 520:
            raise FieldError("工期（周）应在 0–520 之间", field="weeks")
        svc.propose(
            session,
            actor,
            need_id,
            text=check_text(text, "text", "方案建议", multiline=True),
            price=optional_float(price, "price", "报价（万元）"),
            weeks=w,
            solution_id=int(sid) if sid else None,
        )
    except (FieldError, Conflict) as exc:
        session.rollback()
        return _detail_page(
            request,
            session,
            actor,
            need_id,
            error=exc.message,
            field=exc.field,
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"/needs/{need_id}#proposals", status_code=303)


def _decide_page(action: str) -> Any:
    def endpoint(
        request: Request, proposal_id: DbId, session: SessionDep, actor: PageActorDep
    ) -> Response:
        _proposal, need = svc.proposal_for(session, actor, proposal_id)
        try:
            if action == "withdraw":
                svc.withdraw(session, actor, proposal_id)
            else:
                svc.decide(session, actor, proposal_id, action == "accept")
        except Conflict as exc:
            session.rollback()
            return _detail_page(
                request,
                session,
                actor,
                need.id,
                error=exc.message,
                field=exc.field,
                status_code=exc.status,
            )
        if action == "accept":
            project = svc.project_of(session, need.id)
            if project is not None:
                return RedirectResponse(f"/projects/{project.id}", status_code=303)
        return RedirectResponse(f"/needs/{need.id}#proposals", status_code=303)

    return endpoint


for _action in ("accept", "decline", "withdraw"):
    pages.post(f"/proposals/{{proposal_id}}/{_action}", name=f"proposal_{_action}_page")(
        _decide_page(_action)
    )
