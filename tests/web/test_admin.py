"""Administration: organizations, members, roles, activation and passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.web.world import PASSWORD

from nqpf.codes import validate_region_prefix
from nqpf.exceptions import DataValidationError
from nqpf.web.errors import FieldError
from nqpf.web.models import ApiToken, AuditEvent, Membership, Organization, User, WebSession
from nqpf.web.security import verify_password
from nqpf.web.services import accounts, auth

API = "/api/v1"
XSS = "<script>alert(1)</script>"
SQLI = "'; DROP TABLE organization; --"


def _count(app, model) -> int:
    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _user(app, email: str) -> User:
    with app.state.session_factory() as s:
        return s.scalars(select(User).where(User.email == email)).one()


# -- organizations -------------------------------------------------------------------------


def test_platform_admin_creates_organizations(app, world, token_for, client):
    h = token_for(world.emails["admin"])
    r = client.post(
        f"{API}/organizations",
        json={"name": "新区管委会", "kind": "authority", "region_scope": "440305"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["region_scope"] == "440305" and body["member_count"] == 0
    assert client.get(f"{API}/organizations/{body['id']}", headers=h).json()["name"] == "新区管委会"
    (event,) = _events(app, "create")[-1:]
    assert event.object_type == "organization" and event.after["region_scope"] == "440305"
    r = client.post(f"{API}/organizations", json={"name": SQLI, "kind": "provider"}, headers=h)
    assert r.status_code == 201 and r.json()["name"] == SQLI


def test_organization_rules(app, world, token_for, client):
    h = token_for(world.emails["admin"])
    before = _count(app, Organization)
    for scope, ok in [
        ("", False),
        ("4", False),
        ("440", False),
        ("99", False),
        ("4403ab", False),
        ("44", True),
        ("4403", True),
        ("440305", True),
        ("440305001", True),
        ("440305001001", True),
        ("4403050010011", False),
    ]:
        body = {"name": "X", "kind": "authority", "region_scope": scope}
        r = client.post(f"{API}/organizations", json=body, headers=h)
        assert (r.status_code == 201) == ok, (scope, r.text)
        if not ok:
            assert r.status_code == 422 and r.json()["field"].endswith("region_scope")
    r = client.post(
        f"{API}/organizations",
        json={"name": "E", "kind": "enterprise", "region_scope": "44"},
        headers=h,
    )
    assert r.status_code == 422
    r = client.post(f"{API}/organizations", json={"name": "  ", "kind": "provider"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "name"
    assert _count(app, Organization) == before + 5
    # only the platform admin creates organizations
    r = client.post(
        f"{API}/organizations",
        json={"name": "X", "kind": "provider"},
        headers=token_for(world.emails["sz_admin"]),
    )
    assert r.status_code == 403


def test_organization_visibility(world, token_for, client):
    h = token_for(world.emails["ent_admin"])
    assert client.get(f"{API}/organizations/{world.orgs['ent_sz']}", headers=h).status_code == 200
    for other in ("ent_su", "auth_sz", "prov"):
        assert client.get(f"{API}/organizations/{world.orgs[other]}", headers=h).status_code == 404
        r = client.get(f"{API}/organizations/{world.orgs[other]}/members", headers=h)
        assert r.status_code == 404
    h = token_for(world.emails["sz_officer"])
    assert client.get(f"{API}/organizations/{world.orgs['auth_su']}", headers=h).status_code == 404
    assert client.get(f"{API}/organizations/999999", headers=h).status_code == 404
    members = client.get(f"{API}/organizations/{world.orgs['auth_sz']}/members", headers=h).json()
    assert {m["email"] for m in members} == {world.emails["sz_officer"], world.emails["sz_admin"]}


# -- members -------------------------------------------------------------------------------


def test_org_admin_adds_users_to_own_org_only(app, world, token_for, client):
    h = token_for(world.emails["ent_admin"])
    new = {
        "email": "  New.User@Example.CN ",
        "display_name": XSS,
        "password": "quiet-lamp-river-42",
        "role": "member",
    }
    r = client.post(f"{API}/organizations/{world.orgs['ent_sz']}/members", json=new, headers=h)
    assert r.status_code == 422  # the pattern refuses surrounding spaces in the API
    new["email"] = "New.User@Example.CN"
    r = client.post(f"{API}/organizations/{world.orgs['ent_sz']}/members", json=new, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "new.user@example.cn" and r.json()["display_name"] == XSS
    user = _user(app, "new.user@example.cn")
    assert verify_password(user.password_hash, "quiet-lamp-river-42")
    creates = [e for e in _events(app, "create") if e.object_type == "user"]
    assert creates and "password_hash" not in str(creates[-1].after)
    assert "quiet-lamp-river-42" not in str(creates[-1].after)
    # duplicate e-mail (any case) → 409, nothing written
    users, members = _count(app, User), _count(app, Membership)
    dup = dict(new, email="NEW.user@example.cn")
    r = client.post(f"{API}/organizations/{world.orgs['ent_sz']}/members", json=dup, headers=h)
    assert r.status_code == 409 and r.json()["field"] == "email"
    assert (_count(app, User), _count(app, Membership)) == (users, members)
    # another organization: 404; own org as a plain member: 403
    r = client.post(
        f"{API}/organizations/{world.orgs['ent_su']}/members",
        json=dict(new, email="x@example.cn"),
        headers=h,
    )
    assert r.status_code == 404
    r = client.post(
        f"{API}/organizations/{world.orgs['ent_sz']}/members",
        json=dict(new, email="y@example.cn"),
        headers=token_for(world.emails["ent_member"]),
    )
    assert r.status_code == 403
    assert (_count(app, User), _count(app, Membership)) == (users, members)
    # short password
    r = client.post(
        f"{API}/organizations/{world.orgs['ent_sz']}/members",
        json=dict(new, email="z@example.cn", password="short"),
        headers=h,
    )
    assert r.status_code == 422


def test_add_existing_user_by_email(app, world, token_for, client):
    h = token_for(world.emails["admin"])
    url = f"{API}/organizations/{world.orgs['prov2']}/members"
    r = client.post(
        url, json={"email": world.emails["prov_member"].upper(), "role": "admin"}, headers=h
    )
    assert r.status_code == 201 and r.json()["role"] == "admin"
    r = client.post(url, json={"email": world.emails["prov_member"]}, headers=h)
    assert r.status_code == 409 and r.json()["field"] == "email"
    r = client.post(url, json={"email": "nobody@example.cn"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "email"
    (event,) = _events(app, "add_member")
    assert event.organization_id == world.orgs["prov2"] and event.after["role"] == "admin"


def test_roles_and_last_admin(app, world, token_for, client):
    h = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    admin_id = _user(app, world.emails["ent_admin"]).id
    member_id = _user(app, world.emails["ent_member"]).id
    r = client.patch(
        f"{API}/organizations/{ent}/members/{admin_id}", json={"role": "member"}, headers=h
    )
    assert r.status_code == 409
    r = client.delete(f"{API}/organizations/{ent}/members/{admin_id}", headers=h)
    assert r.status_code == 409
    r = client.patch(
        f"{API}/organizations/{ent}/members/{member_id}", json={"role": "admin"}, headers=h
    )
    assert r.status_code == 200 and r.json()["role"] == "admin"
    (event,) = _events(app, "change_role")
    assert event.before == {"user_id": member_id, "role": "member"}
    assert event.after == {"user_id": member_id, "role": "admin"}
    # now two admins: demote self works, then the remaining admin cannot be removed
    r = client.patch(
        f"{API}/organizations/{ent}/members/{admin_id}", json={"role": "member"}, headers=h
    )
    assert r.status_code == 200
    h2 = token_for(world.emails["ent_member"])
    assert (
        client.delete(f"{API}/organizations/{ent}/members/{member_id}", headers=h2).status_code
        == 409
    )
    assert (
        client.delete(f"{API}/organizations/{ent}/members/{admin_id}", headers=h2).status_code
        == 204
    )
    assert _events(app, "remove_member")[0].before["user_id"] == admin_id
    # the old admin (now without membership) sees nothing of the organization
    assert client.get(f"{API}/organizations/{ent}", headers=h).status_code == 404
    # a member may look at the members but not change them
    h3 = token_for(world.emails["sz_officer"])
    sz = world.orgs["auth_sz"]
    sz_admin = _user(app, world.emails["sz_admin"]).id
    assert (
        client.patch(
            f"{API}/organizations/{sz}/members/{sz_admin}", json={"role": "member"}, headers=h3
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"{API}/organizations/{sz}/members/{sz_admin}", json={"role": "boss"}, headers=h3
        ).status_code
        == 422
    )


# -- passwords and activation ----------------------------------------------------------------


def test_password_reset_ends_sessions_and_tokens(app, world, token_for, client, login):
    email = world.emails["ent_member"]
    victim = login(email)
    assert victim.get(f"{API}/me").status_code == 200
    victim_token = token_for(email)
    uid = _user(app, email).id
    # another enterprise's admin: 404; a member of the same org: 403
    r = client.post(
        f"{API}/users/{uid}/password-reset", headers=token_for(world.emails["ent2_admin"])
    )
    assert r.status_code == 404
    admin = login(world.emails["ent_admin"])
    r = admin.post(f"{API}/users/{uid}/password-reset")
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    assert len(temporary) >= 16
    assert victim.get(f"{API}/me").status_code == 401
    assert victim.get("/account", follow_redirects=False).status_code == 303
    assert client.get(f"{API}/me", headers=victim_token).status_code == 401
    with app.state.session_factory() as s:
        assert (
            s.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == uid))
            == 0
        )
        assert all(t.revoked for t in s.scalars(select(ApiToken).where(ApiToken.user_id == uid)))
    r = client.post(f"{API}/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401
    # the temporary password signs in, but grants nothing until it is replaced
    r = client.post(f"{API}/auth/token", json={"email": email, "password": temporary})
    assert r.status_code == 403 and r.json()["field"] == "password"
    (event,) = _events(app, "reset_password")
    assert event.organization_id == world.orgs["ent_sz"] and event.after["password"] == "reset"
    assert temporary not in str(event.after) and "argon2" not in str(event.after)
    # an org admin cannot reset the platform admin's password
    admin_id = _user(app, world.emails["admin"]).id
    assert admin.post(f"{API}/users/{admin_id}/password-reset").status_code == 404


def test_change_own_password(app, world, login, client):
    c = login(world.emails["prov_member"])
    r = c.post(
        f"{API}/account/password",
        json={"old_password": "wrong-password", "new_password": "a-new-password"},
    )
    assert r.status_code == 422 and r.json()["field"] == "old_password"
    r = c.post(f"{API}/account/password", json={"old_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422
    r = c.post(
        f"{API}/account/password", json={"old_password": PASSWORD, "new_password": "a-new-password"}
    )
    assert r.status_code == 204
    email = world.emails["prov_member"]
    assert (
        client.post(f"{API}/auth/token", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post(
            f"{API}/auth/token", json={"email": email, "password": "a-new-password"}
        ).status_code
        == 201
    )
    (event,) = _events(app, "change_password")
    assert event.after == {"password": "changed"}
    # the page form
    page = c.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.text
    r = c.post(
        "/account/password",
        data={
            "old_password": "a-new-password",
            "new_password": "another-pass-1",
            "new_password2": "mismatch-xx",
            "csrf_token": c.csrf,
        },
    )
    assert r.status_code == 422 and "不一致" in r.text
    r = c.post(
        "/account/password",
        data={
            "old_password": "a-new-password",
            "new_password": "another-pass-1",
            "new_password2": "another-pass-1",
            "csrf_token": c.csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "密码已修改" in c.get(r.headers["location"]).text


def test_deactivate_refuses_sign_in(app, world, token_for, client, login):
    email = world.emails["ent2_admin"]
    uid = _user(app, email).id
    victim = login(email)
    # ent_admin shares no organization: 404; the member of the same org may not: 403
    assert (
        client.post(
            f"{API}/users/{uid}/deactivate", headers=token_for(world.emails["ent_admin"])
        ).status_code
        == 404
    )
    h = token_for(world.emails["admin"])
    r = client.post(f"{API}/users/{uid}/deactivate", headers=h)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert victim.get(f"{API}/me").status_code == 401
    r = client.post(f"{API}/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401
    r = client.post(f"{API}/users/{uid}/activate", headers=h)
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert (
        client.post(f"{API}/auth/token", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    assert [e.after for e in _events(app, "deactivate")] == [{"is_active": False}]
    assert [e.after for e in _events(app, "activate")] == [{"is_active": True}]
    # org admin deactivates a user only in their org
    member = _user(app, world.emails["ent_member"]).id
    member_token = token_for(world.emails["ent_member"])
    r = client.post(
        f"{API}/users/{member}/deactivate", headers=token_for(world.emails["ent_admin"])
    )
    assert r.status_code == 200
    r = client.post(f"{API}/users/{member}/activate", headers=member_token)
    assert r.status_code == 401  # deactivated: the token no longer works


# -- pages ---------------------------------------------------------------------------------


def test_admin_pages(app, world, login):
    admin = login(world.emails["admin"])
    page = admin.get("/admin")
    assert page.status_code == 200 and "新建组织" in page.text and 'href="/admin"' in page.text
    r = admin.post(
        "/admin/organizations",
        data={"name": XSS, "kind": "authority", "region_scope": "98", "csrf_token": admin.csrf},
    )
    assert r.status_code == 422 and "&lt;script&gt;" in r.text and XSS not in r.text
    assert "省级代码" in r.text
    r = admin.post(
        "/admin/organizations",
        data={"name": XSS, "kind": "provider", "region_scope": "", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    org_url = r.headers["location"]
    page = admin.get(org_url)
    assert page.status_code == 200 and "&lt;script&gt;" in page.text and XSS not in page.text
    r = admin.post(
        f"{org_url}/members",
        data={
            "email": "bad",
            "display_name": SQLI,
            "password": "quiet-lamp-river-42",
            "role": "admin",
            "csrf_token": admin.csrf,
        },
    )
    assert r.status_code == 422 and 'value="bad"' in r.text and "&#39;; DROP TABLE" in r.text
    r = admin.post(
        f"{org_url}/members",
        data={
            "email": "p@example.cn",
            "display_name": SQLI,
            "password": "quiet-lamp-river-42",
            "role": "admin",
            "csrf_token": admin.csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    uid = _user(app, "p@example.cn").id
    r = admin.post(f"{org_url}/members/{uid}/remove", data={"csrf_token": admin.csrf})
    assert r.status_code == 409 and "最后一名管理员" in r.text
    r = admin.post(f"{org_url}/members/{uid}/reset-password", data={"csrf_token": admin.csrf})
    assert (
        r.status_code == 200 and "临时密码" in r.text and r.headers["cache-control"] == "no-store"
    )
    r = admin.post(
        f"{org_url}/members/{uid}/active",
        data={"active": "0", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and not _user(app, "p@example.cn").is_active
    # CSRF is required
    r = admin.post(
        f"{org_url}/members/{uid}/active", data={"active": "1"}, headers={"X-CSRF-Token": ""}
    )
    assert r.status_code == 403
    # org admin: own organizations only; member: 403
    ent_admin = login(world.emails["ent_admin"])
    page = ent_admin.get("/admin")
    assert page.status_code == 200 and "新建组织" not in page.text
    assert ent_admin.get(org_url).status_code == 404
    assert ent_admin.get(f"/admin/organizations/{world.orgs['ent_sz']}").status_code == 200
    member = login(world.emails["ent_member"])
    assert member.get("/admin").status_code == 403
    assert member.get(f"/admin/organizations/{world.orgs['ent_sz']}").status_code == 403
    assert 'href="/admin"' not in member.get("/account").text


def test_region_scope_rule_is_the_codes_one():
    """An authority's scope is checked by nqpf.codes, its reason behind the web's label."""
    for scope in ("98", "4403x", "440"):
        with pytest.raises(DataValidationError) as rule:
            validate_region_prefix(scope, field="region_scope")
        with pytest.raises(FieldError) as web:
            accounts.validate_region_scope(scope)
        assert web.value.field == "region_scope"
        assert web.value.message == f"区域范围{rule.value.reason_zh}"
    with pytest.raises(FieldError, match="主管部门必须填写区域范围"):
        accounts.validate_region_scope("  ")
    assert accounts.validate_region_scope(" 4403 ") == "4403"
    assert auth.normalize_email is accounts.normalize_email
