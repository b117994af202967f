"""Audit browsing: who sees which events; filters; secrets never stored; escaped output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

API = "/api/v1"
XSS = "<script>alert(1)</script>"


def _make_events(world, token_for, client) -> None:
    h = token_for(world.emails["admin"])
    r = client.post(f"{API}/organizations", json={"name": XSS, "kind": "provider"}, headers=h)
    assert r.status_code == 201
    h = token_for(world.emails["ent_admin"])
    body = {"email": "n@example.cn", "display_name": XSS, "password": "quiet-lamp-river-42"}
    r = client.post(f"{API}/organizations/{world.orgs['ent_sz']}/members", json=body, headers=h)
    assert r.status_code == 201
    h = token_for(world.emails["su_ent_admin"])
    body = {"email": "m@example.cn", "display_name": "M", "password": "quiet-lamp-river-42"}
    r = client.post(f"{API}/organizations/{world.orgs['ent_su']}/members", json=body, headers=h)
    assert r.status_code == 201


def test_audit_visibility(world, token_for, client):
    _make_events(world, token_for, client)
    everything = client.get(f"{API}/audit?per_page=200", headers=token_for(world.emails["admin"]))
    assert everything.status_code == 200
    assert {"create", "add_member"} <= {e["action"] for e in everything.json()["items"]}
    own = client.get(f"{API}/audit", headers=token_for(world.emails["ent_admin"])).json()
    assert own["total"] >= 2
    assert {e["organization_id"] for e in own["items"]} == {world.orgs["ent_sz"]}
    for name in ("ent_member", "sz_officer", "prov_member"):
        assert client.get(f"{API}/audit", headers=token_for(world.emails[name])).status_code == 403
    # no secrets in any event
    text = str(everything.json())
    assert "0123456789" not in text and "argon2" not in text


def test_audit_filters_and_pagination(world, token_for, client):
    _make_events(world, token_for, client)
    h = token_for(world.emails["admin"])
    r = client.get(
        f"{API}/audit", params={"actor_email": "SU_ENT_ADMIN@", "action": "add_member"}, headers=h
    )
    items = r.json()["items"]
    assert len(items) == 1 and items[0]["actor_email"] == world.emails["su_ent_admin"]
    r = client.get(f"{API}/audit", params={"object_type": "organization"}, headers=h)
    assert [e["after"]["name"] for e in r.json()["items"]] == [XSS]
    today = datetime.now(UTC).date()
    r = client.get(
        f"{API}/audit", params={"date_from": str(today), "date_to": str(today)}, headers=h
    )
    assert r.json()["total"] >= 3
    r = client.get(f"{API}/audit", params={"date_to": str(today - timedelta(days=1))}, headers=h)
    assert r.json()["total"] == 0
    r = client.get(
        f"{API}/audit",
        params={"date_from": str(today), "date_to": str(today - timedelta(days=1))},
        headers=h,
    )
    assert r.status_code == 422
    page1 = client.get(f"{API}/audit", params={"per_page": 2}, headers=h).json()
    page2 = client.get(f"{API}/audit", params={"per_page": 2, "page": 2}, headers=h).json()
    assert len(page1["items"]) == 2 and page1["items"][0]["id"] > page2["items"][0]["id"]
    assert client.get(f"{API}/audit", params={"per_page": 10_000}, headers=h).status_code == 422


def test_audit_page(world, token_for, client, login):
    _make_events(world, token_for, client)
    admin = login(world.emails["admin"])
    page = admin.get("/admin/audit")
    assert page.status_code == 200 and "审计日志" in page.text
    assert "&lt;script&gt;" in page.text and XSS not in page.text
    page = admin.get("/admin/audit", params={"action": "add_member", "date_from": "2024-13-01"})
    assert page.status_code == 422 and "YYYY-MM-DD" in page.text
    ent_admin = login(world.emails["ent_admin"])
    page = ent_admin.get("/admin/audit")
    assert (
        page.status_code == 200 and "n@example.cn" in page.text and "m@example.cn" not in page.text
    )
    assert login(world.emails["ent_member"]).get("/admin/audit").status_code == 403
