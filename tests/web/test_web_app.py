"""The FastAPI app: health check and deny-by-default bearer authentication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nqpf.web.db import head_revision

pytest.importorskip("fastapi", reason="the platform tests need the 'web' extra (FastAPI)")

from fastapi.testclient import TestClient

from nqpf.web.config import Settings
from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.main import create_app
from nqpf.web.models import ApiToken, Membership, Organization, User
from nqpf.web.security import generate_token, hash_password, hash_token


@pytest.fixture
def seeded(migrated_url: str) -> dict[str, str]:
    """Two organizations, a member of the first, a platform admin; tokens by name."""
    tokens = {name: generate_token() for name in ("member", "admin", "revoked", "expired")}
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as session:
        park = Organization(name="示范园区管委会", kind="authority", region_scope="440300")
        firm = Organization(name="某制造企业", kind="enterprise")
        member = User(email="m@example.cn", display_name="成员", password_hash=hash_password("pw"))
        admin = User(
            email="a@example.cn",
            display_name="平台管理员",
            password_hash=hash_password("pw"),
            is_platform_admin=True,
        )
        session.add_all([park, firm, member, admin])
        session.flush()
        session.add(Membership(user_id=member.id, organization_id=park.id, role="member"))
        past = datetime.now(UTC) - timedelta(hours=1)
        session.add_all(
            [
                ApiToken(user_id=member.id, token_hash=hash_token(tokens["member"])),
                ApiToken(user_id=admin.id, token_hash=hash_token(tokens["admin"])),
                ApiToken(user_id=admin.id, token_hash=hash_token(tokens["revoked"]), revoked=True),
                ApiToken(
                    user_id=admin.id, token_hash=hash_token(tokens["expired"]), expires_at=past
                ),
            ]
        )
        session.commit()
    engine.dispose()
    return tokens


@pytest.fixture
def client(migrated_url: str):
    with TestClient(create_app(Settings(database_url=migrated_url))) as test_client:
        yield test_client


def test_healthz(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _get(client: TestClient, token: str | None = None, scheme: str = "Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.get("/api/v1/organizations", headers=headers)


def test_organizations_need_a_token(client: TestClient):
    response = _get(client)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("name", ["unknown", "revoked", "expired"])
def test_organizations_refuse_bad_tokens(client: TestClient, seeded: dict[str, str], name):
    assert _get(client, seeded.get(name, "no-such-token")).status_code == 401


def test_organizations_refuse_other_schemes(client: TestClient, seeded: dict[str, str]):
    assert _get(client, seeded["admin"], scheme="Basic").status_code == 401


def test_member_sees_own_organizations(client: TestClient, seeded: dict[str, str]):
    response = _get(client, seeded["member"])
    assert response.status_code == 200
    assert response.json() == [
        {"id": 1, "name": "示范园区管委会", "kind": "authority", "region_scope": "440300"}
    ]


def test_platform_admin_sees_all(client: TestClient, seeded: dict[str, str]):
    response = _get(client, seeded["admin"])
    assert response.status_code == 200
    assert [o["name"] for o in response.json()] == ["示范园区管委会", "某制造企业"]


def test_inactive_user_is_refused(client: TestClient, seeded: dict[str, str], migrated_url):
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as session:
        session.get(User, 1).is_active = False
        session.commit()
    engine.dispose()
    assert _get(client, seeded["member"]).status_code == 401


def test_cli_serve_migrates_then_runs_on_localhost(invoke, sqlite_url, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = invoke(["serve", "--database-url", sqlite_url, "--port", "8123"])
    assert result.code == 0, (result.stdout, result.stderr)
    assert f"at revision {head_revision()}" in result.stdout
    [(app, kwargs)] = calls
    assert kwargs == {
        "host": "127.0.0.1",
        "port": 8123,
        "server_header": False,  # issue 17: no server banner
        "proxy_headers": False,  # forwarded headers judged by the app (NQPF_TRUSTED_PROXIES)
    }
    with TestClient(app) as test_client:
        assert test_client.get("/healthz").status_code == 200
        assert test_client.get("/api/v1/organizations").status_code == 401


def test_cli_serve_with_workers_hands_the_factory_to_uvicorn(invoke, sqlite_url, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    # set (and so restored after the test) before serve overwrites it for its workers
    monkeypatch.setenv("NQPF_DATABASE_URL", "sqlite:///elsewhere.db")
    result = invoke(["serve", "--database-url", sqlite_url, "--workers", "2"])
    assert result.code == 0, (result.stdout, result.stderr)
    [(app, kwargs)] = calls
    assert app == "nqpf.web.main:create_app"
    assert kwargs == {
        "factory": True,
        "host": "127.0.0.1",
        "port": 8000,
        "workers": 2,
        "server_header": False,
        "proxy_headers": False,
    }
    import os

    assert os.environ["NQPF_DATABASE_URL"] == sqlite_url  # what the workers will read
