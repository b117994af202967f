"""The loop's objects on top of the seeded world (tests/web/world.py), made through the
services as their owners would: solutions, register entries, an assessment, a need
shared with a provider, an accepted proposal and its project.

:func:`seed_loop` builds Shenzhen's side (ent_sz, prov, prov2, auth_sz); :func:`seed_foreign_loop`
builds Suzhou's (ent_su, prov2, auth_su) for the cross-tenant sweeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.web.answers import complete_answers

from nqpf.assessment import load_framework
from nqpf.web.authz import Actor, load_actor
from nqpf.web.models import User
from nqpf.web.services import assessments as assessment_service
from nqpf.web.services import needs as need_service
from nqpf.web.services import projects as project_service
from nqpf.web.services import providers as register_service
from nqpf.web.services import solutions as solution_service
from nqpf.web.services.loop_common import set_today

FW = "sme-digital-2024"

#: A solution for 设备管理 in the template's columns (as a provider types it).
EQUIPMENT = {
    "name": "设备联网与预测性维护",
    "scene": "设备管理",
    "from_level": "1",
    "to_level": "3",
    "deployment": "SaaS",
    "price_band": "20–50万",
    "delivery_weeks": "8",
    "industries": "C34",
    "evidence": "C3484 停机时间降低=30 %",
    "description": "数控机床联网采集运行数据，预测性维护，减少非计划停机",
}


def actor_of(session: Session, email: str) -> Actor:
    user = session.scalars(select(User).where(User.email == email)).one()
    return load_actor(session, user, via="token")


def admit(
    session: Session, authority: Actor, provider: Actor, authority_id: int, provider_id: int
) -> int:
    """Apply, review (passed, one day of notice) and admit: the whole register path."""
    row = register_service.apply(
        session, provider, authority_id, "工业互联网与设备数字化服务", provider_id=provider_id
    )
    review = {"experts": ["张工", "李工", "王工"], "score": 86, "opinion": "能力符合",
              "passed": True, "notice_days": 1}  # fmt: skip
    register_service.act(session, authority, row.id, "review", review)
    set_today(dt.date.today() + dt.timedelta(days=2))
    try:
        register_service.act(session, authority, row.id, "admit")
    finally:
        set_today(None)
    return row.id


def submitted_assessment(session: Session, owner: Actor, enterprise_id: int) -> int:
    fw = load_framework(FW)
    row, _ = assessment_service.start(session, owner, enterprise_id, FW)
    row = assessment_service.save_answers(
        session, owner, row.id, complete_answers(fw), row.revision
    )
    return assessment_service.submit(session, owner, row.id).id


def need_with_project(
    session: Session,
    owner: Actor,
    provider: Actor,
    enterprise_id: int,
    provider_id: int,
    *,
    title: str = "设备联网改造",
) -> dict[str, int]:
    """A published need shared with the provider, its proposal accepted: a project."""
    need = need_service.create(
        session, owner, enterprise_id,
        {"title": title, "scene": "设备管理", "current_level": 2, "target_level": 3,
         "addresses": ["equipment_network_rate"], "budget_max": 80,
         "text": "数控机床联网，设备预测性维护"},
    )  # fmt: skip
    need_service.set_status(session, owner, need.id, "publish")
    need_service.share(session, owner, need.id, [provider_id])
    proposal = need_service.propose(
        session, provider, need.id, text="部署设备联网与预测性维护", price=40, weeks=10,
        provider_id=provider_id,
    )  # fmt: skip
    need_service.decide(session, owner, proposal.id, True)
    project = need_service.project_of(session, need.id)
    assert project is not None
    return {"need": need.id, "proposal": proposal.id, "project": project.id}


def seed_loop(
    session: Session, world: Any, *, prov2: bool = True, assessment: bool = True
) -> dict[str, Any]:
    """Shenzhen's loop: prov (2 solutions) and prov2 (1) admitted to auth_sz's register,
    ent_sz's submitted assessment, a need shared with prov and its project (with a
    document), and a draft need nobody else sees.  ``prov2=False`` leaves prov2 out,
    ``assessment=False`` the assessment (the cross-tenant sweep keeps A without either)."""
    e = world.emails
    ent, prov, p2, sz = (
        actor_of(session, e[n]) for n in ("ent_admin", "prov_member", "prov2_member", "sz_admin")
    )
    ids: dict[str, Any] = {}
    ids["sol_prov"] = solution_service.create(session, prov, EQUIPMENT, ref="P-01").id
    energy = {**EQUIPMENT, "name": "能耗在线监测", "scene": "能耗管理",
              "description": "能源计量与能耗在线监测"}  # fmt: skip
    ids["sol_prov_b"] = solution_service.create(session, prov, energy, ref="P-02").id
    if prov2:
        cloud = {**EQUIPMENT, "name": "设备管理云平台", "price_band": "5–20万",
                 "prerequisites": "equipment_network_rate >= 90 %"}  # fmt: skip
        ids["sol_prov2"] = solution_service.create(session, p2, cloud, ref="Q-01").id
    ids["reg_prov"] = admit(session, sz, prov, world.orgs["auth_sz"], world.orgs["prov"])
    if prov2:
        ids["reg_prov2"] = admit(session, sz, p2, world.orgs["auth_sz"], world.orgs["prov2"])
    if assessment:
        ids["assessment"] = submitted_assessment(session, ent, world.orgs["ent_sz"])
    ids.update(need_with_project(session, ent, prov, world.orgs["ent_sz"], world.orgs["prov"]))
    ids["document"] = project_service.add_document(
        session, ent, ids["project"], title="合同", filename="合同.pdf",
        content_type="application/pdf", data=b"%PDF-1.4 contract", max_bytes=10**6,
    ).id  # fmt: skip
    draft = need_service.create(
        session, ent, world.orgs["ent_sz"],
        {"scene": "质量管理", "current_level": 1, "target_level": 2, "text": "草稿需求"},
    )  # fmt: skip
    ids["draft_need"] = draft.id
    return ids


def seed_foreign_loop(session: Session, world: Any) -> dict[str, int]:
    """Suzhou's loop (organization B of the sweeps): prov2 in auth_su's register, a
    withdrawn prov2 solution, ent_su's need shared with prov2, its proposal and project
    with a document, and a second open proposal on another need."""
    e = world.emails
    su_ent, prov2 = actor_of(session, e["su_ent_admin"]), actor_of(session, e["prov2_member"])
    ids: dict[str, int] = {}
    sol = solution_service.create(session, prov2, {**EQUIPMENT, "name": "苏州专供方案"}, ref="SU-1")
    solution_service.set_status(session, prov2, sol.id, "withdrawn")
    ids["sol_su"] = sol.id
    ids["reg_su"] = register_service.apply(
        session, prov2, world.orgs["auth_su"], "苏州服务申请", provider_id=world.orgs["prov2"]
    ).id
    flow = need_with_project(
        session, su_ent, prov2, world.orgs["ent_su"], world.orgs["prov2"], title="苏州需求"
    )
    ids.update(
        {"need_su": flow["need"], "proposal_su": flow["proposal"], "project_su": flow["project"]}
    )
    ids["document_su"] = project_service.add_document(
        session, su_ent, flow["project"], title="苏州合同", filename="su.pdf",
        content_type="application/pdf", data=b"%PDF-1.4 su", max_bytes=10**6,
    ).id  # fmt: skip
    other = need_service.create(
        session, su_ent, world.orgs["ent_su"],
        {"title": "苏州第二需求", "scene": "质量管理", "current_level": 1, "target_level": 2},
    )  # fmt: skip
    need_service.set_status(session, su_ent, other.id, "publish")
    need_service.share(session, su_ent, other.id, [world.orgs["prov2"]])
    ids["open_proposal_su"] = need_service.propose(
        session, prov2, other.id, text="苏州建议", provider_id=world.orgs["prov2"]
    ).id
    ids["need_su2"] = other.id
    return ids


def loop_state(session: Session, ids: dict[str, Any]) -> dict[str, Any]:
    """B's loop objects as they stand (a sweep must leave them as they were)."""
    from nqpf.web.models import (
        Need,
        NeedShare,
        Project,
        ProjectDocument,
        Proposal,
        ProviderRegistration,
        Solution,
    )

    def row(model: Any, key: str, *cols: str) -> Any:
        obj = session.get(model, ids[key])
        return tuple(getattr(obj, c) for c in cols) if obj is not None else None

    need_ids = [ids["need_su"], ids["need_su2"]]
    return {
        "need_su": row(Need, "need_su", "status", "revision", "title"),
        "need_su2": row(Need, "need_su2", "status", "revision", "title"),
        "project_su": row(Project, "project_su", "status", "revision", "spend"),
        "proposal_su": row(Proposal, "proposal_su", "status"),
        "open_proposal_su": row(Proposal, "open_proposal_su", "status"),
        "sol_su": row(Solution, "sol_su", "status", "revision", "name"),
        "reg_su": row(ProviderRegistration, "reg_su", "status", "revision", "appeal"),
        "document_su": row(ProjectDocument, "document_su", "title", "size"),
        "B need shares": sorted(
            session.execute(
                select(NeedShare.need_id, NeedShare.provider_id).where(
                    NeedShare.need_id.in_(need_ids)
                )
            ).all()
        ),
        "B proposals": session.scalar(
            select(func.count()).select_from(Proposal).where(Proposal.need_id.in_(need_ids))
        ),
        "B documents": session.scalar(
            select(func.count())
            .select_from(ProjectDocument)
            .where(ProjectDocument.project_id == ids["project_su"])
        ),
        "auth_su registrations": sorted(
            session.execute(
                select(ProviderRegistration.provider_id, ProviderRegistration.status).where(
                    ProviderRegistration.authority_id == ids["auth_su"]
                )
            ).all()
        ),
        "ent_su needs": session.scalar(
            select(func.count()).select_from(Need).where(Need.enterprise_id == ids["ent_su"])
        ),
    }
