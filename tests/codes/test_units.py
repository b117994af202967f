"""Units as data: conversions, aliases, parsing (nqpf.codes.units)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.codes import units as U
from nqpf.exceptions import DataValidationError

ALL = [u.unit for u in U.units()]


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1, "亿元", "万元", 1e4),
        (2_572.35, "万元", "元", 25_723_500),
        (1, "千元", "万元", 0.1),
        (2500, "kgce", "tce", 2.5),
        (3, "万吨标准煤", "tce", 30_000),
        (1, "MWh", "kWh", 1000),
        (5, "万千瓦时", "MWh", 50),
        (1, "度", "kWh", 1),
        (2, "万立方米", "立方米", 20_000),
        (1, "万Nm³", "万m3", 1),  # normal and actual cubic metres alike (documented)
        (1, "kt", "t", 1000),
        (1500, "公斤", "吨", 1.5),
        (3, "千吨", "万吨", 0.3),
        (1, "万tCO2", "tCO2", 1e4),
        (2, "吉焦", "MJ", 2000),
    ],
)
def test_conversions(value, src, dst, expected):
    assert U.convert(value, src, dst) == pytest.approx(expected, rel=1e-12)


def test_vectorised_values_keep_their_type():
    s = pd.Series([1.0, 2.0], index=["a", "b"])
    out = U.convert(s, "万元", "亿元")
    assert isinstance(out, pd.Series) and out.index.tolist() == ["a", "b"]
    np.testing.assert_allclose(U.convert(np.array([1, 2]), "MWh", "kWh"), [1000, 2000])


def test_spellings_are_normalised():
    assert U.unit_info("ｋＷｈ").unit == "kWh"  # full-width letters
    assert U.unit_info("万 元").unit == "万元"  # blanks
    assert U.unit_info("KWH").unit == "kWh"  # case
    assert U.unit_info("m3").unit == "m³"
    assert U.unit_info("吨标煤").unit == "tce"


def test_errors_are_bilingual_with_did_you_mean():
    with pytest.raises(DataValidationError, match=r"did you mean .*'万元'") as info:
        U.unit_info("万圆")
    assert info.value.reason_zh.startswith("单位 '万圆' 无法识别")
    with pytest.raises(DataValidationError, match=r"cannot convert 万元 \(money\) to tce") as info:
        U.convert(1, "万元", "tce")
    assert info.value.reason_zh == "单位 万元（金额）不能换算为 tce（能源消费量（标准煤））"
    with pytest.raises(DataValidationError, match="cannot convert"):
        U.convert(1, "tce", "kWh")  # needs a 折标煤 coefficient, not a unit factor


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1,234 万元", 1234.0, "万元"),
        ("1,234,567.5元", 1234567.5, "元"),
        ("１，２３４ 万元", 1234.0, "万元"),  # full-width digits and comma
        ("-3.5 tce", -3.5, "tce"),
        ("2e3 kWh", 2000.0, "kWh"),
        (" 12 万吨 ", 12.0, "万t"),
    ],
)
def test_parse_quantity(text, value, unit):
    assert U.parse_quantity(text) == U.Quantity(value, unit)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("12,34 万元", "expected a number such as 1,234.5, got '12,34 万元'"),
        ("万元", "expected a number with an optional unit"),
        ("", "expected a number with an optional unit"),
        ("12", "has no unit"),
        ("1 furlong", "unknown unit 'furlong'"),
    ],
)
def test_parse_quantity_refuses(text, match):
    with pytest.raises(DataValidationError, match=match) as info:
        U.parse_quantity(text, field="产值")
    assert info.value.field == "产值" and info.value.reason_zh


def test_bare_number_with_default_unit():
    assert U.parse_quantity("7", default_unit="万元").to("元") == 70_000


def test_table_header_and_bases():
    t = U._table()
    assert (t.id, t.confidence) == ("nqpf-units", "secondary")
    for u in U.units():
        assert U.unit_info(u.base).factor == 1
        for spelling in (u.unit, *u.aliases):
            assert U.unit_info(spelling).unit == u.unit


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from(ALL),
    st.sampled_from(ALL),
    st.floats(-1e12, 1e12, allow_nan=False),
)
def test_round_trip_or_refusal(a, b, x):
    """Converting there and back returns the value; across dimensions it is refused."""
    if U.unit_info(a).dimension != U.unit_info(b).dimension:
        with pytest.raises(DataValidationError):
            U.convert(x, a, b)
    else:
        back = U.convert(U.convert(x, a, b), b, a)
        assert math.isclose(back, x, rel_tol=1e-12, abs_tol=1e-9)
