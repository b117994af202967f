"""Answers checked one at a time (nqpf.assessment.answers): stored shapes and problems."""

from __future__ import annotations

import pytest

from nqpf.assessment import load_framework, score
from nqpf.assessment.answers import MAX_FORM_NUMBER, normalize_answer, normalize_answers
from nqpf.exceptions import DataValidationError


@pytest.fixture(scope="module")
def fw():
    return load_framework("sme-digital-2024")


def _kind(fw, kind):
    return next(q for q in fw.questions if q.kind == kind)


def test_stored_shapes(fw):
    single, multi, number = _kind(fw, "single"), _kind(fw, "multi"), _kind(fw, "number")
    plain = [o.id for o in multi.options if not o.exclusive]
    form = next(f for q in fw.questions for f in q.form_fields)
    got = normalize_answers(
        fw,
        {
            single.id: f" {single.options[0].id} ",
            multi.id: "|".join(reversed(plain[:2])),
            number.id: "35%",
            fw.scene_ids[0]: "2",
            form.id: 0,
            fw.scene_ids[1]: None,
        },
    )
    assert got == {
        single.id: single.options[0].id,
        multi.id: plain[:2],  # the framework's option order
        number.id: 35.0,
        fw.scene_ids[0]: 2,
        form.id: 0.0,
        fw.scene_ids[1]: None,  # a cleared answer
    }
    assert normalize_answer(fw, multi.id, ()) == []
    assert normalize_answer(fw, multi.id, tuple(plain[:1])) == plain[:1]


def _problem(fw, key, value) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        normalize_answer(fw, key, value)
    assert info.value.field == key
    return info.value


def test_problems_name_the_key_in_both_languages(fw):
    single, multi, number = _kind(fw, "single"), _kind(fw, "multi"), _kind(fw, "number")
    label = f"第{single.number}题“{single.title}”"
    exc = _problem(fw, single.id, "Z")
    assert exc.reason_zh.startswith(f"{label}没有选项 'Z'；可选 ")
    assert "has no option 'Z'" in exc.reason
    assert _problem(fw, single.id, ["A"]).reason_zh == f"{label}应选择一个选项，收到 ['A']"
    first = multi.options[0].id
    assert _problem(fw, multi.id, [first, first]).reason_zh.endswith(f"的选项 {first} 重复")
    assert "应为选项列表" in _problem(fw, multi.id, 3).reason_zh
    assert "超出范围" in _problem(fw, number.id, number.max_value + 1).reason_zh
    for bad in (True, "nan", "1e999", "x" * 41, object()):
        assert "应为数值" in _problem(fw, number.id, bad).reason_zh
    for bad in (0, 5, 2.5, "two", True):
        assert "等级应为 1–4 的整数" in _problem(fw, fw.scene_ids[0], bad).reason_zh
    form = next(f for q in fw.questions for f in q.form_fields)
    for bad in (-1, MAX_FORM_NUMBER * 10, "many"):
        assert f"“{form.label}”应为不小于 0 的数值" in _problem(fw, form.id, bad).reason_zh
    exc = _problem(fw, "bogus", 1)
    assert exc.reason_zh == "评测框架 sme-digital-2024 中没有题目或场景 'bogus'"
    assert exc.reason == "framework sme-digital-2024 has no question or scene 'bogus'"


def test_exclusive_option_stands_alone(fw):
    q = next(q for q in fw.questions if q.kind == "multi" and any(o.exclusive for o in q.options))
    alone = next(o for o in q.options if o.exclusive)
    other = next(o for o in q.options if not o.exclusive)
    assert normalize_answer(fw, q.id, [alone.id]) == [alone.id]
    exc = _problem(fw, q.id, [other.id, alone.id])
    assert exc.reason_zh.endswith(f"的选项{alone.id}（{alone.label}）不能与其他选项同时选择")


def test_normalized_answers_score_as_given(fw):
    raw = {q.id: "50%" if q.kind == "number" else "A" for q in fw.questions}
    for q in fw.questions:
        if q.kind == "multi":  # two plain options, as a template cell gives them
            raw[q.id] = "|".join([o.id for o in q.options if not o.exclusive][:2])
    raw.update(dict.fromkeys(fw.scene_ids, "3"))
    assert score(fw, normalize_answers(fw, raw)).total == score(fw, raw).total


@pytest.mark.parametrize(
    ("key", "en", "zh"),
    [
        ("scene_qualty", "'scene_quality'", "scene_quality（场景“质量管理”）"),
        ("质量管理", "'scene_quality'", "scene_quality（场景“质量管理”）"),  # the scene's name
        ("网络建设", "'network'", "network（第1题“企业网络建设连接情况”）"),  # in a title
        ("Equipment-Total", "'equipment_total'", "equipment_total（“生产设备数量”）"),
    ],
)
def test_unknown_keys_suggest_the_closest_question_scene_or_form_field(fw, key, en, zh):
    exc = _problem(fw, key, 1)
    assert exc.reason == (
        f"framework sme-digital-2024 has no question or scene {key!r}; did you mean {en}?"
    )
    assert exc.reason_zh == f"评测框架 sme-digital-2024 中没有题目或场景 {key!r}；是否指 {zh}？"


def test_unknown_options_suggest_by_id_and_label(fw):
    planning = fw.question("planning")
    label = f"第{planning.number}题“{planning.title}”"
    exc = _problem(fw, "planning", "已制定规划")
    assert exc.reason == (
        "question 'planning': has no option '已制定规划' (did you mean 'C': "
        "已制定规划、计划及保障措施?); options: A, B, C, D, E, F"
    )
    assert exc.reason_zh == (
        f"{label}没有选项 '已制定规划'（是否指C“已制定规划、计划及保障措施”？）；可选 A、B、C、D、E、F"
    )
    # two equally close options are both suggested; nothing close, nothing suggested
    assert (
        "（是否指A“无”或B“单个业务环节”？）" in _problem(fw, "information_system", "AB").reason_zh
    )
    assert "是否指" not in _problem(fw, "planning", "Z").reason_zh
    assert "did you mean" not in _problem(fw, "network", ["B", 7]).reason
