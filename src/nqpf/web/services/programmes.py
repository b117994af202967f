"""Programmes (项目/专项) of an authority and their evaluation (issue 12, 面/线).

An authority's officers define a programme — name, outcome, member enterprises with the
year each joined, acceptance and subsidy rules — and evaluate it.  This module adds what
the server adds: who may see and change a programme, the members checked against the
authority's scope, the yearly panel read from the stored assessments, project KPIs and
carbon inventories, and one transaction per action with its audit event.  Every number
comes from :func:`nqpf.services.evaluation.programme_evaluation`.

Rules
-----
* A programme belongs to one authority and its region scope (copied when it is made).
  The authority's members (officers and admins) see and change it; the platform admin
  sees every programme; anyone else gets 404 (its existence is not revealed).
* Members come from the scope; an enterprise outside it is refused, naming it.
* The panel: one row per enterprise of the scope and year with the outcome; a member's
  cohort is its start year, an enterprise of the scope that is not a member is never
  treated (cohort 0).  For an assessment outcome the year is the year of submission and
  the latest submission of a year counts.
* Evaluating stores the whole document in ``Programme.evaluation`` or nothing: bad input
  (no never-treated enterprise with ``control=never``, no member with two assessments …)
  answers 422 in Chinese and keeps the previous evaluation.  A panel larger than
  ``NQPF_PROGRAMME_JOB_ROWS`` enterprise-years (default 5,000) is evaluated as a
  background job (:mod:`nqpf.web.jobs`, kind ``programme_evaluation``); the programme
  adopts its document when the job is done, if the definition and members have not
  changed since (the job carries the revision it was made for).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.services import evaluation as evaluation_service
from nqpf.web.authz import Actor, in_scope
from nqpf.web.config import DEFAULT_PROGRAMME_JOB_ROWS, Settings
from nqpf.web.errors import Conflict, FieldError, Forbidden, NotFound, field_error
from nqpf.web.models import (
    PROGRAMME_CONTROLS,
    PROGRAMME_OUTCOMES,
    Assessment,
    CarbonInventory,
    EnterpriseProfile,
    Organization,
    Programme,
    ProgrammeMember,
    Project,
)
from nqpf.web.services import audit
from nqpf.web.services._transaction import committing
from nqpf.web.services.assessments import available_frameworks

__all__ = [
    "OUTCOME_LABELS",
    "JobState",
    "MemberRow",
    "ProgrammeView",
    "adopt_job",
    "create",
    "evaluate",
    "evaluation_xlsx",
    "get_view",
    "import_members",
    "job_threshold",
    "list_programmes",
    "outcome_label",
    "panel_rows",
    "programme_for",
    "remove_member",
    "rollup_entries",
    "scope_candidates",
    "set_members",
    "update",
]

OUTCOME_LABELS = {
    "total": "评测总分",
    "dimension": "评测维度得分",
    "kpi": "项目指标",
    "energy_intensity": "单位产值综合能耗（tce/万元）",
}
CONTROL_LABELS = {"never": "从未参与的企业", "notyet": "尚未参与的企业（含从未参与）"}
MIN_YEAR, MAX_YEAR = 1990, 2100


# ------------------------------------------------------------------------ access
def _authorities(actor: Actor) -> list[int]:
    return actor.orgs_of_kind("authority")


def visible_programmes(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Programme``: the programmes of the actor's authorities."""
    if actor.is_platform_admin:
        return true()
    mine = _authorities(actor)
    return Programme.authority_id.in_(mine) if mine else false()


def programme_for(session: Session, actor: Actor, programme_id: int) -> Programme:
    """The programme ``programme_id`` if it belongs to one of the actor's authorities
    (or the actor is the platform admin); 404 otherwise."""
    row = session.get(Programme, programme_id)
    if row is None or not (actor.is_platform_admin or row.authority_id in _authorities(actor)):
        raise NotFound(f"项目 {programme_id} 不存在或无权查看")
    return row


def list_programmes(session: Session, actor: Actor) -> list[tuple[Programme, int]]:
    """The programmes the actor may see with their member counts, newest first."""
    members = (
        select(ProgrammeMember.programme_id, func.count().label("n"))
        .group_by(ProgrammeMember.programme_id)
        .subquery()
    )
    rows = session.execute(
        select(Programme, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.programme_id == Programme.id)
        .where(visible_programmes(actor))
        .order_by(Programme.id.desc())
    ).all()
    return [(p, int(n)) for p, n in rows]


# -------------------------------------------------------------------- definition
def _text(value: Any, field: str, label: str, limit: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        raise FieldError(f"请填写{label}", field=field)
    if len(text) > limit or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise FieldError(f"{label}过长或含有控制字符（至多 {limit} 字）", field=field)
    return text


def _definition(values: Mapping[str, Any]) -> dict[str, Any]:
    """The checked definition fields (422 naming the field otherwise)."""
    name = _text(values.get("name"), "name", "项目名称")
    outcome = str(values.get("outcome") or "total")
    if outcome not in PROGRAMME_OUTCOMES:
        raise FieldError(f"结果变量应为 {'、'.join(OUTCOME_LABELS.values())} 之一", field="outcome")
    framework = str(values.get("framework") or "").strip()
    fws = available_frameworks()
    if framework not in fws:
        raise FieldError(
            f"评测框架 {framework!r} 不存在；可选：{'、'.join(fws)}", field="framework"
        )
    key = str(values.get("outcome_key") or "").strip()
    if outcome == "dimension":
        names = [d.name for d in fws[framework].scored_dimensions]
        if key not in names:
            raise FieldError(f"维度应为 {'、'.join(names)} 之一", field="outcome_key")
    elif outcome == "kpi":
        key = _text(key, "outcome_key", "项目指标名称")
    else:
        key = ""
    rules = evaluation_service.rule_choices()
    chosen = {}
    for kind, label in (("acceptance", "验收规则"), ("subsidy", "补助规则")):
        value = str(values.get(f"{kind}_rule") or "").strip()
        allowed = [r[0] for r in rules[kind]]
        if value not in allowed:
            raise FieldError(f"{label}应为 {'、'.join(allowed)} 之一", field=f"{kind}_rule")
        chosen[f"{kind}_rule"] = value
    control = str(values.get("control") or "never")
    if control not in PROGRAMME_CONTROLS:
        raise FieldError("对照组应为 never（从未参与）或 notyet（尚未参与）", field="control")
    return {
        "name": name,
        "outcome": outcome,
        "outcome_key": key,
        "framework": framework,
        "control": control,
        **chosen,
    }


_FIELDS = (
    "name",
    "outcome",
    "outcome_key",
    "framework",
    "acceptance_rule",
    "subsidy_rule",
    "control",
)


def create(
    session: Session, actor: Actor, values: Mapping[str, Any], *, authority_id: int | None = None
) -> Programme:
    """A new programme of the actor's authority (``authority_id`` when it has several)."""
    mine = _authorities(actor)
    if authority_id is None and len(mine) == 1:
        authority_id = mine[0]
    if authority_id is None or authority_id not in mine:
        raise Forbidden("只有主管部门（园区或地区）的工作人员可以创建项目", field="authority_id")
    scope = actor.scopes.get(authority_id) or ""
    if not scope:
        raise Forbidden("本机构没有设定辖区范围，不能创建项目", field="authority_id")
    fields = _definition(values)
    row = Programme(
        authority_id=authority_id,
        region_scope=scope,
        created_by=actor.user.id,
        revision=0,
        **fields,
    )
    with committing(session):
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "create",
            "programme",
            row.id,
            organization_id=authority_id,
            after=audit.snapshot(row, _FIELDS),
        )
    return row


def _bump(session: Session, row: Programme, seen: int) -> None:
    """Move the programme from revision ``seen`` to the next in the caller's transaction,
    or refuse (409): one ``UPDATE … WHERE revision = :seen``, so of two concurrent
    changes of the same revision only one wins."""
    done = session.execute(
        sql_update(Programme)
        .where(Programme.id == row.id, Programme.revision == seen)
        .values(revision=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Conflict("项目已被他人修改，请刷新页面后重试", field="revision")
    row.revision = seen + 1


def update(
    session: Session, actor: Actor, programme_id: int, seen: int, values: Mapping[str, Any]
) -> Programme:
    """Change the definition (a stale ``seen`` revision answers 409); the stored
    evaluation is dropped, as it no longer describes the programme."""
    row = programme_for(session, actor, programme_id)
    fields = _definition(values)
    before = audit.snapshot(row, _FIELDS)
    with committing(session):
        _bump(session, row, seen)
        for k, v in fields.items():
            setattr(row, k, v)
        row.evaluation, row.evaluated_at = None, None
        audit.record(
            session,
            actor,
            "update",
            "programme",
            row.id,
            organization_id=row.authority_id,
            before=before,
            after=audit.snapshot(row, _FIELDS),
        )
    return row


# ----------------------------------------------------------------------- members
@dataclass(frozen=True)
class MemberRow:
    enterprise_id: int
    name: str
    credit_code: str
    region_code: str
    start_year: int
    scale: str


def _members(session: Session, programme_id: int) -> list[MemberRow]:
    rows = session.execute(
        select(
            ProgrammeMember,
            Organization.name,
            EnterpriseProfile.credit_code,
            EnterpriseProfile.region_code,
        )
        .join(Organization, Organization.id == ProgrammeMember.enterprise_id)
        .join(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .where(ProgrammeMember.programme_id == programme_id)
        .order_by(ProgrammeMember.start_year, Organization.name)
    ).all()
    return [
        MemberRow(m.enterprise_id, name, code, region, m.start_year, m.scale)
        for m, name, code, region in rows
    ]


def _year(value: Any, field: str) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR):
        raise FieldError(
            f"起始年份应为 {MIN_YEAR}–{MAX_YEAR} 的整数年份，收到 {text!r}", field=field
        )
    return int(text)


def set_members(
    session: Session,
    actor: Actor,
    programme_id: int,
    seen: int,
    members: Sequence[Mapping[str, Any]],
) -> Programme:
    """Replace the members: ``{"enterprise_id", "start_year", "scale"}`` each.

    Refused with nothing written (422 naming ``members[i]``): an enterprise that is not
    in the programme's scope (or does not exist), listed twice, a start year outside
    1990–2100, a scale other than 规上 / 规下 / empty.
    """
    row = programme_for(session, actor, programme_id)
    ids = []
    for i, m in enumerate(members):
        try:
            ids.append(int(m.get("enterprise_id")))
        except (TypeError, ValueError):
            raise FieldError(f"第 {i + 1} 个成员的企业编号无效", field=f"members[{i}]") from None
    found = dict(
        session.execute(
            select(Organization.id, EnterpriseProfile.region_code)
            .join(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(Organization.id.in_(ids), Organization.kind == "enterprise")
        ).all()
    )
    clean, seen_ids = [], set()
    for i, (eid, m) in enumerate(zip(ids, members, strict=True)):
        if not in_scope(found.get(eid), row.region_scope):
            raise FieldError(
                f"企业 {eid} 不在本机构辖区（{row.region_scope}）内，不能加入项目",
                field=f"members[{i}]",
            )
        if eid in seen_ids:
            raise FieldError(f"企业 {eid} 重复列出", field=f"members[{i}]")
        seen_ids.add(eid)
        scale = str(m.get("scale") or "").strip()
        if scale not in ("", "规上", "规下"):
            raise FieldError("规模应为“规上”或“规下”（或留空）", field=f"members[{i}].scale")
        clean.append(
            ProgrammeMember(
                programme_id=row.id,
                enterprise_id=eid,
                scale=scale,
                start_year=_year(m.get("start_year"), f"members[{i}].start_year"),
            )
        )
    before = {"members": len(_members(session, row.id))}
    with committing(session):
        _bump(session, row, seen)
        session.query(ProgrammeMember).filter(ProgrammeMember.programme_id == row.id).delete()
        session.add_all(clean)
        row.evaluation, row.evaluated_at = None, None
        audit.record(
            session,
            actor,
            "members",
            "programme",
            row.id,
            organization_id=row.authority_id,
            before=before,
            after={"members": len(clean), "start_years": sorted({m.start_year for m in clean})},
        )
    return row


def import_members(
    session: Session, actor: Actor, programme_id: int, seen: int, data: bytes, filename: str
) -> Programme:
    """Add (or update) members from a CSV/XLSX of 统一社会信用代码 + 起始年份 (+ 规模):
    :func:`nqpf.services.evaluation.read_members`.  A credit code that is not an
    enterprise of the scope is refused naming its row; nothing is written then."""
    row = programme_for(session, actor, programme_id)
    if not data:
        raise FieldError("请选择成员名单文件（CSV 或 XLSX）", field="file")
    try:
        listed = evaluation_service.read_members(data, filename or "members.csv")
    except DataValidationError as exc:
        where = f"第 {exc.row} 行：" if exc.row else ""
        raise field_error(exc, field="file", label=f"成员名单有误：{where}") from None
    codes = {m["credit_code"] for m in listed}
    by_code = dict(
        session.execute(
            select(EnterpriseProfile.credit_code, EnterpriseProfile.organization_id).where(
                EnterpriseProfile.credit_code.in_(codes),
                EnterpriseProfile.region_code.startswith(row.region_scope, autoescape=True),
            )
        ).all()
    )
    merged = {
        m.enterprise_id: {
            "enterprise_id": m.enterprise_id,
            "start_year": m.start_year,
            "scale": m.scale,
        }
        for m in _members(session, row.id)
    }
    for m in listed:
        eid = by_code.get(m["credit_code"])
        if eid is None:
            raise FieldError(
                f"成员名单有误：第 {m['row']} 行：统一社会信用代码 {m['credit_code']} "
                f"不是本机构辖区（{row.region_scope}）内的企业",
                field="file",
            )
        merged[eid] = {"enterprise_id": eid, "start_year": m["start_year"], "scale": m["scale"]}
    return set_members(session, actor, programme_id, seen, list(merged.values()))


def remove_member(
    session: Session, actor: Actor, programme_id: int, seen: int, enterprise_id: int
) -> Programme:
    """Take one enterprise out of the programme."""
    keep = [
        {"enterprise_id": m.enterprise_id, "start_year": m.start_year, "scale": m.scale}
        for m in _members(session, programme_id)
        if m.enterprise_id != enterprise_id
    ]
    return set_members(session, actor, programme_id, seen, keep)


def scope_candidates(
    session: Session, programme: Programme, *, q: str = "", limit: int = 50
) -> list[tuple[int, str, str]]:
    """Enterprises of the scope that are not members yet (id, name, credit code), by name;
    ``q`` filters by name or credit code."""
    members = select(ProgrammeMember.enterprise_id).where(
        ProgrammeMember.programme_id == programme.id
    )
    query = (
        select(Organization.id, Organization.name, EnterpriseProfile.credit_code)
        .join(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .where(
            EnterpriseProfile.region_code.startswith(programme.region_scope, autoescape=True),
            Organization.id.not_in(members),
        )
        .order_by(Organization.name, Organization.id)
        .limit(limit)
    )
    text = q.strip()[:100]
    if text:
        query = query.where(
            Organization.name.contains(text, autoescape=True)
            | EnterpriseProfile.credit_code.startswith(text.upper(), autoescape=True)
        )
    return [(i, n, c) for i, n, c in session.execute(query).all()]


# ------------------------------------------------------------------------- panel
def outcome_label(programme: Programme) -> str:
    """The outcome as people read it: ``总分``, the dimension's or KPI's name, or the
    energy intensity."""
    if programme.outcome == "total":
        return "总分"
    if programme.outcome == "energy_intensity":
        return OUTCOME_LABELS["energy_intensity"]
    return programme.outcome_key


def _in_scope(programme: Programme) -> ColumnElement[bool]:
    return EnterpriseProfile.region_code.startswith(programme.region_scope, autoescape=True)


def _yearly(rows: Sequence[tuple[int, int, Any]]) -> dict[tuple[int, int], float]:
    """(enterprise, year) → value; a later row of the same year replaces an earlier one."""
    out: dict[tuple[int, int], float] = {}
    for eid, year, value in rows:
        if value is not None:
            out[(int(eid), int(year))] = float(value)
    return out


def _outcome_by_year(session: Session, programme: Programme) -> dict[tuple[int, int], float]:
    """The outcome of every enterprise of the scope by year, from the stored data."""
    if programme.outcome in ("total", "dimension"):
        fid, _, version = programme.framework.rpartition("-")
        # a dimension's points are picked from the dimensions object here: the stored JSON
        # escapes Chinese keys, which SQLite's json_extract (before 3.45) cannot match
        value = (
            Assessment.result["total"].as_float()
            if programme.outcome == "total"
            else Assessment.result["dimensions"]
        )
        year = func.extract("year", Assessment.submitted_at)
        rows = session.execute(
            select(Assessment.enterprise_id, year, value)
            .join(EnterpriseProfile, EnterpriseProfile.organization_id == Assessment.enterprise_id)
            .where(
                Assessment.status == "submitted",
                Assessment.framework_id == fid,
                Assessment.framework_version == version,
                _in_scope(programme),
            )
            .order_by(Assessment.enterprise_id, Assessment.submitted_at, Assessment.id)
        ).all()
        if programme.outcome == "dimension":
            key = programme.outcome_key
            rows = [(e, y, (d or {}).get(key) if isinstance(d, dict) else None) for e, y, d in rows]
        return _yearly(rows)
    if programme.outcome == "energy_intensity":
        output = CarbonInventory.inputs["output"].as_float()
        rows = session.execute(
            select(
                CarbonInventory.enterprise_id,
                CarbonInventory.year,
                CarbonInventory.result["energy_tce"].as_float() / output,
            )
            .join(
                EnterpriseProfile,
                EnterpriseProfile.organization_id == CarbonInventory.enterprise_id,
            )
            .where(_in_scope(programme), output > 0)
        ).all()
        return _yearly(rows)
    # a project KPI: its baseline in the project's start year, its actual value in the
    # year the project closed (or ended)
    rows = session.execute(
        select(
            Project.enterprise_id,
            Project.start_date,
            Project.end_date,
            Project.closed_at,
            Project.kpis,
        )
        .join(EnterpriseProfile, EnterpriseProfile.organization_id == Project.enterprise_id)
        .where(_in_scope(programme))
        .order_by(Project.enterprise_id, Project.start_date, Project.id)
    ).all()
    points = []
    for eid, start, end, closed, kpis in rows:
        for k in kpis or []:
            if str(k.get("name", "")).strip() != programme.outcome_key:
                continue
            points.append((eid, start.year, k.get("baseline")))
            done = closed.date() if closed is not None else end
            if done is not None and k.get("actual") is not None:
                points.append((eid, done.year, k.get("actual")))
    return _yearly(points)


def panel_rows(session: Session, programme: Programme) -> list[dict[str, Any]]:
    """The DiD panel: ``unit`` (enterprise id), ``year``, ``cohort`` (start year; 0 for
    enterprises of the scope that are not members) and ``y``, ordered by unit and year."""
    cohorts = dict(
        session.execute(
            select(ProgrammeMember.enterprise_id, ProgrammeMember.start_year).where(
                ProgrammeMember.programme_id == programme.id
            )
        ).all()
    )
    values = _outcome_by_year(session, programme)
    return [
        {"unit": eid, "year": year, "cohort": cohorts.get(eid, 0), "y": y}
        for (eid, year), y in sorted(values.items())
    ]


def _member_rows(
    session: Session, programme: Programme, panel: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One row per member: first and latest assessment (total, level), the outcome at the
    first and last year it was reported, scale, industry and its projects' spend."""
    fid, _, version = programme.framework.rpartition("-")
    members = _members(session, programme.id)
    ids = [m.enterprise_id for m in members]
    waves: dict[int, list[tuple[float, int]]] = {}
    for eid, total, level in session.execute(
        select(
            Assessment.enterprise_id,
            Assessment.result["total"].as_float(),
            Assessment.result["level"].as_integer(),
        )
        .where(
            Assessment.enterprise_id.in_(ids),
            Assessment.status == "submitted",
            Assessment.framework_id == fid,
            Assessment.framework_version == version,
        )
        .order_by(Assessment.enterprise_id, Assessment.submitted_at, Assessment.id)
    ).all():
        waves.setdefault(eid, []).append((total, level))
    spend = dict(
        session.execute(
            select(Project.enterprise_id, func.sum(Project.spend))
            .where(Project.enterprise_id.in_(ids))
            .group_by(Project.enterprise_id)
        ).all()
    )
    industry = dict(
        session.execute(
            select(EnterpriseProfile.organization_id, EnterpriseProfile.industry).where(
                EnterpriseProfile.organization_id.in_(ids)
            )
        ).all()
    )
    series: dict[int, list[float]] = {}
    for r in panel:
        series.setdefault(r["unit"], []).append(r["y"])
    out = []
    for m in members:
        w = waves.get(m.enterprise_id, [])
        two = len(w) >= 2
        ys = series.get(m.enterprise_id, [])
        out.append(
            {
                "enterprise": m.name,
                "scale": m.scale,
                "segment": industry.get(m.enterprise_id, ""),
                "total_t0": w[0][0] if two else None,
                "total_t1": w[-1][0] if two else None,
                "level_t0": w[0][1] if two else None,
                "level_t1": w[-1][1] if two else None,
                "outcome_t0": ys[0] if len(ys) >= 2 else None,
                "outcome_t1": ys[-1] if len(ys) >= 2 else None,
                "eligible_spend": float(spend.get(m.enterprise_id) or 0.0),
            }
        )
    return out


# -------------------------------------------------------------------- evaluation
def job_threshold(settings: Settings) -> int:
    """Panel rows above which an evaluation runs as a background job:
    ``NQPF_PROGRAMME_JOB_ROWS`` (:attr:`Settings.programme_job_rows`, default 5,000
    enterprise-years, a few seconds of the five estimators on this class of machine; 0
    sends every evaluation to the queue)."""
    return settings.programme_job_rows


def _inputs(session: Session, programme: Programme) -> tuple[list[dict], list[dict]]:
    panel = panel_rows(session, programme)
    return _member_rows(session, programme, panel), panel


def _options(programme: Programme) -> dict[str, Any]:
    return {
        "outcome": outcome_label(programme),
        "acceptance_rule": programme.acceptance_rule,
        "subsidy_rule": programme.subsidy_rule,
        "control": programme.control,
    }


def _refused(exc: DataValidationError) -> FieldError:
    return field_error(exc, field="evaluation", label="无法评估：")


def _store(session: Session, actor: Actor | None, programme: Programme, document: dict) -> None:
    with committing(session):
        programme.evaluation = document
        programme.evaluated_at = datetime.now(UTC)
        programme.job_id = None
        head = document["did"]["estimates"][0]
        audit.record(session, actor, "evaluate", "programme", programme.id,
                     organization_id=programme.authority_id,
                     after={"revision": programme.revision, "att": head["att"],
                            "members": document["n_members"]})  # fmt: skip


def _submit(
    session: Session, queue: Any, actor: Actor, programme: Programme, members: list, panel: list
) -> None:
    """Queue the evaluation (kind ``programme_evaluation``); the page adopts its result."""
    from nqpf.web import jobs

    data = json.dumps({"members": members, "panel": panel}, ensure_ascii=False).encode()
    config = {"programme_id": programme.id, "revision": programme.revision,
              **_options(programme)}  # fmt: skip

    def record(job: Any) -> None:
        programme.job_id = job.id
        audit.record(session, actor, "evaluate_queued", "programme", programme.id,
                     organization_id=programme.authority_id,
                     after={"revision": programme.revision, "job": job.id,
                            "panel_rows": len(panel)})  # fmt: skip

    jobs.submit(
        session, queue, organization_id=programme.authority_id, owner_id=actor.user.id,
        kind="programme_evaluation", title=f"项目效果评估：{programme.name}", config=config,
        inputs=[jobs.InputFile("programme.json", "application/json", data)], audit=record,
    )  # fmt: skip


def evaluate(
    session: Session,
    actor: Actor,
    programme_id: int,
    *,
    queue: Any = None,
    job_rows: int = DEFAULT_PROGRAMME_JOB_ROWS,
) -> Programme:
    """Evaluate the programme: in the request when its panel has at most ``job_rows`` rows
    (the document is stored, or nothing on an error), else as a background job on
    ``queue`` whose result the programme adopts when it is done (:func:`adopt_job`).

    The one place that decides how an evaluation runs; the doors pass
    :func:`job_threshold` of the platform's settings as ``job_rows``.
    """
    row = programme_for(session, actor, programme_id)
    if not _members(session, row.id):
        raise FieldError("项目还没有成员企业，请先添加成员", field="members")
    members, panel = _inputs(session, row)
    if queue is not None and len(panel) > job_rows:
        _submit(session, queue, actor, row, members, panel)
        return row
    try:
        document = evaluation_service.programme_evaluation(members, panel, **_options(row))
    except DataValidationError as exc:
        raise _refused(exc) from None
    _store(session, actor, row, document)
    return row


@dataclass(frozen=True)
class JobState:
    id: int
    state: str
    progress: float
    stage: str
    error: str


def adopt_job(session: Session, programme: Programme) -> JobState | None:
    """The programme's evaluation job; a finished one's document is stored when it was
    made for the programme's current revision (a stale or failed one is only shown)."""
    from nqpf.web import jobs
    from nqpf.web.models import Job

    if programme.job_id is None:
        return None
    job = session.get(Job, programme.job_id)
    if job is None:
        return None
    if job.state == "done" and job.config.get("revision") == programme.revision:
        document = json.loads(jobs.result_file(session, job, "evaluation.json").data)
        _store(session, None, programme, document)
    return JobState(job.id, job.state, float(job.progress), job.stage, job.error or "")


# ------------------------------------------------------------------------- views
@dataclass(frozen=True)
class ProgrammeView:
    programme: Programme
    authority_name: str
    members: list[MemberRow]
    outcome: str
    job: JobState | None


def get_view(session: Session, actor: Actor, programme_id: int) -> ProgrammeView:
    """The programme with its members, its authority's name and its evaluation job
    (whose finished result is adopted first)."""
    row = programme_for(session, actor, programme_id)
    job = adopt_job(session, row)
    authority = session.get(Organization, row.authority_id)
    return ProgrammeView(
        row, authority.name if authority else "", _members(session, row.id),
        outcome_label(row), job if row.job_id is not None else None,
    )  # fmt: skip


def rollup_entries(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The evaluated programmes the actor may see (``name``, ``evaluation``), newest first:
    the roll-up report adds a section for each."""
    rows = session.execute(
        select(Programme.name, Programme.evaluation)
        .where(visible_programmes(actor), Programme.evaluation.is_not(None))
        .order_by(Programme.id.desc())
    ).all()
    return [{"name": name, "evaluation": doc} for name, doc in rows]


def evaluation_xlsx(session: Session, actor: Actor, programme_id: int) -> bytes:
    """The stored evaluation as XLSX (409 before the first evaluation)."""
    row = programme_for(session, actor, programme_id)
    if row.evaluation is None:
        raise Conflict("项目尚未评估，请先运行评估", field="evaluation")
    return evaluation_service.programme_xlsx(row.evaluation)
