"""Unit names suggest the unit meant, by the rule of :mod:`nqpf._suggest` (issue 14)."""

from __future__ import annotations

import pytest

from nqpf.codes.units import unit_info
from nqpf.exceptions import DataValidationError


@pytest.mark.parametrize(
    ("given", "en", "zh"),
    [
        ("万立方", "did you mean '万m³'?", "是否指“万m³”？"),  # 万立方米 cut short
        ("万千瓦", "did you mean '万kWh'?", "是否指“万kWh”？"),
        ("kwhh", "did you mean 'kWh'?", "是否指“kWh”？"),
        ("万美元", "did you mean '万元' or '元'?", "是否指“万元”或“元”？"),
    ],
)
def test_unknown_unit_suggests_the_unit_meant(given, en, zh):
    with pytest.raises(DataValidationError) as info:
        unit_info(given)
    assert info.value.reason.startswith(f"unknown unit {given!r}; {en} (known: 元, 千元,")
    assert info.value.reason_zh == f"单位 {given!r} 无法识别；{zh}"


def test_nothing_close_is_no_guess_and_spellings_still_read():
    with pytest.raises(DataValidationError) as info:
        unit_info("木头")
    assert "did you mean" not in info.value.reason
    assert info.value.reason_zh == "单位 '木头' 无法识别"
    assert [unit_info(u).unit for u in ("kwh", "万立方米", "万Nm3")] == ["kWh", "万m³", "万m³"]
