"""Facts of an SME-2024 assessment and the conditions prerequisites put on them."""

from __future__ import annotations

import math

import pytest

from nqpf.assessment import load_framework, score
from nqpf.exceptions import DataValidationError
from nqpf.matching import Condition, check_facts, facts_from_assessment, load_facts
from nqpf.matching.facts import find_contradiction


@pytest.fixture(scope="module")
def framework():
    return load_framework("sme-digital", "2024")


@pytest.fixture(scope="module")
def result(framework):
    answers = {q.id: (35 if q.kind == "number" else [] if q.kind == "multi" else "A")
               for q in framework.questions}  # fmt: skip
    answers.update({s.id: 1 for s in framework.scenes})
    answers.update({
        "equipment_network_rate": 25, "network": ["B", "C"], "information_system": "C",
        "data_collection": ["equipment", "quality"], "scene_equipment": 2,
        "scene_finance": 2, "scene_procurement": 2,
    })  # fmt: skip
    return score(framework, answers)


def test_every_fact_comes_from_the_assessment(result, framework):
    facts = facts_from_assessment(result)
    assert set(facts) == {spec.id for spec in load_facts()}
    assert facts["equipment_network_rate"] == 25.0
    assert facts["information_system"] == "C"
    assert facts["network"] == 2 and facts["network.B"] is True and facts["network.A"] is False
    assert facts["data_collection.equipment"] is True
    assert facts["scene_equipment"] == 2
    assert facts["score_foundation"] == pytest.approx(result.dimensions["数字化基础"])
    assert facts["total_score"] == pytest.approx(result.total)
    assert facts["level"] == result.level
    assert facts["has_erp"] is True and facts["has_mes"] is False
    assert facts["has_industrial_network"] is True


def test_facts_need_an_sme_2024_result():
    with pytest.raises(DataValidationError) as info:
        facts_from_assessment({"equipment_network_rate": 25})
    assert info.value.field == "assessment"


def test_facts_file_names_questions_scenes_and_labels(framework):
    cat = load_facts()
    assert cat.framework == "sme-digital-2024" and cat.confidence == "design"
    for q in framework.questions:
        assert q.id in cat
    for s in framework.scenes:
        assert cat.spec(s.id).kind == "level" and s.name in cat.spec(s.id).label
    assert all(spec.label for spec in cat)


def test_hand_written_facts_are_checked():
    with pytest.raises(DataValidationError) as info:
        check_facts({"equipment_networking_rate": 25})
    assert info.value.field == "facts.equipment_networking_rate"
    assert "equipment_network_rate" in info.value.reason_zh
    with pytest.raises(DataValidationError, match="is a number"):
        check_facts({"equipment_network_rate": "很多"})
    assert "has_erp" not in check_facts({"scene_finance": 2})  # an input is unknown


@pytest.mark.parametrize(
    ("condition", "x", "met", "margin"),
    [
        ({"fact": "equipment_network_rate", "op": ">=", "value": 40}, 65, True, 0.25),
        ({"fact": "equipment_network_rate", "op": ">=", "value": 40}, 40, True, 0.0),
        ({"fact": "equipment_network_rate", "op": ">=", "value": 40}, 25, False, 0.0),
        ({"fact": "equipment_network_rate", "op": "<", "value": 40}, 30, True, 0.1),
        ({"fact": "information_system", "op": ">=", "value": "C"}, "E", True, 0.5),
        ({"fact": "information_system", "op": ">=", "value": "C"}, "B", False, 0.0),
        ({"fact": "has_erp", "op": "==", "value": True}, True, True, 1.0),
        ({"fact": "has_erp", "op": "!=", "value": True}, True, False, 0.0),
    ],
)
def test_condition_check(condition, x, met, margin):
    c = Condition(**condition)
    check = c.check({condition["fact"]: x})
    assert check.met is met
    assert check.margin == pytest.approx(margin)


def test_unknown_fact_is_unknown_not_unmet():
    c = Condition(fact="equipment_network_rate", op=">=", value=40)
    assert c.check(None).met is None and math.isnan(c.check({}).current)
    assert c.missing_zh({}) == "需设备联网率 ≥ 40 %，当前 未知"


def test_condition_texts():
    facts = {"equipment_network_rate": 52.0, "scene_equipment": 2, "has_erp": False}
    rate = Condition(fact="equipment_network_rate", op=">=", value=40, unit="%")
    assert rate.used_zh(facts) == "设备联网率 52 %（需 ≥ 40 %）"
    level = Condition(fact="scene_equipment", op=">=", value=3)
    assert level.missing_zh(facts) == "需设备管理场景等级 ≥ 三级，当前 二级"
    erp = Condition(fact="has_erp", op="==", value=True)
    assert erp.missing_zh(facts) == "需已应用 ERP 类经营管理系统，当前 否"


def test_find_contradiction_pairs():
    c = lambda op, v: Condition(fact="equipment_network_rate", op=op, value=v)  # noqa: E731
    assert find_contradiction([c(">=", 40), c("<=", 40)]) is None
    assert find_contradiction([c(">", 40), c("<=", 40)]) == (0, 1)
    assert find_contradiction([c("<=", 60), c(">=", 20), c("==", 70)]) == (0, 2)
    assert find_contradiction([c("==", 30), c("!=", 30)]) == (0, 1)
    assert find_contradiction([c("<", 0)]) == (0, 0)
