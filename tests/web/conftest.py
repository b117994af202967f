"""Fixtures of the platform tests: a clean ``NQPF_*`` environment and a migrated SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _clean_nqpf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``NQPF_*`` setting leaks in from the caller; the user data dir is a temp dir."""
    for name in ("NQPF_ENV", "NQPF_SECRET_KEY", "NQPF_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a not yet existing SQLite file in a not yet existing folder."""
    return f"sqlite:///{(tmp_path / 'db' / 'nqpf.db').as_posix()}"


@pytest.fixture
def migrated_url(sqlite_url: str) -> str:
    from nqpf.web.db import upgrade_database

    upgrade_database(sqlite_url)
    return sqlite_url
