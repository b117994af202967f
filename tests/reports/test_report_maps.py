"""Tile-grid layout and the static map renderings (nqpf.reports.maps, nqpf.services.maps)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from nqpf.codes import regions
from nqpf.exceptions import DataValidationError
from nqpf.reports import maps as rmaps
from nqpf.services import maps as smaps


def test_every_province_has_one_tile_and_no_two_share_a_cell():
    tiles = rmaps.province_tiles()
    codes = set(regions("province")["code"])
    assert {t.code for t in tiles} == codes and len(codes) == 34
    assert len({(t.row, t.col) for t in tiles}) == len(tiles)
    # a few conventional neighbours: the north-east top right, Hainan below Guangxi
    pos = {t.name: (t.row, t.col) for t in tiles}
    assert pos["黑龙江"][0] == 0 and pos["海南"][0] == max(r for r, _c in pos.values())
    assert pos["新疆"][1] < pos["北京"][1] < pos["吉林"][1]


def test_every_prefecture_and_direct_county_maps_to_a_tile():
    """Every current prefecture-level code, and every county-level unit directly below a
    province (直辖市 districts, 省直辖县级), is a tile of its province's map, once."""
    table = regions()
    for province in table[table["level"] == "province"]["code"]:
        children = set(table[table["parent"] == province]["code"])
        tiles = rmaps.child_tiles(province[:2])
        assert {t.code for t in tiles} == children, province
        assert len({(t.row, t.col) for t in tiles}) == len(tiles)
    cities = table[table["level"] == "city"]
    for code in cities["code"]:
        tiles = rmaps.child_tiles(code[:2])
        assert code in {t.code for t in tiles}
    # and every county lies in exactly one tile of its province's map
    assign_cache = {}
    for code, parent in table[table["level"] == "county"][["code", "parent"]].itertuples(
        index=False
    ):
        p = code[:2]
        if p not in assign_cache:
            assign_cache[p] = smaps._assign(rmaps.child_tiles(p))
        tile = assign_cache[p](code)
        assert tile in (parent, code), (code, tile)


def test_code_order_layout():
    tiles = rmaps.child_tiles("44")
    assert [t.code for t in tiles] == sorted(t.code for t in tiles)
    assert (tiles[0].row, tiles[0].col, tiles[5].row, tiles[5].col) == (0, 0, 1, 0)  # 5 columns
    assert tiles[2].name == "深圳" and tiles[2].key == "4403"


def _records():
    R = smaps.MapRecord
    return [
        R("440305", 2, 60.0, co2=10.0, output=100.0),
        R("440306001000", 1, 30.0),
        R("440106", None, None, co2=5.0, output=50.0),
        R("320506", 3, 80.0),
        R("330104", 1, 20.0),  # 江干区: retired in 2021, still lies in 杭州
        R("449999", 1, 10.0),  # unknown prefecture of Guangdong
        R("000000", None, None),  # unknown everywhere
        R(None, 1, 40.0),
    ]


def test_values_and_unknown_bucket():
    m = smaps.map_data(_records(), measure="mean_total")
    got = {c.code: c.value for c in m.cells if c.value is not None}
    assert got == {
        "440000": pytest.approx((60 + 30 + 10) / 3),
        "320000": 80.0,
        "330000": 20.0,
    }
    assert m.unknown is not None and m.unknown.enterprises == 2 and m.unknown.assessed == 1
    share = smaps.map_data(_records(), measure="share_target")
    assert share.stats["440000"].value("share_target") == pytest.approx(1 / 3)
    cov = smaps.map_data(_records(), measure="coverage", parent="44")
    assert cov.stats["440300"].enterprises == 2 and cov.stats["440100"].assessed == 0
    assert cov.stats["440100"].value("coverage") == 0.0
    assert cov.unknown.enterprises == 1  # 449999, named, not dropped
    carbon = smaps.map_data(_records(), measure="carbon_intensity", parent="4403")
    assert carbon.stats["440300"].value("carbon_intensity") == pytest.approx(0.1)
    assert smaps.map_data(_records(), measure="enterprises").stats["440000"].enterprises == 4
    with pytest.raises(DataValidationError) as exc:
        smaps.map_data([], measure="nope")
    assert exc.value.field == "measure" and "未知的地图指标" in exc.value.reason_zh
    assert smaps.region_display("440305") == "南山区"
    assert smaps.region_display("999999") == "未知地区（999999）"


def test_classes_and_legend():
    m = smaps.map_data(_records(), measure="share_target")
    assert [e.label for e in m.legend] == [
        "0%–20%",
        "20%–40%",
        "40%–60%",
        "60%–80%",
        "80%–100%",
        "无数据",
    ]
    colors = {c.code: c.color for c in m.cells}
    assert colors["320000"] == rmaps.SEQUENTIAL[-1] and colors["110000"] == rmaps.NO_DATA_COLOR
    mt = smaps.map_data(_records(), measure="mean_total")
    lows = [float(e.label.split("–")[0]) for e in mt.legend[:-1]]
    assert lows == sorted(lows) and lows[0] <= 20 and len(mt.legend) <= 6


def test_svgs_carry_region_codes_and_escape():
    href = lambda key: f"/enterprises?region={key}&x=<b>"  # noqa: E731
    m = smaps.map_data(_records(), measure="coverage", href=href)
    page = smaps.map_svg_text(m)
    root = ET.fromstring(page)
    codes = [e.get("data-region-code") for e in root.iter() if e.get("data-region-code")]
    assert sorted(codes) == sorted(t.code for t in rmaps.province_tiles())
    assert 'href="/enterprises?region=44&amp;x=&lt;b&gt;"' in page
    assert "<b>" not in page
    static = smaps.map_figure_svg(m)
    assert len(set(re.findall(r'data-region-code="(\d{6})"', static))) == 34
    png = smaps.map_png(m, dpi=40)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    body = m.to_json()
    assert len(body["regions"]) == 34 and body["unknown"]["name"] == "未知地区"
    assert json.dumps(body, ensure_ascii=False)


def _square(lon, lat, d=1.0):
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def _geojson(tmp_path, *, islands=True, review=True):
    features = [
        {
            "type": "Feature",
            "properties": {"adcode": int(t.code), "name": t.full_name},
            "geometry": {"type": "Polygon", "coordinates": _square(80 + t.col * 6, 50 - t.row * 4)},
        }
        for t in rmaps.province_tiles()
    ]
    if islands:
        features.append(
            {
                "type": "Feature",
                "properties": {"name": "南海诸岛"},
                "geometry": {"type": "MultiLineString", "coordinates": [[[110, 10], [112, 5]]]},
            }
        )
    data = {"type": "FeatureCollection", "features": features, "source": "测试底图"}
    if review:
        data["review_number"] = "GS(2099)0000号"
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_boundary_file_checks(tmp_path):
    b = smaps.load_boundaries(_geojson(tmp_path))
    assert len(b.codes) == 34 and b.review_number == "GS(2099)0000号" and len(b.extras) == 1
    m = smaps.map_data(_records(), measure="coverage", boundaries=b)
    assert m.basemap == "geojson" and "审图号：GS(2099)0000号" in m.note
    svg = smaps.map_figure_svg(m)
    assert len(set(re.findall(r'data-region-code="(\d{6})"', svg))) == 34
    # prefectures are not in the file: that map falls back to the tile grid
    assert smaps.map_data(_records(), parent="44", boundaries=b).basemap == "tiles"
    for kwargs, words in (
        ({"islands": False}, "南海诸岛"),
        ({"review": False}, "审图号"),
    ):
        sub = tmp_path / str(len(words))
        sub.mkdir()
        with pytest.raises(DataValidationError) as exc:
            smaps.load_boundaries(_geojson(sub, **kwargs))
        assert words in exc.value.reason_zh and exc.value.field == "boundary_geojson"
    with pytest.raises(DataValidationError):
        smaps.load_boundaries(tmp_path / "missing.geojson")
