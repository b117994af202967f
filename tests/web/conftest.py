"""Fixtures of the platform tests: a clean ``NQPF_*`` environment and a migrated SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.browser_support import (  # noqa: F401  (fixtures and hook of the browser tests)
    browser_type_launch_args,
    live_server,
    pytest_collection_modifyitems,
)


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
def migrated_url(sqlite_url: str, sqlite_template: Path) -> str:
    """``sqlite_url`` holding a copy of the migrated template: the file ``upgrade_database``
    writes, without migrating again for every test."""
    import shutil

    from sqlalchemy.engine import make_url

    target = Path(make_url(sqlite_url).database)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template, target)
    return sqlite_url


@pytest.fixture(scope="session")
def postgres(worker_id: str):
    """A PostgreSQL server for this test process with a migrated template database.

    Started from the installed binaries (``tests/web/postgres_server.py``), or the server
    at ``NQPF_TEST_POSTGRES_URL``; skipped with the reason when neither is available.
    """
    from tests.web.postgres_server import postgres_for_tests, postgres_unavailable_reason

    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    from nqpf.web.db import upgrade_database

    with postgres_for_tests() as server:
        template = f"nqpf_template_{worker_id}"
        server.drop_database(template)
        upgrade_database(server.create_database(template))
        yield server, template
        server.drop_database(template)


_db_counter = iter(range(10**9))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test costs ~0.5 s)."""
    from nqpf.web.db import upgrade_database

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_database(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str, worker_id: str):
    """URL of a migrated, empty platform database: every test using it runs twice, on
    SQLite and on PostgreSQL (a fresh database copied from a migrated template)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("migrated_url")
        return
    server, template = request.getfixturevalue("postgres")
    name = f"nqpf_test_{worker_id}_{next(_db_counter)}"
    from tests.web.postgres_server import _run_admin_sql

    _run_admin_sql(server.url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield f"{server.url.rsplit('/', 1)[0]}/{name}"
    server.drop_database(name)


@pytest.fixture
def app(db_url: str):
    from nqpf.web.config import Settings
    from nqpf.web.main import create_app

    application = create_app(Settings(database_url=db_url, env="test", secret_key="t" * 32))
    yield application
    application.state.engine.dispose()  # PostgreSQL cannot drop a database still in use


@pytest.fixture
def world(app):
    """The seeded :class:`tests.web.world.World` in the app's database; the users whose
    role requires two-factor sign-in are enrolled (tests/web/security/totp_support.py)."""
    from tests.web.security.totp_support import enrol_required
    from tests.web.world import seed_world

    with app.state.session_factory() as session:
        world = seed_world(session)
        enrol_required(session, app.state.settings)
        return world


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
def token_for(app, client):
    """``token_for(email)`` → headers with a fresh bearer token of that user (every scope;
    with the two-factor code when the user has one)."""
    from tests.web.security.totp_support import fresh_code, needs_code
    from tests.web.world import PASSWORD

    def _token(email: str) -> dict[str, str]:
        body = {"email": email, "password": PASSWORD, "scopes": ["read", "write", "admin"]}
        if needs_code(app.state.session_factory, email):
            body["totp_code"] = fresh_code(app.state.session_factory, email)
        r = client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return _token
