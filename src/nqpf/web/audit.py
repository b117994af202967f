"""Audit trail: every write adds an :class:`AuditEvent` in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from nqpf.web.authz import Actor
from nqpf.web.models import AuditEvent

__all__ = ["record", "snapshot"]


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
