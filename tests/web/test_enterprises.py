"""Enterprises: profile validation, visibility, manage rights, shares, audit and pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from tests.web.world import credit_code

from nqpf.exceptions import DataValidationError
from nqpf.services.enterprises import SIZE_CLASSES, clean_credit_code
from nqpf.web.models import SIZE_CLASSES as STORED_SIZE_CLASSES
from nqpf.web.models import AuditEvent, EnterpriseProfile, Organization, Share

pytest.importorskip("fastapi", reason="the platform tests need the 'web' extra (FastAPI)")

SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE organization; --"


@pytest.fixture
def token_for(app):
    """Bearer headers of a world user, minted directly (no argon2 check: fast)."""
    from nqpf.web.authz import load_actor
    from nqpf.web.models import User
    from nqpf.web.services.auth import issue_api_token

    def _token(email: str) -> dict[str, str]:
        with app.state.session_factory() as s:
            user = s.scalars(select(User).where(User.email == email)).one()
            token, _row = issue_api_token(s, load_actor(s, user, via="token"), "test", 1)
        return {"Authorization": f"Bearer {token}"}

    return _token


def _body(**overrides):
    body = {
        "name": "新建智造有限公司",
        "credit_code": credit_code("91440300MA5NEW001"),
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "medium",
        "chains": [{"chain": "新能源汽车", "stage": "中游"}],
    }
    body.update(overrides)
    return body


def _count(app, model, *where) -> int:
    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _events(app, **where):
    with app.state.session_factory() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(query))


def _names(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


# --------------------------------------------------------------------------- create


def test_create_stores_profile_and_audits(app, client, world, token_for):
    h = token_for(world.emails["sz_admin"])
    r = client.post("/api/v1/enterprises", headers=h, json=_body(size_class="中型"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["size_class"] == "medium" and out["chains"][0]["stage"] == "中游"
    with app.state.session_factory() as s:
        org = s.get(Organization, out["id"])
        assert org.kind == "enterprise" and org.profile.region_code == "440305"
    [event] = _events(app, action="create", object_type="enterprise", object_id=str(out["id"]))
    assert event.after["credit_code"] == out["credit_code"] and event.organization_id == out["id"]
    # the creating authority sees it
    assert r.json()["name"] in _names(client.get("/api/v1/enterprises", headers=h))


def test_bad_check_character_names_field_and_expected(app, client, world, token_for):
    h = token_for(world.emails["admin"])
    good = credit_code("91440300MA5NEW001")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    before = _count(app, Organization)
    r = client.post("/api/v1/enterprises", headers=h, json=_body(credit_code=wrong))
    assert r.status_code == 422
    assert r.json()["field"] == "credit_code"
    assert "credit_code" in r.json()["detail"] and repr(good[17]) in r.json()["detail"]
    assert _count(app, Organization) == before


def test_bad_credit_code_same_rule_at_both_doors(client, world, token_for):
    """The service names the field and the rule in English; the web the same in Chinese."""
    good = credit_code("91440300MA5NEW002")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(DataValidationError) as caught:
        clean_credit_code(wrong)
    rule = caught.value
    assert rule.field == "credit_code" and f"expected {good[17]!r}" in rule.reason
    r = client.post(
        "/api/v1/enterprises",
        headers=token_for(world.emails["admin"]),
        json=_body(credit_code=wrong),
    )
    assert r.status_code == 422
    assert r.json()["field"] == rule.field
    assert r.json()["detail"] == f"统一社会信用代码（credit_code）{rule.reason_zh}"
    assert f"第 18 位应为 {good[17]!r}" in rule.reason_zh


def test_size_classes_are_the_stored_ones():
    assert SIZE_CLASSES == STORED_SIZE_CLASSES


INVALID = [
    ("credit_code", "91440300MA5NEW00"),  # 16 characters
    ("credit_code", "91440300MA5NEW00I1"),  # I is not in the character set
    ("industry", "Z123"),
    ("industry", "C1"),
    ("industry", "C12345"),
    ("region_code", "99000"),
    ("region_code", "990000"),  # no province 99
    ("region_code", "4403051"),
    ("region_code", "44030５"),  # full-width digit
    ("size_class", "huge"),
    ("name", "  "),
    ("name", "bad\x00name"),
    ("chains", [{"chain": "x", "stage": "顶游"}]),
    ("chains", [{"chain": "长" * 51, "stage": "上游"}]),
]


def test_field_validation(app, client, world, token_for):
    h = token_for(world.emails["admin"])
    before = _count(app, Organization)
    for field, value in INVALID:
        r = client.post("/api/v1/enterprises", headers=h, json=_body(**{field: value}))
        assert r.status_code == 422, (field, value, r.text)
        assert r.json()["field"].split(".")[0] == field, r.json()
    assert _count(app, Organization) == before
    _industry_and_region_forms_accepted(client, world, token_for)


def _industry_and_region_forms_accepted(client, world, token_for):
    h = token_for(world.emails["admin"])
    for i, (industry, region) in enumerate([("C34", "440305000000"), ("a011", "110101")]):
        body = _body(
            credit_code=credit_code(f"91440300MA5K0000{i}"), industry=industry, region_code=region
        )
        r = client.post("/api/v1/enterprises", headers=h, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["industry"] == industry.upper()


def test_duplicate_credit_code_409_and_no_row(app, client, world, token_for):
    h = token_for(world.emails["sz_admin"])
    before = _count(app, Organization)
    r = client.post(
        "/api/v1/enterprises", headers=h, json=_body(credit_code=world.credit_codes["ent_sz2"])
    )
    assert r.status_code == 409 and r.json()["field"] == "credit_code"
    assert _count(app, Organization) == before
    # lower case input of an existing code is the same code
    r = client.post(
        "/api/v1/enterprises",
        headers=h,
        json=_body(credit_code=world.credit_codes["ent_sz2"].lower()),
    )
    assert r.status_code == 409


def test_region_outside_scope_refused(app, client, world, token_for):
    h = token_for(world.emails["sz_admin"])
    before = _count(app, Organization)
    r = client.post("/api/v1/enterprises", headers=h, json=_body(region_code="320506"))
    assert r.status_code in (403, 422) and r.json()["field"] == "region_code"
    assert _count(app, Organization) == before
    _only_admins_create(client, world, token_for)


def _only_admins_create(client, world, token_for):
    for user in ("sz_officer", "ent_admin", "prov_member", "su_officer"):
        r = client.post("/api/v1/enterprises", headers=token_for(world.emails[user]), json=_body())
        assert r.status_code == 403, (user, r.text)
    r = client.post("/api/v1/enterprises", headers=token_for(world.emails["admin"]), json=_body())
    assert r.status_code == 201


def test_injection_strings_round_trip_and_are_escaped(app, world, login):
    c = login(world.emails["sz_admin"])
    r = c.post(
        "/api/v1/enterprises",
        json=_body(name=SCRIPT, chains=[{"chain": SQL, "stage": "上游"}]),
    )
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert c.get(f"/api/v1/enterprises/{eid}").json()["name"] == SCRIPT
    assert c.get(f"/api/v1/enterprises/{eid}").json()["chains"][0]["chain"] == SQL
    assert _count(app, Organization) >= 8  # the table is still there
    for url in (f"/enterprises/{eid}", "/enterprises", f"/enterprises/{eid}/edit"):
        page = c.get(url)
        assert page.status_code == 200
        assert SCRIPT not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "&#39;; DROP TABLE organization; --" in page.text
    # search with LIKE wildcards and quotes is literal
    assert _names(c.get("/api/v1/enterprises", params={"q": "<script>"})) == {SCRIPT}
    assert _names(c.get("/api/v1/enterprises", params={"q": "%"})) == set()


# --------------------------------------------------------------------------- visibility

VISIBLE = {
    "admin": {"ent_sz", "ent_sz2", "ent_su"},
    "sz_officer": {"ent_sz", "ent_sz2"},
    "sz_admin": {"ent_sz", "ent_sz2"},
    "su_officer": {"ent_su"},
    "prov_member": {"ent_sz"},
    "prov2_member": set(),
    "ent_admin": {"ent_sz"},
    "ent_member": {"ent_sz"},
    "su_ent_admin": {"ent_su"},
}


def test_visibility_list_and_get(client, world, token_for):
    from tests.web.world import ORGS

    titles = {k: v[2] for k, v in ORGS.items()}
    for user, expected in VISIBLE.items():
        h = token_for(world.emails[user])
        r = client.get("/api/v1/enterprises", headers=h)
        assert _names(r) == {titles[e] for e in expected}, user
        assert r.json()["total"] == len(expected)
        for ent in ("ent_sz", "ent_sz2", "ent_su"):
            eid = world.orgs[ent]
            got = client.get(f"/api/v1/enterprises/{eid}", headers=h)
            assert got.status_code == (200 if ent in expected else 404), (user, ent)
            if ent not in expected:
                patch = client.patch(f"/api/v1/enterprises/{eid}", headers=h, json={"name": "x"})
                assert patch.status_code == 404, (user, ent)
                shares = client.get(f"/api/v1/enterprises/{eid}/shares", headers=h)
                assert shares.status_code == 404, (user, ent)
                add = client.post(
                    f"/api/v1/enterprises/{eid}/shares",
                    headers=h,
                    json={"provider_id": world.orgs["prov2"]},
                )
                assert add.status_code == 404, (user, ent)
    # providers and authorities are not enterprises
    h = token_for(world.emails["admin"])
    assert client.get(f"/api/v1/enterprises/{world.orgs['prov']}", headers=h).status_code == 404
    assert client.get("/api/v1/enterprises/999999", headers=h).status_code == 404


def test_list_filters_and_pagination(client, world, token_for):
    h = token_for(world.emails["admin"])
    assert len(_names(client.get("/api/v1/enterprises", headers=h, params={"region": "4403"}))) == 2
    assert _names(client.get("/api/v1/enterprises", headers=h, params={"region": "320506"})) == {
        "吴中装备股份有限公司"
    }
    code = world.credit_codes["ent_su"]
    assert _names(client.get("/api/v1/enterprises", headers=h, params={"q": code[4:12]})) == {
        "吴中装备股份有限公司"
    }
    assert _names(client.get("/api/v1/enterprises", headers=h, params={"q": "宝安"})) == {
        "宝安电子科技有限公司"
    }
    assert (
        len(_names(client.get("/api/v1/enterprises", headers=h, params={"industry": "C34"}))) == 3
    )
    assert _names(client.get("/api/v1/enterprises", headers=h, params={"size": "large"})) == set()
    first = client.get("/api/v1/enterprises", headers=h, params={"limit": 2}).json()
    second = client.get("/api/v1/enterprises", headers=h, params={"limit": 2, "offset": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    names = [i["name"] for i in first["items"] + second["items"]]
    assert names == sorted(names)
    assert client.get("/api/v1/enterprises", headers=h, params={"limit": 201}).status_code == 422


# --------------------------------------------------------------------------- update


def test_manage_rights_and_update_audit(app, client, world, token_for):
    eid = world.orgs["ent_sz"]
    r = client.patch(
        f"/api/v1/enterprises/{eid}",
        headers=token_for(world.emails["ent_member"]),
        json={"name": "改名"},
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/enterprises/{eid}",
        headers=token_for(world.emails["sz_officer"]),
        json={"name": "改名"},
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/enterprises/{eid}",
        headers=token_for(world.emails["ent_admin"]),
        json={"name": "南山精密（新）", "size_class": "large", "chains": []},
    )
    assert r.status_code == 200, r.text
    assert r.json()["size_class"] == "large" and r.json()["chains"] == []
    [event] = _events(app, action="update", object_id=str(eid))
    assert event.before == {
        "name": "南山精密制造有限公司",
        "size_class": "small",
        "chains": [{"chain": "高端装备", "stage": "中游"}],
    }
    assert event.after == {"name": "南山精密（新）", "size_class": "large", "chains": []}


def test_authority_admin_update_stays_in_scope(app, client, world, token_for):
    eid = world.orgs["ent_sz2"]
    h = token_for(world.emails["sz_admin"])
    r = client.patch(f"/api/v1/enterprises/{eid}", headers=h, json={"region_code": "320506"})
    assert r.status_code in (403, 422) and r.json()["field"] == "region_code"
    r = client.patch(f"/api/v1/enterprises/{eid}", headers=h, json={"region_code": "440307"})
    assert r.status_code == 200
    # duplicate credit code on update
    r = client.patch(
        f"/api/v1/enterprises/{eid}",
        headers=h,
        json={"credit_code": world.credit_codes["ent_sz"]},
    )
    assert r.status_code == 409
    with app.state.session_factory() as s:
        profile = s.scalars(
            select(EnterpriseProfile).where(EnterpriseProfile.organization_id == eid)
        ).one()
        assert profile.credit_code == world.credit_codes["ent_sz2"]
        assert profile.region_code == "440307"


# --------------------------------------------------------------------------- shares


def test_shares_add_list_remove(app, client, world, token_for):
    eid = world.orgs["ent_sz"]
    h = token_for(world.emails["ent_admin"])
    r = client.get(f"/api/v1/enterprises/{eid}/shares", headers=h)
    assert [s["provider_id"] for s in r.json()] == [world.orgs["prov"]]
    # before sharing, prov2 does not see the enterprise
    h2 = token_for(world.emails["prov2_member"])
    assert client.get(f"/api/v1/enterprises/{eid}", headers=h2).status_code == 404
    r = client.post(
        f"/api/v1/enterprises/{eid}/shares", headers=h, json={"provider_id": world.orgs["prov2"]}
    )
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/enterprises/{eid}", headers=h2).status_code == 200
    r = client.post(
        f"/api/v1/enterprises/{eid}/shares", headers=h, json={"provider_id": world.orgs["prov2"]}
    )
    assert r.status_code == 409
    # only providers can be share targets
    r = client.post(
        f"/api/v1/enterprises/{eid}/shares", headers=h, json={"provider_id": world.orgs["auth_sz"]}
    )
    assert r.status_code == 422 and r.json()["field"] == "provider_id"
    assert _count(app, Share) == 2
    r = client.delete(f"/api/v1/enterprises/{eid}/shares/{world.orgs['prov2']}", headers=h)
    assert r.status_code == 204
    assert client.get(f"/api/v1/enterprises/{eid}", headers=h2).status_code == 404
    r = client.delete(f"/api/v1/enterprises/{eid}/shares/{world.orgs['prov2']}", headers=h)
    assert r.status_code == 404
    assert [e.action for e in _events(app, object_type="share")] == ["share", "unshare"]
    assert all(e.organization_id == eid for e in _events(app, object_type="share"))


def test_share_rights(client, world, token_for):
    eid = world.orgs["ent_sz"]
    body = {"provider_id": world.orgs["prov2"]}
    for user in ("ent_member", "sz_admin", "sz_officer", "prov_member"):
        h = token_for(world.emails[user])
        assert (
            client.post(f"/api/v1/enterprises/{eid}/shares", headers=h, json=body).status_code
            == 403
        )
        r = client.delete(f"/api/v1/enterprises/{eid}/shares/{world.orgs['prov']}", headers=h)
        assert r.status_code == 403, user
    h = token_for(world.emails["admin"])
    assert client.post(f"/api/v1/enterprises/{eid}/shares", headers=h, json=body).status_code == 201


# --------------------------------------------------------------------------- pages


def test_pages_render_for_the_right_users(world, login):
    eid = world.orgs["ent_sz"]
    c = login(world.emails["sz_officer"])
    page = c.get("/enterprises")
    assert page.status_code == 200
    assert "南山精密制造有限公司" in page.text and "宝安电子科技有限公司" in page.text
    assert "吴中装备股份有限公司" not in page.text and "4403" in page.text  # scope shown
    assert "新建企业" not in page.text
    assert c.get(f"/enterprises/{eid}").status_code == 200
    assert f"/enterprises/{eid}/assessments" in c.get(f"/enterprises/{eid}").text
    assert c.get(f"/enterprises/{world.orgs['ent_su']}").status_code == 404
    assert c.get("/enterprises/new").status_code == 403
    assert c.get(f"/enterprises/{eid}/edit").status_code == 403
    assert c.get("/enterprises/import").status_code == 403

    a = login(world.emails["sz_admin"])
    for url in ("/enterprises/new", f"/enterprises/{eid}/edit", "/enterprises/import"):
        assert a.get(url).status_code == 200, url
    assert "取消共享" not in a.get(f"/enterprises/{eid}").text

    e = login(world.emails["ent_admin"])
    detail = e.get(f"/enterprises/{eid}")
    assert (
        "智转服务商" in detail.text and "取消共享" in detail.text and "另一家服务商" in detail.text
    )
    assert e.get("/enterprises").status_code == 200
    assert e.get(f"/enterprises/{world.orgs['ent_sz2']}").status_code == 404

    for user in ("prov_member", "ent_member"):
        u = login(world.emails[user])
        detail = u.get(f"/enterprises/{eid}")
        assert detail.status_code == 200 and "南山精密制造有限公司" in detail.text
        assert "取消共享" not in detail.text and f"/enterprises/{eid}/edit" not in detail.text
        assert u.get(f"/enterprises/{eid}/edit").status_code == 403
    _list_page_filters(world, login)


def _list_page_filters(world, login):
    c = login(world.emails["admin"])
    page = c.get("/enterprises", params={"q": "宝安", "size": "small"})
    assert "宝安电子科技有限公司" in page.text and "南山精密制造有限公司" not in page.text


def test_form_create_keeps_input_on_error_and_redirects(app, world, login):
    c = login(world.emails["sz_admin"])
    form = {
        "name": SCRIPT,
        "credit_code": "91440300MA5NEW0010",
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "small",
        "chains": "新能源汽车:中游;高端装备:上游",
        "csrf_token": c.csrf,
    }
    before = _count(app, Organization)
    r = c.post("/enterprises/new", data=form)
    assert r.status_code == 422
    assert "credit_code" in r.text and "field-error" in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text  # input kept, escaped
    assert "新能源汽车:中游;高端装备:上游" in r.text
    assert _count(app, Organization) == before
    form["credit_code"] = credit_code("91440300MA5NEW001")
    r = c.post("/enterprises/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    eid = int(r.headers["location"].rsplit("/", 1)[1])
    with app.state.session_factory() as s:
        assert s.get(Organization, eid).profile.chains == [
            {"chain": "新能源汽车", "stage": "中游"},
            {"chain": "高端装备", "stage": "上游"},
        ]
    # duplicate via the form: 409, input kept
    r = c.post("/enterprises/new", data=form)
    assert r.status_code == 409 and "已被其他企业使用" in r.text


def test_form_edit_and_share_forms(app, world, login):
    eid = world.orgs["ent_sz"]
    c = login(world.emails["ent_admin"])
    form = {
        "name": "南山精密制造有限公司",
        "credit_code": world.credit_codes["ent_sz"],
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "small",
        "chains": "高端装备：下游",
        "csrf_token": c.csrf,
    }
    r = c.post(f"/enterprises/{eid}/edit", data={**form, "chains": "高端装备"})
    assert r.status_code == 422 and "产业链" in r.text
    r = c.post(f"/enterprises/{eid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(f"/api/v1/enterprises/{eid}").json()["chains"] == [
        {"chain": "高端装备", "stage": "下游"}
    ]
    r = c.post(
        f"/enterprises/{eid}/shares",
        data={"provider_id": world.orgs["prov2"], "csrf_token": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = c.post(
        f"/enterprises/{eid}/shares/{world.orgs['prov']}/delete",
        data={"csrf_token": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert [s["provider_id"] for s in c.get(f"/api/v1/enterprises/{eid}/shares").json()] == [
        world.orgs["prov2"]
    ]


def test_csrf_less_form_post_refused(app, world, login):
    c = login(world.emails["sz_admin"])
    del c.headers["X-CSRF-Token"]
    before = _count(app, Organization)
    form = {
        "name": "无令牌企业",
        "credit_code": credit_code("91440300MA5NEW001"),
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "small",
    }
    assert c.post("/enterprises/new", data=form).status_code == 403
    assert c.post("/enterprises/new", data={**form, "csrf_token": "wrong"}).status_code == 403
    assert c.post("/api/v1/enterprises", json=_body()).status_code == 403
    e = login(world.emails["ent_admin"])
    del e.headers["X-CSRF-Token"]
    r = e.post(f"/enterprises/{world.orgs['ent_sz']}/shares", data={"provider_id": "1"})
    assert r.status_code == 403
    assert _count(app, Organization) == before


def test_latest_level_shown(app, world, login):
    from datetime import UTC, datetime

    from nqpf.web.models import Assessment

    eid = world.orgs["ent_sz"]
    with app.state.session_factory() as s:
        now = datetime.now(UTC)
        for seq, level in ((0, "L1 起步级"), (1, "L2 发展级")):
            s.add(
                Assessment(
                    enterprise_id=eid,
                    framework_id="fw",
                    framework_version="1",
                    seq=seq,
                    status="submitted",
                    result={"level_name": level},
                    submitted_at=now,
                )
            )
        s.add(Assessment(enterprise_id=eid, framework_id="fw", framework_version="1", seq=2))
        s.commit()
    c = login(world.emails["sz_officer"])
    page = c.get("/enterprises")
    assert "L2 发展级" in page.text and "L1 起步级" not in page.text
    items = {i["id"]: i for i in c.get("/api/v1/enterprises").json()["items"]}
    assert items[eid]["latest_level"] == "L2 发展级"
    assert items[world.orgs["ent_sz2"]]["latest_level"] is None


# ----------------------------------------------------------------- officers' list (issue 13)


def _seed_list(app, world):
    """ent_sz: 三级 (better) then 一级; ent_sz2: 一级 submitted 400 days ago, in 新能源汽车
    上游; ent_su: not assessed.  Returns the framework."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update
    from tests.web.answers import better_answers, complete_answers
    from tests.web.test_dashboard import _set_profile, _submit

    from nqpf.assessment import load_framework
    from nqpf.web.models import Assessment
    from nqpf.web.services.latest_results import refresh_latest

    fw = load_framework("sme-digital-2024")
    e = world.emails
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], better_answers(fw))
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], complete_answers(fw))
    aid = _submit(app, e["ent2_admin"], world.orgs["ent_sz2"], complete_answers(fw, 1))
    _set_profile(app, world.orgs["ent_sz2"], chains=[{"chain": "新能源汽车", "stage": "上游"}],
                 industry="C3670", size_class="medium")  # fmt: skip
    with app.state.session_factory() as s:
        old = datetime.now(UTC) - timedelta(days=400)
        s.execute(update(Assessment).where(Assessment.id == aid).values(submitted_at=old))
        # a write by SQL, not through submit: the views' summary is refreshed by hand
        refresh_latest(s, [world.orgs["ent_sz2"]])
        s.commit()
    return fw


def test_list_filters_sort_against_sql(app, client, world, token_for):
    _seed_list(app, world)
    h = token_for(world.emails["admin"])
    o = world.orgs

    def ids(**params):
        r = client.get("/api/v1/enterprises", params=params, headers=h)
        assert r.status_code == 200, (params, r.text)
        return [i["id"] for i in r.json()["items"]]

    assert set(ids()) == {o["ent_sz"], o["ent_sz2"], o["ent_su"]}
    assert ids(chain="新能源汽车") == [o["ent_sz2"]]
    assert ids(chain="新能源汽车", stage="上游") == [o["ent_sz2"]]
    assert ids(chain="新能源汽车", stage="下游") == []
    assert set(ids(chain="高端装备")) == {o["ent_sz"], o["ent_su"]}
    assert ids(stage="上游") == [o["ent_sz2"]]
    assert set(ids(level=1)) == {o["ent_sz"], o["ent_sz2"]}  # latest, not T0's 三级
    assert ids(level=3) == []
    assert set(ids(score_min=20, score_max=30)) == {o["ent_sz"], o["ent_sz2"]}  # latest 23.2
    assert ids(score_min=50) == []  # ent_sz's T0 100 does not count
    assert ids(status="unassessed") == [o["ent_su"]]
    assert ids(status="stale") == [o["ent_sz2"]]
    assert set(ids(status="due")) == {o["ent_su"], o["ent_sz2"]}
    assert set(ids(status="assessed")) == {o["ent_sz"], o["ent_sz2"]}
    assert ids(size="medium") == [o["ent_sz2"]]
    assert ids(industry="C36") == [o["ent_sz2"]]
    # sorting: by total (missing last in both directions), by region
    by_total = ids(sort="total")
    assert by_total[-1] == o["ent_su"] and ids(sort="total", desc=True)[-1] == o["ent_su"]
    assert ids(sort="region") == [o["ent_su"], o["ent_sz"], o["ent_sz2"]]
    assert ids(sort="region", desc=True) == [o["ent_sz2"], o["ent_sz"], o["ent_su"]]
    # paging: total counts the whole filtered set
    r = client.get("/api/v1/enterprises", params={"limit": 1, "offset": 1, "sort": "region"},
                   headers=h).json()  # fmt: skip
    assert r["total"] == 3 and [i["id"] for i in r["items"]] == [o["ent_sz"]]
    item = next(i for i in client.get("/api/v1/enterprises", headers=h).json()["items"]
                if i["id"] == o["ent_sz"])  # fmt: skip
    assert item["region_name"] == "广东省深圳市南山区" and item["industry_name"] == "机械零部件加工"
    assert item["latest_total"] == pytest.approx(23.2)
    # bad input: Chinese 422 naming the field
    for params, fld in (({"stage": "x"}, "stage"), ({"status": "x"}, "status"),
                        ({"score_min": 50, "score_max": 10}, "score_min"),
                        ({"level": 9}, "level"), ({"framework": "nope-1"}, "framework"),
                        ({"region": "99"}, "region")):  # fmt: skip
        r = client.get("/api/v1/enterprises", params=params, headers=h)
        assert r.status_code == 422, params
        assert r.json()["field"] == fld, (params, r.json())


def test_list_scope_export_and_reminders(app, client, world, token_for, login):
    from openpyxl import load_workbook

    _seed_list(app, world)
    sz = token_for(world.emails["sz_officer"])
    r = client.get("/api/v1/enterprises.xlsx", params={"sort": "region"}, headers=sz)
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["说明", "企业名单"]
    rows = list(book["企业名单"].iter_rows(values_only=True))
    assert rows[0][:6] == ("企业名称", "统一社会信用代码", "地区", "地区代码", "行业", "行业代码")
    assert [row[0] for row in rows[1:]] == ["南山精密制造有限公司", "宝安电子科技有限公司"]
    assert rows[1][2] == "广东省深圳市南山区" and rows[1][8] == "一级"
    # a filter to another region finds nothing (never the other region's data)
    r = client.get("/api/v1/enterprises.xlsx", params={"region": "32"}, headers=sz)
    assert [row for row in load_workbook(io.BytesIO(r.content))["企业名单"].iter_rows(
        min_row=2, values_only=True)] == []  # fmt: skip
    # reminders: the due enterprises with their admins, one row per admin
    r = client.get("/api/v1/enterprises/reminders.xlsx", headers=token_for(world.emails["admin"]))
    sheet = load_workbook(io.BytesIO(r.content))["提醒名单"]
    got = {
        (row[0], row[1], row[2], row[-1]) for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert got == {
        ("ent2_admin", "ent2_admin@nqpf.test", "宝安电子科技有限公司", "最近一次评测已超过一年"),
        ("su_ent_admin", "su_ent_admin@nqpf.test", "吴中装备股份有限公司", "尚未提交评测"),
    }
    # the pages: reminder page, sortable headers, names, errors re-rendered
    c = login(world.emails["sz_officer"])
    page = c.get("/enterprises/reminders")
    assert page.status_code == 200 and "宝安电子科技有限公司" in page.text
    assert "南山精密制造有限公司" not in page.text and "吴中" not in page.text
    assert "/api/v1/enterprises/reminders.xlsx" in page.text
    page = c.get("/enterprises", params={"sort": "total", "desc": "1", "chain": "新能源汽车"})
    assert page.status_code == 200 and "广东省深圳市宝安区" in page.text
    assert 'href="/api/v1/enterprises.xlsx?chain=' in page.text
    page = c.get("/enterprises", params={"score_min": "abc"})
    assert page.status_code == 422 and "应为数字" in page.text


def test_admin_organisation_list_pages(app, world, login):
    """The admin index lists 300+ organisations 50 a page, filtered by name/id/scope and
    kind; region scopes shown by name."""
    with app.state.session_factory() as s:
        s.add_all(Organization(name=f"批量服务商{i:03d}", kind="provider") for i in range(320))
        s.commit()
    c = login(world.emails["admin"])
    r = c.get("/admin")
    assert r.status_code == 200
    assert r.text.count('href="/admin/organizations/') // 2 == 50  # name and 成员管理 links
    assert "第 1 / 7 页" in r.text and "共 327 个组织" in r.text
    assert "广东省深圳市" in r.text  # auth_sz's scope 4403 by name
    last = c.get("/admin", params={"page": 7})
    assert "第 7 / 7 页" in last.text and last.text.count('href="/admin/organizations/') // 2 == 27
    assert c.get("/admin", params={"page": 99}).status_code == 200  # clamped to the last
    found = c.get("/admin", params={"q": "批量服务商31", "kind": "provider"})
    assert "共 10 个组织" in found.text and "批量服务商319" in found.text
    assert "南山精密" not in found.text
    auth = c.get("/admin", params={"kind": "authority"})
    assert "共 2 个组织" in auth.text
    # an organisation admin still sees only theirs
    e = login(world.emails["ent_admin"])
    r = e.get("/admin")
    assert r.status_code == 200 and "批量服务商" not in r.text and "共 1 个组织" in r.text
