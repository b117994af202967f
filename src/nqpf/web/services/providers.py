"""The provider register (服务商库) on the platform, and providers' ratings and standings.

Each authority runs its own register: a provider applies to it; the authority's admins
review (专家评审), admit after the public notice, sanction, lift sanctions and decide
appeals; the provider's members apply and appeal.  The rules are
:mod:`nqpf.services.register` (a state machine independent of any door); this module adds
authorisation, storage (one :class:`~nqpf.web.models.RegisterEvent` per step), the
revision check, the audit event and the catalogue revision bump, in one transaction.

A provider's **standing** for an enterprise is its best state in the registers of the
authorities over the enterprise's region (the park, the city, the province); when none
of those runs a register, its best state in any register.  A provider in no register (or
rejected) is not in the matching catalogue.  Its **rating** comes from its closed
projects (:func:`nqpf.services.register.provider_rating`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.services import register as rules
from nqpf.services.projects import on_time
from nqpf.web.authz import Actor, in_scope, registration_for
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound, field_error
from nqpf.web.models import Organization, Project, ProviderRegistration, RegisterEvent
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing
from nqpf.web.services.loop_common import bump_catalogue, org_names, today

__all__ = [
    "RegistrationView",
    "act",
    "apply",
    "authorities",
    "covering_authorities",
    "get_registration",
    "list_registrations",
    "ratings",
    "standings",
]

STATUS_LABELS = dict(rules.STATUS_LABELS)
ACTION_LABELS = dict(rules.ACTION_LABELS)
SANCTION_LABELS = {k: v[0] for k, v in rules.SANCTIONS.items()}


@dataclass
class RegistrationView:
    """A register entry with its organizations' names, history and next actions."""

    row: ProviderRegistration
    authority_name: str
    provider_name: str
    events: list[dict[str, Any]]
    actions: tuple[str, ...]
    rating: float | None


def _state(row: ProviderRegistration) -> rules.RegisterState:
    return rules.RegisterState(row.status, row.previous_status, row.notice_until, row.appeal)


def authorities(session: Session) -> list[Organization]:
    """Every authority (a register a provider may apply to)."""
    return list(
        session.scalars(
            select(Organization)
            .where(Organization.kind == "authority")
            .order_by(Organization.name, Organization.id)
        )
    )


def _own_provider(actor: Actor, provider_id: int | None) -> int:
    """The provider organization the actor acts for (the only one, or the one named)."""
    mine = actor.provider_ids
    if provider_id is not None:
        if provider_id not in mine and not actor.is_platform_admin:
            raise Forbidden("只能以本服务商的名义操作", field="provider_id")
        return provider_id
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise Forbidden("只有服务商成员可以申请入库或申诉")
    raise FieldError("你属于多个服务商，请选择服务商", field="provider_id")


def list_registrations(session: Session, actor: Actor) -> list[RegistrationView]:
    """The register entries ``actor`` sees: an authority's own register, a provider's own
    applications, everything for a platform admin (authority, then provider name)."""
    query = select(ProviderRegistration)
    if not actor.is_platform_admin:
        mine = [o for o, k in actor.kinds.items() if k == "authority"]
        clauses = []
        if mine:
            clauses.append(ProviderRegistration.authority_id.in_(mine))
        if actor.provider_ids:
            clauses.append(ProviderRegistration.provider_id.in_(actor.provider_ids))
        if not clauses:
            return []
        query = query.where(or_(*clauses))
    rows = list(session.scalars(query))
    names = org_names(session, [r.authority_id for r in rows] + [r.provider_id for r in rows])
    rated = ratings(session, {r.provider_id for r in rows})
    day = today()
    out = [
        RegistrationView(
            r,
            names.get(r.authority_id, ""),
            names.get(r.provider_id, ""),
            [],
            rules.allowed_actions(_state(r), today=day),
            rated.get(r.provider_id),
        )
        for r in rows
    ]
    out.sort(key=lambda v: (v.authority_name, v.provider_name, v.row.id))
    return out


def get_registration(session: Session, actor: Actor, registration_id: int) -> RegistrationView:
    """One register entry with its history (oldest first) and the actions its state allows."""
    row = registration_for(session, actor, registration_id)
    events = session.execute(
        select(RegisterEvent)
        .where(RegisterEvent.registration_id == row.id)
        .order_by(RegisterEvent.id)
    ).scalars()
    names = org_names(session, [row.authority_id, row.provider_id])
    history = [
        {
            "id": e.id,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "detail": dict(e.detail or {}),
            "actor_id": e.actor_id,
            "at": e.at,
        }
        for e in events
    ]
    return RegistrationView(
        row,
        names.get(row.authority_id, ""),
        names.get(row.provider_id, ""),
        history,
        rules.allowed_actions(_state(row), today=today()),
        ratings(session, [row.provider_id]).get(row.provider_id),
    )


def _record(
    session: Session,
    actor: Actor | None,
    row: ProviderRegistration,
    step: rules.Step,
) -> None:
    detail = dict(step.detail)
    session.add(
        RegisterEvent(
            registration_id=row.id,
            action=step.action,
            from_status=step.before.status,
            to_status=step.after.status or "",
            detail=detail,
            actor_id=actor.user.id if actor is not None else None,
        )
    )
    audit.record(
        session,
        actor,
        f"register_{step.action}",
        "provider_registration",
        row.id,
        organization_id=row.authority_id,
        before={"status": step.before.status, "appeal": step.before.appeal},
        after={
            "status": step.after.status,
            "appeal": step.after.appeal,
            "provider_id": row.provider_id,
            **detail,
        },
    )


def _rule_error(exc: DataValidationError) -> Exception:
    if isinstance(exc, rules.TransitionError):
        return Conflict(exc.reason_zh, field=exc.field or "status")
    return field_error(exc)


def apply(
    session: Session,
    actor: Actor,
    authority_id: int,
    statement: str,
    *,
    provider_id: int | None = None,
) -> ProviderRegistration:
    """A provider applies to the register of ``authority_id`` (again after a rejection)."""
    provider = _own_provider(actor, provider_id)
    authority = session.get(Organization, authority_id)
    if authority is None or authority.kind != "authority":
        raise FieldError(f"主管部门 {authority_id} 不存在", field="authority_id")
    row = session.scalars(
        select(ProviderRegistration).where(
            ProviderRegistration.authority_id == authority.id,
            ProviderRegistration.provider_id == provider,
        )
    ).first()
    before = _state(row) if row is not None else rules.RegisterState()
    try:
        step = rules.step(before, "apply", {"statement": statement}, today=today())
    except DataValidationError as exc:
        raise _rule_error(exc) from None

    def taken() -> Conflict:
        return Conflict("已向该主管部门申请入库", field="authority_id")

    with committing(session, conflict=taken):
        if row is None:
            row = ProviderRegistration(
                authority_id=authority.id,
                provider_id=provider,
                status="applied",
                appeal="",
                statement=step.detail["statement"],
                revision=0,
            )
            session.add(row)
            session.flush()
        else:
            _write(session, row, row.revision, step, statement=step.detail["statement"])
        _record(session, actor, row, step)
        bump_catalogue(session)
    return row


def _write(
    session: Session,
    row: ProviderRegistration,
    seen: int,
    step: rules.Step,
    **extra: Any,
) -> None:
    done = session.execute(
        update(ProviderRegistration)
        .where(ProviderRegistration.id == row.id, ProviderRegistration.revision == seen)
        .values(
            status=step.after.status,
            previous_status=step.after.previous_status,
            notice_until=step.after.notice_until,
            appeal=step.after.appeal,
            revision=seen + 1,
            updated_at=datetime.now(UTC),
            **extra,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Conflict("入库记录已在别处更新，请刷新后重试", field="revision")


def act(
    session: Session,
    actor: Actor,
    registration_id: int,
    action: str,
    details: Mapping[str, Any] | None = None,
    *,
    revision: int | None = None,
) -> ProviderRegistration:
    """Take ``action`` on a register entry (see :mod:`nqpf.services.register`).

    ``revision`` is the one the client saw (409 when stale; ``None``: no check).  The
    authority's admins take the authority's actions, the provider's members theirs.
    """
    if action not in rules.ACTIONS:
        raise FieldError(f"未知操作“{str(action)[:40]}”", field="action")
    if action == "apply":
        raise FieldError("请通过“申请入库”提交申请", field="action")
    side = rules.ACTIONS[action]
    row = registration_for(session, actor, registration_id, side)  # type: ignore[arg-type]
    seen = row.revision if revision is None else revision
    if seen != row.revision:
        raise Conflict(
            f"入库记录已更新（当前版本 {row.revision}，你的版本 {seen}），请刷新后重试",
            field="revision",
        )
    try:
        step = rules.step(_state(row), action, details, today=today())
    except DataValidationError as exc:
        raise _rule_error(exc) from None
    with committing(session):
        _write(session, row, seen, step)
        _record(session, actor, row, step)
        bump_catalogue(session)
    session.refresh(row)
    return row


# -- standings and ratings -----------------------------------------------------------------


def covering_authorities(session: Session, region_code: str | None) -> list[int]:
    """The authorities whose scope contains ``region_code`` (park, city, province)."""
    rows = session.execute(
        select(Organization.id, Organization.region_scope).where(Organization.kind == "authority")
    )
    return sorted(i for i, scope in rows if scope and in_scope(region_code, scope))


def register_scope(session: Session, region_code: str | None) -> frozenset[int] | None:
    """The registers that decide standings for an enterprise in ``region_code``: those of
    the authorities over it that run one; ``None`` (every register) when none does."""
    covering = covering_authorities(session, region_code)
    if covering:
        running = set(
            session.scalars(
                select(ProviderRegistration.authority_id)
                .where(ProviderRegistration.authority_id.in_(covering))
                .distinct()
            )
        )
        if running:
            return frozenset(running)
    return None


def standings(session: Session, scope: frozenset[int] | None) -> dict[int, str]:
    """Provider id → its engine standing in the registers of ``scope`` (None: all)."""
    query = select(ProviderRegistration.provider_id, ProviderRegistration.status)
    if scope is not None:
        query = query.where(ProviderRegistration.authority_id.in_(sorted(scope)))
    found: dict[int, list[str]] = defaultdict(list)
    for provider, status in session.execute(query):
        found[provider].append(status)
    out = {}
    for provider, statuses in found.items():
        best = rules.best_standing(statuses)
        if best is not None:
            out[provider] = best
    return out


def ratings(session: Session, provider_ids: Iterable[int] | None = None) -> dict[int, float | None]:
    """Provider id → its star rating from its closed projects (None: no record yet)."""
    query = select(Project.provider_id, Project.satisfaction, Project.milestones).where(
        Project.status == "closed", Project.satisfaction.is_not(None)
    )
    wanted = None if provider_ids is None else sorted(set(provider_ids))
    if wanted is not None:
        if not wanted:
            return {}
        query = query.where(Project.provider_id.in_(wanted))
    records: dict[int, list[rules.DeliveryRecord]] = defaultdict(list)
    for provider, satisfaction, milestones in session.execute(query):
        done, total = on_time(milestones or [])
        records[provider].append(rules.DeliveryRecord(int(satisfaction), total, done))
    out: dict[int, float | None] = dict.fromkeys(wanted or (), None)
    for provider, recs in records.items():
        out[provider] = rules.provider_rating(recs)
    return out


def registration_or_none(
    session: Session, authority_id: int, provider_id: int
) -> ProviderRegistration | None:
    return session.scalars(
        select(ProviderRegistration).where(
            ProviderRegistration.authority_id == authority_id,
            ProviderRegistration.provider_id == provider_id,
        )
    ).first()


def ensure_provider(session: Session, provider_id: int) -> Organization:
    provider = session.get(Organization, provider_id)
    if provider is None or provider.kind != "provider":
        raise NotFound(f"服务商 {provider_id} 不存在")
    return provider
