"""The carbon inventories' summary (``carbon_summary``): written with every create, save
and delete, back-filled by its migration, and the park view added up from it equals
:func:`carbon_rollup` of the inventories' JSON (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, text
from tests.web.test_dashboard import _demo_world

from nqpf.services.assess_rollup import carbon_rollup
from nqpf.web.models import (
    CarbonInventory,
    CarbonSummary,
    EnterpriseProfile,
    Organization,
    User,
)

APPROX = {"rel": 1e-12, "abs": 1e-9}  # sums added in another order


def _load(v):
    return v if isinstance(v, dict) or v is None else json.loads(v)


def _json_rows(session, year: int, region: str) -> list[dict]:
    """The roll-up's input read the old way: each inventory's JSON decoded in Python."""
    rows = session.execute(
        text("SELECT o.id, o.name, p.industry, c.result, c.inputs FROM carbon_inventory c "
             "JOIN organization o ON o.id = c.enterprise_id "
             "LEFT JOIN enterprise_profile p ON p.organization_id = o.id "
             "WHERE c.year = :y AND p.region_code LIKE :r"), {"y": year, "r": f"{region}%"}
    ).all()  # fmt: skip
    return [
        {"id": i, "name": name, "industry": industry, "tce": _load(res).get("energy_tce"),
         "tco2": _load(res).get("e_total"), "output": _load(inp).get("output")}
        for i, name, industry, res, inp in rows
    ]  # fmt: skip


def _assert_close(got: dict, expected: dict) -> None:
    """Equal keys and texts; numbers equal up to the order they were added in."""
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == (v if isinstance(v, str) or v is None else pytest.approx(v, **APPROX)), k


def _number(v):
    return v if type(v) in (int, float) else None


def _summary(session) -> dict[int, tuple]:
    return {
        r.inventory_id: (r.enterprise_id, r.year, r.tce, r.tco2, r.output)
        for r in session.scalars(select(CarbonSummary))
    }


def test_park_view_equals_the_rollup_of_the_json(app, monkeypatch):
    from nqpf.web.authz import load_actor
    from nqpf.web.services.carbon_summary import refresh_carbon_summary
    from nqpf.web.services.dashboard import park_view

    accounts = _demo_world(app, monkeypatch)  # the demo park, 60 enterprises
    with app.state.session_factory() as s:
        # odd inventories the engine does not write: ints, no output, zero and negative
        # output, text and a bool where numbers belong, an empty result
        odd = s.scalars(
            select(EnterpriseProfile.organization_id)
            .where(EnterpriseProfile.region_code.startswith("4403"))
            .order_by(EnterpriseProfile.organization_id)
        ).all()[-6:]
        odd_values = [
            ({"energy_tce": 12, "e_total": 40}, {"output": 800}),
            ({"energy_tce": 3.5, "e_total": 9.25}, {}),
            ({"energy_tce": 1.0, "e_total": 2.0}, {"output": 0}),
            ({"energy_tce": 2.0, "e_total": 5.0}, {"output": -50.0}),
            ({"energy_tce": True, "e_total": "7"}, {"output": "100"}),
            ({}, {"output": 10.0}),
        ]
        s.execute(insert(CarbonInventory), [
            {"enterprise_id": e, "year": 2021, "result": r, "inputs": i, "revision": 1}
            for e, (r, i) in zip(odd, odd_values, strict=True)
        ])  # fmt: skip
        refresh_carbon_summary(s, odd)
        s.commit()

        inventories = s.execute(
            select(CarbonInventory.id, CarbonInventory.result, CarbonInventory.inputs)
        ).all()
        summary = _summary(s)
        assert set(summary) == {i for i, _r, _inp in inventories} and len(summary) > 20
        for i, result, inputs in inventories:
            tce, tco2, output = summary[i][2:]
            r, inp = _load(result), _load(inputs)
            assert (tce, tco2) == (_number(r.get("energy_tce")), _number(r.get("e_total")))
            assert output == _number(inp.get("output"))

        for role, region in (("园区工作人员", "4403"), ("平台管理员", "")):
            user = s.scalar(select(User).where(User.email == accounts.by_role(role).email))
            actor = load_actor(s, user)
            years = park_view(s, actor).years
            assert 2021 in years and len(years) >= 3
            in_view = s.scalar(
                text("SELECT count(*) FROM organization o JOIN enterprise_profile p "
                     "ON p.organization_id = o.id WHERE o.kind = 'enterprise' "
                     "AND p.region_code LIKE :r"), {"r": f"{region}%"}
            )  # fmt: skip
            for year in years:
                view = park_view(s, actor, year=year)
                rows = _json_rows(s, year, region)
                # a number is an int or a float: the text and the bool count as missing
                rows = [{**r, **{k: _number(r[k]) for k in ("tce", "tco2", "output")}}
                        for r in rows]  # fmt: skip
                expected = carbon_rollup(rows)
                _assert_close(view.total, expected["total"])
                assert view.total["n"] == len(rows) > 0
                assert view.enterprises_in_view == in_view > len(rows)
                got = [{k: v for k, v in g.items() if k != "label"} for g in view.industries]
                assert [g["key"] for g in got] == [g["key"] for g in expected["industries"]]
                for g, e in zip(got, expected["industries"], strict=True):
                    _assert_close(g, e)
                got = [{k: v for k, v in e.items() if k != "industry_label"}
                       for e in view.enterprises]  # fmt: skip
                assert got == expected["enterprises"]  # one inventory each: no sums


def test_create_save_delete_keep_the_summary(app, world, client, token_for):
    h = token_for(world.emails["ent_member"])
    ent = world.orgs["ent_sz"]
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2022}, headers=h)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    with app.state.session_factory() as s:
        assert _summary(s) == {iid: (ent, 2022, 0.0, 0.0, None)}
    body = {"revision": 0, "region": "44", "grid_factor": "provincial", "output": 1000,
            "records": [{"carrier": "电力", "quantity": 500000, "unit": "kWh"},
                        {"carrier": "柴油", "quantity": 100}]}  # fmt: skip
    saved = client.put(f"/api/v1/carbon/{iid}", json=body, headers=h).json()["result"]
    assert saved["e_total"] > 300
    with app.state.session_factory() as s:
        assert _summary(s) == {iid: (ent, 2022, saved["energy_tce"], saved["e_total"], 1000.0)}
    # a save that moves the inventory to another year and drops the output
    body.update(revision=1, year=2021, output=None)
    saved = client.put(f"/api/v1/carbon/{iid}", json=body, headers=h).json()["result"]
    with app.state.session_factory() as s:
        assert _summary(s) == {iid: (ent, 2021, saved["energy_tce"], saved["e_total"], None)}
    # a stale save changes nothing
    assert client.put(f"/api/v1/carbon/{iid}", json=body, headers=h).status_code == 409
    with app.state.session_factory() as s:
        assert _summary(s)[iid][1] == 2021
    assert client.delete(f"/api/v1/carbon/{iid}", headers=h).status_code == 204
    with app.state.session_factory() as s:
        assert _summary(s) == {}


def test_migration_backfills_the_summary(sqlite_url):
    from nqpf.web.db import make_engine, upgrade_database

    upgrade_database(sqlite_url, "0008")
    engine = make_engine(sqlite_url)
    inventories = [
        (2022, {"energy_tce": 10.5, "e_total": 31}, {"output": 200.0}),
        (2023, {"energy_tce": 9.0}, {"output": None}),
        (2024, {"e_total": False}, {"output": "x"}),
    ]
    with engine.begin() as conn:
        conn.execute(insert(Organization), [{"id": 7, "name": "e", "kind": "enterprise"}])
        conn.execute(insert(CarbonInventory), [
            {"enterprise_id": 7, "year": y, "result": r, "inputs": i, "revision": 1}
            for y, r, i in inventories
        ])  # fmt: skip
    upgrade_database(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT enterprise_id, year, tce, tco2, output FROM carbon_summary ORDER BY year")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (7, 2022, 10.5, 31.0, 200.0),
        (7, 2023, 9.0, None, None),
        (7, 2024, None, None, None),
    ]
