"""Platform settings from ``NQPF_*`` environment variables (pydantic-settings).

``NQPF_DATABASE_URL``
    SQLAlchemy URL.  Default: a SQLite file ``nqpf.db`` under the user's data directory
    (``$XDG_DATA_HOME/nqpf``, else ``~/.local/share/nqpf``), created on first start.
    Point it at PostgreSQL (``postgresql+psycopg://…``) for production.
``NQPF_SECRET_KEY``
    Key for session cookies and CSRF tokens.  The built-in default is only accepted
    when ``NQPF_ENV=development``.
``NQPF_ENV``
    ``development`` (default), ``test`` or ``production``.
``NQPF_SESSION_HOURS``
    Lifetime of a browser sign-in (default 8 hours; an expired session must sign in again).
``NQPF_COOKIE_SECURE``
    Send the session cookie over HTTPS only (default: on in production, off otherwise so
    the embedded default works on http://127.0.0.1).
``NQPF_MAX_UPLOAD_BYTES``
    Largest accepted request body (uploads included; default 5 MiB); larger ones get 413.
``NQPF_LOGIN_MAX_FAILURES`` / ``NQPF_LOGIN_WINDOW_MINUTES``
    Sign-in rate limit: after this many failed attempts for one e-mail address, or from one
    client address, within the window (default 5 in 15 minutes), further attempts get 429
    until the window has passed.
``NQPF_BOUNDARY_GEOJSON``
    Path of a boundary GeoJSON for the maps (provinces and, optionally, prefectures,
    keyed by ``adcode``; with its 审图号 as ``review_number`` and the 南海诸岛).  Unset
    (default): the maps use the built-in tile grid.  nqpf ships no boundary file; see
    docs/maps.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SECRET_KEY", "Settings", "default_database_url", "user_data_dir"]

DEFAULT_SECRET_KEY = "nqpf-development-secret-change-me"


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/nqpf`` or ``~/.local/share/nqpf`` (read at call time)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nqpf"


def default_database_url() -> str:
    """The embedded default: ``sqlite:///<user data dir>/nqpf.db``."""
    return f"sqlite:///{(user_data_dir() / 'nqpf.db').as_posix()}"


class Settings(BaseSettings):
    """Platform settings; every field reads ``NQPF_<FIELD>`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="NQPF_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    secret_key: str = DEFAULT_SECRET_KEY
    session_hours: float = Field(default=8.0, gt=0)
    cookie_secure: bool | None = None
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    boundary_geojson: Path | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.env == "production"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET_KEY and self.env != "development":
            raise ValueError(
                f"NQPF_SECRET_KEY must be set when NQPF_ENV={self.env} "
                "(the built-in default secret is only accepted in development)"
            )
        if len(self.secret_key) < 16:
            raise ValueError("NQPF_SECRET_KEY must be at least 16 characters long")
        return self
