"""An enterprise's effect page (效果评估, 点): its T0/T1 comparison and its KPI effects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from nqpf.web.deps import ActorDep, PageActorDep, SessionDep
from nqpf.web.errors import FieldError
from nqpf.web.routes._shared import MAX_ID, DbId, download
from nqpf.web.services import effects as svc
from nqpf.web.templating import render

__all__ = ["api", "pages"]

api = APIRouter(tags=["effects"])
pages = APIRouter()

WaveId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Assessment id")]


def _document(view: svc.EffectView) -> dict[str, Any]:
    return {
        "enterprise_id": view.enterprise.id,
        "assessments": [
            {
                "id": w.id,
                "label": w.label,
                "framework": w.framework,
                "total": w.total,
                "level_name": w.level_name,
                "submitted_at": w.submitted_at.isoformat() if w.submitted_at else None,
            }
            for w in view.waves
        ],
        "t0": view.t0.id if view.t0 else None,
        "t1": view.t1.id if view.t1 else None,
        "comparison": view.comparison,
        "kpis": view.kpis,
    }


@api.get("/enterprises/{enterprise_id}/effect")
def effect_api(
    enterprise_id: DbId, session: SessionDep, actor: ActorDep, a: WaveId = None, b: WaveId = None
) -> dict[str, Any]:
    """T0 (``a``, default the first assessment) against T1 (``b``, default the latest):
    the comparison document of ``nqpf evaluate compare --json`` (None with fewer than two
    submitted assessments) and the project KPIs' effects."""
    return _document(svc.effect_view(session, actor, enterprise_id, a, b))


@api.get(
    "/enterprises/{enterprise_id}/effect/report.html",
    response_class=HTMLResponse,
)
def report_html_api(
    enterprise_id: DbId, session: SessionDep, actor: ActorDep, a: WaveId = None, b: WaveId = None
) -> Response:
    """The enterprise report of T1 with its effect section, as a downloadable HTML page."""
    html = svc.effect_report_html(session, actor, enterprise_id, a, b)
    return download(html.encode(), f"effect-{enterprise_id}.html", "text/html; charset=utf-8")


@api.get(
    "/enterprises/{enterprise_id}/effect/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 503: {"description": "No Chromium"}},
)
def report_pdf_api(
    enterprise_id: DbId, session: SessionDep, actor: ActorDep, a: WaveId = None, b: WaveId = None
) -> Response:
    """The same report as PDF (headless Chromium; 503 when it is not installed)."""
    data = svc.effect_report_pdf(session, actor, enterprise_id, a, b)
    return download(data, f"effect-{enterprise_id}.pdf", "application/pdf")


@pages.get("/enterprises/{enterprise_id}/effect")
def effect_page(
    request: Request,
    enterprise_id: DbId,
    session: SessionDep,
    actor: PageActorDep,
    a: WaveId = None,
    b: WaveId = None,
) -> Response:
    try:
        view = svc.effect_view(session, actor, enterprise_id, a, b)
        error = None
    except FieldError as exc:  # a bad pick: show the defaults with the reason
        view = svc.effect_view(session, actor, enterprise_id)
        error = exc.message
    return render(
        request,
        "effects/enterprise.html",
        {"view": view, "doc": view.comparison, "error": error},
        422 if error else 200,
    )
