"""ASVS 4.0.3 V3 (session management).

3.2.1 a new session token at sign-in; 3.3.1 sign-out and resets end sessions; 3.4.1–3.4.3
cookie attributes; 3.7.1 a sign-in still owing a step grants nothing (the second factor,
a temporary password, a required two-factor set-up).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from tests.web.security.helpers import count, post_form, post_login
from tests.web.security.totp_support import fresh_code

from nqpf.web.models import WebSession
from nqpf.web.services.auth import PENDING_MINUTES


def test_a_sign_in_owing_its_second_factor_grants_nothing(app, client, world):
    r = post_login(client, world.emails["sz_officer"], next="/dashboard")
    assert r.headers["location"] == "/login/totp?next=/dashboard"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=lax" in r.headers["set-cookie"]
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/enterprises", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # /login resumes the step instead of asking for the password again
    resume = client.get("/login", follow_redirects=False)
    assert resume.headers["location"].startswith("/login/totp")
    with app.state.session_factory() as s:
        (row,) = s.scalars(select(WebSession))
        assert row.stage == "totp"
        left = row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(0) < left <= timedelta(minutes=PENDING_MINUTES)


def test_finishing_the_step_gives_the_full_lifetime(app, client, world):
    email = world.emails["sz_officer"]
    post_login(client, email, next="/dashboard")
    code = fresh_code(app.state.session_factory, email)
    r = post_form(client, "/login/totp?next=/dashboard", {"code": code, "next": "/dashboard"})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    with app.state.session_factory() as s:
        (row,) = s.scalars(select(WebSession))
        left = row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)
    assert row.stage == "full"
    assert timedelta(hours=7.9) < left <= timedelta(hours=8)


def test_an_expired_pending_sign_in_must_start_again(app, client, world):
    email = world.emails["sz_officer"]
    post_login(client, email)
    with app.state.session_factory() as s:
        s.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    code = fresh_code(app.state.session_factory, email)
    page = client.get("/login/totp", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    r = client.post("/login/totp", data={"code": code, "csrf_token": "x"})
    assert r.status_code == 403


def test_each_sign_in_gets_a_new_session_token(client, world):
    email = world.emails["ent_admin"]
    first = post_login(client, email).cookies.get("nqpf_session")
    client.cookies.clear()
    second = post_login(client, email).cookies.get("nqpf_session")
    assert first and second and first != second


def test_a_step_form_needs_its_csrf_token(client, world):
    post_login(client, world.emails["sz_officer"])
    r = client.post("/login/totp", data={"code": "123456", "csrf_token": "forged"})
    assert r.status_code == 403


def test_an_admin_reset_ends_every_session_of_the_user(app, login, world):
    victim = login(world.emails["ent_member"])
    with app.state.session_factory() as s:
        uid = s.scalars(select(WebSession.user_id)).first()
    assert count(app, WebSession, WebSession.user_id == uid) == 1
    admin = login(world.emails["ent_admin"])
    assert admin.post(f"/api/v1/users/{uid}/totp-reset").status_code == 200
    assert victim.get("/api/v1/me").status_code == 401
