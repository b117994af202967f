"""能源与碳排放盘查: API, service rules, visibility, pages (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from nqpf.assessment.carbon import account
from nqpf.web.models import AuditEvent, CarbonInventory

INJECTION = "<script>alert(1)</script>"
SQL = "'; DROP TABLE organization; --"

RECORDS = [
    {"carrier": "柴油", "quantity": 100},
    {"carrier": "电力", "quantity": 500000, "unit": "kWh"},
    {"carrier": "天然气", "quantity": 12000, "unit": "m3"},
    {"carrier": "热力", "quantity": 300, "unit": "GJ"},
]


def _body(revision: int, **extra: Any) -> dict[str, Any]:
    return {
        "revision": revision,
        "region": "44",
        "grid_factor": "provincial",
        "records": RECORDS,
        "output": 1000,
        "revenue": 2500,
        "process_emissions": 3.5,
        **extra,
    }


def _state(app) -> dict[str, Any]:
    with app.state.session_factory() as s:
        rows = s.scalars(select(CarbonInventory).order_by(CarbonInventory.id)).all()
        return {
            "rows": [(r.id, r.year, r.revision, r.inputs, r.result) for r in rows],
            "audit": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.object_type == "carbon_inventory")
            ),
        }


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "carbon_inventory", AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def test_api_accounts_like_the_engine(app, world, client, token_for):
    h = token_for(world.emails["ent_member"])
    ent = world.orgs["ent_sz"]
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2022}, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    iid = created["id"]
    # defaults: the profile's province (440305 → 44) and its provincial factor
    assert created["inputs"]["region"] == "44"
    assert created["inputs"]["grid_factor"] == "provincial"
    assert created["result"]["e_total"] == 0.0

    r = client.put(f"/api/v1/carbon/{iid}", json=_body(0), headers=h)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["revision"] == 1
    expected = account(
        RECORDS,
        year=2022,
        region="44",
        grid_factor="provincial",
        process_emissions=3.5,
        output=1000,
        revenue=2500,
    )
    res = got["result"]
    assert math.isclose(res["e_total"], expected.e_total, abs_tol=1e-9)
    assert math.isclose(res["energy_tce"], expected.energy_tce, abs_tol=1e-9)
    for key in ("e_combustion", "e_process", "e_purchased_electricity", "e_purchased_heat"):
        assert math.isclose(res[key], getattr(expected, key), abs_tol=1e-9), key
    assert [(i["name"], i["value"]) for i in res["intensities"]] == [
        (n, v) for n, v, _ in expected.intensities
    ]
    assert [(ln["carrier"], ln["tco2"]) for ln in res["lines"]] == [
        (ln.carrier, ln.tco2) for ln in expected.lines
    ]
    assert res["grid_factor"]["kind"] == "provincial"
    assert res["grid_factor"]["value"] == 0.4403
    assert res["grid_factor"]["confidence"] == "secondary"
    assert "2021/2022" in res["grid_factor"]["label"]
    assert any("柴油.tce" in n for n in res["notes"])  # unverified coefficient is disclosed
    assert client.get(f"/api/v1/carbon/{iid}", headers=h).json()["result"] == res

    # audit: create and save with before/after totals
    (create,) = _events(app, "create")
    assert create.after["year"] == 2022 and create.after["e_total"] == 0.0
    (save,) = _events(app, "save")
    assert save.before["e_total"] == 0.0 and save.before["revision"] == 0
    assert math.isclose(save.after["e_total"], expected.e_total, abs_tol=1e-9)
    assert save.after["revision"] == 1 and save.after["records"] == len(RECORDS)
    assert save.organization_id == ent

    # one per year; stale revision
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2022}, headers=h)
    assert r.status_code == 409 and r.json()["field"] == "year"
    before = _state(app)
    r = client.put(f"/api/v1/carbon/{iid}", json=_body(0, records=[]), headers=h)
    assert r.status_code == 409 and r.json()["field"] == "revision"
    assert _state(app) == before

    # year-over-year against a 2021 inventory (national factor)
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2021}, headers=h)
    old = r.json()["id"]
    body21 = _body(0, grid_factor="national", records=[{"carrier": "柴油", "quantity": 80}])
    r = client.put(f"/api/v1/carbon/{old}", json=body21, headers=h)
    assert r.status_code == 200, r.text
    e21 = r.json()["result"]["e_total"]
    listed = client.get(f"/api/v1/enterprises/{ent}/carbon", headers=h).json()
    assert [x["year"] for x in listed] == [2022, 2021]
    yoy = client.get(f"/api/v1/enterprises/{ent}/carbon/yoy", headers=h).json()
    assert [y["year"] for y in yoy] == [2021, 2022]
    total = next(m for m in yoy[1]["metrics"] if m["key"] == "e_total")
    assert math.isclose(total["change_pct"], (expected.e_total - e21) / e21 * 100, rel_tol=1e-12)

    # XLSX: totals, lines, factors with source and confidence
    r = client.get(f"/api/v1/carbon/{iid}/report.xlsx", headers=h)
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["汇总", "分品种", "因子", "说明"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert math.isclose(summary["排放总量 E (tCO2)"], expected.e_total, abs_tol=1e-9)
    factors = list(book["因子"].iter_rows(values_only=True))
    assert factors[0][4:6] == ("来源", "可信度")
    grid = next(row for row in factors if row[0] == "电力" and row[1] == "排放因子")
    assert "广东" in grid[4] and grid[5] == "二手来源（待与官方公告核对）"
    book.close()

    # carriers
    carriers = client.get("/api/v1/carbon/carriers", headers=h).json()
    by_name = {c["name"]: c for c in carriers}
    assert by_name["电力"]["unit"] == "MWh" and "kWh" in by_name["电力"]["accepted_units"]
    assert by_name["原煤"]["factors_missing"]

    # delete (audited)
    assert client.delete(f"/api/v1/carbon/{old}", headers=h).status_code == 204
    (deleted,) = _events(app, "delete")
    assert deleted.before["year"] == 2021 and math.isclose(deleted.before["e_total"], e21)
    assert client.get(f"/api/v1/carbon/{old}", headers=h).status_code == 404


BAD = [
    ({"records": [{"carrier": "木头", "quantity": 1}]}, "records[0].carrier"),
    ({"records": [RECORDS[0], {"carrier": "电力", "quantity": -5}]}, "records[1].quantity"),
    ({"records": [{"carrier": "电力", "quantity": 5, "unit": "kg"}]}, "records[0].unit"),
    ({"records": [{"carrier": "原煤", "quantity": 5}]}, "records[0].carrier"),  # no factor
    ({"year": 2019}, "year"),
    ({"region": "99"}, "region"),
    ({"region": INJECTION}, "region"),
    ({"year": 2099}, "year"),  # after this year (2023 falls back to the latest factor)
    ({"grid_factor": "national", "output": -1}, "output"),
    ({"records": [RECORDS[0]] * 101}, "records"),
]


def test_invalid_inputs_are_422_and_change_nothing(app, world, client, token_for):
    h = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    iid = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2022}, headers=h).json()[
        "id"
    ]
    assert client.put(f"/api/v1/carbon/{iid}", json=_body(0), headers=h).status_code == 200
    before = _state(app)
    for extra, field in BAD:
        r = client.put(f"/api/v1/carbon/{iid}", json=_body(1, **extra), headers=h)
        assert r.status_code == 422, (extra, r.text)
        assert r.json()["field"] in (field, field.replace("[", ".").replace("]", "")), (
            extra,
            r.json(),
        )
        assert _state(app) == before, extra
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2019}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "year"
    assert "2021" in r.json()["detail"]
    assert _state(app) == before


def test_visibility(app, world, client, token_for):
    owner = token_for(world.emails["ent_member"])
    ent = world.orgs["ent_sz"]
    iid = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2022}, headers=owner)
    iid = iid.json()["id"]
    for who, status in (
        ("sz_officer", 200),
        ("prov_member", 403),  # ent_sz shares profile and results with prov, not carbon
        ("su_officer", 404),
        ("prov2_member", 404),
        ("ent2_admin", 404),
        ("admin", 200),
    ):
        h = token_for(world.emails[who])
        assert client.get(f"/api/v1/carbon/{iid}", headers=h).status_code == status, who
        listed = client.get(f"/api/v1/enterprises/{ent}/carbon", headers=h)
        assert listed.status_code == status, who
    before = _state(app)
    for who in ("sz_officer", "sz_admin", "prov_member"):
        h = token_for(world.emails[who])
        r = client.put(f"/api/v1/carbon/{iid}", json=_body(0), headers=h)
        assert r.status_code == 403, (who, r.text)
        assert client.delete(f"/api/v1/carbon/{iid}", headers=h).status_code == 403
        r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2021}, headers=h)
        assert r.status_code == 403
    for who in ("su_officer", "prov2_member"):
        h = token_for(world.emails[who])
        assert client.put(f"/api/v1/carbon/{iid}", json=_body(0), headers=h).status_code == 404
    assert _state(app) == before
    assert client.put(f"/api/v1/carbon/{iid}", json=_body(0), headers=owner).status_code == 200
    admin = token_for(world.emails["admin"])
    assert client.put(f"/api/v1/carbon/{iid}", json=_body(1), headers=admin).status_code == 200


def _form(csrf: str, revision: int, rows: list[tuple[str, str, str]], **extra: str) -> dict:
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "revision": str(revision),
        "year": "2022",
        "region": "44",
        "grid_mode": "provincial",
        "grid_value": "",
        "output": "1000",
        "revenue": "",
        "process_emissions": "",
        "carrier": [r[0] for r in rows] + ["", ""],
        "quantity": [r[1] for r in rows] + ["", ""],
        "unit": [r[2] for r in rows] + ["", ""],
    }
    data.update(extra)
    return data


def test_pages(app, world, login):
    ent = world.orgs["ent_sz"]
    c = login(world.emails["ent_member"])
    detail = c.get(f"/enterprises/{ent}")
    assert f'href="/enterprises/{ent}/carbon"' in detail.text
    page = c.get(f"/enterprises/{ent}/carbon")
    assert page.status_code == 200 and "新建盘查" in page.text
    r = c.post(
        f"/enterprises/{ent}/carbon",
        data={"year": "2022", "csrf_token": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    iid = int(url.rsplit("/", 1)[1])
    page = c.get(url)
    assert page.status_code == 200
    assert "添加一行" in page.text and page.text.count('name="carrier"') >= 10
    assert "/static/carbon.js" in page.text and "<script>" not in page.text

    rows = [("柴油", "100", "t"), ("电力", "500,000", "kWh")]
    r = c.post(f"/carbon/{iid}/save", data=_form(c.csrf, 0, rows), follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"])
    expected = account(
        [{"carrier": "柴油", "quantity": 100.0, "unit": "t"},
         {"carrier": "电力", "quantity": 500000.0, "unit": "kWh"}],
        year=2022, region="44", grid_factor="provincial", output=1000,
    )  # fmt: skip
    with app.state.session_factory() as s:
        stored = s.get(CarbonInventory, iid)
        assert math.isclose(stored.result["e_total"], expected.e_total, abs_tol=1e-9)
        assert stored.revision == 1
    assert "已保存并重新核算" in page.text
    assert f"{expected.e_total:,.2f}" in page.text
    assert "区域电网因子为 2022 年广东省级电力平均" in page.text and "secondary" in page.text
    assert "gbt-2589-2020-coefficients" in page.text

    # injection strings come back escaped, with the field named; nothing saved
    before = _state(app)
    bad = [("柴油", "1", INJECTION), (SQL, "2", "")]
    r = c.post(f"/carbon/{iid}/save", data=_form(c.csrf, 1, bad))
    assert r.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and INJECTION not in r.text
    assert "records[0].unit" in r.text
    r = c.post(f"/carbon/{iid}/save", data=_form(c.csrf, 1, [(SQL, "2", "")]))
    assert r.status_code == 422 and "records[0].carrier" in r.text
    assert "&#39;; DROP TABLE organization; --" in r.text
    r = c.post(f"/carbon/{iid}/save", data=_form(c.csrf, 1, rows, output=INJECTION))
    assert r.status_code == 422 and "&lt;script&gt;" in r.text and INJECTION not in r.text
    r = c.post(f"/carbon/{iid}/save", data=_form(c.csrf, 0, rows))  # stale revision
    assert r.status_code == 409 and "本页保留了你的输入" in r.text
    r = c.post(f"/enterprises/{ent}/carbon", data={"year": "2022", "csrf_token": c.csrf})
    assert r.status_code == 409 and "已存在" in r.text
    # a cookie POST without the CSRF token is refused
    data = _form(c.csrf, 1, rows)
    del data["csrf_token"]
    headers = {"X-CSRF-Token": ""}
    r = c.post(f"/carbon/{iid}/save", data=data, headers=headers, follow_redirects=False)
    assert r.status_code == 403
    r = c.put(f"/api/v1/carbon/{iid}", json=_body(1), headers=headers)
    assert r.status_code == 403 and r.json()["field"] == "csrf_token"
    assert _state(app) == before

    # readers: read-only page, refused writes
    officer = login(world.emails["sz_officer"])
    page = officer.get(f"/carbon/{iid}")
    assert page.status_code == 200 and "只读" in page.text and "保存并核算" not in page.text
    assert f"{expected.e_total:,.2f}" in page.text
    listing = officer.get(f"/enterprises/{ent}/carbon")
    assert listing.status_code == 200 and "新建盘查" not in listing.text
    r = officer.post(f"/carbon/{iid}/save", data=_form(officer.csrf, 1, rows))
    assert r.status_code == 403
    assert login(world.emails["su_officer"]).get(f"/carbon/{iid}").status_code == 404
    assert _state(app) == before

    assert c.get("/static/carbon.js").status_code == 200
    r = c.post(f"/carbon/{iid}/delete", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/enterprises/{ent}/carbon"
    assert _state(app)["rows"] == []


@pytest.mark.parametrize("year", [2021, 2023])
def test_default_grid_factor_follows_the_table(year, app, world, client, token_for):
    """2023 has no provincial factor: a new inventory defaults to the national one."""
    h = token_for(world.emails["ent_admin"])
    r = client.post(
        f"/api/v1/enterprises/{world.orgs['ent_sz']}/carbon", json={"year": year}, headers=h
    )
    assert r.status_code == 201
    assert r.json()["inputs"]["grid_factor"] == ("provincial" if year == 2021 else "national")
