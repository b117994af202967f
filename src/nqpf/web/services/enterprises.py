"""Enterprises: profiles, provider shares and bulk import.

Field rules (shared by the JSON API, the forms and the import)
----------------------------------------------------------------
``name``
    1–200 characters, no control characters.
``credit_code``
    统一社会信用代码, 18 characters; the check character is verified
    (:func:`nqpf.web.credit_code.validate_credit_code`); stored upper-case.
``industry``
    GB/T 4754 code: a section letter ``A``–``T`` followed by 2, 3 or 4 digits (division,
    group or class), e.g. ``C34`` or ``C3484`` (pattern ``^[A-T](\\d{2}|\\d{3}|\\d{4})$``;
    a lower-case letter is upper-cased).
``region_code``
    NBS 统计用区划代码 of 6 or 12 digits whose first two digits are one of the 31
    provinces shipped in :mod:`nqpf.datasets` (``regions.yaml``).  When an authority admin
    creates or edits an enterprise, the code must lie in one of its admin scopes.
``size_class``
    ``large`` / ``medium`` / ``small`` / ``micro`` or 大型 / 中型 / 小型 / 微型.
``chains``
    Up to 20 industry-chain memberships ``{"chain": ≤ 50 characters, "stage": 上游 | 中游
    | 下游}``; as text ``新能源汽车:中游;高端装备:上游`` (``;``, ``；`` or new lines
    between items, ``:`` or ``：`` between chain and stage).

Every write adds audit events in the same transaction (see :mod:`nqpf.web.audit`).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from nqpf.exceptions import DataValidationError
from nqpf.web import audit
from nqpf.web.authz import Actor, enterprise_for, in_scope, visible_enterprises
from nqpf.web.credit_code import CHARSET, credit_code_check_char, validate_credit_code
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound
from nqpf.web.models import (
    SIZE_CLASSES,
    Assessment,
    EnterpriseProfile,
    Organization,
    Share,
    User,
)
from nqpf.web.services._transaction import committing

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "IMPORT_COLUMNS",
    "STAGES",
    "EnterprisePage",
    "ImportReport",
    "InvalidInput",
    "add_share",
    "can_create",
    "create_enterprise",
    "format_chains",
    "get_enterprise",
    "import_enterprises",
    "import_template_csv",
    "latest_levels",
    "list_enterprises",
    "list_providers",
    "list_shares",
    "may_manage_shares",
    "parse_chains",
    "province_names",
    "remove_share",
    "update_enterprise",
]

FIELDS = ("name", "credit_code", "industry", "region_code", "size_class", "chains")
REQUIRED = ("name", "credit_code", "industry", "region_code", "size_class")
FIELD_LABELS = {
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "industry": "行业代码",
    "region_code": "地区代码",
    "size_class": "规模",
    "chains": "产业链",
}
STAGES = ("上游", "中游", "下游")
SIZE_ALIASES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
INDUSTRY_RE = re.compile(r"[A-T]([0-9]{2}|[0-9]{3}|[0-9]{4})")
REGION_RE = re.compile(r"[0-9]{6}|[0-9]{12}")
NAME_MAX = 200
CHAIN_MAX = 50
MAX_CHAINS = 20
MAX_IMPORT_ROWS = 10_000
SNAPSHOT_FIELDS = ("name", "credit_code", "industry", "region_code", "size_class", "chains")


class InvalidInput(FieldError):
    """One or more fields do not validate (422); ``errors`` maps field → message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = dict(errors)


class _Invalid(ValueError):
    pass


# --------------------------------------------------------------------------- fields


@functools.cache
def province_names() -> dict[str, str]:
    """NBS province code (two digits) → short name, from the shipped region table."""
    from nqpf.datasets import load_regions

    regions = load_regions()
    return dict(zip(regions["code"].astype(str), regions["name"].astype(str), strict=True))


def _label(name: str) -> str:
    return f"{FIELD_LABELS[name]}（{name}）"


def _plain_text(value: Any, name: str, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise _Invalid(f"{_label(name)}不能为空")
    if len(text) > max_length:
        raise _Invalid(f"{_label(name)}最长 {max_length} 个字符，实际 {len(text)} 个")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise _Invalid(f"{_label(name)}不能包含控制字符")
    return text


def clean_name(value: Any) -> str:
    return _plain_text(value, "name", NAME_MAX)


def clean_credit_code(value: Any) -> str:
    code = "" if value is None else str(value).strip().upper()
    if not code:
        raise _Invalid(f"{_label('credit_code')}不能为空")
    try:
        return validate_credit_code(code)
    except DataValidationError:
        pass
    if len(code) != 18:
        raise _Invalid(f"{_label('credit_code')}应为 18 位，实际 {len(code)} 位") from None
    bad = "".join(sorted({ch for ch in code if ch not in CHARSET}))
    if bad:
        raise _Invalid(
            f"{_label('credit_code')}含不允许的字符 {bad!r}（允许 0-9 及 A-H J-N P-R T-U W-Y）"
        ) from None
    expected = credit_code_check_char(code[:17])
    raise _Invalid(
        f"{_label('credit_code')}校验位错误：第 18 位应为 {expected!r}，实际为 {code[17]!r}"
    ) from None


def clean_industry(value: Any) -> str:
    code = "" if value is None else str(value).strip().upper()
    if not code:
        raise _Invalid(f"{_label('industry')}不能为空")
    if not INDUSTRY_RE.fullmatch(code):
        raise _Invalid(
            f"{_label('industry')}应为 GB/T 4754 代码：门类字母 A–T 加 2–4 位数字，"
            f"如 C3484，实际为 {code[:20]!r}"
        )
    return code


def clean_region_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    code = "" if value is None else str(value).strip()
    if not code:
        raise _Invalid(f"{_label('region_code')}不能为空")
    if not REGION_RE.fullmatch(code):
        raise _Invalid(f"{_label('region_code')}应为 6 位或 12 位数字，实际为 {code[:20]!r}")
    if code[:2] not in province_names():
        raise _Invalid(f"{_label('region_code')}的省级代码 {code[:2]!r} 不是 31 个省级行政区之一")
    return code


def clean_size_class(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise _Invalid(f"{_label('size_class')}不能为空")
    size = SIZE_ALIASES.get(text, text.lower())
    if size not in SIZE_CLASSES:
        raise _Invalid(
            f"{_label('size_class')}应为 大型/中型/小型/微型（large/medium/small/micro），"
            f"实际为 {text[:20]!r}"
        )
    return size


def parse_chains(text: str) -> list[dict[str, str]]:
    """``新能源汽车:中游;高端装备:上游`` → ``[{"chain": …, "stage": …}, …]``
    (``FieldError`` on ``chains`` when malformed)."""
    try:
        return clean_chains(text)
    except _Invalid as exc:
        raise FieldError(str(exc), field="chains") from None


def _split_chain_item(item: str) -> tuple[str, str] | None:
    parts = re.split(r"[:：]", item, maxsplit=1)
    if len(parts) != 2:
        return None
    return parts[0].strip(), parts[1].strip()


def clean_chains(value: Any) -> list[dict[str, str]]:
    if value is None or value == "":
        return []
    raw: list[Any]
    if isinstance(value, str):
        raw = []
        for item in re.split(r"[;；\n\r]+", value):
            item = item.strip()
            if not item:
                continue
            pair = _split_chain_item(item)
            if pair is None:
                raise _Invalid(
                    f"{_label('chains')}的 {item[:60]!r} 应写作 产业链名:环节（上游/中游/下游）"
                )
            raw.append({"chain": pair[0], "stage": pair[1]})
    elif isinstance(value, list | tuple):
        raw = list(value)
    else:
        raise _Invalid(f"{_label('chains')}格式有误")
    if len(raw) > MAX_CHAINS:
        raise _Invalid(f"{_label('chains')}最多 {MAX_CHAINS} 项，实际 {len(raw)} 项")
    chains: list[dict[str, str]] = []
    for item in raw:
        if hasattr(item, "model_dump"):
            item = item.model_dump()
        if not isinstance(item, Mapping):
            raise _Invalid(f"{_label('chains')}的每一项应含 chain 与 stage")
        chain = str(item.get("chain") or "").strip()
        stage = str(item.get("stage") or "").strip()
        if not chain:
            raise _Invalid(f"{_label('chains')}的产业链名称不能为空")
        if len(chain) > CHAIN_MAX:
            raise _Invalid(f"{_label('chains')}的产业链名称最长 {CHAIN_MAX} 个字符：{chain[:60]!r}")
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in chain):
            raise _Invalid(f"{_label('chains')}不能包含控制字符")
        if stage not in STAGES:
            raise _Invalid(
                f"{_label('chains')}中 {chain!r} 的环节应为 上游/中游/下游，实际为 {stage[:20]!r}"
            )
        entry = {"chain": chain, "stage": stage}
        if entry not in chains:
            chains.append(entry)
    return chains


def format_chains(chains: Iterable[Mapping[str, str]] | None) -> str:
    """The text form of ``chains`` (``链:环节;链:环节``), as the forms and import use it."""
    return ";".join(f"{c.get('chain', '')}:{c.get('stage', '')}" for c in chains or [])


_CLEANERS = {
    "name": clean_name,
    "credit_code": clean_credit_code,
    "industry": clean_industry,
    "region_code": clean_region_code,
    "size_class": clean_size_class,
    "chains": clean_chains,
}


def _validate(data: Mapping[str, Any], *, partial: bool) -> tuple[dict[str, Any], dict[str, str]]:
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if name not in data or (data[name] is None and partial):
            if not partial and name in REQUIRED:
                errors[name] = f"{_label(name)}不能为空"
            continue
        try:
            clean[name] = _CLEANERS[name](data[name])
        except _Invalid as exc:
            errors[name] = str(exc)
    return clean, errors


# --------------------------------------------------------------------------- rights


def can_create(actor: Actor) -> bool:
    """Platform admins, and authority admins (within their scopes), create enterprises."""
    return actor.is_platform_admin or bool(actor.region_scopes(admin_only=True))


def _region_in_admin_scope(actor: Actor, region: str) -> bool:
    return actor.is_platform_admin or any(
        in_scope(region, s) for s in actor.region_scopes(admin_only=True)
    )


def _scope_message(actor: Actor, region: str) -> str:
    scopes = "、".join(actor.region_scopes(admin_only=True)) or "无"
    return f"{_label('region_code')} {region!r} 不在您的管辖范围（{scopes}）内"


def may_manage_shares(actor: Actor, organization: Organization) -> bool:
    """Only the enterprise's own admins (and platform admins) decide whom it shares with."""
    return actor.is_platform_admin or actor.roles.get(organization.id) == "admin"


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
        if value and any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
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
    size = (size or "").strip()
    if size:
        size = SIZE_ALIASES.get(size, size)
        if size not in SIZE_CLASSES:
            raise FieldError("规模（size）应为 large/medium/small/micro", field="size")
        clauses.append(EnterpriseProfile.size_class == size)
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
    for name in SNAPSHOT_FIELDS[1:]:
        data[name] = getattr(profile, name) if profile is not None else None
    data["chains"] = [dict(c) for c in data["chains"] or []]
    return data


def _credit_code_taken(session: Session, code: str, *, except_org: int | None = None) -> bool:
    query = select(EnterpriseProfile.organization_id).where(EnterpriseProfile.credit_code == code)
    if except_org is not None:
        query = query.where(EnterpriseProfile.organization_id != except_org)
    return session.scalar(query) is not None


def _duplicate(code: str) -> Conflict:
    return Conflict(f"{_label('credit_code')} {code} 已被其他企业使用", field="credit_code")


def create_enterprise(session: Session, actor: Actor, data: Mapping[str, Any]) -> Organization:
    """Create an enterprise (platform admin, or authority admin within its scope).

    Raises ``Forbidden`` for anyone else, ``InvalidInput`` (422) naming every bad field,
    ``Conflict`` (409) when the credit code is taken.
    """
    if not can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以新建企业")
    clean, errors = _validate(data, partial=False)
    if "region_code" in clean and not _region_in_admin_scope(actor, clean["region_code"]):
        errors["region_code"] = _scope_message(actor, clean["region_code"])
    if errors:
        raise InvalidInput(errors)
    if _credit_code_taken(session, clean["credit_code"]):
        raise _duplicate(clean["credit_code"])
    with committing(session, conflict=lambda: _duplicate(clean["credit_code"])):
        organization = _insert(session, actor, clean, via="single")
    return organization


def _insert(session: Session, actor: Actor, clean: Mapping[str, Any], *, via: str) -> Organization:
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
    clean, errors = _validate(changes, partial=profile is not None)
    via_enterprise = actor.is_platform_admin or actor.roles.get(organization.id) == "admin"
    region = clean.get("region_code")
    if region is not None and not via_enterprise and not _region_in_admin_scope(actor, region):
        errors["region_code"] = _scope_message(actor, region)
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
        for name in SNAPSHOT_FIELDS[1:]:
            if name in clean:
                setattr(profile, name, clean[name])
        after_all = _snapshot(organization)
        changed = [k for k in SNAPSHOT_FIELDS if before_all[k] != after_all[k]]
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


# --------------------------------------------------------------------------- shares


@dataclass
class ShareRow:
    provider_id: int
    provider_name: str
    created_at: Any
    created_by: str | None


def _share_enterprise(
    session: Session, actor: Actor, enterprise_id: int, *, write: bool
) -> Organization:
    organization = enterprise_for(session, actor, enterprise_id, "read")
    if not may_manage_shares(actor, organization):
        verb = "修改" if write else "查看"
        raise Forbidden(f"只有企业管理员可以{verb}企业 {enterprise_id} 的共享设置")
    return organization


def list_shares(session: Session, actor: Actor, enterprise_id: int) -> list[ShareRow]:
    """The providers ``enterprise_id`` shares with (its admins and platform admins)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=False)
    rows = session.execute(
        select(Share, Organization.name, User.display_name)
        .join(Organization, Organization.id == Share.provider_id)
        .outerjoin(User, User.id == Share.created_by)
        .where(Share.enterprise_id == organization.id)
        .order_by(Organization.name, Share.id)
    ).all()
    return [
        ShareRow(share.provider_id, name, share.created_at, creator)
        for share, name, creator in rows
    ]


def list_providers(session: Session) -> list[Organization]:
    """All service providers (to choose a share target)."""
    return list(
        session.scalars(
            select(Organization)
            .where(Organization.kind == "provider")
            .order_by(Organization.name, Organization.id)
        )
    )


def add_share(session: Session, actor: Actor, enterprise_id: int, provider_id: int) -> ShareRow:
    """Share the enterprise with the provider ``provider_id`` (409 if it already does)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=True)
    provider = session.get(Organization, provider_id)
    if provider is None or provider.kind != "provider":
        raise FieldError(f"服务商 {provider_id} 不存在", field="provider_id")
    exists = session.scalar(
        select(Share.id).where(
            Share.enterprise_id == organization.id, Share.provider_id == provider.id
        )
    )
    if exists is not None:
        raise Conflict(f"已与服务商“{provider.name}”共享", field="provider_id")
    with committing(
        session, conflict=lambda: Conflict(f"已与服务商“{provider.name}”共享", field="provider_id")
    ):
        share = Share(
            enterprise_id=organization.id, provider_id=provider.id, created_by=actor.user.id
        )
        session.add(share)
        session.flush()
        audit.record(
            session,
            actor,
            "share",
            "share",
            share.id,
            organization_id=organization.id,
            after={"enterprise_id": organization.id, "provider_id": provider.id},
        )
    return ShareRow(provider.id, provider.name, share.created_at, actor.user.display_name)


def remove_share(session: Session, actor: Actor, enterprise_id: int, provider_id: int) -> None:
    """Stop sharing with ``provider_id`` (404 when there is no such share)."""
    organization = _share_enterprise(session, actor, enterprise_id, write=True)
    share = session.scalars(
        select(Share).where(
            Share.enterprise_id == organization.id, Share.provider_id == provider_id
        )
    ).first()
    if share is None:
        raise NotFound(f"企业 {enterprise_id} 未与服务商 {provider_id} 共享")
    with committing(session):
        audit.record(
            session,
            actor,
            "unshare",
            "share",
            share.id,
            organization_id=organization.id,
            before={"enterprise_id": organization.id, "provider_id": provider_id},
        )
        session.delete(share)


# --------------------------------------------------------------------------- import

#: canonical column → accepted header spellings (case-insensitive; ``中文/english`` too)
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "name"),
    "credit_code": ("统一社会信用代码", "credit_code"),
    "industry": ("行业代码", "industry"),
    "region_code": ("地区代码", "region_code"),
    "size_class": ("规模", "size_class"),
    "chains": ("产业链", "chains"),
    "note": ("备注", "note"),
}
#: a row whose 备注 is this is the template's example and is skipped
EXAMPLE_MARK = "示例"
_EXAMPLE_CODE = credit_code_check_char("91440300MA5EXAMPL")


def import_template_csv() -> bytes:
    """The import template: UTF-8 (with BOM, so spreadsheet programs read it) CSV with the
    header row and one synthetic example row marked 示例 in 备注 (skipped on import)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([IMPORT_COLUMNS[c][0] for c in IMPORT_COLUMNS])
    writer.writerow(
        [
            "示例智能制造有限公司（示例数据）",
            "91440300MA5EXAMPL" + _EXAMPLE_CODE,
            "C3484",
            "440305",
            "小型",
            "新能源汽车:中游;高端装备:上游",
            EXAMPLE_MARK,
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class ImportReport:
    mode: str
    dry_run: bool
    total_rows: int = 0
    valid_rows: int = 0
    imported: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _header_key(text: str) -> str | None:
    cleaned = text.replace("\ufeff", "").strip().lower()
    candidates = [cleaned, *(p.strip() for p in re.split(r"[/|]", cleaned))]
    for key, spellings in IMPORT_COLUMNS.items():
        if any(c in spellings for c in candidates):
            return key
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_csv(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise FieldError(
                    f"文件 {filename!r} 既不是 UTF-8 也不是 GB18030 编码的 CSV", field="file"
                ) from None
    if "\x00" in text:
        raise FieldError(f"文件 {filename!r} 不是文本 CSV 文件", field="file")
    # the delimiter is the one the header line uses most (chains cells contain ";")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first_line.count(d), d == ","))
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1
        ):
            cells = [_cell(c) for c in record]
            if any(cells):  # blank rows are skipped, their numbers are kept
                rows.append((number, cells))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
    except csv.Error as exc:
        raise FieldError(f"文件 {filename!r} 不是有效的 CSV：{exc}", field="file") from None
    return rows


def _read_xlsx(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FieldError(
            f"文件 {filename!r} 不是有效的 XLSX 工作簿（{exc}）", field="file"
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FieldError(f"文件 {filename!r} 没有工作表", field="file")
        rows: list[tuple[int, list[str]]] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [_cell(c) for c in record]
            if any(cells):  # blank rows are skipped, their numbers are kept
                rows.append((number, cells))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
        return rows
    except FieldError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on malformed sheets
        raise FieldError(f"文件 {filename!r} 无法读取（{exc}）", field="file") from None
    finally:
        workbook.close()


def read_table(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """Rows ``(spreadsheet row number, cells)`` of a CSV or XLSX upload."""
    name = (filename or "").strip()
    lower = name.lower()
    if lower.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise FieldError(f"文件 {name!r} 不是有效的 XLSX 工作簿", field="file")
        return _read_xlsx(name, data)
    if lower.endswith((".csv", ".txt")):
        return _read_csv(name, data)
    raise FieldError(f"不支持的文件类型：{name!r}（请上传 .csv 或 .xlsx 文件）", field="file")


def import_enterprises(
    session: Session,
    actor: Actor,
    filename: str,
    data: bytes,
    *,
    mode: Literal["all_or_nothing", "valid_only"] = "all_or_nothing",
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row of a CSV/XLSX upload and create the enterprises in one transaction.

    ``all_or_nothing`` imports nothing when any row is bad; ``valid_only`` imports the good
    rows; ``dry_run`` only validates.  Each created enterprise gets a ``create`` audit event
    (``via: import``) and the import one ``import`` event with the count and ids.
    """
    if not can_create(actor):
        raise Forbidden("只有平台管理员或园区/地方主管部门管理员可以批量导入企业")
    if mode not in ("all_or_nothing", "valid_only"):
        raise FieldError("导入模式（mode）应为 all_or_nothing 或 valid_only", field="mode")
    filename = "".join(ch for ch in filename or "" if unicodedata.category(ch) not in ("Cc", "Cs"))
    table = read_table(filename, data)
    while table and not any(table[0][1]):
        table.pop(0)
    if not table:
        raise FieldError(f"文件 {filename!r} 是空的：缺少表头行", field="file")
    _header_row, header = table[0]
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _header_key(text)
        if key is None:
            continue
        if key in columns:
            raise FieldError(f"表头第 {index + 1} 列 {text!r} 与前面的列重复", field="file")
        columns[key] = index
    missing = [k for k in REQUIRED if k not in columns]
    if missing:
        names = "、".join(f"{IMPORT_COLUMNS[k][0]}/{k}" for k in missing)
        raise FieldError(f"文件 {filename!r} 缺少必需列：{names}", field="file")
    body = table[1:]
    if len(body) > MAX_IMPORT_ROWS:
        raise FieldError(f"一次最多导入 {MAX_IMPORT_ROWS} 行", field="file")

    report = ImportReport(mode=mode, dry_run=dry_run)
    headers = {k: (header[i] or k).replace("\ufeff", "").strip() for k, i in columns.items()}
    candidates: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    seen: dict[str, int] = {}
    for number, cells in body:
        if not any(cells):
            continue
        raw = {k: cells[i] if i < len(cells) else "" for k, i in columns.items()}
        if raw.get("note", "") == EXAMPLE_MARK:
            continue
        report.total_rows += 1
        clean, errors = _validate({k: v for k, v in raw.items() if k != "note"}, partial=False)
        region = clean.get("region_code")
        if region is not None and not _region_in_admin_scope(actor, region):
            errors["region_code"] = _scope_message(actor, region)
        code = clean.get("credit_code")
        if code is not None:
            if code in seen:
                errors["credit_code"] = f"{_label('credit_code')} {code} 与第 {seen[code]} 行重复"
            else:
                seen[code] = number
        for key, message in errors.items():
            report.errors.append(
                {
                    "row": number,
                    "column": headers[key],
                    "field": key,
                    "value": raw.get(key, ""),
                    "message": message,
                }
            )
        candidates.append((number, clean, errors))
    if report.total_rows == 0:
        raise FieldError(f"文件 {filename!r} 没有数据行", field="file")

    codes = [c["credit_code"] for _n, c, e in candidates if "credit_code" not in e]
    taken: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        taken.update(
            session.scalars(
                select(EnterpriseProfile.credit_code).where(
                    EnterpriseProfile.credit_code.in_(chunk)
                )
            )
        )
    for number, clean, errors in candidates:
        code = clean.get("credit_code")
        if code in taken and "credit_code" not in errors:
            message = f"{_label('credit_code')} {code} 已存在于平台"
            errors["credit_code"] = message
            report.errors.append(
                {
                    "row": number,
                    "column": headers["credit_code"],
                    "field": "credit_code",
                    "value": code,
                    "message": message,
                }
            )
    order = {k: i for i, k in enumerate(FIELDS)}
    report.errors.sort(key=lambda e: (e["row"], order.get(e["field"], 99)))
    good = [clean for _n, clean, errors in candidates if not errors]
    report.valid_rows = len(good)
    if dry_run or not good or (mode == "all_or_nothing" and report.errors):
        session.rollback()
        return report
    with committing(
        session,
        conflict=lambda: Conflict(
            "导入期间统一社会信用代码与已有企业冲突，请重试", field="credit_code"
        ),
    ):
        for clean in good:
            organization = _insert(session, actor, clean, via="import")
            report.ids.append(organization.id)
        report.imported = len(report.ids)
        audit.record(
            session,
            actor,
            "import",
            "enterprise_import",
            None,
            after={
                "file": filename[:200],
                "mode": mode,
                "count": report.imported,
                "ids": report.ids,
                "rejected_rows": sorted({e["row"] for e in report.errors}),
            },
        )
    return report
