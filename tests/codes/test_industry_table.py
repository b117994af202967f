"""GB/T 4754-2017 table: counts, names, 大类 → 门类, the derived 2011 → 2017 crosswalk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.codes import industry as I
from nqpf.exceptions import DataValidationError

TABLE = I._table()
CODES = sorted(TABLE.classes)


def test_counts_of_the_2017_table():
    # Published: 20 门类, 97 大类, 473 中类 (data.md §4.3; also tj.jiangsu.gov.cn 2025).
    # 小类: pages quote 1,380 (original), 1,381 and 1,382 (with 第1号修改单, 2019); the two
    # independent transcriptions in the data file agree on 1,381 (see its header).
    counts = I.industries().groupby("level").size().to_dict()
    assert counts == {"门类": 20, "大类": 97, "中类": 473, "小类": 1381}
    assert TABLE.counts == counts


def test_counts_of_the_2011_table():
    # GB/T 4754-2011 published counts: 20 门类, 96 大类, 432 中类, 1,094 小类.
    levels = [c.level for c in TABLE.classes_2011.values()]
    assert {lv: levels.count(lv) for lv in ("门类", "大类", "中类", "小类")} == {
        "门类": 20,
        "大类": 96,
        "中类": 432,
        "小类": 1094,
    }


def test_tree_is_consistent():
    sections = {c for c in CODES if len(c) == 1}
    assert sections == set("ABCDEFGHIJKLMNOPQRST")
    for code in CODES:
        row = TABLE.classes[code]
        if len(code) > 1:
            parent = TABLE.classes[row.parent]
            assert code.startswith(parent.code if len(code) > 3 else code[0])
    # 大类 numbers run 01–97 without gaps, each under one letter, in letter order
    divisions = sorted((c[1:], c[0]) for c in CODES if len(c) == 3)
    assert [d for d, _ in divisions] == [f"{i:02d}" for i in range(1, 98)]
    letters = [s for _, s in divisions]
    assert letters == sorted(letters)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("A", "农、林、牧、渔业"),
        ("A0111", "稻谷种植"),
        ("C", "制造业"),
        ("C35", "专用设备制造业"),
        ("C3511", "矿山机械制造"),
        ("C3741", "飞机制造"),  # a level slip in one transcription, fixed by the other
        ("I65", "软件和信息技术服务业"),
        ("I6520", "集成电路设计"),
        ("I652", "集成电路设计"),  # a 中类 with a single 小类 shares its name
        ("M746", "环境与生态监测检测服务"),
    ],
)
def test_known_names(code, name):
    assert I.industry_name(code) == name
    assert I.industry_name(code[1:] or code) == name


def test_section_from_the_table_and_sections_override():
    assert I.industry_section("3511") == "C"
    assert I.industry_key("3511", "门类") == "C"
    assert I.industry_key("6520", "section") == "I"
    # sections= still overrides the table for codes without a letter
    assert I.industry_key("3511", "门类", sections={"35": "X"}) == "X"
    with pytest.raises(DataValidationError, match="contradicts"):
        I.industry_key("C3511", "门类", sections={"35": "D"})
    with pytest.raises(DataValidationError, match="not a GB/T 4754-2017 大类") as info:
        I.industry_key("9911", "门类")
    assert "9911" in info.value.reason_zh
    with pytest.raises(DataValidationError, match="belongs to 门类 C, not D"):
        I.industry_section("D3511")


def test_known_validation():
    assert I.validate_industry_code("c3511", known=True) == "C3511"
    assert I.validate_industry_code("C3500") == "C3500"  # grammar only by default
    with pytest.raises(DataValidationError, match="not a GB/T 4754-2017 code"):
        I.validate_industry_code("C3500", known=True)


def test_crosswalk_2011_to_2017():
    assert I.current_industry_code("C2520") == "C2521"  # 炼焦 moved to 2521
    assert I.current_industry_code("2520") == "C2521"
    assert I.current_industry_code("C3511") == "C3511"  # same code, same name
    with pytest.raises(DataValidationError, match="对照表") as info:
        I.current_industry_code("C3711")  # 2011 铁路机车车辆及动车组制造: 2017 split it
    assert "铁路机车车辆及动车组制造" in info.value.reason
    with pytest.raises(DataValidationError, match="not a GB/T 4754-2011"):
        I.current_industry_code("C9999")
    bases = [b for _, b in TABLE.crosswalk.values()]
    assert bases.count("same") > 1000 and bases.count("name") > 300


def test_2011_code_gets_a_hint_when_used_as_2017():
    with pytest.raises(DataValidationError, match="2011 code of 生物药品制造"):
        I.industry_name("C2760")


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(CODES))
def test_round_trip(code):
    """Every code names itself with or without its letter and maps to its own 门类."""
    assert I.industry_section(code) == code[0]
    if len(code) > 1:
        digits = code[1:]
        assert I.validate_industry_code(digits.join([code[0], ""]), known=True) == code
        assert I.industry_name(digits) == I.industry_name(code)
        for level, n in (("大类", 2), ("中类", 3), ("小类", 4)):
            if len(digits) >= n:
                assert I.industry_key(digits, level) == digits[:n]
        assert I.industry_key(digits, "门类") == code[0]


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(sorted(TABLE.crosswalk)))
def test_crosswalk_targets_exist_at_the_same_level(old):
    new = I.current_industry_code(old)
    assert TABLE.classes[new].level == TABLE.classes_2011[old].level
