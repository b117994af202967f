"""Regional analytics in the browser and the background jobs behind it.

Analytics (officers and analysts of an authority): upload a panel or pick a stored
dataset → data-quality report and choices → run as a job → progress → results (tables,
charts, map, HTML/PDF report, workbooks) → re-run or compare two runs.

Jobs (any kind, e.g. the roll-up PDF): ``GET /api/v1/jobs/{id}`` is the small JSON the
pages poll; ``/jobs/{id}`` shows a job and its downloads.  A job is visible only to its
organization: any other id answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from nqpf.services import jobs_analytics
from nqpf.web import jobs as job_queue
from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import FieldError
from nqpf.web.routes._shared import MAX_ID, NO_CONTROL, DbId, attachment
from nqpf.web.services import analytics as svc
from nqpf.web.services.assessments import available_frameworks
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["jobs"])
pages = APIRouter()

FileName = Annotated[
    str, PathParam(max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="File")
]
Column = Annotated[str, Form(max_length=200, pattern=NO_CONTROL)]


class JobOut(BaseModel):
    """A job as the pages poll it: state, progress (0–1) with its Chinese stage, error,
    times in Beijing time (``time_zone``) and the result files once done."""

    model_config = ConfigDict(from_attributes=True)

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
    time_zone: str
    files: list[str]


def _queue(request: Request) -> job_queue.JobQueue:
    return job_queue.queue_for(request.app.state.settings.database_url)


def _file_response(row: Any, *, inline: bool) -> Response:
    headers = {} if inline else {"Content-Disposition": attachment(row.name)}
    return Response(row.data, media_type=row.media_type, headers=headers)


# ------------------------------------------------------------------------- JSON


@api.get("/jobs", response_model=list[JobOut])
def list_jobs_api(session: SessionDep, actor: ActorDep) -> list[JobOut]:
    """The jobs of the caller's organizations, newest first (at most 100)."""
    return [JobOut.model_validate(v) for v in svc.list_jobs(session, actor)]


@api.get("/jobs/{job_id}", response_model=JobOut)
def job_api(job_id: DbId, session: SessionDep, actor: ActorDep) -> JobOut:
    """One job (404 unless it belongs to one of the caller's organizations)."""
    return JobOut.model_validate(svc.poll(session, actor, job_id))


@api.get("/jobs/{job_id}/files/{name}", responses={200: {"content": {"*/*": {}}}})
def job_file_api(job_id: DbId, name: FileName, session: SessionDep, actor: ActorDep) -> Response:
    """A result file of a finished job."""
    return _file_response(svc.result(session, actor, job_id, name), inline=False)


# ------------------------------------------------------------------ generic pages


@pages.get("/jobs/{job_id}")
def job_page(request: Request, job_id: DbId, session: SessionDep, actor: PageActorDep) -> Response:
    view = svc.poll(session, actor, job_id)
    if view.kind == svc.ANALYTICS:
        return RedirectResponse(f"/analytics/jobs/{job_id}", status_code=303)
    return render(request, "analytics/job_status.html", {"job": view})


@pages.get("/jobs/{job_id}/files/{name}")
def job_file_page(
    job_id: DbId, name: FileName, session: SessionDep, actor: PageActorDep
) -> Response:
    row = svc.result(session, actor, job_id, name)
    return _file_response(row, inline=row.name.endswith(".html"))


# -------------------------------------------------------------------- analytics


def _options() -> dict[str, Any]:
    return {
        "datasets": jobs_analytics.DATASETS,
        "systems": jobs_analytics.system_options(),
        "weightings": jobs_analytics.WEIGHTINGS,
        "aggregations": jobs_analytics.AGGREGATIONS,
        "analyses": jobs_analytics.ANALYSES,
        "frameworks": {key: fw.name for key, fw in available_frameworks().items()},
    }


@pages.get("/analytics")
def analytics_page(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    svc.analyst_organization(actor)
    runs = svc.list_jobs(session, actor)
    return render(request, "analytics/index.html", {"runs": runs, "form": {}, **_options()})


@pages.post("/analytics/check")
async def check_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    entity: Column,
    period: Column,
    system: Annotated[str, Form(max_length=64)],
    file: Annotated[UploadFile | None, File()] = None,
    dataset: Annotated[str, Form(max_length=32)] = "",
    code: Column = "",
    group: Column = "",
    title: Annotated[str, Form(max_length=200, pattern=NO_CONTROL)] = "",
) -> Response:
    upload = None
    if file is not None and file.filename:
        upload = (file.filename, await file.read())
    form = {"entity": entity, "period": period, "system": system, "code": code, "group": group,
            "title": title}  # fmt: skip
    try:
        view = await run_in_threadpool(svc.check, actor, form, dataset=dataset, upload=upload)
    except FieldError as exc:
        runs = await run_in_threadpool(svc.list_jobs, session, actor)
        context = {"runs": runs, "form": form, "error": exc.message, **_options()}
        return render(request, "analytics/index.html", context, 422)
    return render(request, "analytics/check.html", {"view": view, "form": form, **_options()})


def _run_form(form: Any) -> dict[str, Any]:
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    fields["analyses"] = [str(a) for a in form.getlist("analyses")]
    fields["indicators"] = [str(i) for i in form.getlist("indicators")]
    return fields


@pages.post("/analytics/run")
async def run_page(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    form = _run_form(await request.form())
    filename = form.pop("filename", "") or "panel.csv"
    data_b64 = form.pop("data", "")
    synthetic = form.pop("synthetic", "") == "1"
    try:
        job = await run_in_threadpool(
            svc.start,
            session,
            _queue(request),
            actor,
            form,
            filename=filename,
            data_b64=data_b64,
            synthetic=synthetic,
        )
    except FieldError as exc:
        view = await run_in_threadpool(_recheck, actor, form, filename, data_b64, synthetic)
        context = {"view": view, "form": form, "error": exc.message, **_options()}
        return render(request, "analytics/check.html", context, 422)
    return RedirectResponse(f"/analytics/jobs/{job.id}", status_code=303)


def _recheck(actor: Any, form: dict, filename: str, data_b64: str, synthetic: bool) -> Any:
    """The check page again after a refused run (None when the upload itself is bad)."""
    try:
        data = svc.decode_upload(data_b64)
        return svc.check(actor, form, upload=(filename, data), synthetic=synthetic)
    except FieldError:
        return None


@pages.get("/analytics/jobs/{job_id}")
def analytics_job_page(
    request: Request, job_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    view = svc.poll(session, actor, job_id)
    if view.kind != svc.ANALYTICS:
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    context: dict[str, Any] = {"job": view, "others": [], "charts": [], "map_svg": None}
    if view.state == "done":
        s = view.summary
        context["map_svg"] = jobs_analytics.index_map_svg(
            s, note="示意图：每个方块代表一个省级行政区，大小相同，不表示行政区域界线与面积"
        )
        context["charts"] = [
            jobs_analytics.series_svg(name, values) for name, values in s.get("series", {}).items()
        ]
        context["others"] = [
            r
            for r in svc.list_jobs(session, actor, kind=svc.ANALYTICS)
            if r.state == "done" and r.id != view.id
        ]
    return render(request, "analytics/job.html", context)


@pages.post("/analytics/jobs/{job_id}/rerun")
def rerun_page(
    request: Request, job_id: DbId, session: SessionDep, actor: PageActorDep
) -> Response:
    job = svc.rerun(session, _queue(request), actor, job_id)
    return RedirectResponse(f"/analytics/jobs/{job.id}", status_code=303)


@pages.get("/analytics/jobs/{job_id}/compare")
def compare_page(
    request: Request,
    job_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="The other run")],
) -> Response:
    result = svc.comparison(session, actor, job_id, b)
    return render(request, "analytics/compare.html", {"a": job_id, "b": b, "cmp": result})


@pages.post("/analytics/rollup-pdf")
def rollup_pdf_page(
    request: Request,
    session: SessionDep,
    actor: PageActorDep,
    framework: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")],
    region: Annotated[str, Form(max_length=12, pattern=r"^[0-9]*$")] = "",
    chain: Annotated[str, Form(max_length=50, pattern=NO_CONTROL)] = "",
    industry: Annotated[str, Form(max_length=5, pattern=r"^([A-Ta-t][0-9]{0,4})?$")] = "",
) -> Response:
    job = svc.rollup_pdf(
        session,
        _queue(request),
        actor,
        framework=framework,
        region=region,
        chain=chain,
        industry=industry,
        demo=bool(getattr(request.app.state, "demo", False)),
    )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
