"""Carbon inventory pages and JSON endpoints (being built)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api", "pages"]

api = APIRouter(tags=["carbon"])
pages = APIRouter()
