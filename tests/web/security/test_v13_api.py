"""ASVS 4.0.3 V13 (API): 13.1.x documents served locally and optionally private,
13.2.x token lifetime and scopes enforced on every route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.web.security.helpers import PASSWORD, other_app

from nqpf.web.models import ApiToken

API = "/api/v1"


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href|spec-url|data-openapi-url)="([^"]+)"', html)


def test_docs_reference_no_external_host(client):
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200
        refs = _references(r.text)
        assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs)
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script>" not in r.text  # no inline script: the CSP would block it
        for ref in refs:
            assert client.get(ref).status_code == 200, ref
    assert "validatorUrl: null" in client.get("/static/apidocs.js").text
    assert client.get("/openapi.json").json()["info"]["title"] == "nqpf 平台"


def test_openapi_can_be_private(db_url, world):
    with other_app(db_url, openapi_public=False) as app, TestClient(app) as c:
        assert c.get("/openapi.json").status_code == 401
        r = c.get("/docs", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        token = c.post(
            f"{API}/auth/token", json={"email": world.emails["ent_admin"], "password": PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        assert c.get("/openapi.json", headers=headers).status_code == 200


def test_openapi_is_private_in_production_by_default(db_url):
    with other_app(db_url, env="production", secret_key="p" * 32) as app, TestClient(app) as c:
        assert c.get("/openapi.json").status_code == 401


def test_tokens_are_short_lived_by_default_and_bounded(app, client, world):
    body = {"email": world.emails["ent_admin"], "password": PASSWORD}
    r = client.post(f"{API}/auth/token", json=body)
    assert r.status_code == 201 and r.json()["scopes"] == ["read"]
    expires = datetime.fromisoformat(r.json()["expires_at"])
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    assert abs(expires - datetime.now(UTC) - timedelta(hours=8)) < timedelta(minutes=1)
    r = client.post(f"{API}/auth/token", json={**body, "days": 30})
    expires = datetime.fromisoformat(r.json()["expires_at"]).replace(tzinfo=UTC)
    assert abs(expires - datetime.now(UTC) - timedelta(days=30)) < timedelta(minutes=1)


def test_expired_and_scoped_tokens_are_refused(app, client, world):
    body = {"email": world.emails["ent_admin"], "password": PASSWORD, "scopes": ["read"]}
    token = client.post(f"{API}/auth/token", json=body).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    r = client.patch(f"{API}/enterprises/{world.orgs['ent_sz']}", json={"name": "改名"},
                     headers=headers)  # fmt: skip
    assert r.status_code == 403 and r.json()["field"] == "scopes"
    with app.state.session_factory() as s:
        s.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    r = client.get(f"{API}/me", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_every_api_route_checks_the_scope(app):
    """Every API route depends on the actor, where the scope is checked (no route
    authenticates a token any other way)."""
    from fastapi.routing import APIRoute

    from nqpf.web.deps import get_actor

    def depends_on_actor(dependant) -> bool:
        return any(d.call is get_actor or depends_on_actor(d) for d in dependant.dependencies)

    public = {"/api/v1/auth/token"}
    unchecked = [
        r.path
        for r in app.routes
        if isinstance(r, APIRoute) and r.path.startswith("/api/")
        and r.path not in public and not depends_on_actor(r.dependant)
    ]  # fmt: skip
    assert unchecked == []
