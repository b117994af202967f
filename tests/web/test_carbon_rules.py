"""One set of carbon rules, two doors: the CLI and the web check the same inputs the same way.

The same bad input fails on the same rule (the same field, ``inventory[i].x`` at the CLI
door and ``records[i].x`` at the web's), in English at the CLI and in Chinese on the web;
what one door accepts the other accepts, with the same numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nqpf.exceptions import DataValidationError
from nqpf.services.carbon import account_file
from nqpf.web.errors import FieldError
from nqpf.web.services.carbon import compute, validate_inputs

BASE: dict[str, Any] = {
    "year": 2022,
    "region": "44",
    "grid_factor": "provincial",
    "records": [{"carrier": "柴油", "quantity": 100}, {"carrier": "电力", "quantity": 500}],
}


def _cli(tmp_path: Path, inputs: dict[str, Any]) -> Any:
    """Account ``inputs`` as an inventory file, as ``nqpf carbon account`` does."""
    doc = {k: v for k, v in inputs.items() if k != "records" and v is not None}
    doc["inventory"] = inputs["records"]
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return account_file(path)


def _web(inputs: dict[str, Any]) -> dict[str, Any]:
    """Check and account ``inputs`` as the inventory page and the JSON API do."""
    year, stored = validate_inputs(**inputs)
    return compute(year, stored)


# (changes to BASE, field at the CLI door, field at the web door)
BAD = [
    (
        {"records": [{"carrier": "木头", "quantity": 1}]},
        "inventory[0].carrier",
        "records[0].carrier",
    ),
    (
        {"records": [BASE["records"][0], {"carrier": "电力", "quantity": -5}]},
        "inventory[1].quantity",
        "records[1].quantity",
    ),
    (
        {"records": [{"carrier": "电力", "quantity": "5 MWh"}]},
        "inventory[0].quantity",
        "records[0].quantity",
    ),
    (
        {"records": [{"carrier": "电力", "quantity": 5, "unit": "kg"}]},
        "inventory[0].unit",
        "records[0].unit",
    ),
    (
        {"records": [{"carrier": "柴油", "quantity": 1}, {"carrier": "原煤", "quantity": 5}]},
        "overrides[原煤.carbon_content]",  # the CLI can supply it; the form cannot
        "records[1].carrier",
    ),
    ({"records": [BASE["records"][0]] * 101}, "inventory", "records"),
    ({"region": "火星"}, "region", "region"),
    ({"grid_factor": 570}, "grid_factor", "grid_factor"),
    ({"grid_factor": "lots"}, "grid_factor", "grid_factor"),
    ({"output": -1}, "output", "output"),
    ({"output": 0}, "output", "output"),
    ({"revenue": "1e13"}, "revenue", "revenue"),
    ({"process_emissions": "n/a"}, "process_emissions", "process_emissions"),
]


@pytest.mark.parametrize(("change", "cli_field", "web_field"), BAD, ids=[b[1] for b in BAD])
def test_same_rule_english_at_the_cli_chinese_on_the_web(change, cli_field, web_field, tmp_path):
    inputs = {**BASE, **change}
    with pytest.raises(DataValidationError) as cli:
        _cli(tmp_path, inputs)
    with pytest.raises(FieldError) as web:
        _web(inputs)
    error = cli.value
    assert (error.file, error.field) == ("inv.yaml", cli_field)
    assert web.value.field == web_field
    # one rule, its reason in two languages: English at the CLI, Chinese on the web
    assert web.value.message.endswith(error.reason_zh)
    assert error.reason in str(error) and error.reason not in web.value.message
    assert error.reason != error.reason_zh


def test_row_labels_on_the_web():
    with pytest.raises(FieldError) as e:
        _web({**BASE, "records": [BASE["records"][0], {"carrier": "电力", "quantity": -5}]})
    assert e.value.message == "第 2 行（电力）的用量不能为负数（收到 -5）"
    with pytest.raises(FieldError) as e:
        _web({**BASE, "records": [{"carrier": "原煤", "quantity": 5}]})
    assert e.value.message.startswith("第 1 行：能源品种“原煤”缺少单位热值含碳量（carbon_content）")
    with pytest.raises(FieldError) as e:
        _web({**BASE, "year": 2019})
    assert e.value.message.startswith("核算年份为 2019 年，没有电网排放因子")


# What the form sends (text numbers, blank and Chinese units, spaces) and what a YAML
# file holds: the two doors give the same numbers.
ACCEPTED = {
    "year": "2022",
    "region": "广东省",
    "grid_factor": "provincial",
    "records": [
        {"carrier": " 柴油 ", "quantity": "1,000", "unit": "公斤"},
        {"carrier": "天然气", "quantity": "12,000", "unit": "立方米"},
        {"carrier": "电力", "quantity": 500000, "unit": "kWh"},
        {"carrier": "热力", "quantity": "300", "unit": ""},
    ],
    "output": "1,000",
    "revenue": 2500,
    "process_emissions": "3.5",
}


def test_what_one_door_accepts_the_other_accepts(tmp_path):
    cli = _cli(tmp_path, ACCEPTED).result
    web = _web(ACCEPTED)
    assert web["e_total"] == pytest.approx(cli.e_total, rel=1e-12)
    assert web["energy_tce"] == pytest.approx(cli.energy_tce, rel=1e-12)
    assert [(i["name"], i["value"]) for i in web["intensities"]] == [
        (n, pytest.approx(v, rel=1e-12)) for n, v, _ in cli.intensities
    ]
    assert web["notes"] == list(cli.notes_zh)
