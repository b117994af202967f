"""The solution catalogue on the platform: providers publish solutions; matching indexes them.

A solution is written with the catalogue template's columns
(:mod:`nqpf.services.solutions`: one rule set for the form, the API and an uploaded XLSX
row); this module adds who may (a provider's members, for that provider), storage, the
revision check, audit events and the catalogue revision.

Matching reads the catalogue through :func:`catalogue_index`: one fitted
:class:`~nqpf.matching.MatchIndex` per (catalogue revision, register scope), cached in
this process (a few, least recently used dropped) and rebuilt when the revision moves.
The engine's solution ids are the database ids zero-padded (``00000042``), so ties break
in publication order; provider ids are organization ids.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.matching import MatchIndex
from nqpf.matching import Solution as EngineSolution
from nqpf.matching.scenes import scene_label
from nqpf.services import solutions as rules
from nqpf.services.matching import catalogue_template_bytes
from nqpf.web.authz import Actor, solution_for
from nqpf.web.errors import Conflict, FieldError, Forbidden, field_error
from nqpf.web.models import Organization, Solution
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing
from nqpf.web.services.loop_common import bump_catalogue, catalogue_revision, count_capped
from nqpf.web.services.providers import ratings, register_scope, standings

__all__ = [
    "CatalogueIndex",
    "SolutionPage",
    "UploadReport",
    "catalogue_index",
    "create",
    "engine_id",
    "get_solution",
    "list_solutions",
    "set_status",
    "template_xlsx",
    "update_solution",
    "upload",
]

FIELDS = rules.FIELDS
FIELD_LABELS = rules.FIELD_LABELS
MAX_PER_PAGE = 100
UploadMode = Literal["all_or_nothing", "valid_only"]


def engine_id(solution_id: int) -> str:
    """The engine's id of a stored solution (zero-padded: ties break by age)."""
    return f"{solution_id:08d}"


def _provider_for(actor: Actor, provider_id: int | None) -> int:
    mine = actor.provider_ids
    if provider_id is not None:
        if provider_id not in mine and not actor.is_platform_admin:
            raise Forbidden("只能为本服务商发布方案", field="provider_id")
        return provider_id
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise Forbidden("只有服务商成员可以发布方案")
    raise FieldError("你属于多个服务商，请选择服务商", field="provider_id")


def _provider_org(session: Session, provider_id: int) -> Organization:
    org = session.get(Organization, provider_id)
    if org is None or org.kind != "provider":
        raise FieldError(f"服务商 {provider_id} 不存在", field="provider_id")
    return org


def _validated(fields: Mapping[str, Any], ref: str, provider: Organization) -> EngineSolution:
    try:
        return rules.solution_from_fields(
            fields, ref=ref, provider_id=str(provider.id), provider_name=provider.name
        )
    except DataValidationError as exc:
        label = FIELD_LABELS.get(exc.field or "", "")
        plain = not label or exc.reason_zh.startswith(label)
        raise field_error(exc, label="" if plain else f"{label}：") from None


def _columns(s: EngineSolution) -> dict[str, Any]:
    return {
        "name": s.name,
        "scene": s.scenes[0].scene,
        "price_min": s.price_min,
        "price_max": s.price_max,
        "delivery_weeks": s.delivery_weeks,
        "data": rules.solution_data(s),
    }


# ------------------------------------------------------------------------------- reading


@dataclass
class SolutionRow:
    row: Solution
    provider_name: str


@dataclass
class SolutionPage:
    items: list[SolutionRow]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more rows than ``total`` (counted up to COUNT_CAP)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_solutions(
    session: Session,
    actor: Actor,
    *,
    scene: str | None = None,
    q: str | None = None,
    provider_id: int | None = None,
    mine: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> SolutionPage:
    """Published solutions (and the caller's own withdrawn ones), filtered, newest first."""
    where = []
    own = actor.provider_ids
    visible = Solution.status == "published"
    if own:
        visible = or_(visible, Solution.provider_id.in_(own))
    if not actor.is_platform_admin:
        where.append(visible)
    if mine:
        where.append(Solution.provider_id.in_(own) if own else Solution.id.is_(None))
    if provider_id is not None:
        where.append(Solution.provider_id == provider_id)
    if scene:
        try:
            from nqpf.matching import resolve_scene

            where.append(Solution.scene == resolve_scene(scene))
        except DataValidationError as exc:
            raise field_error(exc, field="scene", label="场景：") from None
    if q:
        where.append(Solution.name.contains(q.strip(), autoescape=True))
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    base = select(Solution, Organization.name).join(
        Organization, Organization.id == Solution.provider_id
    )
    if where:
        base = base.where(*where)
    total, capped = count_capped(session, base)
    rows = session.execute(
        base.order_by(Solution.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return SolutionPage([SolutionRow(r, n) for r, n in rows], total, page, per_page, capped)


def get_solution(session: Session, actor: Actor, solution_id: int) -> SolutionRow:
    row = solution_for(session, actor, solution_id)
    provider = session.get(Organization, row.provider_id)
    return SolutionRow(row, provider.name if provider else "")


def engine_solution(row: Solution, provider_name: str = "") -> EngineSolution:
    """The stored solution as the engine's object (standing and rating left at defaults)."""
    return rules.solution_from_data(
        row.data, id=row.ref, provider_id=str(row.provider_id), provider_name=provider_name
    )


def form_fields(row: Solution) -> dict[str, str]:
    """The edit form's texts of a stored solution."""
    return rules.solution_fields(engine_solution(row))


# ------------------------------------------------------------------------------- writing


def create(
    session: Session,
    actor: Actor,
    fields: Mapping[str, Any],
    *,
    ref: str = "",
    provider_id: int | None = None,
) -> Solution:
    """Publish a solution for the actor's provider (``ref`` blank: one is made up)."""
    provider = _provider_org(session, _provider_for(actor, provider_id))
    ref = (ref or "").strip() or f"S-{uuid.uuid4().hex[:8].upper()}"
    s = _validated(fields, ref, provider)

    def taken() -> Conflict:
        return Conflict(f"方案编号 {ref} 已存在", field="ref")

    exists = session.scalar(
        select(Solution.id).where(Solution.provider_id == provider.id, Solution.ref == s.id)
    )
    if exists is not None:
        raise taken()
    with committing(session, conflict=taken):
        row = Solution(
            provider_id=provider.id,
            ref=s.id,
            status="published",
            revision=0,
            created_by=actor.user.id,
            **_columns(s),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "create",
            "solution",
            row.id,
            organization_id=provider.id,
            after={"ref": row.ref, "name": row.name, "scene": row.scene},
        )
        bump_catalogue(session)
    return row


def update_solution(
    session: Session,
    actor: Actor,
    solution_id: int,
    fields: Mapping[str, Any],
    revision: int | None,
) -> Solution:
    """Replace a solution's fields (the provider's members; 409 on a stale revision)."""
    row = solution_for(session, actor, solution_id, "edit")
    provider = _provider_org(session, row.provider_id)
    s = _validated(fields, row.ref, provider)
    seen = row.revision if revision is None else revision
    before = {"name": row.name, "scene": row.scene, "revision": row.revision}
    with committing(session):
        done = session.execute(
            update(Solution)
            .where(Solution.id == row.id, Solution.revision == seen)
            .values(**_columns(s), revision=seen + 1, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise Conflict("方案已在别处更新，请刷新后重试", field="revision")
        audit.record(
            session,
            actor,
            "update",
            "solution",
            row.id,
            organization_id=row.provider_id,
            before=before,
            after={"name": s.name, "scene": s.scenes[0].scene, "revision": seen + 1},
        )
        bump_catalogue(session)
    session.refresh(row)
    return row


def set_status(
    session: Session, actor: Actor, solution_id: int, status: Literal["published", "withdrawn"]
) -> Solution:
    """Withdraw a solution from the catalogue (下架) or publish it again."""
    row = solution_for(session, actor, solution_id, "edit")
    if row.status == status:
        return row
    before = row.status
    with committing(session):
        row.status = status
        row.revision += 1
        audit.record(
            session,
            actor,
            "withdraw" if status == "withdrawn" else "publish",
            "solution",
            row.id,
            organization_id=row.provider_id,
            before={"status": before},
            after={"status": status},
        )
        bump_catalogue(session)
    return row


@dataclass
class UploadReport:
    """What an upload did: rows read, solutions created and updated, the bad rows."""

    mode: str
    filename: str
    n_rows: int = 0
    created: int = 0
    updated: int = 0
    saved: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def upload(
    session: Session,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    mode: UploadMode = "all_or_nothing",
    provider_id: int | None = None,
) -> UploadReport:
    """Publish or update the solutions of a catalogue file (keyed by 方案编号).

    The file's provider columns are ignored: every row is the actor's provider's, its
    standing and rating come from the register.  With bad rows, ``all_or_nothing``
    stores nothing (the report lists every row error); ``valid_only`` stores the good
    rows.  One audit event per upload.
    """
    provider = _provider_org(session, _provider_for(actor, provider_id))
    name = "".join(ch for ch in (filename or "") if ch.isprintable())[:200] or "upload"
    if not data:
        raise FieldError("请选择方案目录文件（.xlsx 或 .csv）", field="file")
    try:
        rows = rules.read_upload(data, name)
    except DataValidationError as exc:
        raise field_error(exc, field="file", label="文件有误：") from None
    report = UploadReport(mode=mode, filename=name, n_rows=rows.n_rows)
    report.errors = [
        {"row": e.row, "column": e.column, "field": e.field, "message": e.message_zh}
        for e in rows.errors
    ]
    if (rows.errors and mode == "all_or_nothing") or not rows.solutions:
        return report
    refs = [s.id for s in rows.solutions]
    existing = {
        r.ref: r
        for r in session.scalars(
            select(Solution).where(Solution.provider_id == provider.id, Solution.ref.in_(refs))
        )
    }
    with committing(session):
        for s in rows.solutions:
            s = s.model_copy(
                update={"provider_id": str(provider.id), "provider_name": provider.name}
            )
            row = existing.get(s.id)
            if row is None:
                session.add(
                    Solution(
                        provider_id=provider.id,
                        ref=s.id,
                        status="published",
                        revision=0,
                        created_by=actor.user.id,
                        **_columns(s),
                    )
                )
                report.created += 1
            else:
                for k, v in _columns(s).items():
                    setattr(row, k, v)
                row.status = "published"
                row.revision += 1
                report.updated += 1
        audit.record(
            session,
            actor,
            "upload",
            "solution",
            None,
            organization_id=provider.id,
            after={
                "file": name,
                "rows": rows.n_rows,
                "created": report.created,
                "updated": report.updated,
                "skipped_rows": [e.row for e in rows.errors][:200],
            },
        )
        bump_catalogue(session)
    report.saved = True
    return report


_TEMPLATE: bytes | None = None


def template_xlsx() -> bytes:
    """The catalogue template (XLSX with dropdowns), made once per process."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = catalogue_template_bytes()
    return _TEMPLATE


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class CatalogueIndex:
    """A fitted index of the catalogue as one register scope sees it.

    ``solutions`` maps the engine id to (database id, provider id, provider name);
    providers outside the scope's registers (or rejected there) are left out.
    """

    revision: int
    scope: frozenset[int] | None
    index: MatchIndex
    solutions: Mapping[str, tuple[int, int, str]]
    ratings: Mapping[int, float | None]
    standings: Mapping[int, str]


@dataclass
class _Base:
    revision: int
    items: list[tuple[int, int, str, EngineSolution]]  # (id, provider id, name, solution)
    ratings: dict[int, float | None]
    # id → (revision, provider id, provider name): what each item was built from
    keys: dict[int, tuple[int, int, str]] = field(default_factory=dict)


_LOCK = threading.Lock()
# per database (its URL): the validated catalogue of one revision, and fitted indexes
_BASES: dict[str, _Base] = {}
_INDEXES: OrderedDict[tuple[str, int, frozenset[int] | None], CatalogueIndex] = OrderedDict()
MAX_INDEXES = 8


def _load_base(session: Session, revision: int, previous: _Base | None = None) -> _Base:
    """The published catalogue as engine solutions.  Only the rows new or changed since
    ``previous`` (by solution revision and provider) are read and validated again: a
    standing or rating change reads none, one edited solution one."""
    keys = {
        sid: (rev, pid, pname)
        for sid, rev, pid, pname in session.execute(
            select(Solution.id, Solution.revision, Solution.provider_id, Organization.name)
            .join(Organization, Organization.id == Solution.provider_id)
            .where(Solution.status == "published")
        )
    }
    known = {item[0]: item for item in previous.items} if previous is not None else {}
    old_keys = previous.keys if previous is not None else {}
    stale = [sid for sid, key in keys.items() if old_keys.get(sid) != key]
    fresh: dict[int, tuple[int, int, str, EngineSolution]] = {}
    for start in range(0, len(stale), 2000):
        chunk = stale[start : start + 2000]
        for sid, data in session.execute(
            select(Solution.id, Solution.data).where(Solution.id.in_(chunk))
        ):
            _rev, pid, pname = keys[sid]
            engine = rules.solution_from_data(
                data, id=engine_id(sid), provider_id=str(pid), provider_name=pname
            )
            fresh[sid] = (sid, pid, pname, engine)
    items = [fresh[sid] if sid in fresh else known[sid] for sid in sorted(keys)]
    return _Base(revision, items, ratings(session, {k[1] for k in keys.values()}), keys)


def catalogue_index(session: Session, region_code: str | None) -> CatalogueIndex:
    """The fitted index for an enterprise in ``region_code`` (cached per database,
    revision and register scope; rebuilt when the catalogue revision has moved)."""
    db = str(session.get_bind().url)
    revision = catalogue_revision(session)
    scope = register_scope(session, region_code)
    key = (db, revision, scope)
    with _LOCK:
        hit = _INDEXES.get(key)
        if hit is not None:
            _INDEXES.move_to_end(key)
            return hit
        base = _BASES.get(db)
        if base is None or base.revision != revision:
            base = _BASES[db] = _load_base(session, revision, base)
            for stale in [k for k in _INDEXES if k[0] == db and k[1] != revision]:
                del _INDEXES[stale]
        standing = standings(session, scope)
        chosen = []
        refs: dict[str, tuple[int, int, str]] = {}
        for sid, pid, pname, s in base.items:
            st = standing.get(pid)
            if st is None:
                continue
            rating = base.ratings.get(pid)
            chosen.append(s.model_copy(update={"provider_standing": st, "provider_rating": rating}))
            refs[s.id] = (sid, pid, pname)
        index = MatchIndex().fit(chosen)
        built = CatalogueIndex(revision, scope, index, refs, dict(base.ratings), standing)
        _INDEXES[key] = built
        while len(_INDEXES) > MAX_INDEXES:
            _INDEXES.popitem(last=False)
        if len(_BASES) > MAX_INDEXES:  # test runs open many databases: keep the newest
            for old in list(_BASES)[: len(_BASES) - MAX_INDEXES]:
                del _BASES[old]
        return built


def clear_cache() -> None:
    """Drop every cached index."""
    with _LOCK:
        _BASES.clear()
        _INDEXES.clear()


def scene_choices() -> list[tuple[str, str]]:
    """(label, key) of every scene a solution or need may name."""
    from nqpf.matching import scenes

    return [(s.label, s.key) for s in scenes()]


def scene_text(key: str) -> str:
    try:
        return scene_label(key)
    except KeyError:
        return key


def refs_of(rows: Sequence[Solution]) -> list[str]:
    return [r.ref for r in rows]
