"""Signing in and out: session cookies, CSRF, lockout, bearer tokens, headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.web.browser_session import form_csrf
from tests.web.world import PASSWORD

from nqpf.web.config import Settings
from nqpf.web.main import create_app
from nqpf.web.models import AuditEvent, LoginAttempt, WebSession


def _post_login(client: TestClient, email: str, password: str, **extra):
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": form_csrf(page.text), **extra}
    return client.post("/login", data=data, follow_redirects=False)


def _count(app, model, *where) -> int:
    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_sign_in_sets_a_safe_cookie_and_audits(app, client, world):
    r = _post_login(client, world.emails["ent_admin"], PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "nqpf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # test env: http://127.0.0.1 must work
    assert _count(app, WebSession) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "sign_in") == 1
    assert client.get("/api/v1/me").json()["email"] == world.emails["ent_admin"]


def test_production_cookie_is_secure(db_url, world):
    app = create_app(Settings(database_url=db_url, env="production", secret_key="p" * 32))
    with TestClient(app, base_url="https://testserver") as client:
        r = _post_login(client, world.emails["ent_admin"], PASSWORD)
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]
    app.state.engine.dispose()


def test_wrong_password_and_unknown_user_look_the_same(client, world):
    wrong = _post_login(client, world.emails["ent_admin"], "not-the-password")
    unknown = _post_login(client, "nobody@nqpf.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码错误" in wrong.text and "邮箱或密码错误" in unknown.text
    assert "nqpf_session" not in wrong.headers.get("set-cookie", "")


def test_login_form_needs_its_csrf_token(client, world):
    r = client.post(
        "/login",
        data={"email": world.emails["ent_admin"], "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "nqpf_session" not in r.headers.get("set-cookie", "")


def test_next_only_redirects_within_the_site(client, world):
    for target, expected in (
        ("/enterprises", "/enterprises"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ):
        client.cookies.clear()
        r = _post_login(client, world.emails["ent_admin"], PASSWORD, next=target)
        assert r.headers["location"] == expected, target


def test_rate_limit_blocks_after_failures_then_expires(app, client, world):
    email = world.emails["ent_member"]
    for _ in range(5):
        assert _post_login(client, email, "wrong").status_code == 401
    blocked = _post_login(client, email, PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "登录失败次数过多" in blocked.text
    # the API token exchange shares the limit
    api = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert api.status_code == 429 and "retry-after" in api.headers
    # the same client signing in to another account is not blocked (issue 17: an office
    # NAT address must not lock everyone out)
    assert _post_login(client, world.emails["ent_admin"], PASSWORD).status_code == 303
    # once the window has passed the right password works again
    with app.state.session_factory() as s:
        s.execute(update(LoginAttempt).values(at=datetime.now(UTC) - timedelta(minutes=16)))
        s.commit()
    client.cookies.clear()
    assert _post_login(client, email, PASSWORD).status_code == 303


def test_csrf_is_required_for_cookie_writes(login, world):
    c = login(world.emails["ent_admin"])
    token = c.headers.pop("X-CSRF-Token")
    eid = world.orgs["ent_sz"]
    body = {"framework": "sme-digital-2024"}
    missing = c.post(f"/api/v1/enterprises/{eid}/assessments", json=body)
    assert missing.status_code == 403 and missing.json()["field"] == "csrf_token"
    wrong = c.post(
        f"/api/v1/enterprises/{eid}/assessments", json=body, headers={"X-CSRF-Token": "x"}
    )
    assert wrong.status_code == 403
    ok = c.post(
        f"/api/v1/enterprises/{eid}/assessments", json=body, headers={"X-CSRF-Token": token}
    )
    assert ok.status_code == 201, ok.text
    # a form post carries it as a field
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303


def test_bearer_requests_need_no_csrf(client, world, token_for):
    headers = token_for(world.emails["ent_admin"])
    r = client.post(
        f"/api/v1/enterprises/{world.orgs['ent_sz']}/assessments",
        json={"framework": "sme-digital-2024"},
        headers=headers,
    )
    assert r.status_code == 201


def test_expired_session_must_sign_in_again(app, login, world):
    c = login(world.emails["ent_admin"])
    assert c.get("/api/v1/me").status_code == 200
    with app.state.session_factory() as s:
        s.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    assert c.get("/api/v1/me").status_code == 401
    page = c.get("/account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_sign_out_ends_the_session(app, login, world):
    c = login(world.emails["ent_admin"])
    assert c.post("/logout", follow_redirects=False).status_code == 303
    assert _count(app, WebSession) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "sign_out") == 1
    assert c.get("/api/v1/me").status_code == 401


def test_revoke_own_token(client, world, token_for):
    headers = token_for(world.emails["sz_officer"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_security_headers(client):
    r = client.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "default-src 'self'" in r.headers["content-security-policy"]
