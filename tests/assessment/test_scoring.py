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


def _err(answers: dict) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        score(FW, answers)
    return info.value


def test_unknown_question_id():
    err = _err({**good(), "netwrok": ["B"]})
    assert err.field == "netwrok" and "unknown question or scene id 'netwrok'" in str(err)


def test_form_field_ids_are_accepted():
    assert score(FW, {**good(), "equipment_total": 120}).total == score(FW, good()).total


def test_unknown_option_id():
    err = _err({**good(), "information_system": "G"})
    assert err.field == "information_system" and "未知选项 'G'" in str(err)
    assert "A、B、C、D、E" in str(err)
    err = _err({**good(), "talent": ["A", "Z"]})
    assert err.field == "talent" and "未知选项 'Z'" in str(err)


def test_missing_required_answer():
    answers = good()
    del answers["planning"]
    err = _err(answers)
    assert err.field == "planning" and "缺少必答题的答案" in str(err)
    assert "企业对数字化的认识与执行水平" in str(err)
    err = _err({**good(), "funding_rate": None})
    assert err.field == "funding_rate"
    answers = good()
    del answers["scene_finance"]
    err = _err(answers)
    assert err.field == "scene_finance" and "财务管理" in str(err)


def test_rate_out_of_range():
    err = _err({**good(), "equipment_digital_rate": 130})
    assert err.field == "equipment_digital_rate"
    assert "130% 超出范围 [0%, 100%]" in str(err)
    assert _err({**good(), "funding_rate": -1}).field == "funding_rate"
    assert _err({**good(), "funding_rate": "lots"}).field == "funding_rate"
    assert _err({**good(), "funding_rate": True}).field == "funding_rate"


def test_none_plus_another_option():
    err = _err({**good(), "network": ["A", "B"]})
    assert err.field == "network" and "选项A（无）不能与其他选项同时选择" in str(err)
    assert _err({**good(), "network": "A|C"}).field == "network"


def test_other_bad_answers():
    assert "单选题" in str(_err({**good(), "planning": ["D"]}))
    assert "重复" in str(_err({**good(), "talent": ["A", "A"]}))
    err = _err({**good(), "scene_quality": 5})
    assert err.field == "scene_quality" and "1–4" in str(err)
    assert _err({**good(), "scene_quality": 2.5}).field == "scene_quality"
    with pytest.raises(DataValidationError, match="mapping"):
        score(FW, [("network", "A")])  # type: ignore[arg-type]


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
    assert "评测结果 sme-digital-2024" in text and "一级" in text and "secondary" in text
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
    assert "130% 超出范围" in e["message"].iloc[0]
    assert "不能与其他选项同时选择" in e["message"].iloc[1]
    assert "缺少必答题的答案" in e["message"].iloc[2]
    assert e["value"].iloc[0] == 130 and e["value"].iloc[4] == "G"
    assert "有效行" in out.summary().as_text()
    assert out.to_frame() is s


def test_batch_number_cells_read_like_score():
    rows = [{**good(), "funding_rate": "15%"}, {**good(), "funding_rate": True}]
    out = batch_score(FW, pd.DataFrame(rows))
    assert out.scores["valid"].tolist() == [True, False]
    assert out.scores["funding_rate"].iloc[0] == score(FW, rows[0]).question("funding_rate").points
    assert out.errors["message"].iloc[0].startswith("应为数值")


def test_batch_missing_column():
    table = pd.DataFrame([good()]).drop(columns=["talent"])
    with pytest.raises(DataValidationError, match=r"missing column.*talent") as info:
        batch_score(FW, table)
    assert info.value.column == "talent"


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
