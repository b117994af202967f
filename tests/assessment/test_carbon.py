"""Tests of nqpf.assessment.carbon: factor tables, worked inventory, overrides, errors."""

from __future__ import annotations

import dataclasses
import math
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf._suggest import normal_form
from nqpf.assessment import carbon
from nqpf.assessment.carbon import account
from nqpf.exceptions import DataValidationError

#: §4.3–§4.5 of the shared frameworks reference, copied into the repository (see its header).
FRAMEWORKS_MD = (
    Path(__file__).resolve().parents[1] / "reference" / "sources" / "frameworks-carbon.md"
)

# ---------------------------------------------------------------------------------------
# The numbers as printed in frameworks.md (§4.3, §4.4, §4.5), copied verbatim.
# ---------------------------------------------------------------------------------------

PROVINCIAL_MD = """
| 北京 | 0.5688 | 0.5580 | | 河南 | 0.6369 | 0.6058 |
| 天津 | 0.7355 | 0.7041 | | 湖北 | 0.3672 | 0.4364 |
| 河北 | 0.7901 | 0.7252 | | 湖南 | 0.5138 | 0.4900 |
| 山西 | 0.7222 | 0.7096 | | 广东 | 0.4715 | 0.4403 |
| 内蒙古 | 0.7025 | 0.6849 | | 广西 | 0.5154 | 0.4044 |
| 辽宁 | 0.5876 | 0.5626 | | 海南 | 0.4524 | 0.4184 |
| 吉林 | 0.5629 | 0.4932 | | 重庆 | 0.4743 | 0.5227 |
| 黑龙江 | 0.6342 | 0.5368 | | 四川 | 0.1255 | 0.1404 |
| 上海 | 0.5834 | 0.5849 | | 贵州 | 0.5182 | 0.4989 |
| 江苏 | 0.6451 | 0.5978 | | 云南 | 0.1235 | 0.1073 |
| 浙江 | 0.5422 | 0.5153 | | 陕西 | 0.6336 | 0.6558 |
| 安徽 | 0.7075 | 0.6782 | | 甘肃 | 0.4955 | 0.4772 |
| 福建 | 0.4711 | 0.4092 | | 青海 | 0.1326 | 0.1567 |
| 江西 | 0.5835 | 0.5752 | | 宁夏 | 0.6546 | 0.6423 |
| 山东 | 0.6838 | 0.6410 | | 新疆 | 0.6577 | 0.6231 |
"""

FUEL_MD = """
| 无烟煤 | 24.515 | 0.02749 | 94 | | 柴油 | 43.33 | 0.02020 | 98 |
| 烟煤 | 23.204 | 0.02618 | 93 | | 一般煤油 | 44.75 | 0.01960 | 98 |
| 褐煤 | 14.449 | 0.02800 | 96 | | 石脑油 | 41.031 | 0.0200 | 98 |
| 洗精煤 | 26.344 | 0.02540 | 93 | | 石油焦 | 31.00 | 0.02750 | 98 |
| 其它洗煤 | 15.373 | 0.02540 | 90 | | 液化石油气 | 47.31 | 0.01720 | 99 |
| 型煤 | 17.46 | 0.03360 | 90 | | 液化天然气 | 41.868 | 0.01530 | 99 |
| 焦炭 | 28.446 | 0.02940 | 93 | | 天然气 | 389.31 | 0.01530 | 99 |
| 原油 | 42.62 | 0.02010 | 98 | | 焦炉煤气 | 173.854 | 0.01360 | 99 |
| 燃料油 | 40.19 | 0.02110 | 98 | | 高炉煤气 | 37.69 | 0.07080 | 99 |
| 汽油 | 44.80 | 0.01890 | 98 | | 转炉煤气 | 79.54 | 0.04960 | 99 |
"""

NATIONAL = {
    2021: ("0.5568", "secondary"),
    2022: ("0.5366", "secondary"),
    2023: ("0.5306", "secondary"),
}

# carrier: (printed value, printed unit, tag)
COEFFICIENTS = {
    "天然气": ("1.2143", "kgce/m³", "secondary"),
    "外购蒸汽": ("0.0943", "tce/t", "secondary"),
    "二甲醚原料甲醇": ("0.6794", "kgce/kg", "secondary"),
    "原煤": ("0.7143", "kgce/kg", "unverified"),
    "洗精煤": ("0.9000", "kgce/kg", "unverified"),
    "焦炭": ("0.9714", "kgce/kg", "unverified"),
    "原油": ("1.4286", "kgce/kg", "unverified"),
    "燃料油": ("1.4286", "kgce/kg", "unverified"),
    "汽油": ("1.4714", "kgce/kg", "unverified"),
    "一般煤油": ("1.4714", "kgce/kg", "unverified"),  # printed as 煤油
    "柴油": ("1.4571", "kgce/kg", "unverified"),
    "液化石油气": ("1.7143", "kgce/kg", "unverified"),
    "热力": ("0.03412", "kgce/MJ", "unverified"),
}


def _rows(md: str, width: int) -> dict[str, tuple[str, ...]]:
    out = {}
    pattern = r"\| *([^|0-9 ]+) *" + r"\| *([0-9.]+) *" * width
    for line in md.strip().splitlines():
        for m in re.findall(pattern, line):
            out[m[0]] = m[1:]
    return out


def same(value: float, printed: str) -> bool:
    """Tolerance 0: the stored float is the printed decimal."""
    return Decimal(repr(float(value))) == Decimal(printed)


# ---------------------------------------------------------------------------------------
# Factor tables
# ---------------------------------------------------------------------------------------


def test_printed_tables_are_verbatim_copies_of_frameworks_md():
    text = FRAMEWORKS_MD.read_text("utf-8")
    for md in (PROVINCIAL_MD, FUEL_MD):
        for line in md.strip().splitlines():
            assert line in text


def test_tables_have_id_version_source():
    for t in (carbon.energy_coefficients(), carbon.fuel_parameters(), carbon.grid_factors()):
        assert t.id and t.version and t.source


def test_provincial_grid_factors_match_frameworks_md():
    printed = _rows(PROVINCIAL_MD, 2)
    assert len(printed) == 30
    table = carbon.grid_factors()
    assert table.provincial.confidence == "secondary"
    regions = {p.name: p for p in table.provincial.regions}
    assert set(regions) == set(printed)
    assert "西藏" not in regions
    for name, (v21, v22) in printed.items():
        p = regions[name]
        assert sorted(p.values) == [2021, 2022]
        assert same(p.values[2021], v21), name
        assert same(p.values[2022], v22), name
    assert regions["广东"].code == "44" and regions["内蒙古"].code == "15"


def test_national_grid_and_heat_factors_match_frameworks_md():
    g = carbon.grid_factors()
    assert g.national.variant == "全国电力平均"
    assert sorted(g.national.values) == sorted(NATIONAL)
    for year, (printed, tag) in NATIONAL.items():
        assert same(g.national.values[year].value, printed)
        assert g.national.values[year].confidence == tag
    assert g.national.values[2021].notice == "公告2024年第12号"
    assert g.national.values[2022].notice == "公告2024年第33号"
    assert same(g.heat.value, "0.11") and g.heat.unit == "tCO2/GJ"
    assert g.heat.confidence == "secondary"


def test_fuel_parameters_match_frameworks_md():
    printed = _rows(FUEL_MD, 3)
    assert len(printed) == 20
    fuels = carbon.fuel_parameters().fuels
    for name, (ncv, cc, ox) in printed.items():
        f = fuels[name]
        assert same(f.ncv, ncv) and same(f.carbon_content, cc) and same(f.oxidation_rate, ox)
        assert f.confidence == "secondary"
        gas = name in {"天然气", "焦炉煤气", "高炉煤气", "转炉煤气"}
        assert f.unit == ("万Nm³" if gas else "t")
    # 原煤: only the NCV some guides use; nothing else invented
    raw = fuels["原煤"]
    assert same(raw.ncv, "20.908") and raw.confidence == "secondary"
    assert raw.carbon_content is None and raw.oxidation_rate is None
    assert set(fuels) == set(printed) | {"原煤"}


def test_energy_coefficients_match_frameworks_md():
    ec = carbon.energy_coefficients()
    assert set(ec.coefficients) == set(COEFFICIENTS)
    for name, (printed, unit, tag) in COEFFICIENTS.items():
        c = ec.coefficients[name]
        assert same(c.value, printed), name
        assert (c.unit, c.confidence) == (unit, tag), name
    el = ec.electricity
    assert set(el) == {"当量值"}  # 等价值 (≈ 0.30) is not a value: left out
    assert same(el["当量值"].value, "0.1229") and el["当量值"].unit == "kgce/kWh"
    assert el["当量值"].confidence == "secondary"
    assert same(ec.kgce.value, "29.3076") and ec.kgce.confidence == "unverified"


def test_derived_worked_examples_of_frameworks_md():
    # 天然气 ≈ 21.62 tCO2/10⁴Nm³; 柴油 ≈ 3.145 tCO2/t (frameworks.md §4.4)
    gas = account({"天然气": 1}, year=2022).e_combustion
    diesel = account({"柴油": 1}, year=2022).e_combustion
    assert round(gas, 2) == 21.62
    assert round(diesel, 3) == 3.145


def test_carriers_listing():
    t = carbon.carriers()
    assert t.loc["电力", "unit"] == "MWh" and t.loc["热力", "unit"] == "GJ"
    assert "carbon_content" in t.loc["原煤", "factors_missing"]


# ---------------------------------------------------------------------------------------
# Worked inventory
# ---------------------------------------------------------------------------------------

FUELS = _rows(FUEL_MD, 3)


def ef_fuel(name: str) -> float:
    ncv, cc, ox = (float(x) for x in FUELS[name])
    return ncv * cc * (ox / 100) * 44 / 12  # tCO2 per t (per 万Nm³ for gases)


WORKED = [
    {"carrier": "烟煤", "quantity": 1000, "unit": "t"},
    {"carrier": "电力", "quantity": 500, "unit": "万kWh"},
    {"carrier": "热力", "quantity": 2000, "unit": "GJ"},
    {"carrier": "柴油", "quantity": 100_000, "unit": "kg"},
]


def test_worked_inventory_by_hand():
    r = account(WORKED, year=2022, region="广东")
    e_coal = 1000 * 23.204 * 0.02618 * 0.93 * 44 / 12
    e_diesel = 100 * 43.33 * 0.02020 * 0.98 * 44 / 12
    e_el = 5000 * 0.4403  # 500 万kWh = 5 000 MWh
    e_heat = 2000 * 0.11
    assert r.e_combustion == pytest.approx(e_coal + e_diesel, rel=1e-12)
    assert r.e_purchased_electricity == pytest.approx(e_el, rel=1e-12)
    assert r.e_purchased_heat == pytest.approx(e_heat, rel=1e-12)
    assert r.e_total == pytest.approx(e_coal + e_diesel + e_el + e_heat, rel=1e-12)
    # 综合能耗: 烟煤 has no coefficient → NCV / 29.3076; the others from the table
    tce = 1000 * 23.204 / 29.3076 + 5000 * 0.1229 + 2000 * 0.03412 + 100 * 1.4571
    assert r.energy_tce == pytest.approx(tce, rel=1e-12)
    assert any("烟煤" in n and "derived from NCV" in n for n in r.notes)

    f = r.to_frame().set_index("carrier")
    assert f.loc["烟煤", "activity"] == pytest.approx(23204.0)
    assert f.loc["烟煤", "ef"] == pytest.approx(0.02618 * 0.93 * 44 / 12)
    assert f.loc["电力", "quantity"] == pytest.approx(5000.0) and f.loc["电力", "unit"] == "MWh"
    assert f.loc["柴油", "quantity"] == pytest.approx(100.0)
    assert f["tco2"].sum() == pytest.approx(r.e_total)
    assert (r.region, r.region_code, r.grid_factor_kind) == ("广东", "44", "provincial")

    used = r.factors_frame().set_index("key")
    assert used.loc["电力.ef", "value"] == 0.4403
    assert "广东 2022" in used.loc["电力.ef", "source"]
    assert used.loc["电力.ef", "confidence"] == "secondary"
    assert not used["overridden"].any()
    assert used.loc["柴油.tce", "confidence"] == "unverified"


def test_region_codes_and_names_are_equivalent():
    a = account({"电力": 1}, year=2021, region="44").e_total
    for reg in (44, "广东省", "440000", "广东"):
        assert account({"电力": 1}, year=2021, region=reg).e_total == a == 0.4715


def test_national_and_user_grid_factor():
    r = account({"电力": 1000}, year=2021)
    assert r.grid_factor_kind == "national" and r.e_total == pytest.approx(556.8)
    r = account({"电力": 1000}, year=2023, region="广东", grid_factor="national")
    assert r.e_total == pytest.approx(530.6)
    assert any("national grid factor is used" in n for n in r.notes)
    r = account({"电力": 1000}, year=2030, grid_factor=0.5)
    assert r.e_total == pytest.approx(500.0)
    used = r.factors_frame().set_index("key")
    assert bool(used.loc["电力.ef", "overridden"]) and used.loc["电力.ef", "source"] == ("用户指定")


def test_unit_conversions_agree():
    base = account({"电力": 5000, "天然气": 2, "柴油": 3, "热力": 10}, year=2022)
    alt = account(
        [
            {"carrier": "电力", "quantity": 5_000_000, "unit": "kWh"},
            {"carrier": "天然气", "quantity": 20_000, "unit": "m³"},
            {"carrier": "柴油", "quantity": 3000, "unit": "kg"},
            {"carrier": "热力", "quantity": 10_000, "unit": "MJ"},
        ],
        year=2022,
    )
    assert alt.e_total == pytest.approx(base.e_total, rel=1e-12)
    assert alt.energy_tce == pytest.approx(base.energy_tce, rel=1e-12)
    # 天然气 1.2143 kgce/m³ → 12.143 tce/万m³
    gas = account({"天然气": 1}, year=2022).energy_tce
    assert gas == pytest.approx(12.143, rel=1e-12)


def test_dataframe_inventory_and_repeated_carriers_add_up():
    df = pd.DataFrame({"carrier": ["柴油", "柴油"], "quantity": [1.0, 2000.0], "unit": ["t", "kg"]})
    assert account(df, year=2022).e_total == pytest.approx(3 * ef_fuel("柴油"))


# ---------------------------------------------------------------------------------------
# Overrides, conventions, exports, biomass, intensities
# ---------------------------------------------------------------------------------------


def test_override_flow_and_report_flag():
    r = account({"柴油": 10}, year=2022, overrides={"柴油.ncv": 42.0})
    assert r.e_combustion == pytest.approx(10 * 42.0 * 0.0202 * 0.98 * 44 / 12)
    used = r.factors_frame().set_index("key")
    assert bool(used.loc["柴油.ncv", "overridden"]) and used.loc["柴油.ncv", "source"] == "用户指定"
    assert not bool(used.loc["柴油.carbon_content", "overridden"])
    assert any("柴油.ncv overridden by user" in n for n in r.notes)
    assert "柴油.ncv（低位发热量）由用户指定" in r.summary().as_text()  # the summary speaks Chinese


def test_raw_coal_needs_user_factors():
    with pytest.raises(DataValidationError, match=r"原煤\.carbon_content") as e:
        account({"原煤": 1000}, year=2022)
    assert e.value.field == "overrides[原煤.carbon_content]"
    assert e.value.reason_zh.startswith("能源品种“原煤”缺少单位热值含碳量（carbon_content）")
    r = account(
        {"原煤": 1000},
        year=2022,
        overrides={"原煤.carbon_content": 0.026, "原煤.oxidation_rate": 93},
    )
    assert r.e_combustion == pytest.approx(1000 * 20.908 * 0.026 * 0.93 * 44 / 12)
    assert r.energy_tce == pytest.approx(714.3)
    assert sum("overridden by user" in n for n in r.notes) == 2


def test_steam_needs_heat_content():
    with pytest.raises(DataValidationError, match=r"外购蒸汽\.ncv"):
        account({"外购蒸汽": 10}, year=2022)
    r = account({"外购蒸汽": 10}, year=2022, overrides={"外购蒸汽.ncv": 2.8})
    assert r.e_purchased_heat == pytest.approx(10 * 2.8 * 0.11)
    assert r.energy_tce == pytest.approx(0.943)


def test_heat_factor_override_applies_to_exports_too():
    r = account({"热力": 100}, year=2022, exported={"热力": 40}, overrides={"热力.ef": 0.1})
    assert r.e_purchased_heat == pytest.approx(10.0)
    assert r.e_exported_heat == pytest.approx(4.0)
    assert r.e_total == pytest.approx(6.0)


def test_electricity_convention():
    with pytest.raises(DataValidationError, match="供电煤耗") as e:
        account({"电力": 10}, year=2022, electricity_convention="等价值")
    assert e.value.field == "electricity_convention"
    r = account(
        {"电力": 10}, year=2022, electricity_convention="等价值", overrides={"电力.tce": 0.3}
    )
    assert r.energy_tce == pytest.approx(3.0) and r.electricity_convention == "等价值"
    assert account({"电力": 10}, year=2022).energy_tce == pytest.approx(1.229)
    with pytest.raises(DataValidationError) as e:
        account({"电力": 10}, year=2022, electricity_convention="equal")
    assert e.value.field == "electricity_convention"


def test_exported_energy_is_subtracted():
    r = account(
        {"电力": 1000, "热力": 500},
        year=2022,
        region="江苏",
        exported=[
            {"carrier": "电力", "quantity": 100_000, "unit": "kWh"},
            {"carrier": "热力", "quantity": 200},
        ],
    )
    assert r.e_exported_electricity == pytest.approx(100 * 0.5978)
    assert r.e_exported_heat == pytest.approx(200 * 0.11)
    assert r.e_total == pytest.approx(1000 * 0.5978 + 500 * 0.11 - 100 * 0.5978 - 200 * 0.11)
    assert r.energy_tce == pytest.approx(1000 * 0.1229 + 500 * 0.03412)  # not deducted
    assert r.to_frame()["tco2"].sum() == pytest.approx(r.e_total)
    with pytest.raises(DataValidationError, match="known carriers: 电力, 热力"):
        account({"电力": 1}, year=2022, exported={"柴油": 1})


def test_process_and_biomass():
    r = account({"柴油": 1}, year=2022, process_emissions=50, biomass_co2=80)
    assert r.e_process == 50 and r.biomass_co2 == 80
    assert r.e_total == pytest.approx(ef_fuel("柴油") + 50)  # biomass excluded
    assert any("biomass" in n and "excluded" in n for n in r.notes)
    assert "生物质" in r.summary().as_text()


def test_intensities():
    r = account(
        {"柴油": 100, "电力": 1000},
        year=2022,
        output=5000,
        revenue=4000,
        product_output=250,
        product_unit="t",
    )
    assert r.intensity("万元产值综合能耗") == pytest.approx(r.energy_tce / 5000)
    assert r.intensity("万元产值碳排放") == pytest.approx(r.e_total / 5000)
    assert r.intensity("每百元营业收入综合能源消费量") == pytest.approx(r.energy_tce / 400_000)
    assert r.intensity("每百元营业收入碳排放") == pytest.approx(r.e_total / 400_000)
    assert r.intensity("单位产品碳排放") == pytest.approx(r.e_total / 250)
    assert dict((n, u) for n, _, u in r.intensities)["单位产品综合能耗"] == "tce/t"
    with pytest.raises(KeyError):
        account({"柴油": 1}, year=2022).intensity("万元产值碳排放")
    with pytest.raises(DataValidationError) as e:
        account({"柴油": 1}, year=2022, output=0)
    assert e.value.field == "output"


def test_result_contract():
    r = account(WORKED, year=2022, region="广东", output=1000)
    assert isinstance(r.summary().as_text(), str) and "排放总量" in r.summary().as_text()
    assert "<table" in r.summary().as_html() and r.summary().as_markdown()
    f = r.to_frame()
    assert list(f.columns[:4]) == ["carrier", "category", "quantity", "unit"]
    assert len(f) == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.e_total = 0  # type: ignore[misc]
    assert len(r.tables) == 3


# ---------------------------------------------------------------------------------------
# Bad input: the message names the field
# ---------------------------------------------------------------------------------------


def test_unknown_carrier_lists_known():
    with pytest.raises(DataValidationError, match=r"unknown carrier '煤球'.*柴油") as e:
        account({"煤球": 1}, year=2022)
    assert e.value.field == "inventory[煤球]"


def test_negative_consumption():
    with pytest.raises(DataValidationError, match="≥ 0") as e:
        account([{"carrier": "柴油", "quantity": -1, "unit": "t"}], year=2022)
    assert e.value.field == "inventory[0].quantity"


@pytest.mark.parametrize("bad", [math.nan, float("nan"), "12 t", None, "", True, math.inf, 2e12])
def test_nan_and_non_numbers(bad):
    with pytest.raises(DataValidationError) as e:
        account({"柴油": bad}, year=2022)
    assert e.value.field == "inventory[柴油]"
    assert "inventory[柴油]" in str(e.value)
    assert e.value.reason_zh != e.value.reason  # every rule gives its reason in Chinese too


def test_numeric_text_is_a_number():
    """Form fields and CSV cells hold text: the rules read it as the number it spells."""
    text = account(
        [{"carrier": "电力", "quantity": " 500,000 ", "unit": "kWh"}],
        year="2022",
        region="广东",
        output="1,000",
        process_emissions="",
    )
    number = account({"电力": 500}, year=2022, region="广东", output=1000)
    assert text.e_total == number.e_total and text.intensities == number.intensities


def test_blank_unit_and_chinese_unit_spellings():
    base = account({"天然气": 2, "电力": 3, "热力": 4}, year=2022)
    alt = account(
        [
            {"carrier": " 天然气 ", "quantity": 20_000, "unit": "立方米"},
            {"carrier": "电力", "quantity": 3, "unit": "兆瓦时"},
            {"carrier": "热力", "quantity": 4000, "unit": "兆焦"},
        ],
        year=2022,
    )
    assert alt.e_total == pytest.approx(base.e_total, rel=1e-12)
    blank = account([{"carrier": "天然气", "quantity": 2, "unit": "  "}], year=2022)
    assert blank.lines[0].quantity == 2 and blank.lines[0].unit == "万Nm³"
    assert account({"天然气": 2}, year=2022).e_total == blank.e_total


def test_bounds():
    with pytest.raises(DataValidationError, match="at most 100 entries") as e:
        account([{"carrier": "柴油", "quantity": 1}] * (carbon.MAX_RECORDS + 1), year=2022)
    assert e.value.field == "inventory" and "最多 100 行" in e.value.reason_zh
    with pytest.raises(DataValidationError, match="implausible") as e:
        account({"电力": 1}, year=2022, grid_factor=570)  # gCO2/kWh typed as tCO2/MWh
    assert e.value.field == "grid_factor" and "不合理" in e.value.reason_zh
    with pytest.raises(DataValidationError) as e:
        account({"柴油": 1}, year=2022, revenue=10**400)
    assert e.value.field == "revenue" and "超出范围" in e.value.reason_zh
    assert account({"柴油": carbon.MAX_NUMBER}, year=2022).e_total > 0


def test_notes_come_in_both_languages():
    r = account(
        {"烟煤": 10, "电力": 1, "热力": 2},
        year=2023,
        region="广东",
        grid_factor="national",
        exported={"热力": 1},
        overrides={"柴油.ncv": 40},
        biomass_co2=3,
    )
    assert len(r.notes) == len(r.notes_zh) == 6
    assert r.notes_zh[0] == "已选择省份 广东，但按全国电力平均因子核算"
    assert r.notes_zh[1].startswith("烟煤 的折标煤系数表中未给出，按低位发热量折算（23.204 GJ/t")
    assert "未核实" in r.notes_zh[-1] and "kgce" in r.notes_zh[-1]
    user = account({"电力": 1}, year=2022, grid_factor="0.5")
    assert user.notes_zh == ("电网排放因子由用户指定：0.5 tCO2/MWh",)


def test_check_inputs_normalises():
    x = carbon.check_inputs(
        [
            {"carrier": "柴油", "quantity": "1,000", "unit": "kg"},
            {"carrier": "电力", "quantity": 5},
        ],
        year=2022.0,
        region=" 440000 ",
        output="",
        process_emissions=None,
    )
    assert (x.year, x.region_code, x.region, x.grid_factor) == (2022, "44", "广东", "provincial")
    assert not x.grid_factor_given and x.output is None and x.process_emissions == 0.0
    assert [(e.carrier, e.quantity, e.unit, e.table_quantity) for e in x.inventory] == [
        ("柴油", 1000.0, "kg", 1.0),
        ("电力", 5.0, "MWh", 5.0),
    ]
    assert (
        carbon.account_inputs(x).e_total
        == account({"柴油": 1, "电力": 5}, year=2022, region="44").e_total
    )


def test_check_year_keeps_inventories_from_the_first_factor_to_this_year():
    assert carbon.check_year(" 2021 ") == 2021
    assert carbon.check_year(2026, today=2026) == 2026  # after the latest factor (2023)
    assert carbon.inventory_years(2025) == (2021, 2022, 2023, 2024, 2025)
    with pytest.raises(DataValidationError, match="2021–2026") as e:
        carbon.check_year(2019, today=2026)
    assert e.value.field == "year" and "2019 年，没有电网排放因子" in e.value.reason_zh
    with pytest.raises(DataValidationError, match="2021–2025"):
        carbon.check_year(2026, today=2025)  # next year: not yet
    with pytest.raises(DataValidationError, match="integer year") as e:
        carbon.check_year("二〇二二")
    assert e.value.reason_zh.startswith("应为整数")


def test_carrier_infos_agree_with_the_listing():
    table = carbon.carriers()
    infos = carbon.carrier_infos()
    assert [c.name for c in infos] == list(table.index)
    coal = next(c for c in infos if c.name == "原煤")
    assert not coal.complete and "carbon_content" in coal.factors_missing
    assert "万立方米" in next(c for c in infos if c.name == "天然气").accepted_units
    assert carbon.provincial_years("44") == (2021, 2022) and carbon.provincial_years("54") == ()


def test_unknown_region():
    with pytest.raises(DataValidationError, match="unknown region '火星'") as e:
        account({"电力": 1}, year=2022, region="火星")
    assert e.value.field == "region"
    with pytest.raises(DataValidationError, match="西藏"):
        account({"电力": 1}, year=2022, region="54")


def test_year_without_factor_names_years():
    with pytest.raises(DataValidationError, match="2021, 2022, 2023") as e:
        account({"电力": 1}, year=2019)
    assert e.value.field == "year"
    # a provincial factor for a year before the province's first one: never another year's
    with pytest.raises(DataValidationError, match=r"广东 in 2020.*2021, 2022") as e:
        account({"电力": 1}, year=2020, region="广东")
    assert e.value.field == "year"
    # a provincial factor chosen explicitly: the choice is at fault, even without 电力
    with pytest.raises(DataValidationError, match=r"广东 in 2020") as e:
        account({"柴油": 1}, year=2020, region="广东", grid_factor="provincial")
    assert e.value.field == "grid_factor"
    assert e.value.reason_zh.startswith("不能取广东省级平均：表内仅有 2021、2022 年")
    # no electricity: no grid factor needed, any year is fine
    assert account({"柴油": 1}, year=2019).e_total == pytest.approx(ef_fuel("柴油"))


def test_unit_mismatch():
    with pytest.raises(DataValidationError, match=r"does not fit 电力.*kWh") as e:
        account([{"carrier": "电力", "quantity": 1, "unit": "t"}], year=2022)
    assert e.value.field == "inventory[0].unit"
    assert e.value.reason_zh.startswith("单位“t”不适用于电力（表内单位 MWh；可用：kWh、千瓦时、MWh")


def test_listed_entries_name_their_field():
    with pytest.raises(DataValidationError, match="unknown carrier '木头'") as e:
        account([{"carrier": "柴油", "quantity": 1}, {"carrier": "木头", "quantity": 1}], year=2022)
    assert e.value.field == "inventory[1].carrier"
    assert e.value.reason_zh.startswith("能源品种“木头”不在因子表中；可选：")
    with pytest.raises(DataValidationError, match="no carrier given") as e:
        account([{"quantity": 1}], year=2022)
    assert e.value.field == "inventory[0].carrier"
    with pytest.raises(DataValidationError, match="empty") as e:
        account([{"carrier": "柴油"}], year=2022)
    assert e.value.field == "inventory[0].quantity" and e.value.reason_zh == "不能为空"
    with pytest.raises(DataValidationError, match="mapping") as e:
        account(["柴油"], year=2022)
    assert e.value.field == "inventory[0]"


def test_override_for_unknown_factor():
    with pytest.raises(DataValidationError, match=r"unknown factor 'density'.*柴油.ncv") as e:
        account({"柴油": 1}, year=2022, overrides={"柴油.density": 1})
    assert e.value.field == "overrides[柴油.density]"
    with pytest.raises(DataValidationError, match="unknown carrier '煤球'"):
        account({"柴油": 1}, year=2022, overrides={"煤球.ncv": 1})
    with pytest.raises(DataValidationError, match="grid_factor"):
        account({"电力": 1}, year=2022, overrides={"电力.ef": 0.5})
    with pytest.raises(DataValidationError, match="NaN") as e:
        account({"柴油": 1}, year=2022, overrides={"柴油.ncv": math.nan})
    assert e.value.field == "overrides[柴油.ncv]"


def test_bad_grid_factor_choice():
    with pytest.raises(DataValidationError) as e:
        account({"电力": 1}, year=2022, grid_factor="regional")
    assert e.value.field == "grid_factor"
    with pytest.raises(DataValidationError, match="region"):
        account({"电力": 1}, year=2022, grid_factor="provincial")


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

CARRIERS = ["烟煤", "柴油", "天然气", "电力", "热力", "焦炭", "液化石油气"]
quantities = st.dictionaries(
    st.sampled_from(CARRIERS),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(inv=quantities, k=st.floats(min_value=0, max_value=1e3, allow_nan=False))
def test_linear_in_quantities_and_non_negative(inv, k):
    r = account(inv, year=2022, region="浙江")
    s = account({c: q * k for c, q in inv.items()}, year=2022, region="浙江")
    for attr in (
        "e_total",
        "e_combustion",
        "e_purchased_electricity",
        "e_purchased_heat",
        "energy_tce",
    ):
        a, b = getattr(r, attr), getattr(s, attr)
        assert a >= 0 and b >= 0
        assert b == pytest.approx(k * a, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(a=quantities, b=quantities)
def test_additive_over_inventories(a, b):
    ra, rb = account(a, year=2021), account(b, year=2021)
    both = [{"carrier": c, "quantity": q} for c, q in a.items()]
    both += [{"carrier": c, "quantity": q} for c, q in b.items()]
    rab = account(both, year=2021)
    assert rab.e_total == pytest.approx(ra.e_total + rb.e_total, rel=1e-9, abs=1e-9)
    assert rab.energy_tce == pytest.approx(ra.energy_tce + rb.energy_tce, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------------------------
# Carrier names: aliases as data (carrier_aliases.yaml), did-you-mean for the rest
# ---------------------------------------------------------------------------------------


def test_alias_table_is_design_data_over_the_factor_tables():
    t = carbon.carrier_aliases()
    assert (t.id, t.version, t.confidence) == ("nqpf-carrier-aliases", "1", "design")
    assert t.source.startswith("nqpf design")
    known = set(carbon.carriers().index)
    assert set(t.carriers) <= known
    names = [n for c, e in t.carriers.items() for n in (e.en, *e.aliases)]
    forms = [normal_form(n) for n in names]
    assert len(set(forms)) == len(forms)  # one carrier per name
    assert not {normal_form(k) for k in known} & set(forms)


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("diesel", "柴油"),
        ("Natural Gas", "天然气"),
        ("natural_gas", "天然气"),
        ("ELECTRICITY", "电力"),
        ("天燃气", "天然气"),  # a common misspelling, listed
        ("ｄｉｅｓｅｌ", "柴油"),  # full-width letters
        ("LPG", "液化石油气"),
        ("power", "电力"),
    ],
)
def test_an_alias_accounts_as_its_carrier_and_is_noted(given, name):
    by_alias = account({given: 3}, year=2022)
    by_name = account({name: 3}, year=2022)
    assert by_alias.e_total == by_name.e_total and by_alias.energy_tce == by_name.energy_tce
    assert [line.carrier for line in by_alias.lines] == [name]
    assert by_alias.notes[0] == (
        f"carrier {given!r} read as {name} (alias in nqpf-carrier-aliases v1, confidence design)"
    )
    assert by_alias.notes_zh[0] == (
        f"能源品种“{given}”按别名视为“{name}”（nqpf-carrier-aliases v1，nqpf 设计值）"
    )
    assert by_alias.notes[1:] == by_name.notes


def test_aliases_in_records_exports_and_overrides_are_noted_once_each():
    r = account(
        [
            {"carrier": "diesel", "quantity": 1},
            {"carrier": "Diesel", "quantity": 2},
            {"carrier": "electricity", "quantity": 500, "unit": "kWh"},
        ],
        year=2022,
        exported={"heat": 1},
        overrides={"diesel.ncv": 43},
    )
    assert [line.carrier for line in r.lines] == ["柴油", "电力", "热力"]
    assert r.lines[0].quantity == 3
    assert [f.key for f in r.factors_used if f.overridden] == ["柴油.ncv"]
    alias_notes = [n for n in r.notes_zh if "按别名" in n]
    assert alias_notes == [
        "能源品种“diesel”按别名视为“柴油”（nqpf-carrier-aliases v1，nqpf 设计值）",
        "能源品种“electricity”按别名视为“电力”（nqpf-carrier-aliases v1，nqpf 设计值）",
        "能源品种“heat”按别名视为“热力”（nqpf-carrier-aliases v1，nqpf 设计值）",
    ]
    inputs = carbon.check_inputs({"柴油": 1}, year=2022)
    assert inputs.aliases == () and not any(
        "alias" in n for n in account({"柴油": 1}, year=2022).notes
    )


KNOWN_EN = ", ".join(carbon.carriers().index)
KNOWN_ZH = "、".join(carbon.carriers().index)


@pytest.mark.parametrize(
    ("given", "en", "zh"),
    [
        ("disel oil", "'柴油' (diesel)", "“柴油”"),
        ("natral gas", "'天然气' (natural gas)", "“天然气”"),
        ("eletric", "'电力' (electricity)", "“电力”"),
        ("柴由", "'柴油' (diesel)", "“柴油”"),
        ("电立", "'电力' (electricity)", "“电力”"),
    ],
)
def test_an_unknown_name_suggests_the_closest_carriers(given, en, zh):
    with pytest.raises(DataValidationError) as e:
        account([{"carrier": given, "quantity": 1}], year=2022)
    assert e.value.field == "inventory[0].carrier"
    assert e.value.reason == (
        f"unknown carrier {given!r} (did you mean {en}?); known carriers: {KNOWN_EN}"
    )
    assert e.value.reason_zh == f"能源品种“{given}”不在因子表中（是否指{zh}？）；可选：{KNOWN_ZH}"


def test_nothing_near_nothing_suggested_and_exports_keep_their_two_carriers():
    with pytest.raises(DataValidationError) as e:
        account({"木头": 1}, year=2022)
    assert e.value.reason == f"unknown carrier '木头'; known carriers: {KNOWN_EN}"
    with pytest.raises(DataValidationError) as e:
        account({"电力": 1}, year=2022, exported={"diesel": 1})
    assert e.value.reason == "unknown carrier 'diesel'; known carriers: 电力, 热力"
    with pytest.raises(DataValidationError) as e:
        account({"电力": 1}, year=2022, exported={"electrcity": 1, "heta": 2})
    assert e.value.reason == (
        "unknown carrier 'heta' (did you mean '热力' (heat)?); known carriers: 电力, 热力"
    )
    with pytest.raises(DataValidationError) as e:
        account({"柴油": 1}, year=2022, overrides={"dizel.ncv": 43})
    assert e.value.field == "overrides[dizel.ncv]"
    assert e.value.reason.startswith(
        "override for unknown carrier 'dizel' (did you mean '柴油' (diesel)?); keys are "
        "'carrier.factor'"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  柴油: {en: diesel}\n  汽油: {en: gasoline, aliases: [petrol, Diesel]}\n",
            "aliases.yaml, line 7, field 'carriers.汽油.aliases[1]': duplicate alias 'Diesel' "
            "(first given on line 6)",
        ),
        (
            "  柴油: {en: diesel, aliases: [汽油]}\n",
            "aliases.yaml, line 6, field 'carriers.柴油.aliases[0]': alias '汽油' is the table "
            "name of 汽油",
        ),
        (
            "  木柴: {en: firewood}\n",
            "aliases.yaml, line 6, field 'carriers.木柴': '木柴' is not a carrier of the factor "
            f"tables; known: {KNOWN_EN}",
        ),
    ],
)
def test_a_bad_alias_file_names_the_line_and_key(body, expected):
    from nqpf._datafile import parse_yaml_model
    from nqpf.exceptions import ConfigError

    head = "id: t\nversion: '1'\nsource: test\nconfidence: design\ncarriers:\n"
    with pytest.raises(ConfigError) as e:
        parse_yaml_model(head + body, carbon.CarrierAliasTable, filename="aliases.yaml")
    assert str(e.value) == expected
