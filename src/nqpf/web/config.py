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
``NQPF_LOGIN_MAX_FAILURES`` / ``NQPF_LOGIN_ACCOUNT_MAX_FAILURES``
    Sign-in lockout (issue 17): after this many failed attempts for one account from one
    client address (default 5), or for one account from any address (default 20), within
    ``NQPF_LOGIN_WINDOW_MINUTES`` (default 15) and since the account's last successful
    sign-in, that account (from that address, or from every address) waits
    ``NQPF_LOGIN_DELAY_SECONDS`` (default 30), doubled for each further failure and
    capped at the window, before the next attempt (429).  A client address alone never
    locks anyone out: other accounts behind the same office NAT keep signing in.
``NQPF_TRUSTED_PROXIES``
    Addresses or networks (``10.0.0.1``, ``10.0.0.0/8``; comma-separated or a JSON list)
    of the reverse proxies whose ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed.
    Default: none, so the client address is the TCP peer's and a spoofed header is ignored.
``NQPF_HSTS_SECONDS``
    ``Strict-Transport-Security`` max-age sent on answers served over HTTPS (default one
    year; on in production, off elsewhere unless set; 0 turns it off).
``NQPF_OPENAPI_PUBLIC``
    Whether ``/openapi.json``, ``/docs`` and ``/redoc`` are public (default: yes, except
    in production, where they need a signed-in user).
``NQPF_API_TOKEN_HOURS`` / ``NQPF_API_TOKEN_MAX_DAYS``
    Default lifetime of a new API token (8 hours) and the longest one may ask for (90 days).
``NQPF_PASSWORD_MIN_SCORE``
    Least zxcvbn strength score (0–4) of a new password (default 3, "safely unguessable:
    moderate protection from offline slow-hash attacks"), besides at least 10 characters.
``NQPF_TOTP_REQUIRED_ROLES``
    Who must sign in with a TOTP code: any of ``officer`` (members of an authority),
    ``platform_admin``, ``org_admin`` (admins of any organization) and ``all`` (default
    ``officer,platform_admin``; production refuses a list without the first two).  Anyone
    else may enrol.  ``NQPF_TOTP_ISSUER`` names the platform in authenticator apps.
``NQPF_PASSWORD_RESET_HOURS``
    Lifetime of a password-reset link (default 24 hours).
``NQPF_PUBLIC_URL``
    Base URL of the platform in links sent out (reset links); default: the request's own.
``NQPF_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_FROM`` / ``_STARTTLS``
    Mail server for self-service password reset (default: unset, so reset links are
    issued by an admin; port 587 with STARTTLS).
``NQPF_PROGRAMME_JOB_ROWS``
    Panel rows (enterprise-years) above which a programme's effect evaluation runs as a
    background job instead of in the request (default 5,000: a few seconds of the five
    estimators on a 2-core machine; 0 sends every evaluation to the queue).  A whole
    number ≥ 0.
``NQPF_BOUNDARY_GEOJSON``
    Path of a boundary GeoJSON for the maps (provinces and, optionally, prefectures,
    keyed by ``adcode``; with its 审图号 as ``review_number`` and the 南海诸岛).  Unset
    (default): the maps use the built-in tile grid.  nqpf ships no boundary file; see
    docs/maps.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_SECRET_KEY", "Settings", "default_database_url", "user_data_dir"]

DEFAULT_SECRET_KEY = "nqpf-development-secret-change-me"
TOTP_ROLES = ("officer", "platform_admin", "org_admin", "all")
ONE_YEAR = 365 * 24 * 3600
DEFAULT_PROGRAMME_JOB_ROWS = 5000


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
    login_account_max_failures: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    login_delay_seconds: float = Field(default=30.0, gt=0)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    hsts_seconds: int | None = Field(default=None, ge=0)
    openapi_public: bool | None = None
    api_token_hours: float = Field(default=8.0, gt=0)
    api_token_max_days: float = Field(default=90.0, gt=0)
    password_min_score: int = Field(default=3, ge=0, le=4)
    totp_required_roles: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["officer", "platform_admin"]
    )
    totp_issuer: str = "nqpf"
    password_reset_hours: float = Field(default=24.0, gt=0)
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True
    boundary_geojson: Path | None = None
    programme_job_rows: int = DEFAULT_PROGRAMME_JOB_ROWS

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.env == "production"

    @property
    def hsts_max_age(self) -> int:
        """Seconds of ``Strict-Transport-Security`` on HTTPS answers (0: none)."""
        if self.hsts_seconds is not None:
            return self.hsts_seconds
        return ONE_YEAR if self.env == "production" else 0

    @property
    def openapi_is_public(self) -> bool:
        return self.openapi_public if self.openapi_public is not None else self.env != "production"

    @field_validator("trusted_proxies", "totp_required_roles", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # "a, b" or a JSON list, from the environment
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"NQPF_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        return value

    @field_validator("programme_job_rows", mode="before")
    @classmethod
    def _job_rows(cls, value: object) -> object:
        text = str(value).strip().replace("_", "").replace(",", "")
        if isinstance(value, bool) or not text.isdigit():
            raise ValueError(
                f"NQPF_PROGRAMME_JOB_ROWS: expected a whole number of panel rows ≥ 0 "
                f"(default {DEFAULT_PROGRAMME_JOB_ROWS}), got {value!r}"
            )
        return int(text)

    @field_validator("totp_required_roles")
    @classmethod
    def _totp_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(TOTP_ROLES))
        if unknown:
            raise ValueError(
                f"NQPF_TOTP_REQUIRED_ROLES: unknown {unknown}; expected some of {TOTP_ROLES}"
            )
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET_KEY and self.env != "development":
            raise ValueError(
                f"NQPF_SECRET_KEY must be set when NQPF_ENV={self.env} "
                "(the built-in default secret is only accepted in development)"
            )
        if len(self.secret_key) < 16:
            raise ValueError("NQPF_SECRET_KEY must be at least 16 characters long")
        required = set(self.totp_required_roles)
        if (
            self.env == "production"
            and "all" not in required
            and not ({"officer", "platform_admin"} <= required)
        ):
            raise ValueError(
                "NQPF_TOTP_REQUIRED_ROLES must include officer and platform_admin in production"
            )
        return self
