"""ASVS 4.0.3 V7 (errors and logging): 7.1.3/7.2.1/7.2.2 authentication events logged
(failed sign-ins, failed codes, lockouts, resets) without secrets, shown in Chinese, seen
by the organization's admins; 7.4.1 errors without internals."""

from __future__ import annotations

from tests.web.security.helpers import PASSWORD, events, post_form, post_login
from tests.web.world import PASSWORD as WORLD_PASSWORD


def test_failed_sign_ins_appear_in_the_audit_log(app, client, login, world):
    email = world.emails["ent_member"]
    for _ in range(5):
        post_login(client, email, "wrong-password-1")
    post_login(client, "nobody@nqpf.test", "wrong-password-2")
    failed = events(app, "sign_in_failed")
    assert len(failed) == 6
    mine = [e for e in failed if e.after["email"] == email]
    assert len(mine) == 5 and all(e.organization_id == world.orgs["ent_sz"] for e in mine)
    assert all(e.after["client"] == "testclient" and e.actor_id is None for e in failed)
    (lock,) = events(app, "lockout")
    assert lock.after["scope"] == "account_ip" and lock.after["failures"] == 5
    assert 0 < lock.after["seconds"] <= 30
    text = str([(e.before, e.after) for e in [*failed, lock]])
    assert "wrong-password" not in text and WORLD_PASSWORD not in text
    # the enterprise's admin reads them, in Chinese, on the audit page
    page = login(world.emails["ent_admin"]).get("/admin/audit")
    assert page.status_code == 200
    assert page.text.count("登录失败") >= 5 and "账户暂时锁定" in page.text


def test_failed_codes_and_recovery_use_are_logged(app, client, world):
    post_login(client, world.emails["sz_officer"], PASSWORD)
    post_form(client, "/login/totp", {"code": "000000"})
    (event,) = events(app, "second_factor_failed")
    assert event.after["email"] == world.emails["sz_officer"]
    assert "000000" not in str(event.after)


def test_another_organizations_admin_does_not_see_the_failures(client, login, world):
    post_login(client, world.emails["ent_member"], "wrong-password-1")
    page = login(world.emails["su_ent_admin"]).get("/admin/audit")
    assert "登录失败" not in page.text.split("<tbody>", 1)[-1]


def test_error_pages_reveal_no_internals(client, login, world):
    c = login(world.emails["ent_admin"])
    for url in ("/enterprises/999999", "/api/v1/enterprises/999999", "/reset/" + "x" * 30):
        r = c.get(url, follow_redirects=False)
        assert r.status_code in (403, 404)
        assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()
