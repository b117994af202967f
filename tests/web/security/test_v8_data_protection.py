"""ASVS 4.0.3 V8 (data protection) with V9/V14 headers: 8.2.1 no caching of one-time
secrets, 8.3.4 secrets stored as digests, 9.1.1 HSTS over HTTPS, 14.3.3 no server banner."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.security.helpers import other_app

from nqpf.cli import web as cli_web
from nqpf.web.models import PasswordReset, User

ONE_YEAR = "max-age=31536000"


def test_hsts_in_production_over_https_only(db_url):
    with other_app(db_url, env="production", secret_key="p" * 32) as app:
        with TestClient(app, base_url="https://testserver") as https:
            assert https.get("/login").headers["strict-transport-security"] == ONE_YEAR
        with TestClient(app) as http:
            assert "strict-transport-security" not in http.get("/login").headers


def test_hsts_behind_a_trusted_tls_proxy(db_url):
    with other_app(db_url, env="production", secret_key="p" * 32,
                   trusted_proxies=["10.0.0.0/8"]) as app:  # fmt: skip
        proxy = TestClient(app, client=("10.0.0.3", 1))
        r = proxy.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert r.headers["strict-transport-security"] == ONE_YEAR
        # the same header from anyone else proves nothing
        stranger = TestClient(app, client=("203.0.113.1", 1))
        r = stranger.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers


def test_no_hsts_by_default_outside_production(client):
    assert "strict-transport-security" not in client.get("/login").headers


def test_nqpf_serve_sends_no_server_banner():
    # uvicorn's default "server: uvicorn" header is off; forwarded headers are the app's
    assert cli_web._UVICORN_SECURITY == {"server_header": False, "proxy_headers": False}


def test_one_time_secrets_are_not_cached(app, login, world):
    admin = login(world.emails["ent_admin"])
    with app.state.session_factory() as s:
        uid = s.scalars(select(User.id).where(User.email == world.emails["ent_member"])).one()
    org = world.orgs["ent_sz"]
    r = admin.post(f"/admin/organizations/{org}/members/{uid}/reset-link",
                   data={"csrf_token": admin.csrf})  # fmt: skip
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    link = r.text.split('class="reset-link">')[1].split("<")[0]
    with app.state.session_factory() as s:
        stored = s.scalars(select(PasswordReset.token_hash)).one()
    token = link.rsplit("/", 1)[1]
    assert len(stored) == 64 and token not in stored  # only the digest is kept


def test_totp_secrets_never_leave_in_pages_after_enrolment(login, world):
    page = login(world.emails["sz_officer"]).get("/account")
    assert "totp-secret" not in page.text and "已启用" in page.text
