"""What the loop's route modules (needs, providers, projects) share: text and number types
of their bodies and small form helpers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Form, Query
from pydantic import Field, StringConstraints
from starlette.datastructures import FormData

from nqpf.web.errors import FieldError
from nqpf.web.routes._shared import MAX_ID, NO_CONTROL

__all__ = [
    "MULTILINE",
    "Amount",
    "FactId",
    "FormText",
    "FormTitle",
    "LongText",
    "QueryPage",
    "QueryPerPage",
    "Title",
    "form_list",
    "form_revision",
    "optional_float",
]

# multi-line text: line breaks and tabs, no other control character (PostgreSQL refuses NUL)
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Title = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Short = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
FactId = Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)]
LongText = Annotated[str, StringConstraints(max_length=4000, pattern=MULTILINE)]
Amount = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False, description="万元")]
Weeks = Annotated[float, Field(ge=0, le=520, allow_inf_nan=False, description="weeks")]
Revision = Annotated[int, Field(ge=0, le=MAX_ID, description="The revision the client last saw")]
QueryPage = Annotated[int, Query(ge=1, le=100000)]
QueryPerPage = Annotated[int, Query(ge=1, le=100)]
# page forms: the length is checked by the route (a 422 naming the field), the rest by
# the services
FormTitle = Annotated[str, Form(max_length=200)]
FormText = Annotated[str, Form(max_length=4000)]
FormShort = Annotated[str, Form(max_length=100)]
_CONTROL = set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20)) | {0x7F}


def check_text(value: str, field: str, label: str, *, multiline: bool = False) -> str:
    """``value`` stripped, or a 422 naming ``field`` when it holds a control character
    (line breaks and tabs are allowed in multi-line fields)."""
    bad = _CONTROL if multiline else _CONTROL | {0x09, 0x0A, 0x0D}
    if any(ord(ch) in bad for ch in value):
        raise FieldError(f"{label}含有控制字符", field=field)
    return value.strip()


def optional_float(value: str | None, field: str, label: str) -> float | None:
    """A number typed in a form ('' → None); a 422 naming the field otherwise."""
    text = (value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        x = float("nan")
    if x != x or x in (float("inf"), float("-inf")) or not 0 <= x <= 1e7:
        raise FieldError(f"{label}应为 0–10000000 的数字", field=field)
    return x


def optional_date(value: str | None, field: str, label: str) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError(f"{label}应为日期（如 2026-12-31）", field=field) from None


def form_revision(form: FormData | Any, value: str | None = None) -> int:
    """The hidden ``revision`` field of a form (a 422 when missing or not a number)."""
    text = value if value is not None else form.get("revision")
    text = text.strip() if isinstance(text, str) else ""
    if not text.isdigit() or len(text) > 9:
        raise FieldError("版本号无效，请刷新页面", field="revision")
    return int(text)


def form_list(form: FormData, key: str, limit: int) -> list[str]:
    """Every value of a repeated form field, stripped and cut to ``limit`` characters."""
    return [v.strip()[:limit] if isinstance(v, str) else "" for v in form.getlist(key)]


def split_items(text: str) -> list[str]:
    """``a；b, c`` → ``[a, b, c]`` (the catalogue's separators and commas)."""
    import re

    return [t.strip() for t in re.split(r"[；;、,，\n\r]+", text or "") if t.strip()]
