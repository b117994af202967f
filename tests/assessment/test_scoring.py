"""score() and batch_score(): bad input, results, agreement and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqpf.assessment import ScoreResult, batch_score, load_framework, score
from nqpf.exceptions import DataValidationError

FW = load_framework("sme-digital", "2024")


def good() -> dict:
    return {
        "network": ["B", "C"],
        "equipment_digital_rate": 35,
        "equipment_network_rate": 12.5,
        "data_collection": "quality|equipment",
        "information_system": "C",
        "network_security": ["A"],
        "data_security": [],
        "planning": "D",
        "management_mechanism": ["A", "B"],
        "talent": ["A"],
        "funding_rate": 5,
        "green_low_carbon": "C",
        "product_quality": "B",
        "market_performance": "C",
        "value_benefit": "A",
        **{s: 2 for s in FW.scene_ids},
    }


# -- bad input: each a clear message naming the question/field ---------------------------


def _label(question_id: str) -> str:
    """A question as the questionnaire (and every Chinese message) shows it."""
    q = FW.question(question_id)
    return f"第{q.number}题“{q.title}”"


def _err(answers: dict) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        score(FW, answers)
    return info.value


def test_unknown_question_id():
    err = _err({**good(), "netwrok": ["B"]})
    assert err.field == "netwrok"
    assert err.reason == (
        "framework sme-digital-2024 has no question or scene 'netwrok'; did you mean 'network'?"
    )
    assert err.reason_zh == (
        "评测框架 sme-digital-2024 中没有题目或场景 'netwrok'；"
        f"是否指 network（{_label('network')}）？"
    )
    err = _err({**good(), "no_such_thing": 1})
    assert err.reason == "framework sme-digital-2024 has no question or scene 'no_such_thing'"


def test_form_field_ids_are_accepted_and_checked():
    assert score(FW, {**good(), "equipment_total": 120}).total == score(FW, good()).total
    err = _err({**good(), "equipment_total": -1})
    assert err.field == "equipment_total" and "应为不小于 0 的数值" in err.reason_zh


def test_unknown_option_id():
    err = _err({**good(), "information_system": "G"})
    assert err.field == "information_system"
    assert err.reason == "question 'information_system': has no option 'G'; options: A, B, C, D, E"
    assert err.reason_zh == f"{_label('information_system')}没有选项 'G'；可选 A、B、C、D、E"
    err = _err({**good(), "talent": ["A", "Z"]})
    assert err.field == "talent" and "没有选项 'Z'" in err.reason_zh


def test_missing_answers_are_reported_at_once():
    answers = good()
    del answers["planning"]
    err = _err(answers)
    assert err.field == "planning"
    assert err.reason == "missing answer to question 'planning' (企业对数字化的认识与执行水平)"
    assert err.reason_zh == "第8题“企业对数字化的认识与执行水平”缺少答案"
    del answers["talent"], answers["scene_finance"], answers["scene_hr"]
    err = _err({**answers, "funding_rate": None, "network": float("nan")})
    assert err.field == "network"  # the first, in questionnaire order
    missing = ["network", "planning", "talent", "funding_rate"]
    assert err.reason == (
        "missing answers to questions "
        + ", ".join(f"{q!r} ({FW.question(q).title})" for q in missing)
        + "; missing levels (1–4) of scenes 'scene_finance' (财务管理), 'scene_hr' (人力资源)"
    )
    assert err.reason_zh == (
        "、".join(map(_label, missing)) + "缺少答案；场景“财务管理”、“人力资源”缺少等级（1–4）"
    )


def test_rate_out_of_range():
    err = _err({**good(), "equipment_digital_rate": 130})
    assert err.field == "equipment_digital_rate"
    assert err.reason == "question 'equipment_digital_rate': 130% is outside [0%, 100%]"
    assert err.reason_zh.endswith("的数值 130% 超出范围 [0%, 100%]")
    assert err.reason_zh.startswith("第2题“")
    assert _err({**good(), "funding_rate": -1}).field == "funding_rate"
    assert _err({**good(), "funding_rate": "lots"}).field == "funding_rate"
    assert _err({**good(), "funding_rate": True}).field == "funding_rate"


def test_none_plus_another_option():
    err = _err({**good(), "network": ["A", "B"]})
    assert err.field == "network"
    assert err.reason_zh == f"{_label('network')}的选项A（无）不能与其他选项同时选择"
    assert _err({**good(), "network": "A|C"}).field == "network"


def test_other_bad_answers():
    assert "应选择一个选项" in _err({**good(), "planning": ["D"]}).reason_zh
    assert "重复" in _err({**good(), "talent": ["A", "A"]}).reason_zh
    err = _err({**good(), "scene_quality": 5})
    assert err.field == "scene_quality" and "1–4" in err.reason_zh
    assert _err({**good(), "scene_quality": 2.5}).field == "scene_quality"
    with pytest.raises(DataValidationError, match="mapping") as info:
        score(FW, [("network", "A")])  # type: ignore[arg-type]
    assert info.value.reason_zh.startswith("答卷应为")


def test_numpy_and_set_answers_read_as_python_ones():
    answers = {
        **good(),
        "network": np.array(["C", "B"]),
        "talent": {"A"},
        "funding_rate": np.int64(5),
        "scene_quality": np.int64(2),
    }
    r = score(FW, answers)
    assert r.total == score(FW, good()).total
    assert r.question("network").answer == ("B", "C")  # the framework's option order


# -- the result ----------------------------------------------------------------------------


def test_result_contents():
    r = score(FW, good())
    assert isinstance(r, ScoreResult)
    # 4 + 3 + 1.5 + 1.4 + 5 + 1.25 + 0 | 4.5 + 3.75 + 1.5 + 0 | 7 + 3.5 + 3 + 0
    assert dict(r.dimensions) == pytest.approx(
        {"数字化基础": 16.15, "数字化管理": 9.75, "数字化成效": 13.5}
    )
    assert r.total == pytest.approx(39.4)
    assert r.level == 1 and r.level_name == "一级"
    assert r.question("planning").reason == "选项D（已开始单点或多点改造）：4.5分（满分7.5分）"
    assert r.question("data_security").reason == "未选择任何选项：0分（满分5分）"
    assert (
        r.question("network_security").reason == "选项A（建立网络安全管理制度）：1.25分（满分5分）"
    )
    assert (
        r.question("equipment_network_rate").reason
        == "比例 12.5% 落在 (10%, 20%] 区间：1.5分（满分6分）"
    )
    assert [(c.kind, c.current, c.required) for c in r.next_level] == [("score", 39.4, 40)]
    assert r.scenes["scene_quality"] == 2
    assert r.rule_confidence == "secondary"
    with pytest.raises(AttributeError):
        r.total = 1  # type: ignore[misc]


def test_summary_and_frame():
    r = score(FW, good())
    text = r.summary().as_text()
    assert "评测结果 sme-digital-2024" in text and "一级" in text
    assert "等级规则的可信度为“二手来源（待与官方公告核对）”" in text and "secondary" not in text
    assert "下一等级未满足条件：二级：总分需≥40，当前39.4（未满足）" in text
    frame = r.to_frame()
    assert list(frame.columns) == [
        "id",
        "title",
        "dimension",
        "answer",
        "points",
        "max_points",
        "reason",
    ]
    assert len(frame) == 15 and frame["points"].sum() == pytest.approx(r.total)
    assert "<table" in r._repr_html_()


# -- batch -------------------------------------------------------------------------------


def test_batch_lists_and_strings_agree():
    a = good()
    b = {**a, "network": "B|C", "data_collection": ["quality", "equipment"]}
    out = batch_score(FW, pd.DataFrame([a, b]))
    assert out.scores["total"].tolist() == pytest.approx([39.4, 39.4])
    assert out.errors.empty


def test_batch_never_drops_rows():
    rows = [
        good(),
        {**good(), "equipment_digital_rate": 130},
        {**good(), "network": "A|B"},
        {**good(), "planning": None, "scene_hr": 7},
        {**good(), "information_system": "G"},
        good(),
    ]
    table = pd.DataFrame(rows, index=[f"e{i}" for i in range(6)])
    table["name"] = "某企业"  # extra columns are ignored
    out = batch_score(FW, table)
    s = out.scores
    assert list(s.index) == list(table.index)
    assert s["valid"].tolist() == [True, False, False, False, False, True]
    assert s.loc["e1", "total"] != s.loc["e1", "total"]  # NaN for an invalid row
    assert s["level"].isna().tolist() == [False, True, True, True, True, False]
    e = out.errors
    assert e[["row", "column"]].values.tolist() == [
        ["e1", "equipment_digital_rate"],
        ["e2", "network"],
        ["e3", "planning"],
        ["e3", "scene_hr"],
        ["e4", "information_system"],
    ]
    assert (
        e["message"].iloc[0] == f"{_label('equipment_digital_rate')}的数值 130% 超出范围 [0%, 100%]"
    )
    assert "不能与其他选项同时选择" in e["message"].iloc[1]
    assert e["message"].iloc[2] == f"{_label('planning')}缺少答案"
    assert e["message"].iloc[3] == "场景“人力资源”的等级应为 1–4 的整数，收到 7"
    assert e["value"].iloc[0] == 130 and e["value"].iloc[4] == "G"
    assert "有效行" in out.summary().as_text()
    assert out.to_frame() is s


def test_batch_reports_every_missing_answer_of_a_row_in_both_languages():
    rows = [good(), {**good(), "planning": None, "funding_rate": np.nan, "scene_hr": None}]
    out = batch_score(FW, pd.DataFrame(rows))
    assert out.scores["valid"].tolist() == [True, False]
    e = out.errors
    assert e[["position", "column"]].values.tolist() == [
        [1, "planning"],
        [1, "funding_rate"],
        [1, "scene_hr"],
    ]
    assert e["message"].tolist() == [
        f"{_label('planning')}缺少答案",
        f"{_label('funding_rate')}缺少答案",
        "场景“人力资源”缺少等级（1–4）",
    ]
    assert e["message_en"].tolist() == [
        "missing answer to question 'planning' (企业对数字化的认识与执行水平)",
        f"missing answer to question 'funding_rate' ({FW.question('funding_rate').title})",
        "missing level (1–4) of scene 'scene_hr' (人力资源)",
    ]
    # score() names the same three in one error
    with pytest.raises(DataValidationError) as info:
        score(FW, rows[1])
    assert "'planning'" in info.value.reason and "'scene_hr'" in info.value.reason
    assert "'funding_rate'" in info.value.reason


def test_batch_number_cells_read_like_score():
    rows = [{**good(), "funding_rate": "15%"}, {**good(), "funding_rate": True}]
    out = batch_score(FW, pd.DataFrame(rows))
    assert out.scores["valid"].tolist() == [True, False]
    assert out.scores["funding_rate"].iloc[0] == score(FW, rows[0]).question("funding_rate").points
    assert out.errors["message"].iloc[0] == f"{_label('funding_rate')}应为数值，收到 True"


@pytest.mark.parametrize(
    ("column", "cells"),
    [
        ("funding_rate", [5, "5", " 5 % ", 5.0, True, "x", 130, -1, np.inf, None, "1e999"]),
        ("scene_quality", [2, "2", 2.0, 2.5, 0, "two", True, 1, None, np.int64(3)]),
        ("information_system", ["A", " B ", "G", "", ["A"], None]),
        ("talent", ["A|B", ["B", "A"], "A|A", "Z", "", [], [1], None]),
    ],
)
def test_batch_refuses_what_score_refuses_for_the_same_reason(column, cells):
    rows = [{**good(), column: v} for v in cells]
    out = batch_score(FW, pd.DataFrame(rows))
    reasons = out.errors.set_index("position")["message"]
    reasons_en = out.errors.set_index("position")["message_en"]
    for k, row in enumerate(rows):
        try:
            total = score(FW, row).total
        except DataValidationError as exc:
            assert not out.scores["valid"].iloc[k], row[column]
            assert reasons[k] == exc.reason_zh
            assert reasons_en[k] == exc.reason
        else:
            assert out.scores["valid"].iloc[k], row[column]
            assert out.scores["total"].iloc[k] == pytest.approx(total)


def test_batch_missing_column():
    table = pd.DataFrame([good()]).drop(columns=["talent"])
    with pytest.raises(DataValidationError, match=r"missing column.*talent") as info:
        batch_score(FW, table)
    assert info.value.column == "talent"
    assert info.value.reason_zh.startswith("缺少列 talent；")


def test_batch_missing_columns_name_the_misspelt_ones():
    table = pd.DataFrame([good()]).rename(
        columns={"equipment_digital_rate": "equipment_digtal_rate", "scene_hr": "Scene HR"}
    )
    table["备注"] = "x"  # an extra column that resembles nothing
    with pytest.raises(DataValidationError) as info:
        batch_score(FW, table)
    assert info.value.column == "equipment_digital_rate"
    assert info.value.reason == (
        "missing column(s) equipment_digital_rate, scene_hr; expected one column per question "
        "and scene id; columns that look misspelt: 'equipment_digtal_rate' "
        "(equipment_digital_rate?), 'Scene HR' (scene_hr?)"
    )
    assert info.value.reason_zh == (
        "缺少列 equipment_digital_rate、scene_hr；每道题目和每个场景各需一列（列名为其编号）；"
        "疑似列名有误：“equipment_digtal_rate”（应为 equipment_digital_rate？）、"
        "“Scene HR”（应为 scene_hr？）"
    )


def test_misspelt_options_are_suggested_by_id_or_label_in_score_and_batch():
    rows = [
        {**good(), "information_system": "c"},
        {**good(), "information_system": "全覆盖"},
        {**good(), "talent": "A|定期培训"},
    ]
    zh = [
        f"{_label('information_system')}没有选项 'c'（是否指C“多个（≥2）业务环节”？）；"
        "可选 A、B、C、D、E",
        f"{_label('information_system')}没有选项 '全覆盖'（是否指E“全覆盖”？）；可选 A、B、C、D、E",
        f"{_label('talent')}没有选项 '定期培训'（是否指C“定期培训”？）；可选 A、B、C、D、E",
    ]
    assert [_err(r).reason_zh for r in rows] == zh
    assert _err(rows[0]).reason == (
        "question 'information_system': has no option 'c' (did you mean 'C': 多个（≥2）业务环节?); "
        "options: A, B, C, D, E"
    )
    out = batch_score(FW, pd.DataFrame(rows))
    assert out.errors["message"].tolist() == zh


# -- properties --------------------------------------------------------------------------


def _answer(q) -> st.SearchStrategy:
    if q.kind == "number":
        return st.one_of(
            st.floats(min_value=q.min_value, max_value=q.max_value, allow_nan=False),
            st.sampled_from([b.lower for b in q.bands] + [b.upper for b in q.bands]),
        )
    if q.kind == "single":
        return st.sampled_from([o.id for o in q.options])
    plain = [o.id for o in q.options if not o.exclusive]
    none = [o.id for o in q.options if o.exclusive]
    subsets = st.lists(st.sampled_from(plain), unique=True)
    return st.one_of(subsets, st.just(none)) if none else subsets


responses = st.fixed_dictionaries(
    {
        **{q.id: _answer(q) for q in FW.questions},
        **{s: st.integers(1, 4) for s in FW.scene_ids},
    }
)


@settings(max_examples=150, deadline=None)
@given(responses)
def test_scores_within_bounds(answers):
    r = score(FW, answers)
    assert 0 <= r.total <= r.max_total == 100
    for q in r.questions:
        assert 0 <= q.points <= q.max_points
    tops = {"数字化基础": 50, "数字化管理": 30, "数字化成效": 20}
    for name, pts in r.dimensions.items():
        assert 0 <= pts <= tops[name]
    assert r.total == pytest.approx(sum(r.dimensions.values()))
    assert 0 <= r.level <= 4


def _better(q, value, data):
    """A weakly better answer to question q."""
    if q.kind == "number":
        return data.draw(st.floats(min_value=value, max_value=q.max_value, allow_nan=False))
    if q.kind == "single":
        cur = q.option(value).points
        return data.draw(st.sampled_from([o.id for o in q.options if o.points >= cur]))
    plain = [o.id for o in q.options if not o.exclusive]
    kept = [v for v in value if v in plain]
    extra = data.draw(st.lists(st.sampled_from(plain), unique=True))
    return sorted(set(kept) | set(extra))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.data())
def test_monotone_in_better_answers(answers, data):
    before = score(FW, answers)
    improved = dict(answers)
    for qid in data.draw(st.lists(st.sampled_from(FW.question_ids), unique=True, min_size=1)):
        improved[qid] = _better(FW.question(qid), answers[qid], data)
    for sid in data.draw(st.lists(st.sampled_from(FW.scene_ids), unique=True)):
        improved[sid] = data.draw(st.integers(answers[sid], 4))
    after = score(FW, improved)
    assert after.total >= before.total
    for name in before.dimensions:
        assert after.dimensions[name] >= before.dimensions[name]
    assert after.level >= before.level


@settings(max_examples=20, deadline=None)
@given(st.lists(responses, min_size=1, max_size=12))
def test_batch_equals_single(rows):
    out = batch_score(FW, pd.DataFrame(rows))
    assert out.errors.empty
    singles = [score(FW, r) for r in rows]
    np.testing.assert_allclose(out.scores["total"], [r.total for r in singles])
    assert out.scores["level"].tolist() == [r.level for r in singles]
    for name in singles[0].dimensions:
        np.testing.assert_allclose(out.scores[name], [r.dimensions[name] for r in singles])
