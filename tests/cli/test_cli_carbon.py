"""``nqpf carbon account`` takes what the web's inventory form takes, and says a rule's
error in English on one line (the web says the same rule in Chinese)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from nqpf.assessment.carbon import account


def _one_line_error(result) -> str:
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_text_numbers_and_chinese_units_as_the_form_sends_them(tmp_path, invoke):
    doc = {
        "inventory": [
            {"carrier": "柴油", "quantity": "1,000", "unit": "公斤"},
            {"carrier": "天然气", "quantity": "12,000", "unit": "立方米"},
            {"carrier": "电力", "quantity": "500", "unit": "兆瓦时"},
            {"carrier": "热力", "quantity": 300, "unit": ""},
        ],
        "output": "2,000",
    }
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res = invoke(["carbon", "account", path, "--year", "2022", "--region", "广东"])
    assert res.code == 0, res.stderr
    expected = account(
        {"柴油": 1, "天然气": 1.2, "电力": 500, "热力": 300}, year=2022, region="广东", output=2000
    )
    assert f"{expected.e_total:,.4f}" in res.stdout
    assert f"{expected.intensity('万元产值碳排放'):,.4f}" in res.stdout


def test_csv_with_blank_units_and_thousands_separators(tmp_path, invoke):
    path = tmp_path / "inv.csv"
    path.write_text(
        'carrier,quantity,unit\n柴油,"100,000",kg\n天然气,3,万立方米\n电力,500,\n', encoding="utf-8"
    )
    res = invoke(["carbon", "account", path, "--year", "2021"])
    assert res.code == 0, res.stderr
    expected = account({"柴油": 100, "天然气": 3, "电力": 500}, year=2021)
    assert f"{expected.e_total:,.4f}" in res.stdout


@pytest.mark.parametrize(
    ("records", "args", "expected"),
    [
        (
            [{"carrier": "电力", "quantity": 5, "unit": "kg"}],
            [],
            ["inventory[0].unit", "does not fit 电力"],
        ),
        (
            [{"carrier": "电力", "quantity": 5}],
            ["--grid-factor", "570"],
            ["grid_factor", "implausible"],
        ),
        ([{"carrier": "柴油", "quantity": 1}] * 101, [], ["'inventory'", "at most 100 entries"]),
        (
            [{"carrier": "柴油", "quantity": "2e12"}],
            [],
            ["inventory[0].quantity", "must be ≤ 1e+12"],
        ),
    ],
    ids=["unit", "grid-factor", "records", "bound"],
)
def test_rule_errors_are_one_english_line(records, args, expected, tmp_path, invoke):
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump({"inventory": records}, allow_unicode=True), encoding="utf-8")
    line = _one_line_error(invoke(["carbon", "account", path, "--year", "2022", *args]))
    for part in ["inv.yaml", *expected]:
        assert part in line, (part, line)


def test_english_names_and_aliases_account_as_the_table_names_and_are_noted(tmp_path, invoke):
    path = tmp_path / "inv.csv"
    path.write_text(
        "carrier,quantity,unit\ndiesel,100,t\nNatural Gas,3,万立方米\nelectricity,500,MWh\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = invoke(["carbon", "account", path, "--year", "2022", "-o", out, "-f", "csv"])
    assert res.code == 0, res.stderr
    expected = account({"柴油": 100, "天然气": 3, "电力": 500}, year=2022)
    assert f"{expected.e_total:,.4f}" in res.stdout
    flat = " ".join(res.stdout.split())
    for given, name in [("diesel", "柴油"), ("Natural Gas", "天然气"), ("electricity", "电力")]:
        note = f"能源品种“{given}”按别名视为“{name}”（nqpf-carrier-aliases v1，nqpf 设计值）"
        assert note in flat, (note, res.stdout)
    carriers = pd.read_csv(out / "carriers.csv", encoding="utf-8-sig")
    assert carriers["carrier"].tolist() == ["柴油", "天然气", "电力"]


def test_an_unknown_carrier_suggests_the_closest_and_writes_nothing(tmp_path, invoke):
    path = tmp_path / "inv.yaml"
    path.write_text("natral gas: 3\n", encoding="utf-8")
    out = tmp_path / "out"
    line = _one_line_error(invoke(["carbon", "account", path, "--year", "2022", "-o", out]))
    assert line.startswith(
        "错误 error: inv.yaml, field 'inventory': unknown carrier 'natral gas' "
        "(did you mean '天然气' (natural gas)?); known carriers: 无烟煤, "
    ), line
    assert not out.exists()
