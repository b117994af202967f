"""Enterprise profiles on the platform: who may create and edit them, listing, saving.

The field rules (credit code, GB/T 4754 industry, region code, size class, chains, name)
are :mod:`nqpf.services.enterprises`'; this module adds what the platform does around
them: rights (an authority admin creates and moves enterprises only within its region
scopes), the queries, uniqueness of the credit code, the transaction and an audit event
for every write.  A rule's Chinese reason reaches the user through
:func:`nqpf.web.errors.field_error` behind the field's label (:func:`field_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from nqpf.exceptions import DataValidationError
from nqpf.services.enterprises import (
    IMPORT_COLUMNS,
    PROFILE_FIELDS,
    STAGES,
    check_profile,
    clean_chains,
    clean_size_class,
    format_chains,
    has_control_characters,
)
from nqpf.web.authz import Actor, enterprise_for, in_scope, visible_enterprises
from nqpf.web.errors import Conflict, FieldError, Forbidden, field_error
from nqpf.web.models import Assessment, EnterpriseProfile, Organization
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "STAGES",
    "EnterprisePage",
    "InvalidInput",
    "can_create",
    "create_enterprise",
    "field_label",
    "field_messages",
    "format_chains",
    "get_enterprise",
    "insert_enterprise",
    "latest_levels",
    "list_enterprises",
    "parse_chains",
    "scope_error",
    "update_enterprise",
]

FIELDS = PROFILE_FIELDS
#: a field's Chinese name: the header the import template gives it
FIELD_LABELS = {name: IMPORT_COLUMNS[name][0] for name in FIELDS}


class InvalidInput(FieldError):
    """One or more fields do not validate (422); ``errors`` maps field → message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = dict(errors)


def field_label(name: str) -> str:
    """``统一社会信用代码（credit_code）``: what a field's message starts with."""
    return f"{FIELD_LABELS[name]}（{name}）"


def field_messages(errors: Mapping[str, DataValidationError]) -> dict[str, str]:
    """Field → the Chinese message of its rule's error, behind the field's label."""
    return {name: field_error(exc, label=field_label(name)).message for name, exc in errors.items()}


def parse_chains(text: str) -> list[dict[str, str]]:
    """``新能源汽车:中游;高端装备:上游`` → ``[{"chain": …, "stage": …}, …]``
    (``FieldError`` on ``chains`` when malformed)."""
    try:
        return clean_chains(text)
    except DataValidationError as exc:
        raise field_error(exc, label=field_label("chains")) from None


# --------------------------------------------------------------------------- rights


def can_create(actor: Actor) -> bool:
    """Platform admins, and authority admins (within their scopes), create enterprises."""
    return actor.is_platform_admin or bool(actor.region_scopes(admin_only=True))


def scope_error(actor: Actor, region: str) -> str | None:
    """Why ``actor`` may not place an enterprise in ``region`` (None when it may)."""
    scopes = actor.region_scopes(admin_only=True)
    if actor.is_platform_admin or any(in_scope(region, s) for s in scopes):
        return None
    shown = "、".join(scopes) or "无"
    return f"{field_label('region_code')} {region!r} 不在您的管辖范围（{shown}）内"


# --------------------------------------------------------------------------- reads


@dataclass
class EnterprisePage:
    total: int
    items: list[Organization]
    levels: dict[int, str]
    limit: int
    offset: int


def _filters(
    actor: Actor,
    q: str | None,
    region: str | None,
    industry: str | None,
    size: str | None,
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [visible_enterprises(actor, action="read")]
    for name, value in (("q", q), ("region", region), ("industry", industry), ("size", size)):
        if value and has_control_characters(value):
            raise FieldError(f"筛选条件 {name} 不能包含控制字符", field=name)
    q = (q or "").strip()
    if q:
        clauses.append(
            or_(
                Organization.name.icontains(q, autoescape=True),
                EnterpriseProfile.credit_code.icontains(q, autoescape=True),
            )
        )
    region = (region or "").strip()
    if region:
        clauses.append(EnterpriseProfile.region_code.startswith(region, autoescape=True))
    industry = (industry or "").strip().upper()
    if industry:
        clauses.append(EnterpriseProfile.industry.startswith(industry, autoescape=True))
    if (size or "").strip():
        try:
            size_class = clean_size_class(size, field="size")
        except DataValidationError as exc:
            raise field_error(exc, label="规模（size）") from None
        clauses.append(EnterpriseProfile.size_class == size_class)
    return clauses


def list_enterprises(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    region: str | None = None,
    industry: str | None = None,
    size: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> EnterprisePage:
    """The enterprises ``actor`` may read, filtered, sorted by name, one page of them."""
    clauses = _filters(actor, q, region, industry, size)
    join = EnterpriseProfile.organization_id == Organization.id
    total = session.scalar(
        select(func.count(Organization.id))
        .select_from(Organization)
        .outerjoin(EnterpriseProfile, join)
        .where(*clauses)
    )
    items = list(
        session.scalars(
            select(Organization)
            .outerjoin(EnterpriseProfile, join)
            .options(contains_eager(Organization.profile))
            .where(*clauses)
            .order_by(Organization.name, Organization.id)
            .limit(limit)
            .offset(offset)
        ).unique()
    )
    return EnterprisePage(
        total=total or 0,
        items=items,
        levels=latest_levels(session, [o.id for o in items]),
        limit=limit,
        offset=offset,
    )


def latest_levels(session: Session, enterprise_ids: list[int]) -> dict[int, str]:
    """Enterprise id → ``result["level_name"]`` of its latest submitted assessment."""
    if not enterprise_ids:
        return {}
    latest = (
        select(Assessment.enterprise_id, func.max(Assessment.seq).label("seq"))
        .where(Assessment.status == "submitted", Assessment.enterprise_id.in_(enterprise_ids))
        .group_by(Assessment.enterprise_id)
        .subquery()
    )
    rows = session.execute(
        select(Assessment.enterprise_id, Assessment.result, Assessment.submitted_at)
        .join(
            latest,
            (latest.c.enterprise_id == Assessment.enterprise_id) & (latest.c.seq == Assessment.seq),
        )
        .where(Assessment.status == "submitted")
        .order_by(Assessment.submitted_at, Assessment.id)
    ).all()
    levels: dict[int, str] = {}
    for enterprise_id, result, _at in rows:
        name = (result or {}).get("level_name") if isinstance(result, Mapping) else None
        if name:
            levels[enterprise_id] = str(name)
    return levels


def get_enterprise(session: Session, actor: Actor, enterprise_id: int) -> Organization:
    """The enterprise if ``actor`` may read it (404 otherwise)."""
    return enterprise_for(session, actor, enterprise_id, "read")


# --------------------------------------------------------------------------- writes


def _snapshot(organization: Organization) -> dict[str, Any]:
    profile = organization.profile
    data: dict[str, Any] = {"name": organization.name}
    for name in FIELDS[1:]:
        data[name] = getattr(profile, name) if profile is not None else None
    data["chains"] = [dict(c) for c in data["chains"] or []]
    return data


def _credit_code_taken(session: Session, code: str, *, except_org: int | None = None) -> bool:
    query = select(EnterpriseProfile.organization_id).where(EnterpriseProfile.credit_code == code)
    if except_org is not None:
        query = query.where(EnterpriseProfile.organization_id != except_org)
    return session.scalar(query) is not None


def _duplicate(code: str) -> Conflict:
    return Conflict(f"{field_label('credit_code')} {code} 已被其他企业使用", field="credit_code")


def create_enterprise(session: Session, actor: Actor, data: Mapping[str, Any]) -> Organization:
    """Create an enterprise (platform admin, or authority admin within its scope).

    Raises ``Forbidden`` for anyone else, ``InvalidInput`` (422) naming every bad field,
    ``Conflict`` (409) when the credit code is taken.
    """
    if not can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以新建企业")
    clean, rule_errors = check_profile(data)
    errors = field_messages(rule_errors)
    if "region_code" in clean and (outside := scope_error(actor, clean["region_code"])):
        errors["region_code"] = outside
    if errors:
        raise InvalidInput(errors)
    if _credit_code_taken(session, clean["credit_code"]):
        raise _duplicate(clean["credit_code"])
    with committing(session, conflict=lambda: _duplicate(clean["credit_code"])):
        organization = insert_enterprise(session, actor, clean, via="single")
    return organization


def insert_enterprise(
    session: Session, actor: Actor, clean: Mapping[str, Any], *, via: str
) -> Organization:
    """Add the enterprise of checked profile values and its ``create`` audit event (inside
    the caller's transaction); ``via`` says how it came (``single``, ``import``)."""
    organization = Organization(name=clean["name"], kind="enterprise")
    organization.profile = EnterpriseProfile(
        credit_code=clean["credit_code"],
        industry=clean["industry"],
        region_code=clean["region_code"],
        size_class=clean["size_class"],
        chains=list(clean.get("chains") or []),
    )
    session.add(organization)
    session.flush()
    after = _snapshot(organization)
    after["via"] = via
    audit.record(
        session,
        actor,
        "create",
        "enterprise",
        organization.id,
        organization_id=organization.id,
        after=after,
    )
    return organization


def update_enterprise(
    session: Session, actor: Actor, enterprise_id: int, changes: Mapping[str, Any]
) -> Organization:
    """Change profile fields (action ``manage``); the audit event keeps before/after of the
    changed fields.  An authority admin may only move the region within its scope."""
    organization = enterprise_for(session, actor, enterprise_id, "manage")
    profile = organization.profile
    clean, rule_errors = check_profile(changes, partial=profile is not None)
    errors = field_messages(rule_errors)
    via_enterprise = actor.is_platform_admin or actor.roles.get(organization.id) == "admin"
    region = clean.get("region_code")
    if region is not None and not via_enterprise and (outside := scope_error(actor, region)):
        errors["region_code"] = outside
    if errors:
        raise InvalidInput(errors)
    code = clean.get("credit_code")
    if code is not None and _credit_code_taken(session, code, except_org=organization.id):
        raise _duplicate(code)
    before_all = _snapshot(organization)
    with committing(session, conflict=lambda: _duplicate(code or "")):
        if "name" in clean:
            organization.name = clean["name"]
        if profile is None:
            profile = EnterpriseProfile(organization_id=organization.id, chains=[])
            organization.profile = profile
        for name in FIELDS[1:]:
            if name in clean:
                setattr(profile, name, clean[name])
        after_all = _snapshot(organization)
        changed = [k for k in FIELDS if before_all[k] != after_all[k]]
        if not changed:
            session.rollback()
            return enterprise_for(session, actor, enterprise_id, "read")
        audit.record(
            session,
            actor,
            "update",
            "enterprise",
            organization.id,
            organization_id=organization.id,
            before={k: before_all[k] for k in changed},
            after={k: after_all[k] for k in changed},
        )
    return organization
