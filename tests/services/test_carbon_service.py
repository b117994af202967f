"""nqpf.services.carbon: inventories from bytes, stored inventories, the download's tables."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.assessment.carbon import account
from nqpf.exceptions import DataValidationError
from nqpf.services import carbon as svc

INVENTORY = {"柴油": 100, "天然气": 12.5, "电力": 500}
RECORDS = [{"carrier": k, "quantity": v} for k, v in INVENTORY.items()]


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("inv.yaml", "柴油: 100\n天然气: 12.5\n电力: 500\n".encode()),
        ("inv.json", json.dumps({"inventory": RECORDS}, ensure_ascii=False).encode("utf-8")),
        ("inv.csv", "carrier,quantity\n柴油,100\n天然气,12.5\n电力,500\n".encode("gb18030")),
        ("inv.xlsx", _xlsx(pd.DataFrame(RECORDS))),
    ],
)
def test_inventory_from_bytes_accounts_like_the_engine(name, data):
    args = svc.load_inventory(data, name=name)
    result = svc.account_inventory(args, year=2022, region="广东")
    expected = account(INVENTORY, year=2022, region="广东")
    assert result.e_total == pytest.approx(expected.e_total, rel=1e-12)
    assert result.energy_tce == pytest.approx(expected.energy_tce, rel=1e-12)


def test_options_override_the_file_and_the_year_is_required():
    args = svc.load_inventory("inventory: {电力: 1}\nyear: 2021\n".encode(), name="a.yml")
    assert svc.account_inventory(args).year == 2021
    assert svc.account_inventory(args, year=2022, grid_factor="0.5").e_total == 0.5
    with pytest.raises(DataValidationError, match="--year") as e:
        svc.account_inventory({"inventory": {"电力": 1}})
    assert e.value.field == "year" and e.value.reason_zh == "缺少核算年份"


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("inv.txt", b"x", "cannot read '.txt'"),
        ("inv.yaml", b"- 1\n- 2\n", "expected a mapping"),
        ("inv.yaml", b"a: [1\n", "not readable"),
        ("inv.json", b"\xff\xfe", "not readable"),
        ("inv.yaml", b"inventory: {}\nyaer: 2022\n", r"unknown key\(s\) \['yaer'\]"),
        ("inv.csv", b"carrier,qty\nx,1\n", "missing column"),
    ],
)
def test_unreadable_inventories_name_the_file(name, data, match):
    with pytest.raises(DataValidationError, match=match) as e:
        svc.load_inventory(data, name=name)
    assert e.value.file == name


def test_account_file_locates_a_rule_error_in_the_file(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text("inventory:\n- {carrier: 电力, quantity: 1, unit: kg}\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as e:
        svc.account_file(path, year=2022)
    assert (e.value.file, e.value.field) == ("inv.yaml", "inventory[0].unit")
    assert e.value.reason_zh.startswith("单位“kg”不适用于电力")
    with pytest.raises(DataValidationError, match="file not found"):
        svc.account_file(tmp_path / "missing.yaml", year=2022)


def test_inventory_inputs_store_what_the_form_meant():
    year, inputs = svc.inventory_inputs(
        year="2022",
        region="广东省",
        grid_factor="provincial",
        records=[
            {"carrier": " 柴油 ", "quantity": "1,000", "unit": ""},
            {"carrier": "天然气", "quantity": 3, "unit": "万立方米"},
        ],
        output="",
        revenue="2500",
        process_emissions=None,
    )
    assert year == 2022
    assert inputs == {
        "region": "44",
        "grid_factor": "provincial",
        "records": [
            {"carrier": "柴油", "quantity": 1000.0, "unit": "t"},
            {"carrier": "天然气", "quantity": 3.0, "unit": "万立方米"},
        ],
        "output": None,
        "revenue": 2500.0,
        "process_emissions": 0.0,
    }
    summary = svc.inventory_summary(year, inputs)
    expected = account({"柴油": 1000, "天然气": 3}, year=2022, region="44", revenue=2500)
    assert summary["e_total"] == pytest.approx(expected.e_total, rel=1e-12)
    assert summary == svc.summary_dict(expected)
    json.dumps(summary)  # stored as JSON


def test_summary_notes_are_chinese():
    result = account({"烟煤": 1, "电力": 1}, year=2023, region="广东", grid_factor="national")
    summary = svc.summary_dict(result)
    assert summary["notes"] == list(result.notes_zh) and summary["notes"][0].startswith(
        "已选择省份"
    )
    assert summary["grid_factor"]["label"] == "全国电力平均排放因子（2023 年）"
    assert svc.summary_dict(account({}, year=2019))["grid_factor"]["used"] is False


def test_default_inputs_follow_the_table():
    assert svc.default_inputs("440305", 2022)["grid_factor"] == "provincial"
    assert svc.default_inputs("440305", 2023) == {
        "region": "44",
        "grid_factor": "national",
        "records": [],
        "output": None,
        "revenue": None,
        "process_emissions": 0.0,
    }
    assert svc.default_inputs("540102", 2022)["region"] is None  # 西藏: no provincial factor
    assert svc.default_inputs(None, 2022)["grid_factor"] == "national"


def test_year_over_year():
    a = svc.summary_dict(account({"柴油": 100}, year=2021, output=100))
    b = svc.summary_dict(account({"柴油": 90}, year=2022, output=120))
    rows = svc.year_over_year({2022: b, 2021: a})
    assert [(r["year"], r["previous_year"]) for r in rows] == [(2021, None), (2022, 2021)]
    change = {m["key"]: m["change_pct"] for m in rows[1]["metrics"]}
    assert change["e_total"] == pytest.approx(-10.0)
    assert change["万元产值碳排放"] == pytest.approx((0.9 / 1.2 - 1) * 100)
    assert change["每百元营业收入碳排放"] is None  # no revenue either year


def test_carbon_tables_and_workbook():
    result = account(
        [{"carrier": "柴油", "quantity": 100}, {"carrier": "电力", "quantity": 500}],
        year=2022,
        region="广东",
        output=1000,
    )
    tables = svc.carbon_tables(result, enterprise="=1+1 公司", revision=3)
    assert list(tables) == ["汇总", "分品种", "因子", "说明"]
    stored = svc.carbon_tables(svc.summary_dict(result), enterprise="=1+1 公司", revision=3)
    for name, frame in stored.items():  # from the stored summary: the same sheets
        pd.testing.assert_frame_equal(frame, tables[name])
    totals = dict(tables["汇总"].itertuples(index=False, name=None))
    assert totals["企业"] == "=1+1 公司" and totals["版本"] == 3
    assert totals["排放总量 E (tCO2)"] == result.e_total
    assert totals["电网排放因子"] == "省级电力平均"
    assert list(tables["分品种"].columns[:4]) == ["能源品种", "类别", "用量", "单位"]
    factors = tables["因子"].set_index("因子")
    assert factors.loc["折标煤系数", "可信度"].iloc[0].startswith("未核实")
    assert "使用了标注为“未核实”的因子" in tables["说明"]["内容"].iloc[0]
    assert "企业" not in dict(svc.carbon_tables(result)["汇总"].itertuples(index=False, name=None))

    book = load_workbook(io.BytesIO(svc.carbon_xlsx(result, enterprise="=1+1 公司")))
    cell = book["汇总"]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1 公司", "s")  # text, never a formula
