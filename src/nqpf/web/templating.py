"""Jinja2 pages: one environment (autoescaping on), shared context for every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from nqpf.assessment.carbon import FACTOR_NAMES_ZH
from nqpf.assessment.schema import CONFIDENCE_ZH as CONFIDENCE_LABELS
from nqpf.assessment.schema import confidence_zh as confidence_label
from nqpf.datasets.synthetic import SYNTHETIC_LABEL
from nqpf.web.formatting import beijing, number, score
from nqpf.web.i18n_catalogue import LANGUAGES, language_of, translator
from nqpf.web.services.audit import OBJECT_TYPE_LABELS

__all__ = ["KIND_LABELS", "ROLE_LABELS", "SIZE_LABELS", "render", "templates"]

TEMPLATES_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

KIND_LABELS = {"enterprise": "企业", "provider": "服务商", "authority": "园区/地方主管部门"}
ROLE_LABELS = {"member": "成员", "admin": "管理员"}
SIZE_LABELS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
STATUS_LABELS = {"draft": "草稿", "submitted": "已提交"}

templates.env.globals.update(
    KIND_LABELS=KIND_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    SIZE_LABELS=SIZE_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    SYNTHETIC_LABEL=SYNTHETIC_LABEL,
    CONFIDENCE_LABELS=CONFIDENCE_LABELS,
    FACTOR_NAMES_ZH=FACTOR_NAMES_ZH,
    OBJECT_TYPE_LABELS=OBJECT_TYPE_LABELS,
    confidence_label=confidence_label,
    beijing=beijing,
    score=score,
    number=number,
)


def fact_label(fact_id: str) -> str:
    """The Chinese label of an assessment fact (``equipment_network_rate`` → 设备联网率)."""
    from nqpf.matching import load_facts

    try:
        return load_facts().spec(fact_id).label
    except (KeyError, ValueError, LookupError):
        return fact_id


# one way to write numbers and times on every page (nqpf.web.formatting)
templates.env.filters.update(
    beijing=beijing, score=score, number=number, confidence=confidence_label, fact=fact_label
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render template ``name`` with the signed-in actor and its CSRF token in context."""
    actor = getattr(request.state, "actor", None)
    lang = language_of(request)
    base = {
        "lang": lang,
        "_": translator(lang),
        "LANGUAGES": LANGUAGES,
        "actor": actor,
        "csrf_token": actor.csrf_token if actor is not None else None,
        "demo": getattr(request.app.state, "demo", False),
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)
