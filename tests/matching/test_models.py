"""Bad needs and solutions are refused with the field named, in English and Chinese."""

from __future__ import annotations

import pytest

from nqpf.exceptions import DataValidationError
from nqpf.matching import need_from_mapping, resolve_scene, solution_from_mapping


@pytest.fixture
def need_error(need_data):
    def error(**over) -> DataValidationError:
        with pytest.raises(DataValidationError) as info:
            need_from_mapping({**need_data, **over})
        return info.value

    return error


@pytest.fixture
def solution_error(solution_data):
    def error(**over) -> DataValidationError:
        with pytest.raises(DataValidationError) as info:
            solution_from_mapping({**solution_data, **over})
        return info.value

    return error


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("scene_equipment", "scene_equipment"),
        ("设备管理", "scene_equipment"),
        ("设备故障诊断与预测", "设备故障诊断与预测"),
        ("典型场景 28 设备故障诊断与预测", "设备故障诊断与预测"),
        ("28 设备故障诊断与预测", "设备故障诊断与预测"),
        ("  典型场景  28  设备故障诊断与预测 ", "设备故障诊断与预测"),
    ],
)
def test_scene_spellings(value, key):
    assert resolve_scene(value) == key


def test_unknown_scene_names_the_field_and_suggests(need_error):
    err = need_error(scene="设备管里")
    assert err.field == "scene"
    assert "unknown scene" in err.reason and "设备管理" in err.reason
    assert err.reason_zh.startswith("未知场景“设备管里”") and "是否为“设备管理”" in err.reason_zh


def test_typical_scene_number_must_agree_with_its_name(need_error):
    err = need_error(scene="典型场景 27 设备故障诊断与预测")
    assert err.field == "scene" and "编号为 28" in err.reason_zh


def test_target_below_current(need_error, need_data):
    err = need_error(current_level=3, target_level=2)
    assert err.field == "target_level"
    assert err.reason_zh == "目标等级（二级）不能低于当前等级（三级）"
    assert need_from_mapping({**need_data, "current_level": 3, "target_level": 3}).target_level == 3


@pytest.mark.parametrize(
    ("over", "field", "zh"),
    [
        ({"current_level": 5}, "current_level", "应 ≤ 4"),
        (
            {"budget_min": 50, "budget_max": 20},
            "budget_min",
            "预算下限（50 万元）高于上限（20 万元）",
        ),
        ({"budget_max": -1}, "budget_max", "应 ≥ 0"),
        ({"industry": "3511"}, "industry", "应为 GB/T 4754 代码"),
        ({"size_class": "巨型"}, "size_class", "应为"),
        ({"deadline": "明年"}, "deadline", "应为日期"),
        (
            {"addresses": ["equipment_networking_rate"]},
            "addresses[0]",
            "是否为 equipment_network_rate",
        ),
        ({"enterprise_id": ""}, "enterprise_id", "不能为空"),
        ({"colour": "red"}, "colour", "未知字段"),
    ],
)
def test_bad_need_fields(over, field, zh, need_error):
    err = need_error(**over)
    assert err.field == field
    assert zh in err.reason_zh


def test_need_accepts_chinese_size_and_iso_deadline(need_data):
    n = need_from_mapping({**need_data, "size_class": "小型", "deadline": "2027-06-30"})
    assert n.size_class == "small" and n.deadline.isoformat() == "2027-06-30"


def test_contradictory_prerequisites(solution_error):
    err = solution_error(
        prerequisites=[
            {"fact": "equipment_network_rate", "op": ">=", "value": 40, "unit": "%"},
            {"fact": "has_erp", "op": "==", "value": True},
            {"fact": "equipment_network_rate", "op": "<", "value": 30},
        ]
    )
    assert err.field == "prerequisites[2]"
    assert "equipment_network_rate >= 40 % and equipment_network_rate < 30" in err.reason
    assert err.reason_zh == "前提条件相互矛盾：“设备联网率 ≥ 40 %”与“设备联网率 < 30 %”"


@pytest.mark.parametrize(
    ("prerequisites", "field", "zh"),
    [
        ([{"fact": "equipment_network_rate", "op": ">", "value": 100}], "prerequisites[0]", "不可能满足"),
        ([{"fact": "has_erp", "op": "==", "value": True},
          {"fact": "has_erp", "op": "==", "value": False}], "prerequisites[1]", "相互矛盾"),
        # levels are whole numbers: nothing lies strictly between 三级 and 四级
        ([{"fact": "scene_equipment", "op": ">", "value": 3},
          {"fact": "scene_equipment", "op": "<", "value": 4}], "prerequisites[1]", "相互矛盾"),
        ([{"fact": "information_system", "op": ">=", "value": "D"},
          {"fact": "information_system", "op": "<=", "value": "B"}], "prerequisites[1]", "相互矛盾"),
        ([{"fact": "equipment_networking_rate", "op": ">=", "value": 40}], "prerequisites[0].fact", "未知的评测事实"),
        ([{"fact": "has_erp", "op": ">=", "value": True}], "prerequisites[0].op", "只能用 == 或 !="),
        ([{"fact": "equipment_network_rate", "op": ">=", "value": 40, "unit": "分"}], "prerequisites[0].unit", "单位应为%"),
        ([{"fact": "information_system", "op": ">=", "value": "Z"}], "prerequisites[0].value", "应为选项"),
        ([{"fact": "equipment_network_rate", "op": "≈", "value": 40}], "prerequisites[0].op", "未知的比较符"),
    ],
)  # fmt: skip
def test_bad_prerequisites(prerequisites, field, zh, solution_error):
    err = solution_error(prerequisites=prerequisites)
    assert err.field == field
    assert zh in err.reason_zh


def test_compatible_prerequisites_are_kept(solution_data):
    s = solution_from_mapping(
        {
            **solution_data,
            "prerequisites": [
                {"fact": "equipment_network_rate", "op": "≥", "value": 40, "unit": "％"},
                {"fact": "equipment_network_rate", "op": "<=", "value": 80},
                {"fact": "information_system", "op": "!=", "value": "A"},
            ],
        }
    )
    assert [c.op for c in s.prerequisites] == [">=", "<=", "!="]
    assert s.prerequisites[0].unit == "%"


def test_kpi_without_unit(solution_error):
    err = solution_error(
        evidence=[{"industry": "C3511", "kpis": [{"name": "OEE提升", "value": 12}]}]
    )
    assert err.field == "evidence[0].kpis[0].unit"
    assert "unit" in err.reason
    assert err.reason_zh == "案例指标必须注明单位（如 %、天、万元）"


@pytest.mark.parametrize(
    ("over", "field", "zh"),
    [
        ({"scenes": []}, "scenes", "至少需要 1 项"),
        ({"scenes": [{"scene": "设备管理", "from_level": 3, "to_level": 3}]}, "scenes[0].to_level", "应高于起始等级"),
        ({"scenes": [{"scene": "设备管里", "from_level": 2, "to_level": 3}]}, "scenes[0].scene", "未知场景"),
        ({"industries": ["C35", "x9"]}, "industries[1]", "门类字母"),
        ({"price_min": 40, "price_max": 30}, "price_min", "高于最高价格"),
        ({"provider_rating": 6}, "provider_rating", "应 ≤ 5"),
        ({"delivery_weeks": 0}, "delivery_weeks", "应 > 0"),
        ({"deployment": []}, "deployment", "至少需要 1 项"),
        ({"improves": ["nope"]}, "improves[0]", "未知的评测事实"),
        ({"provider_standing": "良好"}, "provider_standing", "应为"),
    ],
)  # fmt: skip
def test_bad_solution_fields(over, field, zh, solution_error):
    err = solution_error(**over)
    assert err.field == field
    assert zh in err.reason_zh


def test_solution_aliases(solution_data):
    s = solution_from_mapping(
        {
            **solution_data,
            "provider_standing": "警告",
            "deployment": "均可",
            "sizes": ["小型", "micro"],
        }
    )
    assert s.provider_standing == "warning"
    assert s.deployment == ("saas", "private")
    assert s.sizes == ("small", "micro")


def test_models_are_frozen(solution):
    s = solution()
    with pytest.raises(Exception, match="frozen"):
        s.name = "x"
