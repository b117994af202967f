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
