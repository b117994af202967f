"""Schemathesis against the OpenAPI schema: no generated request may cause a 5xx.

Every operation is called with inputs generated from the schema, as the platform admin
(who may reach every object, so the calls get past authorisation into the services),
as an enterprise member, and without credentials.  Runs on SQLite; the PostgreSQL runs
of the other tests cover the database side.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from tests.web.security.totp_support import enrol_required, fresh_code, needs_code  # noqa: E402
from tests.web.world import PASSWORD, seed_world  # noqa: E402

from nqpf.web.config import Settings  # noqa: E402
from nqpf.web.main import create_app  # noqa: E402


def _operations() -> dict[str, object]:
    """Label → schemathesis operation, loaded once: every app of these tests has the same
    routes and settings, so the schema does not depend on the database; each case is sent
    to its own app (``case.call(app=…)``).  Loading the schema per case cost ~1 s."""
    app = create_app(Settings(database_url="sqlite://", env="test", secret_key="t" * 32))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = (op.ok() for op in schema.get_all_operations())
    return {op.label: op for op in operations}


OPERATIONS = _operations()


def _token(app, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "scopes": ["read", "write", "admin"]}
    if needs_code(app.state.session_factory, email):  # two-factor sign-in (issue 17)
        body["totp_code"] = fresh_code(app.state.session_factory, email)
    with TestClient(app) as client:
        r = client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


def _app(path: Path):
    return create_app(Settings(database_url=f"sqlite:///{path}", env="test", secret_key="t" * 32))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    """(database file, callers' headers): the migrated template with the world seeded, the
    two-factor users enrolled and the callers' tokens issued, made once for the module
    (~0.3 s a case); each case works on its own copy."""
    path = tmp_path_factory.mktemp("fuzz") / "seeded.db"
    shutil.copyfile(sqlite_template, path)
    app = _app(path)
    try:
        with app.state.session_factory() as session:
            seed_world(session)
            enrol_required(session, app.state.settings)
        callers = {
            "admin": _token(app, "admin@nqpf.test"),
            "enterprise": _token(app, "ent_admin@nqpf.test"),
            "anonymous": {},
        }
    finally:
        app.state.engine.dispose()
    return path, callers


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_no_server_errors(label: str, seeded, tmp_path: Path):
    # A fresh copy of the database per case: the generated POSTs and DELETEs of one case
    # must not change what the next one finds.
    path = tmp_path / "fuzz.db"
    shutil.copyfile(seeded[0], path)
    callers = seeded[1]
    app = _app(path)
    for who in ("admin", "enterprise"):  # the copied tokens sign in: the calls get past 401
        assert TestClient(app).get("/api/v1/me", headers=callers[who]).status_code == 200, who
    operation = OPERATIONS[label]

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(operation.as_strategy())
    def check(case):
        for who, headers in callers.items():
            response = case.call(app=app, headers=headers)
            assert response.status_code < 500, (
                who,
                label,
                case.formatted_path,
                response.text[:500],
            )

    try:
        check()
    finally:
        app.state.engine.dispose()
