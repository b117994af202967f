"""The audit trail: every write records an :class:`AuditEvent`, and admins browse them.

Writing: :func:`record` adds the event in the same transaction as the change it
describes (so a rolled-back action leaves no event), :func:`snapshot` copies the fields
a ``before``/``after`` shows.

Browsing: the platform admin sees every event; an organization's admin sees the events
whose ``organization_id`` is one of the organizations they administer; everyone else is
refused (403).  Filters: the actor's e-mail (substring, case-insensitive), action,
object type and a date range (UTC days, both ends inclusive); newest first, paginated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from nqpf.web.authz import Actor
from nqpf.web.errors import FieldError, Forbidden
from nqpf.web.models import AuditEvent, User

__all__ = [
    "ACTION_LABELS",
    "OBJECT_TYPE_LABELS",
    "AuditFilter",
    "AuditPage",
    "AuditRow",
    "action_label",
    "browse",
    "may_browse",
    "object_type_label",
    "record",
    "snapshot",
]


# -- labels: what the audit page shows for the codes stored -------------------------------
#: Audit action code → its Chinese label (sign-in actions: ``services.auth.ACTION_LABELS``).
ACTION_LABELS = {
    "create": "创建",
    "update": "修改",
    "delete": "删除",
    "close": "关闭",
    "import": "批量导入",
    "upload": "上传",
    "share": "共享",
    "unshare": "取消共享",
    "add_member": "添加成员",
    "remove_member": "移除成员",
    "change_role": "变更角色",
    "members": "变更成员",
    "change_password": "修改密码",
    "reset_password": "重置密码（临时密码）",
    "reset_totp": "重置两步验证",
    "create_from_roadmap": "由路线图创建",
    "propose": "提交方案",
    "withdraw": "撤回",
    "matched": "匹配成功",
    "in_project": "转入项目",
    "evaluate": "效果评估",
    "evaluate_queued": "效果评估（已排队）",
    "revoke": "吊销",
    "job.submit": "提交后台任务",
    "seed_demo": "生成演示数据",
    "narrow_share": "共享范围收窄（迁移）",
    "register_apply": "服务商申请入库",
    "register_review": "服务商专家评审",
    "register_admit": "服务商入库",
    "register_sanction": "服务商处理",
    "register_lift": "解除服务商处理",
    "register_appeal": "服务商申诉",
    "register_decide_appeal": "服务商申诉裁定",
}
#: Audit object type code → its Chinese label.
OBJECT_TYPE_LABELS = {
    "api_token": "API 令牌",
    "assessment": "评测",
    "carbon_inventory": "碳排放盘查",
    "demo": "演示数据",
    "enterprise": "企业",
    "enterprise_import": "企业导入",
    "job": "后台任务",
    "membership": "成员关系",
    "need": "需求",
    "need_share": "需求共享",
    "organization": "组织",
    "programme": "效果评估项目",
    "project": "项目",
    "project_document": "项目文件",
    "proposal": "方案响应",
    "provider_registration": "服务商入库",
    "share": "数据共享",
    "solution": "解决方案",
    "user": "用户",
}


def action_label(action: str) -> str:
    """The Chinese label of an audit action (an unknown code as it is)."""
    return ACTION_LABELS.get(action, action)


def object_type_label(object_type: str) -> str:
    """The Chinese label of an audit object type (an unknown code as it is)."""
    return OBJECT_TYPE_LABELS.get(object_type, object_type)


# -- writing -------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """JSON-ready copy of ``fields`` of ``obj`` (for ``before``/``after``)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    organization_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the write it describes)."""
    event = AuditEvent(
        actor_id=actor.user.id if actor is not None else None,
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_plain(dict(before)) if before is not None else None,
        after=_plain(dict(after)) if after is not None else None,
    )
    session.add(event)
    return event


# -- browsing ------------------------------------------------------------------------------
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class AuditFilter:
    actor_email: str | None = None
    action: str | None = None
    object_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor_email: str | None
    organization_id: int | None
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def admin_organization_ids(actor: Actor) -> list[int]:
    return sorted(oid for oid, role in actor.roles.items() if role == "admin")


def may_browse(actor: Actor) -> bool:
    return actor.is_platform_admin or bool(admin_organization_ids(actor))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def browse(
    session: Session,
    actor: Actor,
    filters: AuditFilter | None = None,
    *,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """One page of the events ``actor`` may see, newest first."""
    if not may_browse(actor):
        raise Forbidden("只有平台管理员和组织管理员可以查看审计日志")
    f = filters or AuditFilter()
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise FieldError("开始日期不能晚于结束日期", field="date_from")
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    where: list[ColumnElement[bool]] = []
    if not actor.is_platform_admin:
        where.append(AuditEvent.organization_id.in_(admin_organization_ids(actor)))
    if f.actor_email:
        where.append(
            func.lower(User.email).contains(f.actor_email.strip().lower(), autoescape=True)
        )
    if f.action:
        where.append(AuditEvent.action == f.action.strip())
    if f.object_type:
        where.append(AuditEvent.object_type == f.object_type.strip())
    if f.date_from:
        where.append(AuditEvent.at >= _day_start(f.date_from))
    if f.date_to:
        where.append(AuditEvent.at < _day_start(f.date_to + timedelta(days=1)))
    base = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if where:
        base = base.where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        AuditRow(
            id=e.id,
            at=e.at if e.at.tzinfo is not None else e.at.replace(tzinfo=UTC),
            actor_id=e.actor_id,
            actor_email=email,
            organization_id=e.organization_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            before=e.before,
            after=e.after,
        )
        for e, email in rows
    ]
    return AuditPage(items=items, total=total, page=page, per_page=per_page)


def distinct_values(session: Session, actor: Actor) -> tuple[list[str], list[str]]:
    """Actions and object types present among the events ``actor`` may see (for filters)."""
    if not may_browse(actor):
        return [], []
    scope = (
        []
        if actor.is_platform_admin
        else [AuditEvent.organization_id.in_(admin_organization_ids(actor))]
    )
    actions = session.scalars(
        select(AuditEvent.action).where(*scope).distinct().order_by(AuditEvent.action)
    )
    types = session.scalars(
        select(AuditEvent.object_type).where(*scope).distinct().order_by(AuditEvent.object_type)
    )
    return list(actions), list(types)
