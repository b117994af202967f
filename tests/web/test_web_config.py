"""Platform settings: default database location and the default-secret guard."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip(
    "pydantic_settings", reason="the platform tests need the 'web' extra (pydantic-settings)"
)

from pydantic import ValidationError

from nqpf.web.config import DEFAULT_SECRET_KEY, Settings


def test_development_accepts_the_default_secret(tmp_path: Path):
    settings = Settings()
    assert settings.env == "development"
    assert settings.secret_key == DEFAULT_SECRET_KEY
    expected = tmp_path / "xdg-data" / "nqpf" / "nqpf.db"
    assert settings.database_url == f"sqlite:///{expected.as_posix()}"


def test_home_fallback_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings().database_url.endswith(
        f"{(tmp_path / '.local' / 'share' / 'nqpf' / 'nqpf.db').as_posix()}"
    )


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_refused_outside_development(monkeypatch: pytest.MonkeyPatch, env):
    monkeypatch.setenv("NQPF_ENV", env)
    with pytest.raises(ValidationError, match="NQPF_SECRET_KEY must be set"):
        Settings()
    with pytest.raises(ValidationError, match="NQPF_SECRET_KEY must be set"):
        Settings(env=env, secret_key=DEFAULT_SECRET_KEY)


def test_production_with_a_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NQPF_ENV", "production")
    monkeypatch.setenv("NQPF_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("NQPF_DATABASE_URL", "postgresql+psycopg://nqpf@localhost/nqpf")
    settings = Settings()
    assert settings.secret_key == "x" * 40
    assert settings.database_url.startswith("postgresql")


def test_short_secret_refused():
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(secret_key="short")


def test_unknown_env_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NQPF_ENV", "staging")
    with pytest.raises(ValidationError):
        Settings()


def test_cli_reports_the_default_secret_in_one_line(monkeypatch: pytest.MonkeyPatch, invoke):
    monkeypatch.setenv("NQPF_ENV", "production")
    result = invoke(["db", "upgrade"])
    assert result.code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "NQPF_SECRET_KEY must be set" in result.stderr


def test_programme_job_rows_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    assert Settings().programme_job_rows == 5000
    monkeypatch.setenv("NQPF_PROGRAMME_JOB_ROWS", "12,000")
    assert Settings().programme_job_rows == 12000
    monkeypatch.setenv("NQPF_PROGRAMME_JOB_ROWS", "0")
    assert Settings().programme_job_rows == 0


@pytest.mark.parametrize("value", ["-1", "five", "2.5", ""])
def test_programme_job_rows_refused_by_name(monkeypatch: pytest.MonkeyPatch, value):
    monkeypatch.setenv("NQPF_PROGRAMME_JOB_ROWS", value)
    with pytest.raises(ValidationError, match=r"NQPF_PROGRAMME_JOB_ROWS: expected a whole"):
        Settings()
