"""ASVS 4.0.3 V2 (authentication): lockout, passwords, two-factor sign-in, reset links.

Requirements: 2.1.1/2.1.7/2.1.8 (length, breached and common passwords, strength
feedback), 2.2.1 (anti-automation without a denial of service for everyone behind one
address), 2.5.1/2.5.2 (temporary secrets, reset), 2.7/2.8 (one-time codes, TOTP replay),
2.6.2 (recovery codes hashed), 2.8.1 (time-based codes expire).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update
from tests.web.browser_session import form_csrf
from tests.web.security.helpers import PASSWORD, count, events, other_app, post_form, post_login
from tests.web.security.totp_support import fresh_code

from nqpf.web import passwords, totp
from nqpf.web.config import Settings
from nqpf.web.mail import reset_mail, smtp_mailer
from nqpf.web.models import LoginAttempt, PasswordReset, RecoveryCode, User
from nqpf.web.services.auth import lockout_delay

pytest.importorskip("pyotp", reason="the platform tests need the 'web' extra")


# -- 2.2.1 lockout -------------------------------------------------------------------------
def test_lockout_does_not_block_another_account_from_the_same_address(client, world):
    victim, colleague = world.emails["ent_member"], world.emails["ent_admin"]
    for _ in range(5):
        assert post_login(client, victim, "wrong-password").status_code == 401
    locked = post_login(client, victim)  # even the right password waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    # the same office address signs the colleague in
    assert post_login(client, colleague).status_code == 303


def test_account_lockout_spans_addresses_but_not_other_accounts(app, world):
    email = world.emails["ent_member"]
    # 20 failures from 20 addresses: each (account, address) pair stays below 5
    with app.state.session_factory() as s:
        s.add_all(
            LoginAttempt(email=email, client=f"198.51.100.{i}", succeeded=False) for i in range(20)
        )
        s.commit()
    with TestClientAt(app, "203.0.113.9") as fresh:
        assert post_login(fresh, email).status_code == 429
        assert post_login(fresh, world.emails["ent_admin"]).status_code == 303


def test_delays_grow_with_each_failure_up_to_the_window():
    assert lockout_delay(4, 5, 30, 900) == 0
    assert [lockout_delay(n, 5, 30, 900) for n in (5, 6, 7, 8)] == [30, 60, 120, 240]
    assert lockout_delay(40, 5, 30, 900) == 900


def test_a_locked_pair_waits_longer_after_each_further_failure(app, client, world):
    email = world.emails["ent_member"]
    for _ in range(5):
        post_login(client, email, "wrong-password")
    first = int(post_login(client, email).headers["retry-after"])
    # the wait passes; one more failure doubles the next wait
    with app.state.session_factory() as s:
        s.execute(update(LoginAttempt).values(at=datetime.now(UTC) - timedelta(seconds=31)))
        s.commit()
    assert post_login(client, email, "wrong-password").status_code == 401
    second = int(post_login(client, email).headers["retry-after"])
    assert first <= 30 < second <= 60


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(app, world):
    email = world.emails["ent_member"]
    with TestClientAt(app, "203.0.113.7") as c:
        for i in range(5):
            r = post_login(c, email, "wrong-password", _headers={"X-Forwarded-For": f"10.9.{i}.1"})
            assert r.status_code == 401
        assert post_login(c, email).status_code == 429  # all five counted on the peer
    with app.state.session_factory() as s:
        clients = set(s.scalars(select(LoginAttempt.client)))
    assert clients == {"203.0.113.7"}


def test_forwarded_for_is_read_from_a_trusted_proxy(db_url, world):
    email = world.emails["ent_member"]
    with other_app(db_url, trusted_proxies=["10.0.0.0/8"]) as app:
        with TestClientAt(app, "10.0.0.2") as proxy:
            for _ in range(5):
                post_login(proxy, email, "wrong-password",
                           _headers={"X-Forwarded-For": "spoofed, 198.51.100.4"})  # fmt: skip
            # another client behind the same proxy is a different (account, address)
            r = post_login(proxy, email, _headers={"X-Forwarded-For": "198.51.100.5"})
            assert r.status_code == 303
        with app.state.session_factory() as s:
            clients = set(s.scalars(select(LoginAttempt.client)))
        assert clients == {"198.51.100.4", "198.51.100.5"}


# -- 2.1 passwords -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "weak", ["password1234", "qwertyuiop12", "woaini5201314", "1234567890", "aaaaaaaaaaaa"]
)
def test_common_and_patterned_passwords_are_refused_in_chinese(weak):
    verdict = passwords.check(weak)
    assert not verdict.ok and verdict.score is not None and verdict.score < 3
    assert "密码太容易被猜中" in verdict.message
    assert not re.search(r"[A-Za-z]{4,} [a-z]{2,}", verdict.message)  # no English left


def test_the_users_own_name_counts_against_the_password():
    assert passwords.check("zhangsanfeng2024").ok
    assert not passwords.check("zhangsanfeng2024", personal=["zhangsanfeng@example.cn"]).ok


def test_a_strong_password_passes_and_length_is_checked_first():
    assert passwords.check("quiet-lamp-river-42").ok
    assert passwords.check("short").message == "密码至少需要 10 个字符"


def test_a_weak_new_password_is_refused_by_the_api(login, world):
    c = login(world.emails["prov_member"])
    r = c.post("/api/v1/account/password",
               json={"old_password": PASSWORD, "new_password": "Password123!"})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "new_password"
    assert "常用密码" in r.json()["detail"]


# -- 2.5 temporary passwords and reset links ---------------------------------------------
def test_a_temporary_password_must_be_replaced_at_the_first_sign_in(app, client, login, world):
    uid = _user_id(app, world.emails["ent_member"])
    temporary = (
        login(world.emails["ent_admin"])
        .post(f"/api/v1/users/{uid}/password-reset")
        .json()["temporary_password"]
    )
    r = post_login(client, world.emails["ent_member"], temporary)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/password")
    assert client.get("/api/v1/me").status_code == 401  # nothing before the change
    r = post_form(client, "/login/password",
                  {"new_password": temporary, "new_password2": temporary})  # fmt: skip
    assert r.status_code == 422 and "临时密码相同" in r.text
    new = "lantern-orchid-basin-17"
    r = post_form(client, "/login/password", {"new_password": new, "new_password2": new})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/api/v1/me").json()["email"] == world.emails["ent_member"]
    with app.state.session_factory() as s:
        assert s.get(User, uid).must_change_password is False
    assert len(events(app, "change_temporary_password")) == 1


def test_an_admin_issued_reset_link_works_once(app, client, login, world):
    uid = _user_id(app, world.emails["ent_member"])
    victim = login(world.emails["ent_member"])
    r = login(world.emails["ent_admin"]).post(f"/api/v1/users/{uid}/password-reset-link")
    assert r.status_code == 200
    url = r.json()["reset_url"]
    path = url.removeprefix("http://testserver")
    assert path.startswith("/reset/") and len(path) > 40
    new = "copper-meadow-falcon-8"
    r = post_form(client, path, {"new_password": new, "new_password2": new})
    assert r.status_code == 303 and r.headers["location"] == "/login?reset=1"
    assert victim.get("/api/v1/me").status_code == 401  # the old sessions ended
    assert post_login(client, world.emails["ent_member"], new).status_code == 303
    assert client.get(path, follow_redirects=False).status_code == 403  # used
    with app.state.session_factory() as s:
        (row,) = s.scalars(select(PasswordReset))
        assert row.used_at is not None and url.rsplit("/", 1)[1] not in row.token_hash


def test_an_org_admin_cannot_issue_a_link_for_another_organization(app, login, world):
    uid = _user_id(app, world.emails["su_ent_admin"])
    r = login(world.emails["ent_admin"]).post(f"/api/v1/users/{uid}/password-reset-link")
    assert r.status_code == 404
    assert count(app, PasswordReset) == 0


def test_self_service_reset_mails_a_link_without_revealing_accounts(app, client, world):
    sent: list[EmailMessage] = []
    app.state.mailer = sent.append  # a local fake: no network
    for email in (world.emails["ent_member"], "nobody@nqpf.test"):
        r = post_form(client, "/reset", {"email": email})
        assert r.status_code == 200 and "请查收邮件" in r.text
    (message,) = sent
    assert message["To"] == world.emails["ent_member"]
    link = next(line for line in message.get_content().splitlines() if "/reset/" in line)
    assert client.get(link.strip().removeprefix("http://testserver")).status_code == 200


def test_without_smtp_the_reset_page_points_to_the_admin(client):
    assert "联系所在组织的管理员" in client.get("/login").text
    r = post_form(client, "/reset", {"email": "x@nqpf.test"})
    assert r.status_code == 403


def test_the_smtp_mailer_uses_starttls_and_login():
    calls = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            calls.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            calls.append(("quit",))

        def starttls(self):
            calls.append(("starttls",))

        def login(self, user, password):
            calls.append(("login", user, password))

        def send_message(self, message):
            calls.append(("send", message["To"]))

    settings = Settings(smtp_host="mail.example.cn", smtp_user="u", smtp_password="p")
    send = smtp_mailer(settings, smtp_class=FakeSMTP)
    send(reset_mail(settings, "a@example.cn", "https://nqpf.example.cn/reset/x"))
    assert calls == [("connect", "mail.example.cn", 587), ("starttls",), ("login", "u", "p"),
                     ("send", "a@example.cn"), ("quit",)]  # fmt: skip
    assert smtp_mailer(Settings()) is None


# -- 2.7 / 2.8 two-factor sign-in ----------------------------------------------------------
def test_totp_is_required_for_officers(app, client, world):
    email = world.emails["sz_officer"]
    with app.state.session_factory() as s:  # an officer who has not set it up yet
        user = s.scalars(select(User).where(User.email == email)).one()
        user.totp_secret = user.totp_enabled_at = None
        s.commit()
    r = post_login(client, email)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/enrol")
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/login/enrol")
    assert 'src="data:image/svg+xml' in page.text and "/login/enrol" in page.text
    with app.state.session_factory() as s:
        stored = s.scalars(select(User.totp_secret).where(User.email == email)).one()
    secret = totp.open_secret(stored, app.state.settings.secret_key)
    wrong = client.post("/login/enrol", data={"code": "000000", "csrf_token": form_csrf(page.text)})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.text
    code = totp.code_for_step(secret, totp.current_step())
    done = client.post("/login/enrol", data={"code": code, "csrf_token": form_csrf(page.text)})
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    assert done.text.count("<li><code>") == totp.RECOVERY_CODES
    assert client.get("/api/v1/me").json()["email"] == email
    assert count(app, RecoveryCode) == totp.RECOVERY_CODES


def test_tokens_for_officers_need_the_code(app, client, world):
    email = world.emails["sz_officer"]
    body = {"email": email, "password": PASSWORD}
    r = client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 401 and r.json()["field"] == "totp_code"
    code = fresh_code(app.state.session_factory, email)
    assert client.post("/api/v1/auth/token", json={**body, "totp_code": code}).status_code == 201
    # the same code again is a replay
    r = client.post("/api/v1/auth/token", json={**body, "totp_code": code})
    assert r.status_code == 401


def test_a_code_is_accepted_once(app, client, world):
    email = world.emails["sz_officer"]
    code = fresh_code(app.state.session_factory, email)
    assert post_login(client, email).headers["location"].startswith("/login/totp")
    assert post_form(client, "/login/totp", {"code": code}).status_code == 303
    client.cookies.clear()
    post_login(client, email)
    r = post_form(client, "/login/totp", {"code": code})
    assert r.status_code == 401 and "只能使用一次" in r.text
    assert events(app, "second_factor_failed")


def test_a_recovery_code_works_once(app, client, login, world):
    email = world.emails["sz_officer"]
    officer = login(email)
    page = officer.get("/account")
    r = officer.post("/account/totp/recovery-codes",
                     data={"code": fresh_code(app.state.session_factory, email),
                           "csrf_token": form_csrf(page.text)})  # fmt: skip
    assert r.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", r.text)
    assert len(codes) == totp.RECOVERY_CODES
    post_login(client, email)
    assert post_form(client, "/login/totp", {"code": codes[0].upper()}).status_code == 303
    client.cookies.clear()
    post_login(client, email)
    assert post_form(client, "/login/totp", {"code": codes[0]}).status_code == 401
    assert post_form(client, "/login/totp", {"code": codes[1]}).status_code == 303
    with app.state.session_factory() as s:
        stored = set(s.scalars(select(RecoveryCode.code_hash)))
    assert totp.hash_recovery_code(codes[2]) in stored and codes[2] not in str(stored)


def test_guessing_codes_locks_the_account(app, client, world):
    email = world.emails["sz_officer"]
    post_login(client, email)
    for _ in range(5):
        assert post_form(client, "/login/totp", {"code": "123456"}).status_code in (401, 429)
    assert post_form(client, "/login/totp", {"code": "123456"}).status_code == 429
    assert events(app, "lockout")


def test_enterprise_users_may_enrol_and_disable(app, login, world):
    email = world.emails["ent_member"]
    c = login(email)
    page = c.get("/account/totp")
    assert page.status_code == 200
    with app.state.session_factory() as s:
        stored = s.scalars(select(User.totp_secret).where(User.email == email)).one()
    secret = totp.open_secret(stored, app.state.settings.secret_key)
    code = totp.code_for_step(secret, totp.current_step())
    r = c.post("/account/totp", data={"code": code, "csrf_token": c.csrf})
    assert r.status_code == 200 and "两步验证已启用" in r.text
    assert "已启用" in c.get("/account").text
    r = c.post("/account/totp/disable", data={"password": PASSWORD, "csrf_token": c.csrf},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with app.state.session_factory() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        assert user.totp_secret is None and user.totp_enabled_at is None


def test_officers_cannot_disable_it(login, world):
    c = login(world.emails["sz_officer"])
    r = c.post("/account/totp/disable", data={"password": PASSWORD, "csrf_token": c.csrf})
    assert r.status_code == 403


# -- helpers -------------------------------------------------------------------------------
def _user_id(app, email: str) -> int:
    with app.state.session_factory() as s:
        return s.scalars(select(User.id).where(User.email == email)).one()


class TestClientAt:
    """A TestClient whose TCP peer is ``address``; ``post_login(..., _headers=…)`` adds
    request headers."""

    __test__ = False

    def __init__(self, app, address: str) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app, client=(address, 40000))

    def __enter__(self):
        self.client.__enter__()
        return _HeaderClient(self.client)

    def __exit__(self, *exc):
        self.client.__exit__(*exc)


class _HeaderClient:
    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def post(self, url, *, data=None, follow_redirects=False, **kw):
        headers = (data or {}).pop("_headers", None)
        return self._client.post(url, data=data, follow_redirects=follow_redirects,
                                 headers=headers, **kw)  # fmt: skip
