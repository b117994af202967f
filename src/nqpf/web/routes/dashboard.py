"""Dashboard pages and JSON endpoints (being built)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api", "pages"]

api = APIRouter(tags=["dashboard"])
pages = APIRouter()
