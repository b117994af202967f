"""Regional analytics and PDF renders in the browser, as background jobs: what the server adds.

Who: the members (officers and analysts, any role) of an authority — a park or a region.
A job belongs to the authority it was started for and is visible only to that
organization's members (:func:`nqpf.web.jobs.job_for`); everything else answers 404.

What: the data check, the config and the run itself are :mod:`nqpf.services.jobs_analytics`
(and :mod:`nqpf.services.jobs_pdf` for the roll-up PDF); here are the authorisation, the
job rows (:mod:`nqpf.web.jobs`) and the audit events.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.exceptions import DataValidationError
from nqpf.services import jobs_analytics as analytics
from nqpf.services.jobs import get_kind
from nqpf.web import jobs
from nqpf.web.authz import Actor
from nqpf.web.errors import FieldError, Forbidden, NotFound, field_error
from nqpf.web.models import Job, JobFile
from nqpf.web.services import audit
from nqpf.web.services import programmes as programme_service
from nqpf.web.services.dashboard import BEIJING, dashboard

__all__ = [
    "STATE_LABELS",
    "CheckView",
    "JobView",
    "analyst_organization",
    "check",
    "comparison",
    "decode_upload",
    "job_view",
    "list_jobs",
    "poll",
    "queue_demo_run",
    "rerun",
    "result",
    "rollup_pdf",
    "start",
]

STATE_LABELS = {"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "失败"}
ANALYTICS = "analytics"
ROLLUP_PDF = "rollup_pdf"


def analyst_organization(actor: Actor) -> int:
    """The authority an analytics job of ``actor`` belongs to (the first one, by id).

    Raises
    ------
    Forbidden
        The actor is a member of no park or regional authority.
    """
    authorities = sorted(actor.orgs_of_kind("authority"))
    if not authorities:
        raise Forbidden("区域分析仅向园区或地区主管部门的成员开放")
    return authorities[0]


def _when(moment: Any) -> str:
    from nqpf.web.services.dashboard import beijing_time

    return beijing_time(moment, "%Y-%m-%d %H:%M:%S") if moment is not None else "—"


@dataclass(frozen=True)
class JobView:
    """A job as pages and the JSON poll show it (times in Beijing time, labelled)."""

    id: int
    kind: str
    kind_label: str
    title: str
    state: str
    state_label: str
    progress: float
    stage: str
    error: str
    created_at: str
    started_at: str
    finished_at: str
    files: tuple[str, ...]
    config: Mapping[str, Any]
    summary: Mapping[str, Any]
    input_sha256: str
    rerun_of: int | None
    time_zone: str = "北京时间"

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def _kind_label(kind: str) -> str:
    try:
        return get_kind(kind).label
    except DataValidationError:  # a kind this version no longer has
        return kind


def job_view(session: Session, job: Job) -> JobView:
    files = session.scalars(
        select(JobFile.name)
        .where(JobFile.job_id == job.id, JobFile.role == "result")
        .order_by(JobFile.name)
    ).all()
    return JobView(
        id=job.id,
        kind=job.kind,
        kind_label=_kind_label(job.kind),
        title=job.title,
        state=job.state,
        state_label=STATE_LABELS.get(job.state, job.state),
        progress=round(job.progress, 4),
        stage=job.stage,
        error=job.error,
        created_at=_when(job.created_at),
        started_at=_when(job.started_at),
        finished_at=_when(job.finished_at),
        files=tuple(files),
        config=job.config,
        summary=job.summary,
        input_sha256=job.input_sha256,
        rerun_of=job.rerun_of,
    )


def poll(session: Session, actor: Actor, job_id: int) -> JobView:
    """The job as the page polls it; abandoned running jobs are failed first."""
    jobs.fail_stale(session)
    return job_view(session, jobs.job_for(session, actor, job_id))


def list_jobs(session: Session, actor: Actor, *, kind: str | None = None) -> list[JobView]:
    """The jobs of the actor's organizations, newest first (at most 100)."""
    query = select(Job).where(jobs.visible_jobs(actor)).order_by(Job.id.desc()).limit(100)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return [job_view(session, j) for j in session.scalars(query).all()]


# ------------------------------------------------------------------- check and start


@dataclass(frozen=True)
class CheckView:
    """The data check before confirming: the config so far, the quality report and the
    upload itself (base64, carried by the form to the run)."""

    config: Mapping[str, Any]
    quality: analytics.QualityView
    filename: str
    data_b64: str
    synthetic: bool = False


def _config(
    form: Mapping[str, Any], filename: str, synthetic: bool, *, draft: bool = False
) -> dict[str, Any]:
    try:
        fields = {**form, "filename": filename, "synthetic": synthetic}
        return analytics.build_config(fields, draft=draft)
    except DataValidationError as exc:
        raise field_error(exc) from None


def check(
    actor: Actor,
    form: Mapping[str, Any],
    *,
    dataset: str = "",
    upload: tuple[str, bytes] | None = None,
    synthetic: bool = False,
) -> CheckView:
    """Read an upload (or a stored dataset) and report its data quality under the form's
    first choices (columns and system); nothing is stored.  ``synthetic`` marks an
    upload as generated data (a stored demo dataset always is)."""
    analyst_organization(actor)
    if upload is not None and upload[1]:
        filename, data = upload[0] or "panel.csv", upload[1]
    elif dataset:
        if dataset not in analytics.DATASETS:
            raise FieldError("没有这个数据集", field="dataset")
        ds = analytics.DATASETS[dataset]
        filename, data, synthetic = ds.filename, analytics.dataset_bytes(dataset), True
    else:
        raise FieldError("请上传面板数据文件（CSV/XLSX/Parquet）或选择已有数据集", field="file")
    config = _config(
        {"weighting": "entropy", "aggregation": "weighted_sum", **form, "analyses": []},
        filename,
        synthetic,
        draft=True,
    )
    try:
        quality = analytics.check_upload(filename, data, config)
    except DataValidationError as exc:
        raise field_error(exc, field="file", label="数据文件") from None
    return CheckView(config, quality, filename, base64.b64encode(data).decode("ascii"), synthetic)


def decode_upload(data_b64: str) -> bytes:
    """The upload the check page carried to the run (base64)."""
    try:
        return base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise FieldError("数据文件内容已损坏，请重新上传", field="data") from None


def start(
    session: Session,
    queue: jobs.JobQueue,
    actor: Actor,
    form: Mapping[str, Any],
    *,
    filename: str,
    data_b64: str,
    synthetic: bool,
) -> Job:
    """Check the upload again under the final config and start the analytics job.

    Raises
    ------
    FieldError
        A choice does not fit the data, or the data-quality report has errors (nothing is
        stored).
    """
    organization = analyst_organization(actor)
    data = decode_upload(data_b64)
    config = _config(form, filename, synthetic)
    try:
        quality = analytics.check_upload(filename, data, config)
    except DataValidationError as exc:
        raise field_error(exc, field="file", label="数据文件") from None
    if quality.missing_indicators:
        raise FieldError(
            f"数据缺少指标体系的列：{'、'.join(quality.missing_indicators)}", field="system"
        )
    errors = [f[2] for f in quality.findings if f[1] == "error"]
    if errors:
        raise FieldError(f"数据质量检查未通过：{errors[0]}", field="file")
    return _submit(session, queue, actor, organization, config, {filename: data})


def _submit(
    session: Session,
    queue: jobs.JobQueue,
    actor: Actor,
    organization: int,
    config: Mapping[str, Any],
    inputs: Mapping[str, bytes],
    *,
    kind: str = ANALYTICS,
    rerun_of: int | None = None,
) -> Job:
    media = "application/octet-stream"

    def audited(job: Job) -> None:
        audit.record(
            session,
            actor,
            "job.submit" if rerun_of is None else "job.rerun",
            "job",
            job.id,
            organization_id=organization,
            after={"kind": kind, "title": job.title, "rerun_of": rerun_of},
        )

    return jobs.submit(
        session,
        queue,
        organization_id=organization,
        owner_id=actor.user.id,
        kind=kind,
        title=str(config.get("title") or kind),
        config=config,
        inputs=[jobs.InputFile(name, media, data) for name, data in inputs.items()],
        rerun_of=rerun_of,
        audit=audited,
    )


def rerun(session: Session, queue: jobs.JobQueue, actor: Actor, job_id: int) -> Job:
    """Start the job ``job_id`` again with its stored config and inputs."""
    job = jobs.job_for(session, actor, job_id)
    inputs = {
        f.name: f.data
        for f in session.scalars(
            select(JobFile).where(JobFile.job_id == job.id, JobFile.role == "input")
        ).all()
    }
    return _submit(
        session,
        queue,
        actor,
        job.organization_id,
        job.config,
        inputs,
        kind=job.kind,
        rerun_of=job.id,
    )


def comparison(session: Session, actor: Actor, a: int, b: int) -> analytics.Comparison:
    """Two finished analytics runs side by side (both must be visible to ``actor``)."""
    job_a = jobs.job_for(session, actor, a, kind=ANALYTICS)
    job_b = jobs.job_for(session, actor, b, kind=ANALYTICS)
    for job in (job_a, job_b):
        if job.state != "done":
            raise FieldError(f"任务 {job.id} 尚未完成，不能比较", field="b")
    return analytics.compare(
        job_a.config,
        job_a.summary,
        job_b.config,
        job_b.summary,
        same_input=job_a.input_sha256 == job_b.input_sha256,
    )


def result(session: Session, actor: Actor, job_id: int, name: str) -> JobFile:
    """A result file of a visible job."""
    job = jobs.job_for(session, actor, job_id)
    if job.state != "done":
        raise NotFound("任务尚未完成，没有结果文件")
    return jobs.result_file(session, job, name)


def queue_demo_run(
    session: Session, queue: jobs.JobQueue, *, organization_id: int, owner_id: int | None
) -> Job:
    """The demo park's first analytics run, queued: the bundled demo panel with every
    analysis (the worker of ``nqpf demo`` runs it, so 区域分析 opens on a finished run)."""
    ds = analytics.DATASETS["demo"]
    config = analytics.build_config(
        {
            "title": "示例：省域新质生产力综合指数与区域差异",
            "filename": ds.filename,
            "entity": ds.entity,
            "period": ds.period,
            "code": ds.code,
            "group": ds.group,
            "system": ds.system,
            "weighting": "entropy",
            "aggregation": "weighted_sum",
            "analyses": list(analytics.ANALYSES),
            "synthetic": True,
        }
    )

    def audited(job: Job) -> None:
        audit.record(session, None, "job.submit", "job", job.id, organization_id=organization_id,
                     after={"kind": ANALYTICS, "title": job.title, "demo": True})  # fmt: skip

    return jobs.submit(
        session,
        queue,
        organization_id=organization_id,
        owner_id=owner_id,
        kind=ANALYTICS,
        title=config["title"],
        config=config,
        inputs=[jobs.InputFile(ds.filename, "text/csv", analytics.dataset_bytes("demo"))],
        audit=audited,
    )


# ------------------------------------------------------------------ roll-up PDF job


def _group_rows(rows: Any, names: tuple[str, ...], target_name: str) -> list[dict[str, Any]]:
    return [
        {
            "group": r.label,
            "n": r.enterprises,
            "n_valid": r.assessed,
            **{f"n_{name}": count for name, count in zip(names, r.levels, strict=False)},
            f"share_ge_{target_name}": r.share_target,
            "mean_total": r.mean_total,
        }
        for r in rows
    ]


def rollup_pdf(
    session: Session,
    queue: jobs.JobQueue,
    actor: Actor,
    *,
    framework: str,
    region: str = "",
    chain: str = "",
    industry: str = "",
    demo: bool = False,
) -> Job:
    """Start the roll-up report PDF of the dashboard's current view as a job.

    The roll-up is taken now, over what the actor may read, and stored as the job's
    config; the worker draws and prints it (:func:`nqpf.services.jobs_pdf.run_rollup_pdf`).
    """
    organization = analyst_organization(actor)
    data = dashboard(
        session, actor, framework=framework, region=region, chain=chain, industry=industry
    )
    names = data.level_names
    target = names[min(2, len(names) - 1)]
    tables = {
        "rollup_region": _group_rows(data.prefectures, names, target),
        "rollup_industry": _group_rows(data.industries, names, target),
    }
    generated = data.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    config = {
        "title": f"{'、'.join(data.scope) or '辖区'}企业数字化水平汇总报告",
        "framework": data.framework,
        "synthetic": demo,
        "meta": {
            "筛选": "；".join(
                f"{k}={v}"
                for k, v in (("地区", region), ("产业链", chain), ("行业", industry))
                if v
            )
            or "无",
            "企业数": str(data.kpis.enterprises),
            "已评测": str(data.kpis.assessed),
            "生成时间（北京时间）": generated,
        },
        "tables": tables,
        "programmes": programme_service.rollup_entries(session, actor),
    }
    return _submit(session, queue, actor, organization, config, {}, kind=ROLLUP_PDF)
