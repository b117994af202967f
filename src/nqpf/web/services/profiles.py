"""Enterprise profiles on the platform: who may create and edit them, listing, saving.

The field rules (credit code, GB/T 4754 industry, region code, size class, chains, name)
are :mod:`nqpf.services.enterprises`'; this module adds what the platform does around
them: rights (an authority admin creates and moves enterprises only within its region
scopes), the queries, uniqueness of the credit code, the transaction and an audit event
for every write.  A rule's Chinese reason reaches the user through
:func:`nqpf.web.errors.field_error` behind the field's label (:func:`field_label`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select
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
from nqpf.web.models import Assessment, AssessmentLatest, EnterpriseProfile, Organization
from nqpf.web.services import audit, shares
from nqpf.web.services._transaction import committing

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "SORTS",
    "STAGES",
    "STALE_DAYS",
    "STATUSES",
    "EnterprisePage",
    "ExportRow",
    "InvalidInput",
    "Latest",
    "ListFilters",
    "can_create",
    "clean_list_filters",
    "create_enterprise",
    "export_rows",
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


#: Sort keys of the enterprise list → what they order by.
SORTS = ("name", "region", "industry", "size", "level", "total", "assessed_at")
#: Assessment status filters: has a submitted assessment of the framework; has none;
#: the latest is older than :data:`STALE_DAYS`; either of the last two (the reminder list).
STATUSES = ("assessed", "unassessed", "stale", "due")
STALE_DAYS = 365
DEFAULT_LIST_FRAMEWORK = "sme-digital-2024"
EXPORT_MAX = 200_000


@dataclass(frozen=True)
class Latest:
    """An enterprise's latest submitted assessment of the list's framework."""

    level: int | None
    level_name: str | None
    total: float | None
    submitted_at: datetime | None


@dataclass
class EnterprisePage:
    total: int
    items: list[Organization]
    levels: dict[int, str]
    limit: int
    offset: int
    latest: dict[int, Latest] = field(default_factory=dict)
    framework: str = DEFAULT_LIST_FRAMEWORK


@dataclass(frozen=True)
class ListFilters:
    """The enterprise list's filters, checked (empty = not filtered)."""

    q: str = ""
    region: str = ""
    industry: str = ""
    size: str = ""
    chain: str = ""
    stage: str = ""
    level: int | None = None
    score_min: float | None = None
    score_max: float | None = None
    status: str = ""
    framework: str = DEFAULT_LIST_FRAMEWORK
    sort: str = "name"
    desc: bool = False


def clean_list_filters(**raw: Any) -> ListFilters:
    """Check the list's filters; a bad one is a ``FieldError`` naming it (Chinese)."""
    from nqpf.codes import validate_industry_prefix, validate_region_prefix
    from nqpf.web.services.assessments import framework_for

    for name, value in raw.items():
        if isinstance(value, str) and has_control_characters(value):
            raise FieldError(f"筛选条件 {name} 不能包含控制字符", field=name)
    text = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
    region = text.get("region") or ""
    if region:
        try:
            region = validate_region_prefix(region, field="region", lengths=None)
        except DataValidationError as exc:
            raise field_error(exc, label="地区（region）") from None
    industry = (text.get("industry") or "").upper()
    if industry:
        try:
            industry = validate_industry_prefix(industry, field="industry")
        except DataValidationError as exc:
            raise field_error(exc, label="行业（industry）") from None
    size = text.get("size") or ""
    if size:
        try:
            size = clean_size_class(size, field="size")
        except DataValidationError as exc:
            raise field_error(exc, label="规模（size）") from None
    chain = text.get("chain") or ""
    if len(chain) > 50:
        raise FieldError("产业链（chain）最长 50 个字符", field="chain")
    stage = text.get("stage") or ""
    if stage and stage not in STAGES:
        raise FieldError(f"环节（stage）应为 {'、'.join(STAGES)} 之一", field="stage")
    status = text.get("status") or ""
    if status and status not in STATUSES:
        raise FieldError(f"评测状态（status）应为 {'、'.join(STATUSES)} 之一", field="status")
    sort = text.get("sort") or "name"
    if sort not in SORTS:
        raise FieldError(f"排序（sort）应为 {'、'.join(SORTS)} 之一", field="sort")
    lo, hi = text.get("score_min"), text.get("score_max")
    if lo is not None and hi is not None and lo > hi:
        raise FieldError("分数下限（score_min）不能大于上限（score_max）", field="score_min")
    fw = framework_for(text.get("framework") or DEFAULT_LIST_FRAMEWORK)
    level = text.get("level")
    if level is not None and not 0 <= level <= fw.level_rule.top_level:
        raise FieldError(f"等级（level）应在 0–{fw.level_rule.top_level} 之间", field="level")
    return ListFilters(
        q=text.get("q") or "",
        region=region,
        industry=industry,
        size=size,
        chain=chain,
        stage=stage,
        level=level,
        score_min=lo,
        score_max=hi,
        status=status,
        framework=fw.key,
        sort=sort,
        desc=bool(text.get("desc")),
    )


def _chain_pattern(chain: str, stage: str) -> str:
    """The JSON text of a chain membership as stored (SQLAlchemy's ``json.dumps``)."""
    head = json.dumps({"chain": chain})[:-1]
    return head + (", " + json.dumps({"stage": stage})[1:] if stage else "")


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


def _chain_clauses(f: ListFilters) -> list[ColumnElement[bool]]:
    """Chain (and stage) membership as a match on the stored JSON text."""
    text = cast(EnterpriseProfile.chains, Text)
    if f.chain:
        return [text.contains(_chain_pattern(f.chain, f.stage), autoescape=True)]
    if f.stage:
        return [text.contains(json.dumps({"stage": f.stage})[1:-1], autoescape=True)]
    return []


def _latest_query(actor: Actor, f: ListFilters, now: datetime, *columns: Any) -> Any:
    """The list's SELECT: visible enterprises (profile outer-joined) with the level, level
    name, total and time of their latest submitted assessment of ``f.framework`` (its
    summary row, :class:`~nqpf.web.models.AssessmentLatest`), all filters as SQL clauses;
    ``columns`` replace the Organization entity (plain rows for the export).  Returns the
    query and its ORDER BY."""
    from nqpf.web.services.assessments import framework_for

    fw = framework_for(f.framework)
    last = AssessmentLatest
    level, total = last.level, last.total
    clauses = _filters(actor, f.q, f.region, f.industry, f.size) + _chain_clauses(f)
    if f.level is not None:
        clauses.append(level == f.level)
    if f.score_min is not None:
        clauses.append(total >= f.score_min)
    if f.score_max is not None:
        clauses.append(total <= f.score_max)
    stale = last.submitted_at < now - timedelta(days=STALE_DAYS)
    if f.status == "assessed":
        clauses.append(last.id.is_not(None))
    elif f.status == "unassessed":
        clauses.append(last.id.is_(None))
    elif f.status == "stale":
        clauses.append(stale)
    elif f.status == "due":
        clauses.append(or_(last.id.is_(None), stale))
    query = (
        select(*(columns or (Organization,)), level, last.level_name, total, last.submitted_at)
        .select_from(Organization)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .outerjoin(
            last,
            and_(
                last.enterprise_id == Organization.id,
                last.framework_id == fw.id,
                last.framework_version == fw.version,
                shares.results_visible(actor),  # issue 17: a provider needs "results"
            ),
        )
        .where(*clauses)
    )
    if not columns:
        query = query.options(contains_eager(Organization.profile))
    keys = {
        "name": Organization.name,
        "region": EnterpriseProfile.region_code,
        "industry": EnterpriseProfile.industry,
        "size": EnterpriseProfile.size_class,
        "level": level,
        "total": total,
        "assessed_at": last.submitted_at,
    }
    key = keys[f.sort]
    # missing values last in both directions (portable: a 0/1 flag first)
    order = [key.is_(None), key.desc() if f.desc else key.asc()]
    return query, [*order, Organization.name, Organization.id]


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
    filters: ListFilters | None = None,
) -> EnterprisePage:
    """The enterprises ``actor`` may read, filtered and sorted, one page of them.

    ``filters`` (:func:`clean_list_filters`) adds chain and stage, level, score band,
    assessment status, the framework and the sort; without it the list is filtered by
    ``q``/``region``/``industry``/``size`` and sorted by name, as before.  ``latest``
    holds each listed enterprise's latest submitted assessment of the framework.
    """
    f = filters or ListFilters(q=q or "", region=region or "", industry=industry or "",
                               size=size or "")  # fmt: skip
    now = datetime.now(UTC)
    query, order = _latest_query(actor, f, now)
    needs_latest = (
        f.level is not None
        or f.score_min is not None
        or f.score_max is not None
        or f.status != ""
        or f.sort in ("level", "total", "assessed_at")
    )
    if needs_latest:
        counted = query.order_by(None).subquery()
    else:  # no filter on the latest assessment: count and page the enterprises alone,
        # then join the latest assessment for the page's rows only
        clauses = _filters(actor, f.q, f.region, f.industry, f.size) + _chain_clauses(f)
        counted = (
            select(Organization.id)
            .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(*clauses)
            .subquery()
        )
        keys = {
            "name": Organization.name,
            "region": EnterpriseProfile.region_code,
            "industry": EnterpriseProfile.industry,
            "size": EnterpriseProfile.size_class,
        }
        key = keys[f.sort]
        page_ids = (
            select(Organization.id)
            .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(*clauses)
            .order_by(key.is_(None), key.desc() if f.desc else key.asc(), Organization.name,
                      Organization.id)
            .limit(limit)
            .offset(offset)
        )  # fmt: skip
        ids = list(session.scalars(page_ids))
        query = query.where(Organization.id.in_(ids or [-1]))
        offset = 0
    total = session.scalar(select(func.count()).select_from(counted))
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).unique().all()
    items = [r[0] for r in rows]
    latest = {
        r[0].id: Latest(r[1], r[2], r[3], r[4])
        for r in rows
        if r[1] is not None or r[3] is not None
    }
    return EnterprisePage(
        total=total or 0,
        items=items,
        levels=latest_levels(
            session,
            [o.id for o in items if shares.may_read_category(session, actor, o, "results")],
        ),
        limit=limit,
        offset=offset,
        latest=latest,
        framework=f.framework,
    )


@dataclass(frozen=True)
class ExportRow:
    """One enterprise of an export (plain values; names resolved by the caller)."""

    id: int
    name: str
    credit_code: str
    industry: str
    region_code: str
    size_class: str
    chains: list[dict[str, str]]
    level: int | None
    level_name: str | None
    total: float | None
    submitted_at: datetime | None
    contacts: tuple[tuple[str, str], ...] = ()


def export_rows(
    session: Session, actor: Actor, filters: ListFilters, *, contacts: bool = False
) -> list[ExportRow]:
    """Every enterprise of the filtered list (sorted as the list), at most
    :data:`EXPORT_MAX`; with ``contacts`` the display names and e-mails of each
    enterprise's admins (for mail merge)."""
    from nqpf.web.models import Membership, User

    query, order = _latest_query(
        actor, filters, datetime.now(UTC),
        Organization.id, Organization.name, EnterpriseProfile.credit_code,
        EnterpriseProfile.industry, EnterpriseProfile.region_code, EnterpriseProfile.size_class,
        EnterpriseProfile.chains,
    )  # fmt: skip
    rows = session.execute(query.order_by(*order).limit(EXPORT_MAX)).all()
    people: dict[int, list[tuple[str, str]]] = {}
    if contacts and rows:
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 5000):
            for org, name, email in session.execute(
                select(Membership.organization_id, User.display_name, User.email)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.organization_id.in_(ids[i : i + 5000]),
                    Membership.role == "admin",
                    User.is_active.is_(True),
                )
                .order_by(User.email)
            ):
                people.setdefault(org, []).append((name, email))
    return [
        ExportRow(
            oid, name, code or "", industry or "", region or "", size or "",
            list(chains or []), level, level_name, total, at, tuple(people.get(oid, ())),
        )
        for oid, name, code, industry, region, size, chains, level, level_name, total, at in rows
    ]  # fmt: skip


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
