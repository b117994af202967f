"""ASVS 4.0.3 V5 (validation): the new inputs of sign-in security and sharing are checked
at the door and refused with the field named, nothing half-saved."""

from __future__ import annotations

from sqlalchemy import select
from tests.web.security.helpers import PASSWORD, count, post_form, post_login

from nqpf.web.models import ApiToken, Share, User

API = "/api/v1"


def test_unknown_share_categories_are_refused(app, client, world, token_for):
    before = count(app, Share)
    r = client.post(f"{API}/enterprises/{world.orgs['ent_sz']}/shares",
                    json={"provider_id": world.orgs["prov2"], "categories": ["salaries"]},
                    headers=token_for(world.emails["ent_admin"]))  # fmt: skip
    assert r.status_code == 422 and r.json()["field"].startswith("categories")
    assert count(app, Share) == before


def test_unknown_categories_in_the_form_are_refused_in_chinese(app, login, world):
    c = login(world.emails["ent_admin"])
    before = count(app, Share)
    r = c.post(
        f"/enterprises/{world.orgs['ent_sz']}/shares",
        data={"provider_id": world.orgs["prov2"], "categories": ["x"], "csrf_token": c.csrf},
    )
    assert r.status_code == 422 and "未知的共享类别" in r.text
    assert count(app, Share) == before


def test_token_requests_are_validated(app, client, world):
    body = {"email": world.emails["ent_admin"], "password": PASSWORD}
    for bad, field in (({"scopes": ["root"]}, "scopes"), ({"hours": -1}, "hours"),
                       ({"totp_code": "12ab56"}, "totp_code"), ({"days": 400}, "days")):  # fmt: skip
        r = client.post(f"{API}/auth/token", json={**body, **bad})
        assert r.status_code == 422 and r.json()["field"].startswith(field), (bad, r.text)
    r = client.post(f"{API}/auth/token", json={**body, "hours": 24 * 91})
    assert r.status_code == 422 and "90 天" in r.json()["detail"]
    assert count(app, ApiToken) == 0


def test_a_code_that_is_not_six_digits_is_simply_wrong(client, world):
    post_login(client, world.emails["sz_officer"])
    for code in ("", "12345", "1234567", "abcdef", "<script>"):
        r = post_form(client, "/login/totp", {"code": code})
        assert r.status_code == 401 and "&lt;script&gt;" not in r.text.split("<form")[0]


def test_reset_tokens_with_foreign_characters_never_reach_the_database(client):
    assert client.get("/reset/" + "a" * 10, follow_redirects=False).status_code == 422
    assert client.get("/reset/" + "%00" * 30, follow_redirects=False).status_code == 422


def test_a_rejected_first_password_keeps_the_temporary_one(app, client, login, world):
    with app.state.session_factory() as s:
        uid = s.scalars(select(User.id).where(User.email == world.emails["ent_member"])).one()
    temporary = (
        login(world.emails["ent_admin"])
        .post(f"{API}/users/{uid}/password-reset")
        .json()["temporary_password"]
    )
    post_login(client, world.emails["ent_member"], temporary)
    r = post_form(client, "/login/password", {"new_password": "a" * 12, "new_password2": "a" * 12})
    assert r.status_code == 422 and "密码太容易被猜中" in r.text
    r = post_form(
        client,
        "/login/password",
        {"new_password": "copper-meadow-falcon-8", "new_password2": "copper-meadow"},
    )
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    with app.state.session_factory() as s:
        assert s.get(User, uid).must_change_password is True
