"""ASVS 4.0.3 V4 (access control): data minimisation in sharing, token scopes.

4.1.1/4.1.3 least privilege: a provider reads only the data categories an enterprise
shared with it; 4.2.1 object-level checks on every read path (lists, single objects,
reports); 4.3.1 the administration API needs the ``admin`` scope besides the role.
"""

from __future__ import annotations

from sqlalchemy import select, text

from nqpf.web.db import make_engine, upgrade_database
from nqpf.web.models import AuditEvent, CarbonInventory, Share

API = "/api/v1"
INVENTORY = {
    "revision": 0,
    "region": "44",
    "grid_factor": "national",
    "output": 5000,
    "revenue": 6000,
    "records": [{"carrier": "电力", "quantity": 1000, "unit": "MWh"}],
}


def _inventory(client, token_for, world) -> int:
    owner = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    iid = client.post(f"{API}/enterprises/{ent}/carbon", json={"year": 2022}, headers=owner)
    iid = iid.json()["id"]
    r = client.put(f"{API}/carbon/{iid}", json=INVENTORY, headers=owner)
    assert r.status_code == 200, r.text
    return iid


def _share(app, world, categories: list[str]) -> None:
    with app.state.session_factory() as s:
        row = s.scalars(select(Share).where(Share.provider_id == world.orgs["prov"])).one()
        row.categories = categories
        s.commit()


def test_a_provider_cannot_read_a_category_not_shared(app, client, world, token_for, login):
    iid = _inventory(client, token_for, world)
    provider = token_for(world.emails["prov_member"])  # the world shares profile, results
    ent = world.orgs["ent_sz"]
    for url in (f"{API}/carbon/{iid}", f"{API}/enterprises/{ent}/carbon",
                f"{API}/carbon/{iid}/report.xlsx"):  # fmt: skip
        r = client.get(url, headers=provider)
        assert r.status_code == 403, (url, r.status_code)
        assert "未向贵单位共享能源与碳排放数据" in r.json()["detail"]
    pages = login(world.emails["prov_member"])
    assert pages.get(f"/carbon/{iid}").status_code == 403
    assert pages.get(f"/enterprises/{ent}/carbon").status_code == 403
    assert client.get(f"{API}/enterprises/{ent}", headers=provider).status_code == 200


def test_energy_without_revenue_hides_output_revenue_and_intensities(app, client, world, token_for):
    iid = _inventory(client, token_for, world)
    _share(app, world, ["profile", "energy_carbon"])
    provider = token_for(world.emails["prov_member"])
    body = client.get(f"{API}/carbon/{iid}", headers=provider).json()
    assert body["inputs"]["output"] is None and body["inputs"]["revenue"] is None
    assert body["result"]["intensities"] == []
    assert abs(body["result"]["e_total"] - 1000 * body["result"]["grid_factor"]["value"]) < 1e-6
    # nothing was written back: the owner still reads the figures
    owner = client.get(f"{API}/carbon/{iid}", headers=token_for(world.emails["ent_admin"]))
    assert owner.json()["inputs"]["output"] == 5000 and owner.json()["result"]["intensities"]
    with app.state.session_factory() as s:
        assert s.get(CarbonInventory, iid).inputs["revenue"] == 6000
    _share(app, world, ["profile", "energy_carbon", "revenue_output"])
    full = client.get(f"{API}/carbon/{iid}", headers=provider).json()
    assert full["inputs"]["revenue"] == 6000
    names = {i["name"] for i in full["result"]["intensities"]}
    assert "万元产值综合能耗" in names


def test_results_need_their_category(app, client, world, token_for):
    ent = world.orgs["ent_sz"]
    _share(app, world, ["profile"])
    provider = token_for(world.emails["prov_member"])
    r = client.get(f"{API}/enterprises/{ent}/assessments", headers=provider)
    assert r.status_code == 403 and "评测结果" in r.json()["detail"]
    assert client.get(f"{API}/enterprises/{ent}", headers=provider).status_code == 200
    _share(app, world, ["profile", "results"])
    assert client.get(f"{API}/enterprises/{ent}/assessments", headers=provider).status_code == 200


def test_a_share_states_its_categories(app, client, world, token_for):
    admin = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    r = client.post(f"{API}/enterprises/{ent}/shares",
                    json={"provider_id": world.orgs["prov2"], "categories": ["energy_carbon"]},
                    headers=admin)  # fmt: skip
    assert r.status_code == 201
    assert r.json()["categories"] == ["profile", "energy_carbon"]  # profile always
    listed = client.get(f"{API}/enterprises/{ent}/shares", headers=admin).json()
    assert {s["provider_id"]: s["categories"] for s in listed}[world.orgs["prov2"]] == [
        "profile",
        "energy_carbon",
    ]
    (event,) = [e for e in _events(app, "share") if e.after["provider_id"] == world.orgs["prov2"]]
    assert event.after["categories"] == ["profile", "energy_carbon"]


def test_existing_shares_migrate_to_the_narrowest_categories(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0005")
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO organization (id, name, kind, created_at) VALUES "
                "(1, 'E', 'enterprise', '2026-01-01'), (2, 'P', 'provider', '2026-01-01')"
            )
        )
        c.execute(text("INSERT INTO share (enterprise_id, provider_id, created_at) "
                       "VALUES (1, 2, '2026-01-01')"))  # fmt: skip
    engine.dispose()
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as c:
        categories, narrowed = c.execute(text("SELECT categories, narrowed FROM share")).one()
        event = c.execute(text("SELECT organization_id, action, after FROM audit_event")).one()
    engine.dispose()
    assert categories in ('["profile", "results"]', ["profile", "results"]) and narrowed
    assert event[0] == 1 and event[1] == "narrow_share" and "results" in str(event[2])


def test_the_enterprise_sees_the_narrowing_notice(app, login, world):
    with app.state.session_factory() as s:
        s.execute(Share.__table__.update().values(narrowed=True))
        s.commit()
    page = login(world.emails["ent_admin"]).get(f"/enterprises/{world.orgs['ent_sz']}")
    assert "已收窄为“企业概况、评测结果”" in page.text


def test_a_read_token_cannot_write_and_admin_writes_need_the_admin_scope(app, client, world):
    from tests.web.security.totp_support import fresh_code
    from tests.web.world import PASSWORD

    def token(email: str, scopes: list[str]) -> dict[str, str]:
        body = {"email": email, "password": PASSWORD, "scopes": scopes}
        if email == world.emails["admin"]:
            body["totp_code"] = fresh_code(app.state.session_factory, email)
        r = client.post(f"{API}/auth/token", json=body)
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    ent = world.orgs["ent_sz"]
    read = token(world.emails["ent_admin"], ["read"])
    assert client.get(f"{API}/enterprises/{ent}", headers=read).status_code == 200
    r = client.post(f"{API}/enterprises/{ent}/assessments", json={"framework": "sme-digital-2024"},
                    headers=read)  # fmt: skip
    assert r.status_code == 403 and "write" in r.json()["detail"]
    write = token(world.emails["admin"], ["read", "write"])
    r = client.post(f"{API}/organizations", json={"name": "新服务商", "kind": "provider"},
                    headers=write)  # fmt: skip
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    assert client.get(f"{API}/audit", headers=write).status_code == 403
    full = token(world.emails["admin"], ["read", "write", "admin"])
    r = client.post(f"{API}/organizations", json={"name": "新服务商", "kind": "provider"},
                    headers=full)  # fmt: skip
    assert r.status_code == 201


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))
