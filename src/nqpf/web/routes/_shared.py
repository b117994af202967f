"""What the route modules share: id bounds, the no-control-character pattern, downloads."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Path
from fastapi.responses import Response

__all__ = ["MAX_ID", "NO_CONTROL", "XLSX", "DbId", "attachment", "download"]

# ids and revisions are 32-bit INTEGER columns: larger values answer 422, never a 500
MAX_ID = 2**31 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="Database id")]
# PostgreSQL refuses NUL in text; other control characters have no place in names either
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(name: str, label: str | None = None) -> str:
    """``Content-Disposition`` of a download: ASCII ``name`` plus an RFC 5987 UTF-8 ``label``
    (default: ``name``) that browsers prefer."""
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(label or name)}"


def download(data: bytes, name: str, media_type: str = XLSX, label: str | None = None) -> Response:
    """The bytes ``data`` as a file download."""
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": attachment(name, label)}
    )
