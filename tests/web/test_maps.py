"""The dashboard map (面): values against direct SQL, scope, 未知地区, page, downloads."""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pytest
from sqlalchemy import select, text
from tests.web.answers import better_answers, complete_answers
from tests.web.test_dashboard import _set_profile, _submit

from nqpf.assessment import load_framework
from nqpf.web.models import CarbonInventory
from nqpf.web.services.carbon_summary import refresh_carbon_summary

FW = "sme-digital-2024"


@pytest.fixture(scope="module")
def fw():
    return load_framework(FW)


@pytest.fixture
def mapped(app, world, fw):
    """ent_sz (440305) 三级 then 一级; ent_sz2 (440306) 一级; ent_su (320506) 三级; an
    enterprise of Suzhou moved to an unknown prefecture code 329999; carbon for 2023."""
    e = world.emails
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], better_answers(fw))
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], complete_answers(fw))
    _submit(app, e["ent2_admin"], world.orgs["ent_sz2"], complete_answers(fw, 1))
    _submit(app, e["su_ent_admin"], world.orgs["ent_su"], better_answers(fw))
    with app.state.session_factory() as s:
        for name, co2, output in (("ent_sz", 120.0, 1000.0), ("ent_su", 50.0, 200.0)):
            s.add(
                CarbonInventory(
                    enterprise_id=world.orgs[name],
                    year=2023,
                    inputs={"output": output},
                    result={"e_total": co2},
                )
            )
        refresh_carbon_summary(s)  # written outside the carbon service
        s.commit()
    return world


def _sql_by_prefix(app, n: int, scope: str = "") -> dict[str, dict[str, float]]:
    """Per region prefix of ``n`` digits, straight from the tables: enterprises, assessed,
    the mean of the latest totals, the share at 二级+ and the carbon intensity."""
    with app.state.session_factory() as s:
        rows = s.execute(
            text(
                "SELECT p.region_code, a.seq, a.result, c.result, c.inputs "
                "FROM enterprise_profile p "
                "LEFT JOIN assessment a ON a.enterprise_id = p.organization_id "
                "  AND a.status = 'submitted' "
                "LEFT JOIN carbon_inventory c ON c.enterprise_id = p.organization_id "
                "  AND c.year = 2023"
            )
        ).all()
    latest: dict[str, tuple[int, dict]] = {}
    carbon: dict[str, tuple[float, float]] = {}
    codes = set()
    for code, seq, result, c_result, c_inputs in rows:
        if not code.startswith(scope):
            continue
        codes.add(code)
        if seq is not None:
            result = result if isinstance(result, dict) else __import__("json").loads(result)
            if code not in latest or seq > latest[code][0]:
                latest[code] = (seq, result)
        if c_result is not None:
            c_result = (
                c_result if isinstance(c_result, dict) else __import__("json").loads(c_result)
            )
            c_inputs = (
                c_inputs if isinstance(c_inputs, dict) else __import__("json").loads(c_inputs)
            )
            carbon[code] = (c_result["e_total"], c_inputs["output"])
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for code in codes:
        g = out[code[:n]]
        g["enterprises"] += 1
        if code in latest:
            r = latest[code][1]
            g["assessed"] += 1
            g["total"] += r["total"]
            g["at_target"] += r["level"] >= 2
        if code in carbon:
            g["co2"] += carbon[code][0]
            g["output"] += carbon[code][1]
    return out


def test_map_values_equal_direct_sql(app, mapped, token_for, client):
    admin = token_for(mapped.emails["admin"])
    expected = _sql_by_prefix(app, 2)
    for measure in ("mean_total", "share_target", "coverage", "carbon_intensity", "enterprises"):
        r = client.get("/api/v1/dashboard/map", params={"measure": measure, "parent": ""},
                       headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["regions"]) == 34 and body["year"] == 2023
        got = {x["code"][:2]: x for x in body["regions"] if x["enterprises"]}
        assert set(got) == set(expected) == {"44", "32"}
        for key, g in expected.items():
            x = got[key]
            assert (x["enterprises"], x["assessed"]) == (g["enterprises"], g["assessed"])
            want = {
                "mean_total": g["total"] / g["assessed"],
                "share_target": g["at_target"] / g["assessed"],
                "coverage": g["assessed"] / g["enterprises"],
                "carbon_intensity": g["co2"] / g["output"],
                "enterprises": g["enterprises"],
            }[measure]
            assert x["value"] == pytest.approx(want), (measure, key)
            assert x["href"] == f"/enterprises?region={key}"
        assert body["unknown"] is None
    # the province map of the Shenzhen officer (default: its province), by prefecture
    sz = token_for(mapped.emails["sz_officer"])
    body = client.get("/api/v1/dashboard/map", headers=sz).json()
    assert body["parent"] == "44" and len(body["regions"]) == 21
    by = {x["code"]: x for x in body["regions"]}
    sql = _sql_by_prefix(app, 4, "4403")["4403"]
    assert by["440300"]["enterprises"] == sql["enterprises"] == 2
    assert by["440300"]["value"] == pytest.approx(sql["total"] / sql["assessed"])
    assert by["440300"]["name"] == "深圳"


def test_officer_map_never_shows_another_region(app, mapped, token_for, client):
    sz = token_for(mapped.emails["sz_officer"])
    for params in ({"parent": ""}, {"parent": "32"}, {"region": "32"}, {"region": "3205"}):
        r = client.get("/api/v1/dashboard/map", params=params, headers=sz)
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        assert not [x for x in body["regions"] if x["code"][:2] == "32" and x["enterprises"]]
        assert "吴中" not in r.text
    r = client.get("/api/v1/dashboard/map.xlsx", params={"parent": ""}, headers=sz)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content))["地图数据"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["440000"][2] == 2 and rows["320000"][2] == 0
    assert rows["440000"][1] == "广东省"


def test_unknown_region_code_is_named(app, mapped, token_for, client):
    _set_profile(app, mapped.orgs["ent_su"], region_code="329999")  # no such prefecture
    admin = token_for(mapped.emails["admin"])
    body = client.get("/api/v1/dashboard/map", params={"parent": "32"}, headers=admin).json()
    assert body["unknown"] == {
        "name": "未知地区",
        "enterprises": 1,
        "assessed": 1,
        "value": pytest.approx(100.0),
        "text": "100.0",
    }
    assert sum(x["enterprises"] for x in body["regions"]) == 0
    dash = client.get("/api/v1/dashboard", params={"region": "32"}, headers=admin).json()
    assert [g["label"] for g in dash["prefectures"]] == ["未知地区（3299）"]
    r = client.get("/api/v1/enterprises", params={"region": "32"}, headers=admin)
    assert r.json()["items"][0]["region_name"] == "未知地区（329999）"


def test_page_map_and_downloads(app, mapped, login):
    c = login(mapped.emails["sz_officer"])
    r = c.get("/dashboard")
    assert r.status_code == 200
    html = r.text
    codes = set(re.findall(r'data-region-code="(\d{6})"', html))
    assert "440300" in codes and len(codes) == 21 and not any(x.startswith("32") for x in codes)
    assert '<a href="/enterprises?region=4403" class="region" data-region-code="440300">' in html
    assert 'data-map-url="/api/v1/dashboard/map?' in html
    assert '<script src="/static/vendor/echarts.min.js" defer></script>' in html
    assert "示意图" in html  # the tile grid says what it is
    for kind, magic in (("png", b"\x89PNG"), ("svg", b"<svg"), ("xlsx", b"PK")):
        r = c.get(f"/api/v1/dashboard/map.{kind}", params={"measure": "coverage"})
        assert r.status_code == 200 and r.content[:4].startswith(magic[:4]), kind
        assert "attachment" in r.headers["content-disposition"]
    svg = c.get("/api/v1/dashboard/map.svg").text
    assert len(set(re.findall(r'data-region-code="(\d{6})"', svg))) == 21
    # the vendored library is served by the app itself
    js = c.get("/static/vendor/echarts.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert c.get("/static/maps.js").status_code == 200
    # bad input: a measure outside the list, a malformed parent
    assert c.get("/api/v1/dashboard/map", params={"measure": "x"}).status_code == 422
    r = c.get("/api/v1/dashboard/map", params={"parent": "4"})
    assert r.status_code == 422 and r.json()["field"] == "parent"
    r = c.get("/api/v1/dashboard/map", params={"parent": "99"})
    assert r.status_code == 422 and r.json()["field"] == "parent"


def test_boundary_setting_bad_file_falls_back(app, mapped, token_for, client, tmp_path):
    bad = tmp_path / "cn.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    app.state.settings = app.state.settings.model_copy(update={"boundary_geojson": bad})
    body = client.get("/api/v1/dashboard/map", headers=token_for(mapped.emails["admin"])).json()
    assert body["basemap"] == "tiles" and "边界文件不可用" in body["warning"]
    with app.state.session_factory() as s:
        assert s.scalars(select(CarbonInventory)).first() is not None


def test_map_chain_filter_matches_dashboard(app, mapped, token_for, client):
    """The map's SQL grouping and the dashboard's roll-up agree under every filter."""
    _set_profile(app, mapped.orgs["ent_sz2"], chains=[{"chain": "新能源汽车", "stage": "上游"}])
    admin = token_for(mapped.emails["admin"])
    for params in ({}, {"chain": "新能源汽车"}, {"chain": "高端装备"}, {"industry": "C34"},
                   {"region": "4403", "chain": "高端装备"}):  # fmt: skip
        dash = client.get("/api/v1/dashboard", params=params, headers=admin).json()["kpis"]
        body = client.get("/api/v1/dashboard/map", params={**params, "parent": ""},
                          headers=admin).json()  # fmt: skip
        n = sum(x["enterprises"] for x in body["regions"])
        k = sum(x["assessed"] for x in body["regions"])
        assert (n, k) == (dash["enterprises"], dash["assessed"]), params
        assessed = [x for x in body["regions"] if x["assessed"]]
        if assessed and dash["mean_total"] is not None:
            mean = sum(x["value"] * x["assessed"] for x in assessed) / k
            assert mean == pytest.approx(dash["mean_total"])
