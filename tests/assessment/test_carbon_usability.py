"""Carbon usability (issue 17 item 6): unit spellings from the units table, years after
the latest published grid factor, and "缺少因子" only where a factor is really lacking."""

import pytest

from nqpf.assessment import carbon
from nqpf.assessment.carbon import account
from nqpf.exceptions import DataValidationError


@pytest.mark.parametrize(
    ("carrier", "quantity", "unit", "table_quantity"),
    [
        ("天然气", 25_000, "立方米", 2.5),  # table unit 万Nm³
        ("天然气", 2.5, "万立方米", 2.5),
        ("天然气", 25_000, "标方", 2.5),
        ("电力", 3, "万千瓦时", 30.0),  # table unit MWh
        ("电力", 30_000, "千瓦时", 30.0),
        ("电力", 30_000, "度", 30.0),
        ("柴油", 1_500, "千克", 1.5),  # table unit t
        ("柴油", 1.5, "吨", 1.5),
        ("柴油", 0.00015, "万吨", 1.5),
        ("热力", 2_000, "兆焦", 2.0),  # table unit GJ
    ],
)
def test_common_spellings_convert_by_the_units_table(carrier, quantity, unit, table_quantity):
    r = account([{"carrier": carrier, "quantity": quantity, "unit": unit}], year=2022)
    reference = account({carrier: table_quantity}, year=2022)
    assert r.lines[0].quantity == pytest.approx(table_quantity, rel=1e-12)
    assert r.e_total == pytest.approx(reference.e_total, rel=1e-12)
    assert r.energy_tce == pytest.approx(reference.energy_tce, rel=1e-12)


def test_an_unknown_spelling_suggests_the_closest_and_lists_the_carriers_units():
    with pytest.raises(DataValidationError) as e:
        account([{"carrier": "天然气", "quantity": 1, "unit": "万立方"}], year=2022)
    assert e.value.field == "inventory[0].unit"
    assert (
        "万m³" in e.value.reason_zh
        and "天然气可用：m³、立方米、万m³、万立方米" in e.value.reason_zh
    )


def test_a_year_after_the_latest_factor_uses_it_flagged():
    published = carbon.grid_factors().national.values
    latest = max(published)
    r = account({"电力": 1000}, year=latest + 2)  # not after this year (2026 or later)
    grid = next(f for f in r.factors_used if f.key == "电力.ef")
    assert grid.value == published[latest].value and grid.confidence == "provisional"
    assert r.grid_factor_year == latest and r.e_total == pytest.approx(1000 * grid.value)
    assert f"暂沿用 {latest} 年" in r.grid_factor_label
    assert any(f"{latest + 2} 年电网排放因子尚未发布" in n for n in r.notes_zh)
    # a published year: no flag
    exact = account({"电力": 1000}, year=latest)
    assert exact.grid_factor_year == latest and "沿用" not in exact.grid_factor_label
    assert not any("尚未发布" in n for n in exact.notes_zh)
    # the user's own factor: no table year
    own = account({"电力": 1000}, year=latest + 2, grid_factor=0.6)
    assert own.grid_factor_year is None and own.e_total == pytest.approx(600.0)


def test_a_provincial_year_after_the_provinces_latest_uses_it_flagged():
    r = account({"电力": 100}, year=2023, region="广东")
    assert r.grid_factor_kind == "provincial" and r.grid_factor_year == 2022
    assert r.e_total == pytest.approx(100 * 0.4403)
    assert r.factors_used[0].confidence == "provisional"


def test_a_future_year_is_refused_whatever_the_table():
    with pytest.raises(DataValidationError, match="no national grid factor for 2099"):
        carbon._grid_factor(
            carbon.check_inputs({"电力": 1}, year=2099, grid_factor="national"), today=2026
        )


def test_missing_factor_label_only_where_a_factor_is_lacking():
    infos = {c.name: c for c in carbon.carrier_infos()}
    # 无烟煤 has no 折标煤 coefficient but its NCV derives one: it can be accounted
    assert infos["无烟煤"].complete
    assert account({"无烟煤": 1}, year=2022).energy_tce > 0
    # 原煤 lacks the carbon content: really incomplete, and the accounting says so
    assert not infos["原煤"].complete
    with pytest.raises(DataValidationError) as e:
        account({"原煤": 1}, year=2022)
    assert "缺少单位热值含碳量" in e.value.reason_zh
    assert {n for n, c in infos.items() if not c.complete} == {"原煤", "外购蒸汽", "二甲醚原料甲醇"}
