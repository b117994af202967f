"""Forms of the rule frameworks (nqpf.assessment.forms) and their outcomes
(nqpf.assessment.outcomes): fields from the data files, answer checks, derived rates,
contradictions, and scores equal to the engines run directly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.assessment import assess_innovative, assess_tier, score_cmmm
from nqpf.assessment.cmmm import load_cmmm
from nqpf.assessment.forms import (
    NOT_APPLICABLE,
    check_answers,
    derived,
    engine_input,
    normalize_form_answer,
    normalize_form_answers,
    rule_forms,
    score_form,
)
from nqpf.assessment.green_factory import load_green_factory
from nqpf.assessment.quality_sme_tiers import load_quality_sme
from nqpf.assessment.smart_factory_tiers import load_tiers
from nqpf.exceptions import DataValidationError

FORMS = rule_forms()


def test_fields_come_from_the_data_files():
    assert set(FORMS) == {
        "cmmm-selfcheck-1",
        "smart-factory-tiers-2025",
        "quality-sme-2022",
        "quality-sme-2026",
        "green-factory-2025",
    }
    cmmm = FORMS["cmmm-selfcheck-1"]
    items = load_cmmm("cmmm-selfcheck").items
    assert {f.id for f in cmmm.fields} == {i.id for i in items} and len(items) == 200
    assert {f.level for f in cmmm.fields} == {1, 2, 3, 4, 5}
    tiers = FORMS["smart-factory-tiers-2025"]
    flags = [f.id for f in tiers.fields if f.kind == "bool"]
    assert flags == load_tiers().flag_ids
    assert tiers.field("n_scenes").max == 40 and tiers.field("n_scenes").aux
    for version in ("2022", "2026"):
        form = FORMS[f"quality-sme-{version}"]
        facts = load_quality_sme(version).facts
        assert sorted(f.id for f in form.counted) == sorted(f.key for f in facts)
        for spec in facts:
            f = form.field(spec.key)
            assert (f.kind, f.unit, f.min, f.max) == (spec.kind, spec.unit, spec.min, spec.max)
    assert FORMS["quality-sme-2026"].field("上年度研发费用").aux  # asked only to derive the rate
    green = FORMS["green-factory-2025"]
    spec = load_green_factory()
    for ind in spec.indicators:
        f = green.field(ind.id)
        assert f.na == (NOT_APPLICABLE,)
        assert (f"{ind.id}.benchmark" in {g.id for g in green.fields}) == (
            ind.kind == "quantitative"
        )
    assert [f.id for f in green.fields if f.section == "基本要求（否决项）"] == [
        r.id for r in spec.basic_requirements
    ]


@pytest.mark.parametrize(
    ("key", "field", "value", "stored"),
    [
        ("smart-factory-tiers-2025", "above_scale", "是", True),
        ("smart-factory-tiers-2025", "above_scale", "false", False),
        ("smart-factory-tiers-2025", "links", "生产作业|工厂建设", ["工厂建设", "生产作业"]),
        ("smart-factory-tiers-2025", "n_scenes", "12", 12),
        ("quality-sme-2022", "资产负债率", "135%", 135.0),  # may exceed 100 %
        ("green-factory-2025", "land_output", " 不涉及 ", "不涉及"),
        ("cmmm-selfcheck-1", "data_1a", "大部分满足", "大部分满足"),
    ],
)
def test_answers_normalised(key, field, value, stored):
    assert normalize_form_answer(FORMS[key], field, value) == stored


@pytest.mark.parametrize(
    ("key", "field", "value", "zh"),
    [
        ("smart-factory-tiers-2025", "n_scenes", 2.5, "“已建典型场景数”应为整数，收到 2.5"),
        ("smart-factory-tiers-2025", "n_scenes", 41, "的数值 41 超出范围 [0, 40]个"),
        (
            "quality-sme-2022",
            "营业收入",
            math.inf,
            "“上年度营业收入”应为有限数值（万元），收到 inf",
        ),
        ("quality-sme-2022", "营业收入", True, "应为有限数值（万元），收到 True"),
        ("quality-sme-2022", "营业收入", 1e13, "超出范围 [0, 1000000000000]万元"),
        ("quality-sme-2026", "研发费用占比", -1, "超出范围 [0, 100]%"),
        ("green-factory-2025", "energy_intensity", "n/a", "或“不涉及”，收到 'n/a'"),
        ("green-factory-2025", "iso9001", 1.5, "应为“是”或“否”，收到 1.5"),
        ("smart-factory-tiers-2025", "links", ["生产作业", "生产作业"], "的选项“生产作业”重复"),
        ("smart-factory-tiers-2025", "nope", 1, "中没有填写项 'nope'"),
        ("smart-factory-tiers-2025", "n_scene", 1, "是否指 n_scenes（“已建典型场景数”）？"),
    ],
)
def test_bad_answers_named_in_chinese(key, field, value, zh):
    with pytest.raises(DataValidationError) as info:
        normalize_form_answer(FORMS[key], field, value)
    assert info.value.field == field and zh in info.value.reason_zh


def test_derived_rates_and_contradictions():
    tiers = FORMS["smart-factory-tiers-2025"]
    assert derived(tiers, {"n_scenes": 8, "n_ai_scenes": 2}) == {"ai_scene_share": 25.0}
    assert derived(tiers, {"n_scenes": 0, "n_ai_scenes": 0}) == {}  # no rate of nothing
    assert engine_input(tiers, {"n_scenes": 8, "n_ai_scenes": 2, "maturity_level": "3"}) == {
        "facts": {"maturity_level": 3, "ai_scene_share": 0.25}
    }
    check_answers(tiers, {"n_scenes": 3, "n_ai_scenes": 3})  # equal is fine
    with pytest.raises(DataValidationError) as info:
        check_answers(tiers, {"n_scenes": 0, "n_ai_scenes": 1})
    assert info.value.field == "n_ai_scenes"
    green = FORMS["green-factory-2025"]
    for bench, lead in ((0.5, 0.5), (0.3, 0.5)):  # equal; leading on the wrong side
        with pytest.raises(DataValidationError) as info:
            check_answers(
                green, {"energy_intensity.benchmark": bench, "energy_intensity.leading": lead}
            )
        assert info.value.field == "energy_intensity.leading"
    check_answers(green, {"water_reuse_rate.benchmark": 80, "water_reuse_rate.leading": 95})


def test_quality_rate_derived_then_scored_like_the_engine():
    form = FORMS["quality-sme-2022"]
    answers = {
        "上年度研发费用": 180,
        "营业收入": 6000,
        "研发费用占比": 50,  # typed before the amounts: the derived 3 % replaces it
        "主导产品有效知识产权": "Ⅰ类",
        "主营业务收入增长率": 10,
        "资产负债率": 50,
        "主导产品属战略性新兴产业": True,
        "主营收入占比": 60,
    }
    results, outcome = score_form(form, normalize_form_answers(form, answers))
    facts = {**answers, "研发费用占比": 3.0}
    direct = assess_innovative(facts)
    assert results["innovative"].score == direct.score == pytest.approx(75.0)
    assert outcome.headline == "创新型中小企业" and outcome.rank == 1
    names = [t.name for t in load_quality_sme("2022").tiers.values()]
    assert outcome.ranks == ("均未通过", *names) and names[0] == "创新型中小企业"


def test_tiers_outcome_names_each_unmet_condition():
    form = FORMS["smart-factory-tiers-2025"]
    facts = {f: True for f in load_tiers().flag_ids}
    facts.update(maturity_level="3", links=["生产作业"], kpi_position="national_leading")
    result, outcome = score_form(form, facts)
    direct = assess_tier({**facts, "maturity_level": 3})
    assert result.tier == direct.tier == "基础级" and outcome.headline == "基础级"
    assert [m.split("：")[0] for m in outcome.unmet] == [c.tier for c in direct.unmet()]
    assert outcome.unmet[0] == (
        "先进级：至少覆盖生产作业、生产管理、运营管理（当前 生产作业，要求 生产作业、生产管理、"
        "运营管理）；未覆盖：生产管理、运营管理"
    )
    assert outcome.next_rank == "先进级"
    assert outcome.parts[0] == ("基础级", 14.0, 14.0)


def test_green_not_applicable_indicator_carries_no_points():
    form = FORMS["green-factory-2025"]
    answers = {
        "points_preset": "table-c1-example",
        "land_output": "不涉及",
        "process_equipment": 0.25,
        "iso9001": False,
    }
    kwargs = engine_input(form, answers)
    assert "land_output" not in kwargs["points"] and len(kwargs["points"]) == 13
    with pytest.raises(DataValidationError) as info:  # no benchmark for any quantitative one
        score_form(form, answers)
    assert info.value.field == "energy_intensity"
    answers.update({"water_reuse_rate.benchmark": 80, "water_reuse_rate.leading": 95})
    result, outcome = score_form(form, answers)
    assert result.total == pytest.approx(6 * 0.25) and result.max_total == pytest.approx(92)
    assert (
        outcome.headline == "不达标"
        and outcome.unmet[0] == "否决项：建立并运行质量管理体系（ISO 9001）"
    )
    assert (
        outcome.notes[0].startswith("权重来源：表 C.1 示例分值")
        and "土地产出率" in outcome.notes[0]
    )


_LABELS = ("全部满足", "大部分满足", "部分满足", "不满足")
ITEMS = load_cmmm("cmmm-selfcheck")


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(_LABELS), min_size=200, max_size=200))
def test_cmmm_form_scores_like_the_engine(labels):
    form = FORMS["cmmm-selfcheck-1"]
    answers = {f.id: label for f, label in zip(form.fields, labels, strict=True)}
    result, outcome = score_form(form, answers)
    direct = score_cmmm(ITEMS, answers, fill="equal")
    assert outcome.rank == direct.level == result.level
    assert outcome.score == pytest.approx(direct.maturity_score, abs=1e-12)
    assert len(outcome.unmet) == len(direct.unmet)
