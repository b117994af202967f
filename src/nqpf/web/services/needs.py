"""Needs (需求), their matches, shares with providers and the providers' proposals.

Rules
-----
* A need belongs to its enterprise (authorisation in :func:`nqpf.web.authz.need_for`).
  Its members write it by hand or turn roadmap steps of a submitted SME-2024 assessment
  into drafts in one action (:mod:`nqpf.services.needs`); every field obeys
  :func:`nqpf.matching.need_from_mapping` (unknown scene, target below current, budget
  upside down … answer a Chinese 422 naming the field, and nothing is stored).
* Status: 草稿 → 发布 (publish) → 已对接 (shared with a provider) → 已立项 (a proposal
  accepted: a project) → 关闭.  Only drafts are deleted; a need in a running project is
  closed by closing the project.
* Matches rank the catalogue as the enterprise's registers see it
  (:func:`nqpf.web.services.solutions.catalogue_index`), with the facts of the
  enterprise's latest submitted SME-2024 assessment (prerequisites unchecked without).
* Sharing is consent, per need and provider (its admins); a provider sees only the
  needs shared with it, proposes once at a time, and may withdraw; the enterprise's
  admins accept one proposal — the project is created in the same transaction, the other
  open proposals are declined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.matching import MatchResult, facts_from_assessment, need_from_mapping
from nqpf.matching import Need as EngineNeed
from nqpf.matching.scenes import FRAMEWORK
from nqpf.services import needs as need_rules
from nqpf.services.assess_report import analyze
from nqpf.services.matching import match_document
from nqpf.web.authz import Actor, enterprise_for, enterprise_for_cache, need_for, visible_needs
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound, field_error
from nqpf.web.models import (
    Assessment,
    EnterpriseProfile,
    Need,
    NeedShare,
    Organization,
    Project,
    Proposal,
    Solution,
)
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing, save_revision
from nqpf.web.services.assessments import framework_of, get_assessment
from nqpf.web.services.loop_common import NEED_STATUS_LABELS, count_capped, org_names, today
from nqpf.web.services.solutions import catalogue_index

__all__ = [
    "FIELD_LABELS",
    "MatchView",
    "NeedPage",
    "create",
    "decide",
    "from_roadmap",
    "get_need",
    "latest_assessment",
    "list_needs",
    "list_proposals",
    "matches",
    "propose",
    "roadmap_choices",
    "set_status",
    "share",
    "shares",
    "unshare",
    "update_need",
    "withdraw",
]

FRAMEWORK_ID, FRAMEWORK_VERSION = FRAMEWORK.rsplit("-", 1)
FIELD_LABELS = {
    "title": "标题",
    "scene": "场景",
    "current_level": "当前等级",
    "target_level": "目标等级",
    "addresses": "针对的未满足条件",
    "budget_min": "预算下限（万元）",
    "budget_max": "预算上限（万元）",
    "deadline": "期望完成日期",
    "text": "需求描述",
    "steps": "路线图步骤",
    "scenes": "场景",
}
NEED_FIELDS = (
    "scene",
    "current_level",
    "target_level",
    "addresses",
    "budget_min",
    "budget_max",
    "deadline",
    "text",
)
MAX_TITLE = 200
MAX_TEXT = 4000
OPEN = ("published", "matched")


def _label(field: str | None) -> str:
    top = (field or "").split("[", 1)[0].split(".", 1)[0]
    return f"{FIELD_LABELS[top]}：" if top in FIELD_LABELS else ""


def _domain(exc: DataValidationError) -> FieldError:
    return field_error(exc, label=_label(exc.field))


# ------------------------------------------------------------------------------- reading


@dataclass
class NeedRow:
    need: Need
    enterprise_name: str


@dataclass
class NeedPage:
    items: list[NeedRow]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more rows than ``total`` (counted up to COUNT_CAP)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_needs(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    enterprise_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> NeedPage:
    """The needs ``actor`` may read (own enterprise's, its scope's published ones, those
    shared with its provider), newest first."""
    if status is not None and status not in NEED_STATUS_LABELS:
        raise FieldError("未知状态", field="status")
    base = (
        select(Need, Organization.name)
        .join(Organization, Organization.id == Need.enterprise_id)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Need.enterprise_id)
        .where(visible_needs(actor))
    )
    if status is not None:
        base = base.where(Need.status == status)
    if enterprise_id is not None:
        base = base.where(Need.enterprise_id == enterprise_id)
    page = max(1, page)
    per_page = min(max(1, per_page), 100)
    total, capped = count_capped(session, base)
    rows = session.execute(
        base.order_by(Need.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return NeedPage([NeedRow(n, name) for n, name in rows], total, page, per_page, capped)


def get_need(session: Session, actor: Actor, need_id: int) -> Need:
    return need_for(session, actor, need_id)


def latest_assessment(session: Session, enterprise_id: int) -> Assessment | None:
    """The enterprise's latest submitted SME-2024 assessment (the facts matching reads)."""
    return session.scalars(
        select(Assessment)
        .where(
            Assessment.enterprise_id == enterprise_id,
            Assessment.framework_id == FRAMEWORK_ID,
            Assessment.framework_version == FRAMEWORK_VERSION,
            Assessment.status == "submitted",
        )
        .order_by(Assessment.seq.desc(), Assessment.id.desc())
        .limit(1)
    ).first()


def _profile(session: Session, enterprise_id: int) -> EnterpriseProfile | None:
    org = enterprise_for_cache(session, enterprise_id)
    return org.profile if org is not None else None


def _engine_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in NEED_FIELDS if k in values}


def engine_need(session: Session, need: Need) -> EngineNeed:
    """The stored need as the engine reads it (the title joins the text for relevance)."""
    profile = _profile(session, need.enterprise_id)
    return need_from_mapping(
        {
            "id": str(need.id),
            "enterprise_id": str(need.enterprise_id),
            "scene": need.scene,
            "current_level": need.current_level,
            "target_level": need.target_level,
            "addresses": list(need.addresses or []),
            "budget_min": need.budget_min,
            "budget_max": need.budget_max,
            "deadline": need.deadline,
            "text": f"{need.title}\n{need.text}".strip(),
            "industry": profile.industry if profile else None,
            "size_class": profile.size_class if profile else None,
        }
    )


def _check(enterprise_id: int, values: Mapping[str, Any]) -> tuple[EngineNeed, str]:
    """The engine's need of form/API values and the title (blank: the default one)."""
    title = values.get("title")
    title = title.strip() if isinstance(title, str) else ""
    if len(title) > MAX_TITLE:
        raise FieldError(f"标题不能超过 {MAX_TITLE} 字", field="title")
    text = values.get("text") or ""
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise FieldError(f"需求描述不能超过 {MAX_TEXT} 字", field="text")
    try:
        need = need_from_mapping({"enterprise_id": str(enterprise_id), **_engine_values(values)})
    except DataValidationError as exc:
        raise _domain(exc) from None
    return need, title or need_rules.need_title(need.scene, need.current_level, need.target_level)


def _stored(need: EngineNeed) -> dict[str, Any]:
    return {
        "scene": need.scene,
        "current_level": need.current_level,
        "target_level": need.target_level,
        "addresses": list(need.addresses),
        "budget_min": need.budget_min,
        "budget_max": need.budget_max,
        "deadline": need.deadline,
        "text": need.text,
    }


_SNAPSHOT = (
    "title",
    "scene",
    "current_level",
    "target_level",
    "addresses",
    "budget_min",
    "budget_max",
    "deadline",
    "text",
    "status",
)


# ------------------------------------------------------------------------------- writing


def create(session: Session, actor: Actor, enterprise_id: int, values: Mapping[str, Any]) -> Need:
    """A need written by hand (a draft), by the enterprise's members."""
    org = enterprise_for(session, actor, enterprise_id, "assess")
    engine, title = _check(org.id, values)
    with committing(session):
        row = Need(
            enterprise_id=org.id,
            title=title,
            status="draft",
            revision=0,
            steps=[],
            created_by=actor.user.id,
            **_stored(engine),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "create",
            "need",
            row.id,
            organization_id=org.id,
            after=audit.snapshot(row, _SNAPSHOT),
        )
    return row


def update_need(
    session: Session, actor: Actor, need_id: int, values: Mapping[str, Any], revision: int | None
) -> Need:
    """Change a need's fields (not closed; 409 on a stale revision)."""
    row = need_for(session, actor, need_id, "edit")
    if row.status in ("in_project", "closed"):
        raise Conflict(f"需求已{NEED_STATUS_LABELS[row.status]}，不能修改", field="status")
    merged = {**{k: getattr(row, k) for k in ("title", *NEED_FIELDS)}, **values}
    engine, title = _check(row.enterprise_id, merged)
    seen = row.revision if revision is None else revision
    new = {"title": title, **_stored(engine), "updated_at": datetime.now(UTC)}
    before = audit.snapshot(row, _SNAPSHOT)
    save_revision(
        session,
        actor,
        row,
        seen,
        new,
        action="update",
        object_type="need",
        before=before,
        after={k: v for k, v in new.items() if k != "updated_at"},
        stale="需求已在别处更新，请刷新后重试",
        where=[Need.status.not_in(("in_project", "closed"))],
    )
    return row


_TRANSITIONS = {
    "publish": (("draft",), "published"),
    "close": (("draft", "published", "matched"), "closed"),
    "reopen": (("closed",), "published"),
}


def set_status(session: Session, actor: Actor, need_id: int, action: str) -> Need:
    """``publish`` a draft, ``close`` an open need, ``reopen`` a closed one (not one whose
    project ran)."""
    row = need_for(session, actor, need_id, "edit")
    if action not in _TRANSITIONS:
        raise FieldError("未知操作", field="action")
    starts, target = _TRANSITIONS[action]
    if row.status not in starts or (action == "reopen" and _project_of(session, row.id)):
        label = {"publish": "发布", "close": "关闭", "reopen": "重新发布"}[action]
        raise Conflict(
            f"需求当前状态为“{NEED_STATUS_LABELS[row.status]}”，不能{label}", field="status"
        )
    save_revision(
        session,
        actor,
        row,
        row.revision,
        {"status": target, "updated_at": datetime.now(UTC)},
        action=action,
        object_type="need",
        before={"status": row.status},
        after={"status": target},
        stale="需求已在别处更新，请刷新后重试",
        where=[Need.status == row.status],
    )
    return row


def delete_draft(session: Session, actor: Actor, need_id: int) -> int:
    """Delete a draft need; returns its enterprise id."""
    row = need_for(session, actor, need_id, "edit")
    if row.status != "draft":
        raise Conflict("只能删除草稿需求", field="status")
    enterprise_id = row.enterprise_id
    with committing(session):
        audit.record(
            session,
            actor,
            "delete",
            "need",
            row.id,
            organization_id=enterprise_id,
            before=audit.snapshot(row, _SNAPSHOT),
        )
        session.delete(row)
    return enterprise_id


def _project_of(session: Session, need_id: int) -> Project | None:
    return session.scalars(select(Project).where(Project.need_id == need_id)).first()


# --------------------------------------------------------------------------- roadmap


@dataclass
class RoadmapChoices:
    assessment: Assessment
    enterprise: Organization
    suggestions: list[need_rules.StepSuggestion]
    reachable: bool
    message: str
    target_level: int


def roadmap_choices(session: Session, actor: Actor, assessment_id: int) -> RoadmapChoices:
    """The roadmap steps of a submitted SME-2024 assessment, each as a suggested need
    (the enterprise's members)."""
    row = get_assessment(session, actor, assessment_id)
    org = enterprise_for(session, actor, row.enterprise_id, "assess")
    if row.status != "submitted":
        raise Conflict(f"评测 {row.label} 尚未提交，没有路线图", field="status")
    if f"{row.framework_id}-{row.framework_version}" != FRAMEWORK:
        raise FieldError(f"只能从 {FRAMEWORK} 评测的路线图生成需求", field="assessment_id")
    analysis = analyze(framework_of(row), row.responses or {})
    try:
        suggestions = need_rules.step_suggestions(analysis)
    except DataValidationError as exc:
        raise _domain(exc) from None
    road = analysis.roadmap
    return RoadmapChoices(row, org, suggestions, road.reachable, road.message, road.target_level)


def from_roadmap(
    session: Session,
    actor: Actor,
    assessment_id: int,
    step_ids: Sequence[str],
    *,
    scenes: Mapping[str, str] | None = None,
    budget_min: float | None = None,
    budget_max: float | None = None,
    deadline: dt.date | None = None,
    text: str = "",
) -> list[Need]:
    """Turn the chosen roadmap steps into draft needs (one per scene) in one transaction."""
    choices = roadmap_choices(session, actor, assessment_id)
    org = choices.enterprise
    profile = org.profile
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise FieldError(f"需求描述不能超过 {MAX_TEXT} 字", field="text")
    try:
        chosen = need_rules.choose(choices.suggestions, step_ids)
        drafts = need_rules.needs_from_steps(
            chosen,
            enterprise_id=str(org.id),
            scenes=scenes,
            industry=profile.industry if profile else None,
            size_class=profile.size_class if profile else None,
            budget_min=budget_min,
            budget_max=budget_max,
            deadline=deadline,
            text=text,
        )
    except DataValidationError as exc:
        raise _domain(exc) from None
    out = []
    with committing(session):
        for d in drafts:
            row = Need(
                enterprise_id=org.id,
                assessment_id=choices.assessment.id,
                steps=list(d.steps),
                title=d.title,
                status="draft",
                revision=0,
                created_by=actor.user.id,
                **_stored(d.need),
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                actor,
                "create_from_roadmap",
                "need",
                row.id,
                organization_id=org.id,
                after={
                    **audit.snapshot(row, _SNAPSHOT),
                    "assessment_id": choices.assessment.id,
                    "steps": list(d.steps),
                },
            )
            out.append(row)
    return out


# --------------------------------------------------------------------------- matching


@dataclass
class MatchView:
    """A need ranked against the catalogue: the engine's result, its JSON document (ids
    are the platform's), the assessment whose facts were used and who is shared."""

    need: Need
    enterprise: Organization
    result: MatchResult
    document: dict[str, Any]
    assessment: Assessment | None
    shared: set[int]
    standings: Mapping[int, str]


def matches(
    session: Session, actor: Actor, need_id: int, *, top: int = 10, near_misses: int = 5
) -> MatchView:
    """Rank the catalogue for a need, with reasons and near misses (the enterprise and the
    authorities over it)."""
    row = need_for(session, actor, need_id, "match")
    org = enterprise_for_cache(session, row.enterprise_id)
    assert org is not None
    assessment = latest_assessment(session, row.enterprise_id)
    facts = None
    if assessment is not None:
        analysis = analyze(framework_of(assessment), assessment.responses or {})
        facts = facts_from_assessment(analysis.result)
    catalogue = catalogue_index(session, org.profile.region_code if org.profile else None)
    result = catalogue.index.rank(
        engine_need(session, row), facts, top=top, near_misses=near_misses, as_of=today()
    )
    doc = match_document(result)
    for item in (*doc["matches"], *doc["near_misses"]):
        sid, pid, pname = catalogue.solutions[item["solution_id"]]
        item["solution_id"], item["provider_id"], item["provider_name"] = sid, pid, pname
    doc["need"]["id"], doc["need"]["enterprise_id"] = row.id, row.enterprise_id
    doc["assessment_id"] = assessment.id if assessment else None
    shared = set(session.scalars(select(NeedShare.provider_id).where(NeedShare.need_id == row.id)))
    return MatchView(row, org, result, doc, assessment, shared, catalogue.standings)


# ----------------------------------------------------------------------------- shares


@dataclass
class ShareRow:
    provider_id: int
    provider_name: str
    created_at: datetime


def shares(session: Session, actor: Actor, need_id: int) -> list[ShareRow]:
    """The providers a need is shared with (its enterprise's people and authorities; a
    provider sees only its own share)."""
    row = need_for(session, actor, need_id)
    query = (
        select(NeedShare, Organization.name)
        .join(Organization, Organization.id == NeedShare.provider_id)
        .where(NeedShare.need_id == row.id)
        .order_by(Organization.name, NeedShare.id)
    )
    if not _enterprise_side(session, actor, row):
        query = query.where(NeedShare.provider_id.in_(actor.provider_ids or [-1]))
    return [ShareRow(s.provider_id, name, s.created_at) for s, name in session.execute(query)]


def _enterprise_side(session: Session, actor: Actor, need: Need) -> bool:
    """The enterprise's members, platform admins and the authorities over it see all of
    a need's shares and proposals; a provider sees its own."""
    if actor.is_platform_admin or need.enterprise_id in actor.enterprise_ids:
        return True
    org = enterprise_for_cache(session, need.enterprise_id)
    region = org.profile.region_code if org is not None and org.profile else None
    from nqpf.web.authz import in_scope

    return any(in_scope(region, s) for s in actor.region_scopes())


def share(session: Session, actor: Actor, need_id: int, provider_ids: Iterable[int]) -> list[int]:
    """Share a published need with providers (its admins); returns the providers added."""
    row = need_for(session, actor, need_id, "manage")
    if row.status == "draft":
        raise Conflict("请先发布需求，再与服务商共享", field="status")
    if row.status not in OPEN:
        raise Conflict(f"需求已{NEED_STATUS_LABELS[row.status]}，不能再共享", field="status")
    wanted = list(dict.fromkeys(int(p) for p in provider_ids))
    if not wanted:
        raise FieldError("请选择至少一个服务商", field="provider_ids")
    found = dict(
        session.execute(
            select(Organization.id, Organization.kind).where(Organization.id.in_(wanted))
        ).all()
    )
    for i, p in enumerate(wanted):
        if found.get(p) != "provider":
            raise FieldError(f"服务商 {p} 不存在", field=f"provider_ids[{i}]")
    already = set(
        session.scalars(
            select(NeedShare.provider_id).where(
                NeedShare.need_id == row.id, NeedShare.provider_id.in_(wanted)
            )
        )
    )
    new = [p for p in wanted if p not in already]
    if not new:
        raise Conflict("已与所选服务商共享", field="provider_ids")

    def raced() -> Conflict:
        return Conflict("已与所选服务商共享", field="provider_ids")

    with committing(session, conflict=raced):
        for p in new:
            s = NeedShare(need_id=row.id, provider_id=p, created_by=actor.user.id)
            session.add(s)
            session.flush()
            audit.record(
                session,
                actor,
                "share",
                "need_share",
                s.id,
                organization_id=row.enterprise_id,
                after={"need_id": row.id, "provider_id": p},
            )
        if row.status == "published":
            audit.record(
                session,
                actor,
                "matched",
                "need",
                row.id,
                organization_id=row.enterprise_id,
                before={"status": "published"},
                after={"status": "matched"},
            )
            row.status = "matched"
            row.revision += 1
    return new


def unshare(session: Session, actor: Actor, need_id: int, provider_id: int) -> None:
    """Stop sharing a need with a provider (404 when not shared); its open proposal is
    withdrawn with it."""
    row = need_for(session, actor, need_id, "manage")
    s = session.scalars(
        select(NeedShare).where(NeedShare.need_id == row.id, NeedShare.provider_id == provider_id)
    ).first()
    if s is None:
        raise NotFound(f"需求 {need_id} 未与服务商 {provider_id} 共享")
    if row.status not in OPEN:
        raise Conflict(f"需求已{NEED_STATUS_LABELS[row.status]}，不能取消共享", field="status")
    with committing(session):
        withdrawn = []
        for p in session.scalars(
            select(Proposal).where(
                Proposal.need_id == row.id,
                Proposal.provider_id == provider_id,
                Proposal.status == "submitted",
            )
        ):
            p.status = "withdrawn"
            p.decided_at, p.decided_by = datetime.now(UTC), actor.user.id
            withdrawn.append(p.id)
        session.delete(s)
        session.flush()
        left = session.scalar(
            select(func.count()).select_from(NeedShare).where(NeedShare.need_id == row.id)
        )
        before_status = row.status
        if not left and row.status == "matched":
            row.status = "published"
            row.revision += 1
        audit.record(
            session,
            actor,
            "unshare",
            "need_share",
            s.id,
            organization_id=row.enterprise_id,
            before={"need_id": row.id, "provider_id": provider_id, "need_status": before_status},
            after={"need_status": row.status, "proposals_withdrawn": withdrawn},
        )


# -------------------------------------------------------------------------- proposals


@dataclass
class ProposalRow:
    proposal: Proposal
    provider_name: str
    solution_name: str | None


def list_proposals(session: Session, actor: Actor, need_id: int) -> list[ProposalRow]:
    """A need's proposals: all for its enterprise's side, a provider's own otherwise."""
    row = need_for(session, actor, need_id)
    query = (
        select(Proposal, Organization.name, Solution.name)
        .join(Organization, Organization.id == Proposal.provider_id)
        .outerjoin(Solution, Solution.id == Proposal.solution_id)
        .where(Proposal.need_id == row.id)
        .order_by(Proposal.id)
    )
    if not _enterprise_side(session, actor, row):
        query = query.where(Proposal.provider_id.in_(actor.provider_ids or [-1]))
    return [ProposalRow(p, n, s) for p, n, s in session.execute(query)]


def _shared_provider(session: Session, actor: Actor, need: Need, provider_id: int | None) -> int:
    mine = [
        p
        for p in session.scalars(
            select(NeedShare.provider_id).where(
                NeedShare.need_id == need.id, NeedShare.provider_id.in_(actor.provider_ids or [-1])
            )
        )
    ]
    if provider_id is not None:
        if provider_id not in mine:
            raise Forbidden("该需求未与此服务商共享", field="provider_id")
        return provider_id
    if not mine:
        raise Forbidden("只有需求共享的服务商可以提交方案建议")
    return mine[0]


def propose(
    session: Session,
    actor: Actor,
    need_id: int,
    *,
    text: str,
    price: float | None = None,
    weeks: float | None = None,
    solution_id: int | None = None,
    provider_id: int | None = None,
) -> Proposal:
    """A provider the need is shared with proposes (one open proposal at a time)."""
    need = need_for(session, actor, need_id)
    provider = _shared_provider(session, actor, need, provider_id)
    if need.status not in OPEN:
        raise Conflict(f"需求已{NEED_STATUS_LABELS[need.status]}，不能再提交建议", field="status")
    text = (text or "").strip()
    if not text:
        raise FieldError("请填写方案建议", field="text")
    if len(text) > MAX_TEXT:
        raise FieldError(f"方案建议不能超过 {MAX_TEXT} 字", field="text")
    for name, value, hi in (("price", price, 1e7), ("weeks", weeks, 520)):
        if value is not None and not 0 <= value <= hi:
            label = {"price": "报价（万元）", "weeks": "工期（周）"}[name]
            raise FieldError(f"{label}应在 0–{hi:g} 之间", field=name)
    if solution_id is not None:
        sol = session.get(Solution, solution_id)
        if sol is None or sol.provider_id != provider or sol.status != "published":
            raise FieldError(f"方案 {solution_id} 不是本服务商已发布的方案", field="solution_id")
    open_one = session.scalar(
        select(Proposal.id).where(
            Proposal.need_id == need.id,
            Proposal.provider_id == provider,
            Proposal.status == "submitted",
        )
    )
    if open_one is not None:
        raise Conflict("已有待回复的方案建议；如需修改请先撤回", field="text")
    with committing(session):
        p = Proposal(
            need_id=need.id,
            provider_id=provider,
            solution_id=solution_id,
            text=text,
            price=price,
            weeks=weeks,
            status="submitted",
            created_by=actor.user.id,
        )
        session.add(p)
        session.flush()
        audit.record(
            session,
            actor,
            "propose",
            "proposal",
            p.id,
            organization_id=provider,
            after={
                "need_id": need.id,
                "solution_id": solution_id,
                "price": price,
                "weeks": weeks,
                "text": text,
            },
        )
    return p


def proposal_for(session: Session, actor: Actor, proposal_id: int) -> tuple[Proposal, Need]:
    """A proposal the actor may read (404 otherwise) and its need."""
    p = session.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(f"方案建议 {proposal_id} 不存在或无权查看")
    try:
        need = need_for(session, actor, p.need_id)
    except NotFound:
        raise NotFound(f"方案建议 {proposal_id} 不存在或无权查看") from None
    if not _enterprise_side(session, actor, need) and p.provider_id not in actor.provider_ids:
        raise NotFound(f"方案建议 {proposal_id} 不存在或无权查看")
    return p, need


def decide(session: Session, actor: Actor, proposal_id: int, accept: bool) -> Proposal:
    """The enterprise's admins accept a proposal (the project is created, the other open
    proposals declined, the need 已立项) or decline it."""
    p, need = proposal_for(session, actor, proposal_id)
    need_for(session, actor, need.id, "manage")
    if p.status != "submitted":
        raise Conflict("该方案建议已处理", field="status")
    if need.status not in OPEN:
        raise Conflict(f"需求已{NEED_STATUS_LABELS[need.status]}", field="status")
    now = datetime.now(UTC)
    with committing(session):
        p.status = "accepted" if accept else "declined"
        p.decided_at, p.decided_by = now, actor.user.id
        audit.record(
            session,
            actor,
            "accept" if accept else "decline",
            "proposal",
            p.id,
            organization_id=need.enterprise_id,
            before={"status": "submitted"},
            after={"status": p.status, "need_id": need.id},
        )
        if accept:
            for other in session.scalars(
                select(Proposal).where(
                    Proposal.need_id == need.id,
                    Proposal.id != p.id,
                    Proposal.status == "submitted",
                )
            ):
                other.status, other.decided_at, other.decided_by = "declined", now, actor.user.id
            start = today()
            project = Project(
                need_id=need.id,
                proposal_id=p.id,
                enterprise_id=need.enterprise_id,
                provider_id=p.provider_id,
                solution_id=p.solution_id,
                title=need.title,
                start_date=start,
                end_date=start + timedelta(weeks=p.weeks) if p.weeks else None,
                status="active",
                budget=p.price,
                spend=0.0,
                milestones=[],
                kpis=[],
                revision=0,
                created_by=actor.user.id,
            )
            session.add(project)
            session.flush()
            audit.record(
                session,
                actor,
                "create",
                "project",
                project.id,
                organization_id=need.enterprise_id,
                after={
                    "need_id": need.id,
                    "proposal_id": p.id,
                    "provider_id": p.provider_id,
                    "start_date": start,
                },
            )
            audit.record(
                session,
                actor,
                "in_project",
                "need",
                need.id,
                organization_id=need.enterprise_id,
                before={"status": need.status},
                after={"status": "in_project"},
            )
            need.status = "in_project"
            need.revision += 1
    return p


def withdraw(session: Session, actor: Actor, proposal_id: int) -> Proposal:
    """The provider withdraws its open proposal."""
    p, need = proposal_for(session, actor, proposal_id)
    if p.provider_id not in actor.provider_ids:
        raise Forbidden("只有提交建议的服务商可以撤回")
    if p.status != "submitted":
        raise Conflict("该方案建议已处理，不能撤回", field="status")
    with committing(session):
        p.status, p.decided_at, p.decided_by = "withdrawn", datetime.now(UTC), actor.user.id
        audit.record(
            session,
            actor,
            "withdraw",
            "proposal",
            p.id,
            organization_id=p.provider_id,
            before={"status": "submitted"},
            after={"status": "withdrawn", "need_id": need.id},
        )
    return p


def project_of(session: Session, need_id: int) -> Project | None:
    """The project a need became, if any."""
    return _project_of(session, need_id)


def provider_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return org_names(session, ids)
