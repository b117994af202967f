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


@pytest.fixture
def db_url(migrated_url: str) -> str:
    """URL of a migrated, empty platform database (SQLite; PostgreSQL where marked)."""
    return migrated_url


@pytest.fixture
def app(db_url: str):
    from nqpf.web.config import Settings
    from nqpf.web.main import create_app

    return create_app(Settings(database_url=db_url, env="test", secret_key="t" * 32))


@pytest.fixture
def world(app):
    """The seeded :class:`tests.web.world.World` in the app's database."""
    from tests.web.world import seed_world

    with app.state.session_factory() as session:
        return seed_world(session)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def login(app):
    """``login(name)`` → a TestClient signed in as the world's user ``name`` (browser
    session; ``.csrf`` holds its CSRF token for unsafe requests)."""
    from fastapi.testclient import TestClient
    from tests.web.browser_session import sign_in

    clients = []

    def _login(email: str, password: str | None = None):
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        sign_in(c, email, password)
        return c

    yield _login
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def token_for(client):
    """``token_for(email)`` → headers with a fresh bearer token of that user."""
    from tests.web.world import PASSWORD

    def _token(email: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return _token
