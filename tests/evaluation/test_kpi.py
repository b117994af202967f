"""kpi_effects(): hand-worked KPIs, unit conversion through nqpf.codes.units, refusals."""

from __future__ import annotations

import math

import pytest

from nqpf.evaluation import kpi_effects
from nqpf.exceptions import DataValidationError


def test_hand_worked_kpis():
    r = kpi_effects(
        [
            # lower is better: 0.52 → 0.47 of a planned 0.52 → 0.45: 5/7 = 71.43 %
            {"name": "单位产值能耗", "baseline": 0.52, "target": 0.45, "actual": 0.47,
             "unit": "tce/万元"},
            # 1,200 万元 → 0.162 亿元 = 1,620 万元 of a planned 1,500: 420/300 = 140 %
            {"name": "营业收入", "baseline": "1,200 万元", "target": "1,500 万元",
             "achieved": "0.162 亿元", "unit": "万元"},
            # 元 converted to the KPI's 万元
            {"name": "研发投入", "baseline": 50, "target": 80, "achieved": 600000,
             "achieved_unit": "元", "unit": "万元"},
            {"name": "设备联网率", "baseline": 20, "target": 60, "unit": "%"},
        ]
    )  # fmt: skip
    t = r.table.set_index("name")
    assert t.loc["单位产值能耗", "direction"] == "-"
    assert t.loc["单位产值能耗", "pct_of_target"] == pytest.approx(500 / 7)
    assert t.loc["单位产值能耗", "met"] is False
    assert t.loc["营业收入", "achieved"] == pytest.approx(1620)
    assert t.loc["营业收入", "pct_of_target"] == pytest.approx(140)
    assert t.loc["研发投入", "achieved"] == pytest.approx(60)
    assert t.loc["研发投入", "pct_of_target"] == pytest.approx(100 / 3)
    assert t.loc["设备联网率", "status"] == "未填报" and t.loc["设备联网率", "met"] is None
    assert t.loc["设备联网率", "unit_check"] == "百分比"
    assert t.loc["单位产值能耗", "unit_check"] == "已核对（单位表）"
    assert r.n_met == 1
    assert "完成目标增量的 140.0%" in r.summary().as_text()


def test_unknown_unit_same_spelling_is_noted():
    r = kpi_effects([{"name": "人均产值", "baseline": 30, "target": 40, "achieved": 40,
                      "unit": "万元/人", "direction": "+"}])  # fmt: skip
    # 人 is not in the unit table: the ratio is not checked, a note says so
    assert r.table.loc[0, "unit_check"].startswith("未在单位表")
    assert any("不在单位表" in n for n in r.notes)
    assert r.table.loc[0, "met"] is True


def test_target_equal_to_baseline():
    r = kpi_effects(
        [{"name": "合格率", "baseline": 99, "target": 99, "achieved": 99.5, "unit": "%"}]
    )
    assert math.isnan(r.table.loc[0, "pct_of_target"])
    assert any("目标等于基线" in n for n in r.notes)


@pytest.mark.parametrize(
    ("kpi", "field", "zh"),
    [
        ({"baseline": 1, "target": 2}, "kpis[0].name", "缺少名称"),
        ({"name": "x", "target": 2}, "kpis[0].baseline", "缺少基线值"),
        ({"name": "x", "baseline": "abc", "target": 2}, "kpis[0].baseline", "基线值"),
        ({"name": "x", "baseline": True, "target": 2}, "kpis[0].baseline", "应为数字"),
        ({"name": "能耗", "baseline": "3 万元", "target": 2, "unit": "tce"},
         "kpis[0].baseline", "无法换算"),
        ({"name": "x", "baseline": 1, "target": 2, "achieved": "3 件/人", "unit": "台/人"},
         "kpis[0].achieved", "无法换算"),
        ({"name": "x", "baseline": 1, "target": 2, "direction": "up"}, "kpis[0].direction", "方向"),
        ({"name": "x", "baseline": 1, "target": 2, "weight": 3}, "kpis[0].weight", "无法识别"),
    ],
)  # fmt: skip
def test_refusals_name_the_kpi(kpi, field, zh):
    with pytest.raises(DataValidationError) as e:
        kpi_effects([kpi])
    assert e.value.field == field
    assert zh in e.value.reason_zh


def test_not_a_list():
    with pytest.raises(DataValidationError, match="list"):
        kpi_effects({"name": "x"})
