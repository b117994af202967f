"""The language switch: ``GET /language?lang=en&next=/dashboard`` (see
:mod:`nqpf.web.i18n_catalogue`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from nqpf.web.errors import FieldError
from nqpf.web.i18n_catalogue import COOKIE, LANGUAGES

__all__ = ["pages"]

pages = APIRouter()

#: How long the choice is kept (one year): it is a preference, not a credential.
MAX_AGE = 365 * 24 * 3600


def _local(path: str) -> str:
    """``next`` when it is a path of this site, else ``/`` (never another host)."""
    ok = path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path
    return path if ok and all(c.isprintable() for c in path) else "/"


@pages.get("/language")
def set_language(
    lang: Annotated[str, Query(max_length=8)],
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> RedirectResponse:
    """Remember the interface language in a cookie and go back to ``next``."""
    if lang not in LANGUAGES:
        raise FieldError(f"语言应为以下之一：{'、'.join(LANGUAGES)}", field="lang")
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, lang, max_age=MAX_AGE, httponly=True, samesite="lax")
    return response
