"""Deployment projects (场景落地): both sides update them; closing rates the provider.

Rules
-----
* A project is made by accepting a proposal (:func:`nqpf.web.services.needs.decide`).
  The enterprise's and the provider's members update its plan — dates, status, budget and
  spend, milestones, KPIs — with revisioned saves
  (:func:`~nqpf.web.services._transaction.save_revision`: a stale revision answers 409
  and nothing is written); the rules are :func:`nqpf.services.projects.check_plan`
  (no milestone before the start, every KPI with a unit …), whose errors answer a Chinese
  422 naming the field.
* Overdue milestones (due before today, not done) show on the project, in both sides'
  lists and to the authorities over the enterprise (``next_due`` makes it one indexed
  query).
* Documents (metadata and a small file, within the platform's upload limit) are added by
  either side and downloaded as attachments.
* The enterprise's admins close a project with a satisfaction score (1–5); the need is
  closed with it and the provider's rating (computed from its closed projects) changes:
  the catalogue revision moves so every matching index is rebuilt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from nqpf.exceptions import DataValidationError
from nqpf.services import projects as rules
from nqpf.web.authz import Actor, project_for, visible_projects
from nqpf.web.errors import Conflict, FieldError, NotFound, field_error
from nqpf.web.models import (
    EnterpriseProfile,
    Need,
    Organization,
    Project,
    ProjectDocument,
)
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing, save_revision
from nqpf.web.services.loop_common import bump_catalogue, count_capped, today

__all__ = [
    "ProjectPage",
    "ProjectView",
    "add_document",
    "close",
    "get_document",
    "get_project",
    "list_documents",
    "list_projects",
    "save",
]

FIELD_LABELS = {
    "start": "开始日期",
    "end": "计划完成日期",
    "budget": "预算（万元）",
    "spend": "已支出（万元）",
    "status": "项目状态",
    "satisfaction": "满意度",
}
MAX_DOCUMENT_NAME = 200
_SAFE_NAME = re.compile(r"[^\w.\-()（）\u4e00-\u9fff ]+")


def _domain(exc: DataValidationError) -> FieldError:
    label = FIELD_LABELS.get(exc.field or "", "")
    return field_error(exc, label=f"{label}：" if label else "")


@dataclass
class ProjectRow:
    project: Project
    enterprise_name: str
    provider_name: str
    overdue: bool


@dataclass
class ProjectPage:
    items: list[ProjectRow]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more rows than ``total`` (counted up to COUNT_CAP)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_projects(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    overdue_only: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> ProjectPage:
    """The projects ``actor`` may read, overdue ones first, then newest."""
    day = today()
    enterprise = aliased(Organization)
    provider = aliased(Organization)
    base = (
        select(Project, enterprise.name, provider.name)
        .join(enterprise, enterprise.id == Project.enterprise_id)
        .join(provider, provider.id == Project.provider_id)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Project.enterprise_id)
        .where(visible_projects(actor))
    )
    if status is not None:
        base = base.where(Project.status == status)
    late = (Project.status != "closed") & (Project.next_due < day)
    if overdue_only:
        base = base.where(late)
    page = max(1, page)
    per_page = min(max(1, per_page), 100)
    total, capped = count_capped(session, base)
    rows = session.execute(
        base.order_by(Project.next_due.is_(None), Project.next_due, Project.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        ProjectRow(p, e, v, p.status != "closed" and p.next_due is not None and p.next_due < day)
        for p, e, v in rows
    ]
    return ProjectPage(items, total, page, per_page, capped)


@dataclass
class ProjectView:
    project: Project
    need: Need
    enterprise_name: str
    provider_name: str
    overdue: list[dict[str, Any]]
    can_update: bool
    can_close: bool


def get_project(session: Session, actor: Actor, project_id: int) -> ProjectView:
    """A project with its need, the names of both sides, its overdue milestones and what
    the actor may do."""
    p = project_for(session, actor, project_id)
    need = session.get(Need, p.need_id)
    assert need is not None
    names = dict(
        session.execute(
            select(Organization.id, Organization.name).where(
                Organization.id.in_([p.enterprise_id, p.provider_id])
            )
        ).all()
    )
    may_update = actor.is_platform_admin or (
        p.enterprise_id in actor.enterprise_ids or p.provider_id in actor.provider_ids
    )
    may_close = actor.is_platform_admin or actor.roles.get(p.enterprise_id) == "admin"
    late = rules.overdue(p.milestones or [], today()) if p.status != "closed" else []
    return ProjectView(
        p,
        need,
        names.get(p.enterprise_id, ""),
        names.get(p.provider_id, ""),
        late,
        may_update and p.status != "closed",
        may_close and p.status != "closed",
    )


_SNAPSHOT = ("start_date", "end_date", "status", "budget", "spend", "milestones", "kpis")


def save(
    session: Session,
    actor: Actor,
    project_id: int,
    revision: int,
    *,
    start: Any = None,
    end: Any = None,
    status: str | None = None,
    budget: Any = None,
    spend: Any = None,
    milestones: Sequence[Mapping[str, Any]] | None = None,
    kpis: Sequence[Mapping[str, Any]] | None = None,
) -> Project:
    """Replace a project's plan (either side; ``None`` keeps a part as it is).

    ``status`` is ``active`` or ``paused`` (closing is :func:`close`).
    """
    p = project_for(session, actor, project_id, "update")
    if p.status == "closed":
        raise Conflict("项目已关闭，不能修改", field="status")
    if status is not None and status not in ("active", "paused"):
        raise FieldError("项目状态应为 实施中 或 暂停（关闭请使用“关闭项目”）", field="status")
    try:
        plan = rules.check_plan(
            start=p.start_date if start is None else start,
            end=p.end_date if end is None else (end or None),
            budget=p.budget if budget is None else budget,
            spend=p.spend if spend is None else spend,
            milestones=p.milestones if milestones is None else milestones,
            kpis=p.kpis if kpis is None else kpis,
            today=today(),
        )
    except DataValidationError as exc:
        raise _domain(exc) from None
    values = {
        "start_date": plan.start,
        "end_date": plan.end,
        "budget": plan.budget,
        "spend": plan.spend,
        "milestones": list(plan.milestones),
        "kpis": list(plan.kpis),
        "next_due": plan.next_due,
        "status": status or p.status,
        "updated_at": datetime.now(UTC),
    }
    before = audit.snapshot(p, _SNAPSHOT)
    after = {
        k: values[k]
        for k in ("start_date", "end_date", "status", "budget", "spend", "milestones", "kpis")
    }
    save_revision(
        session,
        actor,
        p,
        revision,
        values,
        action="update",
        object_type="project",
        before=before,
        after=after,
        stale="项目已被对方或他人更新，请刷新后重试",
        where=[Project.status != "closed"],
    )
    return p


def close(
    session: Session,
    actor: Actor,
    project_id: int,
    revision: int,
    satisfaction: Any,
    note: str = "",
) -> Project:
    """The enterprise's admins close the project with their satisfaction (1–5); the need
    is closed and the provider's rating recomputed."""
    p = project_for(session, actor, project_id, "close")
    if p.status == "closed":
        raise Conflict("项目已关闭", field="status")
    try:
        score = rules.check_satisfaction(satisfaction)
    except DataValidationError as exc:
        raise _domain(exc) from None
    note = (note or "").strip()
    if len(note) > 2000:
        raise FieldError("评价说明不能超过 2000 字", field="note")
    now = datetime.now(UTC)
    need = session.get(Need, p.need_id)
    values = {
        "status": "closed",
        "satisfaction": score,
        "satisfaction_note": note,
        "closed_at": now,
        "closed_by": actor.user.id,
        "next_due": None,
        "updated_at": now,
    }
    # the need and the catalogue revision change in the same transaction as the project:
    # flush them first, save_revision commits the lot (or rolls all of it back)
    if need is not None and need.status != "closed":
        audit.record(
            session,
            actor,
            "close",
            "need",
            need.id,
            organization_id=need.enterprise_id,
            before={"status": need.status},
            after={"status": "closed", "project_id": p.id},
        )
        need.status = "closed"
        need.revision += 1
    bump_catalogue(session)
    save_revision(
        session,
        actor,
        p,
        revision,
        values,
        action="close",
        object_type="project",
        before={"status": p.status},
        after={
            "status": "closed",
            "satisfaction": score,
            "note": note,
            "provider_id": p.provider_id,
        },
        stale="项目已被对方或他人更新，请刷新后重试",
        where=[Project.status != "closed"],
    )
    return p


# ----------------------------------------------------------------------------- documents


def _filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    base = _SAFE_NAME.sub("_", base).strip(" .") or "document"
    return base[:MAX_DOCUMENT_NAME]


def list_documents(session: Session, actor: Actor, project_id: int) -> list[ProjectDocument]:
    p = project_for(session, actor, project_id)
    return list(
        session.scalars(
            select(ProjectDocument)
            .where(ProjectDocument.project_id == p.id)
            .order_by(ProjectDocument.id)
        )
    )


def add_document(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    max_bytes: int,
) -> ProjectDocument:
    """Attach a small file (≤ ``max_bytes``) with its title to a project (either side)."""
    p = project_for(session, actor, project_id, "update")
    title = (title or "").strip()
    if not title:
        raise FieldError("请填写文件说明", field="title")
    if len(title) > 200:
        raise FieldError("文件说明不能超过 200 字", field="title")
    if not data:
        raise FieldError("请选择要上传的文件", field="file")
    if len(data) > max_bytes:
        raise FieldError(f"文件超过上限 {max_bytes} 字节", field="file")
    name = _filename(filename)
    kind = (content_type or "application/octet-stream").split(";", 1)[0].strip()[:100]
    if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", kind):
        kind = "application/octet-stream"
    side = p.enterprise_id if p.enterprise_id in actor.enterprise_ids else p.provider_id
    with committing(session):
        doc = ProjectDocument(
            project_id=p.id,
            organization_id=side,
            title=title,
            filename=name,
            content_type=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_by=actor.user.id,
        )
        session.add(doc)
        session.flush()
        audit.record(
            session,
            actor,
            "upload",
            "project_document",
            doc.id,
            organization_id=p.enterprise_id,
            after={
                "project_id": p.id,
                "title": title,
                "filename": name,
                "size": len(data),
                "sha256": doc.sha256,
            },
        )
    return doc


def get_document(
    session: Session, actor: Actor, project_id: int, document_id: int
) -> ProjectDocument:
    p = project_for(session, actor, project_id)
    doc = session.get(ProjectDocument, document_id)
    if doc is None or doc.project_id != p.id:
        raise NotFound(f"文件 {document_id} 不存在或无权查看")
    return doc


def overdue_count(session: Session, actor: Actor) -> int:
    """How many open projects ``actor`` may read have an overdue milestone."""
    day = today()
    return (
        session.scalar(
            select(func.count())
            .select_from(Project)
            .outerjoin(
                EnterpriseProfile, EnterpriseProfile.organization_id == Project.enterprise_id
            )
            .where(visible_projects(actor), Project.status != "closed", Project.next_due < day)
        )
        or 0
    )
